"""English, in doubt, or another language: the verdict English recognition gives (no script, no
language) on pieces of real English and on speech in other languages, clean and under hiss.

English: 20 s pieces of the shared recordings (the 62 s at 0, 20 and 40 s, the 45 s take at 0
and 22 s, the lecture video's sound at 30, 90 and 150 s), and with ``--english-clips DIR`` every
sound file in DIR (for example the Montreal Forced Aligner's English test clips, read by path).
Other languages: eSpeak NG's eleven other languages in three voices each
(tests/support/language_support.py, reverberated under a brown-noise bed), and with
``--foreign-clips DIR`` every sound file in DIR (real lines in other languages).
Each clean, and under white hiss 35, 28 and 22 dB and pink hiss 28 dB under the voice's level
(seeded). A recording is judged when 8 words or more are heard in a recording clean and wide
enough to tell (timing.english_verdict); the table counts the judged ones by verdict: another
language (no words), in doubt (words kept, no key poses), English; and those a single bar at
0.48 (the rule before the band of doubt) took for another language.

``--lips``: on eSpeak NG's other languages, the share of their p, b and m at which the face
closes the lips, and of their other speech frames with the lips shut, from the voice alone and
with the English words recognised (what keeping the words of speech in doubt does to its lips).

    .venv/bin/python benchmarks/bench_english_verdict.py [--english-clips DIR] [--foreign-clips DIR]
        [--workers 2] [--lips]
"""

import argparse
import collections
import logging
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every recognition afresh
sys.path.insert(0, str(ROOT / "tests"))

PIECES = (("beat2_scott_train/2_scott_0_2_2.wav", (0, 20, 40)), ("beat2_scott_train/2_scott_0_1_1.wav", (0, 22)),
          ("video_ccby/physicsworks.webm", (30, 90, 150)))
HISSES = ((None, None), ("white", 35), ("white", 28), ("pink", 28), ("white", 22))
SOUND_FILES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")


def hiss(kind, n, rng):
    """(n,) white or pink noise of unit-ish level."""
    noise = rng.normal(size=n)
    if kind == "pink":
        spectrum = np.fft.rfft(noise)
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
        noise = np.fft.irfft(spectrum, n)
    return noise


def under(samples, kind, snr_db, seed):
    """``samples`` with ``kind`` hiss ``snr_db`` under the voice's level (its samples above 2 %
    of the peak), peak-normalised."""
    x = np.asarray(samples, np.float64)
    if kind is not None:
        voice = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
        noise = hiss(kind, len(x), np.random.default_rng(seed))
        x = x + noise * np.sqrt(voice / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    return (0.9 * x / np.max(np.abs(x))).astype(np.float32)


def sources(english_clips, foreign_clips):
    """[(group, name, how to read it)]: what each worker decodes for itself."""
    from support import language_support as ls

    out = [("English", f"{Path(path).stem}@{start}", ("piece", path, start)) for path, starts in PIECES
           for start in starts]
    out += [("English", p.stem, ("file", str(p), 0)) for p in _sound_files(english_clips)]
    out += [("other", f"{lang}{ls.VARIANTS[v][0]}", ("espeak", lang, v)) for lang in ls.SCRIPTS if lang != "en"
            for v in range(len(ls.VARIANTS))]
    out += [("other", p.stem, ("file", str(p), 0)) for p in _sound_files(foreign_clips)]
    return out


def _sound_files(folder):
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in SOUND_FILES) if folder else []


def _samples(how):
    from talkrig.inference.audio.decode import decode_audio

    kind, what, at = how
    if kind == "espeak":
        from support import language_support as ls

        return ls.revoiced(what, at, seed=at).audio.samples
    samples = decode_audio(str(DATA / what) if kind == "piece" else what).samples
    return samples[at * 16000:(at + 20) * 16000] if kind == "piece" else samples


def verdict(job):
    """(group, hiss label, verdict or None when not judged) of one recording under one hiss."""
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.speech import timing

    logging.getLogger("talkrig").setLevel(logging.ERROR)
    group, name, how, (kind, snr), seed = job
    label = f"{kind} {snr} dB" if kind else "clean"
    samples = _samples(how)
    if len(samples) < 16000:
        return group, label, None
    audio = decode_audio(under(samples, kind, snr, seed), sample_rate=16000, name=f"{name}.wav")
    made, judge = [], timing.english_verdict

    def recorded(words, audio=None):
        result = judge(words, audio)
        made.append((result[0], len(words)))
        return result

    timing.english_verdict = recorded
    try:
        timing.find_words(audio, "auto", None, {"workers": 1})
    finally:
        timing.english_verdict = judge
    told, heard = made[-1] if made else (None, 0)
    if heard < timing.MIN_WORDS_TO_JUDGE or told in (timing.TOO_NOISY, timing.TOO_NARROW):
        told = None
    return group, label, told


def lips(job):
    """(closures from the voice alone, shut elsewhere; the same with the English words heard)."""
    from support import language_support as ls

    from talkrig.inference.generation.face import animate_face, check_face_options, get_face_model
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.speech.timing import find_words
    from talkrig.motion import Motion

    logging.getLogger("talkrig").setLevel(logging.ERROR)
    lang, variant, fps = job[0], job[1], 30.0
    case = ls.revoiced(lang, variant, seed=variant)
    heard = find_words(case.audio, "pocketsphinx", None, {"workers": 1})
    model, features = get_face_model("phones"), features_for(case.audio, fps)
    near = np.zeros(features.n_frames, bool)
    for start, end in case.bilabials:
        near[max(0, int(start * fps) - 1):int(np.ceil(end * fps)) + 2] = True
    speech = np.zeros(features.n_frames, bool)
    speech[int(0.5 * fps):int((case.audio.duration - 0.3) * fps)] = True
    out = []
    for words in ([], heard):
        face = animate_face(model, Motion.rest(features.n_frames, fps), words, features, 0,
                            check_face_options(model, {}))
        jaw, close = face.face_curve("jawOpen"), face.face_curve("mouthClose")
        shut = (close >= jaw - 1e-6) & (face.face_curve("viseme_PP") > 0.5)
        hits = [shut[max(0, int(s * fps) - 1):int(np.ceil(e * fps)) + 2].any() for s, e in case.bilabials]
        out += [float(np.mean(hits)), float((shut & ~near & speech).sum() / max(1, (speech & ~near).sum()))]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--english-clips", help="a folder of real English recordings, read by path")
    parser.add_argument("--foreign-clips", help="a folder of real recordings in other languages")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lips", action="store_true", help="only the lips of other languages")
    args = parser.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        if args.lips:
            from support import language_support as ls

            jobs = [(lang, v) for lang in ls.SCRIPTS if lang != "en" for v in range(len(ls.VARIANTS))]
            shares = np.array(list(pool.map(lips, jobs)))
            print(f"eSpeak NG's other languages ({len(jobs)} recordings): p, b and m closed "
                  f"{100 * shares[:, 0].mean():.0f} % from the voice alone, {100 * shares[:, 2].mean():.0f} % with the English words heard; other "
                  f"speech frames shut {100 * shares[:, 1].mean():.0f} % / {100 * shares[:, 3].mean():.0f} %")
            return
        jobs = [(group, name, how, noise, seed) for seed, (group, name, how) in
                enumerate(sources(args.english_clips, args.foreign_clips)) for noise in HISSES]
        counts = collections.Counter()
        for group, label, made in pool.map(verdict, jobs):
            if made is None:
                continue  # not judged: too few words, or a recording that cannot tell
            counts[group, label, {"not english": "other", "in doubt": "doubt"}.get(made, "English")] += 1
    labels = ["clean"] + [f"{kind} {snr} dB" for kind, snr in HISSES[1:]]
    print("| speech | hiss | judged | another language | in doubt | English | another language with one bar at 0.48 |")
    print("|---|---|---|---|---|---|---|")
    for group in ("English", "other"):
        for label in labels + ["all"]:
            got = [sum(counts[group, lab, v] for lab in (labels if label == "all" else [label]))
                   for v in ("other", "doubt", "English")]
            print(f"| {group} | {label} | {sum(got)} | {got[0]} | {got[1]} | {got[2]} | {got[0] + got[1]} |")


if __name__ == "__main__":
    main()
