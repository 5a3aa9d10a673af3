"""Diversity, multimodality and L1div on synthetic motion with known answers."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError
from talkrig.motion.metrics import diversity, l1_div, l1_error, multimodality


def pose_motion(n, pose_value, joint=18, axis=1):
    """n frames of one held pose: ``joint`` rotated by pose_value about ``axis``."""
    poses = np.zeros((n, 55, 3), np.float32)
    poses[:, joint, axis] = pose_value
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=30.0)


def pose_distance():
    """L1 (Eq. 13) between pose A (elbow at -0.8) and pose B (rest)."""
    return l1_error(pose_motion(5, -0.8), pose_motion(5, 0.0))


def test_frozen_pose_has_zero_diversity_and_l1div():
    frozen = pose_motion(200, -0.8)
    assert diversity(frozen) == pytest.approx(0.0, abs=1e-12)
    assert l1_div(frozen) == pytest.approx(0.0, abs=1e-12)


def test_diversity_of_alternating_clips():
    # Clips A, B, A, B: 4 of the 6 clip pairs differ by d.
    a, b = pose_motion(50, -0.8), pose_motion(50, 0.0)
    motion = Motion.concatenate([a, b, a, b])
    assert diversity(motion) == pytest.approx(4 / 6 * pose_distance(), rel=1e-6)


def test_diversity_drops_the_short_tail():
    a, b = pose_motion(50, -0.8), pose_motion(50, 0.0)
    motion = Motion.concatenate([a, b, pose_motion(30, 1.0)])
    assert diversity(motion) == pytest.approx(pose_distance(), rel=1e-6)


def test_l1div_is_half_the_distance_between_two_halves():
    motion = Motion.concatenate([pose_motion(40, -0.8), pose_motion(40, 0.0)])
    assert l1_div(motion) == pytest.approx(0.5 * pose_distance(), rel=1e-6)


def test_multimodality_counts_sample_pairs():
    a, b = pose_motion(60, -0.8), pose_motion(60, 0.0)
    assert multimodality([a, a.copy(), b]) == pytest.approx(2 / 3 * pose_distance(), rel=1e-6)


def test_deterministic_generator_has_zero_multimodality():
    a = pose_motion(60, -0.8)
    assert multimodality([a, a.copy(), a.copy()]) == pytest.approx(0.0, abs=1e-12)


def test_too_little_input_is_refused():
    with pytest.raises(MotionValueError, match="two 50-frame clips"):
        diversity(pose_motion(99, 0.0))
    with pytest.raises(MotionValueError, match="at least 2 samples"):
        multimodality([pose_motion(60, 0.0)])
    with pytest.raises(MotionValueError, match="same audio"):
        multimodality([pose_motion(60, 0.0), pose_motion(90, 0.0)])
