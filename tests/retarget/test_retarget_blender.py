"""Retargeting onto real Blender armatures (bpy module, headless).

Five rigs are loaded once: the CC0 avatar (glTF, A-pose, Rigify metarig names), Blender's Rigify
human metarig, a rig generated from it by Rigify (its DEF- deform bones), a Mixamo-style rig
(Y-up centimetres, rotated and scaled like an FBX import, T-pose, Euler and axis-angle rotation
modes) and a UE5-style rig (A-pose, facing +Y, centimetres, split spine, metacarpals, twist and
IK helpers). The real take is retargeted onto each, keyed as a new Action, and Blender's own
evaluation of the posed bones is compared with SMPL-X forward kinematics at sampled frames.
"""

import numpy as np
import pytest
from support.retarget_rigs import build_rig, rig_data, smplx_bone_directions
from support.retarget_scenes import append_objects, make_armature

from talkrig.motion.retarget import FINGER_JOINTS, MAJOR_JOINTS, auto_map, make_plan, retarget, to_smplx
from talkrig.motion.retarget.limbs import LIMBS
from talkrig.motion.retarget.plan import ALIGNED
from talkrig.motion.rotations import geodesic_distance, matrix_to_axis_angle
from talkrig.motion.skeleton import JOINT_INDEX, LOWER_BODY, neutral_skeleton

pytestmark = pytest.mark.blender

SAMPLE_FRAMES = [0, 211, 468, 730, 1001, 1349]
TOLERANCE_DEG = 3.0
GROUPS = {
    "arms": ["left_shoulder", "right_shoulder"],
    "forearms": ["left_elbow", "right_elbow"],
    "hands": ["left_wrist", "right_wrist"],
    "head": ["head"],
    "spine": ["spine1", "spine2", "spine3", "neck"],
    "fingers": list(FINGER_JOINTS),
}
EXPECTED_PRESET = {"avatar": "rigify_metarig", "metarig": "rigify_metarig",
                   "rigify": "rigify_generated", "mixamo": "mixamo", "ue5": "ue5_mannequin"}
EULER_BONES = {"mixamorig:LeftArm": "XYZ", "mixamorig:LeftForeArm": "ZXY",
               "mixamorig:RightHand": "YZX", "mixamorig:Spine1": "AXIS_ANGLE"}


def new_objects(bpy, before):
    return [o for o in bpy.data.objects if o.name not in before]


@pytest.fixture(scope="module")
def world(bpy, avatar_glb, scott_motion, rigify_blend):
    """All rigs, their plans and retargeted channels, and sampled evaluated poses."""
    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    objects = {}
    before = {o.name for o in bpy.data.objects}
    bpy.ops.import_scene.gltf(filepath=str(avatar_glb))
    objects["avatar"] = next(o for o in new_objects(bpy, before) if o.type == "ARMATURE")
    rigify = append_objects(bpy, rigify_blend, ["metarig", "rig"])
    objects["metarig"], objects["rigify"] = rigify["metarig"], rigify["rig"]
    objects["mixamo"] = make_armature(bpy, "mixamo", rig_data("mixamo", frame="yup", units=100.0,
                                                              arm_drop_deg=0.0),
                                      rotation=(np.pi / 2, 0.0, 0.0), scale=0.01)
    for bone, mode in EULER_BONES.items():
        objects["mixamo"].pose.bones[bone].rotation_mode = mode
    objects["ue5"] = make_armature(bpy, "ue5", rig_data("ue5", frame="ue", units=100.0),
                                   rotation=(0.0, 0.0, 0.3), scale=0.01)
    objects["ue5"].location = (2.0, 1.0, 0.0)

    out = {"objects": objects, "rigs": {}, "plans": {}, "channels": {}, "actions": {}}
    for name, obj in objects.items():
        rig = read_rig(obj)
        plan = make_plan(rig, auto_map(rig))
        channels = retarget(scott_motion, rig, plan=plan)
        mode = "nla" if name == "rigify" else "assign"
        out["actions"][name] = write_action(obj, channels, f"talkrig {name}", mode=mode)
        out["rigs"][name], out["plans"][name], out["channels"][name] = rig, plan, channels

    # Evaluate once per sampled frame: world Y axis of every bone and the current pose.
    out["axes"] = {name: [] for name in objects}
    out["poses"] = {name: [] for name in objects}
    out["captured"] = {name: [] for name in objects}
    from talkrig.blender.rig_io import capture_pose, read_pose

    for frame in SAMPLE_FRAMES:
        bpy.context.scene.frame_set(1 + frame)
        for name, obj in objects.items():
            world = np.array(obj.matrix_world)[:3, :3]
            mats = np.array([np.array(pb.matrix)[:3, 1] for pb in obj.pose.bones])
            axes = mats @ world.T
            out["axes"][name].append(axes / np.linalg.norm(axes, axis=1, keepdims=True))
            out["poses"][name].append(read_pose(obj, out["rigs"][name]))
            out["captured"][name].append(capture_pose(obj, out["plans"][name]))
    return out


@pytest.fixture(scope="module")
def smplx_fk(scott_motion):
    """SMPL-X bone directions and global rotations at the sampled frames."""
    motion = scott_motion[SAMPLE_FRAMES]
    return smplx_bone_directions(motion.poses, motion.trans)


def test_read_rig_gives_blenders_rest_pose(world):
    rig = world["rigs"]["ue5"]
    expected = build_rig("ue5", frame="ue", units=100.0)
    assert sorted(rig.names) == sorted(expected.names)
    order = [expected.index(n) for n in rig.names]
    parents = [rig.names[p] if p >= 0 else None for p in rig.parents]
    assert parents == [expected.names[p] if p >= 0 else None for p in expected.parents[order]]
    np.testing.assert_allclose(rig.heads, expected.heads[order], atol=1e-3)  # cm, float32
    np.testing.assert_allclose(rig.matrices, expected.matrices[order], atol=1e-5)  # roll maths
    avatar = world["rigs"]["avatar"]
    assert len(avatar) == 56 and avatar.name == world["objects"]["avatar"].name


@pytest.mark.parametrize("name", list(EXPECTED_PRESET))
def test_every_rig_auto_maps_its_body_and_fingers(world, name):
    bone_map = world["plans"][name].bone_map
    assert bone_map.source == EXPECTED_PRESET[name]
    assert not bone_map.missing_major
    assert all(j in bone_map for j in FINGER_JOINTS)
    # Names and hierarchy alone (no preset) find the same body and finger bones.
    by_names = auto_map(world["rigs"][name], use_presets=False)
    for joint in MAJOR_JOINTS + FINGER_JOINTS:
        assert by_names.get(joint) == bone_map.get(joint), (name, joint)


@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("name", list(EXPECTED_PRESET))
def test_keyed_bones_point_where_smplx_bones_point(world, smplx_fk, name, group):
    dirs, g = smplx_fk
    plan, obj = world["plans"][name], world["objects"][name]
    world_rot = np.array(obj.matrix_world)[:3, :3]
    world_rot = world_rot / np.linalg.norm(world_rot, axis=0)  # the object's scale
    C = plan.frame
    for joint in GROUPS[group]:
        j = JOINT_INDEX[joint]
        bone = plan.joint_bone[j]
        if j in ALIGNED:
            want = dirs[:, j] @ C.T
        else:  # the head keeps its own rest and turns as SMPL-X's head turns
            want = (C @ g[:, j] @ C.T @ plan.rig.directions[bone][:, None])[..., 0]
        want = want @ world_rot.T
        got = np.array([axes[bone] for axes in world["axes"][name]])
        cos = np.sum(got * want, axis=1) / np.linalg.norm(want, axis=1)
        worst = np.degrees(np.arccos(np.clip(cos, -1, 1))).max()
        assert worst < TOLERANCE_DEG, f"{name} {joint}: {worst:.2f} degrees off"


def test_generated_rigify_deform_bones_stay_joined(world, bpy):
    obj = world["objects"]["rigify"]
    muted = world["actions"]["rigify"]["talkrig_muted_constraints"].split("\n")
    assert "DEF-upper_arm.L/Copy Transforms" in muted
    # The take switches the constraint off; the rig itself keeps it (without the take, the
    # controls drive the deform bones again).
    con = obj.pose.bones["DEF-upper_arm.L"].constraints["Copy Transforms"]
    assert con.enabled
    action = world["actions"]["rigify"]
    paths = {fc.data_path for fc in action.layers[0].strips[0].channelbag(action.slots[0]).fcurves}
    assert 'pose.bones["DEF-upper_arm.L"].constraints["Copy Transforms"].influence' in paths
    assert obj.animation_data.action is None and len(obj.animation_data.nla_tracks) == 1
    bpy.context.scene.frame_set(1 + 730)
    for child, parent in (("DEF-upper_arm.L", "DEF-shoulder.L"), ("DEF-thigh.R", "DEF-spine"),
                          ("DEF-f_index.01.L", "DEF-palm.01.L"), ("DEF-pelvis.L", "DEF-spine"),
                          ("DEF-spine.004", "DEF-spine.003")):
        posed = np.linalg.inv(np.array(obj.pose.bones[parent].matrix)) @ np.append(
            np.array(obj.pose.bones[child].head), 1.0)
        rest = np.linalg.inv(np.array(obj.data.bones[parent].matrix_local)) @ np.append(
            np.array(obj.data.bones[child].head_local), 1.0)
        assert np.abs(posed - rest).max() < 1e-4, child


def test_rotation_modes_are_keyed_in_the_bones_own_mode(world):
    action = world["actions"]["mixamo"]
    paths = {fc.data_path for fc in action.layers[0].strips[0].channelbag(action.slots[0]).fcurves}
    for bone, mode in EULER_BONES.items():
        prop = "rotation_axis_angle" if mode == "AXIS_ANGLE" else "rotation_euler"
        assert f'pose.bones["{bone}"].{prop}' in paths
    assert 'pose.bones["mixamorig:Hips"].location' in paths


@pytest.mark.parametrize("name", ["avatar", "rigify", "ue5"])
def test_captured_pose_converts_back_to_the_smplx_pose(world, scott_motion, name):
    plan = world["plans"][name]
    # The upper body comes back whole; limb roll may be spread differently between elbow and
    # wrist, and legs were re-solved to keep the feet planted.
    rolled = {j for limb in LIMBS for j in limb[:2]}
    whole = [JOINT_INDEX[j] for j in plan.bone_map.bones
             if JOINT_INDEX[j] not in rolled and JOINT_INDEX[j] not in LOWER_BODY]
    sk = neutral_skeleton()
    want_rot, want_pos = sk.forward_kinematics(scott_motion.poses[SAMPLE_FRAMES])
    for k, frame in enumerate(SAMPLE_FRAMES):
        from_channels = to_smplx(world["poses"][name][k], plan.rig, plan=plan)
        evaluated = world["captured"][name][k]
        for back in (from_channels, evaluated):
            rot, pos = sk.forward_kinematics(back.poses)
            err = np.degrees(geodesic_distance(matrix_to_axis_angle(rot[0, whole]),
                                               matrix_to_axis_angle(want_rot[k, whole])))
            assert err.max() < 1.0, (name, frame)
            arms = [JOINT_INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("elbow", "wrist")]
            assert np.abs(pos[0, arms] - want_pos[k, arms]).max() < 2e-3, (name, frame)
    # The pelvis path comes back too (relative root motion: displacements, in metres); the
    # pelvis may have come down a little where a planted leg could not reach.
    captured = np.array([m.trans[0] for m in world["captured"][name]])
    moved = scott_motion.trans[SAMPLE_FRAMES] - scott_motion.trans[SAMPLE_FRAMES[0]]
    np.testing.assert_allclose((captured - captured[0])[:, [0, 2]], moved[:, [0, 2]], atol=2e-3)
    assert np.all(np.abs((captured - captured[0])[:, 1] - moved[:, 1]) < 0.05)


def test_write_action_never_overwrites_existing_animation(world, bpy, scott_motion):
    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig

    obj = make_armature(bpy, "generic", rig_data("generic"))
    obj.pose.bones["Hips"].keyframe_insert("location", frame=1)
    users_action = obj.animation_data.action
    assert users_action is not None
    rig = read_rig(obj)
    channels = retarget(scott_motion[:120], rig)

    first = write_action(obj, channels, "take", frame_start=10, mode="nla")
    assert obj.animation_data.action == users_action
    track = obj.animation_data.nla_tracks[-1]
    assert track.strips[0].action == first and track.strips[0].frame_start == 10
    assert track.strips[0].action_slot == first.slots[0]
    fcurves = first.layers[0].strips[0].channelbag(first.slots[0]).fcurves
    assert all(len(fc.keyframe_points) == 120 for fc in fcurves)
    assert tuple(first.frame_range) == (10.0, 129.0)

    second = write_action(obj, channels, "take", mode="assign", scene_fps=60)
    assert second != first and second.name != first.name
    assert obj.animation_data.action == second and obj.animation_data.action_slot == second.slots[0]
    assert users_action.name in bpy.data.actions and users_action.use_fake_user
    assert tuple(second.frame_range) == (1.0, 239.0)  # 120 frames at 30 fps on a 60 fps scene


def test_pose_made_with_rigify_controls_is_captured_from_its_deform_bones(world, bpy):
    """An animator poses a generated Rigify rig with its controls; capture reads the result."""
    from talkrig.blender.rig_io import capture_pose, read_posed

    obj, plan = world["objects"]["rigify"], world["plans"]["rigify"]
    track = obj.animation_data.nla_tracks[0]
    controls = {"head": 0.45, "chest": -0.3, "f_index.02.L": 0.8, "thumb.02.R": 0.5}
    muted = world["actions"]["rigify"]["talkrig_muted_constraints"].split("\n")
    try:
        track.mute = True  # without the take, the constraints are switched back on by hand
        for item in muted:
            bone, con = item.split("/", 1)
            obj.pose.bones[bone].constraints[con].influence = 1.0
        for bone, angle in controls.items():
            pb = obj.pose.bones[bone]
            pb.rotation_mode = "XYZ"
            pb.rotation_euler = (angle, 0.0, 0.0)
        bpy.context.view_layer.update()
        captured = capture_pose(obj, plan)
        rotations, _ = read_posed(obj)
    finally:
        for bone in controls:
            obj.pose.bones[bone].rotation_euler = (0.0, 0.0, 0.0)
        track.mute = False
    dirs, g = smplx_bone_directions(captured.poses, captured.trans)
    C = plan.frame
    for joint in ("spine3", "neck", "left_index2", "left_index3", "right_thumb2", "left_wrist"):
        j = JOINT_INDEX[joint]
        bone = plan.joint_bone[j]
        if j in ALIGNED:
            want = C @ dirs[0, j]
        else:  # the torso keeps its own rest and turns as SMPL-X's does
            want = C @ g[0, j] @ C.T @ plan.rig.directions[bone]
        got = rotations[plan.joint_bone[j], :, 1]
        cos = got @ want / np.linalg.norm(want)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))) < 1.0, joint
    turned = np.degrees(np.linalg.norm(captured.poses[0], axis=-1))
    assert turned[JOINT_INDEX["left_index2"]] > 30.0  # the finger bend came through
    assert turned[[JOINT_INDEX[j] for j in ("spine1", "spine2", "spine3", "neck", "head")]].sum() > 20.0
