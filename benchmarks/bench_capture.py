"""Capture from video against a known truth: a real BEAT2 take performed by the dressed CC0
avatar, rendered at 720p 30 fps with the take's audio, captured back; speed and accuracy.

    .venv/bin/python benchmarks/bench_capture.py [--seconds 20] [--start 0] [--size 1280x720]
        [--scanned-head] [--work DIR] [--json OUT]

The video is rendered at run time into --work (kept for reruns; never committed: BEAT2 is
non-commercial). Accuracy sits beside baselines that could fake it: the take's mean pose held
still, the same take 10 s later (real motion, wrong moment), and the truth itself.
Speed: frames captured per second of wall time, the whole capture (decode, landmarks, fit,
writing), the landmark detection alone, the fit alone and shot detection's framing-motion step
alone. ``--scanned-head``: the avatar wears the mean head of a face model made from scans of
people (scenes/scan_head.py) instead of its face of parts.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
TAKE = DATA / "2_scott_0_1_1"
SHIFT_SECONDS = 10.0


def render(work, start, frames, size, scanned=False):
    """The truth video (cached in ``work``): path, truth Motion."""
    import soundfile as sf

    from talkrig.motion import load_motion

    motion = load_motion(TAKE.with_suffix(".npz"))[start:start + frames]
    video = work / f"truth_{start}_{frames}_{size[0]}x{size[1]}{'_scanned' * scanned}.mp4"
    if not video.exists():
        from talkrig.scenes.character_video import render_character_video

        audio, rate = sf.read(TAKE.with_suffix(".wav"), dtype="float32")
        wav = video.with_suffix(".wav")
        sf.write(wav, audio[int(start / 30 * rate):int((start + frames) / 30 * rate)], rate)
        t = time.perf_counter()
        render_character_video(motion, wav, video, size=size,
                               look={"scan": [0.0]} if scanned else None)
        print(f"rendered {video.name} in {time.perf_counter() - t:.0f} s", flush=True)
    return video, motion


def framing_seconds(images):
    """Seconds shot detection's framing-motion step (a thumbnail per frame, the zoom and pan
    fitted between consecutive ones) takes on ``images``, median of 3."""
    from talkrig.inference.capture.shots import framing_motion, thumbnail

    times = []
    for _ in range(3):
        t = time.perf_counter()
        thumbs = [thumbnail(rgb) for rgb in images]
        for before, after in zip(thumbs[:-1], thumbs[1:]):
            framing_motion(before, after)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def detect_and_fit(video, frames):
    """Seconds the landmark detector alone takes on ``frames`` decoded frames, seconds the fit
    alone takes on what it found (median of 5), seconds of the framing-motion step, and the
    frame count."""
    from talkrig.inference.capture.fit import fit_shot
    from talkrig.inference.capture.landmarks import Landmarks
    from talkrig.inference.capture.pipeline import default_detector
    from talkrig.inference.capture.video import iter_frames

    images = [rgb for _, _, rgb in iter_frames(video, 30.0)][:frames]
    detector = default_detector()
    detector.detect(images[0])
    t = time.perf_counter()
    found = [detector.detect(rgb) for rgb in images]
    seconds = time.perf_counter() - t
    detector.close()
    lm = Landmarks.stack(found, images[0].shape[1::-1], 30.0)
    fits = []
    for _ in range(5):
        t = time.perf_counter()
        fit_shot(lm)
        fits.append(time.perf_counter() - t)
    return seconds, statistics.median(fits), framing_seconds(images), len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--start", type=int, default=0, help="first frame of the take")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "talkrig-bench-capture")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scanned-head", action="store_true",
                        help="the avatar with a scanned person's head instead of its face of parts")
    args = parser.parse_args()

    from talkrig.inference.capture.pipeline import capture_video
    from talkrig.motion import load_motion
    from talkrig.motion.metrics.capture import compare_capture

    size = tuple(int(v) for v in args.size.lower().split("x"))
    frames = int(round(args.seconds * 30))
    args.work.mkdir(parents=True, exist_ok=True)
    video, truth = render(args.work, args.start, frames, size, args.scanned_head)

    walls = []
    for k in range(args.repeats):
        out = args.work / f"takes{k}"
        t = time.perf_counter()
        result = capture_video(video, out, overwrite=True)
        walls.append(time.perf_counter() - t)
    captured = load_motion(result.takes[0])
    detect_seconds, fit_seconds, framing, detected = detect_and_fit(video, min(300, frames))

    full = load_motion(TAKE.with_suffix(".npz"))
    shift = int(SHIFT_SECONDS * 30)
    other = (args.start + shift) % max(1, full.n_frames - frames)
    wrong = full[other:other + frames]
    still = truth.copy()
    still.poses[:] = truth.poses.mean(axis=0)
    still.expressions[:] = truth.expressions.mean(axis=0)
    rows = {"captured": compare_capture(captured, truth),
            "mean pose held still": compare_capture(still, truth),
            f"same take {SHIFT_SECONDS:g} s later": compare_capture(wrong, truth),
            "truth itself": compare_capture(truth, truth)}
    speed = {"frames": result.frames, "capture_s": statistics.median(walls),
             "capture_fps": result.frames / statistics.median(walls),
             "detector_fps": detected / detect_seconds,
             "fit_ms_per_frame": 1000 * fit_seconds / detected,
             "framing_ms_per_frame": 1000 * framing / detected}
    print(f"{video.name}: {result.frames} frames, capture {speed['capture_s']:.1f} s = "
          f"{speed['capture_fps']:.1f} fps (landmark detection alone {speed['detector_fps']:.1f} "
          f"fps, the fit alone {speed['fit_ms_per_frame']:.2f} ms per frame, the framing motion "
          f"{speed['framing_ms_per_frame']:.2f} ms per frame)")
    keys = ("elbow_deg", "elbow_correlation", "shoulder_deg", "shoulder_correlation",
            "head_pitch_deg", "head_yaw_deg", "foot_pitch_deg", "wrist_order", "jaw_correlation",
            "largest_jump_m", "truth_largest_jump_m")
    print("| motion | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, fig in rows.items():
        print(f"| {name} | " + " | ".join(f"{fig[k]:.3g}" for k in keys) + " |")
    shots = [s.to_dict() for s in result.shots]
    print("shots:", json.dumps(shots))
    if args.json:
        args.json.write_text(json.dumps({"speed": speed, "rows": rows, "shots": shots}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
