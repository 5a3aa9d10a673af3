"""The local server an earlier Blender session started stays the add-on's to stop: the state
file it wrote is enough to find it, and never leads to ending another program."""

import json
import subprocess
import sys
import time
from pathlib import Path

from talkrig.client.server_process import STATE_FILE, LocalServer


def sleeper(*words):
    """A process that runs until ended; ``words`` show in its command line (once it runs)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", *words])
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 10
    while cmdline.parent.exists() and time.monotonic() < deadline:
        if all(word.encode() in cmdline.read_bytes().split(b"\0") for word in words):
            break
        time.sleep(0.05)
    return process


def record(folder, process, url="http://127.0.0.1:8799"):
    (folder / STATE_FILE).write_text(json.dumps({"url": url, "pid": process.pid, "python": sys.executable}))


def test_a_server_started_in_an_earlier_session_is_found_and_stopped(tmp_path):
    server = sleeper("-m", "talkrig", "serve")
    try:
        record(tmp_path, server)
        local = LocalServer(state_dir=tmp_path)  # a new session: nothing started here
        assert local.adopt() and local.running and local.url == "http://127.0.0.1:8799"
        assert local.stop()
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.poll() is not None
        assert not (tmp_path / STATE_FILE).exists()
    finally:
        server.kill()
        server.wait()


def test_a_recorded_pid_now_used_by_another_program_is_left_alone(tmp_path):
    other = sleeper("editor")
    try:
        record(tmp_path, other)
        local = LocalServer(state_dir=tmp_path)
        assert not local.adopt() and not local.stop()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
    (tmp_path / STATE_FILE).write_text("{not json")
    assert not LocalServer(state_dir=tmp_path).adopt()
