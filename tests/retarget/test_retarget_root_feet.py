"""Root motion on rigs whose pelvis cannot move, and feet planted on rigs of other proportions.

numpy only: the posed rig is evaluated with Blender's pose formula (tests/retarget/test_retarget_transfer)
and measured from bone heads and tails; planted frames come from the actor's own ankles
(tests/support/retarget_checks.py), not from the retargeting code.
"""

import numpy as np
import pytest
from support.retarget_checks import planted_runs
from support.retarget_rigs import build_rig, rig_data
from test_retarget_transfer import UNPLANTED, pose_rig

from talkrig.motion.retarget import RetargetError, RetargetSettings, Rig, make_plan, retarget
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton

SIDES = ("left", "right")


@pytest.fixture(scope="module")
def clip(scott_motion):
    return scott_motion[:450]  # 15 s at 30 fps: the actor steps, shifts weight, bends


def rig_from(data, name):
    return Rig.from_bones(data["names"], data["parents"], data["heads"], data["tails"],
                          data["rolls"], name=name, connected=data["connected"])


def hips_path(plan, motion):
    """Where the middle of the rig's hip joints should go: SMPL-X's, scaled, from rest."""
    hips = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)[1][:, [1, 2]].mean(1)
    return plan.anchor + plan.scale * (hips - hips[:1]) @ plan.frame.T


def hips_of(plan, heads):
    legs = [plan.joint_bone[1], plan.joint_bone[2]]
    return heads[:, legs].mean(axis=1)


def test_a_connected_pelvis_travels_by_the_root_bone_above_it(clip):
    rig = rig_from(rig_data("smplx", extras=False, root="connected"), "glued")
    plan = make_plan(rig)
    assert rig.connected[plan.root_bone] and rig.names[rig.parents[plan.root_bone]] == "root"
    channels = retarget(clip, rig, plan=plan, settings=UNPLANTED)
    assert channels.location_bones == ("root",)  # Blender ignores a connected bone's location
    assert "'root'" in channels.root_note and "connected" in channels.root_note
    _, heads = pose_rig(rig, channels)
    np.testing.assert_allclose(hips_of(plan, heads), hips_path(plan, clip), atol=1e-9)
    with pytest.raises(RetargetError, match="connected to 'root'.*'auto', 'root' or 'object'"):
        retarget(clip[:2], rig, plan=plan, settings=RetargetSettings(root_target="pelvis"))


@pytest.mark.parametrize("target", ["root", "object", "auto"])
def test_root_motion_goes_where_asked_and_the_body_still_follows_the_actor(clip, target):
    rig = rig_from(rig_data("ue5", frame="ue", units=100.0), "ue")  # root bone on the floor
    plan = make_plan(rig)
    up = plan.frame[:, 1]
    channels = retarget(clip, rig, plan=plan,
                        settings=RetargetSettings(root_target=target, plant_feet=False))
    _, heads = pose_rig(rig, channels)
    moved = channels.object_offsets if target == "object" else 0.0
    np.testing.assert_allclose(hips_of(plan, heads) + moved, hips_path(plan, clip), atol=1e-6)
    root = rig.index("root")
    travel = heads[:, root] - rig.heads[root]
    if target == "auto":
        assert channels.location_bones[0] == "pelvis" and "root" not in channels.location_bones
        assert channels.object_offsets is None
    elif target == "root":  # along the floor on the root bone, up and down on the pelvis
        assert channels.location_bones[:2] == ("root", "pelvis")
        np.testing.assert_allclose(travel @ up, 0.0, atol=1e-9)
        assert np.abs(travel).max() > 10.0  # centimetres: the actor walks about
    else:
        np.testing.assert_allclose(channels.object_offsets @ up, 0.0, atol=1e-9)
        np.testing.assert_allclose(travel, 0.0, atol=1e-9)
    assert (target if target != "auto" else "pelvis") in channels.root_note


def test_root_targets_say_what_is_wrong(clip):
    rig = rig_from(rig_data("smplx", extras=False), "rootless")
    with pytest.raises(RetargetError, match="no bone above its pelvis"):
        retarget(clip[:2], rig, settings=RetargetSettings(root_target="root"))
    with pytest.raises(RetargetError, match="root_target must be one of"):
        retarget(clip[:2], rig, settings=RetargetSettings(root_target="hips"))


def foot_points(rig, heads, posed, side):
    """(T, n, 3) heads and tails of the foot bones (ankle, toes) of one side."""
    bones = [rig.index(f"{side}_{j}") for j in ("ankle", "foot") if f"{side}_{j}" in rig]
    tails = heads[:, bones] + posed[:, bones][..., 1] * rig.lengths[bones][None, :, None]
    return np.concatenate([heads[:, bones], tails], axis=1)


PROPORTIONS = {
    "long shins": dict(proportions={"thigh": 0.9, "shin": 1.15}),
    "short legs, no toes": dict(proportions={"thigh": 0.88, "shin": 0.9}, toes=False),
}


@pytest.mark.parametrize("body", list(PROPORTIONS))
def test_planted_feet_stay_put_on_the_floor_on_other_proportions(clip, body):
    rig = rig_from(rig_data("smplx", extras=False, **PROPORTIONS[body]), body)
    plan = make_plan(rig)
    up = plan.frame[:, 1]
    sk = neutral_skeleton()
    _, x = sk.forward_kinematics(clip.poses, clip.trans)
    track = type("Track", (), {"feet": [x[:, [7, 10]], x[:, [8, 11]]], "up": np.array([0, 1.0, 0])})
    runs = planted_runs(track, clip.fps)
    assert len(runs) >= 4
    results = {}
    for plant in (False, True):
        settings = RetargetSettings(plant_feet=plant)
        posed, heads = pose_rig(rig, retarget(clip, rig, plan=plan, settings=settings))
        drift, lowest = 0.0, np.inf
        for k, side in enumerate(("left", "right")):
            ankle = heads[:, rig.index(f"{side}_ankle")]
            for s, a, b in runs:
                if s == k:
                    flat = ankle[a:b + 1] - ankle[a]
                    flat -= np.outer(flat @ up, up)
                    drift = max(drift, np.linalg.norm(flat, axis=-1).max())
            rest = foot_points(rig, rig.heads[None], rig.matrices[None], side) @ up
            lowest = min(lowest, (foot_points(rig, heads, posed, side) @ up).min() - rest.min())
        # Legs keep their length: the solved knee stays a thigh's length from the hip.
        for side in ("left", "right"):
            hip, knee = (heads[:, rig.index(f"{side}_{j}")] for j in ("hip", "knee"))
            rest = rig.heads[[rig.index(f"{side}_{j}") for j in ("hip", "knee")]]
            length = np.linalg.norm(rest[1] - rest[0])
            np.testing.assert_allclose(np.linalg.norm(knee - hip, axis=-1), length, atol=1e-9)
        results[plant] = (drift / plan.scale, lowest / plan.scale)  # metres of the actor
    drift, lowest = results[True]
    assert drift < 0.01 and lowest > -0.002
    assert results[False][0] > 0.02  # copied rotations alone let the foot slide


def test_contacts_given_with_the_motion_decide_what_is_planted(clip):
    rig = rig_from(rig_data("smplx", extras=False, proportions={"shin": 1.15}), "tall")
    plan = make_plan(rig)
    free = clip.copy()
    free.contacts = np.zeros((clip.n_frames, 2), np.float32)
    _, fk = pose_rig(rig, retarget(clip, rig, plan=plan, settings=UNPLANTED))
    _, unplanted = pose_rig(rig, retarget(free, rig, plan=plan))
    _, planted = pose_rig(rig, retarget(clip, rig, plan=plan))
    ankle = rig.index("left_ankle")
    up = plan.frame[:, 1]
    flat = np.eye(3) - np.outer(up, up)
    # Nothing planted: feet only lifted out of the floor, never held in place.
    np.testing.assert_allclose(unplanted[:, ankle] @ flat, fk[:, ankle] @ flat, atol=1e-6)
    assert np.abs((planted[:, ankle] - fk[:, ankle]) @ flat).max() > 0.01  # held in place


def lift_left_foot(motion, frames, angle=0.54):
    """A copy with the left ankle raised (about 4 cm at ``angle`` rad) over ``frames`` (T,)
    weights 0..1: the knee bends, hip and ankle turn back so the thigh and sole keep their
    direction."""
    from talkrig.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle

    out = motion.copy()
    poses = out.poses.reshape(len(out.poses), -1, 3).astype(np.float64)
    for joint, share, before in (("left_hip", -0.5, False), ("left_knee", 1.0, True),
                                 ("left_ankle", -0.5, True)):
        turn = axis_angle_to_matrix(np.outer(share * angle * frames, [1.0, 0.0, 0.0]))
        j = JOINT_INDEX[joint]
        mat = axis_angle_to_matrix(poses[:, j])
        poses[:, j] = matrix_to_axis_angle(turn @ mat if before else mat @ turn)
    out.poses = poses.reshape(out.poses.shape).astype(np.float32)
    return out


def sole_heights(motion, body="tall"):
    """(2, T) lowest point of each foot of a rig over the floor it stands on at rest, in metres
    of the actor, after retargeting with planted feet."""
    rig = rig_from(rig_data("smplx", extras=False, proportions={"shin": 1.1}), body)
    plan = make_plan(rig)
    up = plan.frame[:, 1]
    posed, heads = pose_rig(rig, retarget(motion, rig, plan=plan))
    rest = [(foot_points(rig, rig.heads[None], rig.matrices[None], s) @ up).min() for s in SIDES]
    return np.array([((foot_points(rig, heads, posed, s) @ up).min(axis=1) - r) / plan.scale
                     for s, r in zip(SIDES, rest)])


def ankle_rise(before, after):
    """(T,) how much higher the left ankle of ``after`` is than that of ``before``, metres."""
    sk = neutral_skeleton()
    ankle = JOINT_INDEX["left_ankle"]
    return (sk.forward_kinematics(after.poses, after.trans)[1][:, ankle, 1]
            - sk.forward_kinematics(before.poses, before.trans)[1][:, ankle, 1])


def test_a_foot_held_up_for_seconds_stands_on_the_one_floor(clip):
    """Standing still, the left foot rises 4 cm and stays there for 5 s: it stands on the
    floor with the other foot (as the generation's feet stage puts it), not in the air."""
    still = clip[:240].copy()
    still.poses = np.zeros_like(still.poses)
    still.trans = np.tile(clip.trans[:1], (240, 1)).astype(np.float32)
    still.trans[:, 0] += 0.01 * np.sin(np.linspace(0.0, 4 * np.pi, 240)).astype(np.float32)
    still.contacts = None
    held = np.interp(np.arange(240), [50, 60, 210, 220], [0.0, 1.0, 1.0, 0.0])
    lifted = lift_left_foot(still, held)
    assert ankle_rise(still, lifted)[60:210] == pytest.approx(0.04, abs=0.003)
    left, right = sole_heights(lifted)
    assert np.abs(right).max() < 0.002
    assert np.abs(left[80:190]).max() < 0.005  # one floor; the foot's own lowest said 4 cm up


def test_a_real_take_with_one_foot_held_higher_is_planted_on_one_floor(clip):
    lifted = lift_left_foot(clip, np.ones(clip.n_frames))
    assert np.median(ankle_rise(clip, lifted)) == pytest.approx(0.04, abs=0.005)
    for motion in (clip, lifted):
        left, right = sole_heights(motion)
        # each foot rests on the floor most of the take: measured against its own lowest point,
        # the raised left foot stood a median 5 cm up and the real right foot 3 cm
        assert np.median(left) < 0.005 and np.median(right) < 0.005
        assert min(np.mean(left < 0.01), np.mean(right < 0.01)) > 0.5


def test_steps_stay_steps(clip):
    """Every step the actor takes (a planted foot moving 15 cm or more to its next plant) moves
    the rig's foot as far, lifting it on the way."""
    rig = rig_from(rig_data("smplx", extras=False, proportions={"shin": 1.1}), "tall")
    plan = make_plan(rig)
    up = plan.frame[:, 1]
    _, x = neutral_skeleton().forward_kinematics(clip.poses, clip.trans)
    track = type("Track", (), {"feet": [x[:, [7, 10]], x[:, [8, 11]]], "up": np.array([0, 1.0, 0])})
    runs = sorted(planted_runs(track, clip.fps))
    _, heads = pose_rig(rig, retarget(clip, rig, plan=plan))
    steps = 0
    for (side, _, lift), (other, land, _) in zip(runs, runs[1:]):
        actor = x[:, JOINT_INDEX[f"{SIDES[side]}_ankle"]]
        moved = np.linalg.norm((actor[land] - actor[lift])[[0, 2]])
        if side != other or moved < 0.15:
            continue
        steps += 1
        ankle = heads[:, rig.index(f"{SIDES[side]}_ankle")] / plan.scale
        travel = ankle[land] - ankle[lift]
        assert abs(np.linalg.norm(travel - (travel @ up) * up) - moved) < 0.05
        rise = (ankle[lift:land + 1] - rig.heads[rig.index(f"{SIDES[side]}_ankle")] / plan.scale) @ up
        assert rise.max() > 0.03
    assert steps >= 5
