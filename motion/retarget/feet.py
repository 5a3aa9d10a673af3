"""Feet that stay planted on the rig's own legs: contacts, floor and two-bone leg IK.

Copying rotations onto a body of other proportions moves the feet: a longer shin or a shorter
thigh puts the ankle somewhere else, so a foot the actor keeps still slides, sinks into the
floor or floats. Here, after the rotations are transferred, each leg of the rig is solved
again (as an IK retargeter's foot planting does):

- a foot is planted while the actor's foot is slow and low, near the lower of the two ankles
  (both feet stand on one floor), or still for longer than a step (``motion.contacts``; the
  motion's own ``Motion.contacts`` when it has them); while planted, the rig's ankle stays
  where it touched down, with the foot's lowest point on the floor; the hold fades in and out
  over ``BLEND_SECONDS``;
- no foot ever goes below the floor it stands on in the rest pose;
- thigh and shin (and their twist bones) turn as a two-bone chain to reach the ankle target,
  the knee staying in the plane it had; the foot and toes keep their orientation;
- where a planted leg cannot reach, the pelvis comes down just enough.

Why feet are planted on the rig: on other proportions copied rotations alone let a planted
ankle drift 5-8 cm over a stance (the actor's own mocap creeps 5.5 cm); planted, it holds still.
"""

import numpy as np

from ..contacts import detect_contacts as detect_contacts_on_one_floor
from ..runs import true_runs
from ..skeleton import JOINT_INDEX
from .conventions import axis_angle_matrix

LEGS = tuple((JOINT_INDEX[f"{s}_hip"], JOINT_INDEX[f"{s}_knee"], JOINT_INDEX[f"{s}_ankle"])
             for s in ("left", "right"))
CONTACT_SPEED = 0.15  # m/s: an SMPL-X ankle slower than this may be planted
MIN_FRAMES = 3  # shorter stops are steps, not plants
BLEND_SECONDS = 0.15
REACH = 0.999  # a leg is never solved straighter than this share of its length


def detect_contacts(positions, fps):
    """(T, 2) planted flags (left, right) from SMPL-X joint positions (T, 55, 3), y up, metres:
    the generation stage's rule (``motion.contacts``: both feet on one floor, a foot still for
    longer than a step standing) with the ankle slower than CONTACT_SPEED, for at least
    ``MIN_FRAMES`` frames."""
    ankles = positions[:, [ankle for _, _, ankle in LEGS]]
    out = detect_contacts_on_one_floor(ankles, fps, speed=CONTACT_SPEED) > 0.5
    for side in range(2):
        for first, stop in true_runs(out[:, side]):
            out[first:stop, side] = stop - first >= MIN_FRAMES
    return out


def _hold(flags, fps):
    """(T,) weight of the planted target: 1 inside runs, easing to 0 outside them."""
    ramp = max(1, int(round(BLEND_SECONDS * fps)))
    dist = np.full(len(flags), np.inf)
    for first, stop in true_runs(flags):
        frames = np.arange(len(flags))
        dist = np.minimum(dist, np.maximum(first - frames, frames - (stop - 1)).clip(min=0))
    u = np.clip(1.0 - dist / (ramp + 1), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _arc(a, b):
    """(T, 3, 3) shortest rotations taking vectors a onto b (T, 3)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    angle = np.arctan2(sin, np.sum(a * b, axis=-1))
    axis = np.where(sin[:, None] > 1e-12, axis / np.maximum(sin, 1e-12)[:, None], [1.0, 0, 0])
    return axis_angle_matrix(axis, angle)


class Leg:
    """One leg of the rig: its bones, lengths and the foot points that touch the floor."""

    def __init__(self, plan, side):
        hip, knee, ankle = LEGS[side]
        rig, jb = plan.rig, plan.joint_bone
        self.thigh, self.shin, self.foot = int(jb[hip]), int(jb[knee]), int(jb[ankle])
        rolled = {seg.joint: [b for b, _ in seg.twist] for seg in plan.segments}
        self.upper = [self.thigh] + rolled.get(hip, [])
        self.lower = [self.shin] + rolled.get(knee, [])
        self.chain = {self.thigh} | {b for b in range(len(rig))
                                     if self.thigh in rig.ancestors(b, plan.effective_parents)}
        heads = rig.heads
        self.l1 = float(np.linalg.norm(heads[self.shin] - heads[self.thigh]))
        self.l2 = float(np.linalg.norm(heads[self.foot] - heads[self.shin]))
        driven = set(plan.order)
        self.points = []  # (driven bone the point moves with, rest offset from its head)
        for bone, point in _foot_points(rig, self.foot):
            driver = next(b for b in [bone] + rig.ancestors(bone) if b in driven)
            self.points.append((driver, point - heads[driver]))
        up = plan.frame[:, 1]
        self.floor = min(float((heads[d] + o) @ up) for d, o in self.points)

    @staticmethod
    def mapped(plan, side):
        return all(plan.joint_bone[j] >= 0 for j in LEGS[side])

    def sole(self, deltas, heads, up):
        """(T,) height of the foot's lowest point above the ankle, posed."""
        ankle = heads[self.foot]
        low = np.full(len(ankle), np.inf)
        for driver, offset in self.points:
            p = heads[driver] + (deltas[driver] @ offset[:, None])[..., 0]
            low = np.minimum(low, (p - ankle) @ up)
        return low


def _foot_points(rig, foot):
    """[(bone, rest point)]: heads of the foot and the bones under it, and tails that can be
    trusted (a bone whose Y axis points at its child, or a leaf of a rig whose bones do)."""
    below = [foot] + [b for b in range(len(rig)) if foot in rig.ancestors(b)]
    if rig.deform.any():
        below = [b for b in below if rig.deform[b] or b == foot]
    trusted = _trusts_tails(rig)
    points = []
    for b in below:
        points.append((b, rig.heads[b]))
        kids = np.flatnonzero(rig.parents == b)
        if len(kids):
            d = rig.heads[kids[0]] - rig.heads[b]
            ok = np.linalg.norm(d) > 1e-9 and rig.directions[b] @ d / np.linalg.norm(d) > 0.85
        else:
            ok = trusted
        if ok:
            points.append((b, rig.tails[b]))
    return points


def _trusts_tails(rig):
    """True when most bones with one child point at it (bone orientation was kept)."""
    hits = total = 0
    for b in range(len(rig)):
        kids = np.flatnonzero(rig.parents == b)
        if len(kids) != 1:
            continue
        d = rig.heads[kids[0]] - rig.heads[b]
        n = np.linalg.norm(d)
        if n > 1e-9:
            total += 1
            hits += rig.directions[b] @ d / n > 0.85
    return total == 0 or hits >= 0.8 * total


def plant_feet(plan, deltas, heads_of, root_path, positions, fps, contacts=None, hips=None):
    """Solve the rig's legs so planted feet hold still on the floor and no foot sinks.

    deltas : {bone: (T, 3, 3)} world deltas, updated in place (thighs, shins, twist bones).
    heads_of : callable(root_path) -> {bone: (T, 3)} driven bone heads under ``deltas``.
    root_path : (T, 3) pelvis head, armature space. positions : (T, 55, 3) SMPL-X joints.
    contacts : optional (T, 2) planted flags.
    hips : optional (T, 2, 3) where the rig really puts its left and right hip joints, armature
        space, when its own mechanics place them (a rig keyed through its controls); the legs
        are solved from there.
    Returns the (possibly lowered) root path.
    """
    sides = [s for s in (0, 1) if Leg.mapped(plan, s)]
    if not sides or len(root_path) == 0:
        return root_path
    legs = [Leg(plan, s) for s in sides]
    if contacts is None or np.shape(contacts)[1:] != (2,):
        contacts = detect_contacts(positions, fps)
    contacts = np.asarray(contacts) > 0.5
    up = plan.frame[:, 1]
    if hips is not None:
        heads_of = _hips_moved(heads_of, legs, sides, hips, root_path.copy())
    heads = heads_of(root_path)
    locks = [_lock(heads[leg.foot], contacts[:, s], fps) for leg, s in zip(legs, sides)]
    targets = [_target(leg, deltas, heads, hold, held, up) for leg, (hold, held) in zip(legs, locks)]
    drop = _drop(legs, heads, targets, [hold for hold, _ in locks], up, fps)
    if drop.any():
        root_path = root_path - drop[:, None] * up
        heads = heads_of(root_path)
        targets = [_target(leg, deltas, heads, hold, held, up)
                   for leg, (hold, held) in zip(legs, locks)]
    for leg, target in zip(legs, targets):
        _solve(leg, deltas, heads, target, plan.frame[:, 2])
    return root_path


def _hips_moved(heads_of, legs, sides, hips, start):
    """heads_of with each leg moved to where the rig puts its hip joint (``hips`` (T, 2, 3),
    measured with the pelvis on ``start``; a lowered pelvis lowers them too)."""

    def moved(path):
        heads = dict(heads_of(path))
        for leg, side in zip(legs, sides):
            shift = hips[:, side] + (path - start) - heads[leg.thigh]
            for bone in set(heads) & leg.chain:
                heads[bone] = heads[bone] + shift
        return heads

    return moved


def _lock(ankle, flags, fps):
    """(hold weights (T,), held ankle positions (T, 3)): where each planted run touched down,
    kept through the fade before and after it."""
    held = ankle.copy()
    ramp = max(1, int(round(BLEND_SECONDS * fps)))
    for first, stop in true_runs(flags):
        held[max(0, first - ramp):stop] = ankle[first]
        held[stop:stop + ramp] = ankle[stop - 1]
    return _hold(flags, fps), held


def _target(leg, deltas, heads, hold, held, up):
    """(T, 3) ankle targets: the held point while planted, the FK path otherwise; on the floor
    while planted and never below it."""
    ankle = heads[leg.foot]
    target = ankle + hold[:, None] * (held - ankle)
    on_floor = leg.floor - leg.sole(deltas, heads, up)  # ankle height with the sole on the floor
    height = target @ up
    height = np.maximum(height + hold * (on_floor - height), on_floor)
    return target + (height - target @ up)[:, None] * up


def _drop(legs, heads, targets, holds, up, fps):
    """(T,) how far the pelvis must come down for planted legs to reach their targets."""
    need = np.zeros(len(targets[0]))
    for leg, target, hold in zip(legs, targets, holds):
        d = target - heads[leg.thigh]
        reach = REACH * (leg.l1 + leg.l2)
        b = d @ up
        disc = b * b - np.sum(d * d, axis=-1) + reach * reach
        lower = np.where(disc >= 0.0, -b - np.sqrt(np.maximum(disc, 0.0)), -b)
        short = np.linalg.norm(d, axis=-1) > reach
        need = np.maximum(need, np.where(short, lower, 0.0) * hold)
    if not need.any():
        return need
    window = max(1, int(round(BLEND_SECONDS * fps)))
    padded = np.pad(need, window, mode="edge")
    peak = np.max(np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1), axis=-1)
    kernel = np.ones(2 * window + 1) / (2 * window + 1)
    return np.convolve(np.pad(peak, window, mode="edge"), kernel, mode="valid")


def _solve(leg, deltas, heads, target, forward):
    """Turn thigh and shin so the ankle reaches ``target`` (T, 3), knee in its own plane."""
    hip, knee, ankle = heads[leg.thigh], heads[leg.shin], heads[leg.foot]
    to_target = target - hip
    dist = np.linalg.norm(to_target, axis=-1)
    e = to_target / np.maximum(dist, 1e-12)[:, None]
    dist = np.clip(dist, abs(leg.l1 - leg.l2) + 1e-6, REACH * (leg.l1 + leg.l2))
    bend = knee - hip
    n = bend - np.sum(bend * e, axis=-1, keepdims=True) * e
    fallback = (deltas[leg.thigh] @ forward[:, None])[..., 0]
    fallback -= np.sum(fallback * e, axis=-1, keepdims=True) * e
    weak = np.linalg.norm(n, axis=-1) < 1e-3 * leg.l1
    n = np.where(weak[:, None], fallback, n)
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)
    cos = np.clip((leg.l1 ** 2 + dist ** 2 - leg.l2 ** 2) / (2.0 * leg.l1 * dist), -1.0, 1.0)
    new_knee = hip + leg.l1 * (cos[:, None] * e + np.sqrt(1.0 - cos ** 2)[:, None] * n)
    new_ankle = hip + dist[:, None] * e
    turn_upper = _arc(bend, new_knee - hip)
    shin = (turn_upper @ (ankle - knee)[:, :, None])[..., 0]
    turn_lower = _arc(shin, new_ankle - new_knee) @ turn_upper
    for bone in leg.upper:
        deltas[bone] = turn_upper @ deltas[bone]
    for bone in leg.lower:
        deltas[bone] = turn_lower @ deltas[bone]
