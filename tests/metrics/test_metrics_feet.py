"""Foot pops and foot lifts: a planted foot that jumps in one frame is counted, a real step is not."""

import numpy as np
import pytest

from talkrig.motion import Motion
from talkrig.motion.metrics import angular_speed, ankle_jerk, foot_pop_count, foot_pops, longest_lift, \
    mean_angular_speed
from talkrig.motion.metrics.feet import foot_positions


def standing(n, fps=30.0):
    poses = np.zeros((n, 55, 3), np.float32)
    trans = np.zeros((n, 3), np.float32)
    trans[:, 1] = 1.3
    return Motion(poses=poses, trans=trans, fps=fps)


def test_a_snapping_foot_is_a_pop_and_a_step_is_not():
    n = 90
    snap = standing(n)
    snap.poses[45:, 1, 0] = -0.35  # the left hip swings the planted foot 15 cm in one frame
    assert foot_pop_count(snap) == 1
    assert foot_pops(snap) == pytest.approx(1 / ((n - 1) / 30.0 / 60.0))

    step = standing(n)
    lift = np.sin(np.pi * np.clip((np.arange(n) - 30) / 10.0, 0.0, 1.0)) ** 2
    step.poses[:, 1, 0] = -0.35 * lift  # the foot swings out and back over 0.33 s ...
    step.poses[:, 4, 0] = 1.0 * lift  # ... the knee lifting it off the floor
    moved = np.linalg.norm(np.diff(foot_positions(step), axis=0), axis=-1).max()
    assert moved > 0.04  # nearly as fast as a pop in mid-air, but it eases out of and into its plant
    assert foot_pop_count(step) == 0


def test_a_foot_hanging_in_the_air_is_a_long_lift():
    n = 150
    m = standing(n)
    m.poses[30:120, 4, 0] = 1.2  # the left knee bent: the foot hangs for 3 s
    assert longest_lift(m) == pytest.approx(3.0, abs=0.05)
    assert longest_lift(standing(n)) == 0.0


def test_angular_speed_is_local_rotation_speed():
    n = 31
    m = standing(n)
    m.poses[:, 18, 1] = np.linspace(0.0, -1.0, n)  # the left elbow bends 1 rad in 1 s
    m.poses[:, 16, 2] = np.linspace(0.0, 0.5, n)  # the shoulder turns 0.5 rad in 1 s
    speed = angular_speed(m)
    assert speed[:, 18] == pytest.approx(np.ones(n - 1), rel=1e-4)
    assert speed[:, 16] == pytest.approx(np.full(n - 1, 0.5), rel=1e-4)
    assert speed[:, 20].max() == 0.0  # the wrist is carried, it does not turn
    assert mean_angular_speed(m) == pytest.approx(1.5 / 13, rel=1e-3)  # 13 upper-body joints



def test_shaking_knees_jerk_the_ankles_against_the_pelvis_and_a_wandering_root_does_not(scott_motion):
    """The real take's held-out half gives the figure the feet stage is measured against (25.4
    m/s^3); knees trembling by 0.01 rad a frame (what the leg IK made of a trembling root) give
    many times it, while the same tremble in the root translation alone gives the same figure."""
    import copy

    from talkrig.motion.errors import MotionValueError
    from talkrig.motion.skeleton import JOINT_INDEX

    assert ankle_jerk(scott_motion[675:]) == pytest.approx(25.4, abs=0.1)
    take = scott_motion[:300]
    real = ankle_jerk(take)
    rng = np.random.default_rng(0)
    shaking, wandering = copy.deepcopy(take), copy.deepcopy(take)
    for knee in ("left_knee", "right_knee"):
        shaking.poses[:, JOINT_INDEX[knee], 0] += rng.normal(0, 0.01, len(take.poses)).astype(np.float32)
    wandering.trans = wandering.trans + rng.normal(0, 0.01, take.trans.shape).astype(np.float32)
    assert ankle_jerk(shaking) > 5 * real
    assert ankle_jerk(wandering) == pytest.approx(real, rel=1e-6)
    with pytest.raises(MotionValueError, match="4 frames"):
        ankle_jerk(take[:3])
