"""The stdlib client against a server that misbehaves: redirects, silence, trickles, a cancelled
job that never ends, malformed statuses, ids and words, huge or corrupt downloads. Each is a
ClientError with a message, in bounded time and memory; the token never leaves for another
address. A real HTTP server on loopback plays the server.
"""

import json
import math
import threading

import pytest
from support.misbehaving_server import TOKEN, Scripted, answers, npz_declaring, silent, trickle

from talkrig.client import http_client, replies
from talkrig.client.http_client import Client, ClientError


@pytest.fixture
def server():
    s = Scripted()
    yield s
    s.close()


def client(server, timeout=2.0):
    return Client(server.url, token=TOKEN, timeout=timeout)


def job(server, job_id="abc123"):
    server.routes[("POST", "/v1/jobs")] = answers({"id": job_id}, 202)


def returns_within(function, seconds=60):
    """What ``function()`` returned or raised, failing the test when it has not returned after
    ``seconds`` (a hang)."""
    out = {}

    def run():
        try:
            out["value"] = function()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the client hung"
    if "error" in out:
        raise out["error"]
    return out["value"]


# -- redirects -----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_token_stays_home(server, code):
    elsewhere = Scripted()
    try:
        elsewhere.routes[("POST", "/v1/jobs")] = answers({"id": "stolen"}, 202)
        elsewhere.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "done"})
        server.routes[("POST", "/v1/jobs")] = lambda h: h.reply(code, b"", headers=[("Location", elsewhere.url + "/v1/jobs")])
        server.routes[("GET", "/v1/jobs/abc123")] = lambda h: h.reply(code, b"", headers=[("Location", elsewhere.url + "/v1/jobs/abc123")])
        with pytest.raises(ClientError, match="redirect.*never redirects") as err:
            client(server).submit(b"RIFF", {})
        assert err.value.kind == "not_talkrig"
        with pytest.raises(ClientError, match="redirect"):
            client(server).status("abc123")
        assert elsewhere.seen == []  # nothing, and no token, went to the other address
    finally:
        elsewhere.close()


# -- silence, trickles, jobs that never end ------------------------------------------------------

def trickle_head(handler):
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n":
        if handler.server.stop.wait(0.3):
            return
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()


@pytest.mark.parametrize("behaviour", [silent, trickle, trickle_head], ids=["silent", "body", "head"])
def test_a_server_that_stops_answering_or_trickles_ends_in_a_timeout(server, behaviour):
    job(server)
    server.routes[("GET", "/v1/jobs/abc123")] = behaviour
    with pytest.raises(ClientError) as err:
        returns_within(lambda: client(server, timeout=1.0).generate(b"RIFF", {}, timeout=3.0))
    assert err.value.kind == "timeout"


def test_a_cancelled_job_the_server_keeps_running_ends_the_wait(server, monkeypatch):
    monkeypatch.setattr(http_client, "CANCEL_GRACE", 1.0)
    job(server)
    server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "running", "progress": 0.5})
    server.routes[("DELETE", "/v1/jobs/abc123")] = answers({"state": "running", "cancel_requested": True})
    with pytest.raises(ClientError, match="cancelled but the server still runs it") as err:
        returns_within(lambda: client(server).generate(b"RIFF", {}, should_stop=lambda: True))
    assert err.value.kind == "timeout"
    assert [m for m, p, _ in server.seen].count("DELETE") == 1


def test_the_add_ons_job_loop_gives_up_on_a_cancelled_job_that_never_ends(server, monkeypatch):
    from talkrig.addon import worker

    monkeypatch.setattr(worker, "CANCEL_GRACE", 1.0)
    server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "running", "progress": 0.5})
    server.routes[("DELETE", "/v1/jobs/abc123")] = answers({"state": "running", "cancel_requested": True})
    with pytest.raises(ClientError, match="cancelled but the server still runs it"):
        returns_within(lambda: worker.follow(client(server).jobs("generate"), "abc123",
                                             lambda *e: None, lambda: True, 0.05))


# -- malformed answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("status, said", [
    ([], "without a valid state"),
    ({"stage": "words", "progress": 0.5}, "without a valid state"),
    ({"state": "exploded"}, "without a valid state"),
    ({"state": ["running"]}, "without a valid state"),
    ({"state": "running", "progress": "half"}, "progress is not a number"),
    ({"state": "running", "progress": math.inf}, "progress is not a number"),
    ({"state": "running", "stage": {"deep": 1}}, "stage is not text"),
    ({"state": "failed", "error": 7}, "error is not text"),
])
def test_malformed_statuses_are_a_clear_error(server, status, said):
    job(server)
    server.routes[("GET", "/v1/jobs/abc123")] = lambda h: h.reply(200, json.dumps(status).encode())
    with pytest.raises(ClientError, match=said) as err:
        returns_within(lambda: client(server).generate(b"RIFF", {}))
    assert err.value.kind == "not_talkrig" and "not a talkrig server" in str(err.value)


@pytest.mark.parametrize("job_id", [123, None, ["a"], "../../../.config/evil", "a/b", "x" * 65, "", "a\x00b"])
def test_job_ids_that_are_not_plain_names_are_refused(server, job_id):
    job(server, job_id)
    with pytest.raises(ClientError, match="job id that is not a plain name"):
        client(server).submit(b"RIFF", {})


def test_a_status_with_a_long_error_is_cut_to_one_line(server):
    job(server)
    server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "failed", "error": "bad\n" * 100000})
    with pytest.raises(ClientError) as err:
        client(server).generate(b"RIFF", {})
    assert "\n" not in str(err.value) and len(str(err.value)) < 800


def test_a_huge_error_body_is_read_only_in_part(server):
    server.routes[("POST", "/v1/jobs")] = answers({"detail": "x" * (30 * 1024 * 1024)}, 422)
    with pytest.raises(ClientError) as err:
        client(server).submit(b"RIFF", {})
    assert len(str(err.value)) < 1000


# -- downloads -----------------------------------------------------------------------------------

def done_job(server, motion, words=(), info=None):
    job(server)
    server.routes[("GET", "/v1/jobs/abc123")] = answers({"state": "done", "progress": 1.0})
    server.routes[("GET", "/v1/jobs/abc123/result")] = answers(info or {"words": list(words)})
    server.routes[("GET", "/v1/jobs/abc123/result/motion")] = motion


def streams_zeros(length=None):
    """A handler sending "PK" and zeros without end, declaring ``length`` (None: no length)."""
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header(*(("Content-Length", str(length)) if length else ("Connection", "close")))
        h.end_headers()
        while not h.server.stop.wait(0.001):
            h.wfile.write(b"PK" + b"\x00" * 65534)

    return handler


def test_a_motion_declaring_1_5_gb_is_refused_before_it_is_read(server):
    done_job(server, streams_zeros(1_500_000_000))
    with pytest.raises(ClientError, match="more than 256 MiB"):
        returns_within(lambda: client(server).generate(b"RIFF", {}))


def test_a_motion_streamed_past_the_cap_without_a_length_is_cut_off(server, monkeypatch):
    monkeypatch.setattr(replies, "MAX_MOTION_BYTES", 1024 * 1024)
    done_job(server, streams_zeros())
    with pytest.raises(ClientError, match="more than 1 MiB"):
        returns_within(lambda: client(server).generate(b"RIFF", {}))


@pytest.mark.parametrize("motion, said", [
    (npz_declaring(300000), "take of 300000 frames"),
    (b"PK\x03\x04 not really a zip", "not a readable BEAT2 npz"),
    (npz_declaring(10)[:-30], "not a readable BEAT2 npz"),
    (b"\x89PNG\r\n", "not an npz file"),
])
def test_takes_too_long_or_corrupt_are_refused(server, motion, said):
    done_job(server, lambda h: h.reply(200, motion, "application/octet-stream"))
    with pytest.raises(ClientError, match=said):
        client(server).generate(b"RIFF", {})


@pytest.mark.parametrize("info", [
    {"words": "hello world"},
    {"words": [{"word": 5, "start": 0, "end": 1}]},
    {"words": [{"word": "hi", "start": math.nan, "end": 1}]},
    {"words": [["hi", 0, 1]]},
    ["not", "an", "object"],
])
def test_garbage_words_are_refused(server, info):
    done_job(server, lambda h: h.reply(200, npz_declaring(10, b"\x00" * 6600), "application/octet-stream"),
             info=info)
    with pytest.raises(ClientError, match="not a talkrig server"):
        client(server).generate(b"RIFF", {})


def test_a_well_formed_take_comes_through(server):
    done_job(server, lambda h: h.reply(200, npz_declaring(10, b"\x00" * 6600), "application/octet-stream"),
             words=[{"word": "hi", "start": 0.1, "end": 0.4}])
    out = client(server).generate(b"RIFF", {})
    assert out.info["n_frames"] == 10 and out.words[0]["word"] == "hi"
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, _, h in server.seen)
