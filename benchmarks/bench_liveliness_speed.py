"""What the per-part liveliness scaling (``plugins.neural.liveliness.liven``) costs on a 60 s
take: the whole call, and each body part alone; and the arms' re-timing that runs before it
(``plugins.neural.speedwarp.warp``).

    .venv/bin/python benchmarks/bench_liveliness_speed.py [--seconds 60] [--repeats 5]

The take is the real BEAT2 take (45 s), continued by its own start up to --seconds, with its
gestures shrunk toward a slow version of themselves as a model trained on little data shrinks
them; the targets are the real take's own pace, so every part's gains are searched for as in a
generation. Speech activity comes from the take's audio (continued the same way). Medians of
--repeats runs after one warm-up.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TAKE = ROOT.parent / "shared" / "data" / "beat2_scott_train" / "2_scott_0_1_1"
FPS = 30.0
SHRINK = 0.35  # gestures' size after the regression to the mean (as tests/neural/test_neural_liveliness.py)


def looped(values, n):
    """The first ``n`` rows of ``values`` repeated from its start as often as needed."""
    reps = -(-n // len(values))
    return np.concatenate([values] * reps)[:n]


def take(seconds):
    """(vectors (T, D), the same with gestures shrunk, speaking (T,), layout) of a ``seconds``
    long take."""
    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.motion import load_motion
    from talkrig.plugins.neural.layout import PoseLayout, motion_to_vectors
    from talkrig.plugins.neural.liveliness import GROUPS
    from talkrig.plugins.neural.smoothing import smooth_columns

    n = int(round(seconds * FPS))
    layout = PoseLayout(n_expressions=0)
    vectors = looped(motion_to_vectors(load_motion(TAKE.with_suffix(".npz")), layout), n)
    speaking = looped(speech_activity(features_for(decode_audio(str(TAKE.with_suffix(".wav"))), FPS)), n)
    upper = layout.joint_columns(sorted({j for _, scaled, *_ in GROUPS for j in scaled}))
    slow = smooth_columns(vectors, upper, 15.0)
    small = vectors.copy()
    small[:, upper] = slow[:, upper] + SHRINK * (vectors[:, upper] - slow[:, upper])
    return vectors, small, speaking, layout


def timed(function, repeats):
    """Median seconds of ``repeats`` calls after one warm-up, and the last result."""
    result = function()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from talkrig.plugins.neural.liveliness import GROUPS, JERK, liven, speech_pace

    real, small, speaking, layout = take(args.seconds)
    targets = speech_pace(real, layout, speaking, FPS)
    whole, (_, gains) = timed(lambda: liven(small, layout, speaking, targets, FPS), args.repeats)
    print(f"{len(small)} frames ({args.seconds:g} s, {speaking.mean():.0%} speech): liven "
          f"{whole:.2f} s = {1000 * whole / args.seconds:.1f} ms per second of take")
    print("| part | seconds | gesture gain | fine-motion gain |")
    print("|---|---|---|---|")
    for name, *_ in GROUPS:
        alone = {k: v for k, v in targets.items() if k in (name, name + JERK)}
        seconds, (_, part) = timed(lambda: liven(small, layout, speaking, alone, FPS), args.repeats)
        print(f"| {name} | {seconds:.3f} | {part[name]:.2f} | {part[name + JERK]:.2f} |")
    print("gains of the whole call:", ", ".join(f"{k} {v:.2f}" for k, v in gains.items()))
    from talkrig.plugins.neural.speedwarp import warp

    seconds, (_, gammas) = timed(lambda: warp(small, layout, speaking, targets, FPS), args.repeats)
    print(f"arms re-timed (speedwarp.warp): {seconds:.2f} s, gammas "
          + ", ".join(f"{k} {v:.3f}" for k, v in gammas.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
