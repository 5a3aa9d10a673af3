"""Checks of a retargeted take that do not use the retargeting maths: angles and heights read
from bone head and tail positions (what Blender shows), compared with the same measures on the
SMPL-X joints of the take.

The chest's orientation is found from two vectors fixed to it: the chest bone (head to tail) and
the line between the collar bones' heads; on SMPL-X, spine3 to neck and the two collar joints.
Angles are measured against that chest frame, so a chest that leans, a shoulder pushed up or a
head nodding differently shows up whatever the rig's axes, units, bone orientations or where
its spine bends.

- elbow flexion: angle between the upper arm (shoulder -> elbow) and the forearm (elbow ->
  wrist);
- shoulder elevation: angle between the upper arm and the chest's down direction;
- head pitch: forward tilt of the head bone against the chest, as a change from rest; SMPL-X's
  head turns the same vector (the rig's rest head bone carried into SMPL-X's rest) by the head
  joint's global rotation;
- chest pitch: forward lean of the chest against the vertical, as a change from rest;
- root travel: horizontal distance of the middle of the hip joints from where it started, in
  hip heights (that point's height above the floor);
- foot height: lowest foot point above the floor the foot stands on at rest.
"""

from dataclasses import dataclass

import numpy as np

from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton

SIDES = ("left", "right")


@dataclass
class Anatomy:
    """Which rig bones are which body parts (the test knows what it built)."""

    pelvis: str
    chest: str
    head: str
    collar: tuple  # (left, right)
    upper_arm: tuple
    forearm: tuple
    hand: tuple
    thigh: tuple
    feet: tuple  # ((left bones...), (right bones...)): heads and tails are foot points
    arm_twist: tuple = ((), ())  # twist bones along each arm, shoulder to wrist
    foot_tails: bool = True  # False when tails point anywhere (FBX without bone orientation)

    def arm(self, side):
        """Bones along one arm from the shoulder to the hand, twist bones in their places."""
        upper = [b for b in self.arm_twist[side] if b.lower().startswith(("upper", "def-upper"))]
        lower = [b for b in self.arm_twist[side] if b not in upper]
        return [self.upper_arm[side], *upper, self.forearm[side], *lower, self.hand[side]]


@dataclass
class Track:
    """Points and vectors of a body over time, world units; pairs are (T, 2, 3) left/right."""

    shoulders: np.ndarray
    elbows: np.ndarray
    wrists: np.ndarray
    hips: np.ndarray
    pelvis: np.ndarray  # (T, 3)
    chest: np.ndarray  # (T, 3) a vector fixed to the chest
    collars: np.ndarray  # (T, 3) left collar minus right collar
    head: np.ndarray  # (T, 3) a vector fixed to the head
    feet: list  # [(T, n, 3) left points, (T, n, 3) right points]
    up: np.ndarray  # (3,) world up


def rig_track(heads, tails, names, anatomy, up=(0.0, 0.0, 1.0)):
    """A Track from posed bone heads/tails (T, B, 3) in world space, bones listed in ``names``."""
    k = {n: i for i, n in enumerate(names)}

    def pair(bones):
        return heads[:, [k[bones[0]], k[bones[1]]]]

    def vector(bone):
        return tails[:, k[bone]] - heads[:, k[bone]]

    feet = [np.concatenate([heads[:, [k[b] for b in side]]]
                           + ([tails[:, [k[b] for b in side]]] if anatomy.foot_tails else []), axis=1)
            for side in anatomy.feet]
    collars = pair(anatomy.collar)
    return Track(pair(anatomy.upper_arm), pair(anatomy.forearm), pair(anatomy.hand),
                 pair(anatomy.thigh), heads[:, k[anatomy.pelvis]].copy(), vector(anatomy.chest),
                 collars[:, 0] - collars[:, 1], vector(anatomy.head), feet, np.asarray(up, float))


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _frame(first, second):
    """(T, 3, 3) orthonormal frames from two vectors (T, 3): first, second made orthogonal."""
    e1 = _unit(first)
    e2 = _unit(second - np.sum(second * e1, axis=-1, keepdims=True) * e1)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-1)


def chest_turn(track, rest):
    """(T, 3, 3) rotation of the chest from rest, in world axes."""
    return _frame(track.chest, track.collars) @ np.swapaxes(_frame(rest.chest, rest.collars), -1, -2)


def heading(track):
    """(T, 3, 3) columns left, up, forward: world up and the hips' facing."""
    up = np.broadcast_to(track.up, track.hips[:, 0].shape)
    left = track.hips[:, 0] - track.hips[:, 1]
    left = _unit(left - np.sum(left * up, axis=-1, keepdims=True) * up)
    return np.stack([left, up, np.cross(left, up)], axis=-1)


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.sum(_unit(a) * _unit(b), axis=-1), -1.0, 1.0)))


def _pitch(vector, frames):
    """Forward tilt (degrees) of vectors (T, 3) in frames (T, 3, 3) of left, up, forward."""
    local = np.einsum("tji,tj->ti", frames, vector)
    return np.degrees(np.arctan2(local[:, 2], local[:, 1]))


def measures(track, rest):
    """Body measures over time (see the module docstring); ``rest`` is the Track of the rest pose."""
    turn = chest_turn(track, rest)
    rest_heading = heading(rest)
    chest_frames = turn @ rest_heading  # the rest heading frame carried by the chest
    upper = track.elbows - track.shoulders
    lower = track.wrists - track.elbows
    down = -chest_frames[:, :, 1]
    up = track.up
    floor = [float(np.min(side @ up)) for side in rest.feet]
    hip_height = float(np.mean(rest.hips[0] @ up)) - min(floor)  # hip joints above the floor
    hips = track.hips.mean(axis=1)
    flat = hips - hips[:1]
    flat = flat - (flat @ up)[:, None] * up
    chest_up = (turn @ up)
    return {
        "elbow_flexion": _angle(upper, lower),
        "shoulder_elevation": _angle(upper, down[:, None]),
        "head_pitch": _pitch(track.head, chest_frames) - _pitch(rest.head, rest_heading)[0],
        "chest_pitch": _pitch(chest_up, heading(track)),
        "travel": np.linalg.norm(flat, axis=-1) / hip_height,
        "foot_height": np.min([np.min(side @ up, axis=1) - f for side, f in zip(track.feet, floor)],
                              axis=0),
        "hip_height": hip_height,
    }


def smplx_tracks(motion, rig_rest):
    """(Track, rest Track) of the SMPL-X joints of ``motion`` (neutral skeleton, y up, metres).

    The head vector is the rig's rest head bone carried into SMPL-X's rest (same coordinates in
    the rest heading frame), turned by the head joint's global rotation.
    """
    sk = neutral_skeleton()
    g, x = sk.forward_kinematics(motion.poses, motion.trans)
    j = JOINT_INDEX

    def track(points, head):
        pairs = {name: points[:, [j[f"left_{name}"], j[f"right_{name}"]]]
                 for name in ("shoulder", "elbow", "wrist", "hip", "collar")}
        feet = [points[:, [j[f"{s}_ankle"], j[f"{s}_foot"]]] for s in SIDES]
        return Track(pairs["shoulder"], pairs["elbow"], pairs["wrist"], pairs["hip"],
                     points[:, 0].copy(), points[:, j["neck"]] - points[:, j["spine3"]],
                     pairs["collar"][:, 0] - pairs["collar"][:, 1], head, feet,
                     np.array([0.0, 1.0, 0.0]))

    rest = track(sk.rest_positions[None], np.zeros((1, 3)))
    coords = heading(rig_rest)[0].T @ rig_rest.head[0]
    rest.head = (heading(rest)[0] @ coords)[None]
    posed = track(x, np.einsum("tij,j->ti", g[:, j["head"]], rest.head[0]))
    return posed, rest


def planted_runs(track, fps, speed=0.15, lift=0.03, min_frames=6):
    """[(side, first, last)] frame runs where a foot of the SMPL-X track is planted: its ankle
    moves slower than ``speed`` m/s and is within ``lift`` m of its lowest height."""
    runs = []
    for side, points in enumerate(track.feet):
        ankle = points[:, 0]
        flat = ankle - (ankle @ track.up)[:, None] * track.up
        v = np.zeros(len(ankle))
        v[1:] = np.linalg.norm(np.diff(flat, axis=0), axis=-1) * fps
        height = ankle @ track.up
        planted = (v < speed) & (height < height.min() + lift)
        edges = np.flatnonzero(np.diff(np.r_[0, planted.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= min_frames:
                runs.append((side, int(a), int(b - 1)))
    return runs


def foot_slide(track, runs, hip_height):
    """Largest horizontal drift of the ankle (first foot point) during planted runs, in hip
    heights."""
    worst = 0.0
    for side, a, b in runs:
        ankle = track.feet[side][a:b + 1, 0]
        flat = ankle - ankle[:1]
        flat = flat - (flat @ track.up)[:, None] * track.up
        worst = max(worst, float(np.linalg.norm(flat, axis=-1).max()))
    return worst / hip_height


def compare(rig, truth):
    """Worst and median absolute differences (degrees) of the angle measures, and the travel and
    foot figures of both bodies."""
    out = {}
    for key in ("elbow_flexion", "shoulder_elevation", "head_pitch", "chest_pitch"):
        diff = np.abs(rig[key] - truth[key])
        out[key] = (float(diff.max()), float(np.median(diff)))
    out["travel"] = (float(rig["travel"].max()), float(truth["travel"].max()))
    out["lowest_foot"] = float(rig["foot_height"].min())
    return out


def twist_angles(delta_parent, delta_child, axis):
    """Twist (degrees) of the child's turn against its parent about ``axis`` (rest, world).

    delta_* : (T, 3, 3) world-space changes from rest (posed @ rest^T).
    """
    from talkrig.motion.rotations import matrix_to_quat

    q = matrix_to_quat(np.swapaxes(delta_parent, -1, -2) @ delta_child)
    axis = axis / np.linalg.norm(axis)
    angle = 2.0 * np.arctan2(q[:, 1:] @ axis, q[:, 0])
    return np.degrees((angle + np.pi) % (2.0 * np.pi) - np.pi)
