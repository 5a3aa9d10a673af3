"""Real faults on a real `talkrig serve` process: kill -9 in the middle of a capture, a render
and a generation, then a restart on the same data folder; a disk that cannot hold what the
server writes (every file capped with RLIMIT_FSIZE, so writes fail with EFBIG as they would on a
full disk); and the server's peak memory (VmHWM) over whole capture jobs of hostile uploads.

After each fault the data folder's scratch is empty once the server (re)starts, the server
answers, and a job runs to the end.
"""

import json
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
from support.serve_process import ServeProcess, wait_for_state
from support.server_fakes import wav_bytes
from test_server_uploads_hardening import make_video

from talkrig.client.errors import ClientError
from talkrig.client.http_client import Client
from talkrig.motion import Motion
from talkrig.motion.npz import npz_bytes

pytestmark = pytest.mark.slow

OVER = ("done", "failed", "cancelled")
KEYPOSES = {"entries": [{"words": ["hello"], "pose": {"right_elbow": [0.0, 0.0, 1.0]}}]}


def scratch(data):
    folder = data / "tmp"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def take(tmp_path, seconds, name="take.npz", moving=False):
    """A take of ``seconds``: standing still, or every joint turning at random (a render of it
    compresses far less)."""
    frames = int(seconds * 30)
    poses = np.zeros((frames, 55, 3), np.float32)
    if moving:
        poses[:] = np.random.default_rng(0).normal(0.0, 0.6, poses.shape)
    path = tmp_path / name
    path.write_bytes(npz_bytes(Motion(poses=poses,
                                      trans=np.zeros((frames, 3), np.float32), fps=30.0)))
    return path


def black_video(tmp_path, seconds, side=64, audio_seconds=None, fps=15, name="talk.mkv"):
    path = tmp_path / name
    rate = 8000
    make_video(path, np.zeros((int(seconds * fps), side, side, 3), np.uint8), fps=fps,
               audio=np.zeros(int((audio_seconds or seconds) * rate), np.float32), rate=rate)
    return path


def start(kind, client, tmp_path):
    """Submit a job of ``kind`` that runs for a while; (job id, its status function)."""
    if kind == "capture":
        return client.submit_capture(black_video(tmp_path, 15)), client.capture_status
    if kind == "render":
        return (client.submit_render(take(tmp_path, 20), {"size": [320, 240]}),
                client.render_status)
    (tmp_path / "talk.wav").write_bytes(wav_bytes(300.0))
    return (client.submit(tmp_path / "talk.wav", {"backend": "procedural", "speech": "none",
                                                  "keyposes": KEYPOSES}), client.status)


def render_works(server, tmp_path):
    job = server.client.submit_render(take(tmp_path, 1, "short.npz"), {"size": [64, 64]})
    return wait_for_state(lambda: server.client.render_status(job), OVER)


def test_a_server_starts_without_warnings_on_its_console(tmp_path):
    """What `talkrig serve` prints at start is its own: its address, token file and data
    folder, and the web server's start lines; no library's deprecation notice."""
    with ServeProcess(tmp_path / "data") as server:
        assert server.client.health()["status"] == "ok"
        said = server.log()
    assert "talkrig server on http://127.0.0.1:" in said
    assert "Warning" not in said and "deprecated" not in said, said


@pytest.mark.parametrize("kind", ["capture", "render", "generate"])
def test_a_server_killed_mid_job_leaves_nothing_once_restarted(tmp_path, kind):
    data = tmp_path / "data"
    with ServeProcess(data) as server:
        job, status = start(kind, server.client, tmp_path)
        def midway():  # a quarter done, and what it writes is in the scratch folder
            now = status(job)
            busy = now["state"] == "running" and (now["progress"] or 0) >= 0.25 and scratch(data)
            return {**now, "state": "midway" if busy else now["state"]}

        assert wait_for_state(midway, ("midway", *OVER))["state"] == "midway"
        left = scratch(data)
        server.kill()
    assert scratch(data) == left  # what the killed job was writing
    with ServeProcess(data) as again:
        assert scratch(data) == []
        assert again.client.health()["name"] == "talkrig"
        assert render_works(again, tmp_path)["state"] == "done"
        assert scratch(data) == []
        assert "Traceback" not in again.log()


def test_a_disk_that_cannot_hold_what_the_server_writes_fails_jobs_cleanly(tmp_path):
    data = tmp_path / "data"
    with ServeProcess(data, file_limit=256 * 1024) as server:
        video = black_video(tmp_path, 20, side=128)  # a video larger than any file may be
        assert video.stat().st_size > 256 * 1024
        with pytest.raises(ClientError) as refused:
            server.client.submit_capture(video)
        assert refused.value.status == 507 and "File too large" in str(refused.value)
        assert scratch(data) == []
        # a render whose video outgrows the limit as it is written
        job = server.client.submit_render(take(tmp_path, 20, moving=True), {"size": [640, 480]})
        failed = wait_for_state(lambda: server.client.render_status(job), OVER)
        assert failed["state"] == "failed" and "File too large" in failed["error"], failed
        assert str(data) not in failed["error"]
        (tmp_path / "talk.wav").write_bytes(wav_bytes(2.0))  # an inline key-pose file fits
        job = server.client.submit(tmp_path / "talk.wav", {"backend": "procedural",
                                                           "speech": "none",
                                                           "keyposes": KEYPOSES})
        assert wait_for_state(lambda: server.client.status(job), OVER)["state"] == "done"
        assert scratch(data) == []
        assert server.client.health()["name"] == "talkrig"
        assert "Traceback" not in server.log()
    with ServeProcess(data) as again:  # room again: the next start works
        assert render_works(again, tmp_path)["state"] == "done"


@pytest.fixture
def small_disk(tmp_path):
    """A real 1 MiB file system (tmpfs): writes past it fail with ENOSPC. Needs root."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a real small disk needs root to mount a tmpfs (the RLIMIT_FSIZE test stands in)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:200]}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_real_full_disk_fails_uploads_and_jobs_cleanly(tmp_path, small_disk):
    data = small_disk / "data"
    with ServeProcess(data) as server:
        video = tmp_path / "talk.mkv"  # its 48 kHz PCM sound is more than the whole disk
        make_video(video, np.zeros((150, 64, 64, 3), np.uint8), fps=15,
                   audio=np.zeros(15 * 48000, np.float32), rate=48000)
        assert video.stat().st_size > 1 << 20
        with pytest.raises(ClientError) as refused:
            server.client.submit_capture(video)
        assert refused.value.status == 507 and "No space left on device" in str(refused.value)
        assert str(data) not in str(refused.value)
        job = server.client.submit_render(take(tmp_path, 20, moving=True), {"size": [640, 480]})
        failed = wait_for_state(lambda: server.client.render_status(job), OVER)
        assert failed["state"] == "failed" and "free space on the server" in failed["error"], failed
        assert str(data) not in failed["error"]
        assert scratch(data) == [] and server.client.health()["name"] == "talkrig"
        assert "Traceback" not in server.log()
    (small_disk / "filler").write_bytes(bytes(shutil.disk_usage(small_disk).free))
    token = small_disk / "token"
    refused = subprocess.run([sys.executable, "-m", "talkrig", "serve", "--port", "0",
                              "--data-dir", str(tmp_path / "elsewhere"), "--token-file", str(token)],
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    err = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(err) == 1, refused.stderr[-2000:]
    assert "No space left on device" in err[0]
    assert sorted(p.name for p in small_disk.iterdir()) == ["data", "filler"]


def test_a_token_file_the_disk_cannot_hold_is_one_line_and_the_next_start_works(tmp_path):
    data = tmp_path / "data"
    token = tmp_path / "token"
    refused = subprocess.run(
        [sys.executable, "-m", "talkrig", "serve", "--port", "0", "--data-dir", str(data),
         "--token-file", str(token)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: __import__("resource").setrlimit(
            __import__("resource").RLIMIT_FSIZE, (8, 8)))
    err = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(err) == 1, refused.stderr[-2000:]
    assert "token" in err[0] and "File too large" in err[0]
    assert not token.exists() and not [p for p in tmp_path.iterdir() if "token" in p.name]
    with ServeProcess(data, args=("--token-file", str(token))) as server:
        secret = token.read_text().strip()
        assert len(secret) >= 40 and stat.S_IMODE(token.stat().st_mode) == 0o600
        assert Client(server.url, token=secret).check()["authorized"]


def test_whole_captures_of_hostile_uploads_stay_under_1_gb(tmp_path):
    """Peak memory of the server process over whole capture jobs: tiny pictures under 20
    minutes of silent sound (refused whole, then its first 3 s captured), and frames of the
    largest size capture reads (3840x2160). The jobs run to their end (nobody is in the
    pictures: they fail there)."""
    data = tmp_path / "data"
    with ServeProcess(data) as server:
        peaks = {}
        long = black_video(tmp_path, 3, side=16, audio_seconds=1200, fps=5, name="long.mkv")
        huge = tmp_path / "huge.mkv"
        make_video(huge, np.zeros((4, 2160, 3840, 3), np.uint8), fps=2,
                   audio=np.zeros(16000, np.float32))
        for name, video, options, said in (
                ("long sound", long, None, "1200 s of video to capture, at most 600 s"),
                ("long sound, 3 s of it", long, {"start": 0.0, "end": 3.0}, "no person found"),
                ("huge frames", huge, None, "no person found")):
            job = server.client.submit_capture(video, options)
            over = wait_for_state(lambda: server.client.capture_status(job), OVER, timeout=300)
            assert over["state"] == "failed" and said in over["error"], over
            peaks[name] = server.peak_memory()
        assert scratch(data) == []
        assert max(peaks.values()) < 1e9, peaks
        print(json.dumps({k: round(v / 2**20) for k, v in peaks.items()}))
