"""Ground-truth metrics (L1, PCK) on synthetic motion with known answers."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError
from talkrig.motion.metrics import PCK_THRESHOLD, l1_error, pck
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton

ELBOW = JOINT_INDEX["left_elbow"]
WRIST = JOINT_INDEX["left_wrist"]


def waving(n=120, seed=0):
    """A smooth, non-trivial gesture: shoulders, elbows and spine swing on a few sinusoids."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None] / 30.0
    poses = np.zeros((n, 55, 3), np.float32)
    for j in (3, 6, 16, 17, 18, 19):
        freq = rng.uniform(0.3, 1.5, 3)
        phase = rng.uniform(0, 2 * np.pi, 3)
        poses[:, j] = 0.4 * np.sin(2 * np.pi * freq * t + phase)
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=30.0)


def test_copy_of_ground_truth_scores_perfectly():
    gt = waving()
    assert l1_error(gt.copy(), gt) == pytest.approx(0.0, abs=1e-12)
    assert pck(gt.copy(), gt) == 1.0


def test_translation_is_not_counted():
    gt = waving()
    moved = gt.copy()
    moved.trans[:] += np.array([0.3, 0.0, -0.2], np.float32)
    assert l1_error(moved, gt) == pytest.approx(0.0, abs=1e-12)


def test_bent_elbow_gives_the_exact_wrist_error():
    gt = Motion.rest(10)
    bent = gt.copy()
    angle = 0.5
    bent.poses[:, ELBOW, 1] = -angle  # flex the left elbow about -y
    forearm = neutral_skeleton().offsets[WRIST]
    # Only the wrist moves among the 22 body joints: chord of a circle of radius |forearm|.
    # The rotation is about y, so the wrist moves in x-z by R_y(-angle) @ forearm - forearm.
    c, s = np.cos(-angle), np.sin(-angle)
    moved = np.array([c * forearm[0] + s * forearm[2], forearm[1], -s * forearm[0] + c * forearm[2]])
    delta = moved - forearm
    assert l1_error(bent, gt) == pytest.approx(np.abs(delta).sum() / 22, rel=1e-6)
    dist = np.linalg.norm(delta)
    assert pck(bent, gt, threshold=dist * 1.01) == 1.0
    assert pck(bent, gt, threshold=dist * 0.99) == pytest.approx(21 / 22)


def test_worse_motion_scores_worse():
    gt = waving(seed=1)
    near = gt.copy()
    near.poses[:, 18, 1] += 0.05
    far = waving(seed=2)
    assert l1_error(near, gt) < l1_error(far, gt)
    assert pck(near, gt) > pck(far, gt)


def test_default_threshold_is_two_centimetres():
    assert PCK_THRESHOLD == pytest.approx(0.02)


def test_different_lengths_compare_the_common_frames_with_a_warning(caplog):
    gt = waving(120)
    with caplog.at_level("WARNING"):
        assert l1_error(gt[:100], gt) == pytest.approx(0.0, abs=1e-12)
    assert "first 100 frames" in caplog.text
    with pytest.raises(MotionValueError, match="at least one frame"):
        pck(gt[:0], gt)


def test_rounding_frame_is_trimmed():
    gt = waving(121)
    assert l1_error(gt[:120], gt) == pytest.approx(0.0, abs=1e-12)


def test_different_fps_is_refused():
    gt = waving()
    other = Motion(poses=gt.poses, trans=gt.trans, fps=60.0)
    with pytest.raises(MotionValueError, match="frame rate"):
        pck(other, gt)


def test_bad_threshold_is_refused():
    gt = waving()
    with pytest.raises(MotionValueError, match="threshold"):
        pck(gt, gt, threshold=0)
