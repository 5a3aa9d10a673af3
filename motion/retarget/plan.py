"""Everything about a (rig, bone map) pair that does not change from frame to frame.

The retarget works with *world deltas*: ``W = P @ M^T``, the rotation that takes a bone from
its rest to its posed orientation in armature space (P posed, M rest). SMPL-X's rest is a
T-pose with every global rotation the identity, so its world deltas are simply the global joint
rotations ``G_j``. A mapped rig bone gets

    W_b = C @ G_j @ C^T @ K_j

C turns SMPL-X axes (x left, y up, z forward) into the rig's armature axes (found from the
rig's own rest: up from pelvis to head, left from the right to the left arm). K_j is the rest
alignment: the rotation that brings the rig's rest bone onto SMPL-X's rest direction (an A-pose
arm up into the T-pose), composed down each limb so twists carry over. Only limbs and fingers
are aligned: their rest is a pose. The torso, neck, head, clavicles, feet, jaw and eyes keep
their own rest (K = I): both rests are an upright neutral body whose joints sit where the
anatomy puts them (SMPL-X's spine joints zigzag with the curves of the back, a rig's spine
usually stands straight), so a still SMPL-X pose gives a still, upright rig. Bone roll never
enters: only directions and world deltas do. How each limb's roll is spread over the limb and
its twist bones is :mod:`.limbs`'s.
"""

from dataclasses import dataclass, field

import numpy as np

from ..skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS, neutral_skeleton
from .bonemap import BoneMap
from .conventions import axis_angle_matrix
from .limbs import find_segments
from .rig import RetargetError, deform_parents, hierarchy_depths

# Joint -> the child that defines its segment direction in SMPL-X's rest.
PRIMARY_CHILD = {0: 3, 3: 6, 6: 9, 9: 12, 12: 15, 13: 16, 14: 17, 16: 18, 17: 19, 18: 20,
                 19: 21, 20: 28, 21: 43, 1: 4, 2: 5, 4: 7, 5: 8, 7: 10, 8: 11}
for _base in range(25, 55, 3):
    PRIMARY_CHILD[_base] = _base + 1
    PRIMARY_CHILD[_base + 1] = _base + 2
FINGER_TIPS = tuple(range(27, 55, 3))
# Joints whose rig bone is turned onto SMPL-X's rest direction (pose differences, not anatomy).
ALIGNED = frozenset([16, 17, 18, 19, 20, 21, 1, 2, 4, 5] + list(range(25, 55)))
TORSO = frozenset([3, 6, 9, 12, 15])  # spine1, spine2, spine3, neck, head
# Across-the-palm vectors (index1 - pinky1) fix each hand's twist in the rest alignment.
PALM = {20: (25, 31), 21: (40, 46)}
# A rig direction further than this from the direction to the bone's child is not trusted.
_TAIL_TRUST = np.radians(30.0)
_SNAP = np.radians(20.0)
# Blender's character convention: left +x, up +z, facing -y (columns: SMPL-X x, y, z).
BLENDER_FRAME = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass
class Between:
    """An unmapped rig bone on the chain from mapped bone ``above`` to mapped bone ``below``
    (outside the limbs: spine, neck, metacarpals). ``axis``: its rest direction toward
    ``below``'s head, about which it takes its share of the twist."""

    above: int
    below: int  # -1 when several mapped bones hang below (the bone then follows ``above``)
    fraction: float
    torso: bool
    axis: np.ndarray = None


@dataclass(eq=False)
class RetargetPlan:
    """Precomputed retarget data for one rig and bone map (see the module docstring).

    frame : (3, 3) SMPL-X axes -> rig armature axes (C).
    scale : rig units per SMPL-X metre (ratio of hip joint heights).
    anchor : (3,) rest point of the rig that follows SMPL-X's ``anchor_joints`` (the middle of
        the hip joints, or the pelvis): root motion moves it as SMPL-X's moves.
    ground : (3,) the rig's floor point under the anchor, armature space.
    align : (55, 3, 3) rest alignment K per SMPL-X joint.
    joint_bone : (55,) rig bone index per joint, -1 when unmapped.
    effective_parents : (B,) hierarchy the motion follows (deform chain for Rigify rigs).
    mapped, between, follow : driven bones by role; order : all driven bones, parents first.
    segments : limb segments with their twist bones (:mod:`.limbs`).
    chords : {joint: child joint} for a mapped finger joint whose next joint the rig lacks (a
        two-bone finger): its bone turns halfway between the two joints.
    """

    rig: object
    bone_map: BoneMap
    skeleton: object
    frame: np.ndarray
    scale: float
    ground: np.ndarray
    align: np.ndarray
    joint_bone: np.ndarray
    effective_parents: np.ndarray
    mapped: dict = field(default_factory=dict)
    between: dict = field(default_factory=dict)
    follow: list = field(default_factory=list)
    order: list = field(default_factory=list)
    smplx_floor: float = 0.0
    anchor: np.ndarray = None
    anchor_joints: tuple = (0,)
    segments: list = field(default_factory=list)
    chords: dict = field(default_factory=dict)

    @property
    def root_bone(self):
        return int(self.joint_bone[0])

    @property
    def driven(self):
        return set(self.order)

    def folded(self):
        """{joint: (twist bones [(name, place along the segment)], in-between bone names)}:
        the unmapped bones each mapped joint's rotation is spread over."""
        names = self.rig.names
        out = {}
        for seg in self.segments:
            if seg.twist:
                out[JOINT_NAMES[seg.joint]] = ([(names[b], f) for b, f in seg.twist], [])
        joint_of = {bone: JOINT_NAMES[j] for bone, j in self.mapped.items()}
        for bone in sorted(self.between):
            joint = joint_of[self.between[bone].above]
            out.setdefault(joint, ([], []))[1].append(names[bone])
        return out

    def report(self, root_note=""):
        """The bone map as a table: per SMPL-X joint the bone, its confidence, how it was
        found and the twist and in-between bones folded into it; then what is unmapped."""
        bone_map = self.bone_map
        folded = self.folded()
        lines = [f"bone map ({bone_map.source}) of rig {self.rig.name!r}: {len(bone_map)} of "
                 f"{len(JOINT_NAMES)} SMPL-X joints mapped"]
        for joint, bone in bone_map.ordered():
            line = (f"  {joint:<18} -> {bone:<28} {bone_map.confidence[joint]:.2f} "
                    f"({bone_map.how[joint]})")
            twist, between = folded.get(joint, ([], []))
            if twist:
                line += "  twist: " + ", ".join(f"{name} ({place:.2f})" for name, place in twist)
            if between:
                line += "  with: " + ", ".join(between)
            lines.append(line)
        if bone_map.unmapped:
            lines.append("unmapped: " + ", ".join(bone_map.unmapped))
        lines.extend(f"note: {n}" for n in bone_map.notes)
        if root_note:
            lines.append(root_note)
        return "\n".join(lines)


def build_plan(rig, bone_map, skeleton=None, frame=None):
    """Precompute a retarget of SMPL-X motion onto ``rig`` through ``bone_map``.

    skeleton : SMPL-X Skeleton whose rest is the source T-pose (the built-in neutral one by
    default). frame : optional (3, 3) override of the SMPL-X -> armature axes.
    """
    skeleton = skeleton or neutral_skeleton()
    bone_map.check(rig)
    if "pelvis" not in bone_map:
        raise RetargetError(
            f"bone map {bone_map.source!r} has no bone for the pelvis; rig {rig.name!r} needs "
            f"one to carry the body's position and orientation"
        )
    joint_bone = np.full(len(JOINT_NAMES), -1, dtype=np.int64)
    for joint, bone in bone_map.bones.items():
        joint_bone[JOINT_INDEX[joint]] = rig.index(bone)
    parents = deform_parents(rig)
    C = _detect_frame(rig, joint_bone) if frame is None else _checked_frame(frame)
    scale, joints, anchor, ground, floor = _scale(rig, joint_bone, skeleton, C)
    align = _alignments(rig, joint_bone, parents, skeleton, C)
    plan = RetargetPlan(rig=rig, bone_map=bone_map, skeleton=skeleton, frame=C, scale=scale,
                        ground=ground, align=align, joint_bone=joint_bone,
                        effective_parents=parents, smplx_floor=floor, anchor=anchor,
                        anchor_joints=joints,
                        segments=find_segments(rig, parents, joint_bone),
                        chords=_chords(joint_bone))
    _roles(plan)
    return plan


def _chords(joint_bone):
    """{finger joint: next joint} where the rig's finger has no bone for the next joint."""
    out = {}
    for j in range(25, 55):
        child = PRIMARY_CHILD.get(j)
        if joint_bone[j] >= 0 and child is not None and joint_bone[child] < 0:
            out[j] = child
    return out


def _checked_frame(frame):
    frame = np.asarray(frame, dtype=np.float64)
    if frame.shape != (3, 3) or not np.allclose(frame @ frame.T, np.eye(3), atol=1e-6) \
            or np.linalg.det(frame) < 0:
        raise RetargetError("frame must be a 3x3 rotation matrix (SMPL-X axes -> rig axes)")
    return frame


def detect_frame(rig, bone_map):
    """(3, 3) rotation from SMPL-X axes (x left, y up, z forward) to the rig's armature axes.

    Found from the rig's rest: up from the pelvis bone to the head (or neck, chest), left from
    the right to the left upper arm (or thigh, clavicle). Snaps to the nearest axis-aligned
    frame when within 20 degrees, so a rig standing a little off-vertical still gets exact axes.
    Without those bones, Blender's convention (z up, facing -y) is assumed.
    """
    joint_bone = np.full(len(JOINT_NAMES), -1, dtype=np.int64)
    for joint, bone in bone_map.bones.items():
        joint_bone[JOINT_INDEX[joint]] = rig.index(bone)
    return _detect_frame(rig, joint_bone)


def _detect_frame(rig, joint_bone):
    heads = rig.heads

    def head(*joints):
        for j in joints:
            b = joint_bone[JOINT_INDEX[j]]
            if b >= 0:
                return heads[b]
        return None

    up_top = head("head", "neck", "spine3", "spine2")
    low = head("pelvis")
    pairs = [(head("left_shoulder"), head("right_shoulder")), (head("left_hip"), head("right_hip")),
             (head("left_collar"), head("right_collar"))]
    left = next((a - b for a, b in pairs if a is not None and b is not None), None)
    if up_top is None or low is None or left is None:
        return BLENDER_FRAME.copy()
    up = up_top - low
    up = up / np.linalg.norm(up)
    left = left - (left @ up) * up
    left = left / np.linalg.norm(left)
    forward = np.cross(left, up)
    C = np.stack([left, up, forward], axis=1)
    snapped = np.zeros((3, 3))
    for k in range(3):
        axis = int(np.argmax(np.abs(C[:, k])))
        snapped[axis, k] = np.sign(C[axis, k])
    if abs(np.linalg.det(snapped) - 1.0) < 1e-9 and _angle_between(C, snapped) < _SNAP:
        return snapped
    return C


def _angle_between(a, b):
    c = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.arccos(np.clip(c, -1.0, 1.0)))


def _scale(rig, joint_bone, skeleton, C):
    """(rig units per SMPL-X metre, anchor joints, the rig's rest anchor point, the floor point
    under it, SMPL-X's rest floor height).

    The anchor is the middle of the hip joints (the thigh bones' heads; the pelvis bone's head
    when the legs are not mapped): the point of the body whose path root motion follows and
    whose height above the floor gives the scale. Where a rig's pelvis bone starts varies (at
    the hip joints, the bottom of the pelvis, the lower back), its hip joints do not.
    """
    up = C[:, 1]
    deform = rig.deform if rig.deform.any() else np.ones(len(rig), bool)
    points = np.concatenate([rig.heads[deform], rig.tails[deform]])
    floor = float(np.min(points @ up))
    rest = skeleton.rest_positions
    smplx_floor = float(np.min(rest[:, 1]))
    hips = [int(joint_bone[j]) for j in (1, 2)]
    joints = (1, 2) if min(hips) >= 0 else (0,)
    bones = hips if min(hips) >= 0 else [int(joint_bone[0])]
    anchor = rig.heads[bones].mean(axis=0)
    rig_height = float(anchor @ up) - floor
    smplx_height = float(rest[list(joints), 1].mean()) - smplx_floor
    if rig_height <= 1e-9 or smplx_height <= 1e-9:
        raise RetargetError(f"rig {rig.name!r}: its hips are not above its feet")
    ground = anchor - rig_height * up
    return rig_height / smplx_height, joints, anchor, ground, smplx_floor


def smplx_directions(skeleton):
    """(55, 3) unit rest segment directions of SMPL-X joints (zero where undefined)."""
    rest = skeleton.rest_positions
    out = np.zeros((len(JOINT_NAMES), 3))
    for j, c in PRIMARY_CHILD.items():
        out[j] = rest[c] - rest[j]
    for j in FINGER_TIPS:
        out[j] = rest[j] - rest[PARENTS[j]]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 1e-12, out / np.maximum(norms, 1e-12), 0.0)


def _rig_direction(rig, bone, child_bone, parents):
    """Rest direction of a rig bone: its Y axis, or the way to its mapped child if the Y axis
    clearly points elsewhere (bones imported without orientation)."""
    y = rig.directions[bone]
    if child_bone >= 0 and bone in rig.ancestors(child_bone, parents):
        d = rig.heads[child_bone] - rig.heads[bone]
        n = np.linalg.norm(d)
        if n > 1e-9 and np.arccos(np.clip(y @ d / n, -1.0, 1.0)) > _TAIL_TRUST:
            return d / n
    return y


def shortest_arc(a, b):
    """(3, 3) rotation taking unit vector a onto unit vector b by the shortest arc."""
    v = np.cross(a, b)
    c = float(a @ b)
    if c < -1.0 + 1e-9:
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def _twist_onto(axis, a, b):
    """Rotation about ``axis`` turning a's component across the axis onto b's."""
    a = a - (a @ axis) * axis
    b = b - (b @ axis) * axis
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-9 or nb < 1e-9:
        return np.eye(3)
    a, b = a / na, b / nb
    angle = np.arctan2(np.cross(a, b) @ axis, a @ b)
    return axis_angle_matrix(axis, angle)


def _alignments(rig, joint_bone, parents, skeleton, C):
    """(55, 3, 3) rest alignment K per joint (identity where the rig keeps its own rest)."""
    dirs = smplx_directions(skeleton)
    rest = skeleton.rest_positions
    K = np.tile(np.eye(3), (len(JOINT_NAMES), 1, 1))
    for j in range(len(JOINT_NAMES)):
        if j not in ALIGNED:
            continue
        parent_k = K[PARENTS[j]] if PARENTS[j] >= 0 else np.eye(3)
        bone = joint_bone[j]
        if bone < 0:
            K[j] = parent_k
            continue
        child = joint_bone[PRIMARY_CHILD[j]] if j in PRIMARY_CHILD else -1
        v = parent_k @ _rig_direction(rig, bone, child, parents)
        u = C @ dirs[j]
        K[j] = shortest_arc(v / np.linalg.norm(v), u) @ parent_k
        if j in PALM:
            index, pinky = (joint_bone[k] for k in PALM[j])
            if index >= 0 and pinky >= 0:
                rig_across = K[j] @ (rig.heads[index] - rig.heads[pinky])
                smplx_across = C @ (rest[PALM[j][0]] - rest[PALM[j][1]])
                K[j] = _twist_onto(u, rig_across, smplx_across) @ K[j]
    return K


def _roles(plan):
    """Sort driven bones into mapped, in-between and detached followers, parents first."""
    rig, parents = plan.rig, plan.effective_parents
    mapped = {int(b): j for j, b in enumerate(plan.joint_bone) if b >= 0}
    twist = {b for seg in plan.segments for b, _ in seg.twist}
    between = {}
    shared = set()
    for bone, joint in mapped.items():
        path = []
        a = parents[bone]
        while a >= 0 and a not in mapped:
            path.append(int(a))
            a = parents[a]
        if a < 0:
            continue  # nothing mapped above: the bones above stay at rest
        path.reverse()
        for k, b in enumerate(path, start=1):
            if b in twist:
                continue
            if b in between:
                shared.add(b)
            axis = rig.heads[bone] - rig.heads[b]
            n = np.linalg.norm(axis)
            axis = axis / n if n > 1e-9 else rig.directions[b]
            between[b] = Between(int(a), bone, k / (len(path) + 1), joint in TORSO, axis)
    for b in shared:
        between[b] = Between(between[b].above, -1, 0.0, False)
    driven = set(mapped) | set(between) | twist
    follow = []
    depth = hierarchy_depths(parents)
    for b in np.argsort(depth, kind="stable"):
        b = int(b)
        if b in driven or parents[b] < 0:
            continue
        if parents[b] in driven and parents[b] != rig.parents[b]:
            follow.append(b)
            driven.add(b)
    plan.mapped, plan.between, plan.follow = mapped, between, follow
    plan.order = _topological(rig, parents, driven)


def _topological(rig, parents, bones):
    """``bones`` ordered so each comes after its actual and its effective parent."""
    order, seen = [], set()

    def visit(b):
        stack = [b]
        while stack:
            x = stack[-1]
            deps = [p for p in (rig.parents[x], parents[x])
                    if p >= 0 and p not in seen and p not in stack]
            if deps:
                stack.extend(deps)
                continue
            stack.pop()
            if x not in seen:
                seen.add(x)
                if x in bones:
                    order.append(int(x))

    for b in sorted(bones):
        visit(b)
    return order
