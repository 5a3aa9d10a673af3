"""What a client that sends hostile or broken requests gets from the server: a 4xx with a reason,
a closed connection, never a 500 or a traceback in the log, and the server keeps serving.

Request contents go through the real app (FastAPI's test client); connection-level behaviour
(disconnects, slow or endless heads and bodies, oversized headers) through the real app served
the way `talkrig serve` serves it, on a loopback socket, with raw sockets as the client.
"""

import json
import os
import socket
import time

import pytest
from support.server_fakes import LiveServer, wav_bytes
from test_server_api import AUTH, TOKEN, job_options, serve, submit, wait_state

from talkrig.inference.server.guards import host_allowed, host_name
from talkrig.inference.server.settings import ServerSettings

WAV = wav_bytes(2.0)


@pytest.fixture
def api(tmp_path):
    with serve(tmp_path) as client:
        yield client


# -- the options JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "[" * 100_000 + "]" * 100_000,
    '{"keyposes": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"keyposes": {"entries": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}}",
    '{"backend_options": {"mode": ' + "[" * 70 + "]" * 70 + "}}",
])
def test_deeply_nested_options_are_422(api, raw):
    answer = submit(api, raw_options=raw)
    assert answer.status_code == 422, answer.text
    assert "deep; at most 64 levels" in answer.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    transcript = "[" * 5000 + " hello " + "]" * 10  # a plain script with odd brackets
    answer = submit(api, {**job_options(), "transcript": "so " + transcript})
    assert answer.status_code == 202, answer.text
    answer = submit(api, {**job_options(), "speech": "[[[[" * 1000})
    assert answer.status_code == 422 and "option 'speech'" in answer.json()["detail"]


def test_a_deep_json_word_list_as_transcript_is_422(api):
    words = "[" * 100_000 + "]" * 100_000
    answer = submit(api, {**job_options(), "transcript": words})
    assert answer.status_code == 422 and "option 'transcript' nests" in answer.json()["detail"]


@pytest.mark.parametrize("member, needle", [
    ('"seed": 1e999', "option 'seed'"),
    ('"fps": NaN', "option 'fps'"),
    ('"seed": ' + "9" * 5000, "not valid JSON"),
    ('"backend_options": {"amplitude": Infinity}', "amplitude"),
    ('"backend_options": {"amplitude": -1e308}', "amplitude"),
    ('"transcript": 17', "option 'transcript' must be text"),
    ('"keyposes": true', "option 'keyposes' must be"),
    ('"fps": "30"', "option 'fps'"),
    ('"seed": -1', "option 'seed'"),
    ('"seed": 3, "seed": "\udcff"', "not valid JSON"),
    ('"initial_pose": [[1e400, 0, 0]]', "option 'initial_pose'"),
])
def test_odd_numbers_and_wrong_types_are_422(api, member, needle):
    raw = ('{"backend": "scripted", ' + member + "}").encode("utf-8", "surrogatepass")
    answer = submit(api, raw_options=raw)
    assert answer.status_code == 422, answer.text
    assert needle in answer.json()["detail"]


def test_a_backend_that_is_not_a_name_is_422(api):
    answer = submit(api, raw_options='{"backend": ["scripted"]}')
    assert answer.status_code == 422 and "option 'backend' must be" in answer.json()["detail"]


def test_float_options_must_be_finite():
    from talkrig.inference.generation.options import Option
    from talkrig.inference.registry import PluginError

    for value in (float("inf"), "-inf", float("nan")):
        with pytest.raises(PluginError, match="must be a number"):
            Option("clip_at", "float", default=0.0, min=0.0).coerce(value, "generator 'a2g'")


# -- the transcript's size ---------------------------------------------------------------------

def test_a_transcript_far_longer_than_the_audio_is_422(api):
    script = "hello there " * 20_000  # 240 000 characters for 2 s of audio
    answer = submit(api, {**job_options(), "transcript": script})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "240000 characters long for 2.0 s of audio (at most 75536)" in detail
    assert api.pipeline.calls == []


def test_a_transcript_longer_than_any_accepted_recording_is_refused_before_decoding(tmp_path):
    with serve(tmp_path, max_audio_seconds=10.0) as client:
        answer = submit(client, {**job_options(), "transcript": "x" * 200_000},
                        audio=b"not audio at all")
        assert answer.status_code == 422
        assert "recordings of at most 10 s" in answer.json()["detail"]  # not the decoder's error


# -- paths -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, needle", [
    ("a" * 10_000, "bytes long; paths may be at most 4096"),
    ("mocap/" + "b" * 300 + "/take", "a file or folder name of 300 bytes"),
    ("é" * 200, "name of 400 bytes"),
    ("missing/folder", "'missing/folder' does not exist in the server's data folder"),
    (12345, "must be the name of a file or folder"),
    ("", "must be the name of a file or folder"),
    ("loop/x", "cannot be followed"),
])
def test_path_options_are_checked_at_submission(tmp_path, value, needle):
    data = tmp_path / "data"
    data.mkdir()
    os.symlink(data / "loop", data / "loop")  # a link to itself
    with serve(tmp_path) as client:
        for options in (job_options(library=value), {**job_options(), "keyposes": value}):
            if options.get("keyposes") in ("", 12345, "missing/folder"):
                continue  # keyposes has its own messages for these (test_server_api)
            answer = submit(client, options)
            assert answer.status_code == 422, (options, answer.text)
            assert needle in answer.json()["detail"]
            assert str(tmp_path) not in answer.json()["detail"]
        assert client.pipeline.calls == []


def test_a_library_with_a_take_linked_from_outside_the_data_folder_is_refused(tmp_path):
    data = tmp_path / "data"
    library = data / "mocap" / "scott"
    (library / "more").mkdir(parents=True)
    (data / "takes").mkdir()
    (data / "takes" / "a.npz").write_bytes(b"x")
    (tmp_path / "secret.npz").write_bytes(b"x")
    os.symlink(data / "takes" / "a.npz", library / "a.npz")  # a link inside the folder: fine
    with serve(tmp_path) as client:
        answer = submit(client, job_options(library="mocap/scott"))
        assert answer.status_code == 202, answer.text
        assert wait_state(client, answer.json()["id"])["state"] == "done"
        os.symlink(tmp_path / "secret.npz", library / "more" / "b.npz")
        answer = submit(client, job_options(library="mocap/scott"))
        assert answer.status_code == 422
        detail = answer.json()["detail"]
        assert "mocap/scott/more/b.npz is a link to a file outside the server's data folder" in detail
        assert len(client.pipeline.calls) == 1


def test_a_library_reaching_out_through_a_linked_folder_is_refused(tmp_path):
    """A link to a folder that stays inside the data folder is followed: the takes and their
    audio in that folder may not link out either (and links in a loop end)."""
    data = tmp_path / "data"
    library = data / "mocap" / "scott"
    library.mkdir(parents=True)
    shared = data / "shared"
    shared.mkdir()
    os.symlink(shared, library / "more")  # a folder inside the data folder: fine
    os.symlink(library, shared / "back")  # and a loop
    (tmp_path / "secret").write_bytes(b"x")
    with serve(tmp_path) as client:
        answer = submit(client, job_options(library="mocap/scott"))
        assert answer.status_code == 202, answer.text
        assert wait_state(client, answer.json()["id"])["state"] == "done"
        for name in ("b.npz", "b.wav"):
            os.symlink(tmp_path / "secret", shared / name)
            answer = submit(client, job_options(library="mocap/scott"))
            assert answer.status_code == 422, answer.text
            detail = answer.json()["detail"]
            assert f"shared/{name} is a link to a file outside the server's data folder" in detail
            assert str(tmp_path) not in detail
            (shared / name).unlink()
        assert len(client.pipeline.calls) == 1


# -- Host header (DNS rebinding) and the open documentation ---------------------------------------

@pytest.mark.parametrize("header, name", [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:80", "::1"),
                                          ("LocalHost.", "localhost"), ("", ""),
                                          ("evil.example:8765", "evil.example")])
def test_host_names_are_read_from_the_header(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize("name, bound, allowed, ok", [
    ("127.0.0.1", "127.0.0.1", (), True), ("localhost", "127.0.0.1", (), True),
    ("app.localhost", "127.0.0.1", (), True), ("192.168.1.5", "127.0.0.1", (), True),
    ("evil.example", "127.0.0.1", (), False), ("proxy.lan", "127.0.0.1", ("proxy.lan",), True),
    ("workstation.lan", "0.0.0.0", (), True), ("evil.example", "0.0.0.0", ("ws.lan",), False),
    ("ws.lan", "ws.lan", (), True),
])
def test_which_hosts_are_answered(name, bound, allowed, ok):
    assert host_allowed(name, bound, allowed) is ok


def test_requests_addressed_to_a_foreign_name_are_403(tmp_path):
    with serve(tmp_path) as client:
        for path in ("/v1/health", "/docs", "/v1/jobs"):
            answer = client.get(path, headers={**AUTH, "Host": "rebound.example:8765"})
            assert answer.status_code == 403
            detail = answer.json()["detail"]
            assert "DNS rebinding" in detail and "--allow-host rebound.example" in detail
        assert client.get("/v1/health", headers={"Host": "localhost:8765"}).status_code == 200
    with serve(tmp_path, allowed_hosts=("rebound.example",)) as client:
        assert client.get("/v1/health", headers={"Host": "rebound.example"}).status_code == 200


def test_the_api_documentation_is_open_and_holds_no_data(tmp_path):
    (tmp_path / "data").mkdir()
    with serve(tmp_path) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 200  # no token needed, as the README says
        schema = client.get("/openapi.json").text
        assert TOKEN not in schema and str(tmp_path) not in schema and "scripted" not in schema
        assert client.get("/v1/backends").status_code == 401  # what the plugins are: token only


# -- shutting down -------------------------------------------------------------------------------

def test_uploads_after_the_stop_signal_get_503(api):
    api.app.state.runner.stop_accepting()
    answer = submit(api, job_options())
    assert answer.status_code == 503 and "shutting down" in answer.json()["detail"]
    assert answer.headers["Retry-After"] == "5"


# -- connections: the real server on a socket ----------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    settings = ServerSettings(token=TOKEN, data_dir=tmp_path_factory.mktemp("data"), workers=1,
                              queue_depth=2, header_timeout=0.6, body_timeout=0.6,
                              max_header_bytes=16 * 1024)
    with LiveServer(settings) as server:
        yield server


def _connect(live):
    sock = socket.create_connection(("127.0.0.1", live.settings.port), timeout=10)
    return sock


def _head(path="/v1/jobs", length=None, extra=""):
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {TOKEN}",
             "Content-Type: multipart/form-data; boundary=XyZ"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + extra + "\r\n\r\n").encode()


def _read_all(sock):
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _body(audio=WAV):
    return (b"--XyZ\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n--XyZ--\r\n")


def _health_ok(live):
    with _connect(live) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return _read_all(sock).startswith(b"HTTP/1.1 200")


def _no_new_tracebacks(live, before):
    assert [r.getMessage() for r in live.tracebacks()[before:]] == []


def test_a_client_leaving_mid_upload_is_logged_as_499_without_a_traceback(live):
    before = len(live.tracebacks())
    body = _body()
    with _connect(live) as sock:
        sock.sendall(_head(length=len(body)) + body[: len(body) // 2])
        time.sleep(0.1)
    deadline = time.monotonic() + 5
    while not any("status=499" in m for m in live.messages()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any("path=/v1/jobs status=499" in m for m in live.messages())
    _no_new_tracebacks(live, before)
    assert _health_ok(live)


def test_a_body_that_never_completes_is_cut_off_with_408(live):
    before = len(live.tracebacks())
    body = _body()
    with _connect(live) as sock:
        sock.sendall(_head(length=len(body) + 100_000) + body)  # promises more than it sends
        answer = _read_all(sock)  # the server answers, then closes the connection
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"the upload stalled" in answer and b"connection: close" in answer.lower()
    _no_new_tracebacks(live, before)


def test_a_head_sent_too_slowly_is_dropped(live):
    with _connect(live) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends its headers
        start = time.monotonic()
        assert _read_all(sock) == b""
        assert time.monotonic() - start < 8  # closed by the server, not by the client's timeout
    assert any("no complete request head" in m for m in live.messages())
    assert _health_ok(live)


def test_a_body_nobody_reads_that_never_arrives_does_not_hold_the_connection(live):
    with _connect(live) as sock:  # the answer needs no body; the connection must not wait for it
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nab")
        start = time.monotonic()
        answer = _read_all(sock)
        assert time.monotonic() - start < 8
    assert answer.startswith(b"HTTP/1.1 200")


def test_a_huge_header_is_refused_once_it_passes_the_limit(live):
    before = len(live.tracebacks())
    with _connect(live) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: ")
        sent = 0
        try:
            while sent < 20 * 2**20:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(sock)
    assert sent < 20 * 2**20  # the server closed the connection (socket buffers took a few MB)
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    _no_new_tracebacks(live, before)
    assert _health_ok(live)


def test_a_head_over_the_limit_is_431_even_when_it_arrives_whole(live):
    with _connect(live) as sock:  # 20 000 headers of ~12 bytes, sent in one piece
        headers = "".join(f"X-H{i}: v\r\n" for i in range(20_000))
        sock.sendall(f"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431") or answer.startswith(b"HTTP/1.1 400"), answer[:100]
    with _connect(live) as sock:  # a long URL: the whole head is one line
        sock.sendall(b"GET /v1/health?" + b"q" * 20_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431") and b"over the server's limit of 16 KiB" in answer


def test_options_with_text_that_is_not_unicode_are_422(api):
    answer = submit(api, raw_options='{"backend": "scripted", "transcript": "so \\ud800 there"}')
    assert answer.status_code == 422 and "not valid Unicode" in answer.json()["detail"]


def test_malformed_multipart_on_the_wire_is_4xx(live):
    before = len(live.tracebacks())
    for body in (b"--XyZ\r\nContent-Disposition: form-data; name=\"audio\"\r\n\r\nabc",  # no end
                 b"\x00\xff" * 100, b"--XyZ--\r\n"):
        with _connect(live) as sock:
            sock.sendall(_head(length=len(body), extra="\r\nConnection: close") + body)
            answer = _read_all(sock)
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:200]
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    _no_new_tracebacks(live, before)
