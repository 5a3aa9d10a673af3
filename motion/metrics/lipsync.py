"""Lip-sync timing against a reference alignment: do the lips close on p/b/m, does the jaw open
on vowels, when a reference (a forced aligner's TextGrid) says those phones sound.

Curves are per frame at ``fps`` (frame k at k / fps seconds); phones are objects with
``phone`` (ARPAbet, no stress digits), ``start`` and ``end`` (seconds).

- closure_errors(gap, fps, phones): the lip gap (metres, e.g. measured between two lip
  vertices of a mesh) closes (<= ``closed``) within ``reach`` of each bilabial: the distance of
  the closed instant nearest the phone's middle to the phone's interval (0 when the lips are
  shut during the phone), and the closure onset (the gap crossing ``closed``, interpolated
  between frames) against the phone's start.
- vowel_errors(jaw, fps, phones): per vowel, seconds between its middle and the jaw's widest
  opening within ``reach`` of it.
- opening_rate(jaw, fps): jaw openings per second (rises and falls of 15 % of the curve's
  5-95 % range): how often the jaw opens; a flapping mouth has many.
"""

import numpy as np

from ..facecurves import BILABIALS, VOWELS

CLOSED = 0.001  # metres between the lips that count as closed
REACH = 0.1  # seconds around a phone searched for its closure or opening


def _to_interval(t, start, end):
    return max(start - t, 0.0, t - end)


def closure_errors(gap, fps, phones, closed=CLOSED, reach=REACH):
    """(distance errors (B,) s, onset errors (O,) s, missed count) over the bilabials of
    ``phones``. Closures already shut before the reach (after a pause) have no onset."""
    gap = np.asarray(gap, np.float64)
    t = np.arange(len(gap)) / float(fps)
    errors, onsets, missed = [], [], 0
    for p in phones:
        if p.phone not in BILABIALS:
            continue
        near = np.flatnonzero((t >= p.start - reach) & (t <= p.end + reach))
        shut = near[gap[near] <= closed]
        if shut.size == 0:
            missed += 1
            continue
        k = shut[np.argmin(np.abs(t[shut] - 0.5 * (p.start + p.end)))]
        errors.append(_to_interval(t[k], p.start, p.end))
        while k > near[0] and gap[k - 1] <= closed:
            k -= 1
        if k > near[0]:
            crossing = (gap[k - 1] - closed) / (gap[k - 1] - gap[k])
            onsets.append(abs(t[k - 1] + crossing / fps - p.start))
    return np.array(errors), np.array(onsets), missed


def vowel_errors(jaw, fps, phones, reach=REACH):
    """(V,) seconds between each vowel's middle and the jaw's widest opening within ``reach``."""
    jaw = np.asarray(jaw, np.float64)
    t = np.arange(len(jaw)) / float(fps)
    errors = []
    for p in phones:
        if p.phone in VOWELS:
            middle = 0.5 * (p.start + p.end)
            near = np.flatnonzero(np.abs(t - middle) <= reach)
            if near.size:
                errors.append(abs(t[near[np.argmax(jaw[near])]] - middle))
    return np.array(errors)


def opening_rate(jaw, fps):
    """Jaw openings per second: rises of at least 15 % of the curve's 5-95 % range that fall
    back by as much (a hysteresis count of its peaks)."""
    jaw = np.asarray(jaw, np.float64)
    step = 0.15 * np.ptp(np.percentile(jaw, [5, 95]))
    count, rising, low, high = 0, False, jaw[0], jaw[0]
    for value in jaw:
        if rising:
            high = max(high, value)
            if high - value >= step:
                count, rising, low = count + 1, False, value
        else:
            low = min(low, value)
            if value - low >= step > 0:
                rising, high = True, value
    return count / (len(jaw) / float(fps))
