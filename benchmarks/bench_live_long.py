"""A long live stream: does a second of audio cost the same an hour in as at the start?

Feeds a `LiveStream` (procedural, no face) 40 ms chunks of real speech (the two shared
recordings over and over) as fast as it takes them, and prints the CPU it spent on each block
of audio, as a share of one core. ``--gate-hours H`` starts the stream as if it had already
heard H hours: its loudness gate (the one part of a stream's state kept from its start, see
inference/audio/decode.RunningLoudness) is given H hours of speech-level frames first; the
rest of a stream's state is held to its last KEEP_SECONDS (inference/live/features.py).

    .venv/bin/python benchmarks/bench_live_long.py [--minutes 1] [--gate-hours 0 3] [--block 10]
"""

import argparse
import time

import numpy as np

from bench_features import long_speech
from talkrig.inference.audio.decode import GATE_FRAME
from talkrig.inference.live.driver import LiveStream

CHUNK = 640  # 40 ms at 16 kHz


def stream(samples, gate_hours, block_seconds):
    """CPU shares of a core, one per block of audio fed."""
    live = LiveStream("procedural", seed=0)
    if gate_hours:
        frames = int(gate_hours * 3600 / GATE_FRAME)
        live.features.loudness.add(np.random.default_rng(0).uniform(1e-4, 1e-2, frames))
    shares, started, since = [], time.process_time(), 0
    for at in range(0, len(samples), CHUNK):
        live.feed(samples[at:at + CHUNK])
        fed = min(len(samples), at + CHUNK)
        if fed - since >= block_seconds * 16000:  # a block's CPU over the block's audio
            now = time.process_time()
            shares.append((now - started) / ((fed - since) / 16000))
            started, since = now, fed
    return shares


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="audio fed to each stream")
    parser.add_argument("--gate-hours", type=float, nargs="+", default=[0.0, 3.0])
    parser.add_argument("--block", type=float, default=10.0, help="seconds of audio per figure")
    args = parser.parse_args()
    samples = long_speech(args.minutes)
    for hours in args.gate_hours:
        shares = stream(samples, hours, args.block)
        print(f"{hours:g} h in: {100 * np.median(shares):.1f} % of a core a second of audio (median over "
              f"{len(shares)} blocks of {args.block:g} s; {', '.join(f'{100 * s:.0f}' for s in shares)})")


if __name__ == "__main__":
    main()
