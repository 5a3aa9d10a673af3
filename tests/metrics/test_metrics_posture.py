"""Posture measures on cases whose answer is known: a still pose, the real take against itself,
the real take shifted in time, a body carried sideways at a known speed, a pelvis moved back
over its feet by a known distance."""

import numpy as np
import pytest

from talkrig.inference.evaluate import shifted_take, static_pose
from talkrig.motion.metrics import (angular_jerk, foot_skate, leg_activity, pose_frechet, posture_report,
                                    root_jolt, root_travel, sagittal_posture, stance_spread)
from talkrig.motion.metrics.posture import knee_flexion, pelvis_offset
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton


@pytest.fixture(scope="module")
def real(scott_motion):
    return scott_motion[:600]  # 20 s of the real take


def test_the_real_take_against_itself_is_at_distance_zero(real):
    report = posture_report(real, real)
    for part in ("body", "arms", "legs", "spine"):
        assert report[f"pose_fd_{part}"] == pytest.approx(0.0, abs=1e-6)
    for key in ("leg_activity", "root_travel", "foot_skate", "angular_jerk", "root_jolt"):
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
    assert root_jolt(statue) == pytest.approx(0.0, abs=1e-3)  # a steady speed: no jolt


def test_a_body_that_changes_speed_in_one_frame_jolts_by_that_change(real):
    statue = static_pose(real, 90)
    speed = np.where(np.arange(90) < 45, 0.0, 0.3)  # m/s, from standing still to walking pace at once
    statue.trans[:, 2] += np.cumsum(speed / statue.fps)
    assert root_jolt(statue) == pytest.approx(0.3 * statue.fps, rel=1e-3)
    assert root_jolt(real) < 0.3 * statue.fps  # the speaker's largest is smaller than that


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


def test_the_side_view_of_a_still_pose_has_no_spread(real):
    statue = static_pose(real, 60)
    side = sagittal_posture(statue)
    assert np.ptp(knee_flexion(statue), axis=0) == pytest.approx([0.0, 0.0], abs=1e-9)
    assert np.ptp(pelvis_offset(statue)) == pytest.approx(0.0, abs=1e-9)
    assert side["pelvis_offset_p95"] == pytest.approx(abs(side["pelvis_offset"]))
    # the real speaker stands on soft knees, his pelvis a little ahead of his ankles, and moves
    real_side = sagittal_posture(real)
    assert 0.05 < real_side["knee_flexion"] < real_side["knee_flexion_p95"] < 1.5
    assert 0.0 < real_side["pelvis_offset"] < real_side["pelvis_offset_p95"] < 0.3


def test_a_pelvis_moved_back_over_its_feet_reads_that_far_whichever_way_it_faces(real):
    """Straight legs under a pelvis turned to face along x (not the world's z): both thighs
    swung forwards so the ankles come 10 cm ahead of where they were, the pelvis now stands
    10 cm further back over them; the knees stay straight."""
    still = static_pose(real, 30)
    still.poses[:] = 0.0
    still.poses[:, 0] = [0.0, np.pi / 2, 0.0]  # facing +x
    still.trans[:] = [0.3, 0.9, -0.2]
    moved = still.copy()
    rest = neutral_skeleton().rest_positions
    for side in ("left", "right"):
        _, vy, vz = rest[JOINT_INDEX[f"{side}_ankle"]] - rest[JOINT_INDEX[f"{side}_hip"]]
        # turn about the hip's x axis: the ankle's forward place vy sin t + vz cos t gains 10 cm
        radius, phase = np.hypot(vy, vz), np.arctan2(vz, vy)
        wanted = np.arcsin((vz + 0.10) / radius)
        turns = (np.array([wanted, np.pi - wanted]) - phase + np.pi) % (2 * np.pi) - np.pi
        moved.poses[:, JOINT_INDEX[f"{side}_hip"], 0] = turns[np.argmin(np.abs(turns))]  # a small turn
    back = pelvis_offset(moved) - pelvis_offset(still)
    assert back == pytest.approx(np.full(30, -0.10), abs=1e-6)
    assert np.all(np.abs(moved.poses[:, 1:3, 0]) < 0.2)  # the thighs swung forwards, not overhead
    assert sagittal_posture(moved)["knee_flexion_p95"] == 0.0
    assert sagittal_posture(moved)["pelvis_offset"] == pytest.approx(sagittal_posture(still)["pelvis_offset"] - 0.10, abs=1e-6)


def test_a_foot_stepping_low_from_the_lower_floor_is_not_the_one_that_skates():
    # His ankles rest at two heights (the right 1.6 cm up). The left foot steps forward 8 cm,
    # lifting only 4 mm: still lower than the right ankle, but off its own floor; the right
    # foot bears the weight and stays put, so nothing skates.
    from talkrig.motion import Motion

    n = 90
    poses = np.zeros((n, 55, 3), np.float32)
    poses[:, 2, 0] = -0.2  # the right thigh forward: its ankle rests 1.6 cm higher
    swing = np.clip((np.arange(n) - 30) / 15.0, 0.0, 1.0)
    poses[:, 1, 0] = -0.09 + 0.1 * swing  # the left foot steps 8 cm, to as low as it was...
    poses[:, 4, 0] = 0.08 * np.sin(np.pi * swing)  # ...lifted by its knee, a few millimetres
    trans = np.tile(np.array([0.0, 1.3, 0.0], np.float32), (n, 1))
    m = Motion(poses=poses, trans=trans, fps=30.0)
    _, pos = neutral_skeleton().forward_kinematics(m.poses, m.trans)
    ankles = pos[:, [7, 8]]
    assert (ankles[:, 0, 1] < ankles[:, 1, 1]).all()  # the stepping foot stays the lower one
    assert np.ptp(ankles[:, 0, 2]) > 0.05 and np.ptp(ankles[:, 1], axis=0).max() < 1e-6
    assert foot_skate(m) < 0.002
