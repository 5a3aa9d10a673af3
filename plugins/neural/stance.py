"""A seed's stance (numpy only): the training speaker's posture, which drifts over a take, at
one of a few moments of his training frames, kept by the whole generated take.

The shared take's thirds stand 0.145 rad apart (``motion.metrics.posture.stance_spread``), but a
network forgets where a take started within seconds and, without this, gives every seed nearly
the same stance (dr2 0.01-0.02, a2g and ldm 0.013-0.023 rad apart). Trainers store the postures
(``postures``, at the frames of dr2's starting poses); a generator with the ``stance`` option
moves the upper body by a share of how far the seed's one stood from their mean.
"""

import numpy as np

POSTURE_SIGMA = 2.0  # seconds: what moves slower than this is the speaker's posture
POSTURES = 16  # postures a trainer stores, evenly spread over its training frames
STANCE = 0.5  # the share of the seed's posture's offset a take keeps by default


def slow_postures(ranges, fps):
    """(sum of lengths, D) each frame's posture: the pose vectors of every (T, D) array in
    ``ranges`` low-passed over POSTURE_SIGMA (the gestures averaged out)."""
    from .smoothing import smooth_columns

    return np.concatenate([smooth_columns(v, np.arange(v.shape[1]), POSTURE_SIGMA * fps)
                           for v in ranges])


def spread_postures(ranges, fps, count=POSTURES):
    """(count, D) postures at evenly spread frames of ``ranges`` (:func:`slow_postures`)."""
    postures = slow_postures(ranges, fps)
    return postures[np.linspace(0, len(postures) - 1, count).astype(int)]


def posture_offset(postures, pick, share, layout):
    """(D,) how far the upper body of posture ``pick`` of ``postures`` (K, D) stands from their
    mean, times ``share``: a seed's stance."""
    from ...motion.skeleton import UPPER_BODY

    postures = np.asarray(postures, np.float64)
    offset = np.zeros(layout.dim)
    columns = layout.joint_columns(UPPER_BODY)
    offset[columns] = share * (postures[pick, columns] - postures[:, columns].mean(axis=0))
    return offset
