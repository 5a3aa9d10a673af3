"""The noise DR² puts on a window's initial state (supplement Eq. 1), shared by training and
the generator: numpy only."""

import numpy as np


def state_noise(rng, sigma, layout, size=()):
    """(*size, D) Gaussian noise of standard deviation ``sigma`` on the pose vector's 6-D rotation
    entries, 0 on the expression coefficients.

    sigma : scalar or array broadcasting to (*size, 1). The paper adds N(0, sigma), sigma in
        [0.1, 0.3], to its pose parameters (axis-angle radians); a 6-D rotation entry moves by
        about as much as the angle, so sigma is used as is, not scaled per entry. The face has
        its own decoder and no noise, as in the paper.
    """
    noise = np.zeros((*size, layout.dim))
    noise[..., :layout.rot_dim] = rng.standard_normal((*size, layout.rot_dim))
    return np.asarray(sigma) * noise


POSTURE_SIGMA = 2.0  # seconds: what moves slower than this is the speaker's posture


def slow_postures(ranges, fps):
    """(sum of lengths, D) each frame's posture: the pose vectors of every (T, D) array in
    ``ranges`` low-passed over POSTURE_SIGMA (the gestures averaged out)."""
    from ..neural.smoothing import smooth_columns

    return np.concatenate([smooth_columns(v, np.arange(v.shape[1]), POSTURE_SIGMA * fps)
                           for v in ranges])


def posture_offset(postures, pick, share, layout):
    """(D,) how far the upper body of posture ``pick`` of ``postures`` (K, D) stands from their
    mean, times ``share``: a seed's stance. The speaker's stance drifts over a take (the thirds
    of the shared take stand 0.145 rad apart, ``motion.metrics.posture.stance_spread``); a
    recurrent model forgets where its first window started and without this gives every seed
    nearly the same stance (0.01-0.02 rad apart)."""
    from ...motion.skeleton import UPPER_BODY

    postures = np.asarray(postures, np.float64)
    offset = np.zeros(layout.dim)
    columns = layout.joint_columns(UPPER_BODY)
    offset[columns] = share * (postures[pick, columns] - postures[:, columns].mean(axis=0))
    return offset
