"""Which detections are the speaker: split a shot's detections into people, keep the main one.

The detector follows one person at a time; when someone else walks into view (a camera
operator, a student) it may jump to them for a while. Within a shot, consecutive detections
belong to the same person while the body stays where it was and keeps its size; a jump starts
another tracklet. Across the video, the speaker is the person seen longest: each tracklet's
clothing colour (the torso between shoulders and hips, as chromaticity, so another shot's
lighting does not change it) is compared with the colour of the longest-seen person, and
detections of anyone else are forgotten (the fit then carries the speaker's motion through them
as through any frame where the speaker is hidden).
"""

from dataclasses import dataclass

import numpy as np

from . import landmarks as L

TORSO = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
JUMP = 0.6  # centre moves more than this share of the body's size between frames
RESIZE = 1.5  # or the size changes by more than this factor
GAP_SECONDS = 0.5  # or nobody was seen for this long
SAME_COLOUR = 0.08  # chromaticity distance under which two torsos look alike


def body_box(lm):
    """(T, 2) centre and (T,) size in pixels of each detection's torso (NaN if none)."""
    img = lm.body_image[:, TORSO, :2]
    centre = img.mean(axis=1)
    size = (np.linalg.norm(img[:, 0] - img[:, 2], axis=-1)
            + np.linalg.norm(img[:, 1] - img[:, 3], axis=-1)
            + np.linalg.norm(img[:, 0] - img[:, 1], axis=-1)) / 2
    return centre, size


def torso_colour(rgb, body_image):
    """Mean colour (3,) in [0, 1] of a grid of points inside the torso quadrilateral.

    body_image : (33, 3) pixels of one detection. NaN when the torso is off the picture.
    """
    h, w = rgb.shape[:2]
    ls, rs, lh, rh = (body_image[i, :2] for i in TORSO)
    u, v = np.meshgrid(np.linspace(0.2, 0.8, 5), np.linspace(0.15, 0.7, 5))
    u, v = u.ravel()[:, None], v.ravel()[:, None]
    top = rs + (ls - rs) * u
    bottom = rh + (lh - rh) * u
    pts = top + (bottom - top) * v
    x, y = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    if inside.sum() < 5:
        return np.full(3, np.nan)
    return rgb[y[inside], x[inside]].reshape(-1, 3).mean(axis=0) / 255.0


@dataclass
class Tracklet:
    """Frames (indices into the shot) where one person was followed, and their look."""

    frames: np.ndarray
    colour: np.ndarray

    @property
    def n_frames(self):
        return len(self.frames)


def tracklets(lm, colours, fps):
    """Split a shot's detections into :class:`Tracklet` s (longest first).

    colours : (T, 3) torso colours (NaN where unknown).
    """
    centre, size = body_box(lm)
    seen = np.flatnonzero(np.isfinite(size) & (size > 1))
    groups, current = [], []
    gap = max(1, int(round(GAP_SECONDS * fps)))
    for t in seen:
        if current:
            p = current[-1]
            jump = np.linalg.norm(centre[t] - centre[p]) > JUMP * size[p]
            resized = max(size[t], size[p]) > RESIZE * min(size[t], size[p])
            if jump or resized or t - p > gap:
                groups.append(current)
                current = []
        current.append(t)
    if current:
        groups.append(current)
    out = []
    for g in groups:
        frames = np.array(g)
        c = colours[frames]
        c = c[np.all(np.isfinite(c), axis=1)]
        out.append(Tracklet(frames=frames,
                            colour=np.median(c, axis=0) if len(c) else np.full(3, np.nan)))
    return sorted(out, key=lambda tr: -tr.n_frames)


def chroma(colour):
    """RGB -> chromaticity (r, g, b) / (r + g + b): the colour without its brightness."""
    colour = np.asarray(colour, dtype=np.float64)
    return colour / max(float(colour.sum()), 1e-6)


def looks_alike(a, b):
    return bool(np.linalg.norm(chroma(a) - chroma(b)) < SAME_COLOUR)


def speaker_colour(all_tracklets):
    """The torso colour of the person seen longest over the whole video (frame-weighted
    clusters of tracklet colours)."""
    known = [tr for tr in all_tracklets if np.all(np.isfinite(tr.colour))]
    if not known:
        return np.full(3, np.nan)
    best, best_frames = None, -1
    for tr in known:
        frames = sum(o.n_frames for o in known if looks_alike(o.colour, tr.colour))
        if frames > best_frames:
            best, best_frames = tr.colour, frames
    return best


def is_speaker(tracklet, colour):
    """True when the tracklet looks like the speaker (or either colour is unknown)."""
    if not (np.all(np.isfinite(tracklet.colour)) and np.all(np.isfinite(colour))):
        return True
    return looks_alike(tracklet.colour, colour)
