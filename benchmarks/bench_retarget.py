"""Retargeting quality on production-style rigs, checked without the retargeting maths.

    .venv/bin/python benchmarks/bench_retarget.py [--frames N] [--rigs fbx_twist,rigify]

Builds the test rigs of ``tests/support/retarget_scenes.py`` (an FBX imported without bone
orientation with twist bones, a connected pelvis under a floor root, a centimetre rig, a UE-style
mannequin, a generated Rigify rig) plus the CC0 avatar, retargets the real take onto each with
the automatic bone map, keys it, lets Blender evaluate every frame, and measures from bone
head/tail positions (``tests/support/retarget_checks.py``): elbow flexion, shoulder elevation and head
pitch against the SMPL-X joints (worst and median degrees off), root travel in hip heights
against the actor's, the lowest foot point against the floor, foot sliding while the actor's
foot is planted, and the largest limb roll.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
DATA = ROOT.parent / "shared" / "data"
TAKE = DATA / "beat2_scott_train" / "2_scott_0_1_1.npz"
AVATAR = DATA / "avatar_cc0" / "male_base_mesh.glb"


def build(bpy, workdir, only=None):
    """{name: (armature object, Anatomy)} of every test rig and the CC0 avatar."""
    from support.retarget_checks import Anatomy
    from support.retarget_scenes import anatomy_of, append_objects, build_production_rigs, save_rigify

    bpy.ops.wm.read_factory_settings(use_empty=True)
    blend = save_rigify(bpy, workdir / "rigify.blend")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    before = set(bpy.data.objects)
    bpy.ops.import_scene.gltf(filepath=str(AVATAR))
    avatar = next(o for o in bpy.data.objects if o not in before and o.type == "ARMATURE")
    rigs = {"avatar": (avatar, Anatomy("spine", "spine.003", "spine.005",
                                       ("shoulder.L", "shoulder.R"), ("upper_arm.L", "upper_arm.R"),
                                       ("forearm.L", "forearm.R"), ("hand.L", "hand.R"),
                                       ("thigh.L", "thigh.R"),
                                       (("foot.L", "toe.L", "heel.02.L"),
                                        ("foot.R", "toe.R", "heel.02.R"))))}
    rigs.update(build_production_rigs(bpy, workdir, blend))
    deform = append_objects(bpy, blend, ["rig"])["rig"]
    deform.name = "rigify_deform"
    rigs["rigify_deform"] = (deform, anatomy_of("rigify"))
    return {k: v for k, v in rigs.items() if not only or k in only}


def joint_rolls(rest_rots, rots, names, anatomy, rest_heads):
    """(largest |twist|, largest span of twist over the take), degrees, at the elbows and
    wrists: of the forearm against the bone just above it along the arm (the upper arm or the
    twist bone nearest the elbow), and of the hand against the bone just above it (the forearm
    or the twist bone nearest the wrist), about the forearm's line."""
    from support.retarget_checks import twist_angles

    k = {n: i for i, n in enumerate(names)}
    worst = span = 0.0
    for side in (0, 1):
        shoulder, elbow, wrist = (k[b[side]] for b in (anatomy.upper_arm, anatomy.forearm,
                                                       anatomy.hand))
        axis = rest_heads[wrist] - rest_heads[elbow]
        along = {k[b]: float((rest_heads[k[b]] - rest_heads[shoulder])
                             @ (rest_heads[wrist] - rest_heads[shoulder]))
                 for b in anatomy.arm(side)}
        chain = sorted(along, key=along.get)  # shoulder to wrist, twist bones in their places
        for joint in (elbow, wrist):
            above = chain[chain.index(joint) - 1]
            delta = [rots[:, i] @ rest_rots[i].T for i in (above, joint)]
            twist = twist_angles(*delta, axis)
            worst, span = max(worst, float(np.abs(twist).max())), max(span, float(np.ptp(twist)))
    return worst, span


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=0, help="first N frames only (0: all)")
    parser.add_argument("--rigs", default="", help="comma-separated rig names (default: all)")
    args = parser.parse_args()

    import bpy

    from support.retarget_checks import compare, foot_slide, measures, planted_runs, rig_track, smplx_tracks
    from support.retarget_scenes import posed_points, rest_points

    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig
    from talkrig.motion import load_motion
    from talkrig.motion.retarget import RetargetSettings, auto_map

    try:  # a user's bake: keys on a constrained rig's controls when a preset fits
        from talkrig.blender.controls import retarget_onto
    except ImportError:  # older versions key the deform bones only
        from talkrig.motion.retarget import retarget

        def retarget_onto(obj, motion, bone_map, rig, settings=None):
            return retarget(motion, rig, bone_map), None

    motion = load_motion(TAKE)
    if args.frames:
        motion = motion[: args.frames]
    frames = list(range(1, motion.n_frames + 1))
    workdir = Path(tempfile.mkdtemp(prefix="talkrig-bench-retarget-"))
    rigs = build(bpy, workdir, [r for r in args.rigs.split(",") if r])
    print(f"take {TAKE.name}: {motion.n_frames} frames; {time.strftime('%Y-%m-%d')}")
    print("rigify: keyed through its FK controls; rigify_deform: its DEF bones keyed directly")
    header = (f"{'rig':<13} {'elbow':>11} {'elevation':>11} {'head pitch':>11} {'chest':>11} "
              f"{'travel rig/actor':>17} {'lowest foot':>11} {'slide rig/actor':>15} {'roll/span':>9} {'s':>5}")
    print(header)
    for name, (obj, anatomy) in rigs.items():
        start = time.perf_counter()
        rig = read_rig(obj)
        settings = RetargetSettings(constrained="deform" if name == "rigify_deform" else "auto")
        channels, target = retarget_onto(obj, motion, auto_map(rig), rig, settings)
        write_action(obj, channels, f"bench {name}", mode="assign",
                     mute_constraints=target is None or target.mode == "deform")
        names = [pb.name for pb in obj.pose.bones]
        heads, tails, rots = posed_points(bpy, {name: obj}, frames)[name]
        rest_heads, rest_tails, rest_rots = rest_points(obj)
        rig_rest = rig_track(rest_heads, rest_tails, names, anatomy)
        track = rig_track(heads, tails, names, anatomy)
        got = measures(track, rig_rest)
        truth_track, truth_rest = smplx_tracks(motion, rig_rest)
        truth = measures(truth_track, truth_rest)
        result = compare(got, truth)
        runs = planted_runs(truth_track, motion.fps)
        slide = (100 * truth["hip_height"] * foot_slide(track, runs, got["hip_height"]),
                 100 * foot_slide(truth_track, runs, 1.0))
        local_heads = np.array([b.head_local for b in obj.data.bones])
        roll, span = joint_rolls(rest_rots, rots, names, anatomy, local_heads)
        cell = "{:5.1f}/{:4.1f}"
        print(f"{name:<13} {cell.format(*result['elbow_flexion']):>11} "
              f"{cell.format(*result['shoulder_elevation']):>11} "
              f"{cell.format(*result['head_pitch']):>11} "
              f"{cell.format(*result['chest_pitch']):>11} "
              f"{result['travel'][0]:8.3f}/{result['travel'][1]:.3f} "
              f"{100 * result['lowest_foot']:8.1f} cm {slide[0]:7.1f}/{slide[1]:4.1f} cm "
              f"{roll:4.0f}/{span:4.0f} {time.perf_counter() - start:5.1f}")
    print("angles: worst/median degrees off SMPL-X; travel: largest horizontal distance of the "
          "hips from the start, in hip heights; lowest foot: below (-) or above its rest floor; "
          "slide: largest ankle drift while the actor's foot is planted (actor's cm); roll/span: "
          "largest twist at an elbow or wrist and its largest range over the take (degrees); "
          "s: seconds (retarget, keys, evaluation)")


if __name__ == "__main__":
    main()
