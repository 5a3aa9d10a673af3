"""The diffusion noise schedule and the DDIM update, in numpy: the same numbers in training
(``train``) and sampling (``generator``).

Cosine schedule (Nichol & Dhariwal 2021): alpha_bar(t) = cos^2(((t / T) + s) / (1 + s) pi / 2),
s = 0.008, normalised to alpha_bar(0) = 1 and clipped so no step removes more than 0.999 of the
signal. DDIM (Song et al. 2021) turns a sample prediction x0 at step t into the sample at an
earlier step t' (deterministically for eta = 0); a few steps of it cover the whole chain.

The denoiser may predict the clean sample x0 ("sample") or the velocity
v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0 ("v", Salimans & Ho 2022,
progressive distillation); :func:`clean_sample` turns either into x0.
"""

import numpy as np

STEPS = 1000  # diffusion steps of training


def alpha_bars(steps=STEPS):
    """(steps + 1,) float64 cumulative signal fractions alpha_bar(t), t = 0 .. steps."""
    s = 0.008
    t = np.arange(steps + 1, dtype=np.float64) / steps
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    ab = f / f[0]
    betas = np.clip(1.0 - ab[1:] / ab[:-1], 0.0, 0.999)
    return np.concatenate([[1.0], np.cumprod(1.0 - betas)])


def sampling_times(n, steps=STEPS):
    """The n diffusion steps DDIM visits, from ``steps`` down to 1 evenly (int array)."""
    n = max(1, min(int(n), steps))
    return np.unique(np.round(np.linspace(steps, 1, n)).astype(np.int64))[::-1]


PREDICTIONS = ("sample", "v")


def clean_sample(out, x_t, ab_t, prediction):
    """The predicted clean sample x0 from the denoiser's output ``out`` at signal fraction
    ``ab_t`` (a float, or an array / tensor broadcasting against ``out``).

    "v": x0 = sqrt(ab) x_t - sqrt(1 - ab) v; "sample": x0 = out. Works on numpy and torch."""
    if prediction == "sample":
        return out
    return ab_t ** 0.5 * x_t - (1.0 - ab_t) ** 0.5 * out


def v_target(x0, noise, ab_t):
    """The v target of clean sample ``x0`` and its ``noise`` at signal fraction ``ab_t``."""
    return ab_t ** 0.5 * noise - (1.0 - ab_t) ** 0.5 * x0


def ddim_step(x_t, x0, ab_t, ab_prev, eta=0.0, rng=None):
    """The sample at the earlier step (signal fraction ``ab_prev``) from ``x_t`` (at ``ab_t``) and
    the predicted clean sample ``x0``. eta = 0: deterministic DDIM; eta = 1: as much fresh noise
    (drawn from ``rng``) as the ancestral sampler adds (DDIM Eq. 16)."""
    eps = (x_t - np.sqrt(ab_t) * x0) / np.sqrt(max(1.0 - ab_t, 1e-12))
    sigma = eta * np.sqrt((1.0 - ab_prev) / max(1.0 - ab_t, 1e-12) * (1.0 - ab_t / ab_prev))
    out = np.sqrt(ab_prev) * x0 + np.sqrt(max(1.0 - ab_prev - sigma ** 2, 0.0)) * eps
    return out + sigma * rng.standard_normal(np.shape(x_t)) if sigma > 0 else out
