"""The add-on's background work (addon/worker.py, no bpy): events, slow servers, failures."""

import pytest

from talkrig.client.http_client import ClientError
from talkrig.client.server_process import free_port
from talkrig.addon.worker import (POLL_RETRIES, Connection, Task, follow, is_local, preflight,
                                  probe, start_server)


class SlowServer:
    """Answers ``misses`` status polls with a timeout (a server busy recognising speech), then
    says the job is running, then done; records cancels."""

    def __init__(self, misses):
        self.misses = misses
        self.polls = 0
        self.cancelled = 0
        self.holds = []  # how long each poll let the server hold its answer

    def next_status(self, job_id, hold):
        self.holds.append(hold)
        return self.status(job_id)

    def status(self, job_id):
        self.polls += 1
        if self.polls <= self.misses:
            raise ClientError("did not answer in time", kind="timeout")
        state = "running" if self.polls == self.misses + 1 else "done"
        return {"state": state, "stage": "words", "progress": 0.5}

    def cancel(self, job_id):
        self.cancelled += 1
        return {"state": "running", "cancel_requested": True, "progress": 0.5}


def test_a_server_slow_to_answer_is_asked_again():
    server, events = SlowServer(POLL_RETRIES), []
    status = follow(server, "job", lambda *e: events.append(e), lambda: False, interval=0.0)
    assert status["state"] == "done" and server.polls == POLL_RETRIES + 2
    assert [kind for kind, _ in events] == ["status", "status"]


def test_a_server_that_never_answers_fails_the_job():
    with pytest.raises(ClientError) as err:
        follow(SlowServer(POLL_RETRIES + 1), "job", lambda *e: None, lambda: False, interval=0.0)
    assert err.value.kind == "timeout"


def test_the_first_poll_answers_at_once_and_the_next_wait_for_the_jobs_end():
    """The server holds each status after the first until the job ends or the interval is over,
    so the end is seen when it happens, not up to an interval later."""
    server = SlowServer(0)
    status = follow(server, "job", lambda *e: None, lambda: False, interval=0.25)
    assert status["state"] == "done" and server.holds == [0.0, 0.25]


def test_cancel_is_sent_once():
    server = SlowServer(0)
    follow(server, "job", lambda *e: None, lambda: True, interval=0.0)
    assert server.cancelled == 1


def test_task_errors_become_events_and_finished_is_last():
    def broken(emit, cancelled):
        emit("status", {"progress": 0.1})
        raise ValueError("boom")

    task = Task(broken)
    task.start()
    task.join(5)
    events = task.drain()
    assert [kind for kind, _ in events] == ["status", "error", "finished"]
    kind, message = events[1][1]
    assert kind == "internal" and "ValueError: boom" in message and "system console" in message

    def refused(emit, cancelled):
        raise ClientError("the server rejected the token", kind="auth")

    task = Task(refused)
    task.run()  # in this thread
    assert task.drain()[0] == ("error", ("auth", "the server rejected the token"))


@pytest.mark.parametrize("url, python, message", [
    ("http://10.1.2.3:8765", "/usr/bin/python3", "start `talkrig serve` on that machine"),
    ("http://127.0.0.1:8765", None, "no Python is set to start one: set Python in Preferences"),
])
def test_a_local_server_is_only_started_where_it_can_be(url, python, message):
    with pytest.raises(ClientError, match=message) as err:
        start_server(Connection(url=url, python=python))
    assert err.value.kind == "down"


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8765", True), ("http://127.3.4.5:1", True), ("http://localhost:9", True),
    ("http://[::1]:8765", True), ("http://0.0.0.0:8765", False), ("http://10.1.2.3", False),
    ("https://gpu.example.org", False), ("http://localhost.example.org", False),
])
def test_which_urls_are_this_machine(url, local):
    assert is_local(url) is local


def test_a_remote_url_is_not_contacted_while_online_access_is_off():
    conn = Connection(url="http://10.1.2.3:8765", online=False)
    with pytest.raises(ClientError, match="Allow Online Access in Preferences > System > Network") as err:
        conn.client()
    assert err.value.kind == "offline"
    assert preflight(conn)[0] == "offline"
    assert Connection(url="http://127.0.0.1:8765", online=False).client().url == "http://127.0.0.1:8765"


def test_preflight_says_which_preference_to_set_when_no_server_answers():
    url = f"http://127.0.0.1:{free_port()}"
    assert probe(url) is False
    kind, message = preflight(Connection(url=url, python="/usr/bin/python3", auto_start=False))
    assert kind == "down" and "turn on Start Local Server When Needed in Preferences" in message
    kind, message = preflight(Connection(url=url, python=None, auto_start=True))
    assert kind == "down" and "set Python in Preferences > Add-ons > talkrig" in message
    assert preflight(Connection(url=url, python="/usr/bin/python3", auto_start=True)) is None
    kind, message = preflight(Connection(url=f"http://0.0.0.0:{free_port()}", online=True))
    assert kind == "down" and "start `talkrig serve` on that machine" in message


def test_a_listening_port_passes_the_probe():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert probe(url) is True
        assert preflight(Connection(url=url, auto_start=False)) is None


def test_two_starts_of_the_local_server_at_once_share_one_server(tmp_path, monkeypatch):
    """The voice-over's words asked ahead start the local server, and Generate pressed meanwhile
    starts it too: the second waits for the first and reuses its server (two would collide on
    the one port: the later exits, and its job fails)."""
    import sys
    import threading

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    connection = Connection(url=f"http://127.0.0.1:{free_port()}", python=sys.executable,
                            token_file=str(tmp_path / "token"), auto_start=True)
    started, errors = [], []

    def start():
        try:
            started.append(start_server(connection)[1])
        except ClientError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    try:
        assert not errors and len(started) == 2
        assert started[0].pid == started[1].pid
        assert [s.process is not None for s in started].count(True) == 1  # one spawned it
    finally:
        for local in started:
            local.stop()
