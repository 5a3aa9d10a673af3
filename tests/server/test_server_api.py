"""The real FastAPI app through its test client: every endpoint and every bad input.

The pipeline is a scripted stand-in (tests/support/server_fakes.py) so jobs can be made to block, fail
or crash on demand; uploads go through the real multipart reader and the real audio decoder.
"""

import json
import logging
import os
import threading
import time
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from support.audio_support import IMPLAUSIBLE, implausible_wav
from support.server_fakes import ScriptedPipeline, fake_entries, wait_for, wav_bytes

from talkrig import __version__
from talkrig.inference.server.app import create_app
from talkrig.inference.server.catalog import Catalog
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion.npz import read_npz

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAV = wav_bytes(2.0)


@contextmanager
def serve(tmp_path, pipeline=None, **overrides):
    settings = dict(token=TOKEN, data_dir=tmp_path / "data", workers=1, queue_depth=2,
                    result_ttl=60.0)
    settings.update(overrides)
    pipeline = pipeline or ScriptedPipeline()
    app = create_app(ServerSettings(**settings), generate=pipeline,
                     catalog=Catalog(generators=fake_entries(), speech={}, renderers={}))
    try:
        with TestClient(app, base_url="http://127.0.0.1:8765") as client:
            client.pipeline = pipeline
            yield client
    finally:
        pipeline.release.set()


@pytest.fixture
def api(tmp_path):
    with serve(tmp_path) as client:
        yield client


def submit(client, options=None, audio=WAV, filename="speech.wav", headers=AUTH, raw_options=None):
    files = {"audio": (filename, audio, "audio/wav")}
    if raw_options is not None or options is not None:
        text = raw_options if raw_options is not None else json.dumps(options)
        files["options"] = (None, text, "application/json")
    return client.post("/v1/jobs", files=files, headers=headers)


def job_options(mode="ok", **extra):
    return {"backend": "scripted", "backend_options": {"mode": mode, **extra}}


def wait_state(client, job_id, states=("done", "failed", "cancelled")):
    def poll():
        status = client.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
        return status if status["state"] in states else None
    return wait_for(poll)


# -- the happy path ----------------------------------------------------------------------------

def test_job_round_trip_gives_motion_npz_and_words(api):
    answer = submit(api, {**job_options(amplitude=0.25), "seed": 7, "fps": 25})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    assert answer.headers["location"] == f"/v1/jobs/{job_id}"
    status = wait_state(api, job_id)
    assert status["state"] == "done" and status["progress"] == 1.0
    assert status["backend"] == "scripted" and status["seed"] == 7
    assert status["audio_seconds"] == pytest.approx(2.0)

    info = api.get(f"/v1/jobs/{job_id}/result", headers=AUTH).json()
    assert info["n_frames"] == 50 and info["fps"] == 25.0
    assert info["words"] == [{"word": "hello", "start": 0.1, "end": 0.4, "confidence": 0.9}]
    raw = api.get(info["motion"]["href"], headers=AUTH)
    assert raw.headers["content-type"] == "application/octet-stream"
    assert len(raw.content) == info["motion"]["bytes"]
    motion = read_npz(raw.content)
    assert motion.n_frames == 50 and motion.fps == 25.0
    assert motion.poses[0, 16, 2] == pytest.approx(0.25)  # the options reached the pipeline


def test_missing_options_part_means_defaults(api):
    answer = submit(api, options=None)
    # the default backend ("procedural") is not in this test catalog: the error lists what is
    assert answer.status_code == 422
    assert "'procedural'" in answer.json()["detail"] and answer.json()["valid"] == ["scripted"]


def test_health_is_open_and_details_need_the_token(api):
    open_health = api.get("/v1/health").json()
    assert open_health["name"] == "talkrig" and open_health["version"] == __version__
    assert open_health["auth_required"] is True and open_health["authorized"] is False
    assert "failed_plugins" not in open_health and "limits" in open_health
    full = api.get("/v1/health", headers=AUTH).json()
    assert full["authorized"] is True
    assert full["generators"] == ["scripted"]
    assert full["failed_plugins"] == [{"group": "talkrig.generators", "name": "broken",
                                       "error": "ModuleNotFoundError: No module named 'nowhere'"}]
    assert full["jobs"]["workers"] == 1
    submit(api, job_options())
    loaded = api.get("/v1/health", headers=AUTH).json()["loaded_models"]
    assert loaded == [{"name": "scripted", "needs_model": False, "needs_data": False}]


def test_backends_list_option_schemas(api):
    body = api.get("/v1/backends", headers=AUTH).json()
    by_name = {g["name"]: g for g in body["generators"]}
    assert by_name["broken"]["available"] is False and "nowhere" in by_name["broken"]["error"]
    options = {o["name"]: o for o in by_name["scripted"]["options"]}
    assert options["mode"]["choices"] == ["ok", "fail", "crash", "block"]
    assert options["amplitude"]["max"] == 1.0
    assert body["defaults"]["fps"] == 30.0


def test_openapi_docs_are_served(api):
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/result",
                 "/v1/jobs/{job_id}/result/motion", "/v1/backends", "/v1/health"):
        assert path in paths
    body = paths["/v1/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert set(body["schema"]["properties"]) == {"audio", "options"}


# -- authentication ----------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("get", "/v1/backends"), ("post", "/v1/jobs"), ("get", "/v1/jobs/abc"),
    ("get", "/v1/jobs/abc/result"), ("get", "/v1/jobs/abc/result/motion"), ("delete", "/v1/jobs/abc"),
])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_every_endpoint_but_health_needs_the_token(api, method, path, headers):
    answer = getattr(api, method)(path, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "token" in answer.json()["detail"]


def test_no_token_setting_turns_auth_off(tmp_path):
    with serve(tmp_path, token=None) as client:
        assert client.get("/v1/backends").status_code == 200
        assert client.get("/v1/health").json()["auth_required"] is False


# -- bad input ---------------------------------------------------------------------------------

def test_upload_over_the_limit_is_413(tmp_path):
    with serve(tmp_path, max_upload_bytes=32 * 1024) as client:
        answer = submit(client, job_options(), audio=wav_bytes(2.0))  # 64 KB
        assert answer.status_code == 413
        assert "limit" in answer.json()["detail"]
        assert submit(client, job_options(), audio=wav_bytes(0.6)).status_code == 202


def test_not_multipart_is_415(api):
    answer = api.post("/v1/jobs", content=WAV, headers={**AUTH, "Content-Type": "audio/wav"})
    assert answer.status_code == 415 and "multipart/form-data" in answer.json()["detail"]


@pytest.mark.parametrize("files,needle", [
    ({"options": (None, "{}", "application/json")}, "no 'audio'"),
    ({"audio": ("a.wav", WAV), "extra": (None, "x")}, "unexpected form part 'extra'"),
    ({"audio": ("a.wav", b"")}, "no 'audio'"),
])
def test_malformed_form_is_422(api, files, needle):
    answer = api.post("/v1/jobs", files=files, headers=AUTH)
    assert answer.status_code == 422 and needle in answer.json()["detail"]


@pytest.mark.parametrize("raw,needle,valid", [
    ("{not json", "not valid JSON", None),
    ("[1, 2]", "must be a JSON object", None),
    ('{"backend": "scripted", "colour": "red"}', "unknown option 'colour'", "backend"),
    ('{"backend": "nope"}', "unknown generator 'nope'", "scripted"),
    ('{"backend": "broken"}', "unavailable", "scripted"),
    ('{"backend": "scripted", "backend_options": {"speed": 2}}', "no option 'speed'", "mode"),
    ('{"backend": "scripted", "backend_options": {"mode": "dance"}}', "must be one of", "mode"),
    ('{"backend": "scripted", "backend_options": {"amplitude": 5}}', "must be <= 1.0", "mode"),
    ('{"backend": "scripted", "seed": -1}', "'seed'", None),
    ('{"backend": "scripted", "seed": "7"}', "'seed'", None),
    ('{"backend": "scripted", "fps": 0}', "'fps'", None),
    ('{"backend": "scripted", "fps": 1e9}', "option 'fps' must be a frame rate from 0.01 to "
                                            "240, got 1000000000.0", None),
    ('{"backend": "scripted", "fps": true}', "option 'fps' must be a frame rate", None),
    ('{"backend": "scripted", "seed": 4294967296}', "option 'seed' must be a whole number from 0 "
                                                    "to 4294967295, got 4294967296", None),
    ('{"backend": "scripted", "seed": 1208925819614629174706176}', "'seed'", None),
    ('{"backend": "scripted", "seed": 1.5}', "'seed'", None),
    ('{"backend": "scripted", "speech": "whisper"}', "'speech' must be one of auto, none", "auto"),
    ('{"backend": "scripted", "transcript": 5}', "'transcript' must be text", None),
    ('{"backend": "scripted", "words_only": "yes"}', "'words_only' must be true or false", None),
])
def test_bad_options_are_422_with_valid_values(api, raw, needle, valid):
    answer = submit(api, raw_options=raw)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert needle in body["detail"]
    if valid:
        assert valid in body["valid"]
    assert api.pipeline.calls == []


@pytest.mark.parametrize("audio,needle", [
    (b"this is not a recording at all", "not an audio file"),
    (WAV[: len(WAV) // 2], "truncated"),
    (WAV[:30], "the wav file is damaged or truncated: its header ends inside the format chunk"),
    (WAV[:24] + bytes(4) + WAV[28:], "its header gives a sample rate of 0 Hz"),
    (wav_bytes(0.2), "at least 0.5 s"),
])
def test_bad_audio_is_422_with_the_decoders_reason(api, audio, needle):
    answer = submit(api, job_options(), audio=audio, filename="take.wav")
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("take.wav: ") and needle in detail


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE))
def test_a_rate_no_voice_has_is_422_not_a_job(api, case):
    """The audit's 2.4 KB wav at 2 Hz claiming ten minutes was accepted (202) and generated."""
    data, refusal = implausible_wav(case)
    answer = submit(api, job_options(), audio=data, filename="odd.wav")
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"odd.wav: {refusal}")
    assert api.pipeline.calls == []  # no job was made


def test_audio_over_the_length_limit_is_422(tmp_path):
    with serve(tmp_path, max_audio_seconds=1.5) as client:
        answer = submit(client, job_options(), audio=wav_bytes(2.0))
        assert answer.status_code == 422 and "limit" in answer.json()["detail"]


def test_unknown_job_is_404(api):
    for method, path in (("get", "/v1/jobs/0123"), ("delete", "/v1/jobs/0123"),
                         ("get", "/v1/jobs/0123/result"), ("get", "/v1/jobs/0123/result/motion")):
        answer = getattr(api, method)(path, headers=AUTH)
        assert answer.status_code == 404 and "no job 0123" in answer.json()["detail"]


# -- failures, cancel, queue, expiry -----------------------------------------------------------

def test_failed_jobs_report_why_and_the_server_keeps_serving(api):
    refused = submit(api, job_options("fail")).json()["id"]
    crashed = submit(api, job_options("crash")).json()["id"]
    assert wait_state(api, refused)["error"] == "the generator refused this audio"
    status = wait_state(api, crashed)
    assert status["state"] == "failed" and "ZeroDivisionError" in status["error"]
    answer = api.get(f"/v1/jobs/{crashed}/result", headers=AUTH)
    assert answer.status_code == 409 and "failed" in answer.json()["detail"]
    again = submit(api, job_options()).json()["id"]
    assert wait_state(api, again)["state"] == "done"
    assert api.get("/v1/health").status_code == 200


def test_cancel_is_idempotent_and_leaves_no_result(api):
    job_id = submit(api, job_options("block")).json()["id"]
    wait_for(api.pipeline.started.is_set)
    assert api.get(f"/v1/jobs/{job_id}/result", headers=AUTH).status_code == 409
    first = api.delete(f"/v1/jobs/{job_id}", headers=AUTH)
    assert first.status_code == 200 and first.json()["cancel_requested"] is True
    assert wait_state(api, job_id)["state"] == "cancelled"
    second = api.delete(f"/v1/jobs/{job_id}", headers=AUTH)
    assert second.status_code == 200 and second.json()["state"] == "cancelled"
    answer = api.get(f"/v1/jobs/{job_id}/result/motion", headers=AUTH)
    assert answer.status_code == 409 and "cancelled" in answer.json()["detail"]


def test_a_status_asked_with_a_wait_comes_when_the_job_ends(api):
    """GET /v1/jobs/ID?wait=S holds the answer until the job ends (a client asking again at
    once sees the end as it happens), or S seconds with the job still running; a wait the
    server does not allow is one clear 422."""
    job_id = submit(api, job_options("block")).json()["id"]
    wait_for(api.pipeline.started.is_set)
    start = time.monotonic()
    held = api.get(f"/v1/jobs/{job_id}?wait=0.3", headers=AUTH)
    assert held.status_code == 200 and held.json()["state"] == "running"
    assert time.monotonic() - start >= 0.3  # it was held for the wait
    threading.Timer(0.2, api.pipeline.release.set).start()
    start = time.monotonic()
    ended = api.get(f"/v1/jobs/{job_id}?wait=10", headers=AUTH)
    assert ended.json()["state"] == "done" and time.monotonic() - start < 9  # at the end, not after 10 s
    for wait, needle in (("11", "less than or equal to 10"), ("-1", "greater than or equal to 0"),
                         ("soon", "valid number")):
        answer = api.get(f"/v1/jobs/{job_id}?wait={wait}", headers=AUTH)
        assert answer.status_code == 422 and answer.json()["detail"].startswith("query.wait: ")
        assert needle in answer.json()["detail"]


def test_full_queue_is_503_with_retry_after(api):
    submit(api, job_options("block"))
    wait_for(api.pipeline.started.is_set)
    waiting = [submit(api, job_options()).status_code for _ in range(2)]
    assert waiting == [202, 202]
    answer = submit(api, job_options())
    assert answer.status_code == 503
    assert int(answer.headers["retry-after"]) >= 1 and "busy" in answer.json()["detail"]
    api.pipeline.release.set()
    assert api.get("/v1/health", headers=AUTH).json()["jobs"]["totals"]["submitted"] == 3


def test_results_are_freed_after_their_time_to_live(tmp_path):
    with serve(tmp_path, result_ttl=0.3) as client:
        job_id = submit(client, job_options()).json()["id"]
        wait_state(client, job_id)
        wait_for(lambda: client.get(f"/v1/jobs/{job_id}", headers=AUTH).status_code == 404)
        answer = client.get(f"/v1/jobs/{job_id}/result", headers=AUTH)
        assert answer.status_code == 404 and "freed" in answer.json()["detail"]


# -- paths stay inside the data folder ---------------------------------------------------------

@pytest.mark.parametrize("value", ["../outside.json", "/etc/passwd", "~/.ssh/id_rsa",
                                   "sub/../../outside.json", "escape/x.json"])
def test_paths_outside_the_data_folder_are_refused(tmp_path, value):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "outside.json").write_text("{}")
    os.symlink(tmp_path, data / "escape")  # a link that leads out is refused too
    with serve(tmp_path) as client:
        for options in ({**job_options(), "keyposes": value},
                        job_options(library=value)):
            answer = submit(client, options)
            assert answer.status_code == 422, (options, answer.text)
            assert "outside the server's data folder" in answer.json()["detail"]
        assert client.pipeline.calls == []


KEYPOSES = {"entries": [{"words": ["hello"], "pose": {"right_elbow": [0.0, 0.0, 1.0]}}]}


def test_paths_inside_the_data_folder_are_resolved_there(tmp_path):
    data = tmp_path / "data"
    (data / "keyposes").mkdir(parents=True)
    (data / "keyposes" / "mine.json").write_text(json.dumps(KEYPOSES))
    (data / "mocap" / "scott").mkdir(parents=True)
    with serve(tmp_path) as client:
        options = {**job_options(library="mocap/scott"), "keyposes": "keyposes/mine.json"}
        job_id = submit(client, options).json()["id"]
        wait_state(client, job_id)
        sent = client.pipeline.calls[-1]
        assert sent.keyposes == str((data / "keyposes" / "mine.json").resolve())
        assert sent.backend_options["library"] == str((data / "mocap" / "scott").resolve())
        job_id = submit(client, {**job_options(), "keyposes": KEYPOSES}).json()["id"]
        wait_state(client, job_id)
        assert client.pipeline.calls[-1].keyposes == KEYPOSES


@pytest.mark.parametrize("value,needle", [
    ({"entries": [{"words": ["hi"]}]}, "give exactly one of 'pose'"),
    ("missing.json", "no such key-pose dictionary"),
    ("bad.json", "not valid JSON"),
    ("deep.json", "nested too deep to read"),
    (42, "option 'keyposes' must be"),
])
def test_bad_key_pose_dictionaries_are_422_before_the_job(tmp_path, value, needle):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bad.json").write_text("{oops")
    (tmp_path / "data" / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with serve(tmp_path) as client:
        answer = submit(client, {**job_options(), "keyposes": value})
        assert answer.status_code == 422 and needle in answer.json()["detail"]
        assert str(tmp_path) not in answer.json()["detail"]  # the server's folders stay private


def test_initial_pose_is_checked_and_passed_on(api):
    pose = [[0.0, 0.1, 0.0]] * 55
    job_id = submit(api, {**job_options(), "initial_pose": pose}).json()["id"]
    wait_state(api, job_id)
    assert api.pipeline.calls[-1].initial_pose.shape == (55, 3)
    for bad in ([[0.0, 0.0, 0.0]] * 54, "rest", [[0, 0, 0]] * 54 + [["NaN", 0, 0]]):
        answer = submit(api, {**job_options(), "initial_pose": bad})
        assert answer.status_code == 422 and "initial_pose" in answer.json()["detail"]


def test_calm_is_checked_and_passed_on(api):
    job_id = submit(api, {**job_options(), "calm": 0.25}).json()["id"]
    wait_state(api, job_id)
    assert api.pipeline.calls[-1].calm == 0.25
    for bad in (1.5, -0.1, "lots", True, None):
        answer = submit(api, {**job_options(), "calm": bad})
        assert answer.status_code == 422 and "calm" in answer.json()["detail"]


def test_inline_key_poses_reach_the_real_pipeline_as_a_file_that_is_removed(tmp_path, monkeypatch):
    from talkrig.inference.generation import pipeline
    from talkrig.inference.generation.pipeline import GenerateOptions
    from talkrig.inference.server.generate_jobs import pipeline_generate

    seen = {}

    def fake(audio, options, progress=None, cancelled=None):
        seen["path"] = options.keyposes
        seen["data"] = json.loads(open(options.keyposes).read())
        return "result"

    monkeypatch.setattr(pipeline, "generate", fake)
    out = pipeline_generate(None, GenerateOptions(keyposes=KEYPOSES), scratch=tmp_path / "tmp")
    assert out == "result" and seen["data"] == KEYPOSES
    assert seen["path"].startswith(str(tmp_path / "tmp"))
    assert not os.path.exists(seen["path"])


# -- logs --------------------------------------------------------------------------------------

def test_one_log_line_per_request_and_per_job(api, caplog):
    caplog.set_level(logging.INFO, logger="talkrig")
    job_id = submit(api, job_options()).json()["id"]
    wait_state(api, job_id)
    lines = [r.getMessage() for r in caplog.records]
    requests = [line for line in lines if line.startswith("request method=POST path=/v1/jobs ")]
    assert len(requests) == 1 and "status=202" in requests[0] and "duration_ms=" in requests[0]
    jobs = [line for line in lines if line.startswith(f"job id={job_id} ")]
    assert len(jobs) == 1 and "state=done" in jobs[0] and "duration_s=" in jobs[0]
