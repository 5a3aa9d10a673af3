"""Artefact metrics: foot sliding, joint limits, frozen frames, seams."""

import numpy as np
import pytest

from talkrig.motion import Motion
from talkrig.motion.metrics import foot_sliding, frozen_fraction, joint_limit_violations, max_jump
from talkrig.motion.metrics.artifacts import HINGES
from talkrig.motion.skeleton import JOINT_INDEX


def standing(n=60, fps=30.0):
    return Motion.rest(n, fps=fps)


def test_planted_feet_that_stay_put_do_not_slide():
    assert foot_sliding(standing()) == pytest.approx(0.0, abs=1e-9)


def test_gliding_body_slides_at_its_speed():
    m = standing(60)
    m.trans[:, 0] = 0.5 * np.arange(60) / 30.0  # 0.5 m/s sideways, feet never lifted
    assert foot_sliding(m) == pytest.approx(0.5, rel=1e-5)


def test_a_lifted_foot_is_not_sliding():
    m = standing(60)
    lift = JOINT_INDEX["left_hip"]
    m.poses[20:40, lift, 0] = -0.6  # raise the left leg forward for a while
    m.poses[20:40, JOINT_INDEX["left_knee"], 0] = 1.0
    assert foot_sliding(m) == pytest.approx(0.0, abs=1e-6)


def test_natural_bends_are_within_limits():
    m = standing(10)
    m.poses[:, JOINT_INDEX["left_elbow"], 1] = -1.5
    m.poses[:, JOINT_INDEX["right_elbow"], 1] = 1.5
    m.poses[:, JOINT_INDEX["left_knee"], 0] = 1.2
    m.poses[:, JOINT_INDEX["left_index2"], 2] = -1.0
    m.poses[:, JOINT_INDEX["right_index2"], 2] = 1.0
    assert joint_limit_violations(m) == 0.0


def test_backwards_elbow_and_finger_are_violations():
    m = standing(10)
    m.poses[:, JOINT_INDEX["left_elbow"], 1] = 0.8  # bent backwards
    m.poses[:5, JOINT_INDEX["right_ring3"], 2] = -1.0  # bent backwards, half the frames
    expected = (10 + 5) / (10 * len(HINGES))
    assert joint_limit_violations(m) == pytest.approx(expected)


def test_overbent_knee_is_a_violation():
    m = standing(4)
    m.poses[:, JOINT_INDEX["right_knee"], 0] = np.radians(175)
    assert joint_limit_violations(m) == pytest.approx(1 / len(HINGES))


def test_frozen_pose_is_all_frozen_and_moving_is_not():
    held = standing(30)
    held.poses[:, 18, 1] = -1.0
    assert frozen_fraction(held) == 1.0
    moving = standing(31)
    moving.poses[:, 18, 1] = np.linspace(0, -1.0, 31)
    assert frozen_fraction(moving) == 0.0
    half = Motion.concatenate([held, moving])
    assert frozen_fraction(half) == pytest.approx(29 / 60, abs=1 / 60)


def test_a_seam_is_the_max_jump():
    m = standing(40)
    m.trans[20:, 2] += 0.3  # the whole body jumps 30 cm between frames 19 and 20
    assert max_jump(m) == pytest.approx(0.3, rel=1e-5)
    assert max_jump(standing(40)) == 0.0
