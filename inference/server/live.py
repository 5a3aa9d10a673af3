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
rebinding); one beyond the server's ``max_live_streams`` gets 503. Work for a stream runs off
the event loop; audio that arrives while the previous chunk is being processed is fed in one
go, so a busy server falls behind by a chunk, not a queue.
"""

import asyncio
import json
import logging
from urllib.parse import urlsplit

import numpy as np
from fastapi import WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...motion.errors import TalkrigError
from ..features import SAMPLE_RATE
from ..face import resolve_face
from ..keyposes import load_keyposes_option
from ..languages import is_english
from ..speech import get_speech_plugin
from ..stream import LiveStream, can_stream, samples_from_pcm16
from ..stream_face import LiveFace
from .auth import bearer_token, token_matches
from .job_options import OptionsError, parse_options
from .logs import kv
from .settings import is_loopback

log = logging.getLogger(__name__)

LIVE_FIELDS = ("backend", "seed", "fps", "backend_options", "keyposes", "face", "face_options",
               "language")
LIVE_KEYPOSES = "none"  # live key poses are asked for: spotting is far less sure than offline words
MAX_CHUNK_SECONDS = 1.0
CLOSE_BAD_INPUT = 4422
DIGITS = 5  # decimals sent: 1e-5 rad is far below anything a rig shows


def add_live_route(app, settings, catalog, prefix="/v1"):
    """Register the WebSocket route on ``app``."""

    streams = set()  # the WebSockets being served (all on the event loop's thread)

    @app.websocket(f"{prefix}/live")
    async def live(websocket: WebSocket):
        denied = _denial(websocket.headers, settings) or _full(streams, settings.max_live_streams)
        if denied is not None:
            await websocket.send_denial_response(JSONResponse(status_code=denied[0], content={"detail": denied[1]}))
            return
        streams.add(websocket)
        try:
            await websocket.accept()
            stream = await _open(websocket, settings, catalog)
            if stream is not None:
                await _run(websocket, stream)
        except WebSocketDisconnect:
            log.info(kv("live-disconnected"))
        finally:
            streams.discard(websocket)


def _denial(headers, settings):
    """(status, message) when the handshake must be refused, else None."""
    if not token_matches(settings.token, bearer_token(headers.get("authorization"))):
        return 401, ("missing or wrong bearer token: send 'Authorization: Bearer <token>' with the "
                     "token from the server's token file")
    origin = headers.get("origin")  # the Host header is checked for every route (guards.HostCheck)
    if is_loopback(settings.host) and origin and not is_loopback(urlsplit(origin).hostname or ""):
        return 403, "this server only answers pages on this machine"
    return None


def _full(streams, limit):
    """(503, message) when ``limit`` streams are already served, else None."""
    if len(streams) < limit:
        return None
    return 503, (f"this server already serves {limit} live stream{'s' * (limit != 1)}, as many as it "
                 "holds within the latency target; try again when one ends, or start the server "
                 "with a higher --max-live-streams")


async def _open(websocket, settings, catalog):
    """The LiveStream asked for by the first message, or None after telling the client why not."""
    try:
        first = await websocket.receive_text()
        given = json.loads(first)
        if not isinstance(given, dict):
            raise OptionsError("the first message must be a JSON object of options")
        unknown = sorted(set(given) - set(LIVE_FIELDS))
        if unknown:
            raise OptionsError(f"unknown live option '{unknown[0]}'; valid: {', '.join(LIVE_FIELDS)}")
        options = await run_in_threadpool(parse_options, first.encode(), catalog, settings.data_dir)
        generator = catalog.generator(options.backend)
        if not can_stream(generator):
            streaming = [name for name in catalog.generator_names() if can_stream(catalog.generator(name))]
            raise OptionsError(f"generator '{options.backend}' cannot stream live; these can: "
                               f"{', '.join(streaming) or 'none'}")
        stream = await run_in_threadpool(_stream, generator, options, given, catalog)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError):
        return await _refuse(websocket, "the first message must be a JSON object of options (text)")
    except TalkrigError as exc:
        return await _refuse(websocket, str(exc))
    await websocket.send_json({"type": "ready", "fps": stream.fps, "lookahead": stream.lookahead,
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


async def _refuse(websocket, message):
    await websocket.send_json({"type": "error", "detail": message})
    await websocket.close(CLOSE_BAD_INPUT)
    return None


async def _run(websocket, stream):
    """Receive audio and send frames until the client ends the stream."""
    audio = []  # chunks received and not yet fed
    arrived = asyncio.Event()
    ended = False

    async def receive():
        nonlocal ended
        while not ended:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            data, text = message.get("bytes"), message.get("text")
            if data is not None:
                if len(data) % 2 or len(data) > 2 * MAX_CHUNK_SECONDS * SAMPLE_RATE:
                    raise _BadChunk(f"audio chunks are 16-bit PCM, at most {MAX_CHUNK_SECONDS:g} s "
                                    f"({int(2 * MAX_CHUNK_SECONDS * SAMPLE_RATE)} bytes); got {len(data)} bytes")
                audio.append(data)
            elif _is_end(text):
                ended = True
            else:
                raise _BadChunk('send audio as binary messages and {"type": "end"} to finish')
            arrived.set()

    receiver = asyncio.create_task(receive())
    sent = 0
    try:
        while True:
            if not audio and not ended:
                arrived.clear()
                waiter = asyncio.create_task(arrived.wait())
                await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if receiver.done() and receiver.exception() is not None and not audio:
                    raise receiver.exception()
                continue
            data, audio[:] = b"".join(audio), []
            if data:
                frames = await run_in_threadpool(stream.feed, samples_from_pcm16(data))
                sent += await _send(websocket, frames)
            elif ended:
                sent += await _send(websocket, await run_in_threadpool(stream.finish))
                await websocket.send_json({"type": "done", "frames": sent})
                await websocket.close()
                log.info(kv("live-end", frames=sent, seconds=round(stream.features.duration, 2)))
                return
    except _BadChunk as exc:
        await _refuse(websocket, str(exc))
    finally:
        receiver.cancel()


class _BadChunk(TalkrigError):
    """A message that is neither audio nor the end of the stream."""


def _is_end(text):
    try:
        return json.loads(text or "").get("type") == "end"
    except (ValueError, AttributeError):
        return False


async def _send(websocket, frames):
    """Send one frames message; returns how many frames it held."""
    if frames is None:
        return 0
    m = frames.motion
    await websocket.send_text(json.dumps({
        "type": "frames", "start": frames.start, "fps": m.fps,
        "times": np.round(frames.times, DIGITS).tolist(),
        "poses": np.round(m.poses.reshape(m.n_frames, -1), DIGITS).tolist(),
        "trans": np.round(m.trans, DIGITS).tolist(),
        "expressions": np.round(m.expressions, DIGITS).tolist(),
        "face_names": list(m.face_names),
        "face_curves": np.round(m.face_curves, DIGITS).tolist(),
    }, separators=(",", ":")))
    return m.n_frames
