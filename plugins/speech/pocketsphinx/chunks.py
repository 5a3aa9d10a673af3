"""Cutting long audio into pieces at its pauses, so no word is split between two decoders."""

import numpy as np


def pause_chunks(samples, sample_rate, max_seconds):
    """[(start, stop)] sample ranges covering ``samples``, cut at the quietest 10 ms frame in the
    last third of each ``max_seconds`` stretch, so words are not split."""
    n = len(samples)
    limit = int(max_seconds * sample_rate)
    if n <= limit:
        return [(0, n)]
    frame = sample_rate // 100
    energy = np.square(samples[: (n // frame) * frame].reshape(-1, frame), dtype=np.float64).mean(axis=1)
    chunks, start = [], 0
    while n - start > limit:
        lo = (start + 2 * limit // 3) // frame
        hi = min((start + limit) // frame, len(energy))
        cut = (lo + int(np.argmin(energy[lo:hi]))) * frame if hi > lo else start + limit
        chunks.append((start, cut))
        start = cut
    chunks.append((start, n))
    return chunks
