"""Start a local talkrig server as a child process, or reuse one that is already running.

The add-on cannot load the ML code itself (Blender's Python has no torch or onnxruntime), so it
runs ``PYTHON -m talkrig serve`` from an interpreter that has talkrig installed, on a free
loopback port, and remembers it in a small state file so the next Blender session reuses it.
Standard library only.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..userdirs import config_dir
from .http_client import Client, ClientError, read_token

STATE_FILE = "local-server.json"
LOG_FILE = "local-server.log"


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalServer:
    """A talkrig server on this machine that the add-on started, or found running.

    python : the interpreter with talkrig installed (``PYTHON -m talkrig serve``).
    token_file : where the server keeps its token (default: its usual config folder).
    state_dir : where the state file and the server's log go (default: the config folder).
    extra_args : more `talkrig serve` flags, e.g. ("--workers", "2").
    """

    def __init__(self, python=None, host="127.0.0.1", port=None, token_file=None, state_dir=None,
                 extra_args=(), env=None):
        self.python = str(python or sys.executable)
        self.host = host
        self.port = port
        self.token_file = Path(token_file) if token_file else config_dir() / "token"
        self.state_dir = Path(state_dir) if state_dir else config_dir()
        self.extra_args = list(extra_args)
        self.env = env
        self.process = None
        self.pid = None
        self.owned = False  # True when stop() may end the server (we started it)
        self.url = None

    @property
    def state_file(self):
        return self.state_dir / STATE_FILE

    @property
    def log_file(self):
        return self.state_dir / LOG_FILE

    def client(self, timeout=10.0):
        return Client(self.url, token=read_token(self.token_file) or "", timeout=timeout)

    def start(self, timeout=60.0):
        """Reuse a healthy server from the state file, else start one; returns a Client."""
        found = self._reuse()
        if found is not None:
            return found
        last_error = None
        for _ in range(3):  # the free port may be taken between choosing and binding it
            port = self.port or free_port(self.host)
            try:
                return self._spawn(port, timeout)
            except ClientError as exc:
                last_error = exc
                if self.port or "already in use" not in str(exc).lower():
                    raise
        raise last_error

    def stop(self, timeout=10.0):
        """End the server if we own it (started it now or in an earlier session); else do nothing."""
        if not self.owned:
            return False
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        elif self.pid:
            _terminate_pid(self.pid, timeout)
        self._forget()
        self.owned = False
        return True

    @property
    def running(self):
        if self.process is not None:
            return self.process.poll() is None
        return bool(self.pid) and _pid_alive(self.pid)

    # -- internals --------------------------------------------------------------------------

    def adopt(self):
        """Take over the server the state file records (started by an earlier session) when its
        process still runs, so stop() can end it; returns whether there was one."""
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            url, pid = str(state["url"]), int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if pid <= 0 or not _pid_alive(pid) or not _serves(pid):
            self._forget()
            return False
        self.url, self.pid, self.owned, self.process = url, pid, True, None
        return True

    def _reuse(self):
        if not self.adopt():
            return None
        try:
            client = self.client()
            client.check()
            return client
        except ClientError:
            self.url, self.pid, self.owned = None, None, False
            return None

    def _spawn(self, port, timeout):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        command = [self.python, "-m", "talkrig", "serve", "--host", self.host, "--port", str(port),
                   "--token-file", str(self.token_file), *self.extra_args]
        env = dict(os.environ if self.env is None else self.env, PYTHONUNBUFFERED="1")
        log = open(self.log_file, "ab")
        start_at = log.tell()
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=env,
                                            start_new_session=(os.name == "posix"),
                                            # Blender's python.exe would open a console window
                                            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as exc:
            raise ClientError(f"cannot run the server's Python {self.python}: {exc.strerror or exc}; "
                              "set the path to a Python that has talkrig installed",
                              kind="down") from None
        finally:
            log.close()
        self.url = f"http://{self.host}:{port}"
        self.pid, self.owned = self.process.pid, True
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                self.process, self.owned = None, False
                raise ClientError(self._exit_message(code, start_at), kind="down")
            token = read_token(self.token_file)
            try:
                client = Client(self.url, token=token or "", timeout=2.0)
                client.check()
                break
            except ClientError as exc:
                # "auth" with the token file's current token, or another program on the port
                if exc.kind == "not_talkrig" or (exc.kind == "auth" and token
                                                 and token == read_token(self.token_file)):
                    self.stop()
                    raise
            if time.monotonic() > deadline:
                self.stop()
                raise ClientError(f"the local server did not become healthy within {timeout:g} s; "
                                  f"see {self.log_file}", kind="timeout")
            time.sleep(0.2)
        self.state_file.write_text(json.dumps({"url": self.url, "pid": self.pid,
                                               "python": self.python}), encoding="utf-8")
        return client

    def _exit_message(self, code, start_at):
        try:
            with open(self.log_file, "rb") as handle:
                handle.seek(start_at)
                tail = handle.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        except OSError:
            tail = []
        text = " | ".join(tail) or "no output"
        if "No module named talkrig" in text:
            return (f"the Python at {self.python} does not have talkrig installed; install it there "
                    f"from a talkrig checkout (`{self.python} -m pip install '/path/to/talkrig[server]'`, "
                    "talkrig is not on PyPI) or choose another interpreter")
        return f"the local server exited with code {code}: {text} (log: {self.log_file})"

    def _forget(self):
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            if int(state.get("pid", -1)) in (self.pid, -1) or not _pid_alive(int(state["pid"])):
                self.state_file.unlink()
        except (OSError, ValueError, KeyError, TypeError):
            pass


def _pid_alive(pid):
    if os.name == "nt":
        return _pid_alive_windows(pid)
    try:
        # A child of this process that has exited stays a zombie (and answers kill 0) until
        # it is reaped: reap it here so a stopped server counts as gone.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: only kill 0 can tell
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serves(pid):
    """False when the process is known not to be a talkrig server (its pid was taken by another
    program since the state file was written); True where that cannot be told."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return b"talkrig" in command and b"serve" in command


def _pid_alive_windows(pid):
    import ctypes

    handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    ctypes.windll.kernel32.CloseHandle(handle)
    return True


def _terminate_pid(pid, timeout):
    """Ask a server we started in an earlier session to stop, then force it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    if os.name == "posix":
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
