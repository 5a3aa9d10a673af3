"""Retargeting SMPL-X motion onto any humanoid rig, and rig poses back to SMPL-X. numpy only.

    rig = Rig.from_bones(names, parents, heads, tails, rolls)   # or blender.rig_io.read_rig(obj)
    bone_map = auto_map(rig)                  # or apply_preset(rig, "mixamo"), or BoneMap({...})
    print(bone_map.report())                  # what was mapped, how sure, what was not
    channels = retarget(motion, rig, bone_map)    # RigMotion: local quaternions + root location
    pose = to_smplx(channels, rig, bone_map)      # back to an SMPL-X Motion

Conventions are Blender's (see :mod:`.rig`): armature space, bone Y axis along the bone, pose
rotations relative to each bone's rest in its parent's frame.

Modules: :mod:`.plan` (what a rig and map need once: axes, scale, rest alignment), :mod:`.limbs`
(limb roll over twist bones), :mod:`.feet` (planted feet on the rig's own legs), :mod:`.root`
(what carries the travel), :mod:`.transfer` (SMPL-X -> channels and back), :mod:`.controls`
(keying a constrained rig's own controls), bone maps in :mod:`.bonemap`/:mod:`.automap`, the
rig settings in one value in :mod:`.settings`.
"""

from .automap import auto_map
from .bonemap import (
    FINGER_JOINTS,
    MAJOR_JOINTS,
    BoneMap,
    apply_preset,
    list_presets,
    load_preset,
    preset_coverage,
)
from .conventions import bone_matrix, bone_roll, quat_to_rotation_mode
from .plan import RetargetPlan, build_plan, detect_frame
from .rig import RetargetError, Rig, deform_parents
from .root import ROOT_TARGETS
from .settings import RetargetSettings
from .transfer import ROOT_MOTION, RigMotion, make_plan, retarget, smplx_from_pose, to_smplx

__all__ = [
    "BoneMap",
    "FINGER_JOINTS",
    "MAJOR_JOINTS",
    "ROOT_MOTION",
    "ROOT_TARGETS",
    "RetargetError",
    "RetargetPlan",
    "RetargetSettings",
    "Rig",
    "RigMotion",
    "apply_preset",
    "auto_map",
    "bone_matrix",
    "bone_roll",
    "build_plan",
    "deform_parents",
    "detect_frame",
    "list_presets",
    "load_preset",
    "make_plan",
    "preset_coverage",
    "quat_to_rotation_mode",
    "retarget",
    "smplx_from_pose",
    "to_smplx",
]
