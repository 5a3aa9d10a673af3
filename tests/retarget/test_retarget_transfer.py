"""Retargeting maths on the real take, numpy only: forward, inverse, rest-pose awareness.

The rigs (tests/support/retarget_rigs.py) stand in an A-pose with curled fingers and random bone rolls,
some in Y-up centimetres or facing +Y, with extra in-between, twist and helper bones. Their
posed bones are evaluated here with Blender's pose formula written out independently:
``Pose_i = Pose_parent @ Rest_parent^-1 @ Rest_i @ Basis_i``.
"""

import numpy as np
import pytest
from support.retarget_rigs import FRAMES, build_rig, smplx_bone_directions

from talkrig.motion import Motion
from talkrig.motion.retarget import (
    BoneMap,
    RetargetError,
    RetargetSettings,
    Rig,
    RigMotion,
    auto_map,
    detect_frame,
    make_plan,
    retarget,
    smplx_from_pose,
    to_smplx,
)
from talkrig.motion.retarget.limbs import LIMBS
from talkrig.motion.retarget.plan import ALIGNED
from talkrig.motion.rotations import geodesic_distance, quat_to_matrix
from talkrig.motion.skeleton import JOINT_INDEX, JOINT_NAMES, neutral_skeleton

UNPLANTED = RetargetSettings(plant_feet=False)  # legs as SMPL-X has them: joint-by-joint checks

RIGS = {
    "smplx-A-pose": dict(style="smplx"),
    "ue5-cm-facing+y": dict(style="ue5", frame="ue", units=100.0),
    "mixamo-yup-cm": dict(style="mixamo", frame="yup", units=100.0, arm_drop_deg=0.0),
    "rigify-metarig": dict(style="rigify", arm_drop_deg=60.0),
}


@pytest.fixture(scope="module")
def take(scott_motion):
    return scott_motion[::15]  # 90 frames across the whole 45 s


@pytest.fixture(scope="module", params=list(RIGS))
def setup(request):
    rig = build_rig(**RIGS[request.param])
    bone_map = auto_map(rig)
    return rig, make_plan(rig, bone_map)


def pose_rig(rig, rig_motion):
    """Posed rotations (T, B, 3, 3) and heads (T, B, 3) by Blender's pose formula."""
    n = rig_motion.n_frames
    rot = {rig.index(b): quat_to_matrix(rig_motion.rotations[:, k])
           for k, b in enumerate(rig_motion.bone_names)}
    loc = {rig.index(b): rig_motion.locations[:, k] for k, b in enumerate(rig_motion.location_bones)}
    posed = np.zeros((n, len(rig), 3, 3))
    heads = np.zeros((n, len(rig), 3))
    for i in np.argsort(rig.depths, kind="stable"):
        m, p = rig.matrices[i], rig.parents[i]
        r = rot.get(i, np.eye(3))
        t = loc.get(i, np.zeros((n, 3)))
        if p < 0:
            posed[:, i] = m @ r
            heads[:, i] = rig.heads[i] + t @ m.T
        else:
            to_parent = posed[:, p] @ rig.matrices[p].T
            posed[:, i] = to_parent @ m @ r
            heads[:, i] = heads[:, p] + to_parent @ (rig.heads[i] - rig.heads[p]) \
                + (to_parent @ m @ t[..., None])[..., 0]
    return posed, heads


def angle_deg(a, b):
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


def body_error(motion, back, mapped):
    """Worst joint position error (metres) and worst global rotation error (degrees) of the
    mapped joints outside the limb segments (whose roll is spread differently on the rig)."""
    sk = neutral_skeleton()
    g_in, x_in = sk.forward_kinematics(motion.poses, motion.trans)
    g_out, x_out = sk.forward_kinematics(back.poses, back.trans)
    rolled = {j for limb in LIMBS for j in limb[:2]}
    whole = [j for j in mapped if j not in rolled]
    r = np.swapaxes(g_in[:, whole], -1, -2) @ g_out[:, whole]
    angle = np.degrees(np.arccos(np.clip((np.trace(r, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))
    return np.linalg.norm(x_in - x_out, axis=-1).max(), angle.max()


def test_inverse_recovers_the_smplx_body(take, setup):
    rig, plan = setup
    absolute = RetargetSettings(root_motion="absolute", plant_feet=False)
    channels = retarget(take, rig, plan=plan, settings=absolute)
    back = to_smplx(channels, rig, plan=plan)
    mapped = [JOINT_INDEX[j] for j in plan.bone_map.bones]
    position, angle = body_error(take, back, mapped)
    assert position < 1e-3 and angle < 1.0
    np.testing.assert_allclose(back.trans, take.trans, atol=1e-3)
    assert back.fps == take.fps and back.n_frames == take.n_frames
    # The same from the evaluated pose (what Blender shows), not from the channels.
    posed, heads = pose_rig(rig, channels)
    seen = smplx_from_pose(plan, posed, heads, fps=take.fps)
    position, angle = body_error(take, seen, mapped)
    assert position < 1e-3 and angle < 1.0
    np.testing.assert_allclose(seen.trans, take.trans, atol=1e-3)


def test_every_mapped_bone_points_where_smplx_does(take, setup):
    rig, plan = setup
    posed, _ = pose_rig(rig, retarget(take, rig, plan=plan, settings=UNPLANTED))
    dirs, g = smplx_bone_directions(take.poses, take.trans)
    C = plan.frame
    for j, bone in enumerate(plan.joint_bone):
        if bone < 0:
            continue
        if j in ALIGNED:  # limbs, spine, fingers: exactly along SMPL-X's segment
            want = dirs[:, j] @ C.T
        else:  # pelvis, clavicles, head, feet: SMPL-X's turn applied to the rig's own rest
            want = (C @ g[:, j] @ C.T @ rig.directions[bone][:, None])[..., 0]
        got = posed[:, bone, :, 1]
        assert angle_deg(got, want).max() < 0.1, JOINT_NAMES[j]


def test_smplx_t_pose_straightens_the_rigs_a_pose(setup):
    rig, plan = setup
    rest = Motion.rest(1)
    posed, _ = pose_rig(rig, retarget(rest, rig, plan=plan))
    left = plan.frame[:, 0]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        arm = plan.joint_bone[JOINT_INDEX[f"{side}_elbow"]]
        assert angle_deg(posed[0, arm, :, 1], sign * left) < 6.0  # SMPL-X's arm is near level
        assert angle_deg(rig.directions[arm], sign * left) > 30.0 or "mixamo" in rig.name
    # Bones that keep their own rest do not move at all in the T-pose.
    for joint in ("pelvis", "head", "left_collar", "left_ankle"):
        b = plan.joint_bone[JOINT_INDEX[joint]]
        np.testing.assert_allclose(posed[0, b], rig.matrices[b], atol=1e-9)


def test_fingers_curl_toward_the_palm(setup):
    rig, plan = setup
    poses = np.zeros((1, 55, 3))
    for k in (1, 2, 3):  # left index: palm down in the T-pose, so a curl turns +x toward -y
        poses[0, JOINT_INDEX[f"left_index{k}"]] = [0.0, 0.0, -0.6]
        poses[0, JOINT_INDEX[f"right_index{k}"]] = [0.0, 0.0, 0.6]
    motion = Motion(poses=poses, trans=np.zeros((1, 3)))
    posed, heads = pose_rig(rig, retarget(motion, rig, plan=plan))
    up = plan.frame[:, 1]
    for side in ("left", "right"):
        knuckle = heads[0, plan.joint_bone[JOINT_INDEX[f"{side}_index1"]]]
        tip_bone = plan.joint_bone[JOINT_INDEX[f"{side}_index3"]]
        tip = heads[0, tip_bone] + posed[0, tip_bone, :, 1] * rig.lengths[tip_bone]
        drop = (knuckle - tip) @ up / plan.scale  # metres below the knuckle
        assert drop > 0.03, side


def test_root_motion_follows_the_hips_scaled_by_hip_height(take, setup):
    rig, plan = setup
    sk = neutral_skeleton()
    hips = sk.forward_kinematics(take.poses, take.trans)[1][:, [1, 2]].mean(axis=1)
    legs = [plan.joint_bone[JOINT_INDEX[j]] for j in ("left_hip", "right_hip")]
    up = plan.frame[:, 1]
    floor = plan.ground @ up
    absolute = RetargetSettings(root_motion="absolute", plant_feet=False)
    _, heads = pose_rig(rig, retarget(take, rig, plan=plan, settings=absolute))
    np.testing.assert_allclose((heads[:, legs].mean(axis=1) @ up - floor) / plan.scale,
                               hips[:, 1], atol=1e-6)
    relative = RetargetSettings(root_motion="relative", plant_feet=False)
    _, heads = pose_rig(rig, retarget(take, rig, plan=plan, settings=relative))
    anchor = heads[:, legs].mean(axis=1)
    np.testing.assert_allclose(anchor[0], rig.heads[legs].mean(axis=0), atol=1e-9)
    moved = (anchor - anchor[:1]) @ plan.frame / plan.scale
    np.testing.assert_allclose(moved, hips - hips[:1], atol=1e-6)
    still = RetargetSettings(root_motion="none")
    assert retarget(take[:3], rig, plan=plan, settings=still).location_bones == ()


def test_in_between_bones_share_the_bend_and_twist(take):
    rig = build_rig("ue5", frame="ue", units=100.0)
    plan = make_plan(rig)
    channels = retarget(take, rig, plan=plan)
    posed, heads = pose_rig(rig, channels)
    delta = {b: posed[:, rig.index(b)] @ rig.matrices[rig.index(b)].T
             for b in ("spine_01", "spine_02", "spine_03", "hand_l", "index_metacarpal_l",
                       "lowerarm_l", "lowerarm_twist_01_l", "neck_01", "neck_02", "head")}

    def turn(a, b):
        r = np.swapaxes(delta[a], 1, 2) @ delta[b]
        return np.degrees(np.arccos(np.clip((np.trace(r, axis1=1, axis2=2) - 1) / 2, -1, 1)))

    # The spine's in-between bone takes half of the turn between its mapped neighbours.
    total = turn("spine_01", "spine_03")
    assert total.max() > 2.0
    np.testing.assert_allclose(turn("spine_01", "spine_02"), total / 2, atol=0.05)
    np.testing.assert_allclose(turn("spine_02", "spine_03"), total / 2, atol=0.05)
    np.testing.assert_allclose(turn("neck_01", "neck_02") + turn("neck_02", "head"),
                               turn("neck_01", "head"), atol=0.2)
    # A metacarpal stays rigid with the hand in direction (only a share of twist).
    meta = rig.index("index_metacarpal_l")
    assert angle_deg(delta["hand_l"] @ rig.directions[meta],
                     delta["index_metacarpal_l"] @ rig.directions[meta]).max() < 1e-5
    # Twist bones hanging under a limb bone are keyed (their share of the roll, see below).
    assert "lowerarm_twist_01_l" in channels.bone_names
    # Bones below the mapped hierarchy's top stay at rest (the root bone, IK helpers).
    assert not {"root", "ik_foot_root", "ik_hand_l"} & set(channels.bone_names)


def test_a_rig_with_two_spine_bones_still_gets_the_whole_spine(take):
    full = build_rig("generic")
    keep = [i for i, n in enumerate(full.names) if n != "Chest"]
    parents = [full.names[full.parents[i]] if full.parents[i] >= 0 else None for i in keep]
    parents = ["Spine" if p == "Chest" else p for p in parents]
    tails = full.tails[keep].copy()
    tails[[full.names[i] for i in keep].index("Spine")] = full.heads[full.index("UpperChest")]
    rig = Rig.from_bones([full.names[i] for i in keep], parents, full.heads[keep], tails,
                         name="two-spine")
    plan = make_plan(rig)
    assert plan.bone_map.bones["spine3"] == "UpperChest" and "spine2" not in plan.bone_map.bones
    posed, _ = pose_rig(rig, retarget(take, rig, plan=plan))
    dirs, _ = smplx_bone_directions(take.poses)
    chest = rig.index("UpperChest")
    assert angle_deg(posed[:, chest, :, 1], dirs[:, JOINT_INDEX["spine3"]] @ plan.frame.T).max() < 0.1
    back = to_smplx(retarget(take, rig, plan=plan), rig, plan=plan)
    sk = neutral_skeleton()
    g_in = sk.forward_kinematics(take.poses)[0]
    g_out = sk.forward_kinematics(back.poses)[0]
    for joint in ("spine3", "neck", "left_wrist"):  # everything above the gap comes back whole
        j = JOINT_INDEX[joint]
        r = np.swapaxes(g_in[:, j], 1, 2) @ g_out[:, j]
        assert np.degrees(np.arccos(np.clip((np.trace(r, axis1=1, axis2=2) - 1) / 2, -1, 1))).max() < 1.0


@pytest.mark.parametrize("frame", ["blender", "yup", "ue"])
def test_the_rigs_own_axes_are_found_from_its_rest(frame):
    rig = build_rig("generic", frame=frame)
    np.testing.assert_array_equal(detect_frame(rig, auto_map(rig)), FRAMES[frame])
    # A rig leaning 30 degrees is not snapped to the axes: its own up is used.
    lean = np.array([[1, 0, 0], [0, np.cos(0.5), -np.sin(0.5)], [0, np.sin(0.5), np.cos(0.5)]])
    tilted = Rig(rig.names, rig.parents, rig.heads @ lean.T, rig.tails @ lean.T,
                 lean @ rig.matrices)
    np.testing.assert_allclose(detect_frame(tilted, auto_map(tilted)), lean @ FRAMES[frame],
                               atol=0.02)


def test_errors_name_the_problem(take):
    rig = build_rig("mixamo")
    with pytest.raises(RetargetError, match="no bone for the pelvis"):
        make_plan(rig, BoneMap({"left_elbow": "mixamorig:LeftForeArm"}))
    with pytest.raises(RetargetError, match="root_motion must be one of"):
        retarget(take, rig, settings=RetargetSettings(root_motion="sideways"))
    with pytest.raises(RetargetError, match="rotations must have shape"):
        RigMotion(["a", "b"], np.zeros((3, 1, 4)))
    with pytest.raises(RetargetError, match="a pose of rig 'mixamo' needs"):
        smplx_from_pose(make_plan(rig), np.zeros((2, 3, 3)), np.zeros((2, 3)))
