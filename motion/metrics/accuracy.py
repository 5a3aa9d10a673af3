"""Ground-truth metrics: how close generated joint positions are to the real take, frame by frame.

Only meaningful when the generated motion was made from the same audio as the ground truth
(leave-one-out), so both have the same frames. Co-speech gesture is one-to-many: a good
stochastic generator does NOT reproduce the ground truth, so read these with the diversity
and distribution metrics, never alone.
"""

import logging

import numpy as np

from ..errors import MotionValueError
from .kinematics import DEFAULT_JOINTS, joint_positions, require_same_rate

# Audio2Gestures (Li et al., ICCV 2021, Eq. 14) counts a keypoint as correct within
# delta = 0.2 of its joint-position units; we read those units as decimetres, so 0.2 dm.
PCK_THRESHOLD = 0.02  # metres
# Frame counts that differ by more than this (not just rounding of durations) are logged.
FRAME_TOLERANCE = 2

log = logging.getLogger(__name__)


def aligned_positions(generated, ground_truth, joints=DEFAULT_JOINTS, skeleton=None):
    """Root-relative positions of both motions over their common frames (the first
    min(T_gen, T_gt)): mocap often ends a little before or after its audio.

    Returns (P_gen, P_gt), each (T, J, 3) metres. Raises MotionValueError when the frame rates
    differ or there is no common frame; logs a warning when the lengths differ by more than
    FRAME_TOLERANCE frames.
    """
    require_same_rate(generated, ground_truth, "a ground-truth metric")
    n_gen, n_gt = generated.n_frames, ground_truth.n_frames
    n = min(n_gen, n_gt)
    if n == 0:
        raise MotionValueError("ground-truth metrics need at least one frame in both motions")
    if abs(n_gen - n_gt) > FRAME_TOLERANCE:
        log.warning("ground-truth metrics on the first %d frames: %d generated frames against "
                    "%d reference frames", n, n_gen, n_gt)
    gen = joint_positions(generated[:n], joints, skeleton=skeleton)
    gt = joint_positions(ground_truth[:n], joints, skeleton=skeleton)
    return gen, gt


def l1_error(generated, ground_truth, joints=DEFAULT_JOINTS, skeleton=None):
    """Mean L1 distance between generated and ground-truth joint positions, metres.

    Audio2Gestures Eq. 13: L1 = 1/(T J) * sum_t sum_j || p_hat_tj - p_tj ||_1, the L1 norm over
    x, y, z of each joint's position error, averaged over frames and joints. Positions are
    root-relative (the translation is left out) on the neutral skeleton. 0 for a perfect copy.
    """
    gen, gt = aligned_positions(generated, ground_truth, joints, skeleton)
    return float(np.abs(gen - gt).sum(axis=-1).mean())


def pck(generated, ground_truth, threshold=PCK_THRESHOLD, joints=DEFAULT_JOINTS, skeleton=None):
    """Percentage of correct keypoints, as a fraction in [0, 1].

    Audio2Gestures Eq. 14: PCK = 1/(T J) * sum_t sum_j 1[ || p_hat_tj - p_tj ||_2 < delta ],
    with delta = 0.2 in the paper's units. The paper states delta without a unit next to it;
    its SMPL-X joint positions read as decimetres, so the default is 0.2 dm = 0.02 m (2 cm).
    Pass ``threshold`` (metres) for another tolerance. 1.0 for a perfect copy.
    """
    if not threshold > 0:
        raise MotionValueError(f"PCK threshold must be a positive distance in metres, got {threshold}")
    gen, gt = aligned_positions(generated, ground_truth, joints, skeleton)
    return float((np.linalg.norm(gen - gt, axis=-1) < threshold).mean())
