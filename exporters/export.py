"""Write a keyed avatar to FBX, glTF/GLB, BVH or .blend with game-engine settings (bpy module).

Every format gets the armature and the meshes it moves (never stray helper objects), the take as
ONE named animation starting at time 0, and the scene's frame rate:

- FBX: no leaf bones, animation baked on every frame (no curve simplification), the take named
  after the action. ``target`` picks the settings of the application that reads it:

  ==========  =====================================================================================
  blender     Blender's defaults (-Z forward, Y up; scale as is); re-imports into Blender unchanged
  unity       "FBX All" scaling: 1 Blender metre arrives as 1 Unity unit with scale 1 (tick
              "Bake Axis Conversion" in Unity's importer to drop the root's -90° X rotation);
              deform bones only, as for Unreal (a generated Rigify rig keyed its 706 ORG, MCH and
              control bones on every frame where the 278 that move the mesh are enough)
  unreal      deform bones only, face smoothing; Unreal converts the file's metres and axes itself
  ==========  =====================================================================================

- glTF (.glb binary, .gltf + .bin): the take as one named animation (body and face shape keys
  merged by their NLA track), sampled on every frame. Where the take moves bones and face shape
  keys only, Blender writes the file without the animation and :mod:`.gltf_animation` samples
  it (the same channels, a sixth of the time); with letter poses Blender samples it.
- BVH: the avatar's skeleton (rest offsets) and its local rotations; the root also has position
  channels. Frame time 1/fps.
- .blend: the whole scene (hidden helpers stay hidden), the speech as a packed sound strip.

Files are written under a temporary name and renamed when complete (:mod:`.atomic`).
"""

import logging
from pathlib import Path

import bpy

from .atomic import atomic_files, atomic_path
from .console import quiet
from .errors import BakeError
from .gltf_animation import animate_file, blender_must_sample
from .scene import select_only

log = logging.getLogger(__name__)

SCENE_TYPES = (".fbx", ".glb", ".gltf", ".bvh", ".blend")
FBX_TARGETS = ("blender", "unity", "unreal")
_FBX_COMMON = dict(
    use_selection=True, object_types={"ARMATURE", "MESH"}, add_leaf_bones=False,
    bake_anim=True, bake_anim_use_all_bones=True, bake_anim_use_nla_strips=True,
    bake_anim_use_all_actions=False, bake_anim_force_startend_keying=True, bake_anim_step=1.0,
    bake_anim_simplify_factor=0.0, axis_forward="-Z", axis_up="Y", primary_bone_axis="Y",
    secondary_bone_axis="X", armature_nodetype="NULL", path_mode="COPY", embed_textures=True,
    use_mesh_modifiers=True,
)
_FBX_TARGET_OPTIONS = {
    "blender": dict(apply_scale_options="FBX_SCALE_NONE"),
    "unity": dict(apply_scale_options="FBX_SCALE_ALL", use_armature_deform_only=True),
    "unreal": dict(apply_scale_options="FBX_SCALE_NONE", use_armature_deform_only=True,
                   mesh_smooth_type="FACE"),
}


def export(avatar, animation, path, fbx_target="blender", progress=None):
    """Write the keyed ``avatar`` to ``path``; the type comes from the suffix. Returns the path.
    progress(fraction) : called as a glTF's frames are sampled (Blender's exporters tell nothing)."""
    path = Path(path)
    suffix = path.suffix.lower()
    writer = _WRITERS.get(suffix)
    if writer is None:
        raise BakeError(f"{path}: cannot export '{suffix}' files; talkrig writes "
                        f"{', '.join(SCENE_TYPES)} (and .npz)")
    if fbx_target not in FBX_TARGETS:
        raise BakeError(f"FBX target must be one of {', '.join(FBX_TARGETS)}, got {fbx_target!r}")
    scene = bpy.context.scene
    frame = scene.frame_current
    select_only(avatar.objects)
    try:
        with quiet(f"{suffix[1:]} export"):
            if writer is _gltf:  # the one writer that can tell how far it is
                _gltf(avatar, animation, path, fbx_target, progress)
            else:
                writer(avatar, animation, path, fbx_target)
    except RuntimeError as exc:
        raise BakeError(f"{path}: Blender's exporter failed: {_last_line(exc)}") from None
    finally:
        scene.frame_set(frame)
    log.info("wrote %s", path)
    return path


def _fbx(avatar, animation, path, target):
    options = dict(_FBX_COMMON, **_FBX_TARGET_OPTIONS[target])
    with atomic_path(path) as temp:
        bpy.ops.export_scene.fbx(filepath=str(temp), **options)


def _gltf(avatar, animation, path, target, progress=None):
    """Blender writes the avatar; the take's animation is sampled here where it moves bones and
    face shape keys only (:mod:`.gltf_animation`, a sixth of the time), by Blender's exporter
    otherwise."""
    reason = blender_must_sample(avatar, animation)
    binary = path.suffix.lower() == ".glb"
    with (atomic_path(path) if binary else atomic_files(path)) as temp:
        gltf_file(temp, binary, animations=reason is not None)
        if reason is None:
            reason = _sampled_here(temp, avatar, animation, progress)
            if reason is not None:
                gltf_file(temp, binary, animations=True)
    if reason is not None:
        log.info("%s: Blender samples the take (%s)", path.name, reason)


def _sampled_here(temp, avatar, animation, progress):
    """None once talkrig has added the take's animation to the file at ``temp``; otherwise why
    not (the file is then exported again with Blender's sampling: never a lost export)."""
    try:
        if animate_file(temp, avatar.armature, animation, progress):
            return None
        return "the file's nodes are not the armature's bones, or a bone is mirrored"
    except Exception as exc:  # a file unlike any Blender wrote so far: Blender's own sampling
        log.warning("%s: talkrig could not sample the take (%s: %s)", temp.name, type(exc).__name__, exc)
        return f"talkrig's sampling failed: {type(exc).__name__}"


def gltf_file(path, binary, animations):
    """Blender's glTF export of the selection to ``path`` (GLB or .gltf + .bin), with or without
    the animation (sampled by Blender's exporter): the export's settings in one place, for the
    bake and for the benchmark that times Blender's sampling against talkrig's."""
    bpy.ops.export_scene.gltf(
        filepath=str(path), export_format="GLB" if binary else "GLTF_SEPARATE",
        use_selection=True, export_animations=animations, export_animation_mode="ACTIONS",
        export_merge_animation="NLA_TRACK", export_anim_slide_to_zero=True,
        export_force_sampling=True, export_frame_step=1, export_anim_single_armature=True,
        export_skins=True, export_def_bones=False, export_leaf_bone=False, export_apply=False,
        export_yup=True, export_cameras=False, export_lights=False)


def _bvh(avatar, animation, path, target):
    with atomic_path(path) as temp:
        bpy.ops.export_anim.bvh(filepath=str(temp), frame_start=animation.frame_start,
                                frame_end=animation.frame_end, global_scale=1.0,
                                rotate_mode="NATIVE", root_transform_only=False)


def _blend(avatar, animation, path, target):
    for sound in bpy.data.sounds:
        if sound.packed_file is None:
            try:
                sound.pack()
            except RuntimeError as exc:
                log.warning("could not pack %s into %s: %s", sound.filepath, path.name, exc)
    with atomic_path(path) as temp:
        bpy.ops.wm.save_as_mainfile(filepath=str(temp), copy=True, compress=True,
                                    relative_remap=True)


def _last_line(exc):
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


_WRITERS = {".fbx": _fbx, ".glb": _gltf, ".gltf": _gltf, ".bvh": _bvh, ".blend": _blend}
