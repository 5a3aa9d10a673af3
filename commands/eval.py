"""Score gesture motion with the quality metrics and print a table (metrics down, motions across).

Score motion files against the real take of the same audio:

    talkrig eval --reference REF.npz --audio REF.wav GENERATED.npz [GENERATED2.npz ...]

Generate with one or more backends and score what they make (N seeds each; multimodality is
measured across the seeds):

    talkrig eval --backend procedural --backend matching --audio SPEECH.wav --samples 5

Ground-truth metrics (L1, PCK) appear only where --reference is the real motion of the same
audio (lengths within a second: they are measured on the frames both have, with a note when the
counts differ); a reference of other speech still gives the distribution metrics (Frechet
kinetic distance, speed-histogram Hellinger, angular speed, acceleration and jerk ratios). Beat
consistency, the pause/speech speed ratio and the speed-loudness correlation need --audio.

The reference itself is scored as the first column, then two baselines any generator must beat
for its figures to mean something: a static mean pose (regression to the mean: a low joint
error) and the real take shifted in time (the right speaker on the wrong audio: real dynamics,
chance beat alignment). Each figure that does not beat its baseline is listed as a note under
the table. Backends are also run on silence (and on --other SPEECH) with the same seed, for the
audio-sensitivity figures.

With --reference, every column also gets the realism test (a classifier two-sample test,
motion/metrics/realism.py): 2 s windows of the motion against the real take's, AUC 0.5 = a
classifier cannot tell them apart, 1.0 = it always can, for the whole body and per part (arms,
trunk and head, legs and feet, hands), and the features that give the motion away most are
listed under the table. It needs scikit-learn (`pip install 'talkrig[eval]'`) and at least two
8 s blocks on each side; otherwise a note says why it was skipped.

--json OUT writes everything as JSON (use - for standard output). A backend that cannot
generate (e.g. no trained model) is reported on standard error and the others are still scored;
the exit code is then 2.
"""

HELP = "score motion with the quality metrics (files, or a backend's own output)"


def add_arguments(parser):
    parser.add_argument("motions", nargs="*", metavar="GENERATED.npz",
                        help="motion files to score (.npz, .bvh)")
    parser.add_argument("--reference", metavar="REF.npz",
                        help="real motion: ground truth when it is of the same audio")
    parser.add_argument("--audio", metavar="AUDIO", help="the speech the motion goes with")
    parser.add_argument("--backend", action="append", default=[], metavar="NAME",
                        help="generate with this backend and score it (repeatable)")
    parser.add_argument("--samples", type=int, default=5, metavar="N",
                        help="seeds per backend (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--option", action="append", default=[], metavar="K=V",
                        help="backend option, passed to every --backend (repeatable)")
    parser.add_argument("--transcript", metavar="FILE|TEXT",
                        help="words for key poses: a TextGrid/SRT/VTT/ASS/JSON file or the text")
    parser.add_argument("--speech", default=None,
                        help="speech engine for words when generating (default: the transcript "
                             "if given, else none)")
    parser.add_argument("--other", metavar="AUDIO",
                        help="another recording: how much a backend's motion changes with it "
                             "(same seed), beside the change on silence")
    parser.add_argument("--no-baselines", action="store_true",
                        help="leave out the static-pose and shifted-take rows")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT (- for stdout)")


def _read_transcript(value):
    from pathlib import Path

    if value is None:
        return None
    path = Path(value)
    return path.read_text(encoding="utf-8") if path.is_file() else value


def run(args):
    import json
    import sys
    from pathlib import Path

    from ..inference.evaluate import (
        audio_context,
        format_table,
        judge,
        load_scorable,
        score_backend,
        score_baselines,
        score_files,
        score_reference,
        to_json,
    )
    from ..inference.generation.options import parse_option_strings
    from ..inference.generation.options import check_seed
    from ..motion.errors import TalkrigError
    from ..motion.files import check_output, not_a_file

    if args.json and args.json != "-":
        check_output(args.json)
    if not args.motions and not args.backend:
        raise TalkrigError("give motion files to score, or --backend NAME with --audio")
    if args.backend and not args.audio:
        raise TalkrigError("--backend needs --audio: the speech to generate from")
    if args.samples < 1:
        raise TalkrigError(f"--samples must be at least 1, got {args.samples}")
    check_seed(args.seed, "--seed")
    check_seed(args.seed + args.samples - 1, "the last seed (--seed + --samples - 1)")
    for path in [*args.motions, args.reference, args.audio, args.other]:
        if path is not None and not_a_file(path):
            raise TalkrigError(f"{path}: {not_a_file(path)}")

    reference = load_scorable(args.reference) if args.reference else None
    fps = reference.fps if reference is not None else 30.0
    context = audio_context(args.audio, fps) if args.audio else None
    columns = [] if reference is None else [score_reference(reference, context)]
    if reference is not None and not args.no_baselines:
        n_frames = round(context.duration * fps) if context is not None else reference.n_frames
        columns += score_baselines(reference, n_frames, context, ground_truth=reference)
    columns += score_files(args.motions, reference, context)
    failed = []  # backends that could not generate, when others could

    if args.backend:
        from tqdm import tqdm

        from ..inference.audio.decode import decode_audio

        options = parse_option_strings(args.option)
        transcript = _read_transcript(args.transcript)
        speech = args.speech or ("auto" if transcript else "none")
        audio = decode_audio(args.audio)
        for backend in args.backend:
            try:
                with tqdm(total=args.samples, desc=f"{backend}", unit="sample", file=sys.stderr,
                          disable=not sys.stderr.isatty()) as bar:
                    scored, _ = score_backend(backend, audio, args.samples, args.seed, reference,
                                              options, speech=speech, transcript=transcript,
                                              progress=lambda i: bar.update(1),
                                              other_audio=args.other)
            except TalkrigError as exc:
                if len(args.backend) == 1 and not columns:
                    raise
                failed.append(f"{backend}: {exc}")
                continue
            columns.append(scored)

    judge(columns)
    result = to_json(columns, args.audio, args.reference)
    result["failed"] = failed
    if args.json == "-":
        print(json.dumps(result, indent=2))
    else:
        print(format_table(columns))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {args.json}")
    for line in failed:
        print(f"talkrig eval: error: backend {line}", file=sys.stderr)
    return 2 if failed else 0
