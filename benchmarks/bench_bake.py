"""Bake speed: 60 s of motion (1800 frames at 30 fps) keyed onto the CC0 avatar, bulk
``foreach_set`` (blender.keyframes.write_action) against a naive ``keyframe_insert`` loop on the
same retargeted channels. Prints medians over repeated runs and their ratio. Then the whole
keying (``blender.take.key_take``: retarget, keys, shape keys) of the same motion onto Blender's
human metarig (Rigify), whose shoulder, palm, breast and pelvis bones turn in Euler YXZ: each such
bone's curve is converted to Euler and made continuous (motion/rotations.py, euler_continuity).

``--rigify``: what the add-on's bake of 68 s at 24 fps (1632 frames) costs on a rig Rigify
generated, keyed through its controls with the feet planted (the defaults), with the avatar's
body bound to it (a user's scene): the whole ``key_take`` and, of it, the measuring of where the
rig's own mechanics put its hips (blender/evaluated.py), frame by frame.

    .venv/bin/python benchmarks/bench_bake.py [--repeats N] [--naive-repeats N (0: leave it out)]
    .venv/bin/python benchmarks/bench_bake.py --rigify [--repeats N]
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AVATAR = ROOT.parent / "shared" / "data" / "avatar_cc0" / "male_base_mesh.glb"
TAKE = ROOT.parent / "shared" / "data" / "beat2_scott_train" / "2_scott_0_1_1.npz"
FRAMES = 1800


def naive_bake(bpy, obj, channels):
    """One keyframe_insert per bone channel per frame, the way a simple script would do it."""
    anim = obj.animation_data or obj.animation_data_create()
    anim.action = bpy.data.actions.new("naive")
    bones = [obj.pose.bones[b] for b in channels.bone_names]
    root = obj.pose.bones[channels.location_bones[0]]
    for t in range(channels.n_frames):
        frame = 1 + t
        for k, pb in enumerate(bones):
            pb.rotation_quaternion = channels.rotations[t, k]
            pb.keyframe_insert("rotation_quaternion", frame=frame, group=pb.name)
        root.location = channels.locations[t, 0]
        root.keyframe_insert("location", frame=frame, group=root.name)
    return anim.action


def clear(bpy, obj):
    anim = obj.animation_data
    if anim is not None:
        anim.action = None
        for track in list(anim.nla_tracks):
            anim.nla_tracks.remove(track)
    for action in list(bpy.data.actions):
        bpy.data.actions.remove(action)


def looped(take, frames):
    """The first ``frames`` frames of ``take`` played over and over."""
    from talkrig.motion import Motion

    reps = -(-frames // take.n_frames)
    return Motion(poses=np.concatenate([take.poses] * reps)[:frames],
                  trans=np.concatenate([take.trans] * reps)[:frames], fps=take.fps)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--naive-repeats", type=int, default=3)
    parser.add_argument("--rigify", action="store_true",
                        help="only the bake of 68 s onto a generated Rigify rig with a body bound")
    args = parser.parse_args()

    import bpy

    if args.rigify:
        return rigify_keying(bpy, args.repeats)

    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig
    from talkrig.motion import load_motion
    from talkrig.motion.retarget import auto_map, make_plan, retarget

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    before = set(bpy.data.objects)
    bpy.ops.import_scene.gltf(filepath=str(AVATAR))
    obj = next(o for o in bpy.data.objects if o not in before and o.type == "ARMATURE")

    motion = looped(load_motion(TAKE), FRAMES)
    rig = read_rig(obj)
    plan = make_plan(rig, auto_map(rig))

    retarget_times = []
    for _ in range(args.repeats):
        seconds, channels = timed(lambda: retarget(motion, rig, plan=plan))
        retarget_times.append(seconds)
    n_keys = channels.n_frames * (4 * len(channels.bone_names) + 3 * len(channels.location_bones))

    fast = []
    for _ in range(args.repeats):
        clear(bpy, obj)
        seconds, _ = timed(lambda: write_action(obj, channels, "bench", mode="assign"))
        fast.append(seconds)
    naive = []
    for _ in range(args.naive_repeats):
        clear(bpy, obj)
        seconds, _ = timed(lambda: naive_bake(bpy, obj, channels))
        naive.append(seconds)

    med_fast = statistics.median(fast)
    print(f"bake {FRAMES} frames x {len(channels.bone_names)} bones onto the avatar "
          f"({n_keys} keys)")
    print(f"  retarget (numpy)          median {statistics.median(retarget_times) * 1e3:8.1f} ms"
          f"  over {args.repeats} runs")
    print(f"  write_action foreach_set  median {med_fast * 1e3:8.1f} ms  over {args.repeats} runs")
    if naive:  # --naive-repeats 0 leaves the slow loop out
        med_naive = statistics.median(naive)
        print(f"  keyframe_insert loop      median {med_naive * 1e3:8.1f} ms  over {args.naive_repeats} runs")
        print(f"  speed-up                  {med_naive / med_fast:8.1f}x")
    metarig_keying(bpy, motion, args.repeats)


def metarig_keying(bpy, motion, repeats):
    """Median time of key_take onto a fresh human metarig (its Euler bones included)."""
    import addon_utils

    from talkrig.blender.take import key_take
    from talkrig.motion.retarget import auto_map

    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon_utils.enable("rigify", default_set=True)
    scene = bpy.context.scene
    scene.render.fps = 30
    bpy.ops.object.armature_human_metarig_add()
    obj = bpy.context.object
    euler = sum(pb.rotation_mode not in ("QUATERNION", "AXIS_ANGLE") for pb in obj.pose.bones)
    times = []
    for k in range(repeats):
        seconds, _ = timed(lambda: key_take(scene, obj, motion, auto_map, f"bench {k}", 1, "nla", 30.0))
        times.append(seconds)
    print(f"key_take {motion.n_frames} frames onto the human metarig ({euler} of its "
          f"{len(obj.pose.bones)} bones in Euler): median {statistics.median(times) * 1e3:.1f} ms "
          f"over {repeats} runs")


def rigify_keying(bpy, repeats):
    """Median time of key_take of 68 s at 24 fps onto a generated Rigify rig (through its
    controls, feet planted) with the avatar's body bound to it, and of its hips' measuring."""
    import sys
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from support.retarget_scenes import rigify_with_body

    import talkrig.blender.controls as controls
    from talkrig.blender.take import key_take
    from talkrig.motion import load_motion
    from talkrig.motion.resample import resample
    from talkrig.motion.retarget import auto_map

    rig, body = rigify_with_body(bpy, AVATAR, Path(tempfile.mkdtemp(prefix="talkrig-bench-bake-")) / "rigify.blend")
    scene = bpy.context.scene
    scene.render.fps = 24

    take = load_motion(TAKE)
    motion = resample(looped(take, int(68 * take.fps)), 24.0)
    measured = []
    original = controls.evaluated_heads

    def timed_heads(*args, **kwargs):
        seconds, heads = timed(lambda: original(*args, **kwargs))
        measured.append(seconds)
        return heads

    controls.evaluated_heads = timed_heads
    times = []
    try:
        for k in range(repeats):
            seconds, _ = timed(lambda: key_take(scene, rig, motion, auto_map, f"bench {k}", 1,
                                                "nla", 24.0))
            times.append(seconds)
    finally:
        controls.evaluated_heads = original
    print(f"key_take {motion.n_frames} frames onto a generated Rigify rig ({len(rig.pose.bones)} "
          f"bones) through its controls, feet planted, the avatar's body ({len(body.data.vertices)} "
          f"vertices) bound: median {statistics.median(times) * 1e3:.1f} ms, of it the hips' "
          f"measuring {statistics.median(measured) * 1e3:.1f} ms, over {repeats} runs")


if __name__ == "__main__":
    main()
