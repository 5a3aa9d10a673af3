"""Phrases on every recording at hand, and whether the procedural generator gestures through all
of them: speech activity against the forced alignments, and the longest stretch of speech
without a hand stroke over many seeds.

Recordings: the three shared ones (2_scott_0_1_1, 2_scott_0_2_2, the MFA corpus), each also
with hiss at 10 and 5 dB SNR, low-frequency room rumble with mains hum, and at -40 dB on 16-bit
samples (made here); espeak-ng voices reading sentences with pauses (when espeak-ng is
installed); the lecture video's sound (--lecture WAV; no alignment: its own detected phrases).

    .venv/bin/python benchmarks/bench_phrasing.py [--seeds 20] [--lecture WAV]
"""

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FPS = 30.0
SHARED = {
    "2_scott_0_1_1": DATA / "beat2_scott_train" / "2_scott_0_1_1",
    "2_scott_0_2_2": DATA / "beat2_scott_train" / "2_scott_0_2_2",
    "acoustic_corpus": DATA / "speech_mfa" / "acoustic_corpus",
}
SENTENCES = ["Today I want to talk about something that matters to all of us.",
             "When we look at the numbers, the picture is surprisingly clear.",
             "First, the costs have gone up every single year.",
             "So what can we do about it? Well, there are three things.",
             "I think the third option is the only one that makes sense."]
VOICES = (("en-us", 160), ("en-gb", 140), ("en-us+f3", 175), ("en-gb-scotland+m3", 150))


def degrade(x, kind, rng):
    """The recording as users have it: hiss at 10 or 5 dB SNR, rumble and hum, or -40 dB."""
    power = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
    if kind.startswith("hiss"):
        snr = float(kind[4:])
        return x + rng.normal(0.0, np.sqrt(power / 10 ** (snr / 10)), x.shape)
    if kind == "rumble":
        walk = np.cumsum(rng.normal(0.0, 1.0, x.shape))
        walk -= np.convolve(walk, np.ones(801) / 801, "same")
        walk *= np.sqrt(power / 10 ** 0.8) / walk.std()
        return x + walk + 0.3 * np.sqrt(power) * np.sin(2 * np.pi * 50.0 * np.arange(len(x)) / 16000)
    if kind == "quiet":
        return np.round((x * 0.01 + rng.normal(0.0, 2e-5, x.shape)) * 32767) / 32767
    return x


def aligned_speech(textgrid, n):
    from talkrig.inference.features.activity import MIN_PAUSE, close_gaps
    from talkrig.inference.speech.transcripts.textgrid import word_intervals

    mask = np.zeros(n, bool)
    for start, end, _ in word_intervals(Path(textgrid).read_text(encoding="utf-8")):
        mask[int(start * FPS):int(np.ceil(end * FPS))] = True
    return close_gaps(mask, round(MIN_PAUSE * FPS))


def espeak_recordings(folder):
    """(name, samples, speech mask at FPS) per voice: sentences with 0.5-2.5 s pauses."""
    if shutil.which("espeak-ng") is None:
        return []
    from talkrig.inference.audio.decode import decode_audio

    rng = np.random.default_rng(0)
    out = []
    for voice, speed in VOICES:
        parts, speaking = [], []
        for k, text in enumerate(SENTENCES):
            wav = Path(folder) / f"{k}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
            samples = decode_audio(wav).samples.astype(np.float64)
            gap = np.zeros(int(rng.uniform(0.5, 2.5) * 16000))
            parts += [samples, gap]
            speaking += [np.ones(len(samples), bool), np.zeros(len(gap), bool)]
        samples, speaking = np.concatenate(parts), np.concatenate(speaking)
        frames = np.minimum((np.arange(int(round(len(samples) / 16000 * FPS))) * 16000 / FPS).astype(int),
                            len(samples) - 1)
        out.append((f"espeak-ng {voice}", samples, speaking[frames]))
    return out


def score(name, samples, truth, seeds, generator):
    from talkrig.inference.features.activity import MIN_PAUSE, close_gaps, speech_activity
    from talkrig.motion.runs import true_runs
    from talkrig.inference.features.compute import compute_features
    from talkrig.inference.generation.generators import GenerationRequest, check_options
    from talkrig.motion.metrics.phrasing import longest_idle_speech

    features = compute_features(samples, 16000, FPS)
    found = close_gaps(speech_activity(features), round(MIN_PAUSE * FPS))
    speaking = found if truth is None else truth[:features.n_frames]
    line = f"| {name} | {features.duration:.0f} s | {found.mean():.2f} |"
    if truth is not None:
        pauses = [(a, b) for a, b in true_runs(~speaking) if b - a >= 0.5 * FPS]
        found_pause = np.mean([1.0 - found[a:b].mean() for a, b in pauses]) if pauses else float("nan")
        line += f" {found[speaking].mean():.2f} | {found_pause:.2f} |"
    else:
        line += " – | – |"
    options = check_options(generator, {})
    idle = [longest_idle_speech(generator.generate(GenerationRequest(
        features, [], features.n_frames, FPS, seed=seed, options=options)), speaking) for seed in range(seeds)]
    return line + f" {max(idle):.2f} | {np.mean(idle):.2f} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--lecture", metavar="WAV", help="the lecture video's sound, decoded")
    args = parser.parse_args()

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.generation.generators import get_generator
    from talkrig.motion import load_motion
    from talkrig.motion.metrics.phrasing import longest_idle_speech

    generator = get_generator("procedural")
    real = load_motion(SHARED["2_scott_0_1_1"].with_suffix(".npz"))
    real_truth = aligned_speech(SHARED["2_scott_0_1_1"].with_suffix(".TextGrid"), real.n_frames)
    print(f"real take 2_scott_0_1_1: longest speech without a stroke {longest_idle_speech(real, real_truth):.2f} s")
    print(f"\n| recording | length | speech found | of aligned speech | of pauses >= 0.5 s | "
          f"procedural idle in speech, max of {args.seeds} seeds (s) | mean (s) |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for name, stem in SHARED.items():
        samples = decode_audio(stem.with_suffix(".wav")).samples.astype(np.float64)
        truth = aligned_speech(stem.with_suffix(".TextGrid"), int(round(len(samples) / 16000 * FPS)))
        for kind in ("clean", "hiss10", "hiss5", "rumble", "quiet"):
            print(score(f"{name} {kind}", degrade(samples, kind, rng), truth, args.seeds, generator))
    with tempfile.TemporaryDirectory() as tmp:
        for name, samples, truth in espeak_recordings(tmp):
            print(score(name, samples, truth, args.seeds, generator))
    if args.lecture:
        samples = decode_audio(args.lecture).samples.astype(np.float64)
        print(score("lecture video sound (its detected phrases)", samples, None, args.seeds, generator))


if __name__ == "__main__":
    main()
