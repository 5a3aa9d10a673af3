"""The panel's Face section: lip-sync controls sent with each job, the face keys found on the
character, and the face-only bake that keys just the face of a selected mesh from the last take.
"""

import bpy

from ..motion.errors import TalkrigError
from .ui import SubPanel

EXPRESSION_MODES = (
    ("replace", "Replace", "The face model's jaw and mouth replace the backend's own"),
    ("blend", "Blend", "Half the backend's jaw and mouth, half the face model's"),
    ("keep", "Keep", "The backend's own jaw and expressions (the face curves are still made)"),
)


class TalkrigFaceSettings(bpy.types.PropertyGroup):
    """How the server animates the face (the built-in face model `phones`)."""

    enabled: bpy.props.BoolProperty(
        name="Lip Sync", default=True,
        description="Animate the face from the words' phones: visemes, ARKit shape keys, "
                    "blinks and brows (off: the backend's jaw only)")
    mouth_strength: bpy.props.FloatProperty(
        name="Mouth", default=1.0, min=0.0, max=2.0,
        description="How far the mouth and jaw move (the lips still meet on p, b and m)")
    smoothing: bpy.props.FloatProperty(
        name="Smoothing", default=0.02, min=0.0, max=0.2, step=0.5, precision=3, unit="TIME_ABSOLUTE",
        description="Seconds of smoothing of the mouth: more is softer and less articulated")
    blink_rate: bpy.props.FloatProperty(
        name="Blinks / min", default=17.0, min=0.0, max=60.0,
        description="Blinks per minute, more of them at pauses and phrase ends (0: none)")
    brow_amount: bpy.props.FloatProperty(
        name="Brows", default=1.0, min=0.0, max=2.0,
        description="How high the brows go on stressed, high-pitched words (0: still)")
    expressions: bpy.props.EnumProperty(
        name="Backend Face", items=EXPRESSION_MODES, default="replace",
        description="What happens to the backend's own jaw and expression coefficients")


def character_meshes(context):
    """The meshes whose face keys the panel lists: those the target armature deforms, or the
    active mesh."""
    from ..blender.shapekeys import deformed_meshes
    from .properties import target_armature

    obj = context.active_object
    if obj is not None and obj.type == "MESH" and obj.data.shape_keys is not None:
        return [obj]
    arm = target_armature(context)
    return deformed_meshes(arm, context.scene) if arm is not None else []


class TALKRIG_OT_bake_face(bpy.types.Operator):
    """Key only the face of the selected mesh from the last take (its shape keys with ARKit,
    viseme or VRM names), as a new Action; the body is left alone"""

    bl_idname = "talkrig.bake_face"
    bl_label = "Bake Face Only"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        from pathlib import Path

        from ..blender.shapekeys import mesh_face_keys

        obj = context.active_object
        if obj is None or obj.type != "MESH":
            cls.poll_message_set("Select the mesh whose face to bake")
            return False
        if not any(mesh_face_keys(obj).values()):
            cls.poll_message_set("The selected mesh has no shape keys talkrig recognises "
                                 "(ARKit, viseme, VRM or Exp000 names)")
            return False
        job = context.scene.talkrig.job
        if not job.result_file or not Path(job.result_file).exists():
            cls.poll_message_set("Nothing to bake yet: press Generate first")
            return False
        return True

    def execute(self, context):
        from ..blender.scene import scene_fps
        from ..blender.shapekeys import bake_mesh_face
        from ..motion.npz import read_npz
        from ..motion.resample import resample
        from .takes import take_name

        scene = context.scene
        job = scene.talkrig.job
        obj = context.active_object
        try:
            motion = read_npz(job.result_file)
        except TalkrigError as exc:
            self.report({"ERROR"}, f"the take cannot be read ({exc}); generate it again")
            return {"CANCELLED"}
        fps = scene_fps(scene)
        if abs(motion.fps - fps) > 1e-6:
            motion = resample(motion, fps)
        name = f"{take_name(job.audio_name, job.seed)} face"
        action = bake_mesh_face(obj, motion, name, job.frame_start, scene.talkrig.bake_mode.lower())
        if action is None:
            self.report({"ERROR"}, f"the take has nothing for the shape keys of {obj.name}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"baked the face of {obj.name} as {action.name!r} "
                              f"({motion.n_frames} frames from frame {job.frame_start})")
        return {"FINISHED"}


class TALKRIG_PT_face(SubPanel, bpy.types.Panel):
    bl_label = "Face"
    bl_idname = "TALKRIG_PT_face"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_header(self, context):
        self.layout.prop(context.scene.talkrig_face, "enabled", text="")

    def draw(self, context):
        from ..blender.shapekeys import mesh_face_keys

        layout = self.layout
        face = context.scene.talkrig_face
        col = layout.column(align=True)
        col.active = face.enabled
        for name in ("mouth_strength", "smoothing", "blink_rate", "brow_amount"):
            col.prop(face, name)
        col.prop(face, "expressions", text="")
        layout.separator()
        meshes = character_meshes(context)
        if not meshes:
            layout.label(text="No mesh with shape keys on the character", icon="INFO")
        for obj in meshes:
            found = mesh_face_keys(obj)
            box = layout.box()
            box.label(text=obj.name, icon="SHAPEKEY_DATA")
            box.label(text=f"ARKit {len(found['arkit'])}/52, visemes {len(found['viseme'])}, "
                           f"VRM {len(found['vrm'])}, Exp {len(found['expression'])}")
            names = found["viseme"] + found["vrm"] or found["arkit"][:6]
            if names:
                box.label(text=", ".join(names[:8]) + (" ..." if len(names) > 8 else ""))
        _draw_mouth_poses(layout, context)
        layout.operator("talkrig.bake_face", icon="SHAPEKEY_DATA")


def _draw_mouth_poses(layout, context):
    from ..blender.mouthposes import mouth_pose_actions
    from .properties import target_armature

    arm = target_armature(context)
    if arm is None:
        return
    letters = sorted(mouth_pose_actions(bpy.data.actions, arm))
    if letters:
        layout.label(text=f"Mouth poses: {' '.join(letters)} (keyed from the mouth cues)",
                     icon="POSE_HLT")


classes = (TalkrigFaceSettings, TALKRIG_OT_bake_face, TALKRIG_PT_face)


def on_register():
    bpy.types.Scene.talkrig_face = bpy.props.PointerProperty(type=TalkrigFaceSettings)


def on_unregister():
    del bpy.types.Scene.talkrig_face
