"""Capture a real lecture video and draw what was fitted over its frames: the README's contact
sheet (frames of every usable shot with the fitted SMPL-X skeleton, and a frame of each skipped
shot with the reason).

    .venv/bin/python examples/render_capture_sheet.py [--video WEBM] [--start S --end S]
        [--columns 4] [--output docs/images/capture_sheet.png] [--takes DIR]

The default video is Walter Lewin's lecture clip in ../shared/data/video_ccby (CC BY 3.0): the
sheet is a derivative of it and is published with docs/images/ATTRIBUTION.md.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from sheet_text import draw_words

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video_ccby" / "physicsworks.webm"
BONES = [("pelvis", "spine3"), ("spine3", "neck"), ("neck", "head"),
         ("left_collar", "left_shoulder"), ("right_collar", "right_shoulder"),
         ("spine3", "left_collar"), ("spine3", "right_collar"),
         ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
         ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
         ("pelvis", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
         ("pelvis", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle")]
FINGERS = [(f"{side}_wrist", f"{side}_{finger}1", f"{side}_{finger}2", f"{side}_{finger}3")
           for side in ("left", "right") for finger in ("thumb", "index", "middle", "ring", "pinky")]
LEFT, RIGHT, MIDDLE = (255, 170, 0), (0, 200, 255), (120, 255, 120)
SCALE = 1.5  # frames are drawn larger than the video's size


def draw_fit(image, points, names, seen_legs):
    """The fitted skeleton over a frame: left side orange, right side blue."""
    draw = ImageDraw.Draw(image)
    index = {n: i for i, n in enumerate(names)}
    for a, b in BONES:
        if not seen_legs and any(k in a + b for k in ("knee", "ankle")):
            continue
        colour = LEFT if "left" in a + b else RIGHT if "right" in a + b else MIDDLE
        draw.line([tuple(points[index[a]] * SCALE), tuple(points[index[b]] * SCALE)],
                  fill=colour, width=3)
    for chain in FINGERS:
        colour = LEFT if chain[0].startswith("left") else RIGHT
        draw.line([tuple(points[index[j]] * SCALE) for j in chain], fill=colour, width=1)
    for joint in ("head", "left_wrist", "right_wrist"):
        x, y = points[index[joint]] * SCALE
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], outline=(255, 255, 255), width=2)


def caption(image, text):
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, image.height - 22, image.width, image.height], fill=(0, 0, 0))
    draw_words(draw, (6, image.height - 18), text, fill=(255, 255, 255))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--end", type=float, default=None)
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("--per-shot", type=int, default=2, help="frames per usable shot")
    parser.add_argument("--skipped", type=int, default=2,
                        help="skipped shots shown (the longest), with their reason")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "images" / "capture_sheet.png")
    parser.add_argument("--takes", type=Path, default=None, help="keep the takes here")
    args = parser.parse_args()

    from talkrig.inference.capture.pipeline import capture_video
    from talkrig.inference.capture.video import iter_frames
    from talkrig.motion.skeleton import JOINT_NAMES, neutral_skeleton

    takes = args.takes or Path(tempfile.mkdtemp(prefix="talkrig-capture-"))
    result = capture_video(args.video, takes, start=args.start, end=args.end, overwrite=True,
                           progress=lambda stage, f: print(f"\r{stage} {f:.0%}", end="",
                                                           flush=True))
    print()
    wanted = {}  # time -> (caption, points or None)
    sk = neutral_skeleton()
    shown_skipped = sorted(result.skipped, key=lambda s: s.start - s.end)[:args.skipped]
    for shot in result.shots:
        if shot.number not in result.fits and shot not in shown_skipped:
            continue
        if shot.number in result.fits:
            fit, _, times = result.fits[shot.number]
            m = fit.motion
            pos = sk.forward_kinematics(m.poses, m.trans)[1]
            pixels = fit.placement.to_pixels(pos, pos[:, 0])
            picks = np.linspace(0, m.n_frames - 1, args.per_shot + 2)[1:-1].round().astype(int)
            for k in picks:
                wanted[round(float(times[k]), 3)] = (
                    f"shot {shot.number}, {times[k]:.1f} s: {fit.posture}", pixels[k],
                    fit.posture == "standing")
        else:
            middle = round((shot.start + shot.end) / 2, 1)
            wanted[middle] = (f"shot {shot.number} skipped: {shot.reason}"[:60], None, False)
    tiles = []
    times = sorted(wanted)
    for _, at, rgb in iter_frames(args.video, 30.0, args.start, args.end):
        if times and at >= times[0] - 1e-3:
            text, points, legs = wanted[times.pop(0)]
            image = Image.fromarray(rgb).resize((int(rgb.shape[1] * SCALE),
                                                 int(rgb.shape[0] * SCALE)))
            if points is not None:
                draw_fit(image, points, JOINT_NAMES, legs)
            caption(image, text)
            tiles.append(image)
        if not times:
            break
    cols = min(args.columns, len(tiles))
    rows = -(-len(tiles) // cols)
    w, h = tiles[0].size
    sheet = Image.new("RGB", (cols * w, rows * h), (30, 30, 30))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % cols) * w, (i // cols) * h))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=192, dither=Image.Dither.NONE).save(args.output, optimize=True)
    print(f"{len(result.takes)} take(s) in {takes}; skipped: "
          + "; ".join(f"shot {s.number} ({s.start:.0f}-{s.end:.0f} s) {s.reason}"
                      for s in result.skipped))
    print(f"wrote {args.output} ({len(tiles)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
