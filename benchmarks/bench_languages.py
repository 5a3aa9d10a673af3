"""Scripts in many languages timed by the espeak engine, and the English control.

Synthetic speech: every language's script (tests/language_support.py) said by three eSpeak NG
voice variants at other rates and pitches than the aligner's template (+f3 135 wpm pitch 70,
+m7 205 wpm pitch 35, +klatt2 160 wpm pitch 55), reverberated (0.3 s) under a brown-noise
bed 25 dB below the speech. The reference onsets are eSpeak NG's own word events for that
recording (synthetic speech, not a human annotation). Figures: median word-onset error of the
placed words (confidence >= 0.5), % of words placed, and bilabial closure: % of the
recording's p/b/m phonemes overlapped (30 ms tolerance) by an aligned P/B/M phone, which the
face stage turns into closed lips.

Real speech: the shared English recordings aligned by the language-independent path alone
(engine espeak, language en-us) against their reference TextGrids, beside the English aligner
(pocketsphinx) on the same clips.

    .venv/bin/python benchmarks/bench_languages.py [--languages de,es,...]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import language_support as ls  # noqa: E402
import speech_support as ss  # noqa: E402

from talkrig.inference.speech import find_words  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CLIPS = ["speech_mfa/acoustic_corpus", "beat2_scott_train/2_scott_0_2_2", "beat2_scott_train/2_scott_0_1_1"]
BILABIAL = ("P", "B", "M")


def closure(case, words):
    closed = [(p.start, p.end) for w in words for p in w.phones if p.phone in BILABIAL]
    hits = [any(a < e + 0.03 and b > s - 0.03 for a, b in closed) for s, e in case.bilabials]
    return float(np.mean(hits)) if hits else float("nan")


def synthetic(languages):
    print("| language | voices | words | median onset error (ms) | p90 (ms) | placed | bilabial closure | s per run |")
    print("|---|---|---|---|---|---|---|---|")
    for lang in languages:
        errors, placed, closures, seconds, n = [], [], [], [], 0
        for variant in range(len(ls.VARIANTS)):
            case = ls.revoiced(lang, variant, seed=variant)
            t = time.perf_counter()
            words = find_words(case.audio, "espeak", " ".join(case.tokens), language=lang)
            seconds.append(time.perf_counter() - t)
            e, p = ls.onset_errors(case, words)
            errors.extend(e)
            placed.append(p)
            closures.append(closure(case, words))
            n += len(case.tokens)
        errors = np.array(errors)
        print(f"| {lang} | {len(ls.VARIANTS)} | {n} | {1000 * np.median(errors):.0f} | "
              f"{1000 * np.percentile(errors, 90):.0f} | {100 * np.mean(placed):.0f} % | "
              f"{100 * np.nanmean(closures):.0f} % | {np.median(seconds):.2f} |", flush=True)


def english():
    print("\n| clip | words | engine | median onset error (ms) | within 100 ms | placed | s |")
    print("|---|---|---|---|---|---|---|")
    for clip in CLIPS:
        case = ss.reference_case(DATA / f"{clip}.wav", DATA / f"{clip}.TextGrid")
        for engine, language in (("espeak", "en-us"), ("pocketsphinx", "auto")):
            t = time.perf_counter()
            words = find_words(case.audio, engine, case.script, language=language)
            wall = time.perf_counter() - t
            s = ss.score(case, words)
            print(f"| {Path(clip).name} | {len(case.tokens)} | {engine} | {s['median_ms']:.0f} | "
                  f"{100 * s['within_100ms']:.0f} % | {100 * s['placed']:.0f} % | {wall:.1f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(ls.SCRIPTS))
    args = parser.parse_args()
    synthetic(args.languages.split(","))
    english()


if __name__ == "__main__":
    main()
