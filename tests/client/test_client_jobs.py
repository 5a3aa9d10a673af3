"""``client.jobs(kind)``: the same five calls (submit, status, cancel, wait, result) drive
generation, capture and render jobs on the real app served on a loopback port; stand-ins do the
work. The per-kind names of before (``submit_capture``, ``render_status``, ...) still answer."""

import io
import zipfile

import numpy as np
import pytest
from support.server_fakes import LiveServer, fake_entries, wav_bytes

from talkrig.client.http_client import Client
from talkrig.inference.registry import PluginEntry
from talkrig.inference.server.capture_jobs import CaptureJobResult
from talkrig.inference.server.catalog import Catalog
from talkrig.inference.server.render_jobs import RenderJobResult
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion import Motion
from talkrig.motion.npz import npz_bytes, read_npz

TOKEN = "jobs-test-token"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 2000
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x02" * 100


def capture(video, options, progress=None, cancelled=None):
    """A capture stand-in: one take named as asked, holding the uploaded video's size."""
    progress("landmarks", 0.5)
    size = len(video.path.read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{options.name}.npz", b"PK" + bytes(size % 7))
    return CaptureJobResult(archive=buffer.getvalue(), n_frames=size,
                            takes=[{"name": options.name, "n_frames": size, "seconds": 1.0,
                                    "posture": "standing", "shot": 1}], shots=[])


def render(request, progress=None, cancelled=None):
    """A render stand-in: an 'MP4' that says how long the speech sent with the take was."""
    progress("render", 0.5)
    seconds = request.audio.duration if request.audio is not None else 0.0
    return RenderJobResult(video=MP4, n_frames=request.motion.n_frames, fps=request.motion.fps,
                           size=(round(seconds * 100), 1), renderer=request.renderer)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path_factory.mktemp("data"), workers=1,
                              queue_depth=2)
    skeleton = PluginEntry(name="skeleton", target="tests:Skeleton", plugin=object)
    catalog = Catalog(generators=fake_entries(), speech={}, renderers={"skeleton": skeleton})
    with LiveServer(settings, catalog=catalog, capture=capture, render=render) as live:
        yield live


@pytest.fixture
def client(server):
    return Client(server.url, token=TOKEN, timeout=5)


def finished(jobs, job_id):
    status = jobs.wait(job_id, interval=0.02, timeout=30)
    assert status["state"] == "done", status
    return status


def test_generate(client):
    jobs = client.jobs("generate")
    job_id = jobs.submit(wav_bytes(1.0), {"backend": "scripted", "seed": 4})
    status = finished(jobs, job_id)
    assert status["backend"] == "scripted" and status["seed"] == 4
    out = jobs.result(job_id)
    assert read_npz(out.npz).n_frames == out.info["n_frames"] == 30
    assert out.words[0]["word"] == "hello"
    assert jobs.cancel(job_id)["state"] == "done"  # too late: nothing changes


def test_a_wait_longer_than_the_server_holds_is_asked_within_it(client):
    """A polling interval or wait over the server's cap (10 s) is held for the cap, never a 422."""
    from talkrig.client.http_client import MAX_WAIT
    from talkrig.inference.server.job_routes import MAX_WAIT as SERVER_MAX_WAIT

    assert MAX_WAIT == SERVER_MAX_WAIT
    jobs = client.jobs("generate")
    job_id = jobs.submit(wav_bytes(1.0), {"backend": "scripted"})
    finished(jobs, job_id)
    assert jobs.status(job_id, wait=60)["state"] == "done"
    assert jobs.wait(job_id, interval=30, timeout=60)["state"] == "done"


def test_cancel_a_running_generation(client):
    jobs = client.jobs("generate")
    job_id = jobs.submit(wav_bytes(1.0), {"backend": "scripted",
                                          "backend_options": {"mode": "block"}})
    status = jobs.wait(job_id, interval=0.02, timeout=30, should_stop=lambda: True)
    assert status["state"] == "cancelled" and jobs.status(job_id)["state"] == "cancelled"


def test_capture(client, tmp_path):
    video = tmp_path / "me talking.mp4"
    video.write_bytes(VIDEO)
    jobs = client.jobs("capture")
    job_id = jobs.submit(video, {"name": "talk"})
    assert finished(jobs, job_id)["stage"] == "done"
    info, archive = jobs.result(job_id)
    assert info["takes"][0] == {"name": "talk", "n_frames": len(VIDEO), "seconds": 1.0,
                                "posture": "standing", "shot": 1}
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist() == ["talk.npz"]


def test_render_with_its_speech(client, tmp_path):
    take, speech = tmp_path / "take.npz", tmp_path / "take.wav"
    take.write_bytes(npz_bytes(Motion(poses=np.zeros((12, 55, 3), np.float32),
                                      trans=np.zeros((12, 3)), fps=24.0)))
    speech.write_bytes(wav_bytes(0.5))
    jobs = client.jobs("render")
    job_id = jobs.submit(take, {"renderer": "skeleton"}, audio=speech)
    finished(jobs, job_id)
    info, video = jobs.result(job_id)
    assert video == MP4
    assert (info["n_frames"], info["fps"], info["size"], info["renderer"]) == (12, 24.0, [50, 1],
                                                                                "skeleton")


def test_the_names_of_before_still_answer(client, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(VIDEO)
    job_id = client.submit_capture(video, {"name": "old"})
    assert client.jobs("capture").wait(job_id, interval=0.02)["state"] == "done"
    assert client.capture_status(job_id) == client.jobs("capture").status(job_id)
    assert client.capture_result(job_id)[0]["takes"][0]["name"] == "old"
    assert client.generate(wav_bytes(0.5), {"backend": "scripted"}).info["n_frames"] == 15
    with pytest.raises(ValueError, match="the kinds are generate, capture, render"):
        client.jobs("bake")


def test_a_transcript_given_as_words_goes_as_its_text(client):
    """Words held in Python (an earlier result's Word objects, the dicts `talkrig words --json`
    prints, strings) are sent as the transcript's text, which the server reads back as those
    words; numpy's numbers as numbers; options JSON cannot carry are a ClientError, not a
    TypeError."""
    import json

    from talkrig.client.errors import ClientError
    from talkrig.client.http_client import options_json
    from talkrig.inference.speech.transcripts.formats import read_words
    from talkrig.inference.speech.words import Word

    words = [Word("hello", 0.1, 0.4), Word("there", 0.5, 0.9, 0.8)]
    for given in (words, [w.to_dict() for w in words], [dict(w.to_dict(), start=np.float32(w.start)) for w in words]):
        sent = json.loads(options_json({"transcript": given, "seed": np.int64(4)}))
        assert sent["seed"] == 4
        assert [(w.word, round(w.start, 3)) for w in read_words(sent["transcript"], "w.json")] == [
            ("hello", 0.1), ("there", 0.5)]
    assert json.loads(options_json({"transcript": ["hello", "there"]}))["transcript"] == "hello there"
    for wrong in ({"transcript": [object()]}, ["seed", 4], {"seed": {1, 2}}):
        with pytest.raises(ClientError):
            options_json(wrong)
    jobs = client.jobs("generate")
    finished(jobs, jobs.submit(wav_bytes(1.0), {"backend": "scripted", "transcript": words}))
    with pytest.raises(ClientError, match="the audio part must be a file's path or its bytes, got ndarray"):
        jobs.submit(np.zeros(16000, np.float32), {"backend": "scripted"})  # was sent as raw bytes
