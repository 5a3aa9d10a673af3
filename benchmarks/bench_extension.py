"""The per-platform extension zips: what each holds and weighs, and the artist's cold start on
linux-x64 (the zip installed through Blender's extension installer, then the first Generate
until the take is baked, the server started by the add-on with "Blender's Python": a fresh
Python 3.11 holding numpy only).

Each cold start is a new Blender session (the bpy module, its own process) with empty user
folders; the bundled speech sample (26.7 s) is recognised by the bundled PocketSphinx, the take
generated with `procedural` and baked onto the CC0 avatar. Wheels come from the user cache
(downloaded once). Prints sizes and medians.

    .venv/bin/python benchmarks/bench_extension.py [--repeats 3]
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every engine timed afresh, none read from disk
ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
sys.path.insert(0, str(TESTS))
from support.extension_support import blender_python_standin, extension_platforms  # noqa: E402

AUDIO = ROOT / "exporters" / "assets" / "acoustic_corpus.wav"
AVATAR = ROOT.parent / "shared" / "data" / "avatar_cc0" / "male_base_mesh.glb"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cold_start(zip_path, python, folder):
    """One session from install to the first baked take; its report plus the process's wall."""
    settings = folder / "settings.json"
    settings.write_text(json.dumps({
        "home": str(folder / "home"), "python": str(python), "audio": str(AUDIO),
        "avatar": str(AVATAR), "install": str(zip_path), "port": free_port(), "stop": True}))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(TESTS / "support" / "bundled_session.py"), str(settings)],
                            capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"bench_extension: the session failed: {result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["state"] != "DONE":
        raise SystemExit(f"bench_extension: {report['state']}: {report['error']}")
    if report.get("server_pid") and not report.get("stopped"):
        os.kill(report["server_pid"], signal.SIGTERM)
    return dict(report, wall_s=wall)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-extension-") as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        zips = extension_platforms.build(tmp / "dist", progress=lambda _: None)
        print(f"build of {len(zips)} zips from the wheel cache: {time.perf_counter() - start:.1f} s")
        for platform, path in zips.items():
            sizes = extension_platforms.wheel_sizes(path)
            print(f"{platform}: {path.stat().st_size / 1e6:.1f} MB zip, {len(sizes)} wheels, "
                  f"{sum(s for _, s in sizes) / 1e6:.1f} MB of wheels")
            for name, size in sizes:
                print(f"  {size / 1e6:7.2f} MB  {name}")
        python = blender_python_standin()
        runs = []
        for k in range(args.repeats):
            folder = tmp / f"run{k}"
            folder.mkdir()
            run = cold_start(zips["linux-x64"], python, folder)
            runs.append(run)
            print(f"cold start {k + 1}: install {run['install_s']:.1f} s, first Generate "
                  f"{run['generate_s']:.1f} s, whole session {run['wall_s']:.1f} s "
                  f"({run['words']} words, {run['body_keys']} frames)")
        for key in ("install_s", "generate_s", "wall_s"):
            print(f"median {key}: {statistics.median(r[key] for r in runs):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
