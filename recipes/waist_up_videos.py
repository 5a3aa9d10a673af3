"""Waist-up cuts of person videos, as a person films themselves at a desk: for the arm lifter.

    .venv/bin/python recipes/waist_up_videos.py --videos DIR --work LM --out DIR

Each video NAME_720p_*.mp4 of --videos with its truth (NAME.npz, NAME.camera.json) and its
landmarks (LM/NAME.landmarks.npz, detected here when missing) is cut to the box from 0.75 of a
torso above the nose to 0.3 of a torso under the hips, 1.6 times as wide as high around the
shoulders (:func:`waist_up_box`), scaled to 1152x720 and written to --out as NAME_waist_720p_*.mp4
beside a copy of its truth; its landmarks are detected and kept beside it. The camera's turn, all
the lifter learns from it, is the same in the cut. The lifter trained on whole bodies only read
its people cut this way at 7.9° median against 5.0° whole (benchmarks/JOURNAL.md, "Capture cut at
the waist").
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_arm_lifter import cached_landmarks  # noqa: E402  (the lifter's own landmark cache)

SIZE = (1152, 720)
ABOVE_NOSE, BELOW_HIPS = 0.75, 0.3  # torsos
ASPECT = 1.6


def waist_up_box(lm):
    """(x, y, width, height) pixels of the waist-up cut of a shot's Landmarks (even sizes,
    inside the picture)."""
    from talkrig.inference.capture import landmarks as L

    img = lm.body_image[..., :2]
    shoulders = np.nanmedian(img[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER]], axis=(0, 1))
    hips = np.nanmedian(img[:, [L.LEFT_HIP, L.RIGHT_HIP]], axis=(0, 1))
    nose = np.nanmedian(img[:, L.NOSE], axis=0)
    torso = abs(hips[1] - shoulders[1])
    top, bottom = nose[1] - ABOVE_NOSE * torso, hips[1] + BELOW_HIPS * torso
    width, height = lm.size
    h = min(height, bottom - top)
    w = min(width, ASPECT * h)
    h = w / ASPECT
    x = int(np.clip(shoulders[0] - w / 2, 0, width - w))
    y = int(np.clip(top, 0, height - h))
    return x, y, int(w) // 2 * 2, int(h) // 2 * 2


def cut(video, box, out):
    import imageio_ffmpeg

    x, y, w, h = box
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-vf",
                    f"crop={w}:{h}:{x}:{y},scale={SIZE[0]}:{SIZE[1]}", "-c:v", "libx264", "-crf", "18",
                    "-an", str(out)], check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="the videos' landmarks (kept)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    videos = sorted(v for v in args.videos.glob("*_720p_*.mp4") if v.with_suffix(".npz").exists()
                    and v.with_suffix(".camera.json").exists())
    if not videos:
        print(f"{args.videos}: no NAME_720p_*.mp4 with its truth beside it", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    for video in videos:
        out = args.out / video.name.replace("_720p_", "_waist_720p_")
        if not out.exists():
            cut(video, waist_up_box(cached_landmarks(video, args.work)), out)
        for suffix in (".npz", ".camera.json"):
            shutil.copy(video.with_suffix(suffix), out.with_suffix(suffix))
        cached_landmarks(out, args.out)
        print(out.name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
