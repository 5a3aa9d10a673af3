"""Capture From Video in the Blender extension, headless: the installed zip, a real local
server, a video of the dressed avatar sent as a capture job, its progress followed in the panel
and the takes written into the library folder."""

import json
import time

import numpy as np
import pytest

from support.addon_support import addon_with_server, draw_panels, pump
from talkrig.motion.lens import LONG_SIDE_MM

pytestmark = [pytest.mark.blender, pytest.mark.slow]


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    with addon_with_server(tmp_path_factory.mktemp("addon-capture")) as running:
        yield running


def idle(bpy, module):
    return lambda: not module.addon.runtime.busy(module.addon.server_jobs.CAPTURE.key(bpy.context.scene))


def test_capture_from_video_fills_the_library(addon, character_video, tmp_path):
    bpy, module = addon
    video, truth = character_video
    capture = bpy.context.scene.talkrig_capture
    capture.video = str(video)
    capture.library = str(tmp_path / "library")
    capture.start, capture.end = 1.0, 3.5  # a part of the video: the take is 2.5 s
    capture.lens = 35.0  # the lens stated, as the phone says it
    assert bpy.ops.talkrig.capture_video() == {"FINISHED"}
    seen = set()

    def done():
        seen.add(capture.state)
        return idle(bpy, module)()

    pump(bpy, module, done, timeout=400)
    assert capture.state == "DONE", capture.error
    assert "RUNNING" in seen and capture.progress == 1.0
    assert capture.status.startswith("1 take(s) in")
    library = tmp_path / "library"
    assert sorted(p.name for p in library.iterdir()) == [
        "performer.camera.json", "performer.capture.json", "performer.npz", "performer.wav"]
    summary = json.loads((library / "performer.capture.json").read_text())
    shots = summary["shots"]
    assert [(s["take"], s["start"], s["end"]) for s in shots] == [("performer", 1.0, 3.5)]
    camera = json.loads((library / "performer.camera.json").read_text())
    assert summary["lens_mm"] == 35.0
    assert camera["focal"] == pytest.approx(35.0 / LONG_SIDE_MM * max(camera["width"], camera["height"]), rel=1e-4)
    with np.load(library / "performer.npz") as take:
        assert take["poses"].shape == (75, 165)
    log = draw_panels(bpy, module)
    assert ("operator", "talkrig.capture_video") in [entry[:2] for entry in log]
    capture.lens = 0.0  # read from the video again


def test_what_to_fix_before_capturing(addon, tmp_path):
    bpy, module = addon
    capture = bpy.context.scene.talkrig_capture
    capture.video = ""
    capture.library = str(tmp_path)
    assert not bpy.ops.talkrig.capture_video.poll()
    capture.video = str(tmp_path / "notes.txt")
    (tmp_path / "notes.txt").write_text("not a video")
    with pytest.raises(RuntimeError, match="does not look like a video"):
        bpy.ops.talkrig.capture_video()
    assert capture.state == "FAILED" and "does not look like a video" in capture.error
    (tmp_path / "me.mp4").write_bytes(b"not checked before the lens")
    capture.video, capture.lens = str(tmp_path / "me.mp4"), 4.5
    with pytest.raises(RuntimeError, match="lens must be a 35 mm equivalent focal length from 8 to 800 mm"):
        bpy.ops.talkrig.capture_video()
    capture.lens = 0.0


def test_cancel_stops_the_capture_and_writes_no_take(addon, character_video, tmp_path, capfd):
    from talkrig.client.http_client import Client, read_token
    from support.addon_support import preferences

    bpy, module = addon
    video, _ = character_video
    capture = bpy.context.scene.talkrig_capture
    capture.video = str(video)
    capture.library = str(tmp_path / "library")
    capture.start, capture.end = 0.0, 0.0  # the whole video
    assert bpy.ops.talkrig.capture_video() == {"FINISHED"}
    pump(bpy, module, lambda: capture.state == "RUNNING" or idle(bpy, module)(), timeout=400)
    assert capture.state == "RUNNING", (capture.state, capture.error)
    capfd.readouterr()
    assert bpy.ops.talkrig.cancel_capture() == {"FINISHED"}
    pump(bpy, module, idle(bpy, module), timeout=400)
    assert capture.state == "CANCELLED" and not capture.error
    said = capfd.readouterr().out
    assert "cancelling the capture" in said and "capturing cancelled" in said, said
    server = Client(preferences(bpy).server_url, token=read_token(), timeout=10)
    assert server.capture_status(capture.job_id)["state"] == "cancelled"
    library = tmp_path / "library"
    assert not library.exists() or not list(library.iterdir())


def test_cancel_after_the_server_finished_keeps_the_takes_but_says_cancelled(addon, character_video,
                                                                            tmp_path, capfd):
    """Cancel pressed once the server has captured the cut and its takes are written, before the
    panel hears of it: the capture says it was cancelled and where the takes were saved."""
    bpy, module = addon
    video, _ = character_video
    capture = bpy.context.scene.talkrig_capture
    capture.video = str(video)
    capture.library = str(tmp_path / "library")
    capture.start, capture.end = 1.0, 3.0  # a 2 s cut, the shortest the server captures
    runtime, key = module.addon.runtime, module.addon.server_jobs.CAPTURE.key(bpy.context.scene)

    assert bpy.ops.talkrig.capture_video() == {"FINISHED"}
    deadline = time.monotonic() + 120
    while runtime.task(key).is_alive():  # captured and unpacked; no event delivered yet
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (tmp_path / "library" / "performer.npz").is_file()
    capfd.readouterr()
    assert bpy.ops.talkrig.cancel_capture() == {"FINISHED"}
    pump(bpy, module, idle(bpy, module), timeout=60)
    assert capture.state == "CANCELLED" and not capture.error, (capture.state, capture.status)
    assert f"{tmp_path / 'library'} was saved but not loaded" in capture.status
    assert "capturing cancelled" in capfd.readouterr().out
    assert bpy.ops.talkrig.capture_video.poll()  # and the next capture can start


def test_cancel_the_moment_the_server_finished_writes_no_take(addon, character_video, tmp_path):
    """The capture job's thread on the real server, Cancel pressed once the server is done and
    before the takes are fetched: it ends cancelled and the library stays empty."""
    from talkrig.client.http_client import Client, read_token
    from support.addon_support import cancel_when_server_done, preferences

    bpy, module = addon
    video, _ = character_video
    server = Client(preferences(bpy).server_url, token=read_token(), timeout=10)
    events, emit, cancelled = cancel_when_server_done(server.capture_status)
    library = tmp_path / "library"
    job = module.addon.worker.capture_video_job(
        module.addon.preferences.connection(bpy.context), video,
        {"start": 1.0, "end": 3.0, "name": "performer"}, library, poll_interval=0.05)
    job(emit, cancelled)
    job_id = next(payload for kind, payload in events if kind == "submitted")
    assert server.capture_status(job_id)["state"] == "done"
    assert [kind for kind, _ in events if kind in ("done", "cancelled", "error")] == ["cancelled"]
    assert events[-1] == ("cancelled", job_id) and not library.exists()
