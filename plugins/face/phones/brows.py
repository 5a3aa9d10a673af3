"""Brows: raised on the words a speaker stresses with a high pitch.

A word is a candidate when its pitch peak is well above the speaker's median and it is spoken
loud; the most prominent are kept at least MIN_GAP apart (brows that go up on every word say
nothing). Each raise starts shortly before the pitch peak, holds to the end of the word and
settles over about half a second; the eyes widen a little with it.
"""

import bisect

import numpy as np

from ....motion.runs import true_runs
from .coarticulation import frames_between

RISE, SETTLE = 0.15, 0.45  # seconds before the peak / after the word
MIN_SEMITONES = 2.0  # pitch peak above the speaker's median that can raise the brows
MIN_ENERGY = 0.35  # loudness (0..~1) a raising word needs
MIN_GAP = 1.2  # seconds between two raises
PEAK = 0.6  # browInnerUp of the most prominent raise at brow amount 1
OUTER, WIDE = 0.8, 0.25  # browOuterUp and eyeWide relative to browInnerUp


def semitones(f0, voiced):
    """(T,) pitch in semitones from the median of the voiced frames, NaN where unvoiced."""
    f0 = np.asarray(f0, np.float64)
    ok = np.asarray(voiced, bool) & (f0 > 40.0)
    out = np.full(len(f0), np.nan)
    if ok.sum() >= 3:
        out[ok] = 12.0 * np.log2(f0[ok] / np.median(f0[ok]))
    return out


def raises(words, pitch, energy, fps):
    """[(peak time, end time, strength 0..1)] of the brow raises, from words (with .start, .end)
    or, without words, from voiced stretches."""
    spans = [(w.start, w.end) for w in words] or _voiced_spans(pitch, fps)
    n = len(pitch)
    if not spans or n == 0:
        return []
    span = np.asarray(spans, np.float64).reshape(-1, 2)
    a = np.clip(np.floor(span[:, 0] * fps).astype(np.int64), 0, n - 1)
    b = np.clip(np.ceil(span[:, 1] * fps).astype(np.int64) + 1, a + 1, n)
    filled = np.where(np.isnan(pitch), -np.inf, pitch)
    cumulative = np.concatenate([[0.0], np.cumsum(energy)])
    loud = (cumulative[b] - cumulative[a]) / (b - a)
    candidates = []
    for i in np.flatnonzero(loud >= MIN_ENERGY):
        part = filled[a[i]:b[i]]
        k = int(np.argmax(part))
        if part[k] < MIN_SEMITONES:
            continue
        score = np.clip((part[k] - MIN_SEMITONES) / 4.0 + 0.3, 0.3, 1.0) * min(1.0, loud[i] / 0.7)
        candidates.append(((a[i] + k) / fps, span[i, 1], float(score)))
    chosen, peaks = [], []  # peaks: the chosen ones' times, kept in order
    for peak_t, end, score in sorted(candidates, key=lambda c: -c[2]):
        at = bisect.bisect_left(peaks, peak_t)  # the nearest chosen are either side of it
        if all(abs(peak_t - other) >= MIN_GAP for other in peaks[max(0, at - 1):at + 1]):
            chosen.append((peak_t, end, score))
            peaks.insert(at, peak_t)
    return sorted(chosen)


def brow_curves(times, raise_list, amount, rng):
    """{ARKit brow and eyeWide names: (T,)} for the raises at ``amount`` (0 = still brows)."""
    inner = np.zeros(len(times))
    outer = {"L": np.zeros(len(times)), "R": np.zeros(len(times))}
    for peak_t, end, score in raise_list:
        end = max(end, peak_t)
        near = frames_between(times, peak_t - RISE - 1.0, end + SETTLE + 1.0)  # the raise is 0 beyond
        up = np.clip((times[near] - (peak_t - RISE)) / RISE, 0.0, 1.0)
        down = np.clip(1.0 - (times[near] - end) / SETTLE, 0.0, 1.0)
        bump = np.minimum(_ease(up), _ease(down))
        height = PEAK * score * amount
        inner[near] = np.maximum(inner[near], height * bump)
        for side in outer:
            outer[side][near] = np.maximum(outer[side][near], OUTER * height * rng.uniform(0.9, 1.1) * bump)
    curves = {"browInnerUp": inner, "browOuterUp_L": outer["L"], "browOuterUp_R": outer["R"],
              "eyeWide_L": WIDE * inner, "eyeWide_R": WIDE * inner}
    return {name: np.clip(values, 0.0, 1.0) for name, values in curves.items()}


def _ease(x):
    return x * x * (3.0 - 2.0 * x)


def _voiced_spans(pitch, fps):
    """[(start, end)] seconds of the voiced stretches (stand-ins for words when there are none)."""
    return [(a / fps, b / fps) for a, b in true_runs(~np.isnan(pitch))]
