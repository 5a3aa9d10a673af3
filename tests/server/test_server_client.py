"""The add-on's stdlib client against a real HTTP server on a loopback port (and impostors).

The server is the real app under uvicorn in a thread, with the scripted stand-in pipeline; the
end-to-end test with the real pipeline is tests/server/test_server_e2e.py.
"""

import http.server
import json
import socket
import threading

import pytest
from support.server_fakes import LiveServer, wait_for, wav_bytes

from talkrig.client.http_client import Client, ClientError, encode_multipart
from talkrig.client.server_process import free_port
from talkrig.inference.server.settings import ServerSettings
from talkrig.motion.npz import read_npz

TOKEN = "client-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path_factory.mktemp("data"), workers=1,
                              queue_depth=0, max_upload_bytes=256 * 1024)
    with LiveServer(settings) as live:
        yield live.url, live.pipeline


@pytest.fixture
def client(server):
    return Client(server[0], token=TOKEN, timeout=5)


def options(mode="ok"):
    return {"backend": "scripted", "backend_options": {"mode": mode}}


def test_health_check_and_backends(client):
    assert client.check()["authorized"] is True
    names = [g["name"] for g in client.backends()["generators"]]
    assert names == ["broken", "scripted"]


def test_submit_wait_and_fetch_from_a_path(client, tmp_path):
    path = tmp_path / "take.wav"
    path.write_bytes(wav_bytes(1.0))
    seen = []
    job_id = client.submit(path, options())
    status = client.wait(job_id, interval=0.02, on_status=lambda s: seen.append(s["progress"]))
    assert status["state"] == "done" and seen == sorted(seen)
    out = client.result(job_id)
    motion = read_npz(out.npz)
    assert motion.n_frames == out.info["n_frames"] == 30
    assert out.words[0]["word"] == "hello"
    out.save(tmp_path / "out.npz")
    assert (tmp_path / "out.npz").read_bytes() == out.npz


def test_wrong_or_missing_token_says_where_the_token_is(server):
    wrong = Client(server[0], token="nope", timeout=5)
    with pytest.raises(ClientError) as err:
        wrong.check()
    assert err.value.kind == "auth" and "rejected the token" in str(err.value)
    with pytest.raises(ClientError) as err:
        wrong.backends()
    assert err.value.kind == "auth" and err.value.status == 401
    missing = Client(server[0], token="", timeout=5)
    with pytest.raises(ClientError, match="needs a token") as err:
        missing.submit(wav_bytes(1.0), options())
    assert err.value.kind == "auth"


def test_bad_input_comes_back_as_the_servers_message(client):
    with pytest.raises(ClientError) as err:
        client.submit(wav_bytes(1.0), {"backend": "scripted", "backend_options": {"speed": 1}})
    assert err.value.kind == "rejected" and err.value.status == 422
    assert "no option 'speed'; valid options: mode, amplitude, library" in str(err.value)
    with pytest.raises(ClientError, match="not an audio file") as err:
        client.submit(b"hello, not audio", options())
    with pytest.raises(ClientError) as err:
        client.status("f" * 32)
    assert err.value.kind == "not_found"


@pytest.mark.parametrize("seconds,needle", [
    (20.0, "larger than the server's limit"),  # 640 KB: sent, the server answers 413
    (200.0, "the server takes at most 0.2 MiB"),  # 6 MB: the client checks the limit first
])
def test_upload_over_the_limit_is_rejected(client, seconds, needle):
    with pytest.raises(ClientError, match=needle) as err:
        client.submit(wav_bytes(seconds), options())
    assert err.value.kind == "rejected" and err.value.status == 413
    assert client.check()["status"] == "ok"


def test_busy_failed_and_cancelled_jobs(client, server):
    pipeline = server[1]
    pipeline.started.clear()
    blocked = client.submit(wav_bytes(1.0), options("block"))
    wait_for(pipeline.started.is_set)
    with pytest.raises(ClientError) as err:  # queue depth 0: no room while a job runs
        client.submit(wav_bytes(1.0), options())
    assert err.value.kind == "busy" and err.value.retry_after >= 1
    status = client.wait(blocked, interval=0.02, should_stop=lambda: True)
    assert status["state"] == "cancelled"
    assert client.cancel(blocked)["state"] == "cancelled"  # idempotent
    with pytest.raises(ClientError, match="failed: the generator refused") as err:
        client.generate(wav_bytes(1.0), options("fail"))
    assert err.value.kind == "conflict"


def test_nothing_listening_is_reported_as_down():
    with pytest.raises(ClientError, match="no talkrig server is running") as err:
        Client(f"http://127.0.0.1:{free_port()}", token="x", timeout=2).health()
    assert err.value.kind == "down"


class _Web(http.server.BaseHTTPRequestHandler):
    body, ctype, code = b"<html>hello</html>", "text/html", 200

    def do_GET(self):
        self.send_response(self.code)
        self.send_header("Content-Type", self.ctype)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _serve_http(handler):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.mark.parametrize("body,ctype,code", [
    (b"<html>hello</html>", "text/html", 200),  # a web page
    (json.dumps({"status": "ok"}).encode(), "application/json", 200),  # another JSON API
    (b"not found", "text/plain", 404),  # a server without /v1/health
])
def test_another_http_program_is_not_mistaken_for_talkrig(body, ctype, code):
    handler = type("Handler", (_Web,), {"body": body, "ctype": ctype, "code": code})
    httpd = _serve_http(handler)
    try:
        with pytest.raises(ClientError, match="not a talkrig server") as err:
            Client(f"http://127.0.0.1:{httpd.server_port}", token="x", timeout=2).health()
        assert err.value.kind == "not_talkrig"
    finally:
        httpd.shutdown()


def _raw_tcp(reply):
    """A TCP server that sends ``reply`` (or nothing, when None) to each connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    held = []

    def loop():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                conn.recv(65536)
                conn.sendall(reply)
                conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return sock, held


def test_a_non_http_program_and_a_silent_one():
    sock, _ = _raw_tcp(b"SSH-2.0-OpenSSH_9.6\r\n")
    try:
        with pytest.raises(ClientError) as err:
            Client(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=2).health()
        assert err.value.kind == "not_talkrig" and "check the URL and port" in str(err.value)
    finally:
        sock.close()
    sock, held = _raw_tcp(None)
    try:
        with pytest.raises(ClientError, match="did not answer in time") as err:
            Client(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=0.3).health()
        assert err.value.kind == "timeout"
    finally:
        sock.close()
        for conn in held:
            conn.close()


def test_multipart_body_is_well_formed():
    body, ctype = encode_multipart({"options": ("", "application/json", b"{}")},
                                   {"audio": ('we"ird.wav', "audio/wav", b"RIFF")})
    boundary = ctype.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="options"\r\n' in body and b'filename="weird.wav"' in body


def test_local_server_with_a_python_lacking_talkrig_says_so(tmp_path):
    import shutil

    from talkrig.client.server_process import LocalServer

    bare = shutil.which("python3", path="/usr/bin:/bin")
    if bare is None:
        pytest.skip("no system python3 to act as an interpreter without talkrig")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    local = LocalServer(python=bare, token_file=tmp_path / "token", state_dir=tmp_path, env=env)
    with pytest.raises(ClientError, match="does not have talkrig installed") as err:
        local.start(timeout=30)
    assert err.value.kind == "down" and not local.running
    # talkrig is not on PyPI: the way that works, with the interpreter named
    assert f"{bare} -m pip install '/path/to/talkrig[server]'" in str(err.value)
    missing = LocalServer(python=tmp_path / "no-such-python", token_file=tmp_path / "token",
                          state_dir=tmp_path)
    with pytest.raises(ClientError, match="cannot run the server's Python"):
        missing.start(timeout=5)
