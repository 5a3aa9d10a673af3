"""A real `talkrig serve` process on loopback for fault tests: started on a free port with its
own data folder, optionally under a limit on the size of every file it writes (RLIMIT_FSIZE:
writes past it fail with EFBIG, as on a full disk), killed with SIGKILL or stopped.

    with ServeProcess(tmp_path / "data") as server:
        job = server.client.submit_render("take.npz")
"""

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from talkrig.client.http_client import Client


class ServeProcess:
    """data_dir: the server's data folder; file_limit: the largest file (bytes) it may write;
    args: more `talkrig serve` options (default --no-token)."""

    def __init__(self, data_dir, file_limit=None, args=("--no-token",), timeout=120):
        self.data_dir = Path(data_dir)
        home = self.data_dir.parent
        env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"),
                   XDG_DATA_HOME=str(home / "share"), PYTHONUNBUFFERED="1")

        def limit_files():
            if file_limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

        self.process = subprocess.Popen(
            [sys.executable, "-m", "talkrig", "serve", "--port", "0", "--workers", "1",
             "--data-dir", str(self.data_dir), *args],
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, text=True, preexec_fn=limit_files)
        self.lines = []
        self._started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._started.wait(timeout)
        if not self._started.is_set():
            self.kill()
            raise RuntimeError("talkrig serve did not start:\n" + self.log())
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", self.log()).group(1))
        self.url = f"http://127.0.0.1:{port}"
        self.client = Client(self.url, token="", timeout=30)

    def _read(self):
        for line in self.process.stderr:  # drained all along: a full pipe would block the server
            self.lines.append(line)
            if "startup complete" in line:
                self._started.set()
        self._started.set()  # it ended: __init__ reports what it said

    def log(self):
        return "".join(self.lines)

    def peak_memory(self):
        """The process's peak resident memory so far (VmHWM), in bytes."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024

    def kill(self):
        """SIGKILL, as a crash or the kernel's OOM killer would end it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def wait_for_state(status, states, timeout=120, interval=0.02):
    """Poll ``status()`` until its state is one of ``states``; the last status."""
    deadline = time.monotonic() + timeout
    while True:
        answer = status()
        if answer["state"] in states or time.monotonic() > deadline:
            return answer
        time.sleep(interval)
