"""Camera cuts: where a video changes shot, from colour histograms of consecutive frames.

A cut changes most of the picture at once: the colour histogram of the new frame differs from
the previous one far more than motion within a shot ever makes it. A frame is a cut when that
difference is large in absolute terms and several times the typical difference around it, so a
busy shot (a moving camera, a person walking) does not cut itself into pieces.
"""

from dataclasses import dataclass

import numpy as np

BINS = 8  # per colour channel
CUT_DIFFERENCE = 0.30  # share of the histogram that changes at least
CUT_CONTRAST = 4.0  # times the median change of the frames around
WINDOW_SECONDS = 1.0


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


@dataclass
class Shot:
    """Frames [start, end) of one shot (output frame indices), numbered from 1."""

    number: int
    start: int
    end: int

    @property
    def n_frames(self):
        return self.end - self.start


def split_shots(n_frames, cuts):
    """Shots covering frames 0..n_frames-1, cut at ``cuts``."""
    bounds = [0] + [c for c in sorted(set(cuts)) if 0 < c < n_frames] + [n_frames]
    return [Shot(number=i + 1, start=a, end=b)
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])) if b > a]
