"""Render the same frames of the real take on every test rig side by side (Workbench,
headless): the SMPL-X skeleton, the CC0 avatar and the production-style rigs of
``tests/support/retarget_scenes.py``, one row per frame, so a person can see they all do the same.

    .venv/bin/python benchmarks/render_retarget.py [--frames 300,780] [--output PATH]

Each rig is retargeted and keyed as a user's bake does (automatic bone map; a generated Rigify
rig through its FK controls), then drawn from Blender's evaluated bones: the avatar with its
mesh, the other rigs as sticks joining each bone's head to its parent's (so bones imported
without orientation draw right). Rigs that face +Y are turned to face the camera like the rest.
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
SPACING = 1.0  # metres between neighbouring rigs


def stick_mesh(bpy, name, segments, thin, color):
    """A mesh of square prisms, one per (a, b) segment in world space; ``thin`` segments (a
    set of indices) are drawn thinner (fingers)."""
    verts, faces = [], []
    for k, (a, b) in enumerate(segments):
        axis = b - a
        length = np.linalg.norm(axis)
        if length < 1e-6:
            continue
        axis /= length
        helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        u = np.cross(axis, helper)
        u /= np.linalg.norm(u)
        v = np.cross(axis, u)
        r = 0.004 if k in thin else 0.011
        base = len(verts)
        for end in (a, b):
            for du, dv in ((1, 1), (-1, 1), (-1, -1), (1, -1)):
                verts.append(tuple(end + r * (du * u + dv * v)))
        for i in range(4):
            j = (i + 1) % 4
            faces.append((base + i, base + j, base + 4 + j, base + 4 + i))
        faces.append((base + 3, base + 2, base + 1, base))
        faces.append((base + 4, base + 5, base + 6, base + 7))
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(verts, [], faces)
    obj = bpy.data.objects.get(name)
    if obj is None:
        obj = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(obj)
    else:
        old = obj.data
        obj.data = mesh
        bpy.data.meshes.remove(old)
    obj.color = color
    return obj


def label(bpy, name, text, location, size=0.07):
    curve = bpy.data.curves.new(name, type="FONT")
    curve.body = text
    curve.size = size
    curve.align_x = "CENTER"
    obj = bpy.data.objects.get(name) or bpy.data.objects.new(name, curve)
    if obj.name not in bpy.context.scene.collection.objects:
        bpy.context.scene.collection.objects.link(obj)
    obj.data = curve
    obj.location = location
    obj.rotation_euler = (np.pi / 2, 0.0, 0.0)  # upright, read from -Y
    obj.color = (0.1, 0.1, 0.1, 1.0)
    return obj


def face_camera(obj, forward, x, anatomy):
    """Turn the armature object about the vertical so the rig faces -Y (the camera), put it at
    ``x`` and stand its rest feet on the ground (z = 0: some files keep the armature object
    below or above the origin). forward : the rig's facing in armature axes; anatomy : its
    ``retarget_checks.Anatomy`` (which bones are the feet)."""
    import bpy
    from mathutils import Matrix

    bpy.context.view_layer.update()  # a new object's matrix_world lacks its scale until then
    world = np.array(obj.matrix_world)
    facing = world[:3, :3] @ forward
    yaw = np.arctan2(-1.0, 0.0) - np.arctan2(facing[1], facing[0])
    obj.matrix_world = Matrix.Rotation(yaw, 4, "Z") @ obj.matrix_world
    world = np.array(obj.matrix_world)
    feet = [obj.data.bones[n] for side in anatomy.feet for n in side]
    rest = np.array([b.head_local for b in feet]
                    + ([b.tail_local for b in feet] if anatomy.foot_tails else []))
    obj.location.x += x
    obj.location.z -= float(np.min(rest @ world[2, :3] + world[2, 3]))


def skeleton_lines(obj, rig, parents, bones):
    """[(a, b)] world segments from each listed bone's (effective) parent head to its head,
    and to the tip of bones nothing hangs from."""
    world = np.array(obj.matrix_world)
    heads = np.array([obj.pose.bones[n].head for n in rig.names]) @ world[:3, :3].T + world[:3, 3]
    tails = np.array([obj.pose.bones[n].tail for n in rig.names]) @ world[:3, :3].T + world[:3, 3]
    keep = set(bones)
    lines = [(heads[parents[b]], heads[b]) for b in bones if parents[b] in keep]
    leaves = [b for b in bones if not any(parents[c] == b for c in bones)]
    scale = np.linalg.norm(world[:3, 0])
    lines += [(heads[b], tails[b]) for b in leaves if rig.lengths[b] * scale < 0.25]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="300,780", help="take frames to render, comma separated")
    parser.add_argument("--output", default=str(ROOT / "out" / "retarget_rigs.png"))
    parser.add_argument("--height", type=int, default=560, help="pixels per row")
    parser.add_argument("--rigs", default="", help="comma-separated rig names (default: all)")
    args = parser.parse_args()
    frames = [int(f) for f in args.frames.split(",")]

    import bpy
    from bench_retarget import build
    from mathutils import Vector

    from talkrig.blender.controls import retarget_onto
    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig
    from talkrig.motion import load_motion, neutral_skeleton
    from talkrig.motion.retarget import auto_map, make_plan
    from talkrig.motion.skeleton import HANDS, PARENTS

    start = time.perf_counter()
    motion = load_motion(TAKE)
    rigs = build(bpy, Path(tempfile.mkdtemp(prefix="talkrig-render-")),
                 [r for r in args.rigs.split(",") if r])
    rigs.pop("rigify_deform", None)
    scene = bpy.context.scene
    scene.render.fps = 30
    drawn = {}
    for k, (name, (obj, anatomy)) in enumerate(rigs.items(), start=1):
        rig = read_rig(obj)
        channels, target = retarget_onto(obj, motion, auto_map(rig), rig)
        write_action(obj, channels, f"render {name}", mode="assign",
                     mute_constraints=target.mode == "deform")
        face_camera(obj, target.plan.frame[:, 2], k * SPACING, anatomy)
        deform_plan = make_plan(rig, auto_map(rig))  # the bones the take moves, to draw
        bones = [] if name == "avatar" else deform_plan.order
        for child in obj.children:
            child.color = (0.78, 0.78, 0.8, 1.0)
        drawn[name] = (obj, rig, deform_plan.effective_parents, bones)
        print(f"{name}: {target.plan.bone_map.source}, {channels.root_note}")
    shown = {obj for obj, _, _, _ in drawn.values()}
    for other in bpy.data.objects:
        top = other.parent or other
        if (other.type == "MESH" and other.parent is None) or top.type == "ARMATURE" and top not in shown:
            other.hide_render = True  # the avatar file's stray icosphere, rigs left out

    _, joints = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)
    smplx = joints[:, :, [0, 2, 1]] * [1.0, -1.0, 1.0]  # SMPL-X y-up -> Blender z-up, facing -Y
    smplx -= smplx[:1, :1] * [1.0, 1.0, 0.0]

    world = bpy.data.worlds.new("white")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "OBJECT"
    count = len(rigs) + 1
    width = int(args.height * count * SPACING / 2.5)  # 2.5 m seen from bottom to top
    scene.render.resolution_x, scene.render.resolution_y = width, args.height
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    camera.data.type = "ORTHO"
    camera.data.ortho_scale = count * SPACING
    centre = Vector(((count - 1) * SPACING / 2.0, -8.0, 1.05))
    camera.location = centre
    camera.rotation_euler = (np.pi / 2, 0.0, 0.0)

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="talkrig-render-"))
    for frame in frames:
        scene.frame_set(1 + frame)
        fingers = set(HANDS.tolist())
        segments = [(smplx[frame, p], smplx[frame, j]) for j, p in enumerate(PARENTS) if p >= 0]
        thin = {k for k, (j, p) in enumerate((j, p) for j, p in enumerate(PARENTS) if p >= 0)
                if j in fingers}
        stick_mesh(bpy, "smplx", segments, thin, (0.85, 0.15, 0.1, 1.0))
        label(bpy, "label smplx", "SMPL-X", (0.0, 0.0, 2.08))
        for k, (name, (obj, rig, parents, bones)) in enumerate(drawn.items(), start=1):
            if bones:
                lines = skeleton_lines(obj, rig, parents, bones)
                stick_mesh(bpy, f"sticks {name}", lines, set(), (0.2, 0.35, 0.75, 1.0))
            label(bpy, f"label {name}", name, (k * SPACING, 0.0, 2.08))
        label(bpy, "label frame", f"frame {frame} ({frame / motion.fps:.1f} s)",
              ((count - 1) * SPACING / 2.0, 0.0, 2.2), size=0.09)
        scene.render.filepath = str(tmp / f"frame_{frame:05d}.png")
        bpy.ops.render.render(write_still=True)
        image = bpy.data.images.load(scene.render.filepath)
        pixels = np.empty(width * args.height * 4, np.float32)
        image.pixels.foreach_get(pixels)
        rows.append(pixels.reshape(args.height, width, 4))
        bpy.data.images.remove(image)

    sheet = np.concatenate(rows[::-1], axis=0)  # Blender images start at the bottom row
    out = bpy.data.images.new("sheet", sheet.shape[1], sheet.shape[0], alpha=True)
    out.pixels.foreach_set(sheet.ravel())
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    out.filepath_raw = str(output)
    out.file_format = "PNG"
    out.save()
    print(f"wrote {output} ({sheet.shape[1]}x{sheet.shape[0]}, frames {frames}) "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
