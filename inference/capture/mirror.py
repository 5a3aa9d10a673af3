"""Frames where the detector read the speaker's left and right the wrong way round.

A pose detector now and then takes a person who faces the camera for one who faces away: for
a few frames the shoulders, elbows and wrists swap sides at once (the face is usually lost with
them). Fitted as they come, such frames swing the arms through the body and back (on one of the
rendered person videos: 15-19 % of the frames, the elbows 1.5-2.4 degrees worse and one-frame
jumps of the wrists of 0.5-0.9 m). They are told apart by the shoulders' order across the
picture: it reverses against the order the shot mostly shows, while the hips keep theirs (no
spine twists half a turn) or it turns back within one and a half seconds (nobody turns round
and back that fast: a half turn takes a person the better part of a second each way; from a
camera above a speaker facing it, the detector read the whole body, hips too, turned away for
up to 0.9 s, and the arms swung across the body by up to 0.28 m a frame). The arms and hands
of those frames are marked unseen; the motion term carries them.
"""

import numpy as np

from ...motion.runs import true_runs
from . import landmarks as L
from .track import body_box

REVERSED = 0.2  # shoulders' signed width across the picture, share of the torso's size
HIPS_REVERSED = 0.1  # the hips' signed width from which they turned with the shoulders
TURN_SECONDS = 1.5  # a reversal shorter than this is the detector's, whatever the hips say
ARM_POINTS = list(range(L.LEFT_SHOULDER, L.RIGHT_HIP))  # shoulders, elbows, wrists, hand points


def mirrored_frames(lm, fps):
    """(T,) bool: frames of one shot whose arms the detector put on the wrong sides."""
    _, size = body_box(lm)
    img = lm.body_image
    with np.errstate(invalid="ignore", divide="ignore"):
        shoulders = (img[:, L.LEFT_SHOULDER, 0] - img[:, L.RIGHT_SHOULDER, 0]) / size
        hips = (img[:, L.LEFT_HIP, 0] - img[:, L.RIGHT_HIP, 0]) / size
    ok = np.isfinite(shoulders) & np.isfinite(hips)
    if not np.any(ok):
        return np.zeros(lm.n_frames, bool)
    usual = np.sign(np.median(shoulders[ok]))
    reversed_ = ok & (shoulders * usual < -REVERSED)
    out = reversed_ & (hips * usual > -HIPS_REVERSED)
    for start, stop in true_runs(reversed_):
        if stop - start < TURN_SECONDS * fps:
            out[start:stop] = True
    return out


def forget_mirrored_arms(lm, fps):
    """A copy of ``lm`` (one shot) with the arms and hands of mirrored frames unseen, and how
    many frames that was."""
    frames = mirrored_frames(lm, fps)
    out = lm.select(slice(None))
    if np.any(frames):
        out.visibility = lm.visibility.copy()
        out.visibility[np.ix_(frames, ARM_POINTS)] = 0.0
        out.hands = lm.hands.copy()
        out.hands[frames] = np.nan
    return out, int(frames.sum())
