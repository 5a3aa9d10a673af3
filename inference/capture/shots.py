"""Shots: where a video cuts, from colour histograms, and where its framing moves (zoom, pan).

A cut changes most of the picture at once: the colour histogram of the new frame differs from
the previous one far more than motion within a shot ever makes it. A frame is a cut when that
difference is large in absolute terms and several times the typical difference around it, so a
busy shot (a moving camera, a person walking) does not cut itself into pieces.

A zoom or a pan changes the picture gradually and the histogram hardly at all, yet a take's
fitted camera (and a renderer trained on its frames) assumes one fixed framing. Between
consecutive frames the whole picture's motion is fitted as a zoom about the centre plus a
shift (image gradients, least squares, re-weighted so the moving speaker counts little); where
its median over half a second is faster than a few percent of the picture per second, the
framing moves. The shot is split there, into steady and moving stretches.
"""

from dataclasses import dataclass

import numpy as np

from ...motion.runs import true_runs

BINS = 8  # per colour channel
CUT_DIFFERENCE = 0.30  # share of the histogram that changes at least
CUT_CONTRAST = 4.0  # times the median change of the frames around
WINDOW_SECONDS = 1.0
THUMB_WIDTH = 64  # pixels of the picture the framing motion is measured on
MOVE_SPEED = 0.03  # zoom (relative scale) or shift (picture widths) per second that moves
MOVE_WINDOW_SECONDS = 0.5  # median window over the frame-to-frame motion
MIN_RUN_SECONDS = 2.0  # a steady or moving stretch shorter than a usable take joins its
# neighbour (a zoom must not cut a short shot into pieces too short to capture)
GRID = 4  # cells a side: a camera move must explain the change in many of them
MIN_CELLS = 7  # of GRID * GRID: nearly half the picture, more than a moving body covers
NOISE = 0.5  # grey levels (of 255) of frame-to-frame change a still thumbnail shows
EXPLAINED = 0.8  # share of a cell's change the motion leaves at most, to explain it


def colour_histogram(rgb, stride=4):
    """(BINS**3,) normalised colour histogram of a frame (H, W, 3) uint8, sampled every
    ``stride`` pixels."""
    small = rgb[::stride, ::stride].reshape(-1, 3) // (256 // BINS)
    index = (small[:, 0].astype(np.int64) * BINS + small[:, 1]) * BINS + small[:, 2]
    hist = np.bincount(index, minlength=BINS ** 3).astype(np.float64)
    return hist / max(hist.sum(), 1.0)


def histogram_changes(histograms):
    """(T,) share of the histogram that changed from the previous frame (0 for the first)."""
    h = np.asarray(histograms, dtype=np.float64)
    d = np.zeros(len(h))
    if len(h) > 1:
        d[1:] = 0.5 * np.abs(np.diff(h, axis=0)).sum(axis=1)
    return d


def find_cuts(changes, fps):
    """Frame indices (sorted) where a new shot starts, from :func:`histogram_changes`."""
    d = np.asarray(changes, dtype=np.float64)
    half = max(2, int(round(WINDOW_SECONDS * fps / 2)))
    cuts = []
    for t in range(1, len(d)):
        around = np.concatenate([d[max(1, t - half):t], d[t + 1:t + 1 + half]])
        typical = np.median(around) if len(around) else 0.0
        if d[t] >= CUT_DIFFERENCE and d[t] >= CUT_CONTRAST * typical:
            cuts.append(t)
    return cuts


def thumbnail(rgb):
    """(h, w) float32 grey picture of a frame (H, W, 3) uint8, box-averaged to THUMB_WIDTH to
    twice that wide and lightly blurred: small enough to fit the framing motion on, smooth
    enough for gradients."""
    h, w = rgb.shape[:2]
    step = max(1, w // THUMB_WIDTH)
    rows, cols = (h // step) * step, (w // step) * step
    # box sums per channel first (no float copy of the whole frame), then the grey of each box;
    # the rows of a box are summed first, over whole contiguous lines, then its columns (one
    # reduction over two strided axes at once is ten times slower: 18 ms a 720p frame)
    lines = rgb[:rows, :cols].reshape(rows // step, step, cols * 3).sum(axis=1, dtype=np.uint32)
    boxes = lines.reshape(rows // step, cols // step, step, 3).sum(axis=2)
    small = (boxes.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])) / np.float32(step * step)
    kernel = np.float32([0.25, 0.5, 0.25])
    for axis in (0, 1):
        padded = np.pad(small, [(1, 1) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
        small = sum(k * np.take(padded, range(i, i + small.shape[axis]), axis=axis)
                    for i, k in enumerate(kernel))
    return small


def framing_motion(before, after, iterations=4):
    """(3,) zoom, shift x, shift y from thumbnail ``before`` to ``after`` (per frame; zeros
    when the picture as a whole did not move).

    The motion field is u = zoom * x + sx, v = zoom * y + sy (x, y from the picture's centre,
    in thumbnail pixels; the shifts returned in picture widths). Fitted on the brightness
    constancy equation Ix u + Iy v + It = 0 by least squares, re-weighted (Cauchy) so pixels
    that move on their own (the speaker) count little. A camera move changes the whole
    picture alike, a speaker only part of it: the motion counts only when it explains the
    change in many cells of a GRID x GRID split of the picture (against a plain wall the
    speaker is all the texture there is, and would otherwise pass for a pan).
    """
    mean = 0.5 * (before + after)
    iy, ix = np.gradient(mean)
    it = after - before
    h, w = mean.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = x - (w - 1) / 2, y - (h - 1) / 2
    a = np.stack([ix * x + iy * y, ix, iy], axis=-1).reshape(-1, 3).astype(np.float64)
    b = -it.reshape(-1).astype(np.float64)
    weights = np.ones(len(b))
    params = np.zeros(3)
    for _ in range(iterations):
        aw = a * weights[:, None]
        normal = aw.T @ a + 1e-6 * np.eye(3)
        params = np.linalg.solve(normal, aw.T @ b)
        residual = b - a @ params
        scale = 1.4826 * np.median(np.abs(residual)) + 1e-3
        weights = 1.0 / (1.0 + (residual / (2.0 * scale)) ** 2)
    if _explained_cells((b ** 2).reshape(h, w), (residual ** 2).reshape(h, w)) < MIN_CELLS:
        return np.zeros(3)
    return np.array([params[0], params[1] / w, params[2] / w])


def _explained_cells(change, residual):
    """How many cells of a GRID x GRID split have a change (squared, (h, w)) above the noise
    that the fitted motion explains (``residual``: squared, what is left, under EXPLAINED
    of it)."""
    h, w = change.shape
    count = 0
    for rows in np.array_split(np.arange(h), GRID):
        for cols in np.array_split(np.arange(w), GRID):
            before = change[np.ix_(rows, cols)].mean()
            after = residual[np.ix_(rows, cols)].mean()
            count += int(before > NOISE ** 2 and after < EXPLAINED * before)
    return count


def spread_over_repeats(motions, fresh):
    """(T, 3) per-frame motion where a video slower than the take's rate repeats pictures:
    the motion measured at each fresh picture (``fresh`` (T,) bool) is shared evenly by it and
    the repeats before it (which measured none)."""
    m = np.array(motions, dtype=np.float64).reshape(-1, 3)
    last = 0
    for t in np.flatnonzero(fresh):
        if t > last:
            m[last + 1:t + 1] = m[t] / (t - last)
        last = t
    return m


def moving_frames(motions, fps):
    """(T,) bool: frames where the framing moves, from (T, 3) :func:`framing_motion` values
    (per frame; the first row zero): each component's median over MOVE_WINDOW_SECONDS, turned
    into a speed per second, compared with MOVE_SPEED."""
    m = np.asarray(motions, dtype=np.float64).reshape(-1, 3)
    half = max(1, int(round(MOVE_WINDOW_SECONDS * fps / 2)))
    smooth = np.array([np.median(m[max(0, t - half):t + half + 1], axis=0)
                       for t in range(len(m))]).reshape(-1, 3)
    return np.abs(smooth).max(axis=1) * fps > MOVE_SPEED


def merge_short_runs(flags, min_run):
    """flags with runs shorter than ``min_run`` flipped (the shortest first), so no stretch is
    left too short to use; a lone run stays as it is."""
    flags = np.array(flags, dtype=bool)
    while True:
        runs = sorted(true_runs(flags) + true_runs(~flags))
        short = [r for r in runs if r[1] - r[0] < min_run]
        if not short or len(runs) == 1:
            return flags
        a, b = min(short, key=lambda r: r[1] - r[0])
        flags[a:b] = not flags[a]


@dataclass
class Shot:
    """Frames [start, end) of one shot (output frame indices), numbered from 1; ``moving``
    when its framing zooms or pans over most of its frames."""

    number: int
    start: int
    end: int
    moving: bool = False

    @property
    def n_frames(self):
        return self.end - self.start


def split_shots(n_frames, cuts):
    """Shots covering frames 0..n_frames-1, cut at ``cuts``."""
    bounds = [0] + [c for c in sorted(set(cuts)) if 0 < c < n_frames] + [n_frames]
    return [Shot(number=i + 1, start=a, end=b)
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])) if b > a]


def find_shots(changes, motions, fps):
    """Shots (numbered in order) from :func:`histogram_changes` and per-frame
    :func:`framing_motion` values (T, 3): cut where the picture cuts, then each cut's stretch
    split where its framing starts or stops moving (no stretch under MIN_RUN_SECONDS)."""
    n = len(changes)
    moving = moving_frames(motions, fps)
    min_run = max(1, int(round(MIN_RUN_SECONDS * fps)))
    shots = []
    for cut in split_shots(n, find_cuts(changes, fps)):
        flags = merge_short_runs(moving[cut.start:cut.end], min_run)
        for a, b in sorted(true_runs(flags) + true_runs(~flags)):
            shots.append(Shot(number=len(shots) + 1, start=cut.start + a, end=cut.start + b,
                              moving=bool(flags[a])))
    return shots


def longest_steady(shots):
    """The longest of ``shots`` (Shot, or anything with start, end and moving) whose framing
    holds still, or None."""
    steady = [s for s in shots if not s.moving]
    return max(steady, key=lambda s: s.end - s.start) if steady else None
