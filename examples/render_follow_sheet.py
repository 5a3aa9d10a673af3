"""The renderer's follow sheet: rows of a take from other speech, as the skeleton pass, the
version-1 renderer (when the bench ran with --old), a renderer from before (--before), the
renderer, its warps alone (--warps), nearest-pose retrieval, one still frame, and the real
video of the take (where there is one). With --shot: the take's skeleton, the renderer's
pictures painted into its training shot and the real video, whole frames.

    .venv/bin/python examples/render_follow_sheet.py WORK [--drive TAKE.npz] [--rows 5]
        [--before VIDEO] [--warps] [--shot] [--output docs/images/renderer_follow_sheet.png]

WORK is a `benchmarks/bench_renderer.py` folder: it holds the trained renderer
(renderer256, or rendererSIZE after --size; the smallest when there are several), the take as
it drove the renderer (drive.npz: moved to where the training take stands) and the follow
videos it rendered (follow_ours.mp4, ...); TAKE.mp4 beside --drive is the real video.
--before is the follow video of another renderer driven by the same take (e.g. the same bench
run with an earlier talkrig). Only videos the project may publish belong
in the README (the avatar and speech of `benchmarks/person_videos.py`, the CC BY lecture with
its attribution; never BEAT2 renders).
"""

import argparse
from pathlib import Path

import numpy as np
from sheet_text import draw_words

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (("follow_old renderer (version 1).mp4", "old: paints labels"),
           ("before", "before"), ("follow_ours.mp4", "warp + refine"),
           ("follow_warps alone.mp4", "its warps alone"), ("follow_retrieval.mp4", "retrieval"),
           ("follow_still (frontal reference frame).mp4", "still frame"))


def pick_frames(video, picks, size, whole=False):
    """Frames ``picks`` of ``video`` fitted to ``size`` (scaled to its height, centred), or
    ``whole``: the whole frame scaled to that height."""
    from talkrig.inference.capture.video import iter_frames
    from talkrig.motion.skeleton_pass import _resize, fit_frame

    wanted, out = set(int(k) for k in picks), {}
    for index, _, rgb in iter_frames(video, fps=30.0):
        if index in wanted:
            height, width = rgb.shape[:2]
            out[index] = (_resize(rgb, round(width * size[1] / height / 2) * 2, size[1]) if whole
                          else fit_frame(rgb, size))
        if len(out) == len(wanted):
            break
    return [out[int(k)] for k in picks]


def caption(picture, text):
    """The picture (H, W, 3) uint8 with ``text`` at its top left, spaces kept."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(picture)
    draw_words(ImageDraw.Draw(image), (4, 4), text, fill=(255, 255, 255))
    return np.asarray(image)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--drive", type=Path, help="the driving take, its real video beside it")
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another renderer's follow video")
    parser.add_argument("--warps", action="store_true", help="a column of the warps alone")
    parser.add_argument("--shot", action="store_true",
                        help="the renderer in its training shot and the real video, whole frames")
    parser.add_argument("--output", type=Path,
                        default=ROOT / "docs" / "images" / "renderer_follow_sheet.png")
    args = parser.parse_args()
    trained = sorted(args.work.glob("renderer*/talkrig_model.json"),
                     key=lambda p: (len(p.parent.name), p.parent.name))  # smallest size first
    for path in (trained[0].parent if trained else args.work / "renderer256",
                 args.work / "drive.npz", args.before):
        if path is not None and not path.exists():
            parser.error(f"{path} not found: WORK is a benchmarks/bench_renderer.py folder, "
                         "--before a follow video")

    from PIL import Image

    from talkrig.inference.render import load_renderer
    from talkrig.motion import load_motion
    from talkrig.motion.skeleton_pass import draw_skeleton_pass, project_take

    renderer = load_renderer(str(trained[0].parent))  # renderer256, or rendererSIZE
    size = renderer.size
    motion = load_motion(args.work / "drive.npz")  # the take as the renderer was driven
    picks = np.linspace(0, motion.n_frames - 1, args.rows + 2)[1:-1].round().astype(int)
    joints = project_take(motion, renderer.camera, size)
    columns = [[caption(draw_skeleton_pass(joints[k], size), f"take, {k / motion.fps:.1f} s")
                for k in picks]]
    videos = [(args.before if name == "before" else args.work / name, label)
              for name, label in COLUMNS if name != "before" or args.before]
    if args.shot:
        shot = args.work / "follow_ours in its shot.mp4"
        if not shot.exists():
            parser.error(f"{shot} not found: run the bench with a renderer that keeps its shot")
        videos = [(shot, f"in its shot, {'x'.join(map(str, renderer.shot_size))}")]
    if args.drive and args.drive.with_suffix(".mp4").exists():
        videos.append((args.drive.with_suffix(".mp4"), "real video"))
    for video, label in videos:
        if video.exists() and (args.warps or label != "its warps alone"):
            columns.append([caption(p, label) for p in pick_frames(video, picks, size, args.shot)])
    sheet = np.concatenate([np.concatenate(row, 1) for row in zip(*columns)], 0)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).quantize(colors=128, dither=Image.Dither.NONE).save(args.output,
                                                                               optimize=True)
    print(f"wrote {args.output} ({args.output.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
