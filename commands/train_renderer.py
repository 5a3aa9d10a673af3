"""Train a photoreal renderer of yourself: a video of you talking in, a vid2vid model out.

The renderer moves real pixels of you to each new pose: source frames of the video chosen to
cover your poses, warped part by part along the bones of the skeleton pass of your captured
motion (filmed by the capture's camera), then corrected by a small network that learns what
warping cannot do. Without --takes the video is captured first (into RENDERER_DIR/takes).
Frames are paired with their labels at --size, the last 20 % held out for validation (and,
with --pose-holdout, the poses farthest from all others); every frame is warped once, then
training runs with torch (CUDA when present), shows its losses, saves a checkpoint every
minute so a stopped run resumes (run the same command again), keeps the weights that render
the held-out frames best and exports them to ONNX with the background plate and the source
frames. Render takes with `talkrig render MOTION --renderer DIR`.

Examples:
  talkrig train-renderer --video me.mp4 -o renderers/me --minutes 20
  talkrig train-renderer --video me.mp4 --takes takes/ -o renderers/me --size 256
"""

HELP = "train a photoreal vid2vid renderer of a person from a video of them"


def add_arguments(parser):
    parser.add_argument("--video", required=True, metavar="VIDEO",
                        help="the person talking (mp4, mov, mkv, webm ...), steady camera")
    parser.add_argument("--takes", metavar="DIR",
                        help="the video's takes from `talkrig capture` with their cameras "
                             "(default: capture the video into RENDERER_DIR/takes first)")
    parser.add_argument("-o", "--output", required=True, metavar="RENDERER_DIR",
                        help="where the renderer goes (created)")
    parser.add_argument("--size", type=int, default=256, metavar="PIXELS",
                        help="picture side in pixels, a multiple of 8 (default 256)")
    parser.add_argument("--minutes", type=float, default=None, metavar="M",
                        help="train for M minutes (default 20 unless --steps)")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="train until N steps in total (with --minutes: whichever comes first)")
    parser.add_argument("--val-split", type=float, default=0.2, metavar="F",
                        help="fraction at the end of the video held out for validation (default 0.2)")
    parser.add_argument("--pose-holdout", type=float, default=0.0, metavar="F",
                        help="fraction of the training frames, those whose pose is farthest from "
                             "every other, kept out of training with their neighbours (default 0)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hyper-parameter (e.g. --set batch=4); repeatable")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore a checkpoint in the output folder and start over")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: all cores)")


def _check(args):
    from ..motion.errors import TalkrigError
    from ..motion.files import not_a_file

    if not_a_file(args.video):
        raise TalkrigError(f"{args.video}: {not_a_file(args.video)}")
    if args.size < 16 or args.size % 8:
        raise TalkrigError(f"--size must be a multiple of 8 from 16 up, got {args.size}")
    if args.minutes is not None and args.minutes <= 0:
        raise TalkrigError(f"--minutes must be positive, got {args.minutes:g}")
    if args.steps is not None and args.steps < 1:
        raise TalkrigError(f"--steps must be at least 1, got {args.steps}")
    if not 0.0 <= args.val_split < 0.9:
        raise TalkrigError(f"--val-split must be from 0 to 0.9, got {args.val_split:g}")
    if not 0.0 <= args.pose_holdout < 0.5:
        raise TalkrigError(f"--pose-holdout must be from 0 to 0.5, got {args.pose_holdout:g}")


def _takes(args):
    """The takes of the video: from --takes, or captured into RENDERER_DIR/takes."""
    from pathlib import Path

    from ..plugins.renderers.vid2vid.pairs import find_takes

    if args.takes:
        return find_takes(args.video, args.takes)
    from ..inference.capture.pipeline import capture_video, default_detector
    from .progress import StageBar

    folder = Path(args.output) / "takes"
    print(f"capturing {args.video} into {folder} ...")
    with StageBar() as bar:
        capture_video(args.video, folder, detector=default_detector(), progress=bar.update)
    return find_takes(args.video, folder)


def run(args):
    from ..inference.generation.options import parse_option_strings
    from ..motion.errors import TalkrigError
    from ..motion.files import check_output_folder

    _check(args)
    try:
        import torch
    except ImportError:
        raise TalkrigError("training needs torch: pip install 'talkrig[train]'") from None
    from ..plugins.renderers.vid2vid.pairs import hold_out_poses, load_pairs
    from ..plugins.renderers.vid2vid.train import advice, make_config, train
    from .progress import CountBar, StageBar

    if args.threads:
        torch.set_num_threads(args.threads)
    config = make_config(parse_option_strings(args.set, flag="--set"))
    check_output_folder(args.output)  # after the settings: a bad one leaves no folder behind
    takes = _takes(args)
    size = (args.size, args.size)
    print(f"pairing {args.video} with the skeleton pass of {len(takes)} take(s) ...")
    with StageBar() as pairing:
        pairs = load_pairs(args.video, takes, size, val_split=args.val_split,
                           progress=lambda fraction: pairing.update("pair frames", fraction))
    print(f"{len(pairs.frames)} frames at {size[0]}x{size[1]}: {pairs.n_train} for training, "
          f"{len(pairs.frames) - pairs.n_train} held out")
    if args.pose_holdout:
        held = hold_out_poses(pairs, args.pose_holdout)
        print(f"{len(held)} poses held out by pose ({int(pairs.pose_held.sum())} frames with their "
              "neighbours)")
    minutes = args.minutes if args.minutes is not None or args.steps else 20.0
    by_time = args.steps is None
    total = round(minutes * 60) if by_time else args.steps
    bar, shown = None, {}

    def progress(step, steps, elapsed, losses):
        nonlocal bar
        if bar is None:  # opened at the first step: a bad checkpoint is reported bar-free
            bar = CountBar(total, "s" if by_time else "step", "train renderer")
        shown.update({k: f"{v:.3g}" for k, v in losses.items()
                      if v is not None and k in ("l1", "ms_ssim", "val_psnr")})
        bar.update(min(total, round(elapsed)) if by_time else step, shown)

    warping = StageBar().__enter__()

    def warp_progress(fraction):
        warping.update("warp frames", fraction)
        if fraction >= 1.0:
            warping.__exit__(None, None, None)

    try:
        result = train(pairs, args.output, config, steps=args.steps, minutes=minutes,
                       fresh=args.fresh, progress=progress, warp_progress=warp_progress)
    finally:
        warping.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    if result.resumed_from:
        print(f"resumed from step {result.resumed_from}")
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    print(f"trained {result.steps} steps in {result.seconds:.0f} s: {losses}")
    if result.val_psnr is not None:
        print(f"held-out frames rendered at {result.val_psnr:.2f} dB PSNR (the warps alone: "
              f"{result.warp_psnr:.2f} dB; the still background plate: "
              f"{result.reference_psnr:.2f} dB)")
    if result.stray is not None:
        print(f"paint where those frames show the wall: {100 * result.stray:.1f} % of the person's area "
              "(the real video: 0)")
    print(f"ONNX export checked against torch, max abs difference: {result.export_diff:.1e}")
    shot = result.shot
    print(f"renderer written to {result.folder}" + (f" (it renders into the video's {shot['size'][0]}x"
                                                   f"{shot['size'][1]} shot)" if shot else ""))
    for line in advice(result) or ["none: the held-out frames look like the video"]:
        print(f"advice: {line}")
    return 0
