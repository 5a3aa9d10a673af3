"""Live streams over a WebSocket: 16 kHz PCM in, SMPL-X frames out as the voice arrives.

``/v1/live`` (WebSocket; ``Authorization: Bearer <token>`` like every other endpoint):

1. The client sends one JSON text message: {"backend", "seed", "fps", "backend_options",
   "keyposes", "face", "face_options"} (all optional, as for jobs; the backend must have the
   ``streaming`` capability). Key poses are off unless asked for ("keyposes": "default", a
   dictionary or a file): their words are spotted as they are heard. The face is on ("phones")
   unless "face" is "none".
2. The server answers {"type": "ready", "fps", "lookahead", "sample_rate": 16000, "backend"},
   or {"type": "error", "detail"} and closes (code 4422).
3. The client sends binary messages: mono 16-bit little-endian PCM at 16 kHz, any length up
   to MAX_CHUNK_SECONDS (20-100 ms is usual).
4. The server sends {"type": "frames", "start", "fps", "times", "poses", "trans",
   "expressions", "face_names", "face_curves"} whenever frames become final: frame numbers from
   ``start``, each frame's audio time in seconds, (n, 165) axis-angle, (n, 3) root, (n, E)
   expression coefficients, the face curves' names (ARKit, visemes...; [] without a face) and
   (n, C) their values.
5. The client sends {"type": "end"}; the server sends the last frames, {"type": "done",
   "frames"} and closes.

A handshake without the token gets HTTP 401, one whose Host or Origin is not this machine while
the server listens on loopback gets 403 (a web page cannot reach the server through DNS
rebinding; an Origin that is not exactly scheme://host[:port], "null" or several Origins count
as foreign); one beyond the server's ``max_live_streams`` gets 503. A stream's place is free
again once it has sent "done" (a client may start the next at once).

Work for a stream runs off the event loop. Audio is fed in pieces of at most one chunk whatever
has piled up, and at most MAX_BACKLOG_SECONDS may wait: a client sending faster than the server
works is told so and the stream ends ({"type": "error"}, close 4422), so memory and latency stay
bounded. So does a client that sends nothing for the server's ``live_idle_timeout``. Any other
failure is an error message too (close 1011 for a fault of the server's own), never a bare close.
"""

import asyncio
import collections
import contextlib
import json
import logging

import numpy as np
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...motion.errors import TalkrigError
from ..audio.decode import SAMPLE_RATE
from ..generation.face import resolve_face
from ..generation.keyposes import load_keyposes_option
from ..speech.languages import is_english
from ..speech.timing import get_speech_plugin
from ..live.driver import LiveStream, can_stream, samples_from_pcm16
from ..live.face import LiveFace
from .auth import bearer_token, token_matches
from .guards import origin_is_local
from .job_options import OptionsError, check_nesting, parse_options
from .logs import kv
from .settings import is_loopback

log = logging.getLogger(__name__)

LIVE_FIELDS = ("backend", "seed", "fps", "backend_options", "keyposes", "face", "face_options",
               "language")
LIVE_KEYPOSES = "none"  # live key poses are asked for: spotting is far less sure than offline words
MAX_CHUNK_SECONDS = 1.0
CHUNK_BYTES = int(2 * MAX_CHUNK_SECONDS * SAMPLE_RATE)
MAX_BACKLOG_SECONDS = 10.0  # audio received and not yet processed before the stream is ended
MAX_OPTIONS_CHARS = 256 * 1024  # the first message (an inline key-pose dictionary fits)
MIN_FPS = 1.0  # slower frame rates leave seconds of audio with no frame
CLOSE_BAD_INPUT = 4422
CLOSE_FAILED = 1011
DIGITS = 5  # decimals sent: 1e-5 rad is far below anything a rig shows


def add_live_route(app, settings, catalog, prefix="/v1"):
    """Register the WebSocket route on ``app``."""

    streams = set()  # the WebSockets being served (all on the event loop's thread)

    @app.websocket(f"{prefix}/live")
    async def live(websocket: WebSocket):
        denied = _denial(websocket.headers, settings) or _full(streams, settings.max_live_streams)
        if denied is not None:
            with contextlib.suppress(*_GONE):
                await websocket.send_denial_response(JSONResponse(status_code=denied[0],
                                                                  content={"detail": denied[1]}))
            return
        streams.add(websocket)
        try:
            await _serve(websocket, settings, catalog, release=lambda: streams.discard(websocket))
        finally:
            streams.discard(websocket)


# What sending to or reading from a client that has gone raises (starlette turns the transport's
# OSError into WebSocketDisconnect once connected; before that it comes through as is).
_GONE = (WebSocketDisconnect, WebSocketDisconnected, OSError)


async def _serve(websocket, settings, catalog, release):
    """One stream from the handshake to its close; every way it can end is a message or a log
    line, never a bare close."""
    idle = settings.live_idle_timeout
    try:
        await websocket.accept()
        stream = await _open(websocket, settings, catalog, idle)
        if stream is None:
            return
        sent = await _run(websocket, stream, idle)
        release()  # the stream's work is over: the client may start the next one right away
        await _say(websocket, {"type": "done", "frames": sent})
        await _close(websocket)
        log.info(kv("live-end", frames=sent, seconds=round(stream.features.duration, 2)))
    except _GONE:
        log.info(kv("live-disconnected"))
    except TalkrigError as exc:
        release()
        log.info(kv("live-refused", reason=str(exc)[:200]))
        await _refuse(websocket, str(exc))
    except Exception as exc:  # a fault of the server's own: the client still hears why
        release()
        log.exception(kv("live-failed", error=type(exc).__name__))
        await _refuse(websocket, f"the live stream failed on the server ({type(exc).__name__}: {exc}); "
                                 "the server log has the details", CLOSE_FAILED)


def _denial(headers, settings):
    """(status, message) when the handshake must be refused, else None."""
    if not token_matches(settings.token, bearer_token(headers.get("authorization"))):
        return 401, ("missing or wrong bearer token: send 'Authorization: Bearer <token>' with the "
                     "token from the server's token file")
    # the Host header is checked for every route (guards.HostCheck); a browser names the page a
    # WebSocket is opened from in Origin, and a page elsewhere may not drive this server
    origins = headers.getlist("origin")
    if is_loopback(settings.host) and origins and not (
            len(origins) == 1 and origin_is_local(origins[0], settings.allowed_hosts)):
        return 403, "this server only answers pages on this machine"
    return None


def _full(streams, limit):
    """(503, message) when ``limit`` streams are already served, else None."""
    if len(streams) < limit:
        return None
    return 503, (f"this server already serves {limit} live stream{'s' * (limit != 1)}, as many as it "
                 "holds within the latency target; try again when one ends, or start the server "
                 "with a higher --max-live-streams")


async def _open(websocket, settings, catalog, idle):
    """The LiveStream asked for by the first message, or None after telling the client why not.

    Raises TalkrigError (refused: bad options, nothing sent within ``idle`` seconds).
    """
    message = await _next(websocket, idle, f"no options arrived within {idle:g} s of connecting")
    first = message.get("text")
    if first is None:
        raise OptionsError("the first message must be a JSON object of options (text)")
    if len(first) > MAX_OPTIONS_CHARS:
        raise OptionsError(f"the first message holds {len(first)} characters; options take at most "
                           f"{MAX_OPTIONS_CHARS // 1024} KiB (name key-pose files in the data folder "
                           "rather than sending them inline)")
    check_nesting(first, "the first message")
    try:
        given = json.loads(first)
    except (ValueError, RecursionError):
        raise OptionsError("the first message must be a JSON object of options (text)") from None
    if not isinstance(given, dict):
        raise OptionsError("the first message must be a JSON object of options")
    unknown = sorted(set(given) - set(LIVE_FIELDS))
    if unknown:
        raise OptionsError(f"unknown live option '{unknown[0]}'; valid: {', '.join(LIVE_FIELDS)}")
    options = await run_in_threadpool(parse_options, first.encode("utf-8", "surrogatepass"), catalog,
                                      settings.data_dir)
    if options.fps < MIN_FPS:
        raise OptionsError(f"option 'fps' of a live stream must be at least {MIN_FPS:g} (frames a "
                           f"second), got {given.get('fps')!r}")
    generator = catalog.generator(options.backend)
    if not can_stream(generator):
        streaming = [name for name in catalog.generator_names() if can_stream(catalog.generator(name))]
        raise OptionsError(f"generator '{options.backend}' cannot stream live; these can: "
                           f"{', '.join(streaming) or 'none'}")
    stream = await run_in_threadpool(_stream, generator, options, given, catalog)
    await _say(websocket, {"type": "ready", "fps": stream.fps, "lookahead": stream.lookahead,
                               "sample_rate": SAMPLE_RATE, "backend": options.backend})
    log.info(kv("live-start", backend=options.backend, fps=stream.fps))
    return stream


def _stream(generator, options, given, catalog):
    """The LiveStream for checked ``options``: key poses only when the client asked for them."""
    keyposes = load_keyposes_option(options.keyposes if "keyposes" in given else LIVE_KEYPOSES)
    if keyposes is not None and options.language != "auto" and not is_english(options.language):
        # the live spotters hear English only: no key poses rather than English words misheard
        log.warning("live key poses need English speech (the live word spotter is English); "
                    "the speech is %r: no key poses", options.language)
        keyposes = None
    spotter = _spotter(catalog, sorted(keyposes.index)) if keyposes is not None else None
    model, face_options = resolve_face(options.face, options.face_options)
    face = LiveFace(model, face_options, options.seed) if model is not None else None
    return LiveStream(generator, options.backend_options, options.fps, options.seed,
                      keyposes=keyposes, spotter=spotter, face=face)


def _spotter(catalog, words):
    """A live keyword spotter for ``words`` from the first speech engine that has one."""
    for name in catalog.speech_names():
        plugin = get_speech_plugin(name, catalog.speech)
        make = getattr(plugin, "live_spotter", None)
        if callable(make) and not getattr(plugin, "unavailable", lambda: "")():
            spotter = make(words)
            if spotter is not None:
                return spotter
    raise OptionsError("live key poses need a speech engine that spots words live (pocketsphinx: "
                       "pip install pocketsphinx); none is installed, so send \"keyposes\": \"none\"")


async def _refuse(websocket, message, code=None):
    """Tell the client why the stream ends and close it (nothing when it has gone already)."""
    with contextlib.suppress(*_GONE):
        await _say(websocket, {"type": "error", "detail": message})
        await _close(websocket, code or CLOSE_BAD_INPUT)
    return None


async def _say(websocket, message):
    """Send one JSON text message (a dict, or its text)."""
    text = message if isinstance(message, str) else json.dumps(message)
    try:
        await websocket.send_text(text)
    except RuntimeError as exc:  # starlette's or uvicorn's: the connection closed under us
        raise WebSocketDisconnect(1006) from exc


async def _close(websocket, code=1000):
    try:
        await websocket.close(code)
    except RuntimeError as exc:
        raise WebSocketDisconnect(1006) from exc


async def _run(websocket, stream, idle):
    """Receive audio and send frames until the client ends the stream; returns the frames sent.

    Audio is fed in pieces of at most MAX_CHUNK_SECONDS whatever the backlog (the stages are
    made for the audio of one chunk at a time); a backlog past MAX_BACKLOG_SECONDS ends the
    stream with a message, so memory and latency stay bounded when audio arrives faster than
    the server turns it into motion.
    """
    backlog = _Backlog(int(MAX_BACKLOG_SECONDS * SAMPLE_RATE) * 2)
    receiver = asyncio.create_task(_receive_audio(websocket, backlog, idle))
    sent = 0
    try:
        while True:
            if receiver.done() and receiver.exception() is not None:
                raise receiver.exception()
            piece = backlog.take(CHUNK_BYTES)
            if piece:
                frames = await run_in_threadpool(stream.feed, samples_from_pcm16(piece))
                sent += await _send(websocket, frames)
            elif receiver.done():  # the client sent "end" and every piece before it was fed
                return sent + await _send(websocket, await run_in_threadpool(stream.finish))
            else:
                await backlog.wait(receiver)
    finally:
        if receiver.done():
            receiver.cancelled() or receiver.exception()  # retrieved: asyncio logs none unseen
        else:
            receiver.cancel()


async def _receive_audio(websocket, backlog, idle):
    """Put the client's audio into ``backlog`` until it sends "end" (returns) or the stream
    must end (raises: gone, a bad message, silence for ``idle`` seconds, audio too far ahead)."""
    while True:
        message = await _next(websocket, idle, f"nothing arrived for {idle:g} s (send audio "
                                               "continuously, silence too, and {\"type\": \"end\"} to finish)")
        data, text = message.get("bytes"), message.get("text")
        if data is not None:
            if len(data) % 2 or len(data) > CHUNK_BYTES:
                raise _BadChunk(f"audio chunks are 16-bit PCM, at most {MAX_CHUNK_SECONDS:g} s "
                                f"({CHUNK_BYTES} bytes); got {len(data)} bytes")
            backlog.put(data)
        elif _is_end(text):
            backlog.changed.set()
            return
        else:
            raise _BadChunk('send audio as binary messages and {"type": "end"} to finish')


async def _next(websocket, idle, silent):
    """The client's next message; _Idle (``silent`` says what was missed) after ``idle``
    seconds without one, WebSocketDisconnect once it has gone."""
    try:
        message = await asyncio.wait_for(websocket.receive(), idle)
    except asyncio.TimeoutError:
        raise _Idle(f"{silent}: the stream was closed to free its place") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return message


class _Backlog:
    """Audio received and not yet fed, at most ``limit`` bytes."""

    def __init__(self, limit):
        self.chunks, self.size, self.limit = collections.deque(), 0, limit
        self.changed = asyncio.Event()

    def put(self, data):
        if self.size + len(data) > self.limit:
            raise _TooFast(
                f"audio arrives faster than this server turns it into motion: "
                f"{(self.size + len(data)) / 2 / SAMPLE_RATE:.1f} s wait to be processed, at most "
                f"{MAX_BACKLOG_SECONDS:g} s may; send the audio as it plays (in real time), or ask "
                "for a lighter stream (\"face\": \"none\", another backend)")
        self.chunks.append(bytes(data))
        self.size += len(data)
        self.changed.set()

    def take(self, most):
        """The oldest chunk as the client sent it, at most ``most`` bytes of it (b"" when there
        is none). One chunk at a time, never several joined: the stream's plans are remade at
        the audio heard when they fall due, so joining chunks a server running behind has
        queued would make the motion depend on how busy the server was, not on the audio."""
        if not self.chunks:
            return b""
        chunk = self.chunks.popleft()
        if len(chunk) > most:
            chunk, rest = chunk[:most], chunk[most:]
            self.chunks.appendleft(rest)
        self.size -= len(chunk)
        return chunk

    async def wait(self, task):
        """Until audio or the end arrives, or ``task`` (the receiver) stops."""
        self.changed.clear()
        waiter = asyncio.ensure_future(self.changed.wait())
        await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()


class _BadChunk(TalkrigError):
    """A message that is neither audio nor the end of the stream."""


class _TooFast(TalkrigError):
    """More audio waits to be processed than a live stream may hold."""


class _Idle(TalkrigError):
    """The client sent nothing for the server's idle time."""


def _is_end(text):
    try:
        return json.loads(text or "").get("type") == "end"
    except (ValueError, AttributeError, RecursionError):
        return False


async def _send(websocket, frames):
    """Send one frames message; returns how many frames it held."""
    if frames is None:
        return 0
    m = frames.motion
    await _say(websocket, json.dumps({
        "type": "frames", "start": frames.start, "fps": m.fps,
        "times": np.round(frames.times, DIGITS).tolist(),
        "poses": np.round(m.poses.reshape(m.n_frames, -1), DIGITS).tolist(),
        "trans": np.round(m.trans, DIGITS).tolist(),
        "expressions": np.round(m.expressions, DIGITS).tolist(),
        "face_names": list(m.face_names),
        "face_curves": np.round(m.face_curves, DIGITS).tolist(),
    }, separators=(",", ":")))
    return m.n_frames
