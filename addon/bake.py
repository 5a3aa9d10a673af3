"""Baking a take onto the rig: one undoable operator that adds a new Action (never touching the
existing animation), face shape keys, and the voice-over as a sound strip in sync.

    result = bake_motion(context.scene, armature, motion, name="speech seed 7", frame_start=1,
                         settings=scene.talkrig, audio_path="speech.wav")

The motion is resampled to the scene's frame rate (rotations slerped), retargeted with the
armature's bone map and written with the layered Action API in bulk (blender/keyframes.py).
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import bpy

from ..motion.errors import TalkrigError

log = logging.getLogger(__name__)


@dataclass
class BakeResult:
    action: object
    frames: int
    frame_start: int
    face: dict = field(default_factory=dict)  # mesh name -> Action
    mouth_cues: str = ""  # the Action keying the rig's letter poses (A-H, X), if it has them
    sound_strip: str = ""
    notes: list = field(default_factory=list)  # warnings a person should read
    info: list = field(default_factory=list)  # what was decided (where the keys and travel went)

    @property
    def frame_end(self):
        return self.frame_start + self.frames - 1


def take_name(audio_name, seed):
    """How a take's Action is named: after the audio and the seed."""
    return f"{audio_name or 'talkrig'} seed {seed}"


def bake_motion(scene, obj, motion, name, frame_start, settings, audio_path=None):
    """Put ``motion`` (SMPL-X Motion) on armature ``obj``; returns a BakeResult.

    audio_path : when given (and settings.add_sound), the audio is added as a sound strip at
    ``frame_start`` unless the sequencer already plays that file there.
    Raises TalkrigError (RetargetError, ...) with a message a person can act on.
    """
    from ..blender.scene import scene_fps
    from ..blender.take import key_take
    from ..motion.resample import resample
    from .mapping import check_essential, current_map

    def map_bones(rig):
        bone_map = current_map(obj, rig)
        check_essential(bone_map, obj)
        return bone_map

    fps = scene_fps(scene)
    if abs(motion.fps - fps) > 1e-6:
        motion = resample(motion, fps)
    mode = settings.bake_mode.lower()
    active_before = obj.animation_data.action if obj.animation_data else None
    take = key_take(scene, obj, motion, map_bones, name, frame_start, mode, fps,
                    constrained=settings.constrained.lower(), root_motion=settings.root_motion,
                    root_target=settings.root_target.lower(), plant_feet=settings.plant_feet)
    result = BakeResult(take.action, motion.n_frames, frame_start)
    result.info.extend(take.target.notes + [take.channels.root_note])
    result.face = take.face
    result.mouth_cues = take.mouth_cues.name if take.mouth_cues is not None else ""
    if mode == "nla" and active_before is not None:
        result.notes.append(f"the active action {active_before.name!r} still plays on top of the "
                            "new strip; set Bake As to Active Action to hear and see only the take")
    if audio_path and settings.add_sound:
        from ..blender.strips import add_sound_strip

        result.sound_strip = add_sound_strip(scene, audio_path, frame_start, name)
    if settings.extend_scene and scene.frame_end < result.frame_end:
        scene.frame_end = result.frame_end
    return result


def describe(result, target):
    """One line for the status bar and the report (target: the armature or its name)."""
    text = (f"baked {result.frames} frames onto {getattr(target, 'name', target)} as "
            f"{result.action.name!r} "
            f"(frames {result.frame_start}-{result.frame_end})")
    if result.face:
        text += f", face on {', '.join(result.face)}"
    if result.mouth_cues:
        text += ", mouth cues on the letter poses"
    return text


class _BakeBase:
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll_target(cls, context, fallback=""):
        from .properties import target_armature

        if target_armature(context) is None and fallback not in bpy.data.objects:
            cls.poll_message_set("Select the character's armature, or set the panel's Armature field")
            return False
        if context.mode not in ("OBJECT", "POSE"):
            cls.poll_message_set("Switch to Object or Pose mode to bake")
            return False
        return True

    def target(self, context, name=""):
        """The armature named ``name``, else the panel's target (or the active armature)."""
        from .properties import target_armature

        obj = bpy.data.objects.get(name) if name else None
        if obj is not None and obj.type == "ARMATURE":
            return obj
        return target_armature(context) or bpy.data.objects.get(context.scene.talkrig.job.armature)

    def bake(self, context, obj, motion, name, frame_start, audio_path=None):
        if obj is None or obj.type != "ARMATURE":
            self.error = "no armature to bake onto: select the character's armature"
            self.report({"ERROR"}, self.error)
            return None
        try:
            result = bake_motion(context.scene, obj, motion, name, frame_start,
                                 context.scene.talkrig, audio_path)
        except TalkrigError as exc:
            self.error = str(exc)
            self.report({"ERROR"}, self.error)
            return None
        self.target_name = obj.name
        self.report({"INFO"}, describe(result, obj))
        for line in result.info:
            self.report({"INFO"}, line)
        for note in result.notes:
            self.report({"WARNING"}, note)
        return result


class TALKRIG_OT_bake(_BakeBase, bpy.types.Operator):
    """Put the generated take on the target armature as a new Action (your animation stays)"""

    bl_idname = "talkrig.bake"
    bl_label = "Bake to Rig"

    armature: bpy.props.StringProperty(
        name="Armature", options={"SKIP_SAVE", "HIDDEN"},
        description="Armature to bake onto (empty: the panel's target or the active armature)")

    @classmethod
    def poll(cls, context):
        from .generate import job_running

        job = context.scene.talkrig.job
        if job.active and job_running(context.scene):
            cls.poll_message_set("Wait for the job to finish, or cancel it")
            return False
        if not job.result_file or not Path(job.result_file).exists():
            cls.poll_message_set("Nothing to bake yet: press Generate first")
            return False
        return cls.poll_target(context, job.armature)

    def execute(self, context):
        from ..motion.npz import read_npz

        job = context.scene.talkrig.job
        try:
            motion = read_npz(job.result_file)
        except TalkrigError as exc:
            self.report({"ERROR"}, f"the take cannot be read ({exc}); generate it again")
            return {"CANCELLED"}
        audio = None if job.audio_from_strip else job.audio_path
        obj = self.target(context, self.armature)
        result = self.bake(context, obj, motion, take_name(job.audio_name, job.seed),
                           job.frame_start, audio)
        if result is None:
            job.error, job.error_kind = self.error, "bake"
            return {"CANCELLED"}
        job.action = result.action.name
        job.error = job.error_kind = ""
        job.status = describe(result, self.target_name)
        return {"FINISHED"}


class TALKRIG_OT_bake_file(_BakeBase, bpy.types.Operator):
    """Put an SMPL-X motion file (BEAT2/AMASS npz, e.g. from `talkrig` on the command line) on
    the target armature as a new Action"""

    bl_idname = "talkrig.bake_file"
    bl_label = "Bake Motion File"

    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: bpy.props.StringProperty(default="*.npz", options={"HIDDEN"})
    frame_start: bpy.props.IntProperty(name="Start Frame", default=-1,
                                       description="-1: the panel's start frame")

    @classmethod
    def poll(cls, context):
        return cls.poll_target(context)

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        from ..motion.files import load_motion

        if not self.filepath:
            self.report({"ERROR"}, "choose a motion file (.npz) to bake")
            return {"CANCELLED"}
        path = Path(bpy.path.abspath(self.filepath))
        try:
            motion = load_motion(path)
        except TalkrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        start = self.frame_start if self.frame_start >= 0 else context.scene.talkrig.frame_start
        from .properties import target_armature

        result = self.bake(context, target_armature(context), motion, path.stem, start)
        return {"FINISHED"} if result is not None else {"CANCELLED"}


classes = (TALKRIG_OT_bake, TALKRIG_OT_bake_file)
