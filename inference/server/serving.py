"""Serving the app with uvicorn: the listening socket, limits on what a connection may cost,
and a shutdown that refuses new jobs at once.

- The port is bound before anything else starts, so a busy port is one clear error (exit 2)
  instead of "startup complete" followed by errno 98.
- Requests are parsed by h11 with a cap on the request head (``max_header_bytes``; httptools
  has none) and a deadline for it (``header_timeout``, against connections that trickle
  headers forever); bodies have their own timeout in uploads.py. A WebSocket upgrade (the
  live stream) leaves the head deadline behind and is served by the websockets library.
- On SIGTERM/SIGINT the job runner stops taking jobs before uvicorn winds down, so an upload
  still arriving gets 503 rather than a 202 for a job cancelled a moment later.
"""

import errno
import logging
import os
import socket
import warnings

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ...motion.errors import TalkrigError

log = logging.getLogger(__name__)

BACKLOG = 128
# WebSocket messages: a live stream's options (live.MAX_OPTIONS_CHARS) and audio chunks fit; a
# larger one is closed with 1009 before it is buffered. Few are held unread per connection.
WS_MAX_MESSAGE = 1024 * 1024
WS_MAX_QUEUE = 4


class ServeError(TalkrigError):
    """The server cannot listen where it was asked to."""


def bind(host, port):
    """A listening TCP socket on ``host``:``port`` (0: a free port); ServeError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"cannot listen on {host!r}: not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":  # as asyncio does (on Windows it would let two servers share a port)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ServeError(_bind_failure(host, port, exc)) from None
    return sock


def _bind_failure(host, port, exc):
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another talkrig server?): stop that "
                "program, or choose another port with --port (0 picks a free one)")
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; use 127.0.0.1 or one of its own addresses"
    if exc.errno == errno.EACCES:
        return f"port {port} needs administrator rights; use a port above 1023"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def guarded_h11(header_timeout):
    """uvicorn's h11 protocol with a deadline of ``header_timeout`` seconds per request head."""

    class GuardedH11(H11Protocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            self._guard = None
            self._arm_guard()

        def data_received(self, data):
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a request's head is complete
                self._disarm_guard()

        def on_response_complete(self):
            super().on_response_complete()
            if self.cycle is None or self.cycle.response_complete:  # waiting for the next head
                self._arm_guard()

        def connection_lost(self, exc):
            self._disarm_guard()
            super().connection_lost(exc)

        def handle_websocket_upgrade(self, event):
            self._disarm_guard()  # the connection now belongs to the live stream's protocol
            super().handle_websocket_upgrade(event)

        def _arm_guard(self):
            self._disarm_guard()
            self._guard = self.loop.call_later(header_timeout, self._head_too_slow)

        def _disarm_guard(self):
            if getattr(self, "_guard", None) is not None:
                self._guard.cancel()
                self._guard = None

        def _head_too_slow(self):
            self._guard = None
            if not self.transport.is_closing():
                client = self.client[0] if self.client else "-"
                log.info("closed a connection from %s: no complete request head within %g s",
                         client, header_timeout)
                self.transport.close()

    return GuardedH11


class Server(uvicorn.Server):
    """uvicorn's server whose exit signal first makes ``runners`` refuse new jobs."""

    def __init__(self, config, runners):
        super().__init__(config)
        self.runners = tuple(runners)

    def handle_exit(self, sig, frame):
        for runner in self.runners:
            runner.stop_accepting()
        super().handle_exit(sig, frame)


def make_server(app, settings, log_level="info"):
    """A Server for ``app`` (from create_app) with the limits of ``settings``."""
    # uvicorn's `websockets` implementation is chosen for its bound on queued messages
    # (ws_max_queue), which its sans-I/O successor does not keep: its notice that the
    # implementation is deprecated is not the user's to read at every start
    warnings.filterwarnings("ignore", message="The `websockets` implementation is deprecated")
    config = uvicorn.Config(
        app, http=guarded_h11(settings.header_timeout), ws="websockets", lifespan="on",
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections, timeout_keep_alive=5,
        ws_max_size=WS_MAX_MESSAGE, ws_max_queue=WS_MAX_QUEUE,
        timeout_graceful_shutdown=10, access_log=False, log_level=log_level,
    )
    return Server(config, app.state.runners)


def serve(app, settings, sock, log_level="info"):
    """Serve ``app`` on the bound socket ``sock`` until a signal stops it."""
    make_server(app, settings, log_level).run(sockets=[sock])
