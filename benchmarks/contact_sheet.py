"""Contact sheets: takes baked on the CC0 avatar side by side, a row per take, a column per moment,
so generated motion can be judged by eye beside the real take (Workbench, headless).

    .venv/bin/python benchmarks/contact_sheet.py LABEL=MOTION.npz [LABEL=MOTION.npz ...]
        [--times 1,3,5,7,9,11] [--output out/contact_sheet.png] [--size 240x300]
        [--views front,side]

Each take is retargeted onto the avatar as a new Action (as `talkrig bake` does) and rendered
from each view at the given times (seconds): the front panels, then the side panels (from the
avatar's left: lean, knees and weight show there); the label is written into the first panel
of its row. Each row's camera is placed so the whole body fits in all its rendered frames.
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AVATAR = ROOT.parent / "shared" / "data" / "avatar_cc0" / "male_base_mesh.glb"


def parse_rows(items):
    rows = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not path:
            raise SystemExit(f"contact_sheet: expected LABEL=MOTION.npz, got {item!r}")
        rows.append((label, Path(path)))
    return rows


def render_sheet(rows, times, output, width=240, height=300, avatar=AVATAR, views=("front",)):
    """Render ``rows`` [(label, Motion), ...] at ``times`` (s), from each of ``views`` ("front",
    "side"), into one PNG at ``output``."""
    import bpy

    from talkrig.exporters.animate import animate
    from talkrig.exporters.preview import FIELD_OF_VIEW, frame_camera
    from talkrig.exporters.scene import load_avatar

    tmp = Path(tempfile.mkdtemp(prefix="talkrig-sheet-"))
    sheet_rows = []
    for label, motion in rows:
        loaded = load_avatar(avatar)
        animation = animate(loaded, motion, name=label)
        scene = bpy.context.scene
        _workbench(bpy, scene, width, height)
        panels = []
        for view in views:
            camera = frame_camera(scene, loaded, animation, width / height, side=view == "side")
            if not panels:
                _label(bpy, scene, camera, label, FIELD_OF_VIEW, width / height)
            for t in times:
                frame = animation.frame_start + min(int(round(t * motion.fps)), motion.n_frames - 1)
                scene.frame_set(frame)
                scene.render.filepath = str(tmp / f"panel_{len(sheet_rows)}_{len(panels)}.png")
                bpy.ops.render.render(write_still=True)
                image = bpy.data.images.load(scene.render.filepath)
                pixels = np.empty(width * height * 4, np.float32)
                image.pixels.foreach_get(pixels)
                bpy.data.images.remove(image)
                panels.append(pixels.reshape(height, width, 4))
                if len(panels) == 1:  # the label belongs to the first panel only
                    bpy.data.objects.remove(bpy.data.objects["talkrig label"])
        sheet_rows.append(np.concatenate(panels, axis=1))
    sheet = np.concatenate(sheet_rows[::-1], axis=0)  # Blender images start at the bottom row
    out = bpy.data.images.new("sheet", sheet.shape[1], sheet.shape[0], alpha=True)
    out.pixels.foreach_set(sheet.ravel())
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    out.filepath_raw = str(output)
    out.file_format = "PNG"
    out.save()
    return output


def _workbench(bpy, scene, width, height):
    render = scene.render
    render.engine = "BLENDER_WORKBENCH"
    render.resolution_x, render.resolution_y = width, height
    render.resolution_percentage = 100
    render.image_settings.file_format = "PNG"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "OBJECT"
    world = bpy.data.worlds.new("white")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world
    for obj in scene.objects:
        if obj.type == "MESH":
            obj.color = (0.78, 0.76, 0.74, 1.0)


def _label(bpy, scene, camera, text, fov, aspect):
    """A dark text object in the camera's top-left corner."""
    from mathutils import Vector

    depth = 2.0
    half_h = depth * math.tan(fov / 2)
    half_w = half_h * aspect
    curve = bpy.data.curves.new("talkrig label", type="FONT")
    curve.body = text
    curve.size = 0.075 * half_h
    obj = bpy.data.objects.new("talkrig label", curve)
    scene.collection.objects.link(obj)
    obj.matrix_world = camera.matrix_world.copy()
    obj.location = camera.matrix_world @ Vector((-0.95 * half_w, 0.88 * half_h, -depth))
    obj.color = (0.1, 0.1, 0.1, 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="+", metavar="LABEL=MOTION.npz")
    parser.add_argument("--times", default="1,3,5,7,9,11", help="seconds, comma separated")
    parser.add_argument("--output", default=str(ROOT / "out" / "contact_sheet.png"))
    parser.add_argument("--size", default="240x300", help="panel size WxH in pixels")
    parser.add_argument("--views", default="front", help="front, side or front,side")
    args = parser.parse_args()

    from talkrig.motion import load_motion

    start = time.perf_counter()
    times = [float(t) for t in args.times.split(",")]
    width, height = (int(v) for v in args.size.split("x"))
    rows = [(label, load_motion(path)) for label, path in parse_rows(args.rows)]
    views = tuple(v.strip() for v in args.views.split(","))
    if not set(views) <= {"front", "side"}:
        raise SystemExit(f"contact_sheet: --views takes front and/or side, got {args.views!r}")
    output = render_sheet(rows, times, args.output, width, height, views=views)
    print(f"wrote {output} ({len(rows)} rows x {len(times)} columns) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
