"""The head read from the face mesh is brought into the frame the pose model reads the body in:
each shot's face is lowered by one angle, its nods and turns kept whole; read from the ears and
nose, a level head with a person's proportions reads level."""

import numpy as np
import pytest

from talkrig.inference.capture import landmarks as L
from talkrig.inference.capture.ik import ears_rotations, elevation, face_in_body_frame, face_rotations

# A face's points (metres, x to its left, y up, z forward), in FACE_POINTS order: a person's
# proportions (the nose ahead of the eyes, the cheeks far behind them).
FACE = np.array([[0.0, 0.090, 0.098], [0.0, -0.076, 0.104], [0.0, -0.033, 0.113],
                 [0.0, -0.034, 0.112], [0.025, -0.035, 0.102], [-0.025, -0.035, 0.102],
                 [0.045, 0.034, 0.086], [-0.045, 0.034, 0.086], [0.0, 0.004, 0.131],
                 [0.074, 0.037, 0.037], [-0.074, 0.037, 0.037]])


def turned(pitch_deg, yaw_deg):
    """(T, N_FACE, 3) the face turned up by ``pitch_deg`` then round by ``yaw_deg`` per frame."""
    p, y = np.radians(pitch_deg), np.radians(yaw_deg)
    cp, sp, cy, sy = np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    zero, one = np.zeros_like(p), np.ones_like(p)
    up = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cp, sp], -1),
                   np.stack([zero, -sp, cp], -1)], -2)
    round_ = np.stack([np.stack([cy, zero, sy], -1), np.stack([zero, one, zero], -1),
                       np.stack([-sy, zero, cy], -1)], -2)
    return np.einsum("tij,kj->tki", round_ @ up, FACE)


def test_a_face_turned_toward_the_camera_is_lowered_by_one_angle_its_nods_kept_whole():
    t = np.arange(90) / 30.0
    nods = 6.0 * np.sin(2 * np.pi * 0.7 * t)
    yaw = 25.0 + 3.0 * np.cos(2 * np.pi * 0.4 * t)
    face = turned(20.0 + nods, yaw)  # seen from 20 degrees above: turned up toward the camera
    seen = np.ones(len(t), bool)
    read = elevation(face_rotations(face)[:, :, 2])
    lowered = face_in_body_frame(face, seen)
    out = elevation(lowered[:, :, 2])
    drop = read - out
    assert np.ptp(drop) < 1e-6  # one angle for the whole shot: the nods kept whole
    assert 5.0 < drop[0] < 20.0  # lowered, never past level
    azimuth = lambda r: np.degrees(np.arctan2(r[:, 0, 2], r[:, 2, 2]))
    np.testing.assert_allclose(azimuth(lowered), azimuth(face_rotations(face)), atol=1e-6)


def test_a_face_level_with_the_camera_is_nearly_left_as_read_and_frames_without_it_change_nothing():
    face = turned(np.zeros(40), np.full(40, -30.0))
    seen = np.ones(40, bool)
    drop = elevation(face_rotations(face)[:, :, 2]) - elevation(face_in_body_frame(face, seen)[:, :, 2])
    assert np.all(np.abs(drop) < 1.5)  # no more than its forehead's own slope
    # half the frames without a face: the others decide the angle
    raised = turned(np.full(40, 15.0), np.zeros(40))
    raised[::2] = np.nan
    seen = np.isfinite(raised[:, 0, 0])
    alone = face_in_body_frame(raised[seen], seen[seen])
    np.testing.assert_allclose(face_in_body_frame(raised, seen)[seen], alone, atol=1e-9)
    assert L.N_FACE == len(FACE)


def test_a_level_head_with_a_persons_proportions_reads_level_from_its_ears_and_nose():
    """Where the face mesh loses the face, the head is read from the pose model's ears and nose:
    the scans' mean head (the middle of each ear 9 degrees above the line to the nose tip) held
    level, turned about the upright, reads within 4 degrees of level."""
    ears = np.array([[0.081, 0.021, -0.001], [-0.081, 0.021, -0.001]])  # left, right
    nose = np.array([0.0, 0.004, 0.131])
    for yaw in (-30.0, 0.0, 25.0):
        y = np.radians(yaw)
        turn = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        p = np.zeros((1, 33, 3))
        p[0, L.LEFT_EAR], p[0, L.RIGHT_EAR], p[0, L.NOSE] = turn @ ears[0], turn @ ears[1], turn @ nose
        forward = ears_rotations(p)[0, :, 2]
        assert abs(np.degrees(np.arcsin(forward[1]))) < 4.0
        assert np.degrees(np.arctan2(forward[0], forward[2])) == pytest.approx(yaw, abs=0.5)
