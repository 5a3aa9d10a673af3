"""Pitch (f0) with voicing per frame, by YIN on the signal decimated to 8 kHz.

YIN (de Cheveigne & Kawahara, 2002): the cumulative-mean-normalised difference function of a
40 ms window, the first dip under an absolute threshold (then the bottom of that dip), refined
by parabolic interpolation. A frame is voiced when that dip is deep (aperiodicity under
VOICING_THRESHOLD) and the frame is louder than VOICING_GATE. Vectorised over frames with FFT
correlation, on the frames loud enough to be voiced only: about 25 ms per minute of speech on
the 2-core machine, where librosa's pYIN takes many seconds. Its agreement with pYIN on real
speech is measured by benchmarks/bench_features.py.
"""

import numpy as np
from numpy.fft import irfft, rfft

from .spectrum import blocks, frames

PITCH_RATE = 8000  # f0 <= 500 Hz needs no more; halves the work
F0_MIN, F0_MAX = 50.0, 500.0  # Hz: low male to child voices
YIN_WINDOW = 0.04  # seconds: two periods of a 50 Hz voice
YIN_THRESHOLD = 0.15
VOICING_THRESHOLD = 0.35
VOICING_GATE = 0.01  # RMS: -40 dBFS after loudness normalisation


def pitch_track(x, fps, n_frames):
    """(f0 Hz (T,), voiced (T,) bool) at the motion frames t / fps of ``x`` at PITCH_RATE."""
    centers = np.round(np.arange(n_frames) * (PITCH_RATE / fps)).astype(np.int64)
    return yin(x, centers, PITCH_RATE)


def yin(x, centers, sr):
    """(f0 Hz, voiced) for frames of ``x`` centred on sample indices ``centers``. Frames under
    VOICING_GATE are unvoiced whatever their dip: the search runs on the others only (a fifth
    of a speaker's frames are pauses). Frames are taken a block at a time (spectrum.BLOCK: small
    temporaries, reused); each is computed alone."""
    centers = np.asarray(centers)
    f0 = np.zeros(len(centers))
    voiced = np.zeros(len(centers), bool)
    for part in blocks(len(centers)):
        f0[part], voiced[part] = _yin_block(x, centers[part], sr)
    return f0, voiced


def _yin_block(x, centers, sr):
    """:func:`yin` of one block of frames."""
    window = int(round(YIN_WINDOW * sr))
    tau_max = int(np.ceil(sr / F0_MIN))
    length = window + tau_max + 1
    seg = np.ascontiguousarray(frames(x, centers, length), dtype=np.float32)
    energy = np.zeros((len(seg), length + 1), dtype=np.float32)
    np.cumsum(np.square(seg), axis=1, out=energy[:, 1:])
    half = length // 2
    loud = np.sqrt(np.maximum(energy[:, half + window // 2] - energy[:, half - window // 2], 0.0) / window)
    heard = np.flatnonzero(loud >= VOICING_GATE)
    f0 = np.zeros(len(seg))
    voiced = np.zeros(len(seg), bool)
    f0[heard], voiced[heard] = _dips(seg[heard], energy[heard], window, tau_max, sr)
    return f0, voiced


def _dips(seg, energy, window, tau_max, sr):
    """(f0 Hz, voiced) of frames ``seg`` (F, length) with their running energy (F, length + 1)."""
    tau_min = int(np.floor(sr / F0_MAX))
    length = seg.shape[1]
    n_fft = 1 << int(np.ceil(np.log2(length)))
    # r[tau] = sum_j seg[j] seg[j + tau] over the first `window` samples (no wrap-around:
    # window + tau_max < length <= n_fft)
    head = rfft(seg[:, :window], n_fft, axis=1)
    whole = rfft(seg, n_fft, axis=1)
    corr = irfft(np.conj(head) * whole, n_fft, axis=1)[:, :tau_max + 1]
    taus = np.arange(tau_max + 1)
    shifted = energy[:, taus + window] - energy[:, taus]
    diff = np.maximum(energy[:, window:window + 1] + shifted - 2.0 * corr, 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(running, 1e-12)
    cmnd[running[:, -1] <= 1e-9] = 1.0  # digital silence: nothing periodic

    band = cmnd[:, tau_min:tau_max + 1]
    below = band < YIN_THRESHOLD
    crossed = below.any(axis=1)
    first = np.where(crossed, np.argmax(below, axis=1), np.argmin(band, axis=1))
    # from the first crossing, walk down to the bottom of that dip
    rising = np.ones(band.shape, dtype=bool)
    rising[:, :-1] = band[:, 1:] >= band[:, :-1]
    rising &= np.arange(band.shape[1]) >= first[:, None]
    tau = np.where(crossed, np.argmax(rising, axis=1), first) + tau_min
    rows = np.arange(len(band))
    left = cmnd[rows, np.maximum(tau - 1, 0)]
    mid = cmnd[rows, tau]
    right = cmnd[rows, np.minimum(tau + 1, tau_max)]
    curvature = left - 2.0 * mid + right
    safe = np.where(np.abs(curvature) > 1e-12, curvature, 1.0)
    shift = np.where(np.abs(curvature) > 1e-12, 0.5 * (left - right) / safe, 0.0)
    period = tau + np.clip(shift, -1.0, 1.0)
    voiced = mid < VOICING_THRESHOLD
    return np.where(voiced, sr / period, 0.0), voiced
