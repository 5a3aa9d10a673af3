"""Distribution metrics (Frechet kinetic distance, speed-histogram Hellinger) and dynamics."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError
from talkrig.motion.metrics import (
    frechet_distance,
    frechet_kinetic_distance,
    hellinger_distance,
    kinetic_features,
    mean_acceleration,
    mean_jerk,
    mean_speed,
    speed_hellinger,
)


def gesturing(n=300, amplitude=0.4, seed=0, fps=30.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None] / 30.0
    poses = np.zeros((n, 55, 3), np.float32)
    for j in (3, 9, 12, 16, 17, 18, 19, 20, 21):
        freq = rng.uniform(0.3, 1.5, 3)
        phase = rng.uniform(0, 2 * np.pi, 3)
        poses[:, j] = amplitude * np.sin(2 * np.pi * freq * t + phase)
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=fps)


def test_frechet_distance_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    shift = np.array([0.5, -1.0, 0.0, 2.0])
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, a + shift) == pytest.approx(np.sum(shift**2), rel=1e-6)


def test_frechet_distance_of_scaled_gaussians():
    # 1-D: FD = (s_a - s_b)^2 for two zero-mean Gaussians with standard deviations s_a, s_b.
    x = np.random.default_rng(1).normal(size=(2000, 1))
    x = (x - x.mean()) / x.std(ddof=1)
    assert frechet_distance(x, 3 * x) == pytest.approx(4.0, rel=1e-6)


def test_frechet_kinetic_distance_is_zero_for_a_copy_and_grows_with_difference():
    real = gesturing(seed=3)
    assert frechet_kinetic_distance(real.copy(), real) == pytest.approx(0.0, abs=1e-9)
    slightly = frechet_kinetic_distance(gesturing(amplitude=0.45, seed=3), real)
    wildly = frechet_kinetic_distance(gesturing(amplitude=1.2, seed=3), real)
    assert 0 < slightly < wildly


def test_kinetic_features_have_one_row_per_window():
    feats = kinetic_features(gesturing(n=300))  # 10 s, 2 s windows every 0.5 s
    assert feats.shape == (17, 39)
    with pytest.raises(MotionValueError, match="kinetic features need"):
        kinetic_features(gesturing(n=30))


def test_hellinger_distance_bounds():
    p = np.array([0.2, 0.3, 0.5, 0.0])
    assert hellinger_distance(p, p) == pytest.approx(0.0, abs=1e-12)
    assert hellinger_distance([1, 0], [0, 1]) == pytest.approx(1.0)


def test_speed_hellinger_copy_zero_frozen_near_one():
    real = gesturing(seed=4)
    assert speed_hellinger(real.copy(), real) == pytest.approx(0.0, abs=1e-12)
    frozen = Motion.rest(300)
    assert speed_hellinger(frozen, real) > 0.8
    assert speed_hellinger(gesturing(seed=5), real) < speed_hellinger(frozen, real)


def test_dynamics_scale_with_playback_rate():
    # The same poses played twice as fast: speed x2, acceleration x4, jerk x8.
    slow = gesturing(n=200, fps=30.0)
    fast = Motion(poses=slow.poses, trans=slow.trans, fps=60.0)
    assert mean_speed(fast) == pytest.approx(2 * mean_speed(slow), rel=1e-9)
    assert mean_acceleration(fast) == pytest.approx(4 * mean_acceleration(slow), rel=1e-9)
    assert mean_jerk(fast) == pytest.approx(8 * mean_jerk(slow), rel=1e-9)


def test_jitter_shows_as_jerk():
    smooth = gesturing(seed=6)
    jittery = smooth.copy()
    jittery.poses[:, 16:22] += np.random.default_rng(7).normal(0, 0.02, jittery.poses[:, 16:22].shape)
    assert mean_jerk(jittery) > 3 * mean_jerk(smooth)
    assert mean_acceleration(jittery) > mean_acceleration(smooth)
