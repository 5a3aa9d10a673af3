"""Dynamic time warping in a band, so hours of audio fit in memory.

Two feature sequences are warped onto each other with the usual steps (both, first only,
second only). Short pairs are warped in full; longer ones first at a coarser frame rate
(LEVEL_FACTOR frames averaged into one, again and again until a grid has at most MAX_CELLS
cells), and each level then in a band around the path of the level above it: memory and time
grow with the length, not with its square. One jump from the coarsest level to the finest
(frames of 0.16 s and a band of 0.4 s for five minutes) lost the path by seconds where the
voice's pace changed; level by level, each band is a few dozen of its own frames wide.
"""

import numpy as np

from ....inference.blas_threads import matmul

MAX_CELLS = 4_000_000  # cells of the grid warped in full (16 MB of float32)
MIN_RADIUS = 80  # frames on either side of the coarse path kept at full resolution
ROWS = 256  # rows whose costs are computed at once
LEVEL_FACTOR = 4  # frames averaged from one level to the next coarser one


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
        k = min(LEVEL_FACTOR, int(np.ceil(np.sqrt(n * m / MAX_CELLS))))
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
    from ....motion.filters import maximum_filter1d, minimum_filter1d

    lo = np.maximum(0, minimum_filter1d(lo, 2 * radius + 1) - radius)
    hi = np.minimum(m, maximum_filter1d(hi, 2 * radius + 1) + radius)
    lo[0], hi[-1] = 0, m
    return lo, hi


def _path(a, b, sa, sb, lo, hi, weight):
    """The cheapest path through the band, row by row.

    Within a row, D[j] = c[j] + min(above[j], D[j - 1]) with above[j] the best of the two
    cells of the previous row: unrolled, D[j] = S[j] + min over k <= j of (above[k] - S[k - 1])
    for the row's running cost sums S, a running minimum numpy computes at once. The costs are
    computed ROWS rows at a time (one matrix product each), the rows' loop does the rest.
    """
    n = len(a)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(hi - lo, out=offsets[1:])
    steps = np.zeros(offsets[n], np.int8)  # 0 diagonal, 1 from the row above, 2 from the left
    squares_b = (b.astype(np.float64) ** 2).sum(axis=1)
    previous, plo = None, 0
    for first in range(0, n, ROWS):
        last = min(n, first + ROWS)
        clo, chi = int(lo[first:last].min()), int(hi[first:last].max())
        block = _costs(a[first:last], b[clo:chi], squares_b[clo:chi], sa[first:last], sb[clo:chi], weight)
        for i in range(first, last):
            cost = block[i - first, lo[i] - clo:hi[i] - clo]
            width = len(cost)
            if i == 0:
                above = np.full(width, np.inf)
                above[0] = 0.0
                step = np.zeros(width, np.int8)
            else:
                # the previous row's D over this row's columns, and shifted by one (diagonal)
                padded = np.full(width + 1, np.inf)  # columns lo - 1 .. hi - 1
                a0, a1 = max(plo, lo[i] - 1), min(plo + len(previous), hi[i])
                if a1 > a0:
                    padded[a0 - lo[i] + 1:a1 - lo[i] + 1] = previous[a0 - plo:a1 - plo]
                up, diagonal = padded[1:], padded[:-1]
                step = (up < diagonal).astype(np.int8)
                above = np.minimum(up, diagonal)
            total = np.cumsum(cost)
            before = total - cost  # S[k - 1]
            best = np.minimum.accumulate(above - before)
            left = np.zeros(width, bool)
            left[1:] = best[:-1] < above[1:] - before[1:]
            step[left] = 2
            steps[offsets[i]:offsets[i + 1]] = step
            previous, plo = total + best, lo[i]
    return _backtrack(steps, lo, offsets, n, len(b))


def _costs(a, b, squares_b, sa, sb, weight):
    """(len(a), len(b)) Euclidean distances of the frames, plus ``weight`` times the activity
    difference."""
    a64 = a.astype(np.float64)
    d2 = (a64 ** 2).sum(axis=1)[:, None] + squares_b[None] - 2.0 * matmul(a64, b.astype(np.float64).T)
    cost = np.sqrt(np.maximum(d2, 0.0))
    if weight:
        cost += weight * np.abs(sb[None] - sa[:, None])
    return cost


def _backtrack(steps, lo, offsets, n, m):
    path = []
    i, j = n - 1, m - 1
    while True:
        path.append((i, j))
        if i == 0 and j == 0:
            break
        step = steps[offsets[i] + j - lo[i]]
        if i == 0 or step == 2:
            j -= 1
        elif j == 0 or step == 1:
            i -= 1
        else:
            i -= 1
            j -= 1
    return np.array(path[::-1], np.int64)
