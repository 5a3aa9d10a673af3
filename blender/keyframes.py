"""Writing retargeted pose channels onto an armature as a new Action (Blender 5 layered actions).

    action = write_action(armature_obj, rig_motion, "talkrig take", frame_start=1, mode="nla")

Keys are written in bulk: one F-Curve per channel, ``keyframe_points.add`` then
``foreach_set("co", ...)``, which is orders of magnitude faster than ``keyframe_insert`` per key.
Existing animation is never touched: the result is always a new Action, either pushed as a new
NLA track ("nla") or made the active action ("assign", the previous one is kept with a fake
user so it is not lost on save).
"""

import logging

import bpy
import numpy as np

from ..motion.retarget import RetargetError
from ..motion.retarget.conventions import quat_to_rotation_mode

log = logging.getLogger(__name__)

MODES = ("nla", "assign")


def write_action(armature_obj, rig_motion, name="talkrig", frame_start=1, mode="nla",
                 mute_constraints=True, scene_fps=None):
    """Key ``rig_motion`` (a RigMotion) onto ``armature_obj`` as a new Action and return it.

    frame_start : scene frame of the motion's first frame. Keys are placed by time:
        ``frame_start + i * scene_fps / rig_motion.fps`` (integers when the rates match).
    mode : "nla" pushes the action as a strip on a new NLA track (the active action, if any,
        still plays on top); "assign" makes it the active action.
    mute_constraints : constraints on keyed bones get their influence keyed to 0 in the new
        Action (a generated Rigify rig's DEF bones copy its controls; keyed directly they must
        not). Nothing is switched off on the rig itself, but Blender keeps the last value an
        animation gave: once the take is muted or removed, the influences stay at 0 until set
        back to 1. The constraints are listed in the action's ``talkrig_muted_constraints``
        property ("bone/constraint" lines).
    scene_fps : frames per second of the scene (read from the current scene when None).

    ``rig_motion.switches`` ({bone: {custom property: value}}) are keyed as constants (an IK/FK
    switch set to FK for the take), ``rig_motion.object_offsets`` as the object's location.
    """
    if mode not in MODES:
        raise RetargetError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    obj = armature_obj
    if obj is None or obj.type != "ARMATURE":
        raise RetargetError(f"{getattr(obj, 'name', obj)!r} is not an armature object")
    pose_bones = obj.pose.bones
    missing = [b for b in rig_motion.bone_names + rig_motion.location_bones if b not in pose_bones]
    if missing:
        raise RetargetError(f"armature {obj.name!r} has no bone(s) {', '.join(missing[:5])}")
    frames = _frames(rig_motion, frame_start, scene_fps)

    action = bpy.data.actions.new(name)
    slot = action.slots.new(id_type="OBJECT", name=obj.name)
    strip = action.layers.new("Layer").strips.new(type="KEYFRAME")
    channelbag = strip.channelbag(slot, ensure=True)
    for k, bone in enumerate(rig_motion.bone_names):
        suffix, values = quat_to_rotation_mode(rig_motion.rotations[:, k], pose_bones[bone].rotation_mode)
        _add_curves(channelbag, _path(bone, suffix), bone, frames, values)
    for k, bone in enumerate(rig_motion.location_bones):
        _add_curves(channelbag, _path(bone, "location"), bone, frames, rig_motion.locations[:, k])
    if rig_motion.object_offsets is not None:
        _add_curves(channelbag, "location", "Object Transforms", frames,
                    _object_locations(obj, rig_motion.object_offsets))
    ends = frames[[0, -1]]
    for bone, props in rig_motion.switches.items():
        for prop, value in props.items():
            path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"]["{prop}"]'
            _add_curves(channelbag, path, bone, ends, np.full((2, 1), float(value)))
    if mute_constraints:
        muted = _constraints_off(channelbag, pose_bones, rig_motion.bone_names, ends)
        if muted:
            action["talkrig_muted_constraints"] = "\n".join(muted)
            log.info("the take switches off %d constraints on keyed bones of %s", len(muted),
                     obj.name)
    _attach(obj, action, slot, name, frame_start, mode)
    return action


def action_fcurves(action):
    """Every F-Curve of a layered Action (Blender 5: layers, their strips' channel bags)."""
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                yield from bag.fcurves


def _object_locations(obj, offsets):
    """(T, 3) object locations moving the armature by ``offsets`` (armature units and axes)
    from where it stands now."""
    basis = np.array(obj.matrix_basis)
    return np.asarray(obj.location)[None] + offsets @ basis[:3, :3].T


def _frames(rig_motion, frame_start, scene_fps):
    if scene_fps is None:
        scene = bpy.context.scene
        scene_fps = scene.render.fps / scene.render.fps_base if scene else rig_motion.fps
    if scene_fps <= 0 or rig_motion.fps <= 0:
        raise RetargetError(f"frame rates must be positive (scene {scene_fps}, motion {rig_motion.fps})")
    return frame_start + np.arange(rig_motion.n_frames) * (scene_fps / rig_motion.fps)


def _path(bone, prop):
    return f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'


def _add_curves(channelbag, data_path, group, frames, values):
    """One F-Curve per component of values (T, n), keyed at frames (T,)."""
    co = np.empty((len(frames), 2), np.float32)
    co[:, 0] = frames
    for index in range(values.shape[1]):
        fcurve = channelbag.fcurves.new(data_path, index=index, group_name=group)
        fcurve.keyframe_points.add(len(frames))
        co[:, 1] = values[:, index]
        fcurve.keyframe_points.foreach_set("co", co.ravel())
        fcurve.update()


def _constraints_off(channelbag, pose_bones, bones, ends):
    """Key the influence of every active constraint on ``bones`` to 0 -> ["bone/constraint"]."""
    muted = []
    for bone in bones:
        for con in pose_bones[bone].constraints:
            if con.enabled and con.influence > 0.0:
                path = (f'pose.bones["{bpy.utils.escape_identifier(bone)}"].constraints'
                        f'["{bpy.utils.escape_identifier(con.name)}"].influence')
                _add_curves(channelbag, path, bone, ends, np.zeros((2, 1)))
                muted.append(f"{bone}/{con.name}")
    return muted


def _attach(obj, action, slot, name, frame_start, mode):
    anim = obj.animation_data or obj.animation_data_create()
    if mode == "assign":
        previous = anim.action
        if previous is not None and previous is not action:
            previous.use_fake_user = True
            log.info("%s: %s replaces %s as the active action (kept)", obj.name, action.name,
                     previous.name)
        anim.action = action
        anim.action_slot = slot
        return
    track = anim.nla_tracks.new()
    track.name = name
    nla_strip = track.strips.new(name, int(round(frame_start)), action)
    nla_strip.action_slot = slot
    if anim.action is not None:
        log.info("%s: its active action %s plays on top of the new NLA strip", obj.name,
                 anim.action.name)
