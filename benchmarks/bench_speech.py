"""Speech engines on real speech: speed and accuracy against the reference TextGrids.

For each shared recording: pocketsphinx alignment of the script (real-time factor, word-onset
error, words placed, phone-boundary error against the TextGrid's phones tier), free
recognition over the 10,000 likeliest words, the default, and over the whole dictionary
("recog. whole") (real-time factor, onset error, word error rate, key-pose words found) and keyword
spotting of the key-pose dictionary's words. Then the damaged scripts and recordings of the
tests (tests/support/speech_support.py) made from the full recordings. --long measures instead a
recording near the 10-minute limit (the 62 s take nine times: 9 min 18 s). --subtitles measures
instead subtitles that time lines, made from the TextGrids (cues of 8 or 14 words, shown as the
first word starts or 0.3 s before it, or all 2 s late): the words' onset error read as the lines
have them (engine transcript) and aligned (engine auto). Times are wall-clock
medians over --repeat runs, with the default worker processes (one per core and one more) and
with one.

    .venv/bin/python benchmarks/bench_speech.py [--repeat 3] [--long | --subtitles]

Onsets are compared on words matched by a word-level edit alignment. For alignment the WER
column is not shown: the script is given.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every engine timed afresh, none read from disk
sys.path.insert(0, str(ROOT / "tests"))

from support import speech_support as ss  # noqa: E402

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.keyposes import KeyPoseDictionary
from talkrig.inference.speech.timing import RECENT, find_words
from talkrig.inference.speech.english_text import spoken_words

DATA = ROOT.parent / "shared" / "data"
CLIPS = [
    ("speech_mfa/acoustic_corpus.wav", "speech_mfa/acoustic_corpus.TextGrid", "speech_mfa/acoustic_corpus.lab"),
    ("beat2_scott_train/2_scott_0_2_2.wav", "beat2_scott_train/2_scott_0_2_2.TextGrid", None),
    ("beat2_scott_train/2_scott_0_1_1.wav", "beat2_scott_train/2_scott_0_1_1.TextGrid", None),
]
KEYWORDS = KeyPoseDictionary.default()
SCRIPT_WITH_NUMBERS = ("Dr. Kowalczyk paid 5 pounds on the 3rd of May, which is 10% more than "
                       "Mr. Oyelaran's 21st offer of 3.5 pounds. Hmm, she said: it's 12 o'clock.")


def edit_path(ref, hyp):
    """(errors, [(i, j)] pairs of equal words) of a word-level Levenshtein alignment."""
    n, m = len(ref), len(hyp)
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if d[i, j] == d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            if ref[i - 1] == hyp[j - 1]:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif d[i, j] == d[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return int(d[n, m]), pairs[::-1]


def flatten(words):
    """Spoken lower-case words with the start time of the written word each came from."""
    return [(w, start) for text, start in words for w in (spoken_words(text) or [text.lower()])]


def recognition_score(reference, found):
    ref = flatten([(w.word, w.start) for w in reference])
    hyp = flatten([(w.word, w.start) for w in found])
    errors, pairs = edit_path([w for w, _ in ref], [w for w, _ in hyp])
    onset = np.array([abs(ref[i][1] - hyp[j][1]) for i, j in pairs])
    return {"median_ms": 1000 * float(np.median(onset)) if len(onset) else float("nan"),
            "wer": errors / max(1, len(ref))}


def keyword_score(reference, found):
    """(recall, precision) of key-pose words: a hit is the same entry within 0.3 s."""
    truth = [(KEYWORDS.match(w.word), w.start) for w in reference if KEYWORDS.match(w.word)]
    hits = [(KEYWORDS.match(w.word), w.start) for w in found if KEYWORDS.match(w.word)]
    used, right = set(), 0
    for entry, start in hits:
        match = next((k for k, (e, s) in enumerate(truth) if k not in used and e is entry
                      and abs(s - start) < 0.3), None)
        if match is not None:
            used.add(match)
            right += 1
    return right / max(1, len(truth)), right / max(1, len(hits))


def phone_error_ms(found, reference):
    """Median phone-boundary error (ms) over words whose phone count agrees with the TextGrid."""
    errors = []
    for mine, ref in zip(found, reference):
        if mine.phones and ref.phones and len(mine.phones) == len(ref.phones):
            errors += [abs(p.start - q.start) for p, q in zip(mine.phones, ref.phones)]
    return 1000 * float(np.median(errors)) if errors else float("nan")


def timed(fn, repeat):
    """(the last result, the median wall time) of ``repeat`` runs of ``fn``, each finding its words
    afresh (not the words of the run before, which the process keeps: RECENT)."""
    times, result = [], None
    for _ in range(repeat):
        RECENT.clear()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def clips():
    """(name, clean Case, the script to align, the reference Words with phones) per recording."""
    for wav, grid, lab in CLIPS:
        case = ss.reference_case(DATA / wav, DATA / grid)
        script = (DATA / lab).read_text() if lab else case.script
        yield Path(wav).name, case, script, ss.reference_phones(DATA / grid)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--long", action="store_true",
                        help="only a recording near the length limit (9 min 18 s)")
    parser.add_argument("--subtitles", action="store_true",
                        help="only subtitles that time lines: read as they are, and aligned")
    args = parser.parse_args()
    if args.long:
        long_recording()
        return
    if args.subtitles:
        subtitles()
        return
    print(f"{'clip':<22} {'mode':<15} {'RTF 2 proc':>10} {'RTF 1 proc':>10} {'onset med':>9} "
          f"{'<=50ms':>6} {'placed':>6} {'phones':>7} {'WER':>6} {'kw R/P':>9}")
    for name, case, script, reference in clips():
        duration = case.audio.duration
        for mode, transcript, options in (("alignment", script, {}), ("recognition", None, {}),
                                          ("recog. whole", None, {"vocabulary": "whole"}),
                                          ("keywords", None, {"mode": "keywords"})):
            found, wall = timed(lambda: find_words(case.audio, "pocketsphinx", transcript, options),
                                args.repeat)
            _, alone = timed(lambda: find_words(case.audio, "pocketsphinx", transcript,
                                                {**options, "workers": 1}), args.repeat)
            line = f"{name:<22} {mode:<15} {wall / duration:>10.3f} {alone / duration:>10.3f} "
            if mode == "alignment" and transcript == case.script:
                ordered = ss._in_script_order(case, found)
                s = ss.score(case, found)
                within = np.mean([abs(w.start - t) <= 0.05 for w, t in zip(ordered, case.truth)])
                line += (f"{s['median_ms']:>6.1f} ms {within:>6.0%} {s['placed']:>6.0%} "
                         f"{phone_error_ms(ordered, reference):>4.0f} ms")
            elif mode == "alignment":  # the .lab script differs a little from the TextGrid's words
                line += f"{recognition_score(reference, found)['median_ms']:>6.1f} ms"
            elif mode.startswith("recog"):
                r = recognition_score(reference, found)
                recall, precision = keyword_score(reference, found)
                line += (f"{r['median_ms']:>6.1f} ms {'':>6} {'':>6} {'':>7} {r['wer']:>6.1%} "
                         f"{recall:>4.0%}/{precision:<4.0%}")
            else:  # only key-pose words are listened for: no onset error or WER to speak of
                recall, precision = keyword_score(reference, found)
                line += f"{'':>9} {'':>6} {'':>6} {'':>7} {'':>6} {recall:>4.0%}/{precision:<4.0%}"
            print(line, flush=True)
    damaged()


def damaged():
    """The tests' damaged cases, made from the full recordings."""
    mfa = ss.reference_case(DATA / CLIPS[0][0], DATA / CLIPS[0][1])
    scott = ss.reference_case(DATA / CLIPS[1][0], DATA / CLIPS[1][1])
    other = ss.reference_case(DATA / CLIPS[2][0], DATA / CLIPS[2][1])
    cases = [ss.drop_words(scott, 60, 12), ss.add_words(scott, 90), ss.replace_with_names(scott),
             ss.remove_fillers(mfa), ss.add_fillers(other), ss.repeat_words(other, 30, 4),
             ss.insert_audio(scott, 10.0, "silence"), ss.insert_audio(other, 10.0, "noise"),
             ss.music_before(mfa), ss.espeak_case(SCRIPT_WITH_NUMBERS.split(), "en-us")]
    print(f"\n{'damaged case':<34} {'from':<24} {'placed':>6} {'onset med':>9} {'<=100ms':>7} "
          f"{'unsaid doubted':>14} {'RTF':>6}")
    for case in cases:
        found, wall = timed(lambda: find_words(case.audio, "pocketsphinx", case.script), 1)
        s = ss.score(case, found)
        doubted = "" if np.isnan(s["unspoken_doubted"]) else f"{s['unspoken_doubted']:.0%}"
        print(f"{case.name:<34} {case.audio.name:<24} {s['placed']:>6.1%} {s['median_ms']:>6.1f} ms "
              f"{s['within_100ms']:>7.1%} {doubted:>14} {wall / case.audio.duration:>6.3f}", flush=True)


def long_recording():
    """Nine times the 62 s take: alignment of the script nine times, and recognition."""
    scott = ss.reference_case(DATA / CLIPS[1][0], DATA / CLIPS[1][1])
    audio = decode_audio(np.tile(scott.audio.samples, 9), name="nine-times.wav")
    script = " ".join([scott.script] * 9)
    print(f"{'9 min 18 s (62 s take x 9)':<34} {'wall':>8} {'RTF':>6}")
    for mode, transcript in (("alignment", script), ("recognition", None)):
        found, wall = timed(lambda: find_words(audio, "pocketsphinx", transcript), 1)
        placed = np.mean([w.confidence >= 0.5 for w in found])
        print(f"{mode:<34} {wall:>7.1f}s {wall / audio.duration:>6.3f}  ({len(found)} words, "
              f"{placed:.0%} placed)", flush=True)


def subtitles():
    """Line subtitles made from each reference TextGrid: word onsets read as the lines have them
    and aligned, against the TextGrid (median and 90th percentile, ms), and the aligned read's
    wall time."""
    print(f"{'recording':<22} {'cues':<24} {'as the lines have them':>24} {'aligned (auto)':>16} {'wall':>6}")
    for wav, grid, _lab in CLIPS:
        case = ss.reference_case(DATA / wav, DATA / grid)
        reference = ss.reference_phones(DATA / grid)
        for per, lead, shift in ((8, 0.0, 0.0), (8, 0.3, 0.0), (14, 0.3, 0.0), (8, 0.3, 2.0)):
            srt = _line_subtitles(reference, per, lead, shift, case.audio.duration)
            cells = []
            for engine in ("transcript", "auto"):
                found, wall = timed(lambda: find_words(case.audio, engine, srt, {"transcript_name": "x.srt"}), 1)
                onsets = np.abs(_onsets(found, reference) - np.array([w.start for w in reference]))
                cells.append(f"{1000 * np.nanmedian(onsets):>6.0f} / {1000 * np.nanpercentile(onsets, 90):>4.0f} ms")
            label = f"{per} words, {lead:g} s early" + (f", {shift:g} s late" if shift else "")
            print(f"{Path(wav).name:<22} {label:<24} {cells[0]:>24} {cells[1]:>16} {wall:>5.1f}s", flush=True)


def _line_subtitles(reference, per, lead, shift, duration):
    """SRT text of cues of ``per`` reference words, shown ``lead`` s before the first starts and
    as long after the last ends, moved ``shift`` s later (lines past the recording's end left
    out)."""
    def stamp(t):
        ms = int(round(max(0.0, t) * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
    cues = []
    for i in range(0, len(reference), per):
        group = reference[i:i + per]
        start, end = group[0].start - lead + shift, group[-1].end + lead + shift
        if start < duration:
            cues.append(f"{len(cues) + 1}\n{stamp(start)} --> {stamp(end)}\n{' '.join(w.word for w in group)}\n")
    return "\n".join(cues)


def _onsets(found, reference):
    """The onset of each reference word in ``found`` (its words in any order; a word of the
    reference the subtitles left out: NaN, left out of the statistics by the caller)."""
    remaining = list(found)
    onsets = []
    for word in reference:
        k = next((i for i, w in enumerate(remaining) if w.word == word.word), None)
        onsets.append(np.nan if k is None else remaining.pop(k).start)
    return np.array(onsets)


if __name__ == "__main__":
    main()
