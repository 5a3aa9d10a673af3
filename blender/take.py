"""A take keyed onto a rig, the one sequence the add-on's bake and the headless exporters share:
read the rig, map its bones, retarget (onto the deform bones or the rig's controls), write the
body as a new Action, key the face shape keys, and key the mouth cues on the rig's letter poses.

    take = key_take(scene, armature, motion, lambda rig: auto_map(rig), "speech seed 7",
                    frame_start=1, mode="nla", fps=30.0)

The motion must already be at the scene's frame rate; what the scene, the sound and the frame
range then do is the caller's.
"""

from dataclasses import dataclass, field

import bpy

from .controls import finish_pass, first_pass, retarget_target
from .keyframes import write_action
from .mouthposes import bake_mouth_cues
from .rig_io import read_rig
from .shapekeys import bake_shape_keys, driven_face_warnings


@dataclass
class KeyedTake:
    """A take keyed onto a rig: what :func:`key_take` made, and what the bake that asked for it
    added (the headless bake, the add-on's and its live recording all hand back this one type).

    action : the body's new Action. channels : the keyed RigMotion. target : the
    RetargetTarget (its ``plan``, ``mode`` and ``notes``). bone_map : the deform bones' map
    (even when the controls were keyed). face : {mesh name: Action} of the face shape keys.
    mouth_cues : the Action keying the rig's letter poses (A-H, X), or None.
    frame_start : the take's first scene frame. fps : its frame rate, the scene's.
    sound_strip : the sequencer strip playing the speech, when the bake added one.
    warnings : what a person should read (the add-on reports them).
    """

    action: object
    channels: object
    target: object
    bone_map: object
    face: dict
    mouth_cues: object = None
    frame_start: int = 1
    fps: float = 30.0
    sound_strip: str = ""
    warnings: list = field(default_factory=list)

    @property
    def n_frames(self):
        return self.channels.n_frames

    @property
    def frame_end(self):
        """The take's last scene frame (inclusive)."""
        return self.frame_start + self.n_frames - 1

    @property
    def plan(self):
        """The RetargetPlan used (its ``frame`` turns SMPL-X axes into armature axes)."""
        return self.target.plan

    @property
    def notes(self):
        """Where the keys and the travel went, in words."""
        return self.target.notes + [self.channels.root_note]


def key_take(scene, obj, motion, map_bones, name, frame_start, mode, fps, settings=None,
             face_after_action=True, ahead=None):
    """Key ``motion`` (SMPL-X, at ``fps``, the scene's rate) onto armature ``obj`` as new
    Actions; returns a :class:`KeyedTake`.

    map_bones : rig -> BoneMap (it may raise a RetargetError saying what to map).
    mode : "nla" or "assign" for the body and face Actions (the mouth cues always go on a track).
    settings : a ``motion.retarget.RetargetSettings`` (see ``controls.retarget_onto``).
    face_after_action : the face and mouth-cue Actions are named after the body Action as it
        was named (a second bake of "take" gives "take.001" throughout); False names them
        ``name`` as asked, so their NLA tracks share the body's track name (glTF merges tracks
        of one name into one animation).
    ahead : the take already retargeted (``blender.ahead.Ahead``, made in another thread); used
        when the rig, its map, the settings and the frame rate are still the ones it was made
        for, else the take is retargeted here.
    Raises TalkrigError (RetargetError, ...) with a message a person can act on.
    """
    from ..motion.retarget import RetargetSettings

    settings = settings or RetargetSettings()
    rig = read_rig(obj)
    bone_map = map_bones(rig)
    if ahead is not None and ahead.holds(rig, bone_map, settings, fps, motion):
        target, first = ahead.reading.target, ahead.first
    else:
        target = retarget_target(obj, rig, bone_map, settings.constrained)
        first = first_pass(motion, target, settings)
    channels = finish_pass(obj, motion, target, settings, first)
    action = write_action(obj, channels, name=name, frame_start=frame_start, mode=mode,
                          mute_constraints=target.mode == "deform", scene_fps=fps)
    keys_name = action.name if face_after_action else name
    face = bake_shape_keys(obj, motion, scene, keys_name, frame_start, mode)
    cues = None
    if motion.face_curve("mouthCue_A") is not None:
        cues = bake_mouth_cues(obj, motion, bpy.data.actions, keys_name, frame_start)
    return KeyedTake(action, channels, target, bone_map, face, cues, frame_start=frame_start,
                     fps=float(fps), warnings=driven_face_warnings(face))
