"""Live client for the talkrig server's ``/v1/live`` WebSocket: standard library only.

A WebSocket client is small: an HTTP Upgrade handshake, then frames of a few header bytes
(RFC 6455; the client masks what it sends). Audio goes out as binary messages of 16-bit PCM,
frames come back as JSON text messages (see inference/server/live.py for the protocol).
Sending and receiving may run on two threads (one feeds the audio, one reads the frames).
"""

import array
import base64
import bisect
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

from .http_client import API, DEFAULT_URL, ClientError

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
SAMPLE_RATE = 16000  # mirrors talkrig.inference.audio.decode.SAMPLE_RATE (client is stdlib only)


class LiveClient:
    """One live stream. ``start()`` then ``send_audio()`` chunks and ``receive()`` messages;
    ``end()`` when the audio is over (the server sends the last frames, then "done")."""

    def __init__(self, url=DEFAULT_URL, token=None, timeout=10.0):
        try:
            parts = urllib.parse.urlsplit(url if "//" in url else "http://" + url)
            port = parts.port  # urllib checks the port only when asked
        except ValueError:
            parts = port = None
        if parts is None or parts.scheme not in ("http", "ws"):
            raise ClientError(f"live streams need a plain http:// or ws:// server address, got {url!r}",
                              kind="rejected")
        self.host, self.port = parts.hostname or "127.0.0.1", port or 80
        self.token, self.timeout = token, timeout
        self.sock = None
        self.buffer = b""
        self.send_lock = threading.Lock()
        self.closed = False

    # --- the stream ------------------------------------------------------------------------
    def start(self, backend="procedural", fps=30.0, seed=0, backend_options=None, **options):
        """Connect and ask for a stream; returns the server's "ready" message. options: more
        stream options (keyposes, face, face_options; see the server's /v1/live)."""
        self._connect()
        self.send_json({"backend": backend, "fps": fps, "seed": int(seed),
                        "backend_options": backend_options or {}, **options})
        ready = self.receive()
        if ready is None or ready.get("type") != "ready":
            self.close()
            detail = (ready or {}).get("detail") or "the server closed the stream"
            raise ClientError(f"live stream refused: {detail}", kind="rejected")
        return ready

    def send_audio(self, samples):
        """Send audio: 16-bit PCM bytes, or a sequence of float samples (-1..1) at 16 kHz."""
        if not isinstance(samples, (bytes, bytearray, memoryview)):
            samples = pcm16(samples)
        self._send(BINARY, bytes(samples))

    def end(self):
        """No more audio: the server answers with the last frames and "done"."""
        self.send_json({"type": "end"})

    def send_json(self, message):
        self._send(TEXT, json.dumps(message).encode())

    def receive(self, timeout=None):
        """The next JSON message from the server, or None once the stream is closed."""
        while True:
            opcode, payload = self._read_message(timeout)
            if opcode is None or opcode == CLOSE:
                self.close()
                return None
            if opcode == PING:
                self._send(PONG, payload)
            elif opcode == TEXT:
                return json.loads(payload.decode())

    def close(self):
        if self.sock is not None and not self.closed:
            self.closed = True
            try:
                self._send(CLOSE, struct.pack(">H", 1000))
            except (OSError, ClientError):
                pass
            self.sock.close()

    # --- the protocol ----------------------------------------------------------------------
    def _connect(self):
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ClientError(f"no talkrig server answers at {self.host}:{self.port} ({exc.strerror or exc}); "
                              "start it with 'talkrig serve'", kind="down") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {API}/live HTTP/1.1", f"Host: {self.host}:{self.port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if self.token:
            lines.append(f"Authorization: Bearer {self.token}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status, headers = self._read_head()
        if status != 101:
            raise self._refused(status, headers)
        expected = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise ClientError(f"{self.host}:{self.port} is not a talkrig server (bad WebSocket handshake)",
                              kind="not_talkrig")

    def _read_head(self):
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            raise ClientError(f"{self.host}:{self.port} is not a talkrig server", kind="not_talkrig") from None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def _refused(self, status, headers):
        length = int(headers.get("content-length", "0") or 0)
        while len(self.buffer) < length:
            self._fill()
        try:
            detail = json.loads(self.buffer[:length].decode()).get("detail")
        except (ValueError, AttributeError):
            detail = None
        self.sock.close()
        kind = {401: "auth", 403: "auth", 404: "not_talkrig"}.get(status, "rejected")
        if status == 404:
            detail = "this server has no live streams (an older talkrig, or another program)"
        return ClientError(f"live stream refused ({status}): {detail or 'no reason given'}", kind=kind,
                           status=status)

    def _fill(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ClientError("the talkrig server stopped answering the live stream", kind="timeout") from None
        except OSError as exc:
            raise ClientError(f"the live stream broke: {exc.strerror or exc}", kind="down") from None
        finally:
            if timeout is not None:
                self.sock.settimeout(self.timeout)
        if not data:
            return False
        self.buffer += data
        return True

    def _take(self, n, timeout):
        while len(self.buffer) < n:
            if not self._fill(timeout):
                return None
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read_message(self, timeout=None):
        """(opcode, payload) of the next whole message, or (None, b"") when the socket closed."""
        opcode, parts = None, []
        while True:
            head = self._take(2, timeout)
            if head is None:
                return None, b""
            fin, op, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._take(2, timeout))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._take(8, timeout))[0]
            mask = self._take(4, timeout) if head[1] & 0x80 else None
            payload = self._take(length, timeout) if length else b""
            if payload is None:
                return None, b""
            if mask:
                payload = _masked(payload, mask)
            if op >= 0x8:  # control frames may come between fragments
                if op == PING:
                    self._send(PONG, payload)
                    continue
                if op == CLOSE:
                    return CLOSE, payload
                continue
            opcode = op if op else opcode
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def _send(self, opcode, payload):
        if self.sock is None:
            raise ClientError("the live stream is not connected", kind="down")
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        with self.send_lock:
            try:
                self.sock.sendall(head + mask + _masked(payload, mask))
            except OSError as exc:
                raise ClientError(f"the live stream broke: {exc.strerror or exc}", kind="down") from None


def _masked(payload, mask):
    """XOR ``payload`` with the repeating 4-byte ``mask`` (fast: as one big integer)."""
    n = len(payload)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def pcm16(samples):
    """Little-endian 16-bit PCM bytes of float samples (-1..1, clipped)."""
    out = array.array("h", (int(max(-1.0, min(1.0, float(x))) * 32767) for x in samples))
    if sys.byteorder != "little":
        out.byteswap()
    return out.tobytes()


def latencies(messages, sent_at, audio_end):
    """Seconds from sending the chunk that holds each frame's audio time to receiving the
    frame, for every frame received, in frame order: (frame numbers, latencies)."""
    frames, delays = [], []
    for message, received in messages:
        if message.get("type") != "frames":
            continue
        for k, t in enumerate(message["times"]):
            chunk = min(bisect.bisect_left(audio_end, t), len(sent_at) - 1)
            frames.append(message["start"] + k)
            delays.append(received - sent_at[chunk])
    return frames, delays


def stream_in_real_time(client, chunks, chunk_seconds, on_message=None, should_stop=None,
                        clock=time.monotonic):
    """Send ``chunks`` (PCM bytes) at the pace of the audio while another thread reads the
    frames; returns (messages received, send times of each chunk, end time of each chunk's
    audio in seconds). on_message(message, received_at) is called for each message;
    should_stop() (polled before each chunk) ends the audio early."""
    messages, sent_at, audio_end = [], [], []
    failure = []

    def read():
        try:
            while True:
                message = client.receive(timeout=30.0)
                if message is None:
                    return
                now = clock()
                messages.append((message, now))
                if on_message is not None:
                    on_message(message, now)
                if message.get("type") in ("done", "error"):
                    return
        except ClientError as exc:
            failure.append(exc)

    reader = threading.Thread(target=read, name="talkrig-live-reader", daemon=True)
    reader.start()
    start, elapsed = clock(), 0.0
    for chunk in chunks:
        if should_stop is not None and should_stop():
            break
        elapsed += len(chunk) / 2 / SAMPLE_RATE
        time.sleep(max(0.0, start + elapsed - clock()))  # sent once its last sample was spoken
        sent_at.append(clock())
        audio_end.append(elapsed)
        client.send_audio(chunk)
    client.end()
    reader.join(timeout=60.0)
    if failure:
        raise failure[0]
    return messages, sent_at, audio_end

