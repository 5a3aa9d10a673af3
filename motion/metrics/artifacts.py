"""Artefacts a viewer notices at once: sliding feet, joints bent the wrong way, a body that
freezes, and seams (sudden jumps between frames, e.g. where generator windows meet).
"""

import numpy as np

from ..errors import MotionValueError
from ..skeleton import BODY, FEET, JOINT_INDEX
from .kinematics import joint_positions

FOOT_CONTACT_HEIGHT = 0.03  # m above the joint's lowest height in the take
FROZEN_SPEED = 0.01  # m/s: a frame is frozen when no body joint moves faster
BACKWARD_TOLERANCE = np.radians(15.0)

# Hinge joints: (axis of flexion in the joint's local frame, sign of flexion, max flexion rad).
# Signs follow SMPL-X's T-pose: knees flex about +x; the left elbow about -y, the right about
# +y; the middle and end finger phalanges of the left hand about -z, of the right about +z.
HINGES = {
    JOINT_INDEX["left_knee"]: (0, 1.0, np.radians(165.0)),
    JOINT_INDEX["right_knee"]: (0, 1.0, np.radians(165.0)),
    JOINT_INDEX["left_elbow"]: (1, -1.0, np.radians(165.0)),
    JOINT_INDEX["right_elbow"]: (1, 1.0, np.radians(165.0)),
}
for _side, _sign in (("left", -1.0), ("right", 1.0)):
    for _finger in ("index", "middle", "pinky", "ring"):
        for _k in (2, 3):
            HINGES[JOINT_INDEX[f"{_side}_{_finger}{_k}"]] = (2, _sign, np.radians(120.0))


def foot_sliding(motion, contact_height=FOOT_CONTACT_HEIGHT, skeleton=None):
    """Mean horizontal speed of planted feet, m/s: 0 when planted feet stay put.

    The foot-skating measure of character animation (e.g. Kovar et al. 2002; the "foot skate"
    metric of motion-synthesis papers): for each ankle and toe joint (world positions, with the
    root translation), a frame pair counts as planted when the joint is within ``contact_height``
    of its lowest height in the take in both frames; the metric is the mean x-z speed over all
    planted frame pairs. A speaker who takes a step lifts the foot, which is not sliding.
    """
    if motion.n_frames < 2:
        raise MotionValueError("foot sliding needs at least 2 frames")
    p = joint_positions(motion, FEET, world=True, skeleton=skeleton)
    height = p[..., 1]
    planted = height <= height.min(axis=0) + contact_height  # (T, 4)
    both = planted[1:] & planted[:-1]
    if not np.any(both):
        return 0.0
    horizontal = np.linalg.norm(np.diff(p[..., [0, 2]], axis=0), axis=-1) * motion.fps
    return float(horizontal[both].mean())


def joint_limit_violations(motion, tolerance=BACKWARD_TOLERANCE):
    """Fraction of (frame, hinge joint) pairs bent beyond the joint's range, in [0, 1].

    Hinge joints (knees, elbows, the middle and end phalanges of the fingers; see ``HINGES``)
    flex one way only: a joint violates its limit when its flexion (the axis-angle component
    about the hinge axis, signed) is below -``tolerance`` (bent backwards) or above the joint's
    maximum flexion. Real motion capture scores 0.
    """
    joints = np.array(sorted(HINGES))
    axes = np.array([HINGES[j][0] for j in joints])
    signs = np.array([HINGES[j][1] for j in joints])
    limits = np.array([HINGES[j][2] for j in joints])
    if motion.n_frames == 0:
        raise MotionValueError("joint limits need at least one frame")
    flexion = motion.poses[:, joints, axes].astype(np.float64) * signs
    bad = (flexion < -tolerance) | (flexion > limits)
    return float(bad.mean())


def frozen_fraction(motion, speed=FROZEN_SPEED, skeleton=None):
    """Fraction of frame steps in which the body is frozen, in [0, 1].

    A step is frozen when no body joint (world positions) moves faster than ``speed`` m/s.
    Living people always move a little (breathing, balance); a held keyframe pose scores 1.
    """
    if motion.n_frames < 2:
        raise MotionValueError("frozen frames need at least 2 frames")
    p = joint_positions(motion, BODY, world=True, skeleton=skeleton)
    fastest = np.linalg.norm(np.diff(p, axis=0), axis=-1).max(axis=1) * motion.fps
    return float(np.mean(fastest < speed))


def max_jump(motion, skeleton=None):
    """Largest frame-to-frame displacement of any joint, metres per frame (world positions).

    Seams between generated windows or clips show up as a jump far above what the same motion
    does elsewhere; compare with the real take's own maximum (about 0.1 m per frame at 30 fps).
    """
    if motion.n_frames < 2:
        raise MotionValueError("frame-to-frame jumps need at least 2 frames")
    p = joint_positions(motion, None, world=True, skeleton=skeleton)
    return float(np.linalg.norm(np.diff(p, axis=0), axis=-1).max())


def largest_jolt(motion, joints=BODY, skeleton=None):
    """Largest change of a joint's step from one frame to the next, metres per frame^2 (world
    positions of ``joints``, the body's 22 by default).

    A seam where two pieces of motion meet at different speeds shows here however slow the
    motion is on either side (a jump in place shows in :func:`max_jump` only when it is large);
    compare with the same motion made in one piece."""
    if motion.n_frames < 3:
        raise MotionValueError("a jolt needs at least 3 frames")
    p = joint_positions(motion, list(joints), world=True, skeleton=skeleton)
    return float(np.linalg.norm(np.diff(p, n=2, axis=0), axis=-1).max())
