"""Onset strength and onset times: where syllables and beats start, for gesture timing.

The envelope is spectral flux on a 10 ms grid of the signal decimated to 8 kHz (speech onsets
show below 4 kHz; half the work): the mean positive rise in dB across 40 mel bands over 20 ms.
Onsets are its peaks: a local maximum within +-30 ms, above the +-100 ms mean by ONSET_DELTA
dB, at least 50 ms apart, where the signal is louder than -50 dBFS. On tone bursts the times
are exact to the 10 ms grid; on speech about 5 onsets per second (syllables) are found.
"""

import numpy as np

from ...motion.filters import maximum_filter1d, uniform_filter1d
from ..blas_threads import matmul
from .spectrum import MEL_FLOOR, blocks, frames, mel_filterbank, windowed_power

ONSET_RATE = 8000  # the envelope is computed on the signal decimated to this rate
N_MELS = 40
ONSET_HOP = 80  # 10 ms at 8 kHz: onset times are found on a finer grid than motion frames
ONSET_FFT = 256  # 32 ms window
ONSET_LAG = 2  # flux against the frame 20 ms earlier
ONSET_DELTA = 1.0  # dB of mean rise above the local average for a peak to count
ONSET_WAIT = 0.05  # seconds between two onsets at least
ONSET_GATE = 0.003  # no onsets where the signal is under -50 dBFS (pauses, breath noise)


def onset_envelope(x, sr):
    """Spectral-flux envelope on a 10 ms grid and the onset times (seconds) picked from it.

    x : (N,) float32 signal at ``sr`` (ONSET_RATE: see ``features.compute_features``).
    """
    n_fine = len(x) // ONSET_HOP + 1
    centers = np.arange(n_fine) * ONSET_HOP
    loudness = np.empty(n_fine)
    power = np.empty((n_fine, ONSET_FFT // 2 + 1), np.float32)
    for part in blocks(n_fine):  # small temporaries, reused (spectrum.BLOCK)
        windows = frames(x, centers[part], ONSET_FFT)
        loudness[part] = np.sqrt(np.einsum("ij,ij->i", windows, windows) / ONSET_FFT)
        power[part] = windowed_power(windows, ONSET_FFT)
    db = 10.0 * np.log10(np.maximum(matmul(power, mel_filterbank(sr, ONSET_FFT, N_MELS).T), MEL_FLOOR))
    db = np.maximum(db, db.max() - 80.0)
    envelope = np.zeros(n_fine, dtype=np.float64)
    if n_fine > ONSET_LAG:
        envelope[ONSET_LAG:] = np.maximum(0.0, db[ONSET_LAG:] - db[:-ONSET_LAG]).mean(axis=1)
    rate = sr / ONSET_HOP
    is_peak = envelope >= maximum_filter1d(envelope, size=7, mode="constant")
    is_peak &= envelope >= uniform_filter1d(envelope, size=21, mode="constant") + ONSET_DELTA
    is_peak &= loudness >= ONSET_GATE
    times = []
    wait = ONSET_WAIT * rate
    last = -np.inf
    for index in np.flatnonzero(is_peak):
        if index - last >= wait:
            times.append(index / rate)
            last = index
    return envelope, np.clip(np.asarray(times, dtype=np.float64), 0.0, None)


def pool_envelope(envelope, n_frames, fps, rate):
    """Max of the fine envelope around each motion frame (a frame's span, at least one sample)."""
    width = max(1, int(round(rate / fps)))
    pooled = maximum_filter1d(envelope, size=width, mode="nearest")
    index = np.clip(np.round(np.arange(n_frames) * (rate / fps)).astype(np.int64), 0, len(envelope) - 1)
    return pooled[index]
