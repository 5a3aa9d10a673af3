"""Live streams against the same generator's offline take: do the joins between live plans
show, does the body stay where it stands, is it as lively?

For each clip (12 s of three recordings, from their start and from 20 s where they run that
long), streams the sound in 40 ms chunks through `LiveStream` and generates the same sound
offline, then prints the live / offline ratio of: the body's largest jolt (the largest change
of a body joint's step between frames: a join shows here), the largest one-frame move, the
root's travel over the floor and the wrists' mean speed; then the median and the range over the
clips. Matching plays the shared take's first half as its library (the clips of that take's
own recording are left out for it).

    .venv/bin/python benchmarks/bench_live_joins.py [--backends procedural matching] [--seconds 12]
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.generators import get_generator
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.live.driver import LiveStream
from talkrig.motion import Motion
from talkrig.motion.metrics.artifacts import largest_jolt, max_jump
from talkrig.motion.metrics.distribution import mean_speed
from talkrig.motion.metrics.posture import root_travel
from talkrig.motion.skeleton import WRISTS

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RECORDINGS = [SHARED / "beat2_scott_train" / "2_scott_0_2_2.wav", SHARED / "speech_mfa" / "acoustic_corpus.wav",
              SHARED / "beat2_scott_train" / "2_scott_0_1_1.wav"]
FPS = 30.0
CHUNK = 640  # 40 ms at 16 kHz
FIGURES = {"body jolt": largest_jolt, "largest move": max_jump, "root travel": root_travel,
           "wrist speed": lambda m: mean_speed(m, WRISTS)}


def clips(seconds):
    """[(label, samples)]: ``seconds`` of each recording from its start and from 20 s."""
    out = []
    for path in RECORDINGS:
        samples = decode_audio(path).samples
        for start in (0, 20):
            piece = samples[start * 16000:(start + int(seconds)) * 16000]
            if len(piece) == int(seconds) * 16000:
                out.append((f"{path.stem} from {start} s", path, piece))
    return out


def live_take(name, samples, options):
    """The frames a live stream hands out, joined."""
    stream = LiveStream(get_generator(name), options, FPS, 0)
    parts = [stream.feed(samples[i:i + CHUNK]) for i in range(0, len(samples), CHUNK)] + [stream.finish()]
    return Motion.concatenate([p.motion for p in parts if p is not None])


def offline_take(name, samples, options):
    return generate(samples, GenerateOptions(backend=name, speech="none", backend_options=options,
                                             calm=0.0)).motion


def library(folder):
    """The shared take's first half (motion and sound) as a matching library."""
    import soundfile

    from talkrig.motion import load_motion, save_motion

    take = load_motion(RECORDINGS[2].with_suffix(".npz"))
    half = take[:take.n_frames // 2]
    sound = decode_audio(RECORDINGS[2])
    save_motion(half, folder / "first_half.npz")
    soundfile.write(folder / "first_half.wav", sound.samples[:int(half.duration * sound.sample_rate)],
                    sound.sample_rate)
    return str(folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["procedural", "matching"])
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="talkrig-live-joins-") as tmp:
        options = {"procedural": {}, "matching": {"library": library(Path(tmp))}}
        pieces = clips(args.seconds)
        print("| backend | clip | " + " | ".join(f"{k} live / offline" for k in FIGURES) + " |")
        print("|---" * (2 + len(FIGURES)) + "|")
        for name in args.backends:
            ratios = {k: [] for k in FIGURES}
            for label, path, samples in pieces:
                if name == "matching" and path == RECORDINGS[2]:
                    continue  # its library's own recording
                live, take = live_take(name, samples, options[name]), offline_take(name, samples, options[name])
                row = {k: f(live) / max(f(take), 1e-12) for k, f in FIGURES.items()}
                for k, v in row.items():
                    ratios[k].append(v)
                print(f"| {name} | {label} | " + " | ".join(f"{v:.2f}" for v in row.values()) + " |")
            print(f"| {name} | median (range) | " + " | ".join(
                f"{np.median(v):.2f} ({min(v):.2f}-{max(v):.2f})" for v in ratios.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
