"""Short-time spectra at arbitrary (non-integer) hops: framing, Hann window, Slaney mel filters.

Frames are centred on given sample indices, so callers can sample a signal exactly at the
motion frame times whatever the hop.
"""

from functools import lru_cache

import numpy as np
from numpy.fft import rfft  # not scipy.fft: its import costs a take from the command line 0.1 s

from ..blas_threads import matmul

MEL_FLOOR = 1e-10  # power floor before any log: about 100 dB under loudness-normalised speech
# Frames a spectrum's temporaries are made for at a time (a 1024-point frame's float32 copy,
# window, float64 input and complex spectrum: some 40 kB). A block's few MB are freed and
# reused by the allocator from block to block; a minute's frames at once (tens of MB) were handed
# back to the system and page-faulted in afresh on every call: 13,000 faults and as much system
# CPU as the arithmetic's on 68 s. Every frame is computed alone, so its bits do not depend on it.
BLOCK = 256


def frames(x, centers, length):
    """(T, length) windows of ``x`` starting ``length // 2`` before each centre (zeros outside).
    Only the windows that cross an end are padded: a padded copy of a whole recording cost
    more than the windows themselves."""
    x = np.asarray(x)
    starts = np.asarray(centers, np.int64) - length // 2
    if len(x) < length:
        out = np.zeros((len(starts), length), x.dtype)
    else:
        windows = np.lib.stride_tricks.sliding_window_view(x, length)
        out = windows[np.clip(starts, 0, len(x) - length)]
    for row in np.flatnonzero((starts < 0) | (starts > len(x) - length)):
        lo, hi = max(starts[row], 0), min(starts[row] + length, len(x))
        out[row] = 0
        if hi > lo:
            out[row, lo - starts[row]:hi - starts[row]] = x[lo:hi]
    return out


def blocks(count):
    """Slices of ``count`` frames, BLOCK at a time."""
    return [slice(start, min(start + BLOCK, count)) for start in range(0, count, BLOCK)]


def power_spectrum(x, centers, n_fft):
    """(T, n_fft // 2 + 1) float32 power of Hann-windowed frames centred on ``centers``."""
    centers = np.asarray(centers)
    out = np.empty((len(centers), n_fft // 2 + 1), np.float32)
    for part in blocks(len(centers)):
        out[part] = windowed_power(frames(x, centers[part], n_fft), n_fft)
    return out


def windowed_power(windows, n_fft):
    """(T, n_fft // 2 + 1) float32 power of the (T, n_fft) ``windows`` under a Hann window."""
    spectrum = rfft(windows * hann(n_fft), axis=1)
    return (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)


def mel_power(x, centers, n_fft, filterbank, chunk=2048):
    """(T, n_mels) float32 mel power of the frames centred on ``centers``: the power spectrum
    taken ``chunk`` frames at a time, so a long recording never holds all its (T, n_fft)
    frames at once (an hour of audio at 100 frames a second: 1.4 GB of them)."""
    centers = np.asarray(centers)
    out = np.empty((len(centers), filterbank.shape[0]), np.float32)
    for start in range(0, len(centers), chunk):
        part = slice(start, start + chunk)
        out[part] = matmul(power_spectrum(x, centers[part], n_fft), filterbank.T)
    return out


def dct_ortho(x, first, count):
    """Coefficients first..first+count of the orthonormal DCT-II along the last axis of ``x``."""
    return matmul(x, _dct_basis(x.shape[-1], first, count).T.astype(x.dtype, copy=False))


@lru_cache(maxsize=8)
def _dct_basis(n, first, count):
    """(count, n) rows of the orthonormal DCT-II matrix, from row ``first``."""
    k = np.arange(first, first + count)[:, None]
    basis = np.sqrt(2.0 / n) * np.cos(np.pi * k * (2 * np.arange(n) + 1) / (2 * n))
    basis[k[:, 0] == 0] /= np.sqrt(2.0)
    return basis


@lru_cache(maxsize=8)
def hann(n):
    """Periodic Hann window of n samples (float32)."""
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)


def hz_to_mel(hz):
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3.0)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3.0)
    log_part = 1000.0 * np.exp((mel - 15.0) * (np.log(6.4) / 27.0))
    return np.where(mel >= 15.0, log_part, linear)


@lru_cache(maxsize=8)
def mel_filterbank(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """(n_mels, n_fft // 2 + 1) triangular filters on the Slaney mel scale, area-normalised."""
    fmax = sr / 2.0 if fmax is None else fmax
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    bins = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    lower, center, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (center - lower)
    falling = (upper - bins) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    weights.setflags(write=False)
    return weights.astype(np.float32)


def hop_rms(x, n_frames, hop):
    """(T,) RMS over each frame's own span [(t - 1/2) hop, (t + 1/2) hop) of samples."""
    edges = np.clip(np.round((np.arange(n_frames + 1) - 0.5) * hop).astype(np.int64), 0, len(x))
    counts = edges[1:] - edges[:-1]
    sums = np.zeros(n_frames, dtype=np.float64)
    filled = counts > 0
    if filled.any():
        starts = edges[:-1][filled]
        sums[filled] = np.add.reduceat(np.square(x, dtype=np.float32), starts)[: filled.sum()]
        # reduceat sums each start up to the next start: fix the spans that stop earlier
        ends = edges[1:][filled]
        follow = np.append(starts[1:], len(x))
        for i in np.flatnonzero(follow != ends):
            sums[np.flatnonzero(filled)[i]] = np.sum(np.square(x[starts[i]:ends[i]], dtype=np.float64))
    return np.sqrt(sums / np.maximum(counts, 1))
