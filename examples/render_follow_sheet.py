"""The renderer's follow sheet: rows of a take from other speech, as the skeleton pass, the
version-1 renderer (when the bench ran with --old), the renderer, nearest-pose retrieval, one
still frame, and the real video of the take.

    .venv/bin/python examples/render_follow_sheet.py WORK --drive TAKE.npz [--rows 5]
        [--output docs/images/renderer_follow_sheet.png]

WORK is a `benchmarks/bench_renderer.py --drive TAKE.npz` folder: it holds the trained
renderer (renderer256), the take as it drove the renderer (drive.npz: moved to where the
training take stands) and the follow videos it rendered (follow_ours.mp4, ...); TAKE.mp4
beside the take is the real video. Only person videos the project may publish belong in the
README (the avatar and speech of `benchmarks/person_videos.py`, never BEAT2 renders).
"""

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (("follow_old renderer (version 1).mp4", "old: paints labels"),
           ("follow_ours.mp4", "warp + refine"), ("follow_retrieval.mp4", "retrieval"),
           ("follow_still (frontal reference frame).mp4", "still frame"))


def pick_frames(video, picks, size):
    """Frames ``picks`` of ``video`` fitted to ``size`` (scaled to its height, centred)."""
    from talkrig.inference.capture.video import iter_frames
    from talkrig.motion.skeleton_pass import fit_frame

    wanted, out = set(int(k) for k in picks), {}
    for index, _, rgb in iter_frames(video, fps=30.0):
        if index in wanted:
            out[index] = fit_frame(rgb, size)
        if len(out) == len(wanted):
            break
    return [out[int(k)] for k in picks]


def caption(picture, text):
    from PIL import Image, ImageDraw

    image = Image.fromarray(picture)
    ImageDraw.Draw(image).text((4, 4), text, fill=(255, 255, 255))
    return np.asarray(image)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--drive", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--output", type=Path,
                        default=ROOT / "docs" / "images" / "renderer_follow_sheet.png")
    args = parser.parse_args()

    from PIL import Image

    from talkrig.inference.render import load_renderer
    from talkrig.motion import load_motion
    from talkrig.motion.skeleton_pass import draw_skeleton_pass, project_take

    renderer = load_renderer(str(args.work / "renderer256"))
    size = renderer.size
    motion = load_motion(args.work / "drive.npz")  # the take as the renderer was driven
    picks = np.linspace(0, motion.n_frames - 1, args.rows + 2)[1:-1].round().astype(int)
    joints = project_take(motion, renderer.camera, size)
    columns = [[caption(draw_skeleton_pass(joints[k], size), f"take, {k / motion.fps:.1f} s")
                for k in picks]]
    for name, label in COLUMNS:
        if not (args.work / name).exists():
            continue
        columns.append([caption(p, label) for p in pick_frames(args.work / name, picks, size)])
    columns.append([caption(p, "real video") for p in
                    pick_frames(args.drive.with_suffix(".mp4"), picks, size)])
    sheet = np.concatenate([np.concatenate(row, 1) for row in zip(*columns)], 0)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).quantize(colors=128, dither=Image.Dither.NONE).save(args.output,
                                                                               optimize=True)
    print(f"wrote {args.output} ({args.output.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
