"""Rendering a take as video, and the camera fitted by capture.

1. Speed: the real BEAT2 take `2_scott_0_1_1` (45 s, 1350 frames) rendered by `render_motion`
   with the built-in `skeleton` renderer (the drawer, H.264 encoding and the AAC speech) at
   each size; the median of the repeats in frames per second.
2. With --camera SECONDS: that many seconds of the take performed by the dressed CC0 avatar
   (rendered with Workbench at 1280x720 with its true camera), captured back with the real
   landmark detector; the captured joints through the fitted camera against the true joints
   through the true camera (upper body, pixels), beside baselines: the fitted camera on the
   captured take reversed in time (the right camera, the wrong moment), and the upper-body
   framing camera the command line uses when none is given.

    .venv/bin/python benchmarks/bench_render_video.py [--sizes 256 512] [--repeats 3]
                                                      [--camera 15] [--camera-size 1280x720]
                                                      [--work DIR]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from talkrig.inference.render import load_renderer, render_motion
from talkrig.motion import load_motion
from talkrig.motion.camera import Camera, upper_body_camera
from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TAKE = DATA / "beat2_scott_train" / "2_scott_0_1_1.npz"
SPEECH = DATA / "beat2_scott_train" / "2_scott_0_1_1.wav"
UPPER = ("pelvis", "spine3", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow",
         "right_elbow", "left_wrist", "right_wrist")


def speed(sizes, repeats, work):
    motion = load_motion(TAKE)
    renderer = load_renderer("skeleton")
    for side in sizes:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            render_motion(motion, None, renderer, work / "speed.mp4", audio=SPEECH,
                          size=(side, side))
            times.append(time.perf_counter() - start)
        fps = [motion.n_frames / t for t in times]
        print(f"skeleton renderer {side}x{side}, {motion.n_frames} frames with speech, "
              f"{repeats} runs: median {statistics.median(fps):.1f} frames/s "
              f"(min {min(fps):.1f}, max {max(fps):.1f})")


def camera_figures(seconds, work, size=(1280, 720)):
    frames = int(seconds * 30)
    video = work / f"performer{size[0]}x{size[1]}.mp4"
    if not video.exists():
        script = textwrap.dedent(f"""
            import soundfile as sf
            from talkrig.motion import load_motion
            from talkrig.scenes.character_video import render_character_video
            m = load_motion({str(TAKE)!r})[:{frames}]
            a, sr = sf.read({str(SPEECH)!r}, dtype="float32")
            sf.write({str(work / 'performer.wav')!r}, a[:int({frames} / 30 * sr)], sr)
            render_character_video(m, {str(work / 'performer.wav')!r}, {str(video)!r},
                                   size={tuple(size)!r})
        """)
        subprocess.run([sys.executable, "-c", script], check=True, timeout=1800)
    from talkrig.inference.capture.pipeline import capture_video

    start = time.perf_counter()
    result = capture_video(video, work / "takes", overwrite=True, name="performer")
    took = time.perf_counter() - start
    take = result.takes[0]
    fitted = Camera.load(take.with_name(take.stem + ".camera.json"))
    real = Camera.load(video.with_name(video.stem + ".camera.json"))
    truth = load_motion(TAKE)[:frames]
    captured = load_motion(take)
    sk = neutral_skeleton()
    upper = [J[n] for n in UPPER]
    shown = real.project(sk.joint_positions(truth))[0][:, upper]

    def error(camera, motion):
        e = np.linalg.norm(camera.project(sk.joint_positions(motion))[0][:, upper] - shown, axis=-1)
        return np.median(e), np.percentile(e, 90)

    rows = [("fitted camera, captured take", error(fitted, captured)),
            ("fitted camera, captured take reversed in time", error(fitted, captured[::-1])),
            ("upper-body framing camera, captured take",
             error(upper_body_camera(captured, size), captured)),
            ("true camera, captured take (the pose fit's own share)", error(real, captured))]
    print(f"camera of a captured shot: {frames} frames at {size[0]}x{size[1]} (capture took "
          f"{took:.1f} s); upper-body joints, pixels (percent of the image height)")
    for name, (median, p90) in rows:
        print(f"  {name}: median {median:.1f} ({100 * median / size[1]:.2f}%), 90th percentile "
              f"{p90:.1f} ({100 * p90 / size[1]:.2f}%)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--camera", type=float, default=0.0, metavar="SECONDS",
                        help="also measure the fitted capture camera on this many seconds")
    parser.add_argument("--camera-size", default="1280x720", metavar="WxH",
                        help="size of the character video for --camera (default 1280x720)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the videos")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-render-"))
    work.mkdir(parents=True, exist_ok=True)
    speed(args.sizes, args.repeats, work)
    if args.camera > 0:
        camera_figures(args.camera, work, tuple(int(v) for v in args.camera_size.split("x")))


if __name__ == "__main__":
    main()
