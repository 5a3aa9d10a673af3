"""Generate full-body gesture motion (SMPL-X) for a speech recording.

The audio is decoded, its words found (recognised, aligned to your script, or read from a
timed transcript), a generator makes the motion, key poses are inserted at trigger words and
the result is cleaned up (joint limits, jitter, planted feet) at the frame rate you ask for.
The output is a BEAT2-layout .npz (or .bvh) readable by `talkrig info` and the Blender add-on.

Generators: `talkrig backends` lists them with their options. `--library DIR` alone selects the
matching generator over that mocap folder.
"""

from .generation_args import add_generation_arguments, generation_options
from .progress import StageBar

HELP = "generate gesture motion for a speech recording (audio -> SMPL-X npz)"


def add_arguments(parser):
    parser.add_argument("audio", help="speech recording: wav, flac, ogg or mp3")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.npz",
                        help="motion file to write (.npz BEAT2 layout, or .bvh)")
    parser.add_argument("--words-json", metavar="FILE", help="also write the words found as JSON")
    parser.add_argument("--mouth-cues", metavar="OUT.json|OUT.tsv",
                        help="also write the 2D mouth cues (Preston Blair / Rhubarb shapes A-H, X) "
                             "in Rhubarb's JSON or TSV layout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_generation_arguments(parser)


def run(args):
    import json
    import os
    import time

    from ..inference.generation.pipeline import generate
    from ..inference.speech.words import words_to_json
    from ..motion import save_motion
    from ..motion.errors import TalkrigError
    from ..motion.files import WRITABLE, check_output

    from ..motion.mouthcues import CUE_FORMATS, write_mouth_cues

    check_output(args.output, WRITABLE)
    for path in filter(None, (args.mouth_cues, args.words_json)):
        check_output(path)
    if args.mouth_cues and os.path.splitext(args.mouth_cues)[1].lower() not in CUE_FORMATS:
        raise TalkrigError(f"--mouth-cues {args.mouth_cues}: write the cues as .json or .tsv")
    if args.mouth_cues and args.face == "none":
        raise TalkrigError("--mouth-cues needs a face model; drop --face none")
    options = generation_options(args)
    backend = options.backend
    start = time.perf_counter()
    with StageBar(disabled=args.quiet) as bar:
        result = generate(args.audio, options, progress=bar.update)
    save_motion(result.motion, args.output)
    if args.mouth_cues:
        write_mouth_cues(result.motion, args.mouth_cues, sound_file=os.path.basename(args.audio))
    if args.words_json:
        with open(args.words_json, "w", encoding="utf-8") as handle:
            json.dump(words_to_json(result.words), handle, indent=1, ensure_ascii=False)
    if not args.quiet:
        m = result.motion
        print(f"wrote {args.output}: {m.n_frames} frames at {m.fps:g} fps ({m.duration:.2f} s), "
              f"{backend}, seed {args.seed}, {len(result.words)} words, "
              f"{time.perf_counter() - start:.1f} s")
    return 0
