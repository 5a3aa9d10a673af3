"""Server settings and limits, and where the server keeps its token and data on each platform."""

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from ...motion.errors import TalkrigError
from ...userdirs import data_dir
from ..audio.decode import MAX_SECONDS as AUDIO_LIMIT

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class SettingsError(TalkrigError):
    """A server setting is out of range or contradicts another one."""


def default_workers():
    """One worker per core but one (the event loop and uploads need a core), at most 4."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def is_loopback(host):
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass
class ServerSettings:
    """Everything `talkrig serve` can configure.

    max_upload_bytes : request bodies larger than this get 413.
    max_audio_seconds : longer recordings get 422 at submit.
    queue_depth : jobs allowed to wait for a worker; one more gets 503 with Retry-After.
    result_ttl : seconds a finished job (and its result) is kept, then freed.
    token : the bearer token clients must send; None turns authentication off (loopback only).
    data_dir : the only folder options may name files in (key-pose dictionaries, libraries).
    allowed_hosts : host names requests may be addressed to besides IP addresses and localhost
        (see guards.py; for a proxy that forwards its own name).
    header_timeout : seconds a connection may take to send a request's headers.
    body_timeout : seconds an upload may pause (and the base of its overall deadline).
    max_header_bytes : largest request head (request line and headers); larger gets 431, or
        400 and a closed connection while it is still arriving.
    max_connections : connections and requests handled at once; more get 503.
    live_idle_timeout : seconds a live stream may go without a message from its client (the
        options, then audio) before it is closed and its place freed.
    max_live_streams : live streams (/v1/live) served at once; one more is refused with 503.
        Streams share one process (the GIL): on 2 cores, 2 with the face keep the latency within
        250 ms p95 (procedural 141 ms, matching 93 ms); with live key poses spotted, 1
        (benchmarks/JOURNAL.md).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = field(default_factory=default_workers)
    queue_depth: int = 8
    max_upload_bytes: int = 100 * 1024 * 1024
    max_audio_seconds: float = AUDIO_LIMIT
    result_ttl: float = 600.0
    token: str | None = None
    token_file: Path | None = None
    data_dir: Path = field(default_factory=data_dir)
    allowed_hosts: tuple = ()
    header_timeout: float = 20.0
    body_timeout: float = 30.0
    max_header_bytes: int = 64 * 1024
    max_connections: int = 64
    max_live_streams: int = 2
    live_idle_timeout: float = 15.0

    def __post_init__(self):
        self.data_dir = Path(self.data_dir).expanduser()
        checks = [
            (self.workers >= 1, f"workers must be at least 1, got {self.workers}"),
            (self.queue_depth >= 0, f"queue depth must be 0 or more, got {self.queue_depth}"),
            (self.max_upload_bytes > 0, f"upload limit must be positive, got {self.max_upload_bytes}"),
            (0 < self.max_audio_seconds <= AUDIO_LIMIT,
             f"audio limit must be above 0 and at most {AUDIO_LIMIT:g} s (the pipeline's own "
             f"limit), got {self.max_audio_seconds:g}"),
            (self.result_ttl > 0, f"result time-to-live must be positive, got {self.result_ttl}"),
            (0 <= self.port <= 65535, f"port must be 0..65535, got {self.port}"),
            (self.header_timeout > 0 and self.body_timeout > 0 and self.live_idle_timeout > 0,
             f"timeouts must be positive, got {self.header_timeout}, {self.body_timeout} and "
             f"{self.live_idle_timeout}"),
            (self.max_header_bytes >= 1024,
             f"header limit must be at least 1024 bytes, got {self.max_header_bytes}"),
            (self.max_live_streams >= 0, f"live streams at once must be 0 or more, got {self.max_live_streams}"),
            (self.max_connections >= self.workers + 2,
             f"connections at once must be at least workers + 2, got {self.max_connections}"),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(message)
        if self.token is None and not is_loopback(self.host):
            raise SettingsError(f"host {self.host} is reachable from other machines: a token is required")
