"""Limb roll, odd bone axes, two-bone fingers and the upright rest, numpy only.

Rigs come from tests/support/retarget_rigs.py; their posed bones are evaluated with Blender's pose
formula (tests/retarget/test_retarget_transfer.py) and measured from head positions and bone matrices,
not from the retargeting code's own quantities.
"""

import numpy as np
import pytest
from support.retarget_rigs import build_rig
from test_retarget_transfer import UNPLANTED, angle_deg, pose_rig

from talkrig.motion import Motion
from talkrig.motion.retarget import Rig, make_plan, retarget
from talkrig.motion.rotations import matrix_to_quat
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton

J = JOINT_INDEX


@pytest.fixture(scope="module")
def clip(scott_motion):
    return scott_motion[300:600]  # 10 s at 30 fps


def fbx_like(rig, seed=1):
    """The same rig as an FBX imported without bone orientation: every bone's Y axis turned
    90 degrees off its real direction (heads, hierarchy and lengths unchanged)."""
    rng = np.random.default_rng(seed)
    tails = rig.tails.copy()
    for b in range(len(rig)):
        d = rig.tails[b] - rig.heads[b]
        across = np.cross(d, rng.normal(size=3))
        tails[b] = rig.heads[b] + across / np.linalg.norm(across) * np.linalg.norm(d)
    parents = [rig.names[p] if p >= 0 else None for p in rig.parents]
    return Rig.from_bones(rig.names, parents, rig.heads, tails, rng.uniform(-3, 3, len(rig)),
                          name=rig.name + "-fbx")


def twist_deg(delta_parent, delta_child, axis):
    """Twist (degrees) of the child's world change against the parent's, about a rest axis."""
    q = matrix_to_quat(np.swapaxes(delta_parent, -1, -2) @ delta_child)
    axis = axis / np.linalg.norm(axis)
    return np.degrees(2.0 * np.arctan2(q[..., 1:] @ axis, q[..., 0]))


def world_deltas(rig, posed):
    return posed @ np.swapaxes(rig.matrices, -1, -2)[None]


def elbow_flexion(heads, shoulder, elbow, wrist):
    return angle_deg(heads[:, elbow] - heads[:, shoulder], heads[:, wrist] - heads[:, elbow])


@pytest.mark.parametrize("twist", [None, "chain"])
def test_bone_axes_pointing_anywhere_do_not_bend_the_elbow(clip, twist):
    rig = fbx_like(build_rig("generic", twist=twist, upright_spine=True))
    plan = make_plan(rig)
    _, heads = pose_rig(rig, retarget(clip, rig, plan=plan, settings=UNPLANTED))
    _, x = neutral_skeleton().forward_kinematics(clip.poses, clip.trans)
    for side in ("left", "right"):
        bones = [rig.index(f"{part}.{side[0].upper()}") for part in ("UpperArm", "LowerArm", "Wrist")]
        want = elbow_flexion(x, *(J[f"{side}_{j}"] for j in ("shoulder", "elbow", "wrist")))
        assert np.abs(elbow_flexion(heads, *bones) - want).max() < 0.05


def one_joint_turn(joint, axis, degrees):
    """An SMPL-X pose (1 frame) with only ``joint`` turned about a rest-frame ``axis``."""
    poses = np.zeros((1, 55, 3))
    poses[0, J[joint]] = np.asarray(axis) / np.linalg.norm(axis) * np.radians(degrees)
    return Motion(poses=poses, trans=np.zeros((1, 3)))


def arm_axes():
    rest = neutral_skeleton().rest_positions
    upper = rest[J["left_elbow"]] - rest[J["left_shoulder"]]
    lower = rest[J["left_wrist"]] - rest[J["left_elbow"]]
    return upper / np.linalg.norm(upper), lower / np.linalg.norm(lower)


@pytest.mark.parametrize("twist", ["chain", "leaf", None])
def test_limb_roll_is_spread_over_twist_bones_and_the_swing_stays_on_the_limb(twist):
    # A T-pose rig laid on SMPL-X's own joints (so its arm needs no rest alignment).
    style = "ue5" if twist == "leaf" else "generic"
    rig = build_rig(style, twist="chain" if twist == "chain" else None, arm_drop_deg=0.0,
                    extras=twist == "leaf")
    plan = make_plan(rig)
    names = {"generic": ("UpperArm.L", "LowerArm.L", "Wrist.L", "UpperArmTwist.L", "LowerArmTwist.L"),
             "ue5": ("upperarm_l", "lowerarm_l", "hand_l", "upperarm_twist_01_l",
                     "lowerarm_twist_01_l")}[style]
    upper, lower, hand = (rig.index(n) for n in names[:3])
    twists = [rig.index(n) for n in names[3:]] if twist else []
    up_axis, low_axis = arm_axes()
    C = plan.frame
    up_axis, low_axis = C @ up_axis, C @ low_axis
    collar = rig.index("Clavicle.L" if style == "generic" else "clavicle_l")

    # Middle of the stretch each twist bone covers (from its head to the next twist bone's or
    # the segment's end), as tests/support/retarget_rigs.py lays them out.
    place = {"chain": (0.75, 0.75), "leaf": (0.3, 0.8)}.get(twist)
    # Roll of the upper arm at the shoulder: a twist bone takes the share of its place along
    # the upper arm, the upper arm bone none when it has twist bones, all of it otherwise.
    posed, _ = pose_rig(rig, retarget(one_joint_turn("left_shoulder", arm_axes()[0], 60.0), rig,
                                      plan=plan, settings=UNPLANTED))
    d = world_deltas(rig, posed)[0]
    own = twist_deg(d[collar], d[upper], up_axis)
    if twist:
        assert abs(own) < 1e-6
        assert twist_deg(d[collar], d[twists[0]], up_axis) == pytest.approx(60.0 * place[0],
                                                                             abs=1e-6)
    else:
        assert own == pytest.approx(60.0, abs=1e-6)
    assert twist_deg(d[collar], d[lower], up_axis) == pytest.approx(60.0, abs=1e-6)

    # Pronation of the hand: along the forearm, not at the elbow or the wrist.
    posed, _ = pose_rig(rig, retarget(one_joint_turn("left_wrist", arm_axes()[1], 80.0), rig,
                                      plan=plan, settings=UNPLANTED))
    d = world_deltas(rig, posed)[0]
    assert twist_deg(d[upper], d[hand], low_axis) == pytest.approx(80.0, abs=1e-6)
    forearm = twist_deg(d[upper], d[lower], low_axis)
    if twist:
        assert abs(forearm) < 1e-6
        assert twist_deg(d[upper], d[twists[1]], low_axis) == pytest.approx(80.0 * place[1],
                                                                            abs=1e-6)
    else:  # no twist bones: half on the forearm, half at the wrist
        assert forearm == pytest.approx(40.0, abs=1e-6)


def test_forearm_and_wrist_roll_stay_in_human_range_on_the_take(scott_motion):
    rig = build_rig("generic", upright_spine=True)
    plan = make_plan(rig)
    posed, _ = pose_rig(rig, retarget(scott_motion, rig, plan=plan, settings=UNPLANTED))
    d = world_deltas(rig, posed)
    worst = 0.0
    for s in ("L", "R"):
        upper, lower, hand = (rig.index(f"{n}.{s}") for n in ("UpperArm", "LowerArm", "Wrist"))
        axis = rig.heads[hand] - rig.heads[lower]
        elbow = twist_deg(d[:, upper], d[:, lower], axis)
        wrist = twist_deg(d[:, lower], d[:, hand], axis)
        worst = max(worst, np.abs(elbow).max(), np.abs(wrist).max())
    assert worst < 90.0  # pronation/supination: about 90 degrees either way at most


def test_a_still_smplx_pose_gives_a_still_upright_rig():
    rig = build_rig("generic", upright_spine=True)
    plan = make_plan(rig)
    posed, _ = pose_rig(rig, retarget(Motion.rest(1), rig, plan=plan, settings=UNPLANTED))
    for bone in ("Hips", "Spine", "Chest", "UpperChest", "Neck", "Head", "Clavicle.L",
                 "Clavicle.R", "Jaw"):
        b = rig.index(bone)
        np.testing.assert_allclose(posed[0, b], rig.matrices[b], atol=1e-9)
    up = plan.frame[:, 1]
    chest = rig.index("UpperChest")
    assert angle_deg(posed[0, chest, :, 1], up) < 1e-6  # upright, not SMPL-X's 8.6 degree lean


def test_a_two_bone_finger_points_at_the_finger_tip(clip):
    rig = build_rig("generic", finger_bones=2, odd_rolls=False, finger_curl_deg=0.0)
    plan = make_plan(rig)
    assert "left_index3" not in plan.bone_map.bones
    posed, _ = pose_rig(rig, retarget(clip, rig, plan=plan, settings=UNPLANTED))
    sk = neutral_skeleton()
    g, x = sk.forward_kinematics(clip.poses, clip.trans)
    worst = 0.0
    for side, s in (("left", "L"), ("right", "R")):
        for finger in ("Index", "Middle", "Ring", "Pinky"):
            bone = rig.index(f"{finger}2.{s}")
            second, third = J[f"{side}_{finger.lower()}2"], J[f"{side}_{finger.lower()}3"]
            # SMPL-X's finger tip: beyond the third joint, 0.8 of the second phalanx along the
            # third one (as the rig's bone was built).
            extension = 0.8 * (sk.rest_positions[third] - sk.rest_positions[second])
            tip = x[:, third] + g[:, third] @ extension
            want = (tip - x[:, second]) @ plan.frame.T
            worst = max(worst, angle_deg(posed[:, bone, :, 1], want).max())
    assert worst < 5.0


def test_roll_axes_of_an_unmapped_in_between_bone_follow_the_chain_not_its_y_axis(clip):
    # Metacarpals of a UE-style hand, imported without bone orientation.
    rig = fbx_like(build_rig("ue5"))
    plan = make_plan(rig)
    posed, heads = pose_rig(rig, retarget(clip, rig, plan=plan, settings=UNPLANTED))
    hand, meta, first = (rig.index(n) for n in ("hand_l", "index_metacarpal_l", "index_01_l"))
    d = world_deltas(rig, posed)
    # The metacarpal stays rigid with the hand in direction: its knuckle does not swing.
    along = rig.heads[first] - rig.heads[meta]
    got = heads[:, first] - heads[:, meta]
    want = (d[:, hand] @ along[:, None])[..., 0]
    assert angle_deg(got, want).max() < 1e-4


def test_the_report_names_each_joints_bone_confidence_and_twist_bones():
    rig = fbx_like(build_rig("ue5", frame="ue", units=100.0))
    plan = make_plan(rig)
    rows = {line.split()[0]: line for line in plan.report("root motion on the pelvis bone "
                                                          "'pelvis'").splitlines()[1:]}
    assert rows["left_shoulder"].split()[1:4] == ["->", "upperarm_l", "1.00"]
    assert "twist: upperarm_twist_01_l (0.30), upperarm_twist_02_l (0.75)" in rows["left_shoulder"]
    assert "twist: lowerarm_twist_02_l (0.45), lowerarm_twist_01_l (0.80)" in rows["left_elbow"]
    assert "twist: calf_twist_02_r (0.45), calf_twist_01_r (0.80)" in rows["right_knee"]
    assert "with: spine_02" in rows["spine1"] and "with: neck_02" in rows["neck"]
    assert "twist" not in rows["left_wrist"] and "index_metacarpal_l" in rows["left_wrist"]
    assert rows["unmapped:"].endswith("jaw, left_eye_smplhf, right_eye_smplhf")
    assert rows["root"] == "root motion on the pelvis bone 'pelvis'"
    # Helper and IK bones never count as twist bones, even hanging under a limb.
    assert not {"ik_hand_l", "ik_foot_l"} & {rig.names[b] for s in plan.segments for b, _ in s.twist}
