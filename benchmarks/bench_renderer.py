"""The vid2vid renderer against a known person video: train at 256 px, render the held-out
last 20 % from the true motion, compare with a nearest-pose frame-retrieval baseline.

    .venv/bin/python benchmarks/bench_renderer.py [--work DIR] [--minutes 17] [--train]
        [--sheet docs/images/renderer_sheet.png] [--json OUT]

The person video is the dressed CC0 avatar performing the shared BEAT2 take (45 s, 30 fps,
640x360, Workbench) with its speech, rendered once into --work (never committed: BEAT2 is
non-commercial); its true motion and camera form the takes folder the renderer trains on.
Training runs the real command (`talkrig train-renderer`) unless a trained renderer is already
in --work (or with --train). Quality on the held-out tail: PSNR and SSIM over the whole picture
and over the face and hand crops (``part_boxes`` of the true joints); flicker as the mean
absolute difference of consecutive frames, beside the real video's own, and the temporal error
(mean |difference of ours - difference of the real frames|). Baselines: the training frame
whose skeleton is nearest (frame retrieval), the renderer's reference picture held still (the
median of the training frames), and the real frames themselves. Speed: frames per
second of ``renderer.render`` at 256 px on the CPU (onnxruntime), median of 5 runs of 30.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = Path(__file__).resolve().parents[1]
TAKE = ROOT.parent / "shared" / "data" / "beat2_scott_train" / "2_scott_0_1_1"
SIZE = 256
VIDEO_SIZE = (640, 360)


def person_takes(work):
    """The person video (rendered once) in a takes folder with its true motion and camera."""
    import shutil

    takes = work / "takes"
    video = takes / "person.mp4"
    if video.exists():
        return video, takes
    import soundfile as sf

    from talkrig.scenes.character_video import render_character_video
    from talkrig.motion import load_motion

    takes.mkdir(parents=True, exist_ok=True)
    motion = load_motion(TAKE.with_suffix(".npz"))
    audio, rate = sf.read(TAKE.with_suffix(".wav"), dtype="float32")
    wav = work / "person.wav"
    sf.write(wav, audio, rate)
    t = time.perf_counter()
    partial = work / "person.mp4"
    render_character_video(motion, wav, partial, size=VIDEO_SIZE)
    print(f"rendered the person video in {time.perf_counter() - t:.0f} s", flush=True)
    shutil.copy(TAKE.with_suffix(".npz"), takes / "person.npz")
    shutil.copy(work / "person.camera.json", takes / "person.camera.json")
    partial.replace(video)
    return video, takes


def train(video, takes, renderer, minutes):
    cmd = [sys.executable, "-m", "talkrig", "train-renderer", "--video", str(video), "--takes",
           str(takes), "-o", str(renderer), "--size", str(SIZE), "--minutes", str(minutes)]
    print("$", " ".join(cmd), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def ssim(a, b):
    """Mean SSIM (Wang et al. 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03) of two
    (H, W, 3) uint8 pictures, averaged over the colour channels."""
    x, y = a.astype(np.float64) / 255.0, b.astype(np.float64) / 255.0
    blur = lambda v: gaussian_filter(v, sigma=(1.5, 1.5, 0), truncate=3.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(s.mean())


def crop(picture, box):
    x0, y0, x1, y1 = box
    return picture[y0:y1, x0:x1]


def retrieval(pairs, held):
    """For each held-out frame, the training frame whose label-space skeleton is nearest."""
    train = np.nan_to_num(pairs.joints[:pairs.n_train], nan=1e4).reshape(pairs.n_train, -1)
    picks = []
    for t in held:
        query = np.nan_to_num(pairs.joints[t], nan=1e4).reshape(-1)
        picks.append(int(np.argmin(((train - query) ** 2).sum(axis=1))))
    return pairs.frames[picks]


def still_reference(renderer_dir, count):
    """The renderer's reference picture (the median of the training frames) repeated: what a
    renderer that ignored the pose would score."""
    picture = np.load(renderer_dir / "reference.npy")
    return np.repeat(picture[None], count, axis=0)


def scores(pictures, pairs, held):
    """{metric: value} of pictures (N, H, W, 3) against the real held-out frames."""
    real = pairs.frames[held]
    out = {"psnr": np.mean([psnr(p, r) for p, r in zip(pictures, real)]),
           "ssim": np.mean([ssim(p, r) for p, r in zip(pictures, real)])}
    for k, part in enumerate(("face", "left_hand", "right_hand")):
        boxes = pairs.boxes[held, k]
        out[f"{part}_psnr"] = np.mean([psnr(crop(p, b), crop(r, b))
                                       for p, r, b in zip(pictures, real, boxes)])
        out[f"{part}_ssim"] = np.mean([ssim(crop(p, b), crop(r, b))
                                       for p, r, b in zip(pictures, real, boxes)])
    moves = np.abs(np.diff(pictures.astype(np.float64), axis=0))
    real_moves = np.diff(real.astype(np.float64), axis=0)
    out["flicker"] = float(moves.mean())
    out["temporal_error"] = float(np.abs(np.diff(pictures.astype(np.float64), axis=0)
                                         - real_moves).mean())
    return {k: round(float(v), 4) for k, v in out.items()}


def render_speed(renderer, labels, runs=5, frames=30):
    fps = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in renderer.render(labels[:frames]):
            pass
        fps.append(frames / (time.perf_counter() - t))
    return round(statistics.median(fps), 2)


def contact_sheet(path, pairs, held, ours, baseline, picks=5):
    """Rows of held-out frames: label, ours, retrieval baseline, real."""
    from PIL import Image

    rows = []
    for k in np.linspace(0, len(held) - 1, picks).round().astype(int):
        t = held[k]
        rows.append(np.concatenate([pairs.labels[t], ours[k], baseline[k], pairs.frames[t]], 1))
    sheet = np.concatenate(rows, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, optimize=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "talkrig-bench-renderer")
    parser.add_argument("--minutes", type=float, default=17.0,
                        help="training minutes (the whole run, reading frames and export "
                             "included, stays within 20)")
    parser.add_argument("--train", action="store_true", help="train again (resumes)")
    parser.add_argument("--sheet", type=Path, default=ROOT / "docs/images/renderer_sheet.png")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    video, takes = person_takes(args.work)
    renderer_dir = args.work / "renderer256"
    seconds = None
    if args.train or not (renderer_dir / "talkrig_model.json").exists():
        seconds = train(video, takes, renderer_dir, args.minutes)

    from talkrig.plugins.vid2vid.pairs import find_takes, load_pairs
    from talkrig.plugins.vid2vid.renderer import Vid2VidRenderer

    pairs = load_pairs(video, find_takes(video, takes), (SIZE, SIZE))
    held = np.arange(pairs.n_train, len(pairs.frames))
    renderer = Vid2VidRenderer(renderer_dir)
    ours = np.stack(list(renderer.render(pairs.labels[held])))
    baseline = retrieval(pairs, held)
    meta = json.loads((renderer_dir / "talkrig_model.json").read_text())["training"]
    result = {
        "date": time.strftime("%Y-%m-%d"), "held_out_frames": int(len(held)),
        "train_frames": int(pairs.n_train), "training": meta,
        "train_command_seconds": None if seconds is None else round(seconds, 1),
        "ours": scores(ours, pairs, held), "retrieval": scores(baseline, pairs, held),
        "still_reference": scores(still_reference(renderer_dir, len(held)), pairs, held),
        "real": scores(pairs.frames[held], pairs, held),
        "render_fps_256": render_speed(renderer, pairs.labels[held]),
    }
    sheet = contact_sheet(args.sheet, pairs, held, ours, baseline)
    print(json.dumps(result, indent=1))
    print(f"contact sheet: {sheet}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
