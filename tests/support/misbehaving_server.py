"""A loopback HTTP server that misbehaves on cue, for the client's and the add-on's tests
(tests/client/test_client_misbehaving_server.py, tests/addon/test_addon_misbehaving_server.py):
``server.routes[(method, path)] = handler`` scripts each answer."""

import http.server
import io
import json
import struct
import threading
import zipfile

TOKEN = "misbehaving-server-token"


class Scripted(http.server.ThreadingHTTPServer):
    """A loopback HTTP server whose answer to each path is ``routes[(method, path)]`` (a
    function of the handler); every request's method, path and headers are kept."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes, self.seen = {}, []
        self.stop = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self):
        self.stop.set()
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        route = self.server.routes.get((self.command, self.path.split("?")[0]))  # a query never
        # changes the route (GET /jobs/ID?wait=0.25 is the job's status)
        if route is None:
            return self.reply(404, {"detail": f"no route {self.path}"})
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_DELETE = _any

    def reply(self, code, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def answers(value, code=200):
    return lambda h: h.reply(code, value)


def silent(handler):
    handler.server.stop.wait(60)


def trickle(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    while not handler.server.stop.wait(0.3):
        handler.wfile.write(b" ")
        handler.wfile.flush()


def npz_declaring(frames, payload=b""):
    """A zip holding a poses.npy whose header declares ``frames`` frames (and little data)."""
    header = repr({"descr": "<f4", "fortran_order": False, "shape": (frames, 165)}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("poses.npy", npy)
    return buffer.getvalue()
