"""Reading Blender armatures into plain retargeting data (used by the add-on and headless bakes).

    rig = read_rig(armature_obj)          # rest pose -> motion.retarget.Rig (armature space)
    pose = read_pose(armature_obj, rig)   # the current pose channels -> one-frame RigMotion
    motion = capture_pose(armature_obj, plan)  # what Blender shows now -> one-frame SMPL-X

Everything is read in armature space, so the object's own transform (where it stands, how it is
turned, its unit scale) never enters the retarget: the motion plays in the armature's frame and
the object places it in the scene.
"""

import logging

import bpy
import numpy as np

from ..motion.retarget import RetargetError, Rig, RigMotion, smplx_from_pose
from ..motion.rotations import matrix_to_quat

log = logging.getLogger(__name__)


def _armature(obj):
    if obj is None or getattr(obj, "type", None) != "ARMATURE":
        name = getattr(obj, "name", obj)
        raise RetargetError(f"{name!r} is not an armature object")
    return obj


def check_animatable(armature_obj):
    """RetargetError when keys put on the armature would not be saved with the file: an armature
    linked from another .blend, or a library override left uneditable. Blender lets a script
    key either; the keys are gone when the file is opened again."""
    obj = _armature(armature_obj)
    if obj.library is not None:
        raise RetargetError(
            f"armature {obj.name!r} is linked from {obj.library.filepath!r}: keys put on it are not "
            "saved with this file. Make a library override of the character (Object > Library "
            "Override > Make) and animate the override")
    if not obj.is_editable:
        raise RetargetError(
            f"armature {obj.name!r} is a library override that cannot be edited: keys put on it "
            "are not saved. Make it editable (Outliner: right-click > Library Override > Make "
            "Editable) and animate it")
    return obj


def read_rig(armature_obj):
    """An armature object's rest pose as a :class:`~talkrig.motion.retarget.Rig`.

    Heads, tails and rest matrices come from ``Bone.head_local``/``tail_local``/``matrix_local``
    (armature space). An armature in edit mode is synced first.
    """
    obj = _armature(armature_obj)
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    bones = obj.data.bones
    n = len(bones)
    if n == 0:
        raise RetargetError(f"armature {obj.name!r} has no bones")
    names = [b.name for b in bones]
    index = {name: i for i, name in enumerate(names)}
    parents = [index[b.parent.name] if b.parent else -1 for b in bones]
    heads = np.empty(n * 3, np.float32)
    tails = np.empty(n * 3, np.float32)
    matrices = np.empty(n * 16, np.float32)
    bones.foreach_get("head_local", heads)
    bones.foreach_get("tail_local", tails)
    bones.foreach_get("matrix_local", matrices)  # column-major 4x4 per bone
    flags = {}
    for key, prop in (("connected", "use_connect"), ("inherit_rotation", "use_inherit_rotation"),
                      ("deform", "use_deform")):
        values = np.empty(n, bool)
        bones.foreach_get(prop, values)
        flags[key] = values
    matrices = matrices.reshape(n, 4, 4).transpose(0, 2, 1)[:, :3, :3].astype(np.float64)
    # Re-orthonormalise: matrix_local is stored in single precision.
    u, _, vt = np.linalg.svd(matrices)
    matrices = u @ vt
    return Rig(names, parents, heads.reshape(n, 3), tails.reshape(n, 3), matrices,
               name=obj.name, **flags)


def read_pose(armature_obj, rig=None):
    """The armature's current pose as a one-frame RigMotion (every bone, local channels).

    Rotations come from each pose bone's ``matrix_basis`` whatever its rotation mode; scale is
    ignored. Feed it to ``motion.retarget.to_smplx`` to capture the pose as SMPL-X.
    """
    obj = _armature(armature_obj)
    rig = rig or read_rig(obj)
    pose_bones = obj.pose.bones
    n = len(pose_bones)
    basis = np.empty(n * 16, np.float32)
    pose_bones.foreach_get("matrix_basis", basis)
    basis = basis.reshape(n, 4, 4).transpose(0, 2, 1).astype(np.float64)
    names = [pb.name for pb in pose_bones]
    rot = basis[:, :3, :3]
    rot = rot / np.maximum(np.linalg.norm(rot, axis=1, keepdims=True), 1e-12)  # drop scale
    quats = matrix_to_quat(rot)
    locations = basis[:, :3, 3]
    moved = [k for k in range(n) if np.abs(locations[k]).max() > 0.0]
    fps = bpy.context.scene.render.fps / bpy.context.scene.render.fps_base if bpy.context.scene else 30.0
    return RigMotion(names, quats[None], [names[k] for k in moved], locations[None, moved],
                     fps=fps, rig_name=rig.name)


def read_posed(armature_obj):
    """The evaluated pose in armature space: (B, 3, 3) rotations and (B, 3) heads, bone order.

    Unlike :func:`read_pose` this is what Blender shows after constraints, drivers and IK, so a
    pose made with a rig's controls (a generated Rigify rig) reads correctly from its deform
    bones. The depsgraph must be up to date (``frame_set`` or ``view_layer.update()``).
    """
    obj = _armature(armature_obj)
    pose_bones = obj.pose.bones
    n = len(pose_bones)
    matrices = np.empty(n * 16, np.float32)
    pose_bones.foreach_get("matrix", matrices)
    matrices = matrices.reshape(n, 4, 4).transpose(0, 2, 1).astype(np.float64)
    rot = matrices[:, :3, :3]
    rot = rot / np.maximum(np.linalg.norm(rot, axis=1, keepdims=True), 1e-12)  # drop scale
    return rot, matrices[:, :3, 3].copy()


def capture_pose(armature_obj, plan):
    """The armature's evaluated pose as a one-frame SMPL-X Motion (key-pose capture).

    plan : a RetargetPlan of this armature (``motion.retarget.make_plan(read_rig(obj), map)``).
    """
    obj = _armature(armature_obj)
    names = [pb.name for pb in obj.pose.bones]
    if tuple(names) != plan.rig.names:
        raise RetargetError(f"armature {obj.name!r} changed since its retarget plan was made; "
                            f"read the rig again")
    rotations, heads = read_posed(obj)
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base if scene else 30.0
    return smplx_from_pose(plan, rotations, heads, fps=fps)
