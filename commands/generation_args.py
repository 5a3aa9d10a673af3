"""The generation options shared by `talkrig generate`, `talkrig bake` and `talkrig bake-batch`.

    add_generation_arguments(parser)         # --backend --seed --fps --transcript --speech --calm ...
    options = generation_options(args)       # -> inference.generation.pipeline.GenerateOptions

Cheap to import: the pipeline and the transcript reader are imported when flags are added or
options are built. The flags' defaults are GenerateOptions' own (:func:`generation_defaults`),
never a copy.
"""


def generation_defaults():
    """GenerateOptions() with every field at its default: what the flags fall back to."""
    from ..inference.generation.pipeline import GenerateOptions

    return GenerateOptions()


def add_generation_arguments(parser, seed=True):
    """Add the flags that choose how motion is generated from speech.

    seed : add --seed (batch manifests carry a seed per clip and add their own default).
    """
    default = generation_defaults()
    group = parser.add_argument_group("generation")
    group.add_argument("--backend", default=None,
                       help=f"generator plugin (default: {default.backend}, or matching with "
                            "--library); see `talkrig backends`")
    if seed:
        group.add_argument("--seed", type=int, default=default.seed,
                           help="random seed: same seed, same motion (default %(default)s)")
    group.add_argument("--fps", type=float, default=None,
                       help=f"output frame rate (default {default.fps:g})")
    group.add_argument("--transcript", metavar="FILE|TEXT",
                       help="the script as text, or a file: .txt/.lab/.rtf/.docx/.odt, .TextGrid, "
                            ".srt, .vtt, .sbv, .ass, .ttml, .json")
    group.add_argument("--speech", default=default.speech,
                       help="word timing: auto, none, vosk, pocketsphinx, espeak, transcript "
                            "(default %(default)s)")
    group.add_argument("--language", default=default.language, metavar="CODE|auto",
                       help="the speech's language, an eSpeak NG code: de, es, fr, it, pt, ru, pl, "
                            "ja, cmn, hi, ar, tr, fi, ... (default auto: the script's own, else "
                            "English recognition, which gives no words for other languages). A "
                            "script in any language is timed; key poses follow the language")
    group.add_argument("--max-audio-seconds", type=float, default=default.max_audio_seconds,
                       metavar="SECONDS", help="longest recording accepted (default %(default)g: "
                                               "ten minutes)")
    group.add_argument("--vosk-model", metavar="DIR", help="Vosk model folder for --speech vosk")
    group.add_argument("--speech-option", action="append", default=[], metavar="NAME=VALUE",
                       help="a speech engine option (repeatable), e.g. workers=1 or "
                            "mode=keywords; see `talkrig words --help`")
    group.add_argument("--keyposes", default=default.keyposes, metavar="FILE|default|none",
                       help="key-pose dictionary (JSON), the bundled one (default) or none")
    group.add_argument("--library", metavar="DIR",
                       help="mocap library folder (NAME.npz + NAME.wav) for the matching generator")
    group.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                       help="a generator option (repeatable); see `talkrig backends`")
    group.add_argument("--face", default=default.face, metavar="MODEL|none",
                       help="face model: phones (lip sync, blinks, brows; default) or none "
                            "(the generator's jaw only)")
    group.add_argument("--face-option", action="append", default=[], metavar="NAME=VALUE",
                       help="a face option (repeatable): mouth_strength, smoothing, blink_rate, "
                            "brow_amount, saccades, expressions=replace|blend|keep")
    group.add_argument("--calm", type=float, default=default.calm, metavar="0..1",
                       help="how much the body calms down in pauses of the speech: 0 keeps the "
                            "generator's motion as it is (default %(default)g)")
    return group


def backend_name(args):
    """The generator the flags select: --backend, else matching with --library, else
    GenerateOptions' default (procedural)."""
    return args.backend or ("matching" if args.library else generation_defaults().backend)


def read_transcript(value):
    """(transcript text, speech options) for a --transcript value: a file's content or the text."""
    from ..inference.speech.transcripts import transcript_text

    text, name = transcript_text(value)
    return text, ({"transcript_name": name} if name else {})


def generation_options(args, seed=None, backend=None, transcript=None):
    """GenerateOptions from parsed flags; seed/backend/transcript override the flags' values."""
    from ..inference.generation.options import parse_option_strings
    from ..inference.generation.options import check_calm, check_seed
    from ..inference.generation.pipeline import GenerateOptions
    from ..motion.container import check_fps

    backend_options = parse_option_strings(args.option)
    if args.library:
        backend_options["library"] = args.library
    default = generation_defaults()
    given = transcript if transcript is not None else args.transcript
    text, speech_options = read_transcript(given)
    speech_options.update(parse_option_strings(args.speech_option, "--speech-option"))
    if args.vosk_model:
        speech_options["model"] = args.vosk_model
    return GenerateOptions(
        backend=backend or backend_name(args),
        seed=check_seed(seed if seed is not None else getattr(args, "seed", default.seed), "--seed"),
        fps=check_fps(args.fps, "--fps") if args.fps is not None else default.fps, speech=args.speech,
        transcript=text, keyposes=args.keyposes, backend_options=backend_options,
        speech_options=speech_options, calm=check_calm(args.calm), face=args.face,
        face_options=parse_option_strings(args.face_option), language=_language(args.language),
        max_audio_seconds=_max_seconds(args.max_audio_seconds))


def _language(value):
    from ..inference.speech.languages import LanguageError, normalise
    from ..motion.errors import TalkrigError

    try:
        return normalise(value)
    except LanguageError as exc:
        raise TalkrigError(f"--language: {exc}") from None


def _max_seconds(value):
    from ..motion.errors import TalkrigError

    if not value > 0:  # also refuses NaN
        raise TalkrigError(f"--max-audio-seconds must be a positive number of seconds, got {value!r}")
    return float(value)
