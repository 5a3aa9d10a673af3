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
