"""How much a trained vid2vid renderer flickers on its held-out tail, with and without the fade
between a part's old and new sources, and with other keep margins: the render path alone, no
training (a folder `bench_renderer.py` trained).

    .venv/bin/python benchmarks/bench_render_fade.py WORK --video V.mp4 --takes DIR
        [--size 256] [--try 0.15:0 0.15:4 0.15:8 0.4:0]

Each --try is MARGIN:FRAMES (``SWITCH_MARGIN`` and ``FADE_FRAMES`` of the renderer; 0 frames:
no fade). Prints, per setting, the warps' and the refined pictures' flicker (mean absolute
difference of consecutive frames, beside the real video's) and PSNR against the real frames,
and how often the pose groups switch their nearest source.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from bench_renderer import SIZE, psnr


def flicker(pictures):
    return float(np.abs(np.diff(np.asarray(pictures, np.float64), axis=0)).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("work", type=Path, help="a bench_renderer.py folder (rendererSIZE in it)")
    parser.add_argument("--size", type=int, default=SIZE,
                        help=f"the renderer's picture side, as bench_renderer.py --size (default "
                             f"{SIZE})")
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--takes", type=Path, required=True)
    parser.add_argument("--try", dest="settings", nargs="+", default=["0.15:0", "0.15:4"])
    args = parser.parse_args()

    from talkrig.plugins.renderers.vid2vid import renderer as module
    from talkrig.plugins.renderers.vid2vid.pairs import find_takes, load_pairs

    folder = args.work / f"renderer{args.size}"
    if not folder.is_dir():
        parser.error(f"no renderer folder {folder} (train one with bench_renderer.py --size)")
    pairs = load_pairs(args.video, find_takes(args.video, args.takes), (args.size, args.size))
    tail = np.arange(pairs.n_train, len(pairs.frames))
    real = pairs.frames[tail]
    renderer = module.Vid2VidRenderer(folder)
    joints, labels = pairs.joints[tail], pairs.labels[tail]
    print(f"{len(tail)} held-out frames; the real video's flicker {flicker(real):.3f}")
    for setting in args.settings:
        margin, frames = setting.split(":")
        module.SWITCH_MARGIN, module.FADE_FRAMES = float(margin), int(frames)
        switches, sources = 0, None
        for points in joints:
            previous, sources = sources, renderer._sources(points, sources)
            switches += previous is not None and sum(previous[g] != sources[g] for g in sources)
        start = time.perf_counter()
        warps = [w for w, _ in renderer.warps(joints)]
        ms = (time.perf_counter() - start) / len(tail) * 1000
        refined = list(renderer.render(labels, joints=joints))
        for name, pictures in (("warps", warps), ("warp + refine", refined)):
            score = np.mean([psnr(p, r) for p, r in zip(pictures, real)])
            print(f"margin {margin}, fade {frames} frames: {name}: flicker "
                  f"{flicker(pictures):.3f}, PSNR {score:.2f}", flush=True)
        print(f"  source switches per frame {switches / len(tail):.2f}, warps {ms:.0f} ms/frame")


if __name__ == "__main__":
    main()
