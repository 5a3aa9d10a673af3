"""The target armature's bone map in the panel: fill it (automatic or a preset), read it back
as a motion.retarget BoneMap, and say which essential joints are missing."""

import bpy

from ..motion.retarget import MAJOR_JOINTS, BoneMap, RetargetError, apply_preset, auto_map
from ..motion.skeleton import JOINT_NAMES

# Without these a talking body makes no sense: the hips carry it, the arms gesture, the head
# nods. Other joints (spine, collars, legs, fingers, jaw) are followed when mapped.
ESSENTIAL_JOINTS = ("pelvis", "head", "left_shoulder", "right_shoulder", "left_elbow",
                    "right_elbow", "left_wrist", "right_wrist")


def fill(obj, bone_map):
    """Write a BoneMap into ``obj.talkrig_rig``: one row per SMPL-X joint, in SMPL-X order."""
    settings = obj.talkrig_rig
    settings.filling = True
    try:
        settings.bones.clear()
        for joint in JOINT_NAMES:
            item = settings.bones.add()
            item.name = item.joint = joint
            item.bone = bone_map.bones.get(joint, "")
            item.confidence = bone_map.confidence.get(joint, 0.0)
            item.how = bone_map.how.get(joint, "")
        settings.source = bone_map.source
    finally:
        settings.filling = False


def make_map(obj, rig, preset="AUTO"):
    """A fresh BoneMap for ``obj``: automatic, or from a preset name."""
    return auto_map(rig) if preset == "AUTO" else apply_preset(rig, preset)


def keeps_rows(obj):
    """Whether ``obj`` can keep the panel's rows: a library override cannot (its collections
    take no new items, and what it holds is saved only as the overrides Blender diffs); its
    map is made automatically each time instead."""
    return obj.library is None and obj.override_library is None


def current_map(obj, rig):
    """The panel's bone map of ``obj`` as a BoneMap; filled automatically when still empty
    (made afresh each time for an armature that cannot keep the rows: :func:`keeps_rows`).

    RetargetError names a bone the armature does not have or one mapped twice.
    """
    settings = obj.talkrig_rig
    if not keeps_rows(obj):
        return make_map(obj, rig)
    if not len(settings.bones):
        fill(obj, make_map(obj, rig))
    bones, confidence, how = {}, {}, {}
    for item in settings.bones:
        if item.bone:
            bones[item.joint], confidence[item.joint] = item.bone, item.confidence or 1.0
            how[item.joint] = item.how or "manual"
    bone_map = BoneMap(bones, confidence, how, source=settings.source or "manual")
    try:
        bone_map.check(rig)
    except RetargetError as exc:
        raise RetargetError(f"{exc}: fix that row of the bone map in the talkrig panel") from None
    return bone_map


def missing_essential(bone_map):
    """Essential SMPL-X joints without a bone, in SMPL-X order."""
    return [j for j in ESSENTIAL_JOINTS if j not in bone_map]


def check_essential(bone_map, obj):
    """RetargetError naming the essential joints the map of ``obj`` leaves unmapped."""
    missing = missing_essential(bone_map)
    if missing:
        raise RetargetError(
            f"armature {obj.name!r}: no bone for {', '.join(missing)}; map them in the talkrig "
            "panel's bone map (red rows) or choose a preset that fits the rig")


def row_state(item):
    """"ok", "essential" (unmapped, needed), "major" (unmapped, recommended), "extra" or "bad"
    (a bone the armature does not have)."""
    if item.bone:
        arm = item.id_data.data if item.id_data else None
        return "ok" if arm is None or item.bone in arm.bones else "bad"
    if item.joint in ESSENTIAL_JOINTS:
        return "essential"
    return "major" if item.joint in MAJOR_JOINTS else "extra"


class TALKRIG_OT_map_bones(bpy.types.Operator):
    """Fill the bone map of the target armature (automatic or from a preset); replaces the
    rows you edited by hand"""

    bl_idname = "talkrig.map_bones"
    bl_label = "Map Bones"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        from .properties import target_armature

        if target_armature(context) is None:
            cls.poll_message_set("Select an armature, or set the panel's Armature field")
            return False
        return True

    def execute(self, context):
        from ..blender.rig_io import read_rig
        from .properties import target_armature

        obj = target_armature(context)
        try:
            rig = read_rig(obj)
            bone_map = make_map(obj, rig, obj.talkrig_rig.preset)
        except RetargetError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        text = f"{obj.name}: {len(bone_map)} of {len(JOINT_NAMES)} SMPL-X joints mapped ({bone_map.source})"
        if keeps_rows(obj):
            fill(obj, bone_map)
        else:
            text += "; a library override keeps no rows: mapped automatically each time"
        missing = missing_essential(bone_map)
        if missing:
            self.report({"WARNING"}, f"{text}; still unmapped: {', '.join(missing)}")
        else:
            self.report({"INFO"}, text)
        return {"FINISHED"}


REPORT_TEXT = "talkrig bone map"


def map_report(obj, constrained="auto"):
    """The bone map of ``obj`` as the retarget will use it: per SMPL-X joint the bone, its
    confidence, how it was found and the twist bones folded into it; then what carries the root
    motion and where the keys go."""
    from ..blender.controls import retarget_target
    from ..blender.rig_io import read_rig
    from ..motion.retarget.root import root_carrier

    rig = read_rig(obj)
    target = retarget_target(obj, rig, current_map(obj, rig), constrained)
    lines = [target.plan.report(root_carrier(target.plan).note)]
    lines.extend(target.notes)
    return "\n".join(lines), target


class TALKRIG_OT_bone_map_report(bpy.types.Operator):
    """Write the bone map as the retarget will use it (bones, confidences, twist bones, root
    motion) into the text "talkrig bone map"; open it in a Text Editor"""

    bl_idname = "talkrig.bone_map_report"
    bl_label = "Bone Map Report"

    @classmethod
    def poll(cls, context):
        return TALKRIG_OT_map_bones.poll(context)

    def execute(self, context):
        from .properties import target_armature

        obj = target_armature(context)
        try:
            text, target = map_report(obj, context.scene.talkrig.constrained.lower())
        except RetargetError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        block = bpy.data.texts.get(REPORT_TEXT) or bpy.data.texts.new(REPORT_TEXT)
        block.from_string(text + "\n")
        twist = sum(len(seg.twist) for seg in target.plan.segments)
        self.report({"INFO"}, f"{text.splitlines()[0]}; {twist} twist bones; see the text "
                              f"{REPORT_TEXT!r}")
        return {"FINISHED"}


classes = (TALKRIG_OT_map_bones, TALKRIG_OT_bone_map_report)
