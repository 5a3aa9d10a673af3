"""SMPL-X motion -> rig pose channels, and rig pose -> SMPL-X (for capturing key poses).

Forward: SMPL-X forward kinematics gives each joint's global rotation; mapped rig bones take
it as a world delta against their own (aligned) rest (see :mod:`.plan`); limb segments keep the
swing on the limb bone and spread the roll over their twist bones (:mod:`.limbs`); other
unmapped bones between two mapped ones share the change (spread along the spine and neck, a
twist share about their own line elsewhere). The middle of the hip joints follows SMPL-X's,
scaled by the ratio of hip heights, and the pelvis hangs from it; the legs are re-solved so
planted feet hold still on the floor (:mod:`.feet`), and the travel goes to whatever can carry
it (:mod:`.root`). Every driven bone's world delta then becomes Blender's local pose rotation
relative to its actual parent.

Inverse: the rig's local pose channels are run through the rig's own forward kinematics; mapped
bones give back SMPL-X global rotations, unmapped spine joints share the change between their
mapped neighbours, other unmapped joints keep their parent's rotation. A limb's roll comes back
as its bones carry it (the split between elbow and wrist may differ from the source's).
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from ..container import Motion
from ..rotations import (
    matrix_to_axis_angle,
    matrix_to_quat,
    quat_continuity,
    quat_slerp,
    quat_to_matrix,
)
from ..skeleton import JOINT_NAMES, PARENTS
from . import feet
from .automap import auto_map
from .conventions import axis_angle_matrix
from .limbs import distribute
from .plan import TORSO, build_plan
from .rig import RetargetError
from .root import root_carrier, split_travel
from .settings import RetargetSettings

log = logging.getLogger(__name__)

ROOT_MOTION = ("relative", "absolute", "none")


@dataclass(eq=False)
class RigMotion:
    """Pose channels of a rig over time, in Blender's pose-bone convention.

    bone_names : K bones with rotation channels.
    rotations : (T, K, 4) unit quaternions (w, x, y, z): each bone's rotation relative to its
        rest, in its parent's frame (``PoseBone.rotation_quaternion``), sign-continuous in time.
    location_bones : L bones with location channels (the pelvis bone first, when present).
    locations : (T, L, 3) ``PoseBone.location`` values: armature units in the bone's rest frame.
    fps : frames per second.
    object_offsets : (T, 3) how far the armature object moves, armature units and axes (root
        motion carried by the object), or None.
    root_note : what carries the root motion, in words.
    switches : {bone: {custom property: value}} held for the take (a rig's IK/FK switches).
    """

    bone_names: tuple
    rotations: np.ndarray
    location_bones: tuple = ()
    locations: np.ndarray = None
    fps: float = 30.0
    rig_name: str = ""
    object_offsets: np.ndarray = None
    root_note: str = ""
    switches: dict = field(default_factory=dict)

    def __post_init__(self):
        self.bone_names = tuple(self.bone_names)
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        self.location_bones = tuple(self.location_bones)
        n = self.rotations.shape[0]
        if self.locations is None:
            self.locations = np.zeros((n, len(self.location_bones), 3))
        self.locations = np.asarray(self.locations, dtype=np.float64)
        if self.rotations.shape != (n, len(self.bone_names), 4):
            raise RetargetError(f"rotations must have shape (T, {len(self.bone_names)}, 4), "
                                f"got {self.rotations.shape}")
        if self.locations.shape != (n, len(self.location_bones), 3):
            raise RetargetError(f"locations must have shape ({n}, {len(self.location_bones)}, 3),"
                                f" got {self.locations.shape}")

    @property
    def n_frames(self):
        return self.rotations.shape[0]


def retarget(motion, rig, bone_map=None, *, plan=None, skeleton=None, settings=None, hips=None):
    """Retarget SMPL-X motion onto a rig -> RigMotion ready to be keyed.

    motion : Motion (SMPL-X, any length). rig : Rig. bone_map : BoneMap (automatic mapping
    when None). plan : a RetargetPlan to reuse instead of rig/bone_map/skeleton.
    settings : a :class:`RetargetSettings` (None: the defaults); of it, here:
    root_motion : "relative" (the pelvis starts at the rig's rest position and moves by the
    scaled SMPL-X displacement), "absolute" (SMPL-X's floor and origin become the rig's), or
    "none" (no pelvis translation).
    root_target : what carries the root motion: "auto", "pelvis", "root" or "object" (see
    :mod:`.root`); ``RigMotion.root_note`` says which it was.
    plant_feet : re-solve the rig's legs so planted feet hold still on the floor and no foot
    goes below it (:mod:`.feet`). hips : (T, 2, 3) where the rig's own mechanics put its hip
    joints, armature space, when they are not rigid with the pelvis bone (:mod:`.feet`).
    """
    settings = settings or RetargetSettings()
    root_motion = settings.root_motion
    if root_motion not in ROOT_MOTION:
        raise RetargetError(f"root_motion must be one of {', '.join(ROOT_MOTION)}, got {root_motion!r}")
    plan = plan or make_plan(rig, bone_map, skeleton)
    rig = plan.rig
    carrier = root_carrier(plan, settings.root_target) if root_motion != "none" else None
    global_rot, positions = plan.skeleton.forward_kinematics(motion.poses, motion.trans)
    deltas = _world_deltas(plan, global_rot)
    path = _root_heads(plan, positions, deltas[plan.root_bone], root_motion)
    if settings.plant_feet:
        path = feet.plant_feet(plan, deltas, lambda p: _driven_heads(plan, deltas, p), path,
                               positions, motion.fps, motion.contacts, hips)
    carried, offsets = {}, None
    if carrier is not None:
        hang = plan.anchor - rig.heads[plan.root_bone]
        anchor = path + (deltas[plan.root_bone] @ hang[:, None])[..., 0]
        path, carried, offsets = split_travel(plan, carrier, path, anchor)
        identity = np.broadcast_to(np.eye(3), (motion.n_frames, 3, 3))
        deltas.update({b: identity for b in carried})
    heads = _driven_heads(plan, deltas, path, carried)
    located = set(carried)
    if carrier is not None and plan.root_bone in (carrier.floor, carrier.height):
        located.add(plan.root_bone)
    names, quats, loc_names, locs = _local_channels(plan, deltas, heads, located)
    note = carrier.note if carrier is not None else "no root motion"
    log.info("rig %s: %s", rig.name, note)
    return RigMotion(names, quats, loc_names, locs, fps=motion.fps, rig_name=rig.name,
                     object_offsets=offsets, root_note=note)


def make_plan(rig, bone_map=None, skeleton=None, frame=None):
    """:func:`~.plan.build_plan`, mapping the rig automatically when no bone map is given."""
    if bone_map is None:
        bone_map = auto_map(rig)
    return build_plan(rig, bone_map, skeleton, frame)


def _world_deltas(plan, global_rot):
    """{bone: (T, 3, 3) world delta} for every driven bone."""
    C = plan.frame
    cache = {}

    def virtual(joint):
        """World delta the rig would get for an SMPL-X joint (mapped or not)."""
        if joint not in cache:
            cache[joint] = C @ global_rot[:, joint] @ C.T @ plan.align[joint]
        return cache[joint]

    deltas = {}
    for bone, joint in plan.mapped.items():
        if joint in plan.chords:  # a two-bone finger: halfway to the missing joint's turn
            child = plan.chords[joint]
            relative = matrix_to_quat(np.swapaxes(global_rot[:, joint], -1, -2) @ global_rot[:, child])
            half = quat_slerp(np.broadcast_to([1.0, 0, 0, 0], relative.shape), relative, 0.5)
            deltas[bone] = C @ global_rot[:, joint] @ quat_to_matrix(half) @ C.T @ plan.align[joint]
        else:
            deltas[bone] = virtual(joint)
    distribute(plan.segments, virtual, deltas)
    for bone, link in plan.between.items():
        above = deltas[link.above]
        if link.below < 0 or link.fraction == 0.0:
            deltas[bone] = above
            continue
        relative = np.swapaxes(above, -1, -2) @ deltas[link.below]
        if link.torso:
            q = matrix_to_quat(relative)
            share = quat_slerp(np.broadcast_to([1.0, 0, 0, 0], q.shape), q, link.fraction)
            deltas[bone] = above @ quat_to_matrix(share)
        else:
            axis = link.axis
            q = matrix_to_quat(relative)
            angle = 2.0 * np.arctan2(q[:, 1:] @ axis, q[:, 0])
            angle = (angle + np.pi) % (2.0 * np.pi) - np.pi
            deltas[bone] = above @ axis_angle_matrix(axis, link.fraction * angle)
    for bone in plan.follow:
        deltas[bone] = deltas[plan.effective_parents[bone]]
    return deltas


def _root_heads(plan, positions, pelvis_turn, root_motion):
    """(T, 3) target head of the pelvis bone in armature space: the rig's anchor (middle of the
    hip joints) moves as SMPL-X's does, scaled; the pelvis bone hangs from it by its turn.

    positions : (T, 55, 3) SMPL-X joints; pelvis_turn : (T, 3, 3) the pelvis bone's world delta.
    """
    rig, C, s = plan.rig, plan.frame, plan.scale
    rest_head = rig.heads[plan.root_bone]
    if root_motion == "none":
        return np.broadcast_to(rest_head, positions[:, 0].shape).copy()
    smplx = positions[:, list(plan.anchor_joints)].mean(axis=1)
    if root_motion == "relative":
        anchor = plan.anchor + s * (smplx - smplx[:1]) @ C.T
    else:  # SMPL-X's world floor (y = 0) and origin become the rig's
        anchor = plan.ground + s * smplx @ C.T
    return anchor - (pelvis_turn @ (plan.anchor - rest_head)[:, None])[..., 0]


def _passive_pose(plan, bone, deltas, heads, cache):
    """(W, head) of a bone that is not keyed: it follows its actual parent (or stays at rest)."""
    if bone < 0:
        return None, np.zeros(3)
    if bone in deltas and bone in heads:
        return deltas[bone], heads[bone]
    if bone in cache:
        return cache[bone]
    rig = plan.rig
    parent = rig.parents[bone]
    w, h = _passive_pose(plan, parent, deltas, heads, cache)
    if w is None:
        result = (None, rig.heads[bone])
    else:
        result = (w, h + w @ (rig.heads[bone] - rig.heads[parent]))
    cache[bone] = result
    return result


def _driven_heads(plan, deltas, root_heads, fixed=None):
    """{bone: (T, 3) head position} of driven bones, following the effective hierarchy.

    fixed : {bone: (T, 3)} heads of bones above the pelvis that carry root motion.
    """
    rig = plan.rig
    heads = dict(fixed or {})
    cache = {}
    for bone in plan.order:
        if bone == plan.root_bone:
            heads[bone] = root_heads
            continue
        ep = plan.effective_parents[bone]
        w, h = _passive_pose(plan, ep, deltas, heads, cache)
        if w is None:  # everything above is at rest
            heads[bone] = np.broadcast_to(rig.heads[bone], root_heads.shape).copy()
        else:
            heads[bone] = h + w @ (rig.heads[bone] - rig.heads[ep])
    return heads


def _local_channels(plan, deltas, heads, located):
    """World deltas -> Blender local quaternions, and the locations that need keys.

    located : bones whose location carries root motion (keyed even when still); other bones
    get location keys only when their head leaves its rest place relative to the parent.
    """
    rig = plan.rig
    cache = {}
    names, quats, loc_names, locs = [], [], [], []
    size = float(np.ptp(np.concatenate([rig.heads, rig.tails]), axis=0).max()) or 1.0
    carriers = sorted(set(located) - set(plan.order), key=lambda b: len(rig.ancestors(b)))
    for bone in carriers + plan.order:
        m = rig.matrices[bone]
        parent = rig.parents[bone]
        wp, hp = _passive_pose(plan, parent, deltas, heads, cache)
        if wp is None:
            wp = np.eye(3)
        head_p = rig.heads[parent] if parent >= 0 else np.zeros(3)
        rp = wp if rig.inherit_rotation[bone] else np.eye(3)
        if bone not in carriers:
            local = m.T @ np.swapaxes(rp, -1, -2) @ deltas[bone] @ m
            names.append(rig.names[bone])
            quats.append(quat_continuity(matrix_to_quat(local), axis=0))
        offset = heads[bone] - hp - (wp @ (rig.heads[bone] - head_p))
        loc = (np.swapaxes(rp, -1, -2) @ offset[..., None])[..., 0] @ m
        if bone in located or (bone != plan.root_bone and not rig.connected[bone]
                               and np.abs(loc).max() > 1e-6 * size):
            loc_names.append(rig.names[bone])
            locs.append(loc)
    first = {rig.names[b] for b in located}
    order = sorted(range(len(loc_names)), key=lambda k: loc_names[k] not in first)
    loc_names = [loc_names[k] for k in order]
    n = next(iter(heads.values())).shape[0]
    locs = np.stack([locs[k] for k in order], axis=1) if locs else np.zeros((n, 0, 3))
    return names, np.stack(quats, axis=1), loc_names, locs


def to_smplx(rig_motion, rig, bone_map=None, *, plan=None, skeleton=None, expressions=None):
    """Rig pose channels -> SMPL-X Motion (the inverse of :func:`retarget`).

    rig_motion : RigMotion; bones it does not list are at rest (identity, zero location).
    The pelvis position maps back through the floor and origin ("absolute" root motion).
    """
    plan = plan or make_plan(rig, bone_map, skeleton)
    rig = plan.rig
    n = rig_motion.n_frames
    rot_of = {rig.index(b): k for k, b in enumerate(rig_motion.bone_names)}
    loc_of = {rig.index(b): k for k, b in enumerate(rig_motion.location_bones)}
    local = quat_to_matrix(rig_motion.rotations)
    cache = {}

    def pose(bone):
        """(W, head) of a bone under the given channels, by the rig's own hierarchy."""
        if bone in cache:
            return cache[bone]
        parent = rig.parents[bone]
        m = rig.matrices[bone]
        if parent >= 0:
            wp, hp = pose(parent)
            offset = hp + wp @ (rig.heads[bone] - rig.heads[parent])
        else:
            wp, offset = np.broadcast_to(np.eye(3), (n, 3, 3)), np.broadcast_to(rig.heads[bone], (n, 3))
        rp = wp if rig.inherit_rotation[bone] else np.broadcast_to(np.eye(3), (n, 3, 3))
        if bone in rot_of:
            w = rp @ m @ local[:, rot_of[bone]] @ m.T
        else:
            w = rp
        head = offset
        if bone in loc_of:
            head = offset + (rp @ m @ rig_motion.locations[:, loc_of[bone], :, None])[..., 0]
        cache[bone] = (w, head)
        return cache[bone]

    deltas = {int(b): pose(int(b))[0] for b in plan.joint_bone if b >= 0}
    return _motion_from_deltas(plan, deltas, pose(plan.root_bone)[1], rig_motion.fps, expressions)


def smplx_from_pose(plan, rotations, heads, *, fps=30.0, expressions=None):
    """An evaluated rig pose -> SMPL-X Motion, whatever drives the bones (constraints, IK).

    rotations : (T, B, 3, 3) or (B, 3, 3) posed bone rotations in armature space
        (``PoseBone.matrix``), for every bone of ``plan.rig`` in rig order.
    heads : (T, B, 3) or (B, 3) posed bone heads in armature space.
    """
    rotations = np.asarray(rotations, dtype=np.float64)
    heads = np.asarray(heads, dtype=np.float64)
    if rotations.ndim == 3:
        rotations, heads = rotations[None], heads[None]
    n_bones = len(plan.rig)
    if rotations.shape[1:] != (n_bones, 3, 3) or heads.shape != rotations.shape[:2] + (3,):
        raise RetargetError(f"a pose of rig {plan.rig.name!r} needs (T, {n_bones}, 3, 3) "
                            f"rotations and (T, {n_bones}, 3) heads, got {rotations.shape} "
                            f"and {heads.shape}")
    deltas = {int(b): rotations[:, b] @ plan.rig.matrices[b].T for b in plan.joint_bone if b >= 0}
    return _motion_from_deltas(plan, deltas, heads[:, plan.root_bone], fps, expressions)


def _motion_from_deltas(plan, deltas, root_head, fps, expressions):
    """World deltas of mapped bones and the pelvis bone's head -> SMPL-X Motion."""
    C = plan.frame
    n = root_head.shape[0]
    global_rot = np.empty((n, len(JOINT_NAMES), 3, 3))
    known = np.zeros(len(JOINT_NAMES), dtype=bool)
    for j, bone in enumerate(plan.joint_bone):
        if bone >= 0:
            global_rot[:, j] = C.T @ deltas[int(bone)] @ plan.align[j].T @ C
            known[j] = True
    _fill_unmapped(global_rot, known)
    local_rot = global_rot.copy()
    local_rot[:, 1:] = np.swapaxes(global_rot[:, PARENTS[1:]], -1, -2) @ global_rot[:, 1:]
    poses = matrix_to_axis_angle(local_rot)
    rest = plan.skeleton.rest_positions
    rig_turn = deltas[plan.root_bone]
    anchor = root_head + (rig_turn @ (plan.anchor - plan.rig.heads[plan.root_bone])[:, None])[..., 0]
    smplx = (anchor - plan.ground) @ C / plan.scale
    below = rest[list(plan.anchor_joints)].mean(axis=0) - rest[0]  # pelvis -> anchor, at rest
    pelvis = smplx - (global_rot[:, 0] @ below[:, None])[..., 0]
    trans = pelvis - rest[0]
    if expressions is None:
        expressions = np.zeros((n, 0), np.float32)
    return Motion(poses=poses, trans=trans, expressions=expressions, fps=fps)


def _fill_unmapped(global_rot, known):
    """Unmapped joints: spine joints share the turn between mapped neighbours; others keep
    their parent's rotation."""
    for j in range(len(JOINT_NAMES)):
        if known[j]:
            continue
        p = PARENTS[j]
        parent_rot = global_rot[:, p] if p >= 0 else np.eye(3)
        global_rot[:, j] = parent_rot
        if j in TORSO and p >= 0:
            below, steps = j, 1
            while below is not None and not known[below]:
                kids = [c for c in np.flatnonzero(PARENTS == below) if c in TORSO]
                below = int(kids[0]) if kids else None
                steps += 1
            if below is not None:
                relative = np.swapaxes(parent_rot, -1, -2) @ global_rot[:, below]
                q = matrix_to_quat(relative)
                share = quat_slerp(np.broadcast_to([1.0, 0, 0, 0], q.shape), q, 1.0 / steps)
                global_rot[:, j] = parent_rot @ quat_to_matrix(share)
        known[j] = True
