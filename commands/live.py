"""Stream speech to a running `talkrig serve` in real time and receive the motion as it is made.

The audio (a file, played at its own pace, or the microphone) goes to the server's live
WebSocket in small chunks; frames come back while it plays. At the end the latency of every
frame is summarised: the time from sending the chunk that holds a frame's audio to receiving
that frame. Only generators that can stream take part (see `talkrig backends`).

examples:
  talkrig live speech.wav
  talkrig live speech.wav --out live.npz --seed 3
  talkrig live --mic --seconds 20
"""

import sys

MIC_SECONDS = 30.0
HELP = "stream a file or the microphone to the server in real time; print latency statistics"


def add_arguments(parser):
    from ..client.http_client import DEFAULT_URL
    from .generation_args import generation_defaults

    default = generation_defaults()
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("audio", nargs="?", help="speech recording (wav, flac, ogg, mp3, ...)")
    source.add_argument("--mic", action="store_true",
                        help="stream the default microphone instead (needs the sounddevice package)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stream at most this long: the file's first SECONDS, or the microphone "
                             f"(default: the whole file; {MIC_SECONDS:g} s of microphone)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"server address (default {DEFAULT_URL})")
    parser.add_argument("--token-file", metavar="FILE",
                        help="the server's token file (default: the one `talkrig serve` writes)")
    parser.add_argument("--backend", default=None,
                        help="generator that can stream: procedural (default), or matching with --library")
    parser.add_argument("--library", metavar="DIR",
                        help="mocap library folder for matching (inside the server's data folder)")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="a generator option (repeatable)")
    parser.add_argument("--seed", type=int, default=default.seed, help="random seed (default %(default)s)")
    parser.add_argument("--fps", type=float, default=default.fps, help="frame rate (default %(default)g)")
    parser.add_argument("--language", default=default.language, metavar="CODE|auto",
                        help="the speech's language (de, es, fr, ...): live key poses are "
                             "spotted in English speech only (default auto)")
    parser.add_argument("--chunk-ms", type=int, default=40, help="audio per message, 20-100 ms (default 40)")
    parser.add_argument("--keyposes", default="none", metavar="default|none|FILE",
                        help="key poses on words spotted as they are heard: the bundled dictionary, "
                             "none (default: spotting mishears words), or a dictionary file in the "
                             "server's data folder")
    parser.add_argument("--face", default=default.face, metavar="MODEL",
                        help="face model for the face curves in each frame, or none (default %(default)s)")
    parser.add_argument("--out", metavar="FILE.npz", help="also save the motion received (BEAT2 npz)")


def run(args):
    import math

    import numpy as np

    from ..client.http_client import ClientError, read_token
    from ..client.live_client import LiveClient, latencies, pcm16, stream_in_real_time
    from ..client.microphone import MicrophoneError
    from ..inference.audio.decode import SAMPLE_RATE
    from ..inference.generation.options import check_seed, parse_option_strings
    from ..motion.container import check_fps
    from ..motion.errors import TalkrigError
    from ..motion.files import WRITABLE, check_output
    from ..motion.live_frames import received_motion
    from .generation_args import generation_defaults

    if args.out:  # before streaming: a performance is not lost to a bad file name
        check_output(args.out, WRITABLE)
    if not 20 <= args.chunk_ms <= 100:
        raise TalkrigError(f"--chunk-ms must be from 20 to 100, got {args.chunk_ms}")
    options = parse_option_strings(args.option)
    if args.library:
        options["library"] = args.library
    backend = args.backend or ("matching" if args.library else generation_defaults().backend)
    fps, seed = check_fps(args.fps, "--fps"), check_seed(args.seed, "--seed")
    chunk = SAMPLE_RATE * args.chunk_ms // 1000
    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise TalkrigError(f"--seconds must be a positive number, got {args.seconds:g}")
    if args.mic:
        from ..client.microphone import microphone_chunks, unavailable

        if unavailable():
            raise TalkrigError(f"--mic: {unavailable()}")
        chunks = microphone_chunks(chunk, args.seconds or MIC_SECONDS)
    else:
        from ..inference.audio.decode import decode_audio

        samples = decode_audio(args.audio).samples
        if args.seconds is not None:
            samples = samples[: int(round(args.seconds * SAMPLE_RATE))]
        chunks = [pcm16(samples[i:i + chunk]) for i in range(0, len(samples), chunk)]
    try:
        live = LiveClient(args.url, token=read_token(args.token_file))
    except ClientError as exc:  # an address it cannot stream to
        raise TalkrigError(str(exc)) from None
    try:
        ready = live.start(backend, fps=fps, seed=seed, backend_options=options, keyposes=args.keyposes,
                           face=args.face, language=args.language)
        print(f"streaming to {args.url} with {backend} at {ready['fps']:g} fps "
              f"(look-ahead {ready['lookahead'] * 1000:.0f} ms)", file=sys.stderr)
        messages, sent_at, audio_end = stream_in_real_time(live, chunks, args.chunk_ms / 1000)
    except (ClientError, MicrophoneError) as exc:
        raise TalkrigError(str(exc)) from None
    finally:
        live.close()
    errors = [m["detail"] for m, _ in messages if m.get("type") == "error"]
    if errors:
        raise TalkrigError(f"the server ended the stream: {errors[0]}")
    frames, delays = latencies(messages, sent_at, audio_end)
    if not frames:
        raise TalkrigError("the server sent no frames")
    ms = np.asarray(delays) * 1000
    in_order = frames == list(range(len(frames)))
    print(f"frames:     {len(frames)} ({'every frame, in order' if in_order else 'MISSING OR OUT OF ORDER'})")
    print(f"latency ms: p50 {np.percentile(ms, 50):.0f}, p95 {np.percentile(ms, 95):.0f}, "
          f"max {ms.max():.0f} (chunk sent -> its frame received)")
    if args.out:
        from ..motion import save_motion

        save_motion(received_motion([m for m, _ in messages]), args.out)
        print(f"saved:      {args.out}")
    return 0 if in_order else 1
