"""`bake-batch` throughput by engine: local worker processes, a local Ray instance, and a Ray
cluster of 1 and 2 simulated nodes (`ray start` processes on this machine, one CPU each).
Prints medians over repeated runs, in clips per minute, and what bounds the scaling: worker
start-up (Blender and the pipeline), the share of each stage in a clip, and the bytes written.

    .venv/bin/python benchmarks/bench_batch_cluster.py [--clips 8] [--repeats 2]

Speech: 10 s clips cut from 2_scott_0_2_2.wav (no recognition, the default generator, the
bundled avatar, GLB). Every run starts its workers afresh (start-up is part of the wall time);
a cluster is started once per size, outside the timing, as a studio's cluster is already up.
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway cluster of the tests

from bench_export import batch_clips, time_batch  # noqa: E402

def describe_limits(results, wall):
    """What a clip costs: per-stage medians, and the output bytes per second of the batch."""
    seconds = statistics.median(r["seconds"] for r in results)
    stages = {}
    for result in results:
        for stage, value in result["timings"].items():
            stages.setdefault(stage, []).append(value)
    parts = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items())
    size = sum(Path(r["output"]).stat().st_size for r in results)
    print(f"  a clip: median {seconds:.2f} s in its worker ({parts}); outputs "
          f"{size / len(results) / 2**20:.2f} MiB per clip, {size / wall / 2**20:.2f} MiB/s "
          f"written over the run", flush=True)


def worker_start_up():
    """Seconds a fresh worker process spends importing Blender and the pipeline (its warm-up)."""
    import subprocess

    code = ("import time; t = time.perf_counter(); "
            "from talkrig.exporters.batch import _warm_up; _warm_up(); "
            "print(time.perf_counter() - t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout.split()[-1]) for _ in range(3)]
    print(f"worker start-up (import bpy + the pipeline), 3 fresh processes: median "
          f"{statistics.median(runs):.2f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8, help="clips in the batch")
    parser.add_argument("--repeats", type=int, default=2, help="runs per configuration")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from support.ray_cluster import RayCluster

    from talkrig.exporters.ray_engine import RayEngine
    from talkrig.exporters.workers import ProcessEngine

    with tempfile.TemporaryDirectory(prefix="talkrig-bench-cluster-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("BLENDER_USER_RESOURCES", str(folder / "blender-user"))
        clips = batch_clips(folder, args.clips)
        worker_start_up()
        walls = {}
        for workers in (1, 2):
            label = f"process pool, {workers} worker(s)"
            walls[label], results = time_batch(folder, clips, ProcessEngine(workers), label,
                                               args.repeats)
        describe_limits(results, walls[label])
        for cpus in (1, 2):
            label = f"ray, local instance of {cpus} CPU(s) (its start included)"
            walls[label], _ = time_batch(folder, clips, RayEngine(local_cpus=cpus), label,
                                         args.repeats)
        for nodes in (1, 2):
            start = time.perf_counter()
            with RayCluster(nodes=nodes, cpus=1) as cluster:
                print(f"cluster of {nodes} node(s) x 1 CPU up in "
                      f"{time.perf_counter() - start:.1f} s (not timed below)", flush=True)
                label = f"ray, cluster of {nodes} node(s) x 1 CPU"
                walls[label], results = time_batch(
                    folder, clips, RayEngine(address=cluster.address), label, args.repeats)
            describe_limits(results, walls[label])
        one, two = (walls[f"ray, cluster of {n} node(s) x 1 CPU"] for n in (1, 2))
        print(f"scaling 1 -> 2 nodes: {one / two:.2f}x the clips per minute "
              f"(ideal 2.00x; {os.cpu_count()} cores on this machine)")


if __name__ == "__main__":
    main()
