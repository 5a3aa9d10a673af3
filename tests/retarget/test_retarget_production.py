"""Retargeting onto production-style rigs in Blender, checked without the retargeting maths.

The rigs of tests/support/retarget_scenes.py reproduce what breaks on real character rigs: an FBX imported
without bone orientation with twist bones inside the arms, a pelvis connected to a root bone
on the floor, a centimetre rig with two-bone fingers, a UE-style mannequin with twist bones
hanging under each limb, and a generated Rigify rig (keyed through its own controls). The real
take is retarget and keyed as a user's bake does (``blender.controls.retarget_onto``), Blender
evaluates every frame, and tests/support/retarget_checks.py measures the bones' heads and tails against
the SMPL-X joints: elbow flexion, shoulder elevation, head and chest pitch within 5 degrees,
root travel within 10 %, no foot more than 2 cm under the floor, planted feet holding still.
Whole-take figures: benchmarks/bench_retarget.py.
"""

import numpy as np
import pytest
from support.retarget_checks import compare, foot_slide, measures, planted_runs, rig_track, smplx_tracks
from support.retarget_scenes import PRODUCTION, build_production_rigs, posed_points, rest_points

from talkrig.motion.retarget import auto_map

pytestmark = [pytest.mark.blender, pytest.mark.slow]

CLIP = slice(0, 240)  # 8 s of the take: the actor steps, turns and gestures
RIGS = list(PRODUCTION) + ["rigify"]


@pytest.fixture(scope="module")
def baked(bpy, scott_motion, rigify_blend, tmp_path_factory):
    """Every rig with the clip keyed on it, and Blender's evaluation of every frame."""
    from talkrig.blender.controls import retarget_onto
    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    rigs = build_production_rigs(bpy, tmp_path_factory.mktemp("rigs"), rigify_blend)
    motion = scott_motion[CLIP]
    out = {"rigs": rigs, "channels": {}, "targets": {}, "actions": {}}
    for name, (obj, _) in rigs.items():
        rig = read_rig(obj)
        channels, target = retarget_onto(obj, motion, auto_map(rig), rig)
        out["channels"][name], out["targets"][name] = channels, target
        out["actions"][name] = write_action(obj, channels, f"take {name}", mode="nla",
                                            mute_constraints=target.mode == "deform")
    frames = list(range(1, motion.n_frames + 1))
    out["posed"] = posed_points(bpy, {name: obj for name, (obj, _) in rigs.items()}, frames)
    out["motion"] = motion
    return out


def fcurve_paths(action):
    return {fc.data_path for fc in action.layers[0].strips[0].channelbag(action.slots[0]).fcurves}


@pytest.fixture(scope="module")
def checked(baked):
    """{rig: (rig measures, SMPL-X measures, rig track, SMPL-X track)}."""
    out = {}
    for name, (obj, anatomy) in baked["rigs"].items():
        names = [pb.name for pb in obj.pose.bones]
        heads, tails, _ = baked["posed"][name]
        rest_heads, rest_tails, _ = rest_points(obj)
        rig_rest = rig_track(rest_heads, rest_tails, names, anatomy)
        track = rig_track(heads, tails, names, anatomy)
        truth_track, truth_rest = smplx_tracks(baked["motion"], rig_rest)
        out[name] = (measures(track, rig_rest), measures(truth_track, truth_rest), track,
                     truth_track)
    return out


@pytest.mark.parametrize("name", RIGS)
def test_arms_head_and_chest_follow_the_actor_within_5_degrees(checked, name):
    got, truth, _, _ = checked[name]
    result = compare(got, truth)
    for key in ("elbow_flexion", "shoulder_elevation", "head_pitch", "chest_pitch"):
        assert result[key][0] < 5.0, f"{name} {key}: {result[key][0]:.1f} degrees off"


@pytest.mark.parametrize("name", RIGS)
def test_the_body_travels_as_far_as_the_actor(checked, name):
    got, truth, _, _ = checked[name]
    assert truth["travel"].max() > 0.3  # the actor does move (in hip heights)
    assert got["travel"].max() == pytest.approx(truth["travel"].max(), rel=0.1)


@pytest.mark.parametrize("name", RIGS)
def test_feet_stay_on_the_floor_and_planted_feet_stay_put(checked, baked, name):
    got, truth, track, truth_track = checked[name]
    assert got["foot_height"].min() > -0.02  # world metres, whatever the object's scale
    runs = planted_runs(truth_track, baked["motion"].fps)
    assert len(runs) >= 3
    slide = foot_slide(track, runs, got["hip_height"]) * truth["hip_height"]  # actor's metres
    assert slide < 0.01, f"{name}: a planted foot slides {100 * slide:.1f} cm"


def test_twist_bones_are_keyed_and_named_in_the_bone_map_report(baked):
    for name, twist in (("fbx_twist", "UpperArmTwist.L"), ("ue_mannequin", "upperarm_twist_01_l")):
        plan = baked["targets"][name].plan
        line = next(row for row in plan.report().splitlines() if "left_shoulder" in row)
        assert "twist: " + twist in line
        assert float(line.split()[3]) >= 0.9, line  # the bone's confidence
        assert twist in baked["channels"][name].bone_names


def test_a_connected_pelvis_moves_by_its_root_bone(baked):
    channels = baked["channels"]["connected"]
    assert channels.location_bones == ("root",)
    assert "root" in channels.root_note and "connected" in channels.root_note
    paths = fcurve_paths(baked["actions"]["connected"])
    assert 'pose.bones["root"].location' in paths
    assert 'pose.bones["pelvis"].location' not in paths


def test_rigify_is_keyed_through_its_controls_in_fk(baked):
    target, obj = baked["targets"]["rigify"], baked["rigs"]["rigify"][0]
    assert target.mode == "controls"
    paths = fcurve_paths(baked["actions"]["rigify"])
    for control in ("upper_arm_fk.L", "forearm_fk.R", "thigh_fk.L", "chest", "head",
                    "f_index.02.L"):
        assert any(p.startswith(f'pose.bones["{control}"].rotation') for p in paths), control
    assert 'pose.bones["torso"].location' in paths  # the whole body travels
    assert 'pose.bones["upper_arm_parent.L"]["IK_FK"]' in paths
    assert not any("DEF-" in p for p in paths)  # the deform bones follow the rig as built
    assert obj.pose.bones["DEF-upper_arm.L"].constraints["Copy Transforms"].influence == 1.0


def test_helper_twist_ik_and_root_bones_are_never_mapped(baked):
    for name in PRODUCTION:
        mapped = baked["targets"][name].plan.bone_map.bones.values()
        wrong = [b for b in mapped
                 if any(w in b.lower() for w in ("helper", "corrective", "twist", "ik_", "root"))]
        assert not wrong, (name, wrong)


def test_a_rig_already_animated_is_measured_without_its_animation(baked, bpy):
    """The rig's existing takes and active action must not leak into how its controls are
    read or where its hips are measured."""
    from talkrig.blender.controls import retarget_target
    from talkrig.blender.evaluated import evaluated_heads
    from talkrig.blender.rig_io import read_rig
    from talkrig.motion.retarget import RigMotion

    obj = baked["rigs"]["rigify"][0]
    rig = read_rig(obj)
    channels = baked["channels"]["rigify"]
    short = RigMotion(channels.bone_names, channels.rotations[:20], channels.location_bones,
                      channels.locations[:20], fps=channels.fps, switches=channels.switches)
    hips = ["thigh_fk.L", "thigh_fk.R"]
    plain = evaluated_heads(obj, short, hips)
    users = bpy.data.actions.new("user's pose")
    anim = obj.animation_data
    anim.action = users
    for bone in ("torso", "hips", "chest", "shoulder.L", "upper_arm_fk.L", "forearm_fk.L"):
        obj.pose.bones[bone].keyframe_insert("rotation_quaternion", frame=1)  # held at rest
    try:
        target = retarget_target(obj, rig, auto_map(rig))
        animated = evaluated_heads(obj, short, hips)
    finally:
        anim.action = None
    first = baked["targets"]["rigify"].plan.rig
    assert target.plan.rig.names == first.names
    np.testing.assert_array_equal(target.plan.rig.parents, first.parents)
    np.testing.assert_allclose(animated, plain, atol=1e-6)
    assert len(anim.nla_tracks) == 1 and users.name in bpy.data.actions  # nothing lost
