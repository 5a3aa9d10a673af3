"""Convert a motion file between SMPL-X npz and BVH, optionally changing its frame rate.

Examples:
  talkrig convert take.npz take.bvh                 # BVH in metres, built-in neutral skeleton
  talkrig convert take.npz take.bvh --units cm      # centimetres, as many tools expect
  talkrig convert take.npz take.bvh --smplx-model ~/models/smplx   # exact skeleton for the betas
  talkrig convert take.bvh take.npz
  talkrig convert take.npz take_24.npz --fps 24     # rotations slerped, duration kept

BVH holds a skeleton and joint rotations only: expressions and body shape (betas) are left out
when writing one, and a motion read from BVH has none.
"""

HELP = "convert motion files (.npz <-> .bvh) and change their frame rate"


def add_arguments(parser):
    parser.add_argument("input", help="motion file to read: BEAT2/AMASS .npz or SMPL-X .bvh")
    parser.add_argument("output", help="file to write: .npz (BEAT2 layout) or .bvh")
    parser.add_argument("--fps", type=float, metavar="N",
                        help="resample to N frames per second (e.g. 24, 25, 30, 60)")
    parser.add_argument("--units", choices=("m", "cm"), default="m",
                        help="BVH output units (default: m; Blender imports it at scale 1)")
    parser.add_argument("--smplx-model", metavar="PATH",
                        help="your SMPL-X model folder or file: write the BVH with the exact "
                             "skeleton of the motion's betas (needs the smplx extra)")


def run(args):
    from pathlib import Path

    from ..motion import load_motion, resample, save_motion
    from ..motion.container import check_fps
    from ..motion.errors import TalkrigError
    from ..motion.files import WRITABLE, check_output

    # Check what needs no reading first, so a typo does not wait for a long file to load.
    suffix = check_output(args.output, WRITABLE).suffix.lower()
    if args.fps is not None:
        check_fps(args.fps, "--fps")
    to_bvh = suffix == ".bvh"
    if args.smplx_model and not to_bvh:
        raise TalkrigError("--smplx-model only applies when writing a .bvh file")

    motion = load_motion(args.input)
    if args.fps is not None:
        motion = resample(motion, args.fps)

    options = {}
    if to_bvh:
        options["units"] = args.units
        if args.smplx_model:
            from ..inference.smplx_model import skeleton_from_smplx

            options["skeleton"] = skeleton_from_smplx(args.smplx_model, motion.betas, motion.gender)

    save_motion(motion, args.output, **options)
    print(f"wrote {args.output}: {motion.n_frames} frames, {motion.fps:g} fps, "
          f"{motion.duration:.1f} s")
    if to_bvh and (motion.n_expressions or motion.betas.size):
        print(f"note: BVH holds no expressions or body shape; {motion.n_expressions} expression "
              f"coefficients and {motion.betas.size} betas were left out")
    return 0
