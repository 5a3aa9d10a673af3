"""Where a rig's own mechanics put its hips, measured on stripped copies of the rig
(blender/evaluated.py): the same heads as Blender gives the user's own armature frame by frame,
the user's scene left as it was, and the whole rig evaluated where a stripped copy would differ.
"""

import logging

import numpy as np
import pytest
from support.retarget_scenes import append_objects

from talkrig.motion.retarget import RetargetSettings, RigMotion, auto_map, retarget

pytestmark = [pytest.mark.blender]


def users_own(bpy, obj, channels, bones):
    """The heads as Blender evaluates the user's own armature with ``channels`` keyed on it,
    frame by frame (what the copies must agree with); its animation is put back after."""
    from talkrig.blender.keyframes import write_action

    scene, anim = bpy.context.scene, obj.animation_data
    saved = anim.action
    action = write_action(obj, channels, "reference", mode="assign", mute_constraints=False,
                          scene_fps=channels.fps)
    heads = []
    for k in range(channels.n_frames):
        scene.frame_set(1 + k)
        heads.append([np.array(obj.pose.bones[b].head) for b in bones])
    anim.action = saved
    bpy.data.actions.remove(action)
    return np.array(heads)


def data_counts(bpy):
    return {kind: len(getattr(bpy.data, kind)) for kind in ("objects", "armatures", "actions", "scenes")}


@pytest.fixture(scope="module")
def rigify(bpy, rigify_blend, scott_motion):
    """A generated Rigify rig in pose mode with an action of the user's own, and the first
    pass of a take through its controls (feet not planted: what its hips are measured with)."""
    from talkrig.blender.controls import retarget_target
    from talkrig.blender.rig_io import read_rig
    from talkrig.motion.resample import resample

    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = append_objects(bpy, rigify_blend, ["rig"])["rig"]
    anim = obj.animation_data or obj.animation_data_create()
    anim.action = bpy.data.actions.new("user's pose")
    obj.pose.bones["torso"].keyframe_insert("location", frame=1)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="POSE")
    rig = read_rig(obj)
    target = retarget_target(obj, rig, auto_map(rig))
    plan = target.plan
    motion = resample(scott_motion[30:90], 24.0)  # the actor steps and turns
    channels = retarget(motion, plan.rig, plan=plan, settings=RetargetSettings(plant_feet=False))
    channels.switches = target.switches
    bones = [plan.rig.names[int(plan.joint_bone[j])] for j in (1, 2)]
    return obj, channels, bones


def test_hips_are_where_blender_puts_them_on_the_users_rig_and_the_scene_is_left_alone(
        bpy, rigify, caplog):
    import talkrig.blender.evaluated as evaluated

    obj, channels, bones = rigify
    scene = bpy.context.scene
    scene.frame_set(7)
    before = data_counts(bpy)
    with caplog.at_level(logging.INFO, logger=evaluated.__name__):
        heads = evaluated.evaluated_heads(obj, channels, bones)
    assert "evaluated whole" not in caplog.text  # a Rigify rig's hips need 16 of its 706 bones
    assert scene.frame_current == 7
    assert obj.animation_data.action.name == "user's pose" and obj.mode == "POSE"
    assert data_counts(bpy) == before  # no copy, armature, action or scene left behind
    reference = users_own(bpy, obj, channels, bones)
    assert np.ptp(reference, axis=0).max() > 0.05  # the hips do travel in this clip
    np.testing.assert_allclose(heads, reference, atol=1e-5)


def test_a_bone_that_hangs_on_what_the_search_cannot_see_is_measured_on_the_whole_rig(
        bpy, rigify, monkeypatch, caplog):
    import talkrig.blender.evaluated as evaluated

    obj, channels, bones = rigify
    monkeypatch.setattr(evaluated, "needed_bones", lambda obj, asked: set(asked))
    with caplog.at_level(logging.INFO, logger=evaluated.__name__):
        heads = evaluated.evaluated_heads(obj, channels, bones)
    assert "evaluated whole" in caplog.text
    np.testing.assert_allclose(heads, users_own(bpy, obj, channels, bones), atol=1e-5)


SWITCH = 'the "switch" it\'s'  # a bone name with both quotes in it


def small_rig(bpy):
    """A knee that hangs on a thigh turned by an aim bone (through a constraint whose influence
    a driver reads from a switch bone, quotes in its name) and by the IK of the shin below it;
    and an arm that has nothing to do with it."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    data = bpy.data.armatures.new("small")
    obj = bpy.data.objects.new("small", data)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    bones = {}
    for name, head, tail, parent in (
            ("root", (0, 0, 0), (0, 0.2, 0), None),
            ("hips_ctl", (0, 0, 1), (0, 0, 1.1), "root"),
            ("thigh", (0.1, 0, 1), (0.1, 0.02, 0.55), "hips_ctl"),
            ("shin", (0.1, 0.02, 0.55), (0.1, 0, 0.1), "thigh"),
            ("knee", (0.1, 0.02, 0.55), (0.1, 0.1, 0.55), "thigh"),
            ("aim", (0.3, 0, 1), (0.3, 0, 1.2), "root"),
            ("ik_target", (0.1, 0.2, 0.15), (0.1, 0.3, 0.15), "root"),
            (SWITCH, (-0.3, 0, 1), (-0.3, 0, 1.1), "root"),
            ("arm", (0.2, 0, 1.4), (0.5, 0, 1.4), "root"),
            ("arm_aim", (0.5, 0.3, 1.4), (0.5, 0.3, 1.5), "root")):
        bone = data.edit_bones.new(name)
        bone.head, bone.tail = head, tail
        bone.parent = bones.get(parent)
        bone.use_connect = name == "shin"
        bones[name] = bone
    bpy.ops.object.mode_set(mode="OBJECT")
    pose = obj.pose.bones
    for bone in pose:
        bone.rotation_mode = "QUATERNION"
    pose[SWITCH]["follow"] = 1.0
    copy = pose["thigh"].constraints.new("COPY_ROTATION")
    copy.target, copy.subtarget = obj, "aim"
    driver = copy.driver_add("influence").driver
    variable = driver.variables.new()
    variable.targets[0].id = obj
    variable.targets[0].data_path = f'pose.bones["{bpy.utils.escape_identifier(SWITCH)}"]["follow"]'
    driver.expression = variable.name
    ik = pose["shin"].constraints.new("IK")
    ik.target, ik.subtarget, ik.chain_count = obj, "ik_target", 2
    other = pose["arm"].constraints.new("COPY_ROTATION")
    other.target, other.subtarget = obj, "arm_aim"
    return obj


def test_a_stripped_copy_keeps_the_ik_chains_constraints_and_drivers_a_bone_hangs_on(bpy, caplog):
    import talkrig.blender.evaluated as evaluated

    obj = small_rig(bpy)
    assert evaluated.needed_bones(obj, ["knee"]) == {
        "knee", "thigh", "hips_ctl", "root", "aim", SWITCH, "shin", "ik_target"}
    n = 40
    t = np.linspace(0.0, 2.0, n)[:, None]
    turns = np.concatenate([np.cos(0.3 * t), np.sin(0.3 * t), np.cos(t) * 0.2, np.sin(2 * t) * 0.1], axis=1)
    rotations = np.stack([turns / np.linalg.norm(turns, axis=1, keepdims=True)] * 3, axis=1)
    reach = np.concatenate([0.2 * np.sin(t), 0.1 * t, 0.1 * np.cos(3 * t)], axis=1)
    channels = RigMotion(["hips_ctl", "aim", "arm"], rotations, ["ik_target"], reach[:, None],
                         fps=24.0, switches={SWITCH: {"follow": 0.5}})
    with caplog.at_level(logging.INFO, logger=evaluated.__name__):
        heads = evaluated.evaluated_heads(obj, channels, ["knee", "shin"])
    assert "evaluated whole" not in caplog.text  # the stripped copies were enough
    reference = users_own(bpy, obj, channels, ["knee", "shin"])
    assert np.ptp(reference[:, 1], axis=0).max() > 0.05  # the IK does move the shin
    np.testing.assert_allclose(heads, reference, atol=1e-5)
