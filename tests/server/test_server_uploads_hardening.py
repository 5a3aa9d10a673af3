"""Capture and render uploads that try to exhaust or escape the server: long or huge videos,
hostile file names, renderer folders outside the data folder, oversized cameras, a full disk,
and what a killed server leaves behind. Each gets a 4xx (or its job a failure) with a message
that names no server path, nothing is left in the data folder, and the server serves on.

The real app, multipart reader, job runners and capture and render code; videos made here
with PyAV.
"""

import errno
import json
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
from fastapi.testclient import TestClient
from support.server_fakes import ScriptedPipeline, wait_for

from talkrig.inference.capture.video import read_audio
from talkrig.inference.server import capture_jobs
from talkrig.inference.server.app import create_app
from talkrig.inference.server.capture_jobs import upload_suffix
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion import Motion
from talkrig.motion.npz import npz_bytes
from talkrig.plugins.neural.modeldir import ModelError, model_file

TOKEN = "uploads-hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path / "data", workers=1, queue_depth=2,
                              max_audio_seconds=20.0)
    with TestClient(create_app(settings, generate=ScriptedPipeline()),
                    base_url="http://127.0.0.1:8765") as client:
        client.data_dir = settings.data_dir
        yield client


def left_in(data_dir):
    """Files and folders left in the server's scratch folder."""
    folder = data_dir / "tmp"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def healthy(client):
    return client.get("/v1/health").status_code == 200


def capture(client, video, filename="me.mp4", options=None):
    files = {"video": (filename, video, "video/mp4")}
    data = {"options": json.dumps(options)} if options else {}
    return client.post("/v1/capture", files=files, data=data, headers=AUTH)


def failed_capture(client, video, filename="me.mp4", options=None):
    """The error of a capture job that must fail."""
    r = capture(client, video, filename, options)
    assert r.status_code == 202, r.text

    def over():
        status = client.get(f"/v1/capture/{r.json()['id']}", headers=AUTH).json()
        return status if status["state"] in ("done", "failed", "cancelled") else None

    status = wait_for(over, timeout=120)
    assert status["state"] == "failed", status
    return status["error"]


def make_video(path, frames, fps=30, codec="mpeg4", pix_fmt="yuv420p", audio=None, rate=16000,
               audio_codec="pcm_s16le"):
    """Write frames ((T, H, W, 3) uint8) and mono audio in packets of 1024 samples."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        sound = None
        if audio is not None:
            sound = out.add_stream(audio_codec, rate=rate)
            sound.layout = "mono"
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format=pix_fmt)))
        out.mux(stream.encode())
        if sound is not None:
            pcm = (np.asarray(audio, np.float32) * 32767).astype("<i2")
            for i in range(0, len(pcm), 1024):
                frame = av.AudioFrame.from_ndarray(pcm[None, i:i + 1024], format="s16", layout="mono")
                frame.sample_rate, frame.pts = rate, i
                out.mux(sound.encode(frame))
            out.mux(sound.encode())


def video_bytes(tmp_path, frames, suffix=".mkv", **kw):
    path = tmp_path / f"made{suffix}"
    make_video(path, frames, **kw)
    return path.read_bytes()


# -- capture -------------------------------------------------------------------------------------

def test_a_soundtrack_far_longer_than_the_span_is_decoded_only_over_the_span(tmp_path):
    # 3 s of picture, 20 minutes of (silent) sound: only the span asked for is held
    path = tmp_path / "long.mkv"
    make_video(path, np.zeros((3, 16, 16, 3), np.uint8), fps=1, audio=np.zeros(20 * 60 * 8000, np.float32),
               rate=8000)
    tracemalloc.start()
    try:
        sound = read_audio(path, 0.5, 2.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(sound) == 32000
    assert peak < 16e6, peak  # the whole track at 16 kHz would be 77 MB, held twice


@pytest.mark.parametrize("make, said", [
    (lambda t: video_bytes(t, np.zeros((2, 2304, 4096, 3), np.uint8), audio=np.zeros(32000, np.float32)),
     "its pictures are 4096x2304; capture reads at most 3840x2160"),
    (lambda t: video_bytes(t, np.zeros((25, 16, 16, 3), np.uint8), fps=1, audio=np.zeros(25 * 16000, np.float32)),
     "25 s of video to capture, at most 20 s are taken at once"),
    (lambda t: video_bytes(t, np.zeros((90, 32, 32, 3), np.uint8), suffix=".gif", codec="gif", pix_fmt="rgb8"),
     "has no sound track"),
    (lambda t: video_bytes(t, np.zeros((1, 16, 16, 3), np.uint8), audio=np.zeros(16000, np.float32)),
     "too short"),
    (lambda t: b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000, "not a video FFmpeg can read"),
], ids=["4096x2304", "25 s", "gif as mp4", "one frame", "not a video"])
def test_videos_that_cannot_be_captured_fail_with_the_reason_and_leave_nothing(server, tmp_path, make, said):
    error = failed_capture(server, make(tmp_path), filename="talk.mp4")
    assert said in error and error.startswith("the video 'talk': ")
    assert str(server.data_dir) not in error and "upload-" not in error  # no server path
    wait_for(lambda: left_in(server.data_dir) == [])
    assert healthy(server)


@pytest.mark.parametrize("filename", [
    "talk.mp\x004", "talk." + "x" * 300, "../../talk.mp4", "..\\..\\talk.mp4", "talk.mp4/..", "\x00",
])
def test_hostile_upload_names_are_stored_under_a_plain_name(server, filename):
    r = capture(server, b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 500, filename=filename)
    assert r.status_code == 202, r.text
    wait_for(lambda: server.get(f"/v1/capture/{r.json()['id']}", headers=AUTH).json()["state"] == "failed")
    wait_for(lambda: left_in(server.data_dir) == [])
    assert not (server.data_dir.parent / "talk.mp4").exists()


@pytest.mark.parametrize("filename, suffix", [
    ("a.MP4", ".mp4"), ("clip.webm", ".webm"), ("a.mp\x004", ".video"), ("a." + "x" * 300, ".video"),
    ("x/../../b.mov", ".mov"), ("noext", ".video"), ("a.mp4\\..", ".video"), ("", ".video"),
])
def test_upload_suffixes_are_short_and_plain(filename, suffix):
    assert upload_suffix(filename) == suffix


def test_an_upload_the_disk_cannot_hold_is_507_and_leaves_nothing(server, monkeypatch):
    real = capture_jobs.tempfile.NamedTemporaryFile

    def full_disk(*args, **kwargs):
        handle = real(*args, **kwargs)

        class Half:
            name = handle.name

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, data):
                handle.write(bytes(data[: len(data) // 2]))
                handle.flush()
                raise OSError(errno.ENOSPC, "No space left on device")

        return Half()

    monkeypatch.setattr(capture_jobs.tempfile, "NamedTemporaryFile", full_disk)
    r = capture(server, b"\x01" * 200000)
    assert r.status_code == 507 and "cannot store this" in r.json()["detail"]
    assert "No space left on device" in r.json()["detail"]
    assert left_in(server.data_dir) == []
    assert healthy(server)


def test_what_a_killed_server_left_in_its_scratch_folder_is_removed_at_start(tmp_path):
    scratch = tmp_path / "data" / "tmp"
    (scratch / "capture-abc123").mkdir(parents=True)
    (scratch / "capture-abc123" / "talk.npz").write_bytes(b"partial")
    for name in ("upload-x1.mp4", "render-y2.mp4", ".render-y2.partial-812.mp4",
                 "keyposes-z3.json", "my notes.txt", ".my notes.partial-1.txt"):
        (scratch / name).write_bytes(b"left behind")
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path / "data", workers=1)
    with TestClient(create_app(settings, generate=ScriptedPipeline()), base_url="http://127.0.0.1:8765") as client:
        # only what jobs write goes
        assert left_in(settings.data_dir) == [".my notes.partial-1.txt", "my notes.txt"]
        assert healthy(client)


def test_the_landmark_librarys_first_import_pins_nothing_of_the_capture(tmp_path):
    # in a fresh process, as a server's first capture would meet it
    script = textwrap.dedent("""
        import gc, weakref
        import numpy as np
        from talkrig.plugins.landmarks.mediapipe.mediapipe_holistic import MediapipeHolistic

        class Frames: pass

        def first_capture():
            frames = Frames()  # stands for the capture's frames, sound and upload
            detector = MediapipeHolistic()
            detector.detect(np.zeros((64, 64, 3), np.uint8))
            detector.close()
            return weakref.ref(frames)

        held = first_capture()
        gc.collect()
        print("PINNED" if held() is not None else "FREE")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "FREE", out.stdout + out.stderr[-2000:]


# -- render --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def take():
    motion = Motion(poses=np.zeros((30, 55, 3), np.float32), trans=np.zeros((30, 3), np.float32), fps=30.0)
    return npz_bytes(motion)


def render(client, motion, options):
    files = {"motion": ("take.npz", motion, "application/octet-stream"),
             "options": (None, json.dumps(options), "application/json")}
    return client.post("/v1/render", files=files, headers=AUTH)


def trained_renderer(folder, backend="skeleton"):
    folder.mkdir(parents=True)
    (folder / "talkrig_model.json").write_text(json.dumps({"backend": backend}))
    return folder


def test_renderer_folders_outside_the_data_folder_get_one_message(server, take, tmp_path):
    outside = trained_renderer(tmp_path / "elsewhere")
    (server.data_dir / "models").mkdir(parents=True)
    answers = set()
    for spec in (str(outside), str(tmp_path / "missing"), "../elsewhere", "models/../../elsewhere",
                 "~/elsewhere", "/etc", "models/../../../../etc", "no/such/folder"):
        r = render(server, take, {"renderer": spec})
        assert r.status_code == 422, (spec, r.text)
        answers.add(r.json()["detail"].replace(repr(spec[:120]), "SPEC"))
    assert len(answers) == 1  # nothing tells which of these exist
    assert "nor a trained renderer's folder in the server's data folder" in answers.pop()
    assert left_in(server.data_dir) == [] and healthy(server)


def test_a_renderer_folder_inside_the_data_folder_is_found_there_not_in_the_working_folder(
        server, take, tmp_path, monkeypatch):
    trained_renderer(server.data_dir / "models" / "mine")
    monkeypatch.chdir(tmp_path)  # no models/mine here
    r = render(server, take, {"renderer": "models/mine"})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    status = wait_for(lambda: (s := server.get(f"/v1/render/{job}", headers=AUTH).json())["state"] in
                      ("done", "failed") and s)
    # the folder reached the renderer (the skeleton takes none: it says so, naming the folder found)
    assert str(server.data_dir.resolve() / "models" / "mine") in status["error"]


def test_a_link_out_of_the_data_folder_is_refused_like_a_path_outside(server, take, tmp_path):
    outside = trained_renderer(tmp_path / "elsewhere")
    server.data_dir.mkdir(parents=True, exist_ok=True)
    (server.data_dir / "linked").symlink_to(outside)
    r = render(server, take, {"renderer": "linked"})
    assert r.status_code == 422 and "nor a trained renderer's folder" in r.json()["detail"]


@pytest.mark.parametrize("linked", ["talkrig_model.json", "camera.json", "graphs/g.onnx"])
def test_a_renderer_folder_holding_a_link_out_of_the_data_folder_is_refused(
        server, take, tmp_path, linked):
    folder = trained_renderer(server.data_dir / "models" / "mine")
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"backend": "skeleton"}))
    link = folder / linked
    link.parent.mkdir(exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    r = render(server, take, {"renderer": "models/mine"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert f"models/mine/{linked} is a link to a file outside the server's data folder" in detail
    assert str(tmp_path) not in detail
    assert left_in(server.data_dir) == [] and healthy(server)


def test_a_scratch_folder_that_is_a_link_is_refused_and_what_it_leads_to_kept(tmp_path, capfd):
    """Uploads are written, read and removed in DATA/tmp: were it a link, all of that would
    happen wherever it leads (a start would remove upload-* files there)."""
    from talkrig import cli
    from talkrig.inference.server.scratch import clear_leftovers

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "upload-mine.mp4").write_bytes(b"not the server's")
    data = tmp_path / "data"
    data.mkdir()
    (data / "tmp").symlink_to(elsewhere)
    assert clear_leftovers(data) == 0
    code = cli.main(["serve", "--port", "0", "--no-token", "--data-dir", str(data)])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "must be a folder of the data folder" in err[0], err
    assert (elsewhere / "upload-mine.mp4").read_bytes() == b"not the server's"


@pytest.mark.parametrize("width, height", [(4096, 4096), (2050, 100), (100, 3000)])
def test_a_camera_larger_than_the_render_limit_is_422(server, take, width, height):
    camera = {"width": width, "height": height, "focal": 1000.0,
              "world_from_camera": np.eye(4).tolist(), "world_from_motion": np.eye(4).tolist()}
    r = render(server, take, {"camera": camera})
    assert r.status_code == 422 and "at most 2048 pixels a side" in r.json()["detail"], r.text


def test_a_take_over_the_length_limit_is_refused_before_it_is_resampled(server, monkeypatch):
    import importlib

    resample_module = importlib.import_module("talkrig.motion.resample")

    def never(*args, **kwargs):
        raise AssertionError("resampled a take that is refused anyway")

    monkeypatch.setattr(resample_module, "resample", never)
    long = Motion(poses=np.zeros((25 * 30, 55, 3), np.float32), trans=np.zeros((25 * 30, 3), np.float32), fps=30.0)
    r = render(server, npz_bytes(long), {"fps": 120})
    assert r.status_code == 422 and "the take is 25 s long; this server renders at most 20 s" in r.json()["detail"]


# -- files a model folder names ------------------------------------------------------------------

def test_model_files_must_be_regular_files_inside_their_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "g.onnx").write_bytes(b"graph")
    (tmp_path / "outside.onnx").write_bytes(b"graph")
    (folder / "out.onnx").symlink_to(tmp_path / "outside.onnx")
    import os

    os.mkfifo(folder / "fifo.onnx")
    assert model_file(folder, "g.onnx") == folder.resolve() / "g.onnx"
    for name, said in ((str(tmp_path / "outside.onnx"), "not a file inside the model folder"),
                       ("../outside.onnx", "not a file inside the model folder"),
                       ("out.onnx", "not a file inside the model folder"),
                       ("fifo.onnx", "not a regular file"), (7, "not a file inside")):
        with pytest.raises(ModelError, match=said):
            model_file(folder, name, "graph")


def test_a_vid2vid_folder_naming_a_graph_outside_it_is_refused_before_loading(tmp_path):
    from talkrig.plugins.renderers.vid2vid.renderer import Vid2VidRenderer

    (tmp_path / "evil.onnx").write_bytes(b"not loaded")
    folder = tmp_path / "renderer"
    folder.mkdir()
    (folder / "talkrig_model.json").write_text(json.dumps({
        "format": "talkrig-model", "format_version": 1, "backend": "vid2vid", "size": [64, 64],
        "graphs": {"generator": str(tmp_path / "evil.onnx")}, "reference": "r.npy",
        "reference_label": "l.npy"}))
    with pytest.raises(ModelError, match="not a file inside the model folder"):
        Vid2VidRenderer(folder)
