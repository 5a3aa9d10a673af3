"""Dynamic time warping in a band, so hours of audio fit in memory.

Two feature sequences are warped onto each other with the usual steps (both, first only,
second only). Short pairs are warped in full; longer ones first at a coarse frame rate (frames
averaged in blocks until the coarse grid has at most MAX_CELLS cells), and then at full
resolution only in a band around the coarse path: memory and time grow with the length, not
with its square (aeneas' aligner does the same in stripes).
"""

import numba
import numpy as np

MAX_CELLS = 4_000_000  # cells of the grid warped in full (16 MB of float32)
MIN_RADIUS = 40  # frames on either side of the coarse path kept at full resolution


def warp(a, b, activity_a=None, activity_b=None, activity_weight=0.0, progress=None):
    """(P, 2) int path of (frame of ``a``, frame of ``b``) pairs from (0, 0) to the last frames.

    a, b : (N, D), (M, D) float features. activity_a, activity_b : (N,), (M,) 0..1 (speech),
    whose difference adds ``activity_weight`` to the cost of matching two frames.
    """
    a = np.ascontiguousarray(a, np.float32)
    b = np.ascontiguousarray(b, np.float32)
    n, m = len(a), len(b)
    sa = np.zeros(n, np.float32) if activity_a is None else np.asarray(activity_a, np.float32)
    sb = np.zeros(m, np.float32) if activity_b is None else np.asarray(activity_b, np.float32)
    if n * m <= MAX_CELLS:
        lo, hi = np.zeros(n, np.int64), np.full(n, m, np.int64)
    else:
        k = int(np.ceil(np.sqrt(n * m / MAX_CELLS)))
        coarse = warp(_blocks(a, k), _blocks(b, k), _blocks(sa, k), _blocks(sb, k), activity_weight)
        if progress is not None:
            progress(0.5)
        lo, hi = _band(coarse, k, n, m, max(MIN_RADIUS, 2 * k))
    return _path(a, b, sa, sb, lo, hi, float(activity_weight))


def _blocks(x, k):
    """Means of ``k`` consecutive frames (the last block may be shorter)."""
    x = np.asarray(x, np.float32)
    n = len(x)
    pad = (-n) % k
    if pad:
        x = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)])
    return x.reshape((len(x) // k, k) + x.shape[1:]).mean(axis=1)


def _band(coarse, k, n, m, radius):
    """Per fine row of ``a``, the column range [lo, hi) within ``radius`` of the coarse path."""
    lo = np.full(n, m, np.int64)
    hi = np.zeros(n, np.int64)
    for ci, cj in coarse:
        rows = slice(ci * k, min(n, (ci + 1) * k))
        lo[rows] = np.minimum(lo[rows], cj * k)
        hi[rows] = np.maximum(hi[rows], min(m, (cj + 1) * k))
    # widen by the radius across rows and columns; neighbouring rows then always overlap
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    lo = np.maximum(0, minimum_filter1d(lo, 2 * radius + 1) - radius)
    hi = np.minimum(m, maximum_filter1d(hi, 2 * radius + 1) + radius)
    lo[0], hi[-1] = 0, m
    return lo, hi


def _path(a, b, sa, sb, lo, hi, weight):
    offsets = np.zeros(len(a) + 1, np.int64)
    np.cumsum(hi - lo, out=offsets[1:])
    steps = _accumulate(a, b, sa, sb, lo, hi, offsets, weight)
    return _backtrack(steps, lo, offsets, len(a), len(b))


@numba.njit(cache=True)
def _accumulate(a, b, sa, sb, lo, hi, offsets, weight):  # pragma: no cover (compiled)
    n, d = a.shape
    acc = np.full(offsets[n], np.inf, np.float64)
    steps = np.zeros(offsets[n], np.int8)  # 0 diagonal, 1 from the row above, 2 from the left
    for i in range(n):
        base = offsets[i]
        for j in range(lo[i], hi[i]):
            dist = 0.0
            for c in range(d):
                x = a[i, c] - b[j, c]
                dist += x * x
            cost = np.sqrt(dist) + weight * abs(sa[i] - sb[j])
            if i == 0 and j == 0:
                acc[base] = cost
                continue
            best = np.inf
            step = 0
            if i > 0:
                up = offsets[i - 1]
                if lo[i - 1] <= j - 1 < hi[i - 1]:
                    best = acc[up + j - 1 - lo[i - 1]]
                if lo[i - 1] <= j < hi[i - 1] and acc[up + j - lo[i - 1]] < best:
                    best = acc[up + j - lo[i - 1]]
                    step = 1
            if j > lo[i] and acc[base + j - 1 - lo[i]] < best:
                best = acc[base + j - 1 - lo[i]]
                step = 2
            acc[base + j - lo[i]] = best + cost
            steps[base + j - lo[i]] = step
    return steps


@numba.njit(cache=True)
def _backtrack(steps, lo, offsets, n, m):  # pragma: no cover (compiled)
    path = np.empty((n + m, 2), np.int64)
    i, j, k = n - 1, m - 1, 0
    while True:
        path[k, 0] = i
        path[k, 1] = j
        k += 1
        if i == 0 and j == 0:
            break
        step = steps[offsets[i] + j - lo[i]]
        if i == 0:
            j -= 1
        elif j == 0 or step == 1:
            i -= 1
        elif step == 0:
            i -= 1
            j -= 1
        else:
            j -= 1
    return path[:k][::-1].copy()
