"""The add-on (installed from its zip into the bpy module) against a server that misbehaves:
Generate(wait=True) returns with a clear message in the panel, the scene gets no Action and no
file lands outside the takes folder. A real HTTP server on loopback plays the server."""

import importlib
import math
import re

import numpy as np
import pytest
import soundfile as sf
from support.addon_support import draw_panels, fresh_scene, install, preferences, uninstall
from support.misbehaving_server import TOKEN, Scripted, answers, npz_declaring, silent, trickle

HEALTH = {"name": "talkrig", "auth_required": True, "authorized": True, "limits": {}}


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    import bpy

    root = tmp_path_factory.mktemp("addon")
    env = pytest.MonkeyPatch()
    env.setenv("XDG_CONFIG_HOME", str(root / "config"))
    env.setenv("XDG_DATA_HOME", str(root / "share"))
    module = install(bpy, root / "dist")
    server = Scripted()
    prefs = preferences(bpy)
    prefs.server_url, prefs.token = server.url, TOKEN
    prefs.auto_start, prefs.timeout = False, 1.0
    try:
        yield bpy, module, server, root
    finally:
        server.close()
        uninstall(bpy)
        env.undo()


def fine_job(server, job_id="abc123"):
    server.routes.clear()
    server.routes[("GET", "/v1/health")] = answers(HEALTH)
    server.routes[("POST", "/v1/jobs")] = answers({"id": job_id}, 202)
    server.routes[("GET", f"/v1/jobs/{job_id}")] = answers({"state": "done", "progress": 1.0})
    server.routes[("DELETE", f"/v1/jobs/{job_id}")] = answers({"state": "cancelled"})
    server.routes[("GET", f"/v1/jobs/{job_id}/result")] = answers({"words": []})
    server.routes[("GET", f"/v1/jobs/{job_id}/result/motion")] = \
        lambda h: h.reply(200, npz_declaring(10, b"\x00" * 6600), "application/octet-stream")


def misbehave(server, how):
    if how == "id with ..":
        fine_job(server, "../../../evil")
    elif how == "id not text":
        fine_job(server)
        server.routes[("POST", "/v1/jobs")] = answers({"id": 12345}, 202)
    elif how == "progress as text":
        server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "running", "progress": "half"})
    elif how == "status as a list":
        server.routes[("GET", "/v1/jobs/abc123")] = answers(["running"])
    elif how == "silent":
        server.routes[("GET", "/v1/jobs/abc123")] = silent
    elif how == "trickle":
        server.routes[("GET", "/v1/jobs/abc123")] = trickle
    elif how == "keeps a cancelled job":
        server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "running", "progress": 0.2})
        server.routes[("DELETE", "/v1/jobs/abc123")] = answers({"state": "running", "cancel_requested": True})
    elif how == "300000 frames":
        server.routes[("GET", "/v1/jobs/abc123/result/motion")] = \
            lambda h: h.reply(200, npz_declaring(300000), "application/octet-stream")
    elif how == "garbage words":
        server.routes[("GET", "/v1/jobs/abc123/result")] = answers({"words": [{"word": "a", "start": math.nan}]})
    elif how == "redirect":
        server.routes[("POST", "/v1/jobs")] = lambda h: h.reply(302, b"", headers=[("Location", "http://10.0.0.1/")])
    elif how == "huge error":
        server.routes[("POST", "/v1/jobs")] = answers({"detail": "no " * 3_000_000}, 422)


@pytest.mark.parametrize("how, said", [
    ("id with ..", "job id that is not a plain name"),
    ("id not text", "job id that is not a plain name"),
    ("progress as text", "progress is not a number"),
    ("status as a list", "without a valid state"),
    ("silent", "not ready within 4 s|did not answer in time"),
    ("trickle", "not ready within 4 s|did not answer in time"),
    ("keeps a cancelled job", "not ready within 4 s|still runs it"),
    ("300000 frames", "take of 300000 frames"),
    ("garbage words", "not a talkrig server"),
    ("redirect", "never redirects"),
    ("huge error", "answered HTTP 422"),
])
def test_generate_against_a_misbehaving_server_ends_with_a_message_and_no_action(addon, avatar_glb, scott2_wav,
                                                                             tmp_path, monkeypatch, how, said):
    bpy, module, server, root = addon
    monkeypatch.setattr(importlib.import_module(module.__name__ + ".addon.worker"), "CANCEL_GRACE", 2.0)
    fine_job(server)
    misbehave(server, how)
    fresh_scene(bpy, avatar_glb)
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    wav = tmp_path / "two_seconds.wav"
    sf.write(str(wav), samples[: 2 * rate], rate, subtype="PCM_16")
    settings = bpy.context.scene.talkrig
    settings.audio_source, settings.audio_file, settings.speech = "FILE", str(wav), "none"
    with pytest.raises(RuntimeError) as err:
        bpy.ops.talkrig.generate(wait=True, timeout=4.0)
    message = str(err.value)
    assert re.search(said, message) and len(message) < 1200, message
    job = settings.job
    jobs = importlib.import_module(module.__name__ + ".addon.server_jobs")
    assert job.state in ("FAILED", "CANCELLED") and not jobs.GENERATE.running(bpy.context.scene)
    drawn = draw_panels(bpy, module)  # the panel draws, its message in red
    assert any(kind == "label" and alert for kind, _, alert in drawn)
    assert not bpy.data.actions
    assert not list(root.rglob("evil*"))  # nothing written by the server's id


def test_the_same_server_behaving_gives_a_take(addon, avatar_glb, scott2_wav, tmp_path):
    bpy, module, server, root = addon
    fine_job(server)
    fresh_scene(bpy, avatar_glb)
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    wav = tmp_path / "two_seconds.wav"
    sf.write(str(wav), samples[: 2 * rate], rate, subtype="PCM_16")
    settings = bpy.context.scene.talkrig
    settings.audio_source, settings.audio_file, settings.speech, settings.auto_bake = "FILE", str(wav), "none", False
    assert bpy.ops.talkrig.generate(wait=True, timeout=30.0) == {"FINISHED"}
    assert settings.job.state == "DONE" and settings.job.job_id == "abc123"
    assert settings.job.result_file.endswith("-abc123.npz")
    assert np.load(settings.job.result_file)["poses"].shape == (10, 165)
