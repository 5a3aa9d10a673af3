"""Audio-feature speed and pitch/voicing/onset quality on real speech.

Speed: compute_features on the first 60 s of a real recording, median over --repeat runs after
one warm-up run (target <= 100 ms), plus a cache hit through features_for.
Quality (no ground-truth pitch exists for these files, so two references):
- voicing against the phone alignment of the reference TextGrids (vowels and voiced
  sonorants = voiced; silence and voiceless consonants = unvoiced; other phones not scored),
  for our YIN rule and for librosa's pYIN;
- f0 gross error rate (> 20 % off) against pYIN on frames both call voiced;
- onsets: share of reference word onsets with a detected onset within 50 ms.

Long recordings (``--long 10 30``): compute_features on that many minutes of real speech (the
two BEAT2 recordings repeated), each in a fresh process: wall time and the process's peak RSS
against what it held before.

    .venv/bin/python benchmarks/bench_features.py [--repeat 21] [--no-pyin]
    .venv/bin/python benchmarks/bench_features.py --long 10 30
"""

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import numpy as np

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import clear_feature_cache, compute_features, features_for
from talkrig.inference.speech.transcripts.formats import read_transcript_file
from talkrig.inference.speech.transcripts.textgrid import read_textgrid, word_intervals

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = ["speech_mfa/acoustic_corpus", "beat2_scott_train/2_scott_0_2_2"]
VOICED = set("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW M N NG L R W Y".split())
UNVOICED = set("P T K F TH S SH CH HH".split())
FPS = 25.0  # hop 640 samples: an integer hop, so pYIN can sample the same frame centres


def speed(repeat):
    audio = decode_audio(DATA / "beat2_scott_train/2_scott_0_2_2.wav")
    samples = audio.samples[: 60 * audio.sample_rate]
    compute_features(samples, audio.sample_rate, 30.0)  # warm-up
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        features = compute_features(samples, audio.sample_rate, 30.0)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"compute_features, 60 s of speech at 30 fps ({features.n_frames} frames): "
          f"median {1000 * statistics.median(times):.1f} ms wall, "
          f"{1000 * statistics.median(cpu):.1f} ms CPU, "
          f"min {1000 * min(times):.1f} ms over {repeat} runs (target <= 100 ms; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    clear_feature_cache()
    features_for(audio, 30.0)
    t0 = time.perf_counter()
    features_for(audio, 30.0)
    print(f"features_for cache hit: {1e6 * (time.perf_counter() - t0):.0f} us")


def long_speech(minutes):
    """(N,) float32 samples at 16 kHz: ``minutes`` of real speech, the two shared recordings
    over and over."""
    takes = [decode_audio(DATA / f"beat2_scott_train/2_scott_0_{n}.wav").samples for n in ("2_2", "1_1")]
    return np.resize(np.concatenate(takes), int(minutes * 60 * 16000))


def long_recording(minutes):
    """compute_features on ``minutes`` of real speech, in this process (run in a fresh one)."""
    import resource

    samples = long_speech(minutes)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    compute_features(samples, 16000, 30.0)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"compute_features, {minutes:g} min of speech: {wall:.2f} s, peak RSS {peak / 1024:.0f} MiB "
          f"(held before: {before / 1024:.0f} MiB, the samples {samples.nbytes / 2**20:.0f} MiB)")


def phone_labels(grid_text, n_frames):
    """+1 voiced, 0 unvoiced, -1 not scored, per frame centre (20 ms margin at phone edges)."""
    phones = next(t for t in read_textgrid(grid_text) if t.name == "phones")
    labels = np.full(n_frames, -1)
    times = np.arange(n_frames) / FPS
    for start, end, phone in phones.items:
        phone = re.sub(r"\d", "", phone)
        inside = (times >= start + 0.02) & (times < end - 0.02)
        if phone in VOICED:
            labels[inside] = 1
        elif phone in UNVOICED or phone in ("", "sil", "sp"):
            labels[inside] = 0
    return labels


def quality(use_pyin):
    for clip in CLIPS:
        audio = decode_audio(DATA / f"{clip}.wav")
        grid = read_transcript_file(DATA / f"{clip}.TextGrid")
        t0 = time.perf_counter()
        features = compute_features(audio.samples, audio.sample_rate, FPS)
        ours_s = time.perf_counter() - t0
        labels = phone_labels(grid, features.n_frames)
        scored = labels >= 0
        ours_acc = np.mean(features.voiced[scored] == (labels[scored] == 1))
        line = f"{Path(clip).name}: voicing vs phones: ours {ours_acc:.1%} ({ours_s * 1000:.0f} ms)"
        if use_pyin:
            import librosa

            t0 = time.perf_counter()
            f0, voiced, _ = librosa.pyin(audio.samples, fmin=50, fmax=500, sr=audio.sample_rate,
                                         frame_length=1024, hop_length=640, center=True)
            pyin_s = time.perf_counter() - t0
            n = min(len(voiced), features.n_frames)
            pyin_acc = np.mean(voiced[:n][scored[:n]] == (labels[:n][scored[:n]] == 1))
            both = voiced[:n] & features.voiced[:n]
            gross = np.mean(np.abs(features.f0[:n][both] / f0[:n][both] - 1) > 0.2)
            agree = np.mean(voiced[:n] == features.voiced[:n])
            line += (f", pYIN {pyin_acc:.1%} ({pyin_s:.1f} s); f0 gross error vs pYIN {gross:.1%} "
                     f"on {both.sum()} frames; voicing agreement with pYIN {agree:.1%}")
        print(line)
        starts = np.array([s for s, _, _ in word_intervals(grid)])
        onsets = features.onset_times
        nearest = np.array([np.min(np.abs(onsets - s)) if len(onsets) else np.inf for s in starts])
        print(f"{Path(clip).name}: {len(onsets)} onsets ({len(onsets) / audio.duration:.1f}/s); "
              f"word onsets with an onset within 50 ms: {np.mean(nearest <= 0.05):.0%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--no-pyin", action="store_true", help="skip the (slow) pYIN comparison")
    parser.add_argument("--long", type=float, nargs="+", metavar="MINUTES",
                        help="only compute_features on these many minutes of speech, each in a fresh process")
    parser.add_argument("--one-long", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_long:
        return long_recording(args.one_long)
    if args.long:
        import subprocess
        import sys

        for minutes in args.long:
            subprocess.run([sys.executable, __file__, "--one-long", str(minutes)], check=True)
        return None
    speed(args.repeat)
    quality(not args.no_pyin)


if __name__ == "__main__":
    main()
