"""Live streams over loopback: latency per frame and server CPU, for 1..N concurrent streams.

Starts `talkrig serve` on a free 127.0.0.1 port (private config/data folders; the data folder
links the 45 s BEAT2 take as a matching library), then for each count of streams runs that many
clients at once, each sending --seconds of real speech (2_scott_0_2_2.wav, each client from
another offset) in real time in --chunk-ms chunks with the add-on's stdlib WebSocket client.
Latency of a frame: from sending the chunk that holds its audio time to receiving the frame.
CPU: the server process's user+system time over the round, per stream, as a share of one core.

Each stream carries the face (--face, default phones) and, with --keyposes default, spots the
key-pose words. Prints one row per round: streams, backend, frames, latency p50/p95/max, CPU
per stream, and whether every frame of every stream arrived once and in order (exits 1 if not).

    .venv/bin/python benchmarks/bench_live.py [--streams 1 2 3 4] [--backend procedural]
        [--seconds 20] [--chunk-ms 40] [--face phones|none] [--keyposes none|default]
"""

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from talkrig.client.live_client import LiveClient, latencies, pcm16, stream_in_real_time
from talkrig.client.server_process import LocalServer

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/beat2_scott_train"
SPEECH = DATA / "2_scott_0_2_2.wav"


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_stream(client, samples, chunk, backend, options, seed, out, args):
    live = LiveClient(client.url, token=client.token)
    live.start(backend, fps=30, seed=seed, backend_options=options, face=args.face, keyposes=args.keyposes)
    chunks = [pcm16(samples[i:i + chunk]) for i in range(0, len(samples), chunk)]
    messages, sent_at, audio_end = stream_in_real_time(live, chunks, chunk / 16000)
    live.close()
    out.append(latencies(messages, sent_at, audio_end))


def run_round(local, client, speech, n, args, options):
    chunk = 16 * args.chunk_ms
    length = int(args.seconds * 16000)
    results, threads = [], []
    for k in range(n):
        start = (k * 7 * 16000) % max(1, len(speech) - length)
        threads.append(threading.Thread(target=one_stream, args=(
            client, speech[start:start + length], chunk, args.backend, options, k, results, args)))
    cpu0, t0 = cpu_seconds(local.pid), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = (cpu_seconds(local.pid) - cpu0) / (time.monotonic() - t0) / n
    expected = int(round(args.seconds * 30))
    complete = len(results) == n and all(f == list(range(expected)) for f, _ in results)
    delays = np.concatenate([d for _, d in results]) * 1000 if results else np.zeros(1)
    return {"streams": n, "frames": sum(len(f) for f, _ in results), "complete": complete,
            "p50": np.percentile(delays, 50), "p95": np.percentile(delays, 95), "max": delays.max(),
            "cpu": cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--backend", default="procedural", choices=("procedural", "matching"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--chunk-ms", type=int, default=40)
    parser.add_argument("--face", default="phones", help="face model of the streams, or none")
    parser.add_argument("--keyposes", default="none", help="live key poses: none or default")
    args = parser.parse_args()
    speech, rate = sf.read(SPEECH, dtype="float32")
    assert rate == 16000
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-live-") as tmp:
        root = Path(tmp)
        (root / "data" / "lib").mkdir(parents=True)
        for suffix in (".npz", ".wav"):  # copied: the server reads no link out of its data folder
            shutil.copyfile(DATA / f"2_scott_0_1_1{suffix}", root / "data" / "lib" / f"take{suffix}")
        env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "share"))
        local = LocalServer(python=sys.executable, token_file=root / "token", state_dir=root / "state",
                            env=env, extra_args=["--data-dir", str(root / "data"), "--workers", "1",
                                        "--max-live-streams", str(max(args.streams))])
        client = local.start(timeout=120)
        options = {"library": "lib"} if args.backend == "matching" else {}
        ok = True
        try:
            print(f"| streams | backend | frames | latency p50 / p95 / max ms | server CPU per stream | every frame in order |")
            print("| --- | --- | --- | --- | --- | --- |")
            for n in args.streams:
                row = run_round(local, client, speech, n, args, options)
                ok &= row["complete"]
                print(f"| {n} | {args.backend} | {row['frames']} | {row['p50']:.0f} / {row['p95']:.0f} / "
                      f"{row['max']:.0f} | {100 * row['cpu']:.0f} % of a core | {'yes' if row['complete'] else 'NO'} |",
                      flush=True)
        finally:
            local.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
