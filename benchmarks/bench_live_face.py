"""The face in live frames against the offline face stage on the same speech.

Streams 30 s of real speech (2_scott_0_2_2) through the live driver (procedural body, the
`phones` face from the voice alone, 40 ms chunks) and compares its face curves with the offline
take's (the same face model on the whole recording, no words), beside two baselines that could
fake agreement: the live curves shifted by half a second (the right mouth at the wrong time) and
a still mouth at the offline mean.

    .venv/bin/python benchmarks/bench_live_face.py [--seconds 30]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.face import resolve_face
from talkrig.inference.generation.generators import get_generator
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.live.driver import LiveStream
from talkrig.inference.live.face import LiveFace
from talkrig.motion import Motion

WAV = Path(__file__).resolve().parents[2] / "shared" / "data" / "beat2_scott_train" / "2_scott_0_2_2.wav"
CHUNK = 640


def live(samples, face):
    stream = LiveStream(get_generator("procedural"), {}, 30.0, 0, face=face)
    parts, costs = [], []
    for i in range(0, len(samples), CHUNK):
        t0 = time.perf_counter()
        got = stream.feed(samples[i:i + CHUNK])
        costs.append(time.perf_counter() - t0)
        if got is not None:
            parts.append(got.motion)
    parts.append(stream.finish().motion)
    return Motion.concatenate(parts), np.asarray(costs) * 1000


def blinks_per_minute(motion):
    closed = motion.face_curve("eyeBlink_L") > 0.5
    return np.sum(closed[1:] & ~closed[:-1]) / motion.duration * 60


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    samples = decode_audio(WAV).samples[: int(args.seconds * 16000)]
    offline = generate(samples, GenerateOptions(backend="procedural", speech="none", calm=0.0)).motion
    model, options = resolve_face("phones", {})
    with_face, cost = live(samples, LiveFace(model, options))
    _, bare = live(samples, None)
    jaw, ref = with_face.face_curve("jawOpen"), offline.face_curve("jawOpen")
    shifted = np.roll(jaw, 15)
    mouth = [k for k, n in enumerate(with_face.face_names) if n.startswith(("jaw", "mouth", "viseme_"))]

    def mae(a, b):
        return float(np.mean(np.abs(a - b)))

    print(f"{args.seconds:g} s of 2_scott_0_2_2, 40 ms chunks, procedural + phones face")
    print("| | jawOpen r with offline | jawOpen mean abs. error | largest mouth-curve step | blinks per minute |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| live (causal, 70 ms look-ahead) | {np.corrcoef(jaw, ref)[0, 1]:.2f} | {mae(jaw, ref):.3f} | "
          f"{np.abs(np.diff(with_face.face_curves[:, mouth], axis=0)).max():.2f} | {blinks_per_minute(with_face):.0f} |")
    print(f"| offline face stage (whole take) | 1 | 0 | "
          f"{np.abs(np.diff(offline.face_curves[:, mouth], axis=0)).max():.2f} | {blinks_per_minute(offline):.0f} |")
    print(f"| baseline: live shifted 0.5 s | {np.corrcoef(shifted, ref)[0, 1]:.2f} | {mae(shifted, ref):.3f} | | |")
    print(f"| baseline: still mouth at the offline mean | 0 | {mae(np.full_like(ref, ref.mean()), ref):.3f} | 0 | |")
    print(f"driver time per 40 ms chunk: p50 {np.median(cost):.1f} ms with the face, "
          f"{np.median(bare):.1f} ms without; p95 {np.percentile(cost, 95):.1f} / {np.percentile(bare, 95):.1f} ms")


if __name__ == "__main__":
    main()
