"""The head and the body read along one line of sight.

The face detector reads the face in a crop around it, as if the camera looked straight at the
face; the body's metric points are read around the hips. In a shot of the whole person the face
sits well above the image centre and the two lines of sight part by 10-20 degrees (a camera at
chest height looks up at the face): read as they come, the head tilts back against the chest by
that much. Turning the face, and the body's own head points, by the angle between the two lines
puts the whole person in the hips' view.

The angle needs the lens's focal length, which a video does not say: ``fit.fit_shot_and_camera``
takes it from the camera fitted to the shot. That fit reads it only loosely, and too short on a
long lens or a close crop, where the head is then turned too far (benchmarks/JOURNAL.md, "The
head read along the hips' line of sight").
"""

import numpy as np

from . import landmarks as L
from .ik import swing, unit

HEAD_POINTS = slice(0, 11)  # BlazePose's nose, eyes, ears and mouth corners
LEGS = ((L.LEFT_HIP, L.LEFT_ANKLE, (L.LEFT_KNEE, L.LEFT_HEEL, L.LEFT_TOE)),
        (L.RIGHT_HIP, L.RIGHT_ANKLE, (L.RIGHT_KNEE, L.RIGHT_HEEL, L.RIGHT_TOE)))


def line_of_sight(pixels, size, focal):
    """(T, 3) unit directions, camera axes, from the camera through ``pixels`` (T, 2)."""
    centre = np.asarray(size, dtype=np.float64) / 2
    rays = np.concatenate([(pixels - centre) / focal, np.ones((len(pixels), 1))], axis=1)
    return unit(rays)


def head_view_turn(lm, focal):
    """(T, 3, 3) rotations, camera axes, from the hips' line of sight to the face's (the
    identity where either is unknown)."""
    img = lm.body_image[..., :2]
    face = np.where(lm.face_seen[:, None], lm.face[..., :2].mean(axis=1), img[:, L.NOSE])
    hips = (img[:, L.LEFT_HIP] + img[:, L.RIGHT_HIP]) / 2
    known = np.all(np.isfinite(face), axis=1) & np.all(np.isfinite(hips), axis=1)
    turn = np.tile(np.eye(3), (lm.n_frames, 1, 1))
    if known.any():
        turn[known] = swing(line_of_sight(hips[known], lm.size, focal),
                            line_of_sight(face[known], lm.size, focal))
    return turn


def seen_from_the_hips(lm, focal):
    """A copy of ``lm`` whose face and head points are turned, each about its own centre, from
    the face's line of sight to the hips' (``focal`` in pixels), and whose knees and feet are
    bent as each is seen (:func:`legs_as_seen`)."""
    turn = head_view_turn(lm, focal)
    out = lm.select(slice(None))
    out.face = turned(lm.face, turn)
    out.body_world = lm.body_world.copy()
    out.body_world[:, HEAD_POINTS] = turned(lm.body_world[:, HEAD_POINTS], turn)
    legs_as_seen(out.body_world, lm.body_image[..., :2], lm.size, focal)
    return out


def legs_as_seen(world, pixels, size, focal, undo=False):
    """Bend each leg, in place, as it is seen: every point of it turned about its hip from the
    hips' line of sight to its own, then the leg turned back about its hip so that its ankle
    stays where it was (``undo``: the other way, as the pose model reads it).

    The pose model reads the legs' depth as if it looked at them along the hips' line of sight,
    but a camera at chest height looks down at the knees and further down at the feet (6-13
    degrees through a 30-degree lens, 20-40 through a phone's nearer one): read as they come,
    the knees bent too far. Only the leg's bend is taken from the turn: where the ankles stand
    is left as read, which the shot's levelling and the hands' heights were fitted to
    (benchmarks/JOURNAL.md, "Knees seen along their own line of sight")."""
    hips = (pixels[:, L.LEFT_HIP] + pixels[:, L.RIGHT_HIP]) / 2
    from_hips = line_of_sight(np.nan_to_num(hips), size, focal)
    for hip, ankle, rest in LEGS:
        points = (ankle, *rest)
        known = (np.all(np.isfinite(hips), axis=1)
                 & np.all(np.isfinite(world[:, [hip, *points]]), axis=(1, 2))
                 & np.all(np.isfinite(pixels[:, list(points)]), axis=(1, 2)))
        if not known.any():
            continue
        base = world[known, hip]
        moved = {}
        for point in points:
            turn = swing(from_hips[known], line_of_sight(pixels[known, point], size, focal))
            if undo:
                turn = np.swapaxes(turn, -1, -2)
            moved[point] = base + np.einsum("tij,tj->ti", turn, world[known, point] - base)
        back = swing(unit(moved[ankle] - base), unit(world[known, ankle] - base))
        for point in points:
            world[known, point] = base + np.einsum("tij,tj->ti", back, moved[point] - base)
    return world


def turned(points, turn):
    """Points (T, K, 3) turned by ``turn`` (T, 3, 3) about their mean (frames not seen stay
    NaN)."""
    centre = points.mean(axis=1, keepdims=True)
    return centre + np.einsum("tij,tkj->tki", turn, points - centre)
