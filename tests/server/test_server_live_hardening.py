"""The live WebSocket against hostile or careless clients: foreign origins, deep or absurd
options, audio sent far ahead of real time, silent clients, clients vanishing at any moment, a
fault inside the stream. Each ends in a message to the client (or a refused handshake), no
traceback in the server's log, bounded memory, and a server that serves the next stream.

The real app and the real procedural generator and face model, served the way `talkrig serve`
serves them on a loopback socket; raw sockets and the add-on's stdlib client as clients.
"""

import gc
import json
import random
import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest
from support.server_fakes import LiveServer

from talkrig.client.http_client import ClientError
from talkrig.client.live_client import LiveClient, pcm16
from talkrig.inference.live import driver as stream_module
from talkrig.inference.server.catalog import Catalog
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion.container import frame_count

TOKEN = "live-hardening-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path_factory.mktemp("data"), workers=1,
                              max_live_streams=1, live_idle_timeout=2.0)
    with LiveServer(settings, catalog=Catalog()) as live:
        yield live


@pytest.fixture
def clean_log(server):
    """Fails the test when the server logged a traceback while it ran."""
    before = len(server.tracebacks())
    yield
    gc.collect()  # an exception nobody retrieved is logged when its task is collected
    time.sleep(0.2)
    assert [r.getMessage() for r in server.tracebacks()[before:]] == []


def voice(seconds, seed=0):
    """Speech-like noise: bursts of loud noise with pauses (float32, 16 kHz)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.2 * rng.standard_normal(t.size) * (np.sin(2 * np.pi * 0.7 * t) > -0.3)).astype(np.float32)


def client(server, timeout=30.0):
    return LiveClient(server.url, token=TOKEN, timeout=timeout)


def opened(server, **options):
    """A started stream (the previous test's stream may still be closing its end)."""
    deadline = time.monotonic() + 10
    while True:
        live = client(server)
        try:
            live.start("procedural", **options)
            return live
        except ClientError as exc:
            assert "503" in str(exc) and time.monotonic() < deadline, exc
            time.sleep(0.05)


def messages_until_closed(live, timeout=60.0):
    out = []
    while (message := live.receive(timeout=timeout)) is not None:
        out.append(message)
    return out


def serves_a_stream(server, seconds=1.0):
    """True when a new stream is served every frame of ``seconds`` of audio."""
    live = opened(server, face="none")
    live.send_audio(pcm16(voice(seconds)))
    live.end()
    messages = messages_until_closed(live)
    return messages[-1] == {"type": "done", "frames": frame_count(seconds, 30)}


def handshake(server, headers):
    """The HTTP status a WebSocket handshake with ``headers`` (name, value) pairs gets (once the
    stream before has let go of its place)."""
    deadline = time.monotonic() + 10
    while (status := _handshake(server, headers)) == 503 and time.monotonic() < deadline:
        time.sleep(0.05)
    return status


def _handshake(server, headers):
    lines = ["GET /v1/live HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             f"Authorization: Bearer {TOKEN}"]
    if not any(name.lower() == "host" for name, _ in headers):
        lines.append(f"Host: 127.0.0.1:{server.settings.port}")
    lines += [f"{name}: {value}" for name, value in headers]
    with socket.create_connection(("127.0.0.1", server.settings.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = sock.recv(65536)
        if head.startswith(b"HTTP/1.1 101"):
            sock.sendall(_frame(0x8, struct.pack(">H", 1000)))
            while sock.recv(65536):  # until the server has closed its end
                pass
        return int(head.split(b" ", 2)[1])


def _frame(opcode, payload):
    """One masked client frame (RFC 6455)."""
    mask = b"\x01\x02\x03\x04"
    size = len(payload)
    head = bytes([0x80 | opcode]) + (bytes([0x80 | size]) if size < 126 else
                                     bytes([0x80 | 126]) + struct.pack(">H", size) if size < 65536 else
                                     bytes([0x80 | 127]) + struct.pack(">Q", size))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# -- who may open a stream -----------------------------------------------------------------------

@pytest.mark.parametrize("origin", [
    "http://127.0.0.1:8765", "http://localhost", "https://localhost:3000", "http://[::1]:9000",
])
def test_pages_on_this_machine_may_open_a_stream(server, origin):
    assert handshake(server, [("Origin", origin)]) == 101


@pytest.mark.parametrize("headers", [
    [("Origin", "http://attacker.example")],
    [("Origin", "null")],  # sandboxed frames and file pages
    [("Origin", "chrome-extension://localhost")],
    [("Origin", "http://attacker.example\\@127.0.0.1")],  # parsers disagree on the host
    [("Origin", "http://localhost:80.attacker.example")],
    [("Origin", "http://127.0.0.1"), ("Origin", "http://attacker.example")],
    [("Origin", "http://localhost/page")],  # not an origin at all
    [("Host", "127.0.0.1"), ("Host", "attacker.example")],
], ids=lambda h: " + ".join(f"{n}={v}" for n, v in h))
def test_foreign_or_ambiguous_origins_and_hosts_are_refused(server, headers, clean_log):
    assert handshake(server, headers) in (400, 403)
    assert serves_a_stream(server)


# -- the first message ---------------------------------------------------------------------------

@pytest.mark.parametrize("first, said", [
    ("[" * 2000 + "]" * 2000, "nests arrays or objects 2000 deep"),
    ('{"backend": ' + "[" * 100000 + "]" * 100000 + "}", "nests arrays or objects 100001 deep"),
    (json.dumps({"backend": "procedural", "seed": 1, "keyposes": "x" * 300000}), "at most 256 KiB"),
    (json.dumps({"fps": 1e-300}), "option 'fps' must be a frame rate from"),
    (json.dumps({"fps": 0.001}), "option 'fps' must be a frame rate from"),
    (json.dumps({"fps": 0.5}), "option 'fps' of a live stream must be at least 1"),
])
def test_hostile_options_are_refused_with_one_line(server, first, said, clean_log):
    live = client(server)
    live._connect()
    live._send(0x1, first.encode())
    answer = live.receive(timeout=30)
    assert answer["type"] == "error" and said in answer["detail"], answer
    assert live.receive(timeout=10) is None
    assert serves_a_stream(server)


# -- audio ahead of real time --------------------------------------------------------------------

def blast(server, seconds, face):
    """Send ``seconds`` of audio as fast as the socket takes it; (messages, peak bytes traced)."""
    audio = pcm16(voice(seconds, seed=3))
    live = opened(server, face=face)
    received = []
    reader = threading.Thread(target=lambda: received.extend(messages_until_closed(live)))
    tracemalloc.start()
    try:
        reader.start()
        try:
            for i in range(0, len(audio), 32000):
                live.send_audio(audio[i:i + 32000])
            live.end()
        except ClientError:
            pass  # the server ended the stream while the audio was still going out
        reader.join(120)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    live.close()
    return received, peak


@pytest.mark.parametrize("face", ["phones", "none"])
def test_audio_sent_far_ahead_ends_with_a_message_and_memory_stays_flat(server, face, clean_log):
    short, short_peak = blast(server, 20, face)
    long, long_peak = blast(server, 400, face)
    for received in (short, long):
        assert received[-1]["type"] == "error", received[-1]
        assert "faster than this server turns it into motion" in received[-1]["detail"]
        assert "at most 10 s" in received[-1]["detail"]
    # twenty times the audio, the same memory: nothing queues beyond the bound
    assert long_peak < 1.5 * short_peak + 8e6, (short_peak, long_peak)
    assert serves_a_stream(server)


@pytest.mark.parametrize("face", ["phones", "none"])
def test_a_backlog_within_the_bound_streams_every_frame(server, face, clean_log):
    received, _ = blast(server, 9.5, face)
    assert received[-1] == {"type": "done", "frames": frame_count(9.5, 30)}
    starts = [m["start"] for m in received if m["type"] == "frames"]
    sizes = [len(m["times"]) for m in received if m["type"] == "frames"]
    assert starts == list(np.cumsum([0] + sizes[:-1]))  # every frame once, in order
    curves = np.concatenate([m["face_curves"] for m in received if m["type"] == "frames"])
    assert curves.shape[0] == frame_count(9.5, 30)


# -- silent clients, the next stream -------------------------------------------------------------

def test_a_client_that_sends_no_options_loses_its_place(server, clean_log):
    live = client(server)
    live._connect()
    answer = live.receive(timeout=30)
    assert answer["type"] == "error" and "no options arrived within 2 s of connecting" in answer["detail"]
    assert serves_a_stream(server)


def test_a_client_that_goes_silent_mid_stream_loses_its_place(server, clean_log):
    live = opened(server, face="none")
    live.send_audio(pcm16(voice(0.5)))
    messages = messages_until_closed(live)
    assert messages[-1]["type"] == "error" and "nothing arrived for 2 s (send audio" in messages[-1]["detail"]
    assert serves_a_stream(server)


def test_the_next_stream_may_start_as_soon_as_one_is_done(server, clean_log):
    for _ in range(5):
        live = opened(server, face="none")
        live.send_audio(pcm16(voice(0.5)))
        live.end()
        while live.receive(timeout=30)["type"] != "done":
            pass
        following = client(server)
        following.start("procedural", face="none")  # no 503: the last stream's place is free
        live.close()
        following.end()
        assert messages_until_closed(following)[-1] == {"type": "done", "frames": 0}


# -- clients vanishing, faults -------------------------------------------------------------------

def test_two_hundred_clients_vanishing_at_any_moment_log_no_traceback(server, clean_log):
    rng = random.Random(5)
    audio = pcm16(voice(1.0))
    for i in range(200):
        live = client(server)
        try:
            live._connect()
            step = rng.randrange(5)
            if step >= 1:
                live.send_json({"backend": "procedural", "face": "none" if i % 4 else "phones"})
            if step >= 2:
                live.receive(timeout=30)
                for k in range(rng.randrange(1, 6)):
                    live.send_audio(audio[k * 3200:(k + 1) * 3200])
            if step >= 3:
                time.sleep(rng.random() * 0.05)
            if step == 4:
                live.end()
        except ClientError:
            pass
        if live.sock.fileno() != -1 and rng.random() < 0.5:  # a reset rather than a close
            live.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        live.sock.close()
    assert serves_a_stream(server)


def test_a_fault_inside_the_stream_reaches_the_client_as_a_message(server, monkeypatch):
    def broken(self, samples):
        raise RuntimeError("a fault in the stream")

    before = len(server.tracebacks())
    monkeypatch.setattr(stream_module.LiveStream, "feed", broken)
    live = opened(server, face="none")
    live.send_audio(pcm16(voice(0.2)))
    messages = messages_until_closed(live)
    assert messages[-1]["type"] == "error" and "failed on the server" in messages[-1]["detail"]
    assert "a fault in the stream" in messages[-1]["detail"]
    monkeypatch.undo()
    assert len(server.tracebacks()) == before + 1  # the server's own fault is logged, once
    assert serves_a_stream(server)
