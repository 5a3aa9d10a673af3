"""`talkrig serve` as a process: a busy port is one line and exit code 2, and an upload still
arriving when the server is told to stop gets 503 instead of a job that is cancelled at once."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from support.server_fakes import wav_bytes

from talkrig import cli


def test_a_busy_port_is_one_line_and_exit_2_before_anything_starts(tmp_path, capfd):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = cli.main(["serve", "--port", str(port), "--token-file", str(tmp_path / "token"),
                         "--data-dir", str(tmp_path / "data")])
    err = capfd.readouterr().err
    assert code == 2
    assert err.strip() == (f"talkrig serve: error: port {port} on 127.0.0.1 is already in use "
                           "(another talkrig server?): stop that program, or choose another port "
                           "with --port (0 picks a free one)")
    assert not (tmp_path / "token").exists()  # nothing was started or written


def test_an_address_of_another_machine_is_one_line(tmp_path, capfd):
    code = cli.main(["serve", "--host", "192.0.2.7", "--port", "0",
                     "--token-file", str(tmp_path / "token"), "--data-dir", str(tmp_path / "data")])
    assert code == 2
    assert "192.0.2.7 is not an address of this machine" in capfd.readouterr().err


def _multipart(audio):
    return (b"--XyZ\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n--XyZ--\r\n")


@pytest.mark.slow
def test_an_upload_arriving_during_shutdown_gets_503(tmp_path):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "share"), PYTHONUNBUFFERED="1")
    server = subprocess.Popen([sys.executable, "-m", "talkrig", "serve", "--port", "0", "--no-token",
                               "--data-dir", str(tmp_path / "data"), "--workers", "1"],
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True)
    try:
        lines = []
        while not any("startup complete" in line for line in lines):
            line = server.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", "".join(lines)).group(1))
        body = _multipart(wav_bytes(2.0))
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:1000])
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            sock.sendall(body[1000:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 503"), answer[:300]
        assert b"shutting down" in answer and b"retry-after: 5" in answer.lower()
        server.wait(20)
        rest = server.stderr.read()
        assert "Traceback" not in rest and "status=503" in rest
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        server.stderr.close()
