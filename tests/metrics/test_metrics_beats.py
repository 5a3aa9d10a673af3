"""Beat consistency: motion beats that land on the onsets score high, shifted ones lower."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError
from talkrig.motion.metrics import beat_consistency, local_minima, motion_beats

FPS = 30.0
# Irregular beat times (seconds), so no time shift lines them up again.
KEYS = np.array([0.6, 1.5, 2.3, 3.6, 4.4, 5.9, 6.7, 7.6, 9.0, 9.8, 11.1, 12.3])


def beating(n=400, keys=KEYS):
    """The torso bends forward in steps that slow down (but never stop) at ``keys``, so every
    joint above spine1 has a speed minimum, still above zero, at each key time."""
    t = np.arange(n) / FPS
    knots = np.concatenate([[0.0], keys, [n / FPS + 1]])
    seg = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
    u = (t - knots[seg]) / (knots[seg + 1] - knots[seg])
    ease = 0.7 * (0.5 - 0.5 * np.cos(np.pi * u)) + 0.3 * u  # slowest at every knot
    poses = np.zeros((n, 55, 3), np.float32)
    poses[:, 3, 0] = 0.08 * (seg + ease)  # spine1 bends forward one step per key
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=FPS)


def test_local_minima_are_strict_and_spaced():
    values = np.array([5, 4, 3, 4, 5, 5, 1, 5, 2, 5, 5, 5.0])
    assert list(local_minima(values, order=1)) == [2, 6, 8]
    assert list(local_minima(values, order=2)) == [2, 6]
    assert list(local_minima(np.ones(10), order=1)) == []


def test_beats_are_found_at_the_keyframes():
    beats = motion_beats(beating())
    # spine1 itself does not move (it rotates in place); the 12 joints above it beat.
    assert beats[0].size == 0
    for joint_beats in beats[1:]:
        nearest = np.min(np.abs(joint_beats[:, None] - KEYS[None, :]), axis=1)
        assert np.all(nearest <= 1.5 / FPS)
        assert len(joint_beats) >= len(KEYS) - 1


def test_aligned_beats_score_high_and_shifted_beats_lower():
    motion = beating()
    aligned = beat_consistency(motion, KEYS)
    assert aligned > 0.85  # 12 of 13 joints beat exactly on the onsets
    for shift in (0.3, 0.45):
        frames = int(round(shift * FPS))
        shifted = beat_consistency(motion[frames:], KEYS)
        assert shifted < aligned - 0.1


def test_frozen_motion_scores_zero():
    frozen = Motion.rest(300)
    frozen.poses[:, 18, 1] = -1.0
    assert beat_consistency(frozen, KEYS) == 0.0


def test_no_onsets_gives_nan():
    assert np.isnan(beat_consistency(beating(), []))
    assert np.isnan(beat_consistency(beating(100), [20.0, 30.0]))  # all after the end


def test_bad_sigma_is_refused():
    with pytest.raises(MotionValueError, match="sigma"):
        beat_consistency(beating(), KEYS, sigma=0)
