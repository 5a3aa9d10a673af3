"""Capture jobs over HTTP: the real app, the real multipart reader and job runner, with a
scripted capture function (the real capture runs end to end in tests/capture/test_capture_real.py)."""

import io
import json
import signal
import threading
import zipfile

import pytest
from fastapi.testclient import TestClient
from support.server_fakes import ScriptedPipeline, fake_entries, wait_for

from talkrig.inference.capture.errors import CaptureError
from talkrig.inference.progress import JobCancelled
from talkrig.inference.server.app import create_app
from talkrig.inference.server.capture_jobs import CaptureJobResult, parse_capture_options
from talkrig.inference.server.catalog import Catalog
from talkrig.inference.server.settings import ServerSettings

TOKEN = "capture-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000


class ScriptedCapture:
    """Callable like capture_jobs.run_capture: records the uploaded file and options."""

    def __init__(self):
        self.seen = []
        self.release = threading.Event()
        self.paths = []

    def __call__(self, video, options, progress=None, cancelled=None):
        path = video.path
        self.paths.append(path)
        self.seen.append((path.read_bytes(), options))
        if options.name == "refused":
            raise CaptureError(path, "no person found: the landmark detector saw nobody")
        progress("landmarks", 0.3)
        if options.name == "slow":
            while not self.release.wait(0.01):
                if cancelled():
                    raise JobCancelled("cancelled")
        progress("fitting", 0.9)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"{options.name}.npz", b"PK-npz")
            archive.writestr(f"{options.name}.wav", b"RIFF-wav")
        return CaptureJobResult(archive=buffer.getvalue(),
                                takes=[{"name": options.name, "n_frames": 90, "seconds": 3.0,
                                        "posture": "standing", "shot": 1}],
                                shots=[{"shot": 1, "start": 0.0, "end": 3.0,
                                        "take": options.name}], n_frames=90)


@pytest.fixture
def api(tmp_path):
    capture = ScriptedCapture()
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path / "data", workers=1,
                              queue_depth=2, result_ttl=60.0)
    app = create_app(settings, generate=ScriptedPipeline(),
                     catalog=Catalog(generators=fake_entries(), speech={}, renderers={}),
                     capture=capture)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        client.capture = capture
        yield client
    capture.release.set()


def submit(client, options=None, video=VIDEO, filename="me talking.mp4", headers=AUTH):
    files = {"video": (filename, video, "video/mp4")}
    data = {"options": json.dumps(options)} if options is not None else {}
    return client.post("/v1/capture", files=files, data=data, headers=headers)


def finished(client, job_id):
    def done():
        status = client.get(f"/v1/capture/{job_id}", headers=AUTH).json()
        return status if status["state"] in ("done", "failed", "cancelled") else None
    return wait_for(done)


def test_a_video_becomes_a_zip_of_takes(api):
    r = submit(api, {"fps": 25, "start": 1.5, "end": 9, "lens": 26})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status_url"] == f"/v1/capture/{job['id']}"
    status = finished(api, job["id"])
    assert status["state"] == "done" and status["progress"] == 1.0
    data, options = api.capture.seen[0]
    assert data == VIDEO
    assert (options.fps, options.start, options.end, options.name, options.lens) == (
        25.0, 1.5, 9.0, "me talking", 26.0)
    info = api.get(job["result_url"], headers=AUTH).json()
    assert info["takes"][0]["name"] == "me talking" and info["shots"][0]["take"] == "me talking"
    archive = api.get(info["archive"]["href"], headers=AUTH)
    assert archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert names == ["me talking.npz", "me talking.wav"]
    # the uploaded copy is gone once the job is over
    wait_for(lambda: not api.capture.paths[0].exists())


def test_a_video_that_cannot_be_captured_fails_its_job_with_the_reason(api):
    job = submit(api, {"name": "refused"}).json()
    status = finished(api, job["id"])
    assert status["state"] == "failed" and "no person found" in status["error"]
    r = api.get(f"/v1/capture/{job['id']}/result", headers=AUTH)
    assert r.status_code == 409 and "no person found" in r.json()["detail"]


def test_cancel_a_running_capture(api):
    job = submit(api, {"name": "slow"}).json()
    wait_for(lambda: api.get(f"/v1/capture/{job['id']}", headers=AUTH).json()["state"]
             == "running")
    r = api.delete(f"/v1/capture/{job['id']}", headers=AUTH)
    assert r.status_code == 200 and r.json()["cancel_requested"]
    assert finished(api, job["id"])["state"] == "cancelled"
    assert api.delete(f"/v1/capture/{job['id']}", headers=AUTH).json()["state"] == "cancelled"


@pytest.mark.parametrize("options, message", [
    ({"fps": 0}, "fps must be from 1 to 120"),
    ({"fps": 1e-300}, "fps must be from 1 to 120"),
    ({"fps": 0.001}, "fps must be from 1 to 120"),
    ({"fps": 1e308}, "fps must be from 1 to 120"),
    ({"start": 1e308}, "start must be a number of seconds from 0 to 86400, got 1e+308"),
    ({"end": 1e308, "start": 10}, "end must be a number of seconds after start (10) and at most 86400"),
    ({"fps": "thirty"}, "fps must be a number"),
    ({"start": 5, "end": 2}, "end must be a number of seconds after start (5)"),
    ({"start": -1}, "start must be a number of seconds from 0"),
    ({"start": float("inf")}, "start must be a number of seconds"),
    ({"end": float("nan")}, "end must be a number of seconds"),
    ({"speed": 2}, "unknown speed"),
    ({"lens": 3}, "lens must be a 35 mm equivalent focal length from 8 to 800 mm"),
    ({"lens": "26mm"}, "lens must be a number of millimetres"),
])
def test_bad_options_are_422_with_what_to_fix(api, options, message):
    r = submit(api, options)
    assert r.status_code == 422 and message in r.json()["detail"]


def test_options_nested_deep_are_422(api):
    r = api.post("/v1/capture", files={"video": ("v.mp4", VIDEO, "video/mp4")},
                 data={"options": "[" * 100_000 + "]" * 100_000}, headers=AUTH)
    assert r.status_code == 422 and "nests arrays or objects 100000 deep" in r.json()["detail"]


def test_captures_sent_after_the_stop_signal_get_503(api):
    from talkrig.inference.server.serving import make_server

    server = make_server(api.app, api.app.state.settings)  # as `talkrig serve` builds it
    server.handle_exit(signal.SIGTERM, None)  # what its signal handler calls
    r = submit(api, {"fps": 25})
    assert r.status_code == 503 and "shutting down" in r.json()["detail"]
    assert api.capture.seen == []


def test_bad_requests(api):
    r = api.post("/v1/capture", files={"audio": ("a.wav", b"RIFF", "audio/wav")}, headers=AUTH)
    assert r.status_code == 422 and "send video and options" in r.json()["detail"]
    r = api.post("/v1/capture", data={"options": "{}"}, files={"video": ("v.mp4", b"", "video/mp4")},
                 headers=AUTH)
    assert r.status_code == 422 and "no 'video' file part" in r.json()["detail"]
    assert submit(api, headers={}).status_code == 401
    assert api.get("/v1/capture/nope", headers=AUTH).status_code == 404
    assert api.get("/v1/capture/nope/result", headers=AUTH).status_code == 404


def test_take_names_from_uploads_are_safe():
    assert parse_capture_options(None, "../../etc/passwd").name == "passwd"
    assert parse_capture_options(json.dumps({"name": "a/b:c"}).encode(), "x.mp4").name == "a_b_c"
    assert parse_capture_options(None, "").name == "video"
