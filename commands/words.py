"""Find the words spoken in a recording and when: recognition, alignment of your script, or the
times of a transcript file (TextGrid, SRT, WebVTT, ASS, JSON).

Engines: auto (default: a timed transcript is read as it is, a plain script is aligned with
pocketsphinx, and without a transcript the first available recognizer runs: vosk when a model
is set, else pocketsphinx), pocketsphinx, vosk, transcript, none.

A script that does not quite match the recording is still aligned: words that cannot be placed
get times between their neighbours and confidence 0, and are named in one warning. Aligned
words carry their phones (ARPAbet) in --json.

pocketsphinx options (--speech-option NAME=VALUE): workers=N processes decoding side by side
(default: one per core), mode=keywords to spot only the key-pose dictionary's words instead of
recognising every word (keywords=a,b,c for other words).
"""

HELP = "print the words spoken in an audio file with their start/end times"


def add_arguments(parser):
    from .generation_args import generation_defaults

    default = generation_defaults()
    parser.add_argument("audio", help="speech recording: wav, flac, ogg or mp3")
    parser.add_argument("--transcript", metavar="TEXT|FILE",
                        help="the script as text, or a file: .txt/.lab/.rtf/.docx/.odt script, .TextGrid, .srt, .vtt, .sbv, .ass, .ttml, .json")
    parser.add_argument("--engine", default=default.speech,
                        help="auto, none, pocketsphinx, espeak, vosk, transcript or another installed "
                             "speech plugin (default: %(default)s)")
    parser.add_argument("--language", default=default.language, metavar="CODE|auto",
                        help="the speech's language (eSpeak NG code: de, es, fr, ja, cmn, ...; "
                             "default auto: the script's own, else English recognition)")
    parser.add_argument("--vosk-model", metavar="DIR",
                        help="Vosk model folder (default: $TALKRIG_VOSK_MODEL)")
    parser.add_argument("--speech-option", action="append", default=[], metavar="NAME=VALUE",
                        help="an engine option (repeatable), e.g. workers=1, mode=keywords")
    parser.add_argument("--max-audio-seconds", "--max-seconds", dest="max_seconds", type=float,
                        metavar="SECONDS",
                        default=default.max_audio_seconds,
                        help="longest audio accepted, in seconds (default: %(default)g, ten minutes)")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"word", "start", "end", "confidence"[, "phones"]} (seconds; '
                             'phones: [{"phone", "start", "end"}], ARPAbet)')


def run(args):
    import json

    from ..inference.audio.decode import decode_audio
    from ..inference.generation.options import parse_option_strings
    from ..inference.speech.timing import find_words
    from ..inference.speech.words import words_to_json
    from .generation_args import read_transcript

    audio = decode_audio(args.audio, max_seconds=args.max_seconds)
    transcript, options = read_transcript(args.transcript)
    options.update(parse_option_strings(args.speech_option, "--speech-option"))
    if args.vosk_model:
        options["model"] = args.vosk_model
    words = find_words(audio, engine=args.engine, transcript=transcript, options=options,
                       language=args.language)
    if args.json:
        print(json.dumps(words_to_json(words), indent=1, ensure_ascii=False))
        return 0
    print(f"{'start':>8} {'end':>8} {'conf':>5}  word")
    for w in words:
        print(f"{w.start:8.2f} {w.end:8.2f} {w.confidence:5.2f}  {w.word}")
    print(f"{len(words)} words in {audio.duration:.2f} s of {audio.name}")
    return 0
