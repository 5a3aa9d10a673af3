"""Motion over time split into frequency bands (numpy FFT, the ends mirrored so that they do not
wrap): a zero-phase filter with one gain per band, and each band's size.

A band's gain holds over its middle and changes log-linearly across the edges between bands
(from ``lo * TRANSITION`` to ``hi / TRANSITION``), so gains that are all 1 leave the motion as
it is and one-hot gains give band masks that sum to 1. Used to bring a take's bands down to a
speaker's, attenuating only (ldm's spectrum, procedural's fingers).
"""

import numpy as np

PAD = 64  # frames at 30 fps mirrored at each end of a take before its FFT
TRANSITION = 2.0 ** 0.25  # a band's gain holds from lo x this to hi / this; between, log-linear


def band_curve(bands, values, freqs, below):
    """Per-band ``values`` at each of ``freqs`` (Hz): ``below`` under the slowest band, each
    band's value over its middle, log-linear across the edges between bands, the fastest band's
    beyond it. ``bands``: ((lo, hi), ...) Hz, slowest first; ``values`` (B,) or (B, C) for one
    curve per column."""
    values = np.asarray(values, np.float64)
    knots_f = [bands[0][0] / TRANSITION]
    knots_g = [np.full(values.shape[1:], float(below))]
    for (lo, hi), v in zip(bands, values):
        knots_f += [lo * TRANSITION, hi / TRANSITION]
        knots_g += [v, v]
    f = np.log(np.maximum(np.asarray(freqs, np.float64), 1e-6))
    knots_f = np.log(knots_f)
    # the interpolation is linear in the knots' values: its weights once, for every column
    weights = np.stack([np.interp(f, knots_f, e) for e in np.eye(len(knots_f))], axis=-1)
    return weights @ np.array(knots_g)


def padded_spectrum(values, fps):
    """(rfft over time of ``values`` mirrored at both ends, frequencies, pad, padded length)."""
    n = len(values)
    pad = min(n - 1, int(round(PAD * fps / 30.0)))
    padded = np.pad(values, [(pad, pad)] + [(0, 0)] * (values.ndim - 1), mode="reflect")
    return np.fft.rfft(padded, axis=0), np.fft.rfftfreq(len(padded), 1.0 / fps), pad, len(padded)


def zero_phase(columns, gains, bands, fps=30.0):
    """(T, C) ``columns`` filtered over time with the band ``gains`` ((B,) for every column or
    (B, C) one per column; 1 below the slowest band; a real gain per frequency: no phase shift)."""
    columns = np.asarray(columns, np.float64)
    if len(columns) < 3 or np.all(np.asarray(gains) >= 1.0):
        return columns.copy()
    return _filtered(*padded_spectrum(columns, fps), len(columns), gains, bands)


def band_rms(columns, bands, fps=30.0):
    """(B, C) the root mean square of each of the (T, C) ``columns`` in each band (through the
    band masks of :func:`zero_phase`), read off the spectrum of the take with its mirrored ends
    (Parseval: no inverse transform per band); NaN for a take too short to tell."""
    columns = np.asarray(columns, np.float64)
    if len(columns) < 4:
        return np.full((len(bands), columns.shape[1]), np.nan)
    return _spectrum_rms(*padded_spectrum(columns - columns.mean(axis=0), fps), bands)


def attenuate_to(columns, target, bands, fps=30.0, power=1.0):
    """(T, C) ``columns`` with each band brought down to ``target`` (B, C) RMS where it is
    above it, attenuating only: its gain min(1, target / its RMS) ** ``power``, zero phase, one
    transform each way (columns that need no gain are copied)."""
    columns = np.asarray(columns, np.float64)
    out = columns.copy()
    if len(columns) < 4:
        return out
    mean = columns.mean(axis=0)  # kept whole (below every band), and out of the transform's ends
    spectrum, freqs, pad, length = padded_spectrum(columns - mean, fps)
    rms = _spectrum_rms(spectrum, freqs, pad, length, bands)
    gains = np.ones_like(rms)
    known = rms > 1e-12
    gains[known] = np.minimum(1.0, np.asarray(target, np.float64)[known] / rms[known]) ** float(power)
    turned = np.flatnonzero((gains < 1.0).any(axis=0))
    if len(turned):
        out[:, turned] = mean[turned] + _filtered(spectrum[:, turned], freqs, pad, length, len(columns),
                                                  gains[:, turned], bands)
    return out


def _filtered(spectrum, freqs, pad, length, n, gains, bands):
    """(n, C) the take back from its padded spectrum with the band ``gains`` applied ((B,) for
    every column or (B, C) one per column; 1 below the slowest band)."""
    curve = band_curve(bands, gains, freqs, 1.0)
    return np.fft.irfft(spectrum * (curve if curve.ndim == 2 else curve[:, None]), n=length,
                        axis=0)[pad:pad + n]


def _spectrum_rms(spectrum, freqs, pad, length, bands):
    """(B, C) each band's RMS of the spectrum of a take (its mean taken out) with its mirrored
    ends (Parseval)."""
    weight = np.full(len(freqs), 2.0)  # each frequency but 0 and Nyquist stands for two
    weight[0] = 1.0
    if length % 2 == 0:
        weight[-1] = 1.0
    power = spectrum.real ** 2 + spectrum.imag ** 2
    masks = np.stack([band_curve(bands, np.eye(len(bands))[k], freqs, 0.0) for k in range(len(bands))])
    return np.sqrt((masks ** 2 * weight) @ power) / length
