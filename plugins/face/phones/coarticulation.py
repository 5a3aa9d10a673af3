"""Mouth segments -> articulator, viseme and mouth-shape tracks, with coarticulation.

Cohen & Massaro's dominance model: each segment s pulls articulator p toward its target
T[s, p] with a dominance that is flat over the segment's own time and falls off outside it,

    D[s, p](t) = strength[s] * alpha[s, p] * exp(-distance(t, s) / reach[p]),

where distance is how far t lies before the segment's start (anticipation, reach[p, 0]) or
after its end (carry-over, reach[p, 1]); the track is the dominance-weighted mean of the
targets, F[p](t) = sum_s D T / sum_s D. Neighbours thus shape every segment, fast speech
averages into smaller movements instead of flapping, and the segments whose dominance is huge
(lip closure for p/b/m, the lower lip for f/v) keep their shape whatever surrounds them. A
last pass makes sure of it: a closure, a teeth-on-lip and a rounding always reach their target
on at least one frame, however short the phone.
"""

import numpy as np

from ....motion.facecurves import MOUTH_SHAPES, VISEMES
from ....motion.filters import gaussian_filter1d
from .visemes import A, ARTICULATORS, BILABIALS, GROUPS, LABIODENTALS, REACH, ROUNDED, viseme_table

GROUP_OF = {name: g for g, names in enumerate(GROUPS.values()) for name in names}

WINDOW = 0.45  # seconds either side of a frame in which segments are looked at
WEIGHT_REACH = 0.025  # seconds: how far viseme and mouth-shape weights spread past a segment
ROUND_KEEP = 0.85  # share of its rounding target a rounded phone always reaches


def frame_times(n_frames, fps):
    """(T,) seconds of each motion frame."""
    return np.arange(int(n_frames), dtype=np.float64) / float(fps)


def frames_between(times, lo, hi):
    """The slice of the increasing ``times`` (seconds) from ``lo`` to ``hi``, both included."""
    return slice(int(np.searchsorted(times, lo, side="left")), int(np.searchsorted(times, hi, side="right")))


def articulate(segments, times, smoothing=0.02):
    """Tracks of the segments at ``times`` (seconds, (T,) increasing).

    smoothing : seconds, the sigma of a Gaussian over the articulator tracks (0: none).
    Returns (articulators (T, P), viseme weights (T, 15), mouth-shape weights (T, 9)).
    """
    targets, alpha = viseme_table()
    seg_targets = targets[segments.viseme].copy()  # (N, P)
    seg_targets[:, A["jaw"]] *= segments.jaw_scale
    group = np.array([GROUP_OF[name] for name in ARTICULATORS])  # (P,) group of each articulator
    first = [ARTICULATORS.index(names[0]) for names in GROUPS.values()]
    seg_alpha = alpha[segments.viseme][:, first] * segments.strength[:, None]  # (N, G)
    reach = np.array([REACH[g] for g in GROUPS])  # (G, 2)

    idx, before, after = _band(segments, times)
    # (T, K, G) dominance of the K nearby segments on each articulator group
    fall = np.exp(-before[..., None] / reach[:, 0].astype(np.float32)
                  - after[..., None] / reach[:, 1].astype(np.float32))
    dom = seg_alpha.astype(np.float32)[idx] * fall
    dom /= np.maximum(dom.sum(1, keepdims=True), 1e-12)
    near_targets = seg_targets.astype(np.float32)[idx]  # (T, K, P)
    tracks = np.empty((len(times), len(ARTICULATORS)))
    for g, names in enumerate(GROUPS.values()):
        cols = [A[name] for name in names]
        tracks[:, cols] = np.einsum("tk,tkc->tc", dom[:, :, g], near_targets[:, :, cols])

    weight_dom = (np.sqrt(alpha[segments.viseme].max(1)) * segments.strength).astype(np.float32)
    wdom = weight_dom[idx] * np.exp(-(before + after) / np.float32(WEIGHT_REACH))
    wdom /= np.maximum(wdom.sum(1, keepdims=True), 1e-12)
    visemes = _accumulate(wdom, segments.viseme[idx], len(VISEMES))
    shapes = _accumulate(wdom, segments.shape[idx], len(MOUTH_SHAPES))

    if smoothing > 0 and len(times) > 1:
        sigma = smoothing / max(float(np.median(np.diff(times))), 1e-6)
        tracks = gaussian_filter1d(tracks, sigma, axis=0, mode="nearest")
    _keep_contacts(segments, times, tracks, visemes, shapes, seg_targets)
    return np.clip(tracks, 0.0, 1.0), visemes, shapes


def _band(segments, times):
    """Indices (T, K) of the segments within WINDOW of each time, and the distance (T, K)
    seconds (float32) each time lies before the segment's start / after its end (infinite for
    the padding of a band narrower than K)."""
    lo = np.searchsorted(segments.end, times - WINDOW, side="left")
    hi = np.searchsorted(segments.start, times + WINDOW, side="right")
    hi = np.maximum(hi, lo + 1)
    width = int(max(1, (hi - lo).max(initial=1)))
    idx = lo[:, None] + np.arange(width)[None, :]
    padding = idx >= hi[:, None]
    idx = np.minimum(idx, len(segments) - 1)
    t = times[:, None]
    before = np.maximum(segments.start[idx] - t, 0.0).astype(np.float32)
    after = np.maximum(t - segments.end[idx], 0.0).astype(np.float32)
    before[padding] = np.inf
    return idx, before, after


def _accumulate(weights, labels, n_labels):
    """(T, L) sums of ``weights`` (T, K) by ``labels`` (T, K)."""
    n = weights.shape[0]
    flat = (np.arange(n)[:, None] * n_labels + labels).ravel()
    return np.bincount(flat, weights.ravel(), minlength=n * n_labels).reshape(n, n_labels)


def contact_frames(start, end, times):
    """Frames a segment [start, end] must show its contact on: the frames inside it, or the
    nearest one when the segment falls between two frames."""
    inside = frames_between(times, start, end)
    if inside.stop > inside.start:
        return np.arange(inside.start, inside.stop)
    return np.array([int(np.argmin(np.abs(times - 0.5 * (start + end))))])


def _keep_contacts(segments, times, tracks, visemes, shapes, seg_targets):
    """Closures (p b m), teeth on lip (f v) and rounding (w oo ch ...) are never skipped."""
    closed, teeth = VISEMES.index("PP"), VISEMES.index("FF")
    for kinds, rule in ((BILABIALS, "close"), (LABIODENTALS, "teeth"), (ROUNDED, "round")):
        for s in np.flatnonzero([phone in kinds for phone in segments.phone]):
            frames = contact_frames(segments.start[s], segments.end[s], times)
            if rule == "close":
                tracks[frames, A["close"]] = 1.0
                _favour(visemes, shapes, frames, closed, MOUTH_SHAPES.index("A"))
            elif rule == "teeth":
                tracks[frames, A["tuck"]] = np.maximum(tracks[frames, A["tuck"]], 1.0)
                tracks[frames, A["close"]] = 0.0
                _favour(visemes, shapes, frames, teeth, MOUTH_SHAPES.index("G"))
            else:
                for key in ("pucker", "funnel"):
                    goal = ROUND_KEEP * seg_targets[s, A[key]]
                    tracks[frames, A[key]] = np.maximum(tracks[frames, A[key]], goal)


def _favour(visemes, shapes, frames, viseme, shape):
    """Make ``viseme`` and ``shape`` the strongest at ``frames`` (weights still sum to 1)."""
    for weights, k in ((visemes, viseme), (shapes, shape)):
        rows = weights[frames]
        rows *= 0.2
        rows[:, k] += 0.8
        weights[frames] = rows
