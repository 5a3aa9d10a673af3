"""Posture measures on cases whose answer is known: a still pose, the real take against itself,
the real take shifted in time, a body carried sideways at a known speed."""

import numpy as np
import pytest

from talkrig.inference.evaluate import shifted_take, static_pose
from talkrig.motion.metrics import (angular_jerk, foot_skate, leg_activity, pose_frechet, posture_report,
                                    root_travel, stance_spread)


@pytest.fixture(scope="module")
def real(scott_motion):
    return scott_motion[:600]  # 20 s of the real take


def test_the_real_take_against_itself_is_at_distance_zero(real):
    report = posture_report(real, real)
    for part in ("body", "arms", "legs", "spine"):
        assert report[f"pose_fd_{part}"] == pytest.approx(0.0, abs=1e-6)
    for key in ("leg_activity", "root_travel", "foot_skate", "angular_jerk"):
        assert report[f"{key}_ratio"] == pytest.approx(1.0)
    # a standing speaker: legs move, the body drifts a little, the weight-bearing foot barely
    assert 0.1 < report["leg_activity"] < 2.0 and 0.02 < report["root_travel"] < 0.5
    assert report["foot_skate"] < 0.1


def test_a_still_pose_has_no_motion_and_only_the_spread_to_cover(real):
    statue = static_pose(real, real.n_frames)
    report = posture_report(statue, real)
    assert report["leg_activity"] == pytest.approx(0.0, abs=1e-9)
    assert report["root_travel"] == 0.0 and report["foot_skate"] == 0.0 and report["angular_jerk"] == 0.0
    # standing in the mean pose, its distance is the real take's spread: more than any stretch
    # of the real motion is from the rest of it
    shifted = shifted_take(real, real.n_frames)
    for part in ("body", "arms", "legs"):
        assert pose_frechet(shifted, real, part) < 0.1 * report[f"pose_fd_{part}"]
    assert report["pose_fd_body"] > report["pose_fd_arms"] > report["pose_fd_legs"] > 0.05


def test_a_shifted_take_keeps_the_figures_that_do_not_depend_on_time(real):
    shifted = shifted_take(real, real.n_frames)
    assert leg_activity(shifted) == pytest.approx(leg_activity(real), rel=0.05)
    assert angular_jerk(shifted) == pytest.approx(angular_jerk(real), rel=0.05)
    # the seam carries the root back from the take's end to its start: a little more travel
    assert root_travel(real) < root_travel(shifted) < 1.25 * root_travel(real)
    with pytest.raises(Exception, match="unknown body part"):
        pose_frechet(shifted, real, "tail")


def test_a_body_carried_sideways_skates_at_that_speed(real):
    statue = static_pose(real, 90)
    statue.trans[:, 0] += 0.5 * np.arange(90) / statue.fps  # 0.5 m/s to the side, feet and all
    assert root_travel(statue) == pytest.approx(0.5)
    assert foot_skate(statue) == pytest.approx(0.5, rel=1e-3)


def test_stance_spread_sees_where_takes_stand_not_how_they_move(real):
    """Seeds that stand alike score ~0 however differently they move frame by frame; stretches of
    the real take, whose stance drifts, stand apart by about a tenth of a radian."""
    third = real.n_frames // 3
    assert stance_spread([real, real.copy()]) == pytest.approx(0.0, abs=1e-6)
    reversed_take = real.copy()
    reversed_take.poses = real.poses[::-1].copy()  # every frame elsewhere, the same stance
    assert stance_spread([real, reversed_take]) == pytest.approx(0.0, abs=1e-6)
    assert stance_spread([real[:third], real[third:2 * third], real[2 * third:]]) > 0.05
    turned = real.copy()
    turned.poses = real.poses.copy()
    turned.poses[:, 16, 2] += 0.26  # the left upper arm held 0.26 rad further up throughout
    assert 0.26 / 13 * 0.5 < stance_spread([real, turned]) < 0.26 / 13 * 1.5
    with pytest.raises(Exception, match="at least 2"):
        stance_spread([real])
