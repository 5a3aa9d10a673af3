"""Bake to Rig and Bake Motion File: the undoable operators that put the generated take, or an
SMPL-X motion file, on the target armature as a new Action (never touching the existing
animation), with face shape keys and the voice-over as a sound strip in sync (addon/takes.py
does the baking, blender/take.py the keying).
"""

from pathlib import Path

import bpy

from ..motion.errors import TalkrigError
from .server_jobs import GENERATE
from .takes import ahead_for, bake_motion, describe, take_name


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

    def bake(self, context, obj, motion, name, frame_start, audio_path=None, ahead=None):
        if obj is None or obj.type != "ARMATURE":
            self.error = "no armature to bake onto: select the character's armature"
            self.report({"ERROR"}, self.error)
            return None
        try:
            result = bake_motion(context.scene, obj, motion, name, frame_start,
                                 context.scene.talkrig, audio_path, ahead)
        except TalkrigError as exc:
            self.error = str(exc)
            self.report({"ERROR"}, self.error)
            return None
        self.target_name = obj.name
        self.report({"INFO"}, describe(result, obj))
        for line in result.notes:
            self.report({"INFO"}, line)
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
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
        job = context.scene.talkrig.job
        if job.active and GENERATE.running(context.scene):
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
                           job.frame_start, audio, ahead_for(job.result_file))
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
