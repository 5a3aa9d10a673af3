"""Peak memory of a real `talkrig serve` process over a whole capture job, for a normal capture
and for hostile uploads.

Each case gets a fresh server (private config and data folders, one worker) so its VmHWM (the
process's peak resident set) covers the server's start and that one job: upload, decoding,
landmarks, takes, archive. Cases:

  idle          the server started, no job (what every case starts from)
  normal 30 s   30 s of the shared lecture video (320x240, 15 fps; a real person)
  long sound    3 s of 16x16 black pictures under --sound-hours of silent 8-bit 8 kHz sound (refused
                whole: longer than the server takes at once)
  long, 3 s     the same upload, its first 3 s asked for (start 0, end 3)
  huge frames   4 frames of 3840x2160 (the largest capture reads) and 2 s of sound
  refused 8192  3 frames of 8192x8192 (refused from the header)

Prints one row per case: the job's end state, its seconds, the server's peak MiB, and the
first words of the job's error.

    .venv/bin/python benchmarks/bench_capture_memory.py [--sound-hours 3] [--start 60]
        [--cases idle normal long huge refused]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from process_memory import rss_mib

from talkrig.client.server_process import LocalServer

LECTURE = Path(__file__).resolve().parents[1].parent / "shared/data/video_ccby/physicsworks.webm"
OVER = ("done", "failed", "cancelled")
CASES = {"idle": ["idle"], "normal": ["normal 30 s"], "long": ["long sound", "long, 3 s"],
         "huge": ["huge frames"], "refused": ["refused 8192"]}


def write_video(path, frames, size, fps, sound_seconds, rate=8000, codec="mpeg4"):
    """``frames`` black pictures of ``size`` (width, height) and silent mono sound, the sound
    written in pieces (hours of it never held at once)."""
    import av

    width, height = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("pcm_u8", rate=rate)  # 8 bits: hours under the upload limit
        sound.layout = "mono"
        black = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), format="rgb24")
        for _ in range(frames):
            out.mux(stream.encode(black.reformat(format="yuv420p")))
        out.mux(stream.encode())
        piece = np.full((1, 8192), 128, np.uint8)  # silence
        for start in range(0, int(sound_seconds * rate), piece.shape[1]):
            frame = av.AudioFrame.from_ndarray(piece, format="u8", layout="mono")
            frame.sample_rate, frame.pts = rate, start
            out.mux(sound.encode(frame))
        out.mux(sound.encode())
    return path


def run_case(root, name, video, options):
    """(state, seconds, peak MiB, error) of one capture job on a fresh server."""
    case = root / name.replace(" ", "-")
    env = dict(os.environ, XDG_CONFIG_HOME=str(case / "config"),
               XDG_DATA_HOME=str(case / "share"))
    server = LocalServer(python=sys.executable, token_file=case / "token",
                         state_dir=case / "state", env=env,
                         extra_args=["--data-dir", str(case / "data"), "--workers", "1",
                                     "--log-level", "warning"])
    client = server.start(timeout=120)
    try:
        if video is None:
            return "-", 0.0, rss_mib(server.pid), ""
        t0 = time.perf_counter()
        job = client.submit_capture(video, options)
        while (status := client.capture_status(job))["state"] not in OVER:
            time.sleep(0.2)
        return (status["state"], time.perf_counter() - t0, rss_mib(server.pid),
                (status.get("error") or "")[:90])
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sound-hours", type=float, default=3.0)
    parser.add_argument("--start", type=float, default=60.0, help="where the 30 s of the "
                        "lecture start, seconds")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES),
                        help="which cases to run (default: all)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="talkrig-capmem-"))
    videos = root / "videos"
    videos.mkdir()
    chosen = {name for key in args.cases for name in CASES[key]}
    long = videos / "long.mkv"
    cases = [
        ("idle", lambda: None, None),
        ("normal 30 s", lambda: LECTURE, {"start": args.start, "end": args.start + 30.0}),
        ("long sound", lambda: write_video(long, 15, (16, 16), 5, args.sound_hours * 3600),
         None),
        ("long, 3 s", lambda: long if long.exists() else write_video(
            long, 15, (16, 16), 5, args.sound_hours * 3600), {"start": 0.0, "end": 3.0}),
        ("huge frames", lambda: write_video(videos / "huge.mkv", 4, (3840, 2160), 2, 2.0),
         None),
        ("refused 8192", lambda: write_video(videos / "8192.mkv", 3, (8192, 8192), 1, 3.0,
                                             codec="libx264"), None),
    ]
    print(f"{'case':<14}{'upload MiB':>11}{'state':>8}{'seconds':>9}{'peak MiB':>10}  error")
    try:
        for name, make, options in cases:
            if name not in chosen:
                continue
            video = make()
            size = video.stat().st_size / 2**20 if video else 0.0
            state, seconds, peak, error = run_case(root, name, video, options)
            print(f"{name:<14}{size:>11.1f}{state:>8}{seconds:>9.1f}{peak:>10.0f}  {error}",
                  flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
