"""Render Photoreal in the Blender extension, headless: the installed zip and its local server,
a take generated and baked on the CC0 avatar, rendered through the scene camera with the
skeleton renderer, and the video put in the sequencer above the take's sound."""

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from support.addon_support import (
    addon_with_server, cancel_when_server_done, fresh_scene, preferences, pump,
)
from talkrig.client.http_client import Client, read_token
from talkrig.userdirs import data_dir

pytestmark = [pytest.mark.blender, pytest.mark.slow]

SIZE = (240, 180)
LARGE = (1920, 1440)  # many pixels a frame: the render runs long enough to be cancelled


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    with addon_with_server(tmp_path_factory.mktemp("addon-render")) as running:
        yield running


@pytest.fixture(scope="module")
def clip(tmp_path_factory, scott2_wav):
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    path = tmp_path_factory.mktemp("speech") / "two_seconds.wav"
    sf.write(str(path), samples[3 * rate:5 * rate], rate, subtype="PCM_16")
    return path


def generated_take(bpy, avatar_glb, clip):
    """A fresh scene with the avatar and a baked 2 s take starting at frame 10."""
    arm = fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    settings.audio_source, settings.audio_file = "FILE", str(clip)
    settings.speech, settings.frame_start = "none", 10
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert settings.job.action
    return arm


def add_camera(bpy, location, target):
    """A scene camera at ``location`` looking at ``target`` (a 50 mm lens)."""
    from mathutils import Vector

    scene = bpy.context.scene
    data = bpy.data.cameras.new("shot")
    cam = bpy.data.objects.new("shot", data)
    scene.collection.objects.link(cam)
    cam.location = location
    cam.rotation_euler = (Vector(target) - Vector(location)).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    scene.render.resolution_x, scene.render.resolution_y = SIZE
    scene.render.resolution_percentage = 100
    return cam


def test_render_photoreal_puts_the_take_seen_by_the_camera_in_the_sequencer(
        addon, avatar_glb, clip, tmp_path):
    import av
    from bpy_extras.object_utils import world_to_camera_view

    bpy, module = addon
    arm = generated_take(bpy, avatar_glb, clip)
    scene = bpy.context.scene
    head = arm.pose.bones[next(i.bone for i in arm.talkrig_rig.bones if i.joint == "head")]
    target = arm.matrix_world @ head.head
    cam = add_camera(bpy, (target.x + 1.2, target.y - 2.2, target.z + 0.2),
                     (target.x, target.y, target.z - 0.5))
    render = scene.talkrig_render
    render.output = str(tmp_path / "photoreal.mp4")
    assert bpy.ops.talkrig.render_photoreal(wait=True) == {"FINISHED"}
    assert render.state == "DONE", render.error
    job = scene.talkrig.job
    strips = {s.name: s for s in scene.sequence_editor.strips_all}
    movie = strips[render.strip]
    sound = next(s for s in strips.values() if s.type == "SOUND")
    assert movie.type == "MOVIE" and movie.frame_start == job.frame_start == 10
    assert movie.channel > sound.channel
    with av.open(str(tmp_path / "photoreal.mp4")) as container:
        kinds = sorted(s.type for s in container.streams)
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    assert kinds == ["audio", "video"] and frames.shape[1:] == (180, 240, 3)
    assert abs(len(frames) - 2.0 * scene.render.fps) <= 1  # at the scene's frame rate
    for index in (0, len(frames) // 2, len(frames) - 1):
        scene.frame_set(job.frame_start + index)
        where = world_to_camera_view(scene, cam, arm.matrix_world @ arm.pose.bones[head.name].head)
        x, y = int(where.x * SIZE[0]), int((1 - where.y) * SIZE[1])
        face = frames[index, max(y - 3, 0):y + 4, max(x - 3, 0):x + 4].reshape(-1, 3)
        # the white face of the skeleton pass is drawn where the camera sees the rig's head
        assert np.any(face.min(axis=1) > 170), (index, x, y)
    scene.frame_set(1)


def test_what_to_fix_before_rendering(addon, avatar_glb, clip):
    bpy, module = addon
    fresh_scene(bpy)
    assert not bpy.ops.talkrig.render_photoreal.poll()  # no take yet
    generated_take(bpy, avatar_glb, clip)
    scene = bpy.context.scene
    with pytest.raises(RuntimeError, match="the scene has no camera"):
        bpy.ops.talkrig.render_photoreal(wait=True)
    add_camera(bpy, (0.0, -4.0, 1.2), (0.0, 0.0, 1.2))
    scene.talkrig_render.renderer = str(avatar_glb.parent)  # outside the server's data folder
    with pytest.raises(RuntimeError, match="outside the server's data folder"):
        bpy.ops.talkrig.render_photoreal(wait=True)
    inside = data_dir() / "renderers" / "empty"
    inside.mkdir(parents=True, exist_ok=True)
    scene.talkrig_render.renderer = str(inside)  # in the data folder, but no trained renderer
    with pytest.raises(RuntimeError, match="not a trained renderer"):
        bpy.ops.talkrig.render_photoreal(wait=True)
    assert scene.talkrig_render.state == "FAILED"
    scene.camera.data.type = "ORTHO"
    with pytest.raises(RuntimeError, match="perspective camera"):
        bpy.ops.talkrig.render_photoreal(wait=True)


def test_cancel_stops_the_server_render_and_loads_no_video(addon, avatar_glb, clip, tmp_path,
                                                          capfd):
    bpy, module = addon
    generated_take(bpy, avatar_glb, clip)
    scene = bpy.context.scene
    add_camera(bpy, (0.0, -4.0, 1.2), (0.0, 0.0, 1.2))
    scene.render.resolution_x, scene.render.resolution_y = LARGE
    render = scene.talkrig_render
    render.output = str(tmp_path / "photoreal.mp4")
    strips = sorted(s.name for s in scene.sequence_editor.strips_all)
    busy = module.addon.runtime.busy

    assert bpy.ops.talkrig.render_photoreal() == {"FINISHED"}
    with pytest.raises(RuntimeError, match="A take is being rendered"):
        bpy.ops.talkrig.render_photoreal()
    pump(bpy, module, lambda: render.state == "RUNNING" or not busy(f"render:{scene.name}"))
    assert render.state == "RUNNING", (render.state, render.error)
    capfd.readouterr()
    assert bpy.ops.talkrig.cancel_render() == {"FINISHED"}
    assert render.state == "CANCELLING"
    pump(bpy, module, lambda: not busy(f"render:{scene.name}"))
    assert render.state == "CANCELLED" and render.progress < 1.0 and not render.error
    said = capfd.readouterr().out
    assert "cancelling the render" in said and "rendering cancelled" in said, said
    server = Client(preferences(bpy).server_url, token=read_token(), timeout=10)
    assert server.render_status(render.job_id)["state"] == "cancelled"
    assert sorted(s.name for s in scene.sequence_editor.strips_all) == strips
    assert not render.strip and not list(tmp_path.iterdir())  # no video, no partial file
    scratch = Path(os.environ["XDG_DATA_HOME"]) / "talkrig" / "tmp"  # the server's own
    assert scratch.is_dir() and not list(scratch.glob("render-*"))
    with pytest.raises(RuntimeError, match="No take is being rendered"):
        bpy.ops.talkrig.cancel_render()

    scene.render.resolution_x, scene.render.resolution_y = SIZE  # and the next render works
    assert bpy.ops.talkrig.render_photoreal(wait=True) == {"FINISHED"}
    assert render.state == "DONE", render.error
    assert scene.sequence_editor.strips_all[render.strip].type == "MOVIE"
    assert [p.name for p in tmp_path.iterdir()] == ["photoreal.mp4"]


def test_cancel_after_the_server_finished_loads_no_video(addon, avatar_glb, clip, tmp_path, capfd):
    """Cancel pressed once the server has rendered the take: the video already saved but not yet
    loaded stays out of the sequencer, and the render says it was cancelled."""
    bpy, module = addon
    generated_take(bpy, avatar_glb, clip)
    scene = bpy.context.scene
    add_camera(bpy, (0.0, -4.0, 1.2), (0.0, 0.0, 1.2))
    render = scene.talkrig_render
    render.output = str(tmp_path / "late.mp4")
    strips = sorted(s.name for s in scene.sequence_editor.strips_all)
    runtime, key = module.addon.runtime, f"render:{scene.name}"

    assert bpy.ops.talkrig.render_photoreal() == {"FINISHED"}
    deadline = time.monotonic() + 120
    while runtime.task(key).is_alive():  # downloaded and saved; no event delivered yet
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (tmp_path / "late.mp4").is_file()
    capfd.readouterr()
    assert bpy.ops.talkrig.cancel_render() == {"FINISHED"}
    pump(bpy, module, lambda: not runtime.busy(key))
    assert render.state == "CANCELLED" and not render.strip, (render.state, render.status)
    assert sorted(s.name for s in scene.sequence_editor.strips_all) == strips
    assert "late.mp4 was saved but not loaded" in render.status
    assert "rendering cancelled" in capfd.readouterr().out


def test_cancel_after_the_server_finished_downloads_nothing(addon, avatar_glb, clip, tmp_path):
    """The render job's thread on the real server, Cancel pressed the moment the server is done
    and before the video is fetched: it ends cancelled and writes no file."""
    bpy, module = addon
    generated_take(bpy, avatar_glb, clip)
    add_camera(bpy, (0.0, -4.0, 1.2), (0.0, 0.0, 1.2))
    motion, audio, options, _ = module.addon.render_photoreal.prepare(bpy.context)
    server = Client(preferences(bpy).server_url, token=read_token(), timeout=10)
    events, emit, cancelled = cancel_when_server_done(server.render_status)
    out = tmp_path / "never.mp4"
    module.addon.worker.render_job(module.addon.preferences.connection(bpy.context), motion, options,
                                   out, audio=audio, poll_interval=0.05)(emit, cancelled)
    job_id = next(payload for kind, payload in events if kind == "submitted")
    assert server.render_status(job_id)["state"] == "done"
    assert [kind for kind, _ in events if kind in ("done", "cancelled", "error")] == ["cancelled"]
    assert events[-1] == ("cancelled", job_id) and not list(tmp_path.iterdir())
