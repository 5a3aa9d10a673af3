"""Scaling a regressed take back up to the speaker's pace (``plugins.neural.liveliness``), on the
real take: its gestures shrunk as a model trained on little data shrinks them must come back
close to the real ones, posture and pauses kept."""

import numpy as np
import pytest

from talkrig.plugins.neural.layout import PoseLayout, motion_to_vectors
from talkrig.plugins.neural.liveliness import (MAX_GAIN, SPEED_JOINTS, UPPER_JOINTS, liven,
                                               speech_speed)
from talkrig.plugins.neural.smoothing import smooth_columns


@pytest.fixture(scope="module")
def take(scott_motion, scott_wav):
    """(vectors, columns, measured, speaking) of the real take's first 30 s."""
    from talkrig.inference.activity import speech_activity
    from talkrig.inference.audio import decode_audio
    from talkrig.inference.features import features_for

    n = 900
    layout = PoseLayout(n_expressions=0)
    speaking = speech_activity(features_for(decode_audio(str(scott_wav)), 30.0))[:n]
    return (motion_to_vectors(scott_motion[:n], layout), layout.joint_columns(UPPER_JOINTS),
            layout.joint_columns(SPEED_JOINTS), speaking)


def shrunk(vectors, columns, factor):
    """The take regressed toward a slow version of itself: gestures ``factor`` as large."""
    slow = smooth_columns(vectors, columns, 15.0)
    out = vectors.copy()
    out[:, columns] = slow[:, columns] + factor * (vectors[:, columns] - slow[:, columns])
    return out


def test_shrunk_gestures_come_back_to_the_speakers_pace(take):
    vectors, columns, measured, speaking = take
    target = speech_speed(vectors, measured, speaking)
    small = shrunk(vectors, columns, 0.35)
    assert speech_speed(small, measured, speaking) < 0.5 * target
    out, gain = liven(small, columns, measured, speaking, target)
    assert 2.3 < gain < MAX_GAIN
    assert speech_speed(out, measured, speaking) == pytest.approx(target, rel=0.1)
    # The gestures themselves come back, not just their speed: nearer the real take than before.
    error = np.abs(out[:, columns] - vectors[:, columns]).mean()
    assert error < 0.75 * np.abs(small[:, columns] - vectors[:, columns]).mean()
    # Joints outside ``columns`` (legs, jaw) are untouched.
    others = np.setdiff1d(np.arange(vectors.shape[1]), columns)
    np.testing.assert_array_equal(out[:, others], small[:, others])


def test_pauses_keep_their_calm_relative_to_speech(take):
    vectors, columns, measured, speaking = take
    small = shrunk(vectors, columns, 0.35)
    out, _ = liven(small, columns, measured, speaking, speech_speed(vectors, measured, speaking))

    def pause_ratio(v):
        return speech_speed(v, measured, ~speaking) / speech_speed(v, measured, speaking)

    assert pause_ratio(out) == pytest.approx(pause_ratio(small), rel=0.15)


def test_never_slows_down_and_leaves_silence_and_strength_zero_alone(take):
    vectors, columns, measured, speaking = take
    target = speech_speed(vectors, measured, speaking)
    fast, gain = liven(vectors, columns, measured, speaking, 0.5 * target)
    assert gain == 1.0 and speech_speed(fast, measured, speaking) > 0.8 * target
    for kwargs in ({"speaking": np.zeros(len(speaking), bool)}, {"strength": 0.0}):
        args = {"speaking": speaking, **kwargs}
        out, gain = liven(shrunk(vectors, columns, 0.3), columns, measured, args.pop("speaking"),
                          target, **args)
        assert gain == 1.0
    half, gain_half = liven(shrunk(vectors, columns, 0.35), columns, measured, speaking, target,
                            strength=0.5)
    _, gain_full = liven(shrunk(vectors, columns, 0.35), columns, measured, speaking, target)
    assert gain_half == pytest.approx(1.0 + 0.5 * (gain_full - 1.0))
    _, capped = liven(shrunk(vectors, columns, 0.1), columns, measured, speaking, target)
    assert capped == MAX_GAIN
