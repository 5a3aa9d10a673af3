"""Server load test, loopback only and bounded: N clients submit jobs of real speech at once.

Starts `talkrig serve` on a free 127.0.0.1 port (private config/data folders), then for each
round runs --jobs jobs from --clients threads with the add-on's stdlib client: clips of 10-30 s
cut from 2_scott_0_2_2.wav, every --cancel-every-th job cancelled once submitted, a 503 (queue
full) retried after its Retry-After. A round stops by itself at --budget seconds: whatever is
still open is cancelled and awaited. Every submitted job must end done, failed or cancelled;
any other outcome counts as lost and the script exits 1.

Prints per round and the median over rounds: throughput (jobs/s and audio seconds per second),
p50/p95 latency from the first submit attempt to done (waits after a 503 included), and the
server's peak RSS (VmHWM; it grows while finished results are kept, --result-ttl).

    .venv/bin/python benchmarks/bench_server_load.py [--clients 8] [--jobs 32] [--rounds 3]
        [--budget 120] [--speech none] [--cancel-every 5]
"""

import argparse
import io
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from process_memory import rss_mib

from talkrig.client.http_client import ClientError
from talkrig.client.server_process import LocalServer

SPEECH = Path(__file__).resolve().parents[1].parent / "shared/data/beat2_scott_train/2_scott_0_2_2.wav"
MAX_CLIENTS, MAX_JOBS, MAX_BUDGET = 16, 200, 600.0


def clips(count, seed=0):
    """``count`` WAV byte strings of 10-30 s of real speech, with their durations."""
    samples, rate = sf.read(SPEECH, dtype="float32")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        seconds = float(rng.uniform(10.0, 30.0))
        start = int(rng.uniform(0, len(samples) / rate - seconds) * rate)
        buf = io.BytesIO()
        sf.write(buf, samples[start:start + int(seconds * rate)], rate, format="WAV", subtype="PCM_16")
        out.append((buf.getvalue(), seconds))
    return out


class Round:
    """One bounded round of concurrent jobs; fills ``records`` with one dict per job."""

    def __init__(self, client, work, clients, budget, cancel_every, options):
        self.client, self.work, self.clients = client, list(work), clients
        self.deadline = time.monotonic() + budget
        self.cancel_every, self.options = cancel_every, options
        self.records, self.busy_retries, self.refused = [], 0, []
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()

    def run(self):
        start = time.monotonic()
        threads = [threading.Thread(target=self.worker, args=(i,)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - start

    def next_item(self):
        with self.lock:
            if not self.work or time.monotonic() > self.deadline:
                return None
            return next(self.numbers), self.work.pop()

    def worker(self, index):
        while True:
            item = self.next_item()
            if item is None:
                return
            number, (audio, seconds) = item
            record = {"seconds": seconds, "state": "not submitted", "latency": None}
            submitted = time.monotonic()
            job_id = self.submit(audio)
            if job_id is None:
                continue
            record["state"] = "submitted"
            with self.lock:
                self.records.append(record)
            if self.cancel_every and number % self.cancel_every == 0:
                self.client.cancel(job_id)
            left = max(1.0, self.deadline - time.monotonic())
            try:
                status = self.client.wait(job_id, interval=0.1, timeout=left)
            except ClientError:  # over budget: cancel and wait for it to end
                self.client.cancel(job_id)
                status = self.client.wait(job_id, interval=0.1, timeout=120)
            record["state"] = status["state"]
            if status["state"] == "done":
                self.client.result(job_id)
                record["latency"] = time.monotonic() - submitted

    def submit(self, audio):
        while time.monotonic() < self.deadline:
            try:
                return self.client.submit(audio, self.options)
            except ClientError as exc:
                if exc.kind != "busy":  # refused at submit: never became a job
                    with self.lock:
                        self.refused.append(str(exc))
                    return None
                with self.lock:
                    self.busy_retries += 1
                time.sleep(min(exc.retry_after or 1, max(0.1, self.deadline - time.monotonic())))
        return None


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help=f"concurrent clients (<= {MAX_CLIENTS})")
    parser.add_argument("--jobs", type=int, default=32, help=f"jobs per round (<= {MAX_JOBS})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per round (<= 600)")
    parser.add_argument("--speech", default="none", help="speech engine for the jobs")
    parser.add_argument("--backend", default="procedural")
    parser.add_argument("--cancel-every", type=int, default=5, help="cancel every Nth job (0: none)")
    parser.add_argument("--workers", type=int, default=None, help="server workers (default: its own)")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    jobs = max(1, min(args.jobs, MAX_JOBS))
    budget = max(5.0, min(args.budget, MAX_BUDGET))

    root = Path(tempfile.mkdtemp(prefix="talkrig-load-"))
    env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "share"))
    extra = ["--data-dir", str(root / "data"), "--queue-depth", "4", "--log-level", "warning"]
    if args.workers:
        extra += ["--workers", str(args.workers)]
    server = LocalServer(python=sys.executable, host="127.0.0.1", token_file=root / "token",
                         state_dir=root / "state", env=env, extra_args=extra)
    client = server.start(timeout=120)
    client.timeout = 30.0
    options = {"backend": args.backend, "speech": args.speech}
    workers = client.check()["jobs"]["workers"]
    print(f"server pid {server.pid} on {server.url}: {workers} workers, queue depth 4; "
          f"{clients} clients x {jobs} jobs per round, {args.rounds} rounds, budget {budget:g} s, "
          f"backend {args.backend}, speech {args.speech}, every {args.cancel_every}th job cancelled")
    lost_total, rows = 0, []
    try:
        try:
            client.generate(clips(1, seed=99)[0][0], options)  # warm-up: models, caches
        except ClientError as exc:
            print(f"warm-up job did not finish: {exc}")
        for r in range(args.rounds):
            rnd = Round(client, clips(jobs, seed=r), clients, budget, args.cancel_every, options)
            wall = rnd.run()
            states = [rec["state"] for rec in rnd.records]
            done = [rec for rec in rnd.records if rec["state"] == "done"]
            lost = sum(1 for s in states if s not in ("done", "failed", "cancelled"))
            lost_total += lost
            lat = [rec["latency"] for rec in done]
            row = {"jobs/s": len(done) / wall, "audio s/s": sum(rec["seconds"] for rec in done) / wall,
                   "p50 s": pct(lat, 50), "p95 s": pct(lat, 95), "rss MiB": rss_mib(server.pid)}
            rows.append(row)
            for reason in sorted(set(rnd.refused)):
                print(f"  refused: {reason}")
            print(f"round {r + 1}: {len(states)} submitted in {wall:.1f} s: "
                  f"{states.count('done')} done, {states.count('failed')} failed, "
                  f"{states.count('cancelled')} cancelled, {lost} lost, {rnd.busy_retries} busy "
                  f"retries, {len(rnd.refused)} refused | {row['jobs/s']:.2f} jobs/s, {row['audio s/s']:.1f} audio s/s, "
                  f"latency p50 {row['p50 s']:.2f} s p95 {row['p95 s']:.2f} s, "
                  f"peak RSS {row['rss MiB']:.0f} MiB")
        alive = client.check()["status"] == "ok"
    finally:
        server.stop()
    med = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    print(f"median over {len(rows)} rounds: {med['jobs/s']:.2f} jobs/s, "
          f"{med['audio s/s']:.1f} s of audio per s, latency p50 {med['p50 s']:.2f} s, "
          f"p95 {med['p95 s']:.2f} s; server peak RSS {max(r['rss MiB'] for r in rows):.0f} MiB; "
          f"server up after load: {alive}; lost jobs: {lost_total}")
    return 0 if lost_total == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
