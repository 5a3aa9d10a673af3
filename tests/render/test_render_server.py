"""Render jobs over HTTP: the real app, job runners, pipeline and skeleton renderer on a real
take; a take sent as a file or taken from a finished generation job; cancel; bad input."""

import io
import json

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from support.server_fakes import wait_for

from talkrig.inference.server.app import create_app
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion import load_motion
from talkrig.motion.camera import Camera
from talkrig.motion.npz import npz_bytes

TOKEN = "render-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FRAMES = 30


@pytest.fixture(scope="module")
def take(scott_npz, scott_wav):
    """(npz bytes of a 1 s cut, wav bytes of its speech, the whole take as npz bytes)."""
    motion = load_motion(scott_npz)
    samples, rate = sf.read(scott_wav, dtype="float32")
    wav = io.BytesIO()
    sf.write(wav, samples[20 * rate:21 * rate], rate, format="WAV")
    return npz_bytes(motion[600:600 + FRAMES]), wav.getvalue(), npz_bytes(motion)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path_factory.mktemp("data"), workers=1,
                              queue_depth=2, result_ttl=60.0)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        yield client


def submit(client, motion=None, audio=None, options=None, headers=AUTH):
    files = {}
    if motion is not None:
        files["motion"] = ("take.npz", motion, "application/octet-stream")
    if audio is not None:
        files["audio"] = ("take.wav", audio, "audio/wav")
    if options is not None:
        files["options"] = (None, json.dumps(options), "application/json")
    return client.post("/v1/render", files=files, headers=headers)


def finished(client, job_id, kind="render"):
    def done():
        status = client.get(f"/v1/{kind}/{job_id}", headers=AUTH).json()
        return status if status["state"] in ("done", "failed", "cancelled") else None
    return wait_for(done, timeout=60)


def frames_of(data):
    import av

    with av.open(io.BytesIO(data)) as container:
        kinds = sorted(s.type for s in container.streams)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return np.stack(frames), kinds


def test_a_take_and_its_speech_come_back_as_a_video(api, take):
    motion, wav, _ = take
    camera = Camera(width=200, height=160, focal=250.0, world_from_camera=np.array(
        [[1, 0, 0, 0], [0, 1, 0, 1.3], [0, 0, 1, 3.0], [0, 0, 0, 1]], float),
        world_from_motion=np.eye(4))
    r = submit(api, motion, wav, {"renderer": "skeleton", "camera": camera.to_dict()})
    assert r.status_code == 202, r.text
    job = r.json()
    status = finished(api, job["id"])
    assert status["state"] == "done" and status["progress"] == 1.0, status
    info = api.get(job["result_url"], headers=AUTH).json()
    assert info["n_frames"] == FRAMES and info["size"] == [200, 160]
    assert info["renderer"] == "skeleton"
    video = api.get(info["video"]["href"], headers=AUTH)
    assert video.headers["content-type"] == "video/mp4"
    frames, kinds = frames_of(video.content)
    assert frames.shape == (FRAMES, 160, 200, 3) and kinds == ["audio", "video"]
    assert frames.max() > 200 and frames[:, :4, :4].max() < 40  # a figure on black


def test_a_finished_generation_job_is_rendered_by_its_id(api, take):
    _, wav, _ = take
    r = api.post("/v1/jobs", files={"audio": ("s.wav", wav, "audio/wav")},
                 data={"options": json.dumps({"backend": "procedural", "speech": "none"})},
                 headers=AUTH)
    assert r.status_code == 202, r.text
    generated = r.json()["id"]
    assert finished(api, generated, "jobs")["state"] == "done"
    r = submit(api, options={"job": generated, "size": [96, 64]})
    assert r.status_code == 202, r.text
    assert finished(api, r.json()["id"])["state"] == "done"
    frames, kinds = frames_of(api.get(f"/v1/render/{r.json()['id']}/result/video.mp4",
                                      headers=AUTH).content)
    assert frames.shape == (30, 64, 96, 3) and kinds == ["video"]


def test_cancel_a_running_render(api, take):
    _, _, whole = take  # 45 s: seconds of rendering
    job = submit(api, whole, options={"size": [64, 64]}).json()
    wait_for(lambda: api.get(f"/v1/render/{job['id']}", headers=AUTH).json()["progress"] > 0,
             timeout=30)
    r = api.delete(f"/v1/render/{job['id']}", headers=AUTH)
    assert r.status_code == 200 and r.json()["cancel_requested"]
    assert finished(api, job["id"])["state"] == "cancelled"
    r = api.get(f"/v1/render/{job['id']}/result", headers=AUTH)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


@pytest.mark.parametrize("options, files, status, words", [
    ({}, {}, 422, "no take"),
    (None, {}, 415, "'motion' file part"),
    ({"renderer": "nope"}, {"motion": b"npz"}, 422, "'nope' is neither a renderer (skeleton"),
    ({"renderer": "/no/such/folder"}, {"motion": b"npz"}, 422, "nor a trained renderer's folder in"),
    ({"colour": 1}, {"motion": b"npz"}, 422, "unknown colour"),
    ({"size": [65, 64]}, {"motion": b"npz"}, 422, "even numbers"),
    ({"size": [4096, 4096]}, {"motion": b"npz"}, 422, "at most 2048"),
    ({"camera": {"width": 10}}, {"motion": b"npz"}, 422, "not a camera description"),
    ({"job": "nope"}, {}, 404, "no job nope"),
    ({}, {"motion": b"not an npz"}, 422, "take.npz"),
    ({}, {"motion": "take", "audio": b"not audio"}, 422, "take.wav"),
])
def test_bad_input_gets_a_4xx_with_the_reason(api, take, options, files, status, words):
    motion = take[0] if files.get("motion") == "take" else files.get("motion")
    r = submit(api, motion, files.get("audio"), options)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_render_jobs_need_the_token(api, take):
    assert submit(api, take[0], headers={}).status_code == 401
    assert api.get("/v1/render/x", headers={}).status_code == 401
    assert api.get("/v1/render/nope", headers=AUTH).status_code == 404


@pytest.mark.parametrize("raw, words", [
    (b"{oops", "the 'options' part is not valid JSON: Expecting property name"),
    (b"[1]", "the 'options' part must be a JSON object, got list"),
    (b"[" * 100 + b"]" * 100, "the 'options' part nests arrays or objects 100 deep"),
])
def test_every_job_kind_reads_its_options_part_alike(api, take, raw, words):
    """Generation, capture and render jobs answer a bad options part with the same words."""
    for path, part in (("/v1/jobs", "audio"), ("/v1/capture", "video"), ("/v1/render", "motion")):
        files = {part: ("upload", take[1], "application/octet-stream"),
                 "options": (None, raw, "application/json")}
        r = api.post(path, files=files, headers=AUTH)
        assert r.status_code == 422 and r.json()["detail"].startswith(words), (path, r.text)
