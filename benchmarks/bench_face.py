"""The face stage: lip-sync timing against reference alignments, the jaw against real capture,
and its cost per minute of audio.

    .venv/bin/python benchmarks/bench_face.py [--repeat 7]

Timing: for each recording with a reference TextGrid, the face is made from phones of several
sources and measured on the talkrig test head's geometry (scenes/facehead.py: the lip gap is
the distance between two lip vertices, computed from the shape keys exactly as Blender mixes
them) with motion/metrics/lipsync.py: for every p/b/m of the reference, whether the lips are
closed (gap <= 1 mm) during it (error: the closed instant's distance to the phone), and when
they close against the phone's start; for every vowel, the time between its middle and the
jaw's widest opening within 100 ms; how often the jaw opens (openings per second; the real
capture's rate is the reference, a curve that flaps has many).

Sources: the reference phones themselves (upper bound), the pipeline's alignment of the plain
script (pocketsphinx), the pipeline's recognition without a script (pocketsphinx's words, often
wrong, pronounced from the dictionary over their times), the reference words without phones (dictionary pronunciations spread
over the words), the voice alone (no words), and baselines that could fake it: the generator's
energy-only jaw (face stage off: the lips never close on their own), phones of another
recording, and on the BEAT2 take with motion capture the real take's own mouth opening.

Jaw against real capture: correlation of jawOpen with the real mocap's mouth opening (jaw
rotation and expression coefficients, blender/facekeys.py) on BEAT2 take 2_scott_0_1_1.

Cost: the face stage (animate_face) on 62 s of speech with its phones, and without words.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from talkrig.motion.mouth import mouth_measures
from talkrig.scenes.facehead import REST_GAP, head_geometry, shape_deltas
from talkrig.inference.features.activity import loudness_and_speech
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.face import animate_face, check_face_options, get_face_model
from talkrig.inference.features.compute import features_for
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.words import Word
from talkrig.motion import Motion, load_motion
from talkrig.motion.facecurves import BILABIALS, VOWELS
from talkrig.motion.metrics.lipsync import closure_errors, opening_rate, vowel_errors
from talkrig.inference.generation.speech_mouth import mouth_opening
from talkrig.inference.speech.transcripts.formats import read_words

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLIPS = [  # audio, reference TextGrid, plain script (None: the TextGrid's words)
    ("beat2_scott_train/2_scott_0_1_1.wav", "beat2_scott_train/2_scott_0_1_1.TextGrid", None),
    ("beat2_scott_train/2_scott_0_2_2.wav", "beat2_scott_train/2_scott_0_2_2.TextGrid", None),
    ("speech_mfa/acoustic_corpus.wav", "speech_mfa/acoustic_corpus.TextGrid",
     "speech_mfa/acoustic_corpus.lab"),
]
FPS = 30.0


class LipGap:
    """Lip gap of the test head from face curves: rest gap plus each shape's pull on the two
    lip vertices (shape keys mix linearly)."""

    def __init__(self):
        verts, _, part, markers = head_geometry()
        upper, lower = markers["lip_upper_mid"], markers["lip_lower_mid"]
        self.pull = {name: d[upper, 2] - d[lower, 2] for name, d in shape_deltas(verts, part).items()
                     if d[upper, 2] != d[lower, 2]}

    def __call__(self, motion):
        gap = np.full(motion.n_frames, REST_GAP)
        for name, pull in self.pull.items():
            curve = motion.face_curve(name)
            if curve is not None:
                gap += pull * curve
        return gap


def script_of(reference, lab):
    if lab:
        return (DATA / lab).read_text()
    return " ".join(w.word for w in read_words((DATA / reference).read_text()))


def face_of(model, options, words, features, n):
    return animate_face(model, Motion.rest(n, FPS), words, features, 0, options)


def row(name, motion, phones, gap_of, real=None):
    jaw = motion.face_curve("jawOpen")
    if gap_of is None:
        closure = "| – | – | – | – "
    else:
        errors, onsets, missed = closure_errors(gap_of(motion), FPS, phones)
        total = len(errors) + missed
        median = f"{1000 * np.median(errors):.0f} ms" if len(errors) else "–"
        onset = f"{1000 * np.median(onsets):.0f} ms" if len(onsets) else "–"
        closure = (f"| {median} | {100 * np.sum(errors <= 0.04) / total:.0f} % | {missed}/{total} "
                   f"| {onset} ")
    vowels = vowel_errors(jaw, FPS, phones)
    text = (f"| {name} {closure}| {1000 * np.median(vowels):.0f} ms | {100 * np.mean(vowels <= 0.04):.0f} % "
            f"| {opening_rate(jaw, FPS):.1f} |")
    if real is not None:
        text += f" {np.corrcoef(jaw, real)[0, 1]:.2f} |"
    return text


def quality(model, options):
    gap_of = LipGap()
    real = load_motion(DATA / "beat2_scott_train" / "2_scott_0_1_1.npz")
    real_open = mouth_measures(real.poses, real.expressions)["open"]
    other = read_words((DATA / CLIPS[1][1]).read_text())
    for audio_name, reference, lab in CLIPS:
        audio = decode_audio(DATA / audio_name)
        features = features_for(audio, FPS)
        n = features.n_frames
        truth = read_words((DATA / reference).read_text())
        phones = [p for w in truth for p in w.phones]
        aligned = find_words(audio, "pocketsphinx", script_of(reference, lab))
        with_phones = sum(1 for w in aligned if w.phones)
        heard = find_words(audio, "pocketsphinx", None)  # no script: what a user gets by default
        energy_take = generate(audio, GenerateOptions(speech="none", face="none", keyposes="none"))
        energy_face = energy_take.motion.copy()
        jaw_only = mouth_opening(loudness_and_speech(features, [], n)[0], np.arange(n))
        energy_face.face_names, energy_face.face_curves = ("jawOpen",), jaw_only[:, None]
        compare = real_open if "0_1_1" in audio_name else None
        print(f"\n{audio_name} ({audio.duration:.1f} s, {sum(p.phone in BILABIALS for p in phones)} "
              f"bilabials, {sum(p.phone in VOWELS for p in phones)} vowels; the aligner gave phones "
              f"for {with_phones} of {len(aligned)} words; recognition heard {len(heard)} words)\n")
        head = ("| phones from | bilabial closure, median error | within 40 ms | missed "
                "| closure onset, median error "
                "| vowel jaw opening, median error | within 40 ms | jaw peaks / s |")
        print(head + (" jaw r vs real capture |" if compare is not None else ""))
        print("|---" * (head.count("|") - 1 + (compare is not None)) + "|")
        sources = [
            ("reference TextGrid (upper bound)", truth),
            ("pipeline alignment of the script (pocketsphinx)", aligned),
            ("pipeline recognition, no script (pocketsphinx words, dictionary phones)", heard),
            ("reference words, dictionary phones", [Word(w.word, w.start, w.end) for w in truth]),
            ("voice alone (no words)", []),
        ]
        for name, words in sources:
            print(row(name, face_of(model, options, words, features, n), phones, gap_of, compare))
        print(row("baseline: energy-only jaw, no face stage", energy_face, phones, gap_of, compare))
        if "0_2_2" not in audio_name:
            print(row("baseline: phones of another recording", face_of(model, options, other, features, n),
                      phones, gap_of, compare))
        if compare is not None:
            real_take = Motion.rest(n, FPS)
            real_take.face_names, real_take.face_curves = ("jawOpen",), compare[:n, None]
            print(row("the real take's own mouth opening (capture)", real_take, phones, None, compare))
            halves(face_of(model, options, truth, features, n), energy_face, compare[:n])


def halves(face, energy_face, real):
    """Jaw r against the capture on each half of the take: the viseme jaw targets were set
    looking at the first half; the second is held out."""
    h = len(real) // 2
    print("\njaw r vs real capture, first half (jaw targets set on it) / second half (held out):")
    for name, motion in (("reference TextGrid phones", face), ("energy-only jaw", energy_face)):
        jaw = motion.face_curve("jawOpen")
        first, second = (np.corrcoef(jaw[s], real[s])[0, 1] for s in (slice(0, h), slice(h, None)))
        print(f"  {name}: {first:.2f} / {second:.2f}")


def cost(model, options, repeat):
    audio = decode_audio(DATA / CLIPS[1][0])
    features = features_for(audio, FPS)
    words = read_words((DATA / CLIPS[1][1]).read_text())
    rest = Motion.rest(features.n_frames, FPS)
    minutes = audio.duration / 60.0
    print(f"\nface stage on {audio.duration:.1f} s of speech, median of {repeat} runs:")
    for name, given in (("with phones", words), ("voice alone", [])):
        animate_face(model, rest, given, features, 0, options)  # warm caches
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            animate_face(model, rest, given, features, 0, options)
            times.append(time.perf_counter() - start)
        per_minute = statistics.median(times) / minutes * 1000
        print(f"  {name}: {statistics.median(times) * 1000:.1f} ms = {per_minute:.1f} ms per minute of audio")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    model = get_face_model("phones")
    options = check_face_options(model, {})
    if not args.skip_quality:
        quality(model, options)
    cost(model, options, args.repeat)


if __name__ == "__main__":
    main()
