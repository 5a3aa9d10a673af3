"""Does the speaker gesture while speaking? The longest stretch of speech in which neither hand
makes a stroke: a generator that stands idle through a phrase shows it at once.

A stroke is a peak of wrist speed (root-relative) above ``STROKE_SPEED``; the real take's
speaker makes about two a second with each hand and never goes more than 1.5 s of speech
without one.
"""

import numpy as np

from ..errors import MotionValueError
from ..runs import true_runs
from ..skeleton import WRISTS
from .kinematics import joint_positions

STROKE_SPEED = 0.5  # m/s: a wrist this fast is making a stroke, not drifting


def stroke_frames(motion, speed=STROKE_SPEED, skeleton=None):
    """(T,) bool: a wrist moves faster than ``speed`` m/s into this frame."""
    if motion.n_frames < 2:
        raise MotionValueError("strokes need at least 2 frames")
    wrists = joint_positions(motion, WRISTS, skeleton=skeleton)
    fast = np.zeros(motion.n_frames, bool)
    fast[1:] = np.linalg.norm(np.diff(wrists, axis=0), axis=-1).max(axis=-1) * motion.fps > speed
    return fast


def longest_idle_speech(motion, speaking, speed=STROKE_SPEED, skeleton=None):
    """Longest time (s) someone speaks while neither hand makes a stroke.

    speaking : (T,) bool per frame (pauses inside a phrase already bridged). 0 when there is no
    speech. Each run of speech is measured from its start, between strokes, to its end.
    """
    speaking = np.asarray(speaking, bool).reshape(-1)[:motion.n_frames]
    fast = stroke_frames(motion, speed, skeleton)[:len(speaking)]
    longest = 0
    for start, stop in true_runs(speaking):
        strokes = np.flatnonzero(fast[start:stop])
        longest = max(longest, int(np.diff(np.concatenate([[0], strokes, [stop - start]])).max()))
    return longest / motion.fps
