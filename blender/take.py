"""A take keyed onto a rig, the one sequence the add-on's bake and the headless exporters share:
read the rig, map its bones, retarget (onto the deform bones or the rig's controls), write the
body as a new Action, key the face shape keys, and key the mouth cues on the rig's letter poses.

    take = key_take(scene, armature, motion, lambda rig: auto_map(rig), "speech seed 7",
                    frame_start=1, mode="nla", fps=30.0)

The motion must already be at the scene's frame rate; what the scene, the sound and the frame
range then do is the caller's.
"""

from dataclasses import dataclass

import bpy

from .controls import retarget_onto
from .keyframes import write_action
from .mouthposes import bake_mouth_cues
from .rig_io import read_rig
from .shapekeys import bake_shape_keys


@dataclass
class KeyedTake:
    """What :func:`key_take` made.

    action : the body's new Action. channels : the keyed RigMotion. target : the
    RetargetTarget (its ``plan``, ``mode`` and ``notes``). bone_map : the deform bones' map.
    face : {mesh name: Action} of the face shape keys. mouth_cues : the Action keying the rig's
    letter poses, or None.
    """

    action: object
    channels: object
    target: object
    bone_map: object
    face: dict
    mouth_cues: object = None


def key_take(scene, obj, motion, map_bones, name, frame_start, mode, fps, constrained="auto",
             root_motion="relative", root_target="auto", plant_feet=True, face_after_action=True):
    """Key ``motion`` (SMPL-X, at ``fps``, the scene's rate) onto armature ``obj`` as new
    Actions; returns a :class:`KeyedTake`.

    map_bones : rig -> BoneMap (it may raise a RetargetError saying what to map).
    mode : "nla" or "assign" for the body and face Actions (the mouth cues always go on a track).
    constrained, root_motion, root_target, plant_feet : see ``controls.retarget_onto``.
    face_after_action : the face and mouth-cue Actions are named after the body Action as it
        was named (a second bake of "take" gives "take.001" throughout); False names them
        ``name`` as asked, so their NLA tracks share the body's track name (glTF merges tracks
        of one name into one animation).
    Raises TalkrigError (RetargetError, ...) with a message a person can act on.
    """
    rig = read_rig(obj)
    bone_map = map_bones(rig)
    channels, target = retarget_onto(obj, motion, bone_map, rig, constrained=constrained,
                                     root_motion=root_motion, root_target=root_target,
                                     plant_feet=plant_feet)
    action = write_action(obj, channels, name=name, frame_start=frame_start, mode=mode,
                          mute_constraints=target.mode == "deform", scene_fps=fps)
    keys_name = action.name if face_after_action else name
    face = bake_shape_keys(obj, motion, scene, keys_name, frame_start, mode)
    cues = None
    if motion.face_curve("mouthCue_A") is not None:
        cues = bake_mouth_cues(obj, motion, bpy.data.actions, keys_name, frame_start)
    return KeyedTake(action, channels, target, bone_map, face, cues)
