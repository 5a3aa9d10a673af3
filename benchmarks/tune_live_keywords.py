"""Tune and measure live keyword spotting (plugins/pocketsphinx/live_keywords.py).

Speech: the shared recordings with reference word times (TextGrids), and sentences re-voiced
with eSpeak NG that hold one key-pose word each (or none), at known places. Two halves: the
thresholds are tuned on one (a BEAT2 take and one voice's sentences) and measured on the other
(the other BEAT2 take, the MFA recording, two other voices and other carrier sentences), so the
figures are not the tuning's own.

    .venv/bin/python benchmarks/tune_live_keywords.py            # grid, tuned table, figures
    .venv/bin/python benchmarks/tune_live_keywords.py --measure  # figures of the shipped thresholds

A hit is right when a reference word of the same key-pose entry lies within 0.3 s of it; a
false alarm is any other hit; recall counts reference key-pose words spotted. Feeds 40 ms chunks.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from speech_synth import speak  # noqa: E402

from talkrig.inference.audio import decode_audio, resample  # noqa: E402
from talkrig.inference.keyposes import load_keyposes  # noqa: E402
from talkrig.plugins.pocketsphinx import live_keywords  # noqa: E402
from talkrig.plugins.transcript.formats import read_transcript_file, read_words  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RATE = 16000
CHUNK = 640  # 40 ms
SLACK = 0.3
GRID = list(range(40, -21, -5))  # log10 thresholds tried for every form at once
TUNE_CARRIERS = ("we heard {} at the start of the talk", "the note on the board said {} again",
                 "after lunch she wrote {} on the card", "they kept saying {} all through the day")
TEST_CARRIERS = ("his answer was {} when the phone rang", "on the screen it just read {}",
                 "the old man said {} and walked away", "{} was the word on every sign")
NEGATIVES = ("the weather was warm and the river was calm this morning",
             "our team will present the results of the study next week",
             "there is a cafe across the road that serves good bread",
             "the children played in the garden until the sun went away",
             "a letter arrived from the bank about the account",
             "please close the window before the rain comes in",
             "the museum opens at nine and closes at five",
             "she painted the fence green and the door blue",
             "the train was late because of the snow on the tracks",
             "we should water the plants and feed the cat",
             "the author signed copies of her new novel",
             "he fixed the bicycle with an old spanner",
             "many birds sing early in the spring",
             "the concert ended with a long piece for strings",
             "this recipe needs flour sugar butter and eggs")


def reference_words(textgrid, dictionary):
    words = read_words(read_transcript_file(textgrid), str(textgrid))
    return [(w.start, w.end, dictionary.match(w.word)) for w in words if dictionary.match(w.word)]


def recording(wav, textgrid, dictionary):
    return decode_audio(wav).samples, reference_words(textgrid, dictionary)


def sentences(voice, carriers, dictionary, seed):
    """(samples, [(start, end, entry)]): every dictionary word in a carrier, then the negatives;
    a key-pose word's place is its sentence's span (eSpeak gives no word times)."""
    rng = np.random.default_rng(seed)
    pieces, truth, t = [], [], 0.0
    items = [(c.format(w), dictionary.match(w)) for e in dictionary.entries for w in e.words
             for c in [carriers[rng.integers(len(carriers))]]]
    items += [(s, None) for s in NEGATIVES]
    for n in rng.permutation(len(items)):
        text, entry = items[n]
        samples, rate = speak(text, voice, int(rng.integers(140, 190)))
        samples = resample(samples, rate, RATE) if rate != RATE else samples
        gap = np.zeros(int(rng.uniform(0.3, 0.8) * RATE), np.float32)
        pieces += [samples.astype(np.float32), gap]
        if entry is not None:
            truth.append((t, t + len(samples) / RATE, entry))
        t += (len(samples) + len(gap)) / RATE
    return np.concatenate(pieces), truth


def corpus(dictionary):
    beat = DATA / "beat2_scott_train"
    tune = [("beat2 0_1_1", *recording(beat / "2_scott_0_1_1.wav", beat / "2_scott_0_1_1.TextGrid", dictionary)),
            ("espeak en-US", *sentences("en-US", TUNE_CARRIERS, dictionary, 1))]
    test = [("beat2 0_2_2", *recording(beat / "2_scott_0_2_2.wav", beat / "2_scott_0_2_2.TextGrid", dictionary)),
            ("mfa", *recording(DATA / "speech_mfa" / "acoustic_corpus.wav",
                               DATA / "speech_mfa" / "acoustic_corpus.TextGrid", dictionary)),
            ("espeak en-GB-x-rp", *sentences("en-GB-x-rp", TEST_CARRIERS, dictionary, 2)),
            ("espeak en-029", *sentences("en-029", TEST_CARRIERS, dictionary, 3))]
    return tune, test


def spot(samples, lemmas, exponents):
    spotter = live_keywords.LiveSpotter(lemmas, exponents)
    hits = []
    for start in range(0, len(samples), CHUNK):
        hits += [(w.word, w.start, w.end, (start + CHUNK) / RATE) for w in spotter.feed(samples[start:start + CHUNK])]
    return hits, spotter.forms


def score(hits, truth, dictionary):
    """(right hits, false alarms, reference words found, reference words) and per-form counts."""
    found = set()
    right = wrong = 0
    per_form = {}
    for word, start, end, _ in hits:
        entry = dictionary.match(word)
        match = [k for k, (a, b, e) in enumerate(truth) if e is entry and a - SLACK <= start and end <= b + SLACK]
        good = bool(match)
        right, wrong = right + good, wrong + (not good)
        found.update(match)
        r, w = per_form.get(word, (0, 0))
        per_form[word] = (r + good, w + (not good))
    return (right, wrong, len(found), len(truth)), per_form


def grid(sets, lemmas, dictionary):
    """{exponent: {form: (right, wrong)}} over ``sets``, every form at that exponent."""
    table = {}
    for exponent in GRID:
        counts = {}
        for _, samples, truth in sets:
            hits, forms = spot(samples, lemmas, {f: exponent for f in live_keywords.live_forms(lemmas)})
            for form, (r, w) in score(hits, truth, dictionary)[1].items():
                a, b = counts.get(form, (0, 0))
                counts[form] = (a + r, b + w)
        table[exponent] = counts
        print(f"  1e{exponent:+d}: " + ", ".join(f"{f} {r}/{w}" for f, (r, w) in sorted(counts.items())), flush=True)
    return table


def choose(table, forms):
    """(PHONE_THRESHOLDS, WORD_THRESHOLDS) from the grid on the tuning half: for each count of
    phones, the loosest exponent at which no form of that length made a false alarm there (and
    none at any stricter one); a form that still made one gets the loosest exponent at which it
    made none, or None (left out) when it made one at every exponent. A key pose on a word
    nobody said is worse than a missed one."""
    levels = sorted(table, reverse=True)  # strictest first

    def clean_from(names):
        """The loosest level with no false alarm of ``names`` there or at any stricter level."""
        best = None
        for e in levels:
            if any(table[e].get(f, (0, 0))[1] for f in names):
                break
            best = e
        return best

    by_length = {}
    for form, phones in forms.items():
        by_length.setdefault(len(phones.split()), []).append(form)
    phone_levels = {n: clean_from(names) for n, names in sorted(by_length.items())}
    words = {}
    for form, phones in forms.items():
        own, pooled = clean_from([form]), phone_levels[len(phones.split())]
        if own is None:
            words[form] = None
        elif pooled is None or own > pooled:
            words[form] = own
    return phone_levels, words


def exponents_of(phone_levels, words, forms):
    return {f: words.get(f, phone_levels.get(len(p.split()))) for f, p in forms.items()}


def report(name, sets, lemmas, dictionary, exponents=None):
    totals = np.zeros(4)
    minutes = 0.0
    delays = []
    for label, samples, truth in sets:
        t0 = time.perf_counter()
        hits, _ = spot(samples, lemmas, exponents)
        cpu = time.perf_counter() - t0
        counts, _ = score(hits, truth, dictionary)
        totals += counts
        seconds = len(samples) / RATE
        minutes += seconds / 60
        delays += [heard - end for _, _, end, heard in hits]
        right, wrong, found, n = counts
        print(f"  {label:18s} {seconds:6.1f} s  hits {right + wrong:3d}  right {right:3d}  "
              f"false {wrong:3d} ({wrong / (seconds / 60):.1f}/min)  recall {found}/{n}  RTF {cpu / seconds:.3f}")
    right, wrong, found, n = totals
    print(f"{name}: precision {right / max(1, right + wrong):.0%}  recall {found / max(1, n):.0%} "
          f"({int(found)}/{int(n)})  false alarms {wrong / minutes:.2f}/min over {minutes:.1f} min  "
          f"report delay after word end p50 {np.median(delays) if delays else float('nan'):.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="only measure the shipped thresholds")
    args = parser.parse_args()
    dictionary = load_keyposes("default")
    lemmas = sorted(dictionary.index)
    tune, test = corpus(dictionary)
    if not args.measure:
        print("grid on the tuning half (form right/false):")
        table = grid(tune, lemmas, dictionary)
        forms = live_keywords.live_forms(lemmas)
        phone_levels, words = choose(table, forms)
        print("PHONE_THRESHOLDS =", phone_levels)
        print("WORD_THRESHOLDS =", dict(sorted(words.items())))
        chosen = exponents_of(phone_levels, words, forms)
        report("tuning half, tuned", tune, lemmas, dictionary, chosen)
        report("held-out half, tuned", test, lemmas, dictionary, chosen)
    report("tuning half, shipped", tune, lemmas, dictionary)
    report("held-out half, shipped", test, lemmas, dictionary)


if __name__ == "__main__":
    main()
