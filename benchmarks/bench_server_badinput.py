"""Bad-input sweep, loopback only and bounded: hostile and broken requests against `talkrig serve`.

Starts `talkrig serve` on a free 127.0.0.1 port (private config/data folders, its log in a file)
and sends each input of the sweep over a raw socket: malformed multipart, options JSON nested
100 000 deep, huge/negative/non-finite numbers, wrong types, unicode, path tricks (long names,
``..``, absolute paths, links out of the data folder), truncated and odd audio, a
decompression bomb, oversized headers, a client that leaves mid-upload, bodies that stop
arriving, a head trickled byte by byte. The slow inputs run in threads alongside the others.

Every input must get a 4xx answer, be accepted as a harmless job (an odd file name is cut to its
last part, right-to-left text is text), or be closed by the server on purpose (a stalled head, a
client that left); the sweep fails (exit 1) on any 5xx, any traceback in the server's log (the
accepted jobs are awaited, so their failures count too), an input left unanswered past its
bound, or a server that does not answer afterwards.

Prints each input's outcome with --verbose, then: inputs tried, accepted/4xx/5xx/closed counts,
tracebacks in the log, the server's peak RSS (VmHWM) before and after the sweep and the input
after which it grew most.

    .venv/bin/python benchmarks/bench_server_badinput.py [--verbose] [--ten-hours]
"""

import argparse
import io
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
from process_memory import rss_mib

from talkrig.client.server_process import LocalServer

SPEECH = Path(__file__).resolve().parents[1].parent / "shared/data/beat2_scott_train/2_scott_0_2_2.wav"
ANSWER_TIMEOUT = 90.0  # seconds any one input may take to be answered or closed
BOUNDARY = "sweepBoundary7"


# -- building requests -------------------------------------------------------------------------

def wav(samples, rate=16000, subtype="PCM_16"):
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def speech(seconds=2.0):
    samples, rate = sf.read(SPEECH, dtype="float32")
    return wav(samples[: int(seconds * rate)], rate)


def part(name, data, filename=None, ctype="application/octet-stream"):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
    return head.encode("utf-8", "surrogateescape") + data + b"\r\n"


def form(*parts):
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def job(options=None, audio=None, filename="speech.wav"):
    """A job upload body: the audio part (2 s of real speech by default) and the options part."""
    parts = [part("audio", speech() if audio is None else audio, filename)]
    if options is not None:
        raw = options if isinstance(options, bytes) else options.encode("utf-8", "surrogatepass")
        parts.insert(0, part("options", raw, ctype="application/json"))
    return form(*parts)


def request(body=b"", method="POST", path="/v1/jobs", token=True, ctype=None, headers=(),
            length=None, host="127.0.0.1"):
    """The bytes of one HTTP/1.1 request that asks the server to close the connection after."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token if isinstance(token, str) else TOKEN[0]}")
    if ctype is None and method == "POST":
        ctype = f"multipart/form-data; boundary={BOUNDARY}"
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    if (method == "POST" or body) and length is not False:  # False: send no Content-Length
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


TOKEN = [""]  # read from the server's token file once it has started


def options(**values):
    return json.dumps({"backend": "procedural", "speech": "none", **values})


def float_wav(samples, rate=16000):
    return wav(np.asarray(samples, np.float32), rate, subtype="FLOAT")


def wav_header(rate=16000, channels=1, bits=16, data_bytes=0, declared=None):
    byte_rate = rate * channels * bits // 8
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, channels, rate, byte_rate,
                      channels * bits // 8, bits)
    size = 4 + len(fmt) + 8 + data_bytes
    return (b"RIFF" + struct.pack("<I", size) + b"WAVE" + fmt + b"data"
            + struct.pack("<I", data_bytes if declared is None else declared))


def flac_bomb(seconds=10):
    """A small FLAC file that decodes to a huge array: silence at 655 350 Hz, 8 channels (the
    audit sent 60 s; 10 s is refused by the same rule and spares the sweep a 630 MB array)."""
    buf = io.BytesIO()
    sf.write(buf, np.zeros((int(655350 * seconds), 8), np.int16), 655350, format="FLAC")
    return buf.getvalue()


def ten_hours():
    """Ten hours of real speech in 56 MiB, inside the upload limit: GSM 6.10 in a WAV at 8 kHz
    (about 80 s to encode, hence ``--ten-hours``)."""
    samples, _ = sf.read(SPEECH, dtype="float32")
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=8000, channels=1, format="WAV", subtype="GSM610") as out:
        for _ in range(int(10 * 3600 * 2 * 8000 / len(samples)) + 1):
            out.write(samples[::2])
    return buf.getvalue()


# -- the sweep ---------------------------------------------------------------------------------

def inputs(data_dir, long_upload=False):
    """[(name, bytes to send or a callable(port) -> outcome)]; with ``long_upload`` ten hours of
    speech too."""
    outside = Path(data_dir).parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "take.npz").write_bytes(b"not really")
    library = Path(data_dir) / "linked_library"
    library.mkdir(parents=True, exist_ok=True)
    if not (library / "take.npz").exists():
        os.symlink(outside / "take.npz", library / "take.npz")
    deep = "[" * 100_000 + "]" * 100_000
    (Path(data_dir) / "deep.json").write_text('{"entries": ' + deep + "}")
    ok_audio = speech()
    sweep = [
        # options JSON
        ("options nested 100 000 deep", request(job(deep))),
        ("keyposes nested 100 000 deep", request(job('{"keyposes": ' + deep + "}"))),
        ("keyposes objects nested 50 000 deep",
         request(job('{"keyposes": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}"))),
        ("backend_options nested deep", request(job('{"backend_options": {"x": ' + deep + "}}"))),
        ("transcript: JSON words nested deep", request(job(options(transcript=deep)))),
        ("options not JSON", request(job("{oops"))),
        ("options a list", request(job("[1, 2]"))),
        ("options bytes not UTF-8", request(job(b'{"seed": "\xff\xfe"}'))),
        ("options lone surrogate", request(job('{"transcript": "\\ud800"}'))),
        ("options 5 MB", request(job(options(transcript="a" * 5 * 2**20)))),
        ("unknown option", request(job(options(colour="red")))),
        ("seed -1", request(job(options(seed=-1)))),
        ("seed 2**80", request(job(options(seed=2**80)))),
        ("seed 1e999", request(job('{"seed": 1e999}'))),
        ("seed 5000 digits", request(job('{"seed": ' + "9" * 5000 + "}"))),
        ("seed a string", request(job(options(seed="3")))),
        ("seed true", request(job(options(seed=True)))),
        ("fps 1e9", request(job(options(fps=1e9)))),
        ("fps 0", request(job(options(fps=0)))),
        ("fps -30", request(job(options(fps=-30)))),
        ("fps NaN", request(job('{"fps": NaN}'))),
        ("fps Infinity", request(job('{"fps": Infinity}'))),
        ("fps a list", request(job(options(fps=[30])))),
        ("backend an emoji", request(job(options(backend="🕺")))),
        ("backend 1 MB long", request(job(options(backend="x" * 2**20)))),
        ("backend with NUL", request(job(options(backend="procedural\x00")))),
        ("backend null", request(job('{"backend": null}'))),
        ("speech unknown", request(job(options(speech="klingon")))),
        ("speech a dict", request(job(options(speech={"a": 1})))),
        ("transcript a number", request(job(options(transcript=17)))),
        ("transcript 3.5 MB for 2 s", request(job(options(transcript="word " * 700_000)))),
        ("transcript right-to-left text", request(job(options(transcript="\u202eolleh " * 10)))),
        ("keyposes true", request(job(options(keyposes=True)))),
        ("keyposes broken object", request(job(options(keyposes={"entries": [{"words": 3}]})))),
        ("keyposes ../", request(job(options(keyposes="../../etc/passwd")))),
        ("keyposes /etc/passwd", request(job(options(keyposes="/etc/passwd")))),
        ("keyposes ~", request(job(options(keyposes="~/.ssh/id_rsa")))),
        ("keyposes NUL", request(job(options(keyposes="a\x00b.json")))),
        ("keyposes file nested 100 000 deep", request(job(options(keyposes="deep.json")))),
        ("keyposes 10 000 characters", request(job(options(keyposes="k" * 10_000)))),
        ("initial_pose 54 joints", request(job(options(initial_pose=[[0, 0, 0]] * 54)))),
        ("initial_pose Infinity", request(job('{"initial_pose": [' + ",".join(["Infinity"] * 165) + "]}"))),
        ("initial_pose strings", request(job(options(initial_pose=["a"] * 165)))),
        ("backend_options a list", request(job(options(backend_options=[1])))),
        ("backend_options unknown", request(job(options(backend_options={"nope": 1})))),
        ("library 10 000 characters",
         request(job(options(backend="matching", backend_options={"library": "l" * 10_000})))),
        ("library name of 300 bytes",
         request(job(options(backend="matching", backend_options={"library": "x/" + "n" * 300})))),
        ("library ../..",
         request(job(options(backend="matching", backend_options={"library": "../.."})))),
        ("library /",
         request(job(options(backend="matching", backend_options={"library": "/"})))),
        ("library missing",
         request(job(options(backend="matching", backend_options={"library": "nowhere"})))),
        ("library a number",
         request(job(options(backend="matching", backend_options={"library": 7})))),
        ("library with a take linked from outside",
         request(job(options(backend="matching", backend_options={"library": "linked_library"})))),
        # multipart
        ("not multipart", request(b'{"audio": 1}', ctype="application/json")),
        ("multipart without boundary", request(job(), ctype="multipart/form-data")),
        ("boundary 5 000 characters", request(job(), ctype="multipart/form-data; boundary=" + "b" * 5000)),
        ("no audio part", request(form(part("options", b"{}")))),
        ("audio part twice", request(form(part("audio", ok_audio, "a.wav"), part("audio", ok_audio, "b.wav")))),
        ("unknown part", request(form(part("audio", ok_audio, "a.wav"), part("extra", b"x")))),
        ("part without a name", request(form(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nxx\r\n".encode()))),
        ("multipart cut short", request(job()[:-40])),
        ("multipart garbage", request(os.urandom(4096))),
        ("empty body", request(b"")),
        ("filename ../../etc/passwd", request(job(options(), filename="../../etc/passwd"))),
        ("filename 10 000 characters", request(job(options(), filename="f" * 10_000 + ".wav"))),
        ("filename unicode", request(job(options(), filename="ŝpéêch 🎤.wav"))),
        # audio
        ("audio empty", request(job(options(), audio=b""))),
        ("audio text", request(job(options(), audio=b"hello, this is not audio\n" * 10))),
        ("audio random bytes", request(job(options(), audio=os.urandom(50_000)))),
        ("WAV header of 30 bytes", request(job(options(), audio=wav_header()[:30]))),
        ("WAV header only", request(job(options(), audio=wav_header()))),
        ("WAV sample rate 0", request(job(options(), audio=wav_header(rate=0, data_bytes=3200) + bytes(3200)))),
        ("WAV 0 channels", request(job(options(), audio=wav_header(channels=0, data_bytes=3200) + bytes(3200)))),
        ("WAV data size 4 GB, 1 KB sent", request(job(options(), audio=wav_header(declared=2**32 - 1) + bytes(1024)))),
        ("WAV cut in half", request(job(options(), audio=ok_audio[: len(ok_audio) // 2]))),
        ("WAV of 10 ms", request(job(options(), audio=wav(np.zeros(160, np.float32))))),
        ("WAV of NaN", request(job(options(), audio=float_wav(np.full(16000, np.nan))))),
        ("WAV scaled to 1e30", request(job(options(), audio=float_wav(np.full(16000, 1e30))))),
        ("WAV 601 s", request(job(options(), audio=wav(np.zeros(601 * 8000, np.float32), 8000)))),
        ("FLAC decompression bomb", request(job(options(), audio=flac_bomb(), filename="bomb.flac"))),
        ("mp3 header then garbage", request(job(options(), audio=b"ID3\x03\x00\x00\x00\x00\x00\x00" + os.urandom(5000), filename="a.mp3"))),
        ("ogg cut short", request(job(options(), audio=b"OggS" + os.urandom(200), filename="a.ogg"))),
        # HTTP
        ("no token", request(job(options()), token=False)),
        ("wrong token", request(job(options()), token="nope")),
        ("token 1 MB", request(job(options()), token="t" * 2**20)),
        ("Host of another site", request(b"", method="GET", path="/v1/health",
                                         host="rebind.example")),
        ("job id 10 000 characters", request(b"", method="GET", path="/v1/jobs/" + "9" * 10_000)),
        ("job id path tricks", request(b"", method="GET", path="/v1/jobs/..%2F..%2Fetc%2Fpasswd")),
        ("job id unicode", request(b"", method="DELETE", path="/v1/jobs/%F0%9F%95%BA")),
        ("URL of 100 KB", request(b"", method="GET", path="/v1/health?" + "q" * 100_000)),
        ("unknown method", request(b"", method="BREW", path="/v1/jobs")),
        ("10 000 headers", request(b"", method="GET", path="/v1/health",
                                   headers=[f"X-H{i}: v" for i in range(10_000)])),
        ("header of 20 MB", request(b"", method="GET", path="/v1/health",
                                    headers=["X-Junk: " + "a" * 20 * 2**20])),
        ("Content-Length 10 GB", request(job(options()), length=10 * 2**30)),
        ("Content-Length negative", request(job(options()), length=-5)),
        ("Content-Length not a number", request(job(options()), length="lots")),
        ("not HTTP at all", b"\x16\x03\x01\x02\x00garbage that is not HTTP\r\n\r\n"),
        ("chunked with a broken chunk", request(b"zz\r\nabc\r\n0\r\n\r\n", length=False,
                                                headers=["Transfer-Encoding: chunked"])),
        # connections that misbehave
        ("client leaves mid-upload", lambda port: leave_mid_upload(port, ok_audio)),
        ("body shorter than Content-Length", lambda port: stall_body(port, ok_audio)),
        ("head trickled byte by byte", trickle_head),
    ]
    if long_upload:
        sweep.append(("10 h of speech in 56 MiB (GSM 6.10 WAV)",
                      request(job(options(), audio=ten_hours(), filename="ten_hours.wav"))))
    return sweep


def exchange(port, data, timeout=ANSWER_TIMEOUT):
    """Send ``data``; the status the server answers with, or "closed" if it closes without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading (an oversized head): read what it said
        return read_status(sock)


def read_status(sock):
    answer = b""
    try:
        while b"\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    except ConnectionResetError:
        pass
    if not answer.startswith(b"HTTP/1."):
        return "closed"
    return int(answer.split(b" ", 2)[1])


def leave_mid_upload(port, audio):
    body = job(options(), audio=audio)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request(body)[: -len(body) // 2])
        time.sleep(0.2)
    return "closed"


def stall_body(port, audio):
    body = job(options(), audio=audio)
    return exchange(port, request(body, length=len(body) + 50_000))


def trickle_head(port):
    head = request(b"", method="GET", path="/v1/health")
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as sock:
        try:
            for byte in head:  # one byte a second: 20 s allow about 20 of them
                sock.sendall(bytes([byte]))
                time.sleep(1.0)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_status(sock)


# -- measuring ---------------------------------------------------------------------------------

def wait_idle(client, timeout=180.0):
    """Wait until the jobs accepted during the sweep have ended (their failures are logged too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = client.check()["jobs"]
        if jobs["running"] == 0 and jobs["queued"] == 0:
            return jobs["totals"]
        time.sleep(0.5)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every input's outcome")
    parser.add_argument("--ten-hours", action="store_true",
                        help="also upload ten hours of speech compressed inside the upload limit")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="talkrig-badinput-"))
    data = root / "data"
    env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "share"))
    server = LocalServer(python=sys.executable, host="127.0.0.1", token_file=root / "token",
                         state_dir=root / "state", env=env,
                         extra_args=["--data-dir", str(data), "--workers", "1", "--log-level", "info"])
    client = server.start(timeout=120)
    TOKEN[0] = client.token
    port = int(server.url.rsplit(":", 1)[1])
    client.generate(speech(), {"backend": "procedural", "speech": "none"})  # warm-up
    before = rss_mib(server.pid)
    sweep = inputs(data, args.ten_hours)
    slow = [(name, item) for name, item in sweep if callable(item)]
    fast = [(name, item) for name, item in sweep if not callable(item)]
    outcomes, growth = {}, []
    print(f"server pid {server.pid} on {server.url}; {len(sweep)} inputs; peak RSS after warm-up "
          f"{before:.0f} MiB")
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(len(slow)) as pool:
            futures = {name: pool.submit(item, port) for name, item in slow}
            for name, data_ in fast:
                hwm = rss_mib(server.pid)
                try:
                    outcomes[name] = exchange(port, data_)
                except (TimeoutError, socket.timeout):
                    outcomes[name] = "no answer"
                growth.append((rss_mib(server.pid) - hwm, name))
                if args.verbose:
                    print(f"  {outcomes[name]!s:>9}  {name}")
            for name, future in futures.items():
                try:
                    outcomes[name] = future.result(timeout=ANSWER_TIMEOUT)
                except Exception as exc:  # a timeout here is a finding, not a crash of the bench
                    outcomes[name] = f"no answer ({type(exc).__name__})"
                if args.verbose:
                    print(f"  {outcomes[name]!s:>9}  {name}")
        idle = wait_idle(client)
        alive = client.check()["status"] == "ok"
        after = rss_mib(server.pid)
    finally:
        server.stop()
    log = server.log_file.read_text(encoding="utf-8", errors="replace")
    tracebacks = log.count("Traceback (most recent call last)")
    codes = [o for o in outcomes.values() if isinstance(o, int)]
    accepted = [n for n, o in outcomes.items() if isinstance(o, int) and o < 400]
    bad5 = [n for n, o in outcomes.items() if isinstance(o, int) and o >= 500]
    closed = [n for n, o in outcomes.items() if o == "closed"]
    hung = [n for n, o in outcomes.items() if isinstance(o, str) and o.startswith("no answer")]
    worst = max(growth)
    print(f"{len(outcomes)} inputs in {time.monotonic() - started:.0f} s: "
          f"{sum(400 <= c < 500 for c in codes)} answered 4xx, {len(accepted)} accepted, {len(bad5)} 5xx, "
          f"{len(closed)} closed by design or by the server, {len(hung)} unanswered; "
          f"{tracebacks} tracebacks in the server log; peak RSS {before:.0f} -> {after:.0f} MiB "
          f"(largest step {worst[0]:.0f} MiB, at '{worst[1]}'); server up afterwards: {alive}")
    if idle is not None:
        print(f"  accepted jobs ended: {idle['done']} done, {idle['failed']} failed, "
              f"{idle['cancelled']} cancelled (warm-up included)")
    for label, names in (("accepted (sanitised or harmless)", accepted), ("5xx", bad5),
                         ("closed", closed), ("unanswered", hung)):
        if names:
            print(f"  {label}: {', '.join(names)}")
    if tracebacks:
        print("  first traceback:\n" + log[log.index("Traceback"):][:1500])
    ok = not (bad5 or hung or tracebacks) and alive and idle is not None
    if ok:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"  the server's log: {server.log_file}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
