"""Load an avatar into a clean Blender scene and find the armature that moves it (bpy module).

    avatar = load_avatar("hero.fbx")          # or None: the bundled CC0 avatar
    avatar.armature, avatar.meshes, avatar.extras

The objects the armature moves (its children and meshes with an Armature modifier on it) are
the avatar; everything else in the file (props, stray helper meshes, lights, cameras) is hidden
and never exported or rendered. The avatar's own animation (armature and shape keys) is cleared
and its pose reset, so a bake holds exactly the talkrig take.
"""

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from ..motion.files import not_a_file
from .bundled import DEFAULT_AVATAR
from .console import quiet
from .errors import AvatarError

log = logging.getLogger(__name__)

AVATAR_TYPES = (".glb", ".gltf", ".vrm", ".fbx", ".blend")  # .vrm: VRM avatars are glTF files


@dataclass
class Avatar:
    """A loaded avatar: its armature object, the objects it moves, and what was hidden."""

    armature: object
    meshes: list = field(default_factory=list)
    extras: list = field(default_factory=list)
    path: Path = None

    @property
    def objects(self):
        """The armature and the objects it moves: what exports and previews show."""
        return [self.armature] + list(self.meshes)


def load_avatar(path=None, armature=None):
    """Open ``path`` (.glb/.gltf/.vrm/.fbx/.blend; None: the bundled avatar) in a clean scene.

    armature : name of the armature object to use when the file holds several (default: the
        one with the most bones).
    Raises AvatarError naming the file when it is missing, unreadable or has no armature.
    """
    path = Path(path) if path else DEFAULT_AVATAR
    suffix = path.suffix.lower()
    if suffix not in AVATAR_TYPES:
        raise AvatarError(path, f"unknown avatar type '{suffix}'; talkrig reads "
                                f"{', '.join(AVATAR_TYPES)}")
    if not_a_file(path):
        raise AvatarError(path, not_a_file(path))
    _open(path, suffix)
    scene = bpy.context.scene
    if bpy.context.object is not None and bpy.context.object.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    arm = _find_armature(path, list(scene.objects), armature)
    meshes = [obj for obj in scene.objects if obj is not arm and _moved_by(obj, arm)]
    extras = [obj for obj in scene.objects if obj is not arm and obj not in meshes]
    for obj in extras:
        obj.select_set(False)
        obj.hide_render = True
        obj.hide_viewport = True
    if extras:
        log.info("%s: hid %d object(s) the armature does not move: %s", path.name, len(extras),
                 ", ".join(o.name for o in extras[:8]))
    clear_animation(arm)
    for obj in meshes:
        keys = getattr(obj.data, "shape_keys", None)
        if keys is not None and keys.animation_data is not None:
            keys.animation_data_clear()
    return Avatar(armature=arm, meshes=meshes, extras=extras, path=path)


def _open(path, suffix):
    try:
        with quiet("avatar import"):
            if suffix == ".blend":
                bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
            else:
                bpy.ops.wm.read_factory_settings(use_empty=True)
                if suffix == ".fbx":
                    bpy.ops.import_scene.fbx(filepath=str(path))
                else:  # no bone-display helper mesh: it would be a stray object in exports
                    bpy.ops.import_scene.gltf(filepath=str(path), disable_bone_shape=True)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise AvatarError(path, f"Blender could not read it ({reason})") from None


def _find_armature(path, objects, name):
    armatures = [obj for obj in objects if obj.type == "ARMATURE"]
    if name:
        for obj in armatures:
            if obj.name == name:
                return obj
        found = ", ".join(o.name for o in armatures) or "none"
        raise AvatarError(path, f"has no armature named {name!r} (armatures: {found})")
    if not armatures:
        raise AvatarError(path, "holds no armature; talkrig needs a rigged character "
                                "(an armature with a skinned mesh)")
    best = max(armatures, key=lambda obj: len(obj.data.bones))
    if len(armatures) > 1:
        log.warning("%s holds %d armatures; using %r (most bones). Choose another with "
                    "--armature NAME", path.name, len(armatures), best.name)
    if len(best.data.bones) == 0:
        raise AvatarError(path, f"armature {best.name!r} has no bones")
    return best


def _moved_by(obj, arm):
    """True when the armature moves ``obj``: a descendant of it, or an Armature modifier on it."""
    parent = obj.parent
    while parent is not None:
        if parent is arm:
            return True
        parent = parent.parent
    return any(m.type == "ARMATURE" and m.object is arm for m in getattr(obj, "modifiers", ()))


def clear_animation(arm):
    """Drop the armature's active action and NLA tracks (drivers stay) and reset its pose."""
    anim = arm.animation_data
    if anim is not None:
        if anim.use_tweak_mode:
            anim.use_tweak_mode = False
        anim.action = None
        for track in list(anim.nla_tracks):
            anim.nla_tracks.remove(track)
    for bone in arm.pose.bones:
        bone.location = (0.0, 0.0, 0.0)
        bone.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
        bone.rotation_euler = (0.0, 0.0, 0.0)
        bone.rotation_axis_angle = (0.0, 0.0, 1.0, 0.0)
        bone.scale = (1.0, 1.0, 1.0)


def set_frame_rate(scene, fps):
    """Set the scene's frame rate to ``fps`` exactly: integer rates as they are, others (29.97)
    as the next integer with ``fps_base``, the way Blender's presets store NTSC rates."""
    fps = float(fps)
    whole = round(fps)
    if abs(whole - fps) < 1e-6:
        scene.render.fps, scene.render.fps_base = int(whole), 1.0
    else:
        scene.render.fps = int(math.ceil(fps))
        scene.render.fps_base = scene.render.fps / fps


def add_sound(scene, audio_path, frame_start=1):
    """Put the recording on the scene's timeline as a sound strip (playback, video audio).

    The path is made absolute: Blender reads a bare relative one from the folder it runs in, and
    a saved scene's copy elsewhere (a .blend output, the preview's second process) lost it."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strip = editor.strips.new_sound("talkrig speech", os.path.abspath(audio_path), 1, int(frame_start))
    if strip.sound is None or strip.frame_final_duration <= 0:
        raise AvatarError(audio_path, "Blender could not read this audio file for the timeline")
    return strip


def select_only(objects):
    """Select exactly ``objects`` (visible and selectable), the first one active."""
    layer = bpy.context.view_layer
    for obj in layer.objects:
        obj.select_set(False)
    for obj in objects:
        obj.hide_viewport = False
        obj.hide_set(False)
        obj.hide_select = False
        obj.select_set(True)
    layer.objects.active = objects[0]
