"""The Blender extension's user flow, headless, ending in a picture: install the built extension,
let it start a local server, Generate from a voice-over onto the CC0 avatar, and render the
frame where a hand reaches furthest forward with Workbench (the README's image).

    .venv/bin/python examples/render_addon_take.py [--audio WAV] [--transcript TEXTGRID]
        [--output docs/images/addon_take.png]

Needs the bpy module (`pip install 'talkrig[blender]'`) and this checkout's Python for the
server. Uses temporary Blender and server folders: your own settings are not touched.
"""

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
AVATAR = DATA / "avatar_cc0" / "male_base_mesh.glb"
AUDIO = DATA / "beat2_scott_train" / "2_scott_0_2_2.wav"
TRANSCRIPT = DATA / "beat2_scott_train" / "2_scott_0_2_2.TextGrid"


def load_build_script():
    """tools/build_extension.py, which builds the extension and installs it in the bpy module."""
    spec = importlib.util.spec_from_file_location("build_extension", ROOT / "tools" / "build_extension.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pump(bpy, module, until, timeout=300.0):
    """Run the add-on's timer by hand (the bpy module has no event loop)."""
    tick = module.addon.runtime.tick
    deadline = time.monotonic() + timeout
    while not until():
        if bpy.app.timers.is_registered(tick) and tick() is None:
            bpy.app.timers.unregister(tick)
        if time.monotonic() > deadline:
            raise SystemExit("render_addon_take: the add-on did not finish in time")
        time.sleep(0.05)


def facing(arm):
    """(forward, left) unit vectors of the character in world space, from its rest shoulders."""
    from mathutils import Vector

    world = arm.matrix_world
    bones = arm.data.bones
    left = Vector(world @ bones["upper_arm.L"].head_local) - Vector(world @ bones["upper_arm.R"].head_local)
    left.z = 0.0
    left.normalize()
    return left.cross(Vector((0.0, 0.0, 1.0))).normalized(), left


def gesture_frame(bpy, arm, start, end, step=6):
    """The frame where a hand reaches furthest in front of the chest (a gesture at its peak)."""
    scene = bpy.context.scene
    forward, _ = facing(arm)
    forward = np.array(forward)
    best, best_frame = -np.inf, start
    for frame in range(start, end, step):
        scene.frame_set(frame)
        chest = np.array(arm.matrix_world @ arm.pose.bones["spine.003"].head)
        reach = max(float((np.array(arm.matrix_world @ arm.pose.bones[b].tail) - chest) @ forward)
                    for b in ("hand.L", "hand.R"))
        if reach > best:
            best, best_frame = reach, frame
    return best_frame


def frame_camera(bpy, arm):
    """A camera three-quarters in front of the character, framing it from the thighs up."""
    from mathutils import Vector

    scene = bpy.context.scene
    forward, left = facing(arm)
    up = Vector((0.0, 0.0, 1.0))
    target = Vector(arm.matrix_world @ arm.pose.bones["spine.003"].head) - up * 0.1
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    camera.data.lens = 50
    camera.location = target + forward * 2.1 + left * 0.9 + up * 0.1
    camera.rotation_euler = (target - camera.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = camera


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", default=str(AUDIO))
    parser.add_argument("--transcript", default=str(TRANSCRIPT))
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--output", default=str(ROOT / "docs" / "images" / "addon_take.png"))
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="talkrig-render-"))
    bpy, module = load_build_script().blender_with_local_server(tmp)
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(AVATAR))
    for stray in [o for o in bpy.context.scene.objects if o.name.startswith("Icosphere")]:
        bpy.data.objects.remove(stray)
    arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    bpy.context.view_layer.objects.active = arm

    settings = bpy.context.scene.talkrig
    settings.audio_file = args.audio
    if args.transcript:
        settings.transcript_source, settings.transcript_file = "FILE", args.transcript
    settings.seed = args.seed
    started = time.perf_counter()
    bpy.ops.talkrig.generate()  # no server runs yet: the add-on starts one
    pump(bpy, module, lambda: not module.addon.server_jobs.GENERATE.running(bpy.context.scene))
    job = settings.job
    if job.state != "DONE" or not job.action:
        raise SystemExit(f"render_addon_take: {job.state}: {job.error}")
    print(f"{job.status} in {time.perf_counter() - started:.1f} s")

    scene = bpy.context.scene
    frame = gesture_frame(bpy, arm, scene.frame_start, scene.frame_end)
    scene.frame_set(frame)
    frame_camera(bpy, arm)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "SINGLE"
    scene.display.shading.single_color = (0.62, 0.66, 0.74)
    scene.display.shading.show_cavity = True
    scene.world = scene.world or bpy.data.worlds.new("world")
    scene.world.color = (0.93, 0.93, 0.93)
    scene.render.resolution_x, scene.render.resolution_y = 400, 500
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "BW"  # the shading is grey: a small file
    scene.render.image_settings.compression = 100
    scene.render.filepath = str(Path(args.output).resolve())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.render.render(write_still=True)
    print(f"frame {frame} of {job.action!r} -> {args.output}")
    local = module.addon.server_state.local_server()
    if local is not None:
        local.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
