"""Background work of the add-on: everything that waits on the network runs here, off Blender's
main thread, and never touches bpy.

A :class:`Task` runs one function in a daemon thread; the function reports through ``emit(kind,
payload)`` into a ``queue.Queue`` that the add-on drains from a ``bpy.app.timers`` callback
(addon/runtime.py). The functions below are the add-on's three kinds of work: generating a take,
starting a local server, and fetching the backends' option schemas.

Events of :func:`generate_job`:

- ``("server", (url, LocalServer))``: a local server was started (or found) at url
- ``("submitted", job_id)``
- ``("status", {"state", "stage", "progress", ...})`` after every poll
- ``("done", JobOutput)``, ``("cancelled", job_id)``
- ``("error", (kind, message))``: kind is a ClientError kind, "failed" (the job failed on the
  server) or "internal"; message says what to do
"""

import ipaddress
import logging
import os
import queue
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass

from ..client.http_client import CANCEL_GRACE, DEFAULT_URL, Client, ClientError

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORT = 8765
SERVER_START_TIMEOUT = 120.0  # seconds; the first start imports the generation code
POLL_RETRIES = 6  # consecutive timed-out status polls tolerated (a busy server answers late)
PROBE_TIMEOUT = 1.0  # seconds to wait for a TCP connection before Generate sends anything
PREFERENCES = "Preferences > Add-ons > talkrig"
_starting = threading.Lock()  # one local server started at a time (words asked ahead, Generate)


@dataclass(frozen=True)
class Connection:
    """How to reach the server, as plain values copied from the preferences.

    url : "http://127.0.0.1:8765". token : the bearer token ("" sends none).
    timeout : seconds per request. python : interpreter that can run ``-m talkrig serve``
    (None: a local server cannot be started). site_packages : the extension's bundled server,
    the only path that Python then gets (None: its own installation). token_file : where a local
    server keeps its token.
    auto_start : start a local server when none answers at a loopback url.
    online : Blender's Allow Online Access; when off, only a server on this machine is used.
    """

    url: str
    token: str = ""
    timeout: float = 30.0
    python: str | None = None
    site_packages: str | None = None
    token_file: str | None = None
    auto_start: bool = False
    online: bool = True

    def client(self):
        """A Client for the url; ClientError(kind="offline") for another machine while online
        access is off (every request of the add-on goes through here)."""
        if not self.online and not is_local(self.url):
            raise ClientError(
                f"Blender's online access is off, so talkrig may not contact {self.url} (another "
                "machine): turn on Allow Online Access in Preferences > System > Network, or set "
                f"Server URL in {PREFERENCES} to a server on this machine ({DEFAULT_URL})",
                kind="offline")
        return Client(self.url, token=self.token, timeout=self.timeout)

    @property
    def can_start_server(self):
        """True when a missing server at the url would be started by the add-on."""
        return bool(self.auto_start and self.python and is_local(self.url))


def is_local(url):
    """True for an http URL whose host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def probe(url, timeout=PROBE_TIMEOUT):
    """True when something accepts connections at the url's host and port, False when the
    connection is refused or the host cannot be reached, None when it could not tell in time."""
    parsed = urllib.parse.urlsplit(url)
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        return False
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=timeout):
            return True
    except (TimeoutError, socket.timeout):
        return None
    except OSError:  # refused, unreachable, unknown host
        return False


def down_message(connection):
    """What to do when no server answers at the connection's url and none will be started."""
    url = connection.url
    if not is_local(url):
        return (f"no talkrig server answers at {url}: start `talkrig serve` on that machine, or "
                f"change Server URL in {PREFERENCES}")
    if not connection.python:
        return (f"no talkrig server is running at {url}, and no Python is set to start one: set "
                f"Python in {PREFERENCES} to an interpreter that has talkrig installed, or run "
                "`talkrig serve` yourself")
    return (f"no talkrig server is running at {url}: turn on Start Local Server When Needed in "
            f"{PREFERENCES}, press Start Local Server, or run `talkrig serve` yourself")


def preflight(connection):
    """(kind, message) when a job cannot start (online access off for a remote url, or no server
    answers and none will be started); None when it can go ahead. Blocks at most PROBE_TIMEOUT."""
    try:
        connection.client()
    except ClientError as exc:
        return exc.kind, str(exc)
    if probe(connection.url) is False and not connection.can_start_server:
        return "down", down_message(connection)
    return None


class Task(threading.Thread):
    """Run ``target(emit, cancelled)`` in a daemon thread; events go to ``self.events``.

    A ClientError becomes ("error", (kind, message)); any other exception is logged with its
    traceback and becomes ("error", ("internal", message)). ("finished", None) is always last.
    """

    def __init__(self, target, name="talkrig task"):
        super().__init__(name=name, daemon=True)
        self.events = queue.Queue()
        self._target = target
        self._cancel = threading.Event()

    def emit(self, kind, payload=None):
        self.events.put((kind, payload))

    def cancel(self):
        self._cancel.set()

    @property
    def cancel_requested(self):
        return self._cancel.is_set()

    def run(self):
        try:
            self._target(self.emit, self._cancel.is_set)
        except ClientError as exc:
            self.emit("error", (exc.kind, str(exc)))
        except Exception as exc:  # a bug must reach the panel, not die with the thread
            log.exception("talkrig background task failed")
            self.emit("error", ("internal", f"unexpected error ({type(exc).__name__}: {exc}); "
                                            "see the system console"))
        finally:
            self.emit("finished")

    def drain(self):
        """Every event queued so far, in order (never blocks)."""
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out


def generate_job(connection, audio, options, filename=None, poll_interval=0.25, temporary=False,
                 then=None):
    """A Task target: upload ``audio`` (path or bytes), follow the job, fetch the result.

    temporary : ``audio`` is a temporary file, deleted once the job has ended.
    then : run on the fetched JobOutput in this thread; what it returns is the "done" event's
        payload (the output itself when None).
    """
    then = then or (lambda output: output)

    def run(emit, cancelled):
        try:
            _generate(emit, cancelled)
        finally:
            if temporary:
                try:
                    os.unlink(audio)
                except OSError:
                    pass

    def _generate(emit, cancelled):
        jobs, job_id, status = submit_and_follow(
            connection, emit, cancelled, "generate",
            lambda generation: generation.submit(audio, options, filename=filename), poll_interval)
        if jobs is not None:
            report_end(emit, job_id, status, lambda: then(jobs.result(job_id)), "generate",
                       cancelled)

    return run


def words_job(connection, audio, options, poll_interval=0.25):
    """A Task target: upload ``audio`` with ``options`` (``words_only``) and follow the job
    until the server has its words (kept there for the next take); cancelled, it stops the job."""

    def run(emit, cancelled):
        submit_and_follow(connection, emit, cancelled, "generate",
                          lambda generation: generation.submit(audio, options), poll_interval)

    return run


def report_end(emit, job_id, status, fetch, doing, cancelled):
    """Emit how a finished job ended: ("done", fetch()), ("cancelled", id) or an error.

    A cancel that comes after the server finished still wins: nothing is downloaded, or (when
    it comes during the download) ``fetch`` returns None and nothing is saved.
    """
    if status["state"] == "done":
        result = None if cancelled() else fetch()
        if result is None:
            emit("cancelled", job_id)
        else:
            emit("done", result)
    elif status["state"] == "cancelled":
        emit("cancelled", job_id)
    else:
        emit("error", ("failed", f"the server could not {doing}: "
                                 f"{status.get('error') or status['state']}"))


def follow(jobs, job_id, emit, cancelled, interval):
    """Poll a job of ``jobs`` (the client's jobs of its kind) until it ends, cancelling it
    (once) when ``cancelled()`` turns True."""
    sent_cancel = None  # when the cancel was sent
    misses = 0
    hold = 0.0  # the first answer at once, then each held until the job ends or ``interval``
    while True:
        if sent_cancel is not None and time.monotonic() - sent_cancel > CANCEL_GRACE:
            raise ClientError(f"the job was cancelled but the server still runs it after "
                              f"{CANCEL_GRACE:g} s; stopped following it", kind="timeout")
        try:
            status = jobs.next_status(job_id, hold)
            hold = interval
            misses = 0
        except ClientError as exc:
            # speech recognition may keep a busy server from answering for a while
            misses += 1
            if exc.kind != "timeout" or misses > POLL_RETRIES:
                raise
            log.info("status of job %s timed out (%d); asking again", job_id, misses)
            continue
        emit("status", status)
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        if cancelled() and sent_cancel is None:
            emit("status", jobs.cancel(job_id))
            sent_cancel = time.monotonic()


def submit_and_follow(connection, emit, cancelled, kind, submit, interval):
    """Connect, ``submit(jobs)`` -> job id with the client's jobs of ``kind`` ("generate",
    "capture", "render"), and follow the job until it ends; (jobs, job id, last status), or
    (None, None, None) when cancelled before anything was sent."""
    client = connect(connection, emit)
    if cancelled():
        emit("cancelled", None)
        return None, None, None
    jobs = client.jobs(kind)
    job_id = submit(jobs)
    emit("submitted", job_id)
    return jobs, job_id, follow(jobs, job_id, emit, cancelled, interval)


def capture_video_job(connection, video, options, library, poll_interval=0.5):
    """A Task target: upload a video for capture, follow the job, unpack the takes into the
    ``library`` folder. Emits like :func:`generate_job`; ("done", {"takes": [names], "shots":
    [...], "folder": library}) at the end."""

    def run(emit, cancelled):
        jobs, job_id, status = submit_and_follow(
            connection, emit, cancelled, "capture", lambda capture: capture.submit(video, options),
            poll_interval)
        if jobs is None:
            return

        def fetch():
            info, archive = jobs.result(job_id)
            if cancelled():
                return None
            return {"takes": unpack_takes(archive, library), "shots": info.get("shots", []),
                    "folder": str(library)}

        report_end(emit, job_id, status, fetch, "capture the video", cancelled)

    return run


def render_job(connection, motion, options, out_path, audio=None, poll_interval=0.25):
    """A Task target: upload a take for rendering, follow the job, write the video to
    ``out_path`` (atomically). Emits like :func:`generate_job`; ("done", {"path", "n_frames",
    "fps", "size", "renderer"}) at the end."""

    def run(emit, cancelled):
        jobs, job_id, status = submit_and_follow(
            connection, emit, cancelled, "render",
            lambda render: render.submit(motion, options, audio=audio), poll_interval)
        if jobs is None:
            return

        def fetch():
            from pathlib import Path

            info, video = jobs.result(job_id)
            if cancelled():
                return None
            out = Path(out_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.partial")
            tmp.write_bytes(video)
            os.replace(tmp, out)
            return {"path": str(out), **{k: info.get(k) for k in ("n_frames", "fps", "size",
                                                                   "renderer")}}

        report_end(emit, job_id, status, fetch, "render the take", cancelled)

    return run


TAKE_FILES = (".npz", ".wav", ".json")


def unpack_takes(archive, folder):
    """Write the takes of a capture zip into ``folder`` (created); returns the take names.

    Only plain file names with the take suffixes are taken from the archive; each file is
    written under a temporary name and renamed, so the folder never holds half a take."""
    import io
    import zipfile
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for member in zf.namelist():
            name = Path(member).name
            if name != member or not name.endswith(TAKE_FILES) or name.startswith("."):
                continue
            tmp = folder / f".{name}.partial"
            tmp.write_bytes(zf.read(member))
            os.replace(tmp, folder / name)
            if name.endswith(".npz"):
                names.append(name[:-4])
    return sorted(names)


def connect(connection, emit=None):
    """A Client whose server answers and accepts the token; starts a local server if allowed."""
    client = connection.client()
    try:
        client.check()
        return client
    except ClientError as exc:
        if exc.kind != "down" or not connection.auto_start or not connection.python:
            raise
    client, local = start_server(connection)
    if emit is not None:
        emit("server", (local.url, local))
    return client


def start_server(connection):
    """Start (or reuse) the local server for ``connection``; returns (Client, LocalServer).

    The server listens on the url's loopback port; a server this add-on started earlier is
    reused even if it is on another port (the url then changes). A start asked for while another
    thread starts one (the voice-over's words asked ahead, then Generate pressed) waits for it
    and reuses that server.
    """
    from ..client.server_process import LocalServer

    parsed = urllib.parse.urlsplit(connection.url)
    if not is_local(connection.url) or not connection.python:
        raise ClientError(down_message(connection), kind="down")
    host = "127.0.0.1" if parsed.hostname == "localhost" else parsed.hostname
    local = LocalServer(python=connection.python, host=host, port=parsed.port or DEFAULT_PORT,
                        token_file=connection.token_file or None,
                        env=bundled_env(connection.site_packages))
    with _starting:
        client = local.start(timeout=SERVER_START_TIMEOUT)
    client.timeout = connection.timeout
    return client, local


def bundled_env(site_packages):
    """The environment of Blender's Python running the bundled server: the extension's
    site-packages as its only addition, none of the PYTHONPATH Blender was started with, no
    user site and no current folder (another `talkrig` there must not shadow the bundled one).
    None (inherit everything) for an interpreter of the user's choice."""
    if not site_packages:
        return None
    return dict(os.environ, PYTHONPATH=site_packages, PYTHONNOUSERSITE="1", PYTHONSAFEPATH="1")


def start_server_task(connection):
    """A Task target: start the local server; emits ("server", (url, LocalServer or None)),
    None when a server not started by the add-on already answers at the url."""

    def run(emit, cancelled):
        client = connection.client()
        try:
            client.check()
            emit("server", (connection.url, None))  # one is already running there
            return
        except ClientError as exc:
            if exc.kind != "down":
                raise
        _, local = start_server(connection)
        emit("server", (local.url, local))

    return run


def fetch_backends_task(connection):
    """A Task target: GET /v1/backends; emits ("backends", data)."""

    def run(emit, cancelled):
        client = connect(connection, emit)
        emit("backends", client.backends())

    return run
