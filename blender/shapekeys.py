"""Face shape keys of the meshes a rig deforms (or of one chosen mesh), keyed from the motion's
face curves, jaw and expressions (the mapping is in blender/facekeys.py), as new Actions on each
mesh's shape keys."""

import numpy as np

import bpy

from .facekeys import face_key_summary, shape_key_tracks
from .keyframes import action_fcurves


def deformed_meshes(armature_obj, scene):
    """Meshes in ``scene`` the armature deforms (modifier or parent) that have shape keys."""
    found = []
    for obj in scene.objects:
        if obj.type != "MESH" or obj.data.shape_keys is None:
            continue
        by_modifier = any(m.type == "ARMATURE" and m.object == armature_obj for m in obj.modifiers)
        if by_modifier or obj.parent == armature_obj:
            found.append(obj)
    return found


def face_key_names(obj):
    """The shape key names of a mesh object, without its basis (empty when it has none)."""
    key = getattr(obj.data, "shape_keys", None) if obj is not None else None
    return [block.name for block in key.key_blocks[1:]] if key is not None else []


def mesh_face_keys(obj):
    """{"arkit", "viseme", "vrm", "expression": [key names]} talkrig drives on a mesh."""
    return face_key_summary(face_key_names(obj))


def bake_shape_keys(armature_obj, motion, scene, name, frame_start, mode):
    """Key the recognised shape keys of every mesh the armature deforms.

    motion : Motion at the scene's frame rate (one key per frame from ``frame_start``).
    name : the body's take: each face Action is called "NAME face" (plus the mesh's name when
    several meshes have keys), never NAME itself, which Blender would number like a second take;
    its NLA track (mode "nla") is NAME, so glTF merges it with the body's into one animation.
    Returns {mesh object name: Action} for the meshes that had keys to drive.
    """
    meshes = [obj for obj in deformed_meshes(armature_obj, scene) if face_key_names(obj)]
    made = {}
    for obj in meshes:
        face = f"{name} face" if len(meshes) == 1 else f"{name} face {obj.name}"
        action = bake_mesh_face(obj, motion, face, frame_start, mode, track=name)
        if action is not None:
            made[obj.name] = action
    return made


def driven_face_keys(obj, action):
    """The shape keys ``action`` keys on mesh ``obj`` that a driver sets: Blender applies the
    driver after the keys, so those keys never show (a face rig that drives its shape keys from
    bones or sliders)."""
    key = obj.data.shape_keys
    drivers = key.animation_data.drivers if key is not None and key.animation_data else ()
    driven = {fc.data_path for fc in drivers if not fc.mute}
    return [fc.data_path.split('"')[1] for fc in action_fcurves(action) if fc.data_path in driven]


def driven_face_warnings(face):
    """One line per mesh of ``face`` ({mesh name: Action}) whose keyed shape keys drivers set."""
    lines = []
    for mesh_name, action in face.items():
        driven = driven_face_keys(bpy.data.objects[mesh_name], action)
        if driven:
            listed = ", ".join(driven[:4]) + (f" and {len(driven) - 4} more" if len(driven) > 4 else "")
            lines.append(f"{mesh_name}: {len(driven)} of the shape keys keyed are set by drivers "
                         f"({listed}), which override keys: the face shows only where nothing "
                         "drives it (mute those drivers to see the take's face)")
    return lines


def bake_mesh_face(obj, motion, name, frame_start, mode, track=None):
    """Key the recognised shape keys of one mesh object into an Action called ``name`` (on an
    NLA track called ``track``, default ``name``); the Action, or None when the mesh has no key
    talkrig can drive from this motion."""
    tracks = shape_key_tracks(motion, face_key_names(obj))
    if not tracks:
        return None
    frames = frame_start + np.arange(motion.n_frames, dtype=np.float64)
    curves = {(f'key_blocks["{bpy.utils.escape_identifier(k)}"].value', 0): (frames, v)
              for k, v in tracks.items()}
    return write_curves_action(obj.data.shape_keys, "KEY", curves, name, frame_start, mode,
                               group="talkrig face", track=track)


def write_curves_action(id_data, id_type, curves, name, frame_start, mode, group="talkrig",
                        interpolation=None, track=None):
    """A new Action on ``id_data`` (an ID such as a Key or an Object): one F-Curve per channel,
    written in bulk.

    curves : {(data path, array index): ((K,) frames, (K,) values)}.
    mode : "nla" (a new NLA track) or "assign" (the active action; the previous one is kept).
    interpolation : None (Blender's default, Bezier) or e.g. "CONSTANT" for switches.
    track : the NLA track's name (default ``name``).
    """
    action = bpy.data.actions.new(name)
    slot = action.slots.new(id_type=id_type, name=id_data.name)
    channelbag = action.layers.new("Layer").strips.new(type="KEYFRAME").channelbag(slot, ensure=True)
    for (path, index), (frames, values) in curves.items():
        fcurve = channelbag.fcurves.new(path, index=index, group_name=group)
        co = np.empty((len(values), 2), np.float32)
        co[:, 0] = frames
        co[:, 1] = values
        fcurve.keyframe_points.add(len(values))
        fcurve.keyframe_points.foreach_set("co", co.ravel())
        if interpolation:
            fcurve.keyframe_points.foreach_set("interpolation", [_interpolation(interpolation)] * len(values))
        fcurve.update()
    anim = id_data.animation_data or id_data.animation_data_create()
    if mode == "assign":
        if anim.action is not None:
            anim.action.use_fake_user = True
        anim.action = action
        anim.action_slot = slot
    else:
        lane = anim.nla_tracks.new()
        lane.name = track or name
        strip = lane.strips.new(track or name, int(round(frame_start)), action)
        strip.action_slot = slot
    return action


def _interpolation(name):
    """The enum value foreach_set expects for a keyframe interpolation name."""
    items = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items
    return items[name].value
