"""BVH files of other skeletons (a mocap tool's, CMU's, Mixamo's, a rig Blender exported), read
as SMPL-X motion through the retargeting's way back.

A BVH rest pose is its OFFSETs with every joint turned by nothing, each joint's frame the
file's axes. Its joints become the bones of a :class:`~.retarget.Rig` (head at the joint, tail
at its child or End Site; the roll is immaterial to the retargeting), mapped to SMPL-X by name
(``retarget.auto_map``: presets, then the words of the names), and each frame's forward
kinematics gives the posed bones that :func:`~.retarget.transfer.smplx_from_pose` reads back,
as from a rig evaluated in Blender. Up and forward come from the rest skeleton (Y-up files and
Z-up ones alike), the size from its hips' height (any units).
"""

import numpy as np

from .errors import MotionFileError
from .retarget import RetargetError, Rig, auto_map, make_plan, smplx_from_pose
from .rotations import elementary_rotation

_AXES = "XYZ"
# Without these mapped a take of the body makes no sense (as the add-on's essential joints)
NEEDED = ("pelvis", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
          "left_wrist", "right_wrist")


def rig_motion_from_bvh(data, label, fps):
    """SMPL-X Motion of parsed BVH ``data`` (a :class:`~.bvh.BvhData`) of any humanoid skeleton
    its names tell; MotionFileError naming what could not be mapped."""
    rig = bvh_rig(data, label)
    try:
        bone_map = auto_map(rig)
        missing = [joint for joint in NEEDED if joint not in bone_map]
        if missing:
            raise RetargetError(f"no joint found for {', '.join(missing)}")
        plan = make_plan(rig, bone_map)
    except RetargetError as exc:
        raise MotionFileError(label, f"its skeleton is not the SMPL-X 55-joint skeleton: it has "
                                     f"{len(rig)} joints, and read as another humanoid's: {exc}") from None
    rotations, heads, tails = posed(data, rig)
    up = plan.frame[:, 1]
    # a file's rest stands anywhere (CMU's hips at 0, SMPL-X's pelvis at its model origin) while
    # its root moves in the file's world: the rest is stood on the floor the take's feet are on
    rest_floor = float(np.min(np.concatenate([rig.heads, rig.tails]) @ up))
    feet = np.concatenate([heads, tails], axis=1) @ up
    floor = float(np.percentile(feet.min(axis=1), 5))
    return smplx_from_pose(plan, rotations, heads - (floor - rest_floor) * up, fps=fps)


def bvh_rig(data, label):
    """The BVH's rest skeleton as a Rig: a bone per joint, file axes and units."""
    offsets = np.asarray(data.offsets, dtype=np.float64)
    parents = np.asarray(data.parents, dtype=np.int64)
    heads = _rest_heads(offsets, parents)
    tails = heads.copy()
    size = max(1e-6, _size(heads))
    for j in range(len(heads)):
        children = np.flatnonzero(parents == j)
        if j in data.end_sites:
            reach = np.asarray(data.end_sites[j], dtype=np.float64)
        elif len(children):  # the child most along them all: a hand's middle finger, a chest's neck
            mean = offsets[children].mean(axis=0)
            reach = offsets[children[np.argmax(offsets[children] @ mean / np.maximum(
                1e-12, np.linalg.norm(offsets[children], axis=1)))]]
        else:
            reach = np.zeros(3)
        if np.linalg.norm(reach) < 1e-9:  # a joint on top of its children: along its parent
            reach = offsets[j] if np.linalg.norm(offsets[j]) > 1e-9 else np.array([0.0, 1.0, 0.0])
            reach = 0.1 * size * reach / np.linalg.norm(reach)
        tails[j] = heads[j] + reach
    try:
        return Rig(names=data.names, parents=parents, heads=heads, tails=tails,
                   matrices=np.stack([_frame(t - h) for h, t in zip(heads, tails)]), name=str(label))
    except RetargetError as exc:
        raise MotionFileError(label, str(exc)) from None


def posed(data, rig):
    """((T, B, 3, 3) posed bone rotations, (T, B, 3) posed heads and tails) in the file's
    space, each frame by forward kinematics over the BVH's channels."""
    n, joints = data.values.shape[0], len(data.names)
    starts = np.cumsum([0] + [len(c) for c in data.channels])
    offsets = np.asarray(data.offsets, dtype=np.float64)
    world = np.empty((n, joints, 3, 3))
    heads = np.empty((n, joints, 3))
    for j in range(joints):  # a parent comes before its children in a BVH
        block = data.values[:, starts[j]:starts[j + 1]]
        local = np.broadcast_to(np.eye(3), (n, 3, 3))
        position = np.broadcast_to(offsets[j], (n, 3)).copy()
        for k, name in enumerate(data.channels[j]):
            axis = _AXES.index(name[0])
            if name.endswith("rotation"):
                local = local @ elementary_rotation(axis, np.radians(block[:, k]))
            else:
                position[:, axis] = block[:, k]  # a joint's position channels replace its OFFSET
        parent = data.parents[j]
        if parent < 0:
            world[:, j], heads[:, j] = local, position
        else:
            world[:, j] = world[:, parent] @ local
            heads[:, j] = heads[:, parent] + (world[:, parent] @ position[..., None])[..., 0]
    tails = heads + (world @ (rig.tails - rig.heads)[None, :, :, None])[..., 0]
    return world @ rig.matrices[None], heads, tails


def _rest_heads(offsets, parents):
    heads = np.zeros_like(offsets)
    for j, parent in enumerate(parents):
        heads[j] = offsets[j] + (heads[parent] if parent >= 0 else 0.0)
    return heads


def _size(heads):
    return float(np.max(np.ptp(heads, axis=0))) if len(heads) > 1 else 1.0


def _frame(direction):
    """(3, 3) a bone's rest frame: Y along ``direction``, X and Z completing it."""
    y = direction / np.linalg.norm(direction)
    helper = np.array([0.0, 0.0, 1.0]) if abs(y[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)], axis=1)
