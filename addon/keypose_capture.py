"""Capture the rig's current pose as the key pose for a word.

The pose is read as Blender shows it (after constraints and IK, so a rig posed with its controls
works: blender/rig_io.capture_pose), turned into SMPL-X through the armature's bone map and written
into the panel's key-pose dictionary (addon/keypose_file.py), the file Generate sends.
"""

from pathlib import Path

import numpy as np

import bpy

from ..motion.errors import TalkrigError
from ..motion.rotations import axis_angle_to_matrix
from ..motion.skeleton import JOINT_INDEX, JOINT_NAMES

ARM_JOINTS = tuple(
    name for name in JOINT_NAMES
    if name.endswith(("collar", "shoulder", "elbow", "wrist"))
    or JOINT_INDEX[name] >= 25)  # collars, arms, wrists and every finger
UPPER_JOINTS = ("spine1", "spine2", "spine3", "neck", "head") + ARM_JOINTS
POSED_DEGREES = 1.0  # a joint turned further than this from the rig's rest counts as posed


def posed_joints(posed, rest, degrees=POSED_DEGREES):
    """SMPL-X joints whose local rotation in ``posed`` differs from ``rest`` by > ``degrees``.

    posed, rest : (55, 3) axis-angle (the rig's pose and its rest pose, both as SMPL-X).
    """
    a, b = axis_angle_to_matrix(np.asarray(posed)), axis_angle_to_matrix(np.asarray(rest))
    cos = (np.trace(np.swapaxes(a, -1, -2) @ b, axis1=-2, axis2=-1) - 1.0) / 2.0
    angles = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return {JOINT_NAMES[j] for j in np.flatnonzero(angles > degrees)}


def choose_joints(which, bone_map, posed):
    """SMPL-X joints to store: "POSED" (mapped joints the pose moved), "ARMS" or "UPPER"."""
    if which == "POSED":
        return [j for j, _ in bone_map.ordered() if j in posed and j != "pelvis"]
    wanted = ARM_JOINTS if which == "ARMS" else UPPER_JOINTS
    return [j for j in wanted if j in bone_map]


def capture(obj, which="POSED"):
    """{SMPL-X joint: [x, y, z]} of ``obj``'s current pose; TalkrigError if nothing to store."""
    from ..blender.rig_io import capture_pose, read_rig
    from ..motion.retarget import make_plan
    from ..motion.retarget.transfer import smplx_from_pose
    from .mapping import current_map

    rig = read_rig(obj)
    plan = make_plan(rig, current_map(obj, rig))
    bpy.context.view_layer.update()  # the evaluated pose must show the latest edits
    pose = capture_pose(obj, plan).poses[0]
    rest = smplx_from_pose(plan, rig.matrices, rig.heads).poses[0]
    joints = choose_joints(which, plan.bone_map, posed_joints(pose, rest))
    if not joints:
        if which == "POSED":
            raise TalkrigError(f"{obj.name}: no mapped bone is posed; pose the rig in Pose mode "
                               "first (or choose Arms or Upper Body)")
        raise TalkrigError(f"{obj.name}: none of those joints is in the bone map")
    return {j: pose[JOINT_INDEX[j]].astype(float).tolist() for j in joints}


class TALKRIG_OT_capture_keypose(bpy.types.Operator):
    """Store the rig's current pose as the key pose the character strikes on a word (in the
    panel's key-pose dictionary)"""

    bl_idname = "talkrig.capture_keypose"
    bl_label = "Capture Key Pose"
    bl_options = {"REGISTER"}

    word: bpy.props.StringProperty(name="Word", description="The word that triggers the pose")
    joints: bpy.props.EnumProperty(
        name="Joints",
        items=(("POSED", "Posed Bones", "Only the joints whose bones you moved from rest"),
               ("ARMS", "Arms and Hands", "Collars, arms, wrists and fingers"),
               ("UPPER", "Upper Body", "Spine, neck, head, arms and hands")))
    probability: bpy.props.FloatProperty(name="Probability", default=1.0, min=0.0, max=1.0,
                                         subtype="FACTOR",
                                         description="How often the word triggers the pose")
    hold: bpy.props.FloatProperty(name="Hold", default=0.3, min=0.0, max=10.0, unit="TIME_ABSOLUTE",
                                  description="Seconds the pose is held at the word")

    @classmethod
    def poll(cls, context):
        from .properties import target_armature

        if target_armature(context) is None:
            cls.poll_message_set("Select the posed armature, or set the panel's Armature field")
            return False
        if not context.scene.talkrig.keypose_file.strip():
            cls.poll_message_set("Choose a key-pose dictionary file in the panel first")
            return False
        return True

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        from . import keypose_file
        from .properties import target_armature

        obj = target_armature(context)
        path = Path(bpy.path.abspath(context.scene.talkrig.keypose_file))
        try:
            word = keypose_file.normalize_word(self.word)
            pose = capture(obj, self.joints)
            data = keypose_file.load(path)
            keypose_file.set_pose(data, word, pose, self.probability, self.hold)
            keypose_file.save(path, data)
        except TalkrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"key pose for {word!r} ({len(pose)} joints) saved to {path.name}")
        return {"FINISHED"}


classes = (TALKRIG_OT_capture_keypose,)
