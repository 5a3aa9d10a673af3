"""Undo a trained model's regression to the mean: scale its gestures up to the training
speaker's pace.

Trained on a minute of speech, a regressor hedges on audio it has never heard: its output stays
near the mean pose and moves at a third to a half of the speaker's speed, although it meets the
speaker's speed on its training windows. The gesture band of the output (the pose minus a slow
version of itself, ``SLOW_SIGMA``) is multiplied by one gain per take, chosen so that the mean
pose-vector speed over the frames of speech matches the training speaker's (stored in the model
at training time as ``speech_speed``). Jitter above the gesture band (finer than ``FINE_SIGMA``)
is left out before the scaling so it is not amplified too. The gain never slows a model down,
never exceeds ``MAX_GAIN``, and is the same over the whole take, so pauses stay as calm,
relative to speech, as the model made them. numpy only.
"""

import numpy as np

from .smoothing import smooth_columns

SLOW_SIGMA = 15.0  # frames at 30 fps: what is slower than this is posture, kept as it is
FINE_SIGMA = 1.5  # frames at 30 fps: what is faster than this is jitter, dropped before scaling
MAX_GAIN = 4.0
SPEED_JOINTS = (3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)  # spine, neck, head, arms
UPPER_JOINTS = SPEED_JOINTS + tuple(range(25, 55))  # and the fingers


def speech_speed(vectors, columns, speaking):
    """Mean per-frame change (vector units per frame) of ``columns`` over the frames of speech.

    vectors : (T, D) pose vectors; speaking : (T,) bool. 0.0 when there is no speech.
    """
    steps = np.linalg.norm(np.diff(np.asarray(vectors, np.float64)[:, columns], axis=0), axis=1)
    mask = np.asarray(speaking, bool)[1:] & np.asarray(speaking, bool)[:-1]
    return float(steps[mask].mean()) if mask.any() else 0.0


def liven(vectors, columns, measured, speaking, target, fps=30.0, strength=1.0,
          fine_sigma=FINE_SIGMA, max_gain=MAX_GAIN):
    """(T, D) pose vectors with the gesture band of ``columns`` scaled toward the ``target``
    speed, and the gain used (1.0: unchanged).

    measured : the columns whose speech_speed is matched (a subset of ``columns``).
    speaking : (T,) bool. target : speech_speed of the training takes (vector units per frame
    at ``fps``). strength : 0..1, how much of the way from gain 1 to the matching gain to go.
    """
    vectors = np.asarray(vectors, np.float32)
    if target <= 0.0 or strength <= 0.0:
        return vectors, 1.0
    scale = fps / 30.0
    base = smooth_columns(vectors, columns, SLOW_SIGMA * scale)[:, columns]
    band = smooth_columns(vectors, columns, fine_sigma * scale)[:, columns] - base

    def with_gain(g):
        out = vectors.copy()
        out[:, columns] = base + g * band
        return out

    now = speech_speed(with_gain(1.0), measured, speaking)
    per_gain = speech_speed(with_gain(2.0), measured, speaking) - now  # speed is ~linear in g
    if now <= 0.0 or per_gain <= 1e-9:
        return vectors, 1.0
    gain = float(np.clip(1.0 + (target - now) / per_gain, 1.0, max_gain))
    gain = 1.0 + strength * (gain - 1.0)
    return with_gain(gain), gain
