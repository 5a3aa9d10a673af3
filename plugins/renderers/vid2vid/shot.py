"""The renderer's pictures put back into the shot it learnt from (numpy and scipy only).

The renderer paints the person at its own size (256 px), on the middle of the training video
scaled to that height (``skeleton_pass.fit_frame``). A user asking for more video of a person
wants their shot, not a thumbnail: each picture is scaled back up to the shot's size and laid
over the shot's own background plate at full resolution, where the training video had it. Only
the person is taken from the scaled-up picture: where the picture is the renderer's plate (the
wall), the sharp full-size plate shows, so the wall keeps its detail and the frame's sides,
which the renderer never saw, are the wall too.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .warp import background_plate, foreground, person_masks


@dataclass(frozen=True)
class Framing:
    """Where a render of ``size`` (width, height) lies in a shot of ``shot`` (width, height),
    as ``skeleton_pass.fit_frame`` took it: scaled to the render's height, centred."""

    shot: tuple
    size: tuple

    @property
    def scale(self):
        """Render pixels per shot pixel."""
        return self.size[1] / self.shot[1]

    def to_shot(self, points):
        """(..., 2) render pixels -> shot pixels (the inverse of ``fit_to_size``)."""
        p = np.asarray(points, np.float64)
        return np.stack([(p[..., 0] - self.size[0] / 2) / self.scale + self.shot[0] / 2,
                         p[..., 1] / self.scale], axis=-1)

    @cached_property
    def columns(self):
        """(first, stop): the shot's columns the render covers."""
        left = self.to_shot(np.array([0.0, 0.0]))[0]
        right = self.to_shot(np.array([float(self.size[0]), 0.0]))[0]
        return max(0, int(np.floor(left))), min(self.shot[0], int(np.ceil(right)))

    @cached_property
    def _centres(self):
        """(xs, ys): where the centres of the covered columns and of every row of the shot lie
        in the render, in render pixels (its pixel k spans k to k + 1)."""
        first, stop = self.columns
        xs = (np.arange(first, stop) + 0.5 - self.shot[0] / 2) * self.scale + self.size[0] / 2
        return xs, (np.arange(self.shot[1]) + 0.5) * self.scale

    @cached_property
    def _grid(self):
        """Bilinear taps from the render onto the covered columns: (rows, row weights,
        columns, column weights), each a pair of index arrays and the second's weight."""
        xs, ys = self._centres
        return _taps(ys - 0.5, self.size[1]) + _taps(xs - 0.5, self.size[0])

    def into_shot(self, mask):
        """(H, W) of the shot: a render-sized (h, w) mask or picture carried into the shot by
        nearest pixel; 0 where the render does not reach."""
        first, stop = self.columns
        w, h = self.size
        xs, ys = (np.floor(c).astype(np.int64) for c in self._centres)
        out = np.zeros((self.shot[1], self.shot[0]) + np.shape(mask)[2:], np.asarray(mask).dtype)
        out[:, first:stop] = np.asarray(mask)[np.clip(ys, 0, h - 1)][:, np.clip(xs, 0, w - 1)]
        return out

    def scale_up(self, image):
        """(shot height, covered columns, C) float32: ``image`` (h, w, C) bilinearly scaled
        onto the shot's pixels it covers."""
        y0, y1, wy, x0, x1, wx = self._grid
        image = np.asarray(image, np.float32)
        wy, wx = wy[:, None, None], wx[:, None]
        rows = image[y0] * (1.0 - wy) + image[y1] * wy  # (H, w, C)
        return rows[:, x0] * (1.0 - wx) + rows[:, x1] * wx


def _taps(coords, n):
    """(lower index, upper index, the upper one's weight) of linear interpolation at
    ``coords`` on n samples, clamped at the ends."""
    coords = np.clip(coords, 0.0, n - 1.0)
    lower = np.floor(coords).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    weight = (coords - lower).astype(np.float32)
    return lower, upper, weight


def person_mask(picture, plate):
    """(h, w) float32 in [0, 1]: how much of each render pixel is the person (the warp's
    ``foreground`` of the picture against the renderer's plate, grown by a pixel), softened
    over three so the outline blends."""
    from scipy.ndimage import uniform_filter

    return uniform_filter(foreground(np.asarray(picture), np.asarray(plate)), size=3)


def shot_plate(frames, joints, size):
    """(H, W, 3) uint8, H and W even (H.264 takes no other): the wall of the whole shot from
    its full-size ``frames`` (K, H, W, 3) (``warp.background_plate``), the person masked out
    where the part capsules of ``joints`` (K, 55, 2), render pixels of a renderer of ``size``,
    lie: found at the renderer's size and carried into the shot, a tenth of the time of finding
    them at the shot's."""
    height, width = frames.shape[1:3]
    framing = Framing((width, height), tuple(size))
    person = np.stack([framing.into_shot(m) for m in person_masks(joints, tuple(size))])
    return background_plate(frames, person=person)[:height // 2 * 2, :width // 2 * 2]


def composite(picture, plate, shot_plate, framing):
    """(H, W, 3) uint8: the render ``picture`` (h, w, 3) scaled up into the shot over its full
    plate ``shot_plate`` (H, W, 3), the person from the picture and the wall from the plate
    (``plate`` is the renderer's own, at its size)."""
    first, stop = framing.columns
    out = np.array(shot_plate, copy=True)
    if stop <= first:
        return out
    alpha = framing.scale_up(person_mask(picture, plate)[..., None])
    person = framing.scale_up(picture)
    wall = out[:, first:stop].astype(np.float32)
    out[:, first:stop] = np.clip(wall + alpha * (person - wall) + 0.5, 0, 255).astype(np.uint8)
    return out
