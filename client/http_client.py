"""HTTP client for the talkrig server: standard library only, so it runs in Blender's Python.

Every failure is a ClientError whose message says what to do: the server is not running, the
token is wrong, the port answers but is another program, the upload is too big, the job failed.
Calls block; the add-on runs them in a worker thread, never on Blender's main thread.
"""

import http.client
import json
import os
import socket
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..userdirs import default_token_file
from . import replies
from .errors import ClientError

DEFAULT_URL = "http://127.0.0.1:8765"
API = "/v1"
FINISHED = ("done", "failed", "cancelled")
MAX_WAIT = 10.0  # seconds a server holds a status request at most (server: job_routes.MAX_WAIT)
MAX_JSON_BYTES = 8 * 1024 * 1024  # a status, a result's words, the backends' schemas
MAX_ERROR_BYTES = 64 * 1024  # the body of an error answer read for its message
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024  # a capture's takes
MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024  # a rendered take
MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024  # a file this client sends (read whole into memory)
MAX_TOKEN_BYTES = 4096
CANCEL_GRACE = 30.0  # seconds a cancelled job may take to end before waiting gives up


def read_token(path=None):
    """The token in ``path`` (default: the server's token file on this machine), or None (also
    for a pipe or a device, which would block or never end)."""
    path = Path(path) if path else default_token_file()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read(MAX_TOKEN_BYTES).decode("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


@dataclass
class JobOutput:
    """A finished job: the motion as BEAT2 npz bytes, the words, and what the server said of it."""

    npz: bytes
    words: list
    info: dict = field(default_factory=dict)

    def save(self, path):
        Path(path).write_bytes(self.npz)


@dataclass(frozen=True)
class JobKind:
    """How one kind of job travels: its path under /v1, the upload's file part (and its name
    when bytes are sent), what a too-big upload is called and what to do, and the result's file
    (its name under ``.../result/``, size limit, first bytes and what the server sent instead)."""

    path: str
    part: str
    filename: str
    what: str
    advice: str
    download: str
    limit: object  # () -> the most bytes it may hold (read when fetched: tests lower it)
    magic: tuple  # (offset, bytes) the result's file starts with
    not_it: str  # "a motion for job {id} that is not an npz file"


JOB_KINDS = {
    "generate": JobKind("/jobs", "audio", "audio.wav", "the recording",
                        "send a shorter or compressed file (e.g. 16 kHz mono)", "motion",
                        lambda: replies.MAX_MOTION_BYTES, (0, b"PK"),
                        "a motion for job {} that is not an npz file"),
    "capture": JobKind("/capture", "video", "video.mp4", "the video",
                       "cut it into shorter parts, or start the server with a larger "
                       "--max-upload-mb", "takes.zip", lambda: MAX_ARCHIVE_BYTES, (0, b"PK"),
                       "takes for capture {} that are not a zip file"),
    "render": JobKind("/render", "motion", "motion.npz", "the take and its speech",
                      "render a shorter take", "video.mp4", lambda: MAX_VIDEO_BYTES, (4, b"ftyp"),
                      "a render for job {} that is not an MP4 file"),
}


class Jobs:
    """The jobs of one kind on a server (``client.jobs("generate" | "capture" | "render")``):
    submit, status, cancel, wait and result, the same calls for every kind."""

    def __init__(self, client, kind):
        if kind not in JOB_KINDS:
            raise ValueError(f"no job kind {kind!r}; the kinds are {', '.join(JOB_KINDS)}")
        self.client, self.kind, self._spec = client, kind, JOB_KINDS[kind]

    def submit(self, upload, options=None, filename=None, timeout=None, **parts):
        """Upload ``upload`` (a path or the file's bytes: the recording, the video or the take)
        with options; returns the job id.

        parts : more files by part name, paths or bytes (a render's speech: ``audio=path``);
        None sends none.
        """
        name, data = _file_part(upload, self._spec.part, self._spec.filename)
        extra = {part: _file_part(value, part, part) for part, value in parts.items()
                 if value is not None}
        return self.client._upload(self._spec.path, self._spec.part, data, filename or name,
                                   options, timeout, self._spec.what, self._spec.advice, extra)

    def status(self, job_id, wait=0.0):
        """{"state", "stage", "progress", "error", ...} of a job; with ``wait`` seconds (held
        at most MAX_WAIT), the server answers when the job ends or the wait is over, whichever
        comes first."""
        query = f"?wait={min(float(wait), MAX_WAIT):.3f}" if wait > 0 else ""
        return replies.job_status(self.client._call("GET", self._url(job_id) + query),
                                  self.client.url)

    def next_status(self, job_id, interval):
        """The job's status ``interval`` seconds from now, or as soon as it ends: the server
        holds the answer, and the rest of the interval is slept where it did not (a server
        that answers at once)."""
        start = time.monotonic()
        status = self.status(job_id, wait=interval)
        if status["state"] not in FINISHED:
            time.sleep(max(0.0, interval - (time.monotonic() - start)))
        return status

    def cancel(self, job_id):
        """Ask the server to stop the job; harmless if it already ended."""
        return replies.job_status(self.client._call("DELETE", self._url(job_id)),
                                  self.client.url)

    def wait(self, job_id, interval=0.25, timeout=None, on_status=None, should_stop=None):
        """Poll until the job ends (:meth:`next_status`: its end is seen as it happens);
        returns its last status.

        on_status(status) : called after every poll (progress display).
        should_stop() : when it returns True the job is cancelled and waiting goes on until it
            ends, CANCEL_GRACE seconds at most (ClientError(kind="timeout") after that).
        timeout : seconds; ClientError(kind="timeout") after that (the job keeps running). No
            request outlives it either.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        cancelled_at = None
        hold = 0.0  # the first answer at once (what the job is doing), then each interval
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            pause = hold if left is None else max(0.0, min(hold, left - 0.1))
            status = self._within(left, job_id, timeout, lambda: self.next_status(job_id, pause))
            hold = interval
            if on_status is not None:
                on_status(status)
            if status["state"] in FINISHED:
                return status
            if should_stop is not None and cancelled_at is None and should_stop():
                self._within(left, job_id, timeout, lambda: self.cancel(job_id))
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE:
                raise ClientError(f"job {job_id} was cancelled but the server still runs it after "
                                  f"{CANCEL_GRACE:g} s; stopped waiting for it", kind="timeout")
            if deadline is not None and time.monotonic() > deadline:
                raise ClientError(f"job {job_id} did not finish within {timeout:g} s "
                                  f"(it is {status['state']}, {status.get('progress') or 0:.0%})",
                                  kind="timeout")

    def _within(self, left, job_id, timeout, call):
        """``call()`` with the client's request timeout cut to ``left`` seconds (None: not cut)."""
        if left is not None and left <= 0:
            raise ClientError(f"job {job_id} did not finish within {timeout:g} s", kind="timeout")
        client = self.client
        saved = client.timeout
        client.timeout = saved if left is None else max(0.1, min(saved, left))
        try:
            return call()
        finally:
            client.timeout = saved

    def result(self, job_id, timeout=None):
        """What a done job made: a generation's JobOutput (the motion's npz bytes, empty for a
        words-only job, and the words), a capture's (info, zip of the takes), a render's (info,
        MP4 bytes)."""
        spec, url = self._spec, self.client.url
        info = self.client._call("GET", self._url(job_id) + "/result")
        if not isinstance(info, dict):
            raise replies.malformed(url, "a job result that is not an object")
        words = replies.words(info.get("words"), url) if self.kind == "generate" else None
        if words is not None and info.get("words_only") is True:  # no motion to fetch
            return JobOutput(npz=b"", words=words, info=dict(info, n_frames=0))
        data = self.client._call("GET", f"{self._url(job_id)}/result/{spec.download}",
                                 expect="bytes", timeout=timeout or max(self.client.timeout, 60.0),
                                 limit=spec.limit())
        offset, magic = spec.magic
        if data[offset:offset + len(magic)] != magic:
            raise ClientError(f"the server sent {spec.not_it.format(job_id)}", kind="server")
        if words is None:
            return info, data
        return JobOutput(npz=data, words=words,
                         info=dict(info, n_frames=replies.take_frames(data, url)))

    def _url(self, job_id):
        return f"{self._spec.path}/{_quote(job_id)}"


def _alias(kind, call):
    """A Client method doing ``call`` on ``jobs(kind)``: the names scripts used before
    :meth:`Client.jobs` (kept for one release)."""

    def alias(self, *args, **kwargs):
        return call(self.jobs(kind), *args, **kwargs)

    alias.__doc__ = f"``jobs({kind!r}).{call.__name__}(...)``, kept for one release."
    return alias


class Client:
    """One talkrig server.

    url : e.g. "http://127.0.0.1:8765" (no /v1).
    token : the bearer token; None reads this machine's token file.
    timeout : seconds to wait for an answer to a small request.

    Jobs of every kind go through :meth:`jobs`; :meth:`generate` submits, waits and fetches.
    """

    def __init__(self, url=DEFAULT_URL, token=None, timeout=10.0):
        self.url = url.rstrip("/")
        try:
            parsed = urllib.parse.urlsplit(self.url)
            parsed.port  # urllib checks the port only when asked
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ClientError(f"server URL {url!r} is not an http:// address", kind="not_talkrig")
        self.token = token if token is not None else read_token()
        self.timeout = float(timeout)
        handlers = []
        if parsed.hostname in ("127.0.0.1", "localhost", "::1"):
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback via a proxy
        self._handlers = tuple(handlers)

    # -- endpoints --------------------------------------------------------------------------

    def health(self):
        """The server's health; raises ClientError unless a talkrig server answers."""
        data = self._call("GET", "/health", auth=bool(self.token))
        if not isinstance(data, dict) or data.get("name") != "talkrig":
            raise ClientError(f"{self.url} answers, but it is not a talkrig server; "
                              "check the URL and port", kind="not_talkrig")
        return data

    def check(self):
        """Health, and ClientError(kind="auth") unless the server accepts our token."""
        data = self.health()
        if data.get("auth_required") and not data.get("authorized"):
            raise self._auth_error("missing" if not self.token else "rejected")
        return data

    def backends(self):
        """The generators (with option schemas) and speech engines the server offers."""
        return self._call("GET", "/backends")

    def jobs(self, kind):
        """The jobs of ``kind`` ("generate", "capture" or "render"): a :class:`Jobs`."""
        return Jobs(self, kind)

    def generate(self, audio, options=None, on_status=None, should_stop=None, timeout=None):
        """Submit, wait and fetch in one call; ClientError if the job fails or is cancelled."""
        jobs = self.jobs("generate")
        job_id = jobs.submit(audio, options)
        status = jobs.wait(job_id, on_status=on_status, should_stop=should_stop, timeout=timeout)
        if status["state"] != "done":
            reason = status.get("error") or status["state"]
            raise ClientError(f"job {job_id} {status['state']}: {reason}", kind="conflict")
        return jobs.result(job_id)

    # -- the per-kind names of before jobs(kind), kept for one release ------------------------

    status = _alias("generate", Jobs.status)
    cancel = _alias("generate", Jobs.cancel)
    wait = _alias("generate", Jobs.wait)
    result = _alias("generate", Jobs.result)
    capture_status = _alias("capture", Jobs.status)
    capture_cancel = _alias("capture", Jobs.cancel)
    capture_result = _alias("capture", Jobs.result)
    render_status = _alias("render", Jobs.status)
    render_cancel = _alias("render", Jobs.cancel)
    render_result = _alias("render", Jobs.result)

    def submit(self, audio, options=None, filename=None, timeout=None):
        """``jobs("generate").submit(...)``, kept for one release."""
        return self.jobs("generate").submit(audio, options, filename=filename, timeout=timeout)

    def submit_capture(self, video, options=None):
        """``jobs("capture").submit(video, options)``, kept for one release."""
        return self.jobs("capture").submit(video, options)

    def submit_render(self, motion, options=None, audio=None):
        """``jobs("render").submit(motion, options, audio=audio)``, kept for one release."""
        return self.jobs("render").submit(motion, options, audio=audio)

    def _upload(self, endpoint, part, data, filename, options, timeout, what, advice,
                extra=None):
        """POST a multipart job (the file part, ``extra`` {part: (filename, bytes)} and the
        options JSON); returns the job id.

        A big upload first checks the token and the server's limit rather than send it in vain.
        """
        files = {part: (filename, "application/octet-stream", data)}
        for name, (extra_name, extra_data) in (extra or {}).items():
            files[name] = (extra_name, "application/octet-stream", extra_data)
        body, content_type = encode_multipart(
            {"options": ("", "application/json", options_json(options).encode())}, files)
        if len(body) > 1 << 20:
            limit = self.check().get("limits", {}).get("max_upload_bytes")
            if limit and len(body) > limit:
                raise ClientError(f"{what} is {len(body) / 2**20:.1f} MiB; the server takes "
                                  f"at most {limit / 2**20:.1f} MiB: {advice}", kind="rejected",
                                  status=413)
        # uploads get a budget that grows with their size (1 MB/s at least)
        budget = timeout or max(self.timeout, len(body) / 1e6 + self.timeout)
        answer = self._call("POST", endpoint, body=body, content_type=content_type,
                            timeout=budget)
        return replies.job_id(answer, self.url)

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, method, path, body=None, content_type=None, auth=True, expect="json",
              timeout=None, limit=MAX_JSON_BYTES):
        """One request. The whole exchange, answer included, ends within ``timeout`` seconds
        (a server that trickles bytes is cut off), the answer may hold at most ``limit`` bytes,
        and a redirect is an error: the token never goes to another address."""
        headers = {"Accept": "application/json" if expect == "json" else "application/octet-stream"}
        if content_type:
            headers["Content-Type"] = content_type
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + API + path, data=body, method=method,
                                         headers=headers)
        seconds = timeout or self.timeout
        deadline = _Deadline(seconds)
        opener = urllib.request.build_opener(*self._handlers, _NoRedirects(), _WatchedHTTP(deadline),
                                             _WatchedHTTPS(deadline))
        try:
            with opener.open(request, timeout=seconds) as response:
                ctype = response.headers.get("Content-Type", "")
                payload = _read_capped(response, limit, path, self.url)
        except urllib.error.HTTPError as err:
            if deadline.expired:
                raise self._network_error(TimeoutError(), False) from None
            raise self._http_error(err) from None
        except urllib.error.URLError as err:
            raise self._network_error(TimeoutError() if deadline.expired else err.reason,
                                      body is not None) from None
        except (OSError, http.client.HTTPException) as err:
            raise self._network_error(TimeoutError() if deadline.expired else err,
                                      body is not None) from None
        finally:
            deadline.cancel()
        if deadline.expired:
            raise self._network_error(TimeoutError(), False)
        if expect == "bytes":
            return payload
        if "json" not in ctype:
            raise ClientError(f"{self.url} answered {path} with {ctype or 'no content type'}, "
                              "not JSON: it is not a talkrig server; check the URL and port",
                              kind="not_talkrig")
        try:
            return json.loads(payload)
        except (ValueError, RecursionError):
            raise ClientError(f"{self.url} sent broken JSON for {path}: it is not a talkrig "
                              "server; check the URL and port", kind="not_talkrig") from None

    def _network_error(self, reason, uploading):
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return ClientError(f"the talkrig server at {self.url} did not answer in time; it may be "
                               "overloaded or stuck (restart it)", kind="timeout")
        if isinstance(reason, ConnectionRefusedError):
            return ClientError(f"no talkrig server is running at {self.url}; start one with "
                               "`talkrig serve` (or let the add-on start a local server)", kind="down")
        if isinstance(reason, (ConnectionResetError, BrokenPipeError)) and uploading:
            return ClientError(f"the server at {self.url} closed the connection during the upload; "
                               "the file is probably over its upload limit", kind="rejected")
        if isinstance(reason, (http.client.BadStatusLine, http.client.RemoteDisconnected,
                               ConnectionResetError)):
            return ClientError(f"{self.url} is not a talkrig server (it does not answer HTTP: "
                               f"{reason}); check the URL and port", kind="not_talkrig")
        if isinstance(reason, socket.gaierror):
            return ClientError(f"cannot resolve the server address in {self.url}: {reason}", kind="down")
        return ClientError(f"cannot reach the talkrig server at {self.url}: {reason}", kind="down")

    def _http_error(self, err):
        if 300 <= err.code < 400:
            where = replies.short_text(err.headers.get("Location") or "elsewhere", 120)
            return ClientError(f"{self.url} answered with a redirect (HTTP {err.code} to {where}); a "
                               "talkrig server never redirects, so the request was not sent on "
                               "(with the token): check the server URL", kind="not_talkrig",
                               status=err.code)
        try:
            payload = err.read(MAX_ERROR_BYTES)
        except (OSError, http.client.HTTPException):
            payload = b""
        detail = None
        try:
            data = json.loads(payload)
            detail = data.get("detail") if isinstance(data, dict) else None
        except (ValueError, RecursionError):
            pass
        if isinstance(detail, str):
            detail = replies.short_text(detail)
        if err.code == 503 and not isinstance(detail, str):  # over the connection limit
            detail = f"the talkrig server at {self.url} is too busy to answer; try again shortly"
        if not isinstance(detail, str):
            return ClientError(f"{self.url} answered HTTP {err.code} ({err.reason}) without a "
                               "talkrig error message: it is not a talkrig server (or an "
                               "incompatible version); check the URL and port",
                               kind="not_talkrig", status=err.code)
        if err.code == 401:
            return self._auth_error("missing" if not self.token else "rejected")
        if err.code == 503:
            retry = err.headers.get("Retry-After", "")
            return ClientError(detail, kind="busy", status=503,
                               retry_after=int(retry) if retry.isdigit() else None)
        kind = {404: "not_found", 409: "conflict", 413: "rejected", 415: "rejected",
                422: "rejected"}.get(err.code, "server")
        return ClientError(detail, kind=kind, status=err.code)

    def _auth_error(self, what):
        where = default_token_file()
        if what == "missing":
            text = (f"the talkrig server at {self.url} needs a token and none was given; "
                    f"copy it from {where} on the server's machine")
        else:
            text = (f"the talkrig server at {self.url} rejected the token; copy the current one "
                    f"from {where} on the server's machine")
        return ClientError(text, kind="auth", status=401)


class _Deadline:
    """Shuts down the sockets of one request once ``seconds`` have passed, so that a read
    blocked on a server that stopped answering (or trickles) returns."""

    def __init__(self, seconds):
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self):
        self._timer.cancel()


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(connection_class, deadline):
    """A connection class whose sockets ``deadline`` may shut down."""

    class Watched(connection_class):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _WatchedHTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline):
        super().__init__()
        self._connection = _watched(http.client.HTTPConnection, deadline)

    def http_open(self, req):
        return self.do_open(self._connection, req)


class _WatchedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline):
        super().__init__()
        self._connection = _watched(http.client.HTTPSConnection, deadline)

    def https_open(self, req):
        return self.do_open(self._connection, req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is answered as it is (an HTTPError), never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _read_capped(response, limit, path, url):
    """The body of ``response``; ClientError when it is (or says it will be) over ``limit``."""
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise _too_big(url, path, int(declared), limit)
    chunks, size = [], 0
    while True:
        chunk = response.read1(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise _too_big(url, path, size, limit)
        chunks.append(chunk)


def _too_big(url, path, size, limit):
    return ClientError(f"{url} sent more than {limit / 2**20:g} MiB for {path} ({size / 2**20:.0f} MiB "
                       "so far); a talkrig server never sends that much: check the server",
                       kind="not_talkrig")


def options_json(options):
    """A job's options as the JSON the server reads. A transcript given as Python holds words (an
    earlier result's Word objects, the dicts ``talkrig words --json`` prints, or strings) goes as
    its text: timed words as a JSON word list, strings as the script; numpy's numbers as
    numbers. ClientError for options that are not a dict or hold what JSON cannot carry."""
    if options is not None and not isinstance(options, dict):
        raise ClientError(f"options must be a dict of option names and values, got {type(options).__name__}",
                          kind="rejected")
    options = dict(options or {})
    words = options.get("transcript")
    try:
        if isinstance(words, (list, tuple)):
            plain = all(isinstance(w, str) for w in words)
            options["transcript"] = (" ".join(words) if plain else json.dumps(
                [w.to_dict() if hasattr(w, "to_dict") else w for w in words], default=_plain))
        return json.dumps(options, default=_plain)
    except (TypeError, ValueError) as exc:
        raise ClientError(f"options cannot be sent as JSON: {exc}", kind="rejected") from None


def _plain(value):
    """A numpy number as Python's (json's ``default``); anything else is refused by name."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a number, text, list or dict")


def _file_part(value, what, default_name):
    """(file name, bytes) of a file to upload given as a path or as its bytes."""
    if isinstance(value, (str, os.PathLike)):
        return Path(value).name, _read_file(value, what)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return default_name, bytes(value)
    raise ClientError(f"the {what} part must be a file's path or its bytes, got {type(value).__name__} "
                      "(samples in memory: write them to a wav file first)", kind="rejected")


def _read_file(path, what):
    """The bytes of a file to upload: a regular file (a pipe would block, a device never end)
    small enough to hold in memory."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ClientError(f"cannot read {what} file {path}: it is a folder, a pipe or a "
                              "device, not a file", kind="rejected")
        if info.st_size > MAX_UPLOAD_BYTES:
            raise ClientError(f"{what} file {path} is {info.st_size / 2**30:.1f} GiB; at most "
                              f"{MAX_UPLOAD_BYTES / 2**30:g} GiB is sent", kind="rejected")
        return Path(path).read_bytes()
    except OSError as exc:
        raise ClientError(f"cannot read {what} file {path}: {exc.strerror or exc}",
                          kind="rejected") from None


def encode_multipart(fields, files):
    """A multipart/form-data body and its Content-Type.

    fields / files : {name: (filename, content type, bytes)}; fields are sent without a filename.
    """
    boundary = "talkrig-" + uuid.uuid4().hex
    chunks = []
    for name, (filename, ctype, data) in list(fields.items()) + list(files.items()):
        disposition = f'form-data; name="{_header_quote(name)}"'
        if name in files:
            disposition += f'; filename="{_header_quote(filename)}"'
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                      f"Content-Type: {ctype}\r\n\r\n".encode())
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _header_quote(text):
    return "".join(c for c in str(text) if c not in '"\r\n\\')


def _quote(job_id):
    return urllib.parse.quote(str(job_id), safe="")
