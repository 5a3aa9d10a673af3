"""Contact sheet of a renderer trained on a real lecture video, painting that person doing a take
generated from other speech.

    .venv/bin/python examples/render_lecture_sheet.py --take TAKE.npz --rendered TAKE.mp4 \\
        --renderer RENDERER_DIR --takes TAKES_DIR [--video WEBM] [--real-at S] [--frames 6]
        [--output docs/images/lecture_renderer_sheet.png]

TAKE.npz is the generated take and TAKE.mp4 what `talkrig render TAKE.npz --renderer
RENDERER_DIR` made of it. The first row shows a real frame of the training video (at --real-at
seconds) beside the label drawn from its captured motion; the rows below show label | rendered
pairs of the generated take, evenly spread over it. The default video is Walter Lewin's lecture
clip in ../shared/data/video_ccby (CC BY 3.0): the sheet is a derivative of it and must be
published with an attribution like docs/images/ATTRIBUTION.md's.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from sheet_text import draw_words

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video_ccby" / "physicsworks.webm"
COLUMNS = 4  # tiles per row: two label | rendered pairs


def caption(tile, text):
    """A tile (H, W, 3) uint8 with a one-line caption on a black band at its foot."""
    image = Image.fromarray(tile)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, image.height - 16, image.width, image.height], fill=(0, 0, 0))
    draw_words(draw, (4, image.height - 14), text, fill=(255, 255, 255))
    return np.asarray(image)


def video_picks(path, picks):
    """Frames ``picks`` (sorted frame numbers) of a video file, as (H, W, 3) uint8."""
    import av

    wanted, found = set(int(p) for p in picks), {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                found[i] = frame.to_ndarray(format="rgb24")
            if len(found) == len(wanted):
                break
    return [found[int(p)] for p in picks]


def real_pair(video, takes_dir, size, at):
    """The real frame at ``at`` seconds of the training video, and its label drawn from the
    captured take that covers that time (None when no take does)."""
    from talkrig.inference.capture.video import iter_frames
    from talkrig.motion.skeleton_pass import fit_frame, label_frames
    from talkrig.plugins.vid2vid.pairs import find_takes

    rgb = next(rgb for _, _, rgb in iter_frames(video, start=at, end=at + 1))
    for take in find_takes(video, takes_dir):
        k = int(round((at - take.start) * take.motion.fps))
        if 0 <= k < take.motion.n_frames:
            return fit_frame(rgb, size), next(label_frames(take.motion[k:k + 1], take.camera, size))
    return fit_frame(rgb, size), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--take", type=Path, required=True, help="the generated take (.npz)")
    parser.add_argument("--rendered", type=Path, required=True, help="its rendered video")
    parser.add_argument("--renderer", type=Path, required=True, help="the renderer folder")
    parser.add_argument("--video", type=Path, default=VIDEO, help="the training video")
    parser.add_argument("--takes", type=Path, required=True,
                        help="its takes from `talkrig capture` (the renderer's training input)")
    parser.add_argument("--real-at", type=float, default=40.0,
                        help="time in seconds of the real reference frame")
    parser.add_argument("--frames", type=int, default=6, help="label | rendered pairs")
    parser.add_argument("--output", type=Path,
                        default=ROOT / "docs" / "images" / "lecture_renderer_sheet.png")
    args = parser.parse_args()

    from talkrig.inference.render import load_renderer
    from talkrig.motion.files import load_motion
    from talkrig.motion.skeleton_pass import fit_frame, label_frames

    renderer = load_renderer(str(args.renderer))
    size, camera = renderer.size, renderer.camera
    motion = load_motion(args.take)
    picks = np.linspace(0, motion.n_frames - 1, args.frames + 2)[1:-1].round().astype(int)
    labels = list(label_frames(motion, camera, size))
    rendered = [fit_frame(p, size) for p in video_picks(args.rendered, picks)]  # any size

    real, real_label = real_pair(args.video, args.takes, size, args.real_at)
    blank = np.full_like(real, 30)
    first = [caption(real, f"real frame, {args.real_at:.0f} s"),
             caption(real_label, "its captured label") if real_label is not None else blank]
    tiles = first + [blank] * (COLUMNS - len(first))
    for k, picture in zip(picks, rendered):
        tiles += [caption(labels[k], f"generated take, {k / motion.fps:.1f} s"),
                  caption(picture, "rendered")]
    tiles += [blank] * (-len(tiles) % COLUMNS)
    rows = [np.concatenate(tiles[i:i + COLUMNS], 1) for i in range(0, len(tiles), COLUMNS)]
    sheet = Image.fromarray(np.concatenate(rows, 0))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=128, dither=Image.Dither.NONE).save(args.output, optimize=True)
    print(f"wrote {args.output} ({args.frames} rendered frames, "
          f"{args.output.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
