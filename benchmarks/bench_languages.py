"""Scripts in many languages timed by the espeak engine, and the English control.

Synthetic speech: every language's script (tests/support/language_support.py) said by three eSpeak NG
voice variants at other rates and pitches than the aligner's template (+f3 135 wpm pitch 70,
+m7 205 wpm pitch 35, +klatt2 160 wpm pitch 55), reverberated (0.3 s) under a brown-noise
bed 25 dB below the speech. The reference onsets are eSpeak NG's own word events for that
recording (synthetic speech, not a human annotation). Figures: median word-onset error of the
placed words (confidence >= 0.5), % of words placed, and bilabial closure: % of the
recording's own p/b/m phonemes (eSpeak NG's, of the test voice) at which the face stage closes
the lips (ARKit mouthClose sealing jawOpen and viseme PP on, within a frame at 30 fps), with
the aligned words, and without words (the face from the voice alone: the baseline).

Real speech: the shared English recordings aligned by the language-independent path alone
(engine espeak, language en-us) against their reference TextGrids, beside the English aligner
(pocketsphinx) on the same clips.

Is it English? Without a script or a language, English recognition's mean word confidence on
every language's re-voiced speech and on the shared English recordings (one also under hiss at
10 dB SNR, one after a melody), over the 10,000 likeliest words and over the whole dictionary,
whether find_words judges it English (no notice that it does not sound like English), and the
words kept; beside it, the acoustic fit of the recognised words (mean ln acoustic score per
frame against each frame's best state) and their stability (the words kept when the sound is
played 6 % slower or faster), two candidate evidences of another language.

Not speech (--not-speech runs this part alone; it needs no eSpeak NG, so it also runs on an
older checkout for the before/after figures): the first 8 s of the shared English recording
after 8 s of silence (the pause level), a melody, held chords, laughter, music (plucked
chords and a drum), a drum loop or laughter in uneven bouts (tests/support/sound_support.py), 3 dB
under the speech, alone and with a noise bed 15 dB and 5 dB under it all. Figures: share of
the sound's frames taken for speech, words placed in the sound (recognised, and with the
script of the speech), arm speed (shoulders, elbows, wrists: the median over frames of the joints' mean
rotation speed, degrees per second) in the sound and in the speech after it, and the jaw's
opening in the sound (procedural generator, seed 0, no script, auto speech engine).
Then the real recordings that are not speech (tests/data/not_speech/, CC0, kept apart from the
sounds the thresholds were tuned on): the share of each one's frames taken for speech alone and
3 dB under the bundled English sample before it, and of that speech after it.

--activity: speech activity alone (no recognition; runs on an older checkout too): the share
of 8 s of each sound (also a drum kit loop and laughter in uneven bouts) taken for speech,
alone and under noise beds 15, 10 and 5 dB down, and of every speech recording.

--over-music: speech activity of the shared English recordings with music under them (15 and
10 dB down), against each recording alone.

--long: one recording near the ten-minute limit (the German script 82 times over, 9 min 48 s,
1558 words): alignment time, peak memory of the process and the same figures.

--first-word: real recordings, each with its script: Spanish and Japanese
(tests/data/speech_languages) and the shared English ones (engine espeak): the first word's
onset against the voice's (the level held above a tenth of the voice's for 50 ms), alone and
after a second of the room's hiss with a breath in it; where a TextGrid gives the truth, the
first word's error against it and the median word-onset error.

--narrow: speech recorded narrower than 16 kHz, as files saved at 8 and 11.025 kHz (a
telephone, old game dialogue): the shared English recordings and 60 s of the lecture video's
sound, each beside itself at 16 kHz: the highest frequency it has sound at, the share taken for
speech, the words kept without a script (recognised-onset median error against the TextGrid's
nearest word, where there is one) and the procedural take's wrists (mean speed) and jaw (mean
opening). Then every language's re-voiced speech at 8 kHz: the words kept (English ones, since
there English cannot be told from another language). Runs on an older checkout too.

--bounded: the two BEAT2 recordings of one speaker one after the other, repeated to 60, 300 and
600 s, their TextGrid words as the script, each aligned in a process of its own: wall time and
peak RSS; then 600 s with its words said three times over (a script far longer than the
speech, inside the length limit) and with a 30,000-word script, by `talkrig words` and by a
server job: the answer, its time and the peak RSS.

    .venv/bin/python benchmarks/bench_languages.py [--languages de,es,...] [--aligned | --is-english
        | --not-speech | --activity | --over-music | --long | --first-word | --bounded | --narrow]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from process_memory import process_family, rss_mib

ROOT = Path(__file__).resolve().parents[1]
os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every engine timed afresh, none read from disk
sys.path.insert(0, str(ROOT / "tests"))

from talkrig.inference.speech.timing import find_words

try:  # the language-independent engine and today's layout (absent from older checkouts)
    from support import language_support as ls
    from support import speech_support as ss
except ImportError:
    ls = ss = None

DATA = ROOT.parent / "shared" / "data"
CLIPS = ["speech_mfa/acoustic_corpus", "beat2_scott_train/2_scott_0_2_2", "beat2_scott_train/2_scott_0_1_1"]


def synthetic(languages):
    print("| language | voices | words | median onset error (ms) | p90 (ms) | placed | bilabial closure "
          "| closure from the voice alone | s per run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lang in languages:
        errors, placed, closures, alone, seconds, n = [], [], [], [], [], 0
        for variant in range(len(ls.VARIANTS)):
            case = ls.revoiced(lang, variant, seed=variant)
            t = time.perf_counter()
            words = find_words(case.audio, "espeak", " ".join(case.tokens), language=lang)
            seconds.append(time.perf_counter() - t)
            e, p = ls.onset_errors(case, words)
            errors.extend(e)
            placed.append(p)
            closures.append(ls.lip_closure(case, words))
            alone.append(ls.lip_closure(case, []))
            n += len(case.tokens)
        errors = np.array(errors)
        print(f"| {lang} | {len(ls.VARIANTS)} | {n} | {1000 * np.median(errors):.0f} | "
              f"{1000 * np.percentile(errors, 90):.0f} | {100 * np.mean(placed):.0f} % | "
              f"{100 * np.nanmean(closures):.0f} % | {100 * np.nanmean(alone):.0f} % | "
              f"{np.median(seconds):.2f} |", flush=True)


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


def is_it_english(languages):
    import logging

    print("\n| speech | recognised words | mean confidence (10,000 words / whole dictionary) | "
          "acoustic fit (ln/frame) | stability | judged English | words kept |")
    print("|---|---|---|---|---|---|---|")
    clips = [(Path(c).name, ss.reference_case(DATA / f"{c}.wav", DATA / f"{c}.TextGrid").audio) for c in CLIPS]
    from talkrig.inference.audio.decode import decode_audio

    x = clips[0][1].samples
    power = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
    hiss = np.random.default_rng(0).normal(0, np.sqrt(power / 10), x.shape)
    clips.append((f"{clips[0][0]} + hiss at 10 dB SNR",
                  decode_audio((x + hiss).astype(np.float32), sample_rate=16000, name="hiss.wav")))
    from support import sound_support as so

    lecture = DATA / "video_ccby" / "physicsworks.webm"
    if lecture.exists():  # a lecture in a hall (CC BY), 203 s
        clips.append(("the lecture video's sound (a hall)", decode_audio(lecture)))
    x = clips[0][1].samples[:8 * 16000]
    clips.append((f"{clips[0][0]}, its first 8 s after 8 s of a melody",
                  decode_audio(so.mix(x, so.melody(8.0), at=-1, level_db=-3), sample_rate=16000, name="m.wav")))
    clips += [(f"{lang} (eSpeak NG {ls.VARIANTS[v][0]})", ls.revoiced(lang, v, seed=v).audio)
              for lang in languages for v in range(len(ls.VARIANTS))]
    logging.getLogger("talkrig.inference.speech.timing").setLevel(logging.ERROR)
    for name, audio in clips:
        heard = find_words(audio, "pocketsphinx", None, {"workers": 1})
        whole = find_words(audio, "pocketsphinx", None, {"workers": 1, "vocabulary": "whole"})
        told = []  # judged another language: find_words says so in a notice
        kept = find_words(audio, "auto", None, {"workers": 1}, notices=told)
        english = not any("does not sound like English" in line for line in told)
        means = [np.mean([w.confidence for w in found]) if found else float("nan") for found in (heard, whole)]
        print(f"| {name} | {len(heard)} | {means[0]:.2f} / {means[1]:.2f} | {_acoustic_fit(audio):.2f} | "
              f"{_stability(audio):.2f} | {'yes' if english else 'no'} | {len(kept)} |", flush=True)


def _decoded(samples):
    """The word segments pocketsphinx (English, recognition settings) finds in ``samples``."""
    from pocketsphinx import Decoder

    from talkrig.inference.audio.decode import DITHER_SEED, pcm16_bytes

    decoder = Decoder(dither=False, loglevel="FATAL", fwdflat=False, maxhmmpf=2000, topn=3)
    decoder.start_utt()  # dithered by our seeded generator, as the engine does: the same every run
    decoder.process_raw(pcm16_bytes(samples, np.random.default_rng(DITHER_SEED)), full_utt=True)
    decoder.end_utt()
    return [s for s in decoder.seg() if not s.word.startswith(("<", "["))]


def _acoustic_fit(audio, seconds=25.0):
    """Mean ln acoustic score per frame of the words English recognition finds in the first
    ``seconds``, against the best state of each frame (pocketsphinx scores each frame against
    its best senone, a free loop of sounds): how well English words explain the sound."""
    words = _decoded(audio.samples[:int(seconds * 16000)])
    frames = sum(s.end_frame - s.start_frame + 1 for s in words)
    return sum(np.log(max(s.ascore, 1e-300)) for s in words) / max(1, frames)


def _stability(audio, seconds=25.0):
    """How far the recognised words stay the same when the first ``seconds`` are played 6 %
    slower and 6 % faster (pitch with them): the share of words in common (longest common
    subsequence, both ways averaged). Words really said hold; words made up from another
    language's sounds change."""
    from scipy.signal import resample_poly

    x = audio.samples[:int(seconds * 16000)]
    heard = [s.word.split("(")[0] for s in _decoded(x)]
    shares = []
    for up, down in ((16, 17), (17, 16)):
        other = [s.word.split("(")[0] for s in _decoded(resample_poly(x, up, down))]
        common = np.zeros((len(heard) + 1, len(other) + 1), int)
        for i, a in enumerate(heard, 1):
            for j, b in enumerate(other, 1):
                common[i, j] = common[i - 1, j - 1] + 1 if a == b else max(common[i - 1, j], common[i, j - 1])
        shares.append(2 * common[-1, -1] / max(1, len(heard) + len(other)))
    return float(np.mean(shares))


def not_speech():
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.errors import TalkrigError
    from talkrig.motion.metrics.kinematics import angular_speed

    arms = np.arange(16, 22)  # shoulders, elbows, wrists
    lead = 8.0
    clip = DATA / f"{CLIPS[0]}"
    speech = decode_audio(f"{clip}.wav").samples[:int(8.0 * 16000)]
    script = _script_until(f"{clip}.TextGrid", 8.0)
    sounds = {"silence (the pause level)": np.zeros(int(lead * 16000), np.float32),
              "melody": so.melody(lead), "held chords": so.chords(lead), "laughter": so.laughter(lead),
              "music (plucked chords, drum)": so.plucked_chords(lead)}
    if hasattr(so, "drum_loop"):  # sounds added with the rhythm test
        sounds.update({"drum loop (110 bpm)": so.drum_loop(lead, 110.0, 1),
                       "laughter in bouts (uneven)": so.laugh_bouts(lead, 1)})
    print("\n| 8 s before the speech | noise bed | taken for speech | words in it | words in it "
          "(with the script) | arms in it (°/s) | arms in the speech after it (°/s) | jaw in it (mean, rad) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, sound in sounds.items():
        for bed in (None, -15, -5):
            if bed == -5 and not sound.any():
                continue
            x = np.concatenate([sound, speech]) if not sound.any() else so.mix(speech, sound, at=-1, level_db=-3)
            if bed is not None:
                x = so.mix(x, so.noise_bed(len(x) / 16000, seed=5), at=0.0, level_db=bed)
            speaking = speech_activity(compute_features(x, 16000, 30.0))
            result = generate(x, GenerateOptions(seed=0, speech_options={"workers": 1}))
            try:
                scripted = generate(x, GenerateOptions(seed=0, transcript=script, speech_options={"workers": 1}))
                in_sound = sum(w.start < lead - 0.2 for w in scripted.words)
            except TalkrigError as exc:  # the script refused: say so in the table
                print(f"  ({name}, {bed}: {exc})", file=sys.stderr)
                in_sound = "refused"
            motion = result.motion
            speed = np.degrees(angular_speed(motion, arms).mean(axis=1))
            k = int(lead * motion.fps)
            inside = slice(15, k - 15)  # away from the edges' ramps
            print(f"| {name} | {'-' if bed is None else f'{bed} dB'} | {100 * speaking[inside].mean():.0f} % | "
                  f"{sum(w.start < lead - 0.2 for w in result.words)} | "
                  f"{in_sound} | {np.median(speed[inside]):.0f} | "
                  f"{np.median(speed[k + 15:]):.0f} | {_jaw(motion)[inside].mean():.3f} |", flush=True)
    real_not_speech()


def real_not_speech(edge=15):
    """The real non-speech recordings (as tests/speech/test_speech_not_speech_real.py reads
    them): the share of their frames taken for speech, alone and before speech, ``edge``
    frames left out at either end of the sound."""
    from support import sound_support as so

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import compute_features

    speech = decode_audio(ROOT / "exporters" / "assets" / "acoustic_corpus.wav").samples[:8 * 16000]
    heard = lambda x: speech_activity(compute_features(x, 16000, 30.0))
    print("\n| real recording (not speech) | taken for speech, alone | before speech | the speech after it |")
    print("|---|---|---|---|")
    for path in sorted((ROOT / "tests" / "data" / "not_speech").glob("*.flac")):
        sound = decode_audio(path).samples
        n = int(len(sound) / 16000 * 30.0)
        before = heard(so.mix(speech, sound, at=-1, level_db=-3))
        print(f"| {path.stem} | {heard(sound)[edge:n - edge].mean():.2f} | {before[edge:n - edge].mean():.2f} | "
              f"{before[n + edge:].mean():.2f} |", flush=True)


def activity():
    """Speech activity alone (no recognition): the share of an 8 s sound, 3 dB under the first
    8 s of the MFA recording and before it, taken for speech, alone and under noise beds, and
    the speech after it; then the share of every speech recording taken for speech."""
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features

    speech = decode_audio(DATA / f"{CLIPS[0]}.wav").samples
    sounds = {"melody": so.melody(8), "held chords": so.chords(8), "plucked chords and a drum": so.plucked_chords(8)}
    sounds.update({f"laughter ha-ha-ha (seed {k})": so.laughter(8, k) for k in (0, 1)})
    sounds.update({f"laughter in uneven bouts (seed {k})": so.laugh_bouts(8, k) for k in (0, 1, 2)})
    sounds.update({f"drum loop {bpm:g} bpm": so.drum_loop(8, bpm, k) for k, bpm in enumerate((90.0, 120.0, 140.0))})
    print("\n| 8 s before the speech: taken for speech (the speech after it) | no bed | bed 15 dB down | "
          "bed 10 dB down | bed 5 dB down |")
    print("|---|---|---|---|---|")
    for name, sound in sounds.items():
        row = []
        for bed in (None, -15, -10, -5):
            x = so.mix(speech[:8 * 16000], sound, at=-1, level_db=-3)
            if bed is not None:
                x = so.mix(x, so.noise_bed(len(x) / 16000, seed=5), at=0.0, level_db=bed)
            speaking = speech_activity(compute_features(x, 16000, 30.0))
            row.append(f"{100 * speaking[15:225].mean():.0f} % ({100 * speaking[255:].mean():.0f} %)")
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)
    recordings = [(Path(c).name, decode_audio(DATA / f"{c}.wav").samples) for c in CLIPS]
    lecture = DATA / "video_ccby" / "physicsworks.webm"
    if lecture.exists():
        recordings.append(("the lecture video's sound (a hall)", decode_audio(lecture).samples))
    x = recordings[0][1]
    power = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
    recordings.append((f"{recordings[0][0]} + hiss at 10 dB SNR",
                       (x + np.random.default_rng(0).normal(0, np.sqrt(power / 10), x.shape)).astype(np.float32)))
    recordings.append((f"{recordings[0][0]} + noise bed 10 dB down", so.mix(x, so.noise_bed(len(x) / 16000, 3), 0.0, -10)))
    if ls is not None:
        recordings += [(f"{lang} {ls.VARIANTS[v][0]}", ls.revoiced(lang, v, seed=v).audio.samples)
                       for lang in ls.SCRIPTS for v in range(len(ls.VARIANTS))]
    print("\n| speech | taken for speech (30 fps) |")
    print("|---|---|")
    for name, x in recordings:
        print(f"| {name} | {speech_activity(compute_features(x, 16000, 30.0)).mean():.3f} |", flush=True)
    if ls is not None:  # the re-voiced speech under the sounds' noise beds
        print("\n| 36 re-voiced recordings | noise bed 15 dB down | 10 dB down | 5 dB down |")
        print("|---|---|---|---|")
        shares = [[speech_activity(compute_features(so.mix(x, so.noise_bed(len(x) / 16000, 5), 0.0, bed),
                                                    16000, 30.0)).mean() for bed in (-15, -10, -5)]
                  for name, x in recordings[-36:]]
        low, mean = np.min(shares, axis=0), np.mean(shares, axis=0)
        print("| taken for speech: lowest, mean | " + " | ".join(f"{a:.3f}, {m:.3f}" for a, m in zip(low, mean)) + " |")


def over_music():
    """Speech with music under it (15 and 10 dB down, from its start): the share of the shared
    English recordings' frames taken for speech, against the recording alone."""
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features

    sounds = {"melody": so.melody, "held chords": so.chords, "plucked chords and a drum": so.plucked_chords,
              "drum loop 90 bpm": lambda s: so.drum_loop(s, 90.0, 0),
              "drum loop 140 bpm": lambda s: so.drum_loop(s, 140.0, 2)}
    print("\n| music under the speech | " + " | ".join(f"{Path(c).name}, {d} dB down" for c in CLIPS
                                                       for d in (15, 10)) + " |")
    print("|---|" + "---|" * 2 * len(CLIPS))
    clips = [decode_audio(DATA / f"{c}.wav").samples for c in CLIPS]
    alone = [speech_activity(compute_features(x, 16000, 30.0)).mean() for x in clips]
    print("| none | " + " | ".join(f"{a:.3f}" for a in alone for _ in (15, 10)) + " |")
    for name, make in sounds.items():
        row = [speech_activity(compute_features(so.mix(x, make(len(x) / 16000 + 0.1)[:len(x)], 0.0, -d),
                                                16000, 30.0)).mean() for x in clips for d in (15, 10)]
        print(f"| {name} | " + " | ".join(f"{a:.3f}" for a in row) + " |", flush=True)


def _script_until(textgrid, seconds):
    """The words of a reference TextGrid that end by ``seconds``, as a script."""
    from talkrig.inference.speech.transcripts.textgrid import word_intervals

    return " ".join(w for s, e, w in word_intervals(Path(textgrid).read_text(encoding="utf-8")) if e <= seconds)


def _jaw(motion):
    """(T,) how open the jaw is: its rotation angle in radians."""
    return np.linalg.norm(np.asarray(motion.poses)[:, 22], axis=-1)


def long_file(repeats=82):
    import resource

    text = " ".join([ls.SCRIPTS["de"]] * repeats)
    case = ls.revoiced("de", 0, text=text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    words = find_words(case.audio, "espeak", text, language="de")
    wall = time.perf_counter() - start
    errors, placed = ls.onset_errors(case, words)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{case.audio.duration:.0f} s, {len(case.tokens)} words: aligned in {wall:.1f} s "
          f"(RTF {wall / case.audio.duration:.3f}), median onset error {1000 * np.median(errors):.0f} ms, "
          f"{100 * placed:.1f} % placed; peak memory {peak:.0f} MB (before aligning: {before:.0f} MB)")


LANGUAGE_RECORDINGS = {"es": "spanish_mls_13697_11991_000000.opus", "ja": "japanese_common_voice_24511055.mp3"}
ONE_SPEAKER = ["beat2_scott_train/2_scott_0_1_1", "beat2_scott_train/2_scott_0_2_2"]


def first_word():
    from talkrig.inference.audio.decode import decode_audio

    print("| recording | words | first word - voice onset (s) | after a breath (s) | first word - TextGrid (s) "
          "| median onset error (ms) |")
    print("|---|---|---|---|---|---|")
    folder = ROOT / "tests/data/speech_languages"
    cases = [(file, decode_audio(str(folder / file)),
              (folder / file).with_suffix(".txt").read_text(encoding="utf-8"), lang, None)
             for lang, file in LANGUAGE_RECORDINGS.items()]
    for clip in CLIPS:
        case = ss.reference_case(DATA / f"{clip}.wav", DATA / f"{clip}.TextGrid")
        cases.append((Path(clip).name, case.audio, case.script, "en-us", case))
    for name, audio, script, lang, case in cases:
        words = find_words(audio, "espeak", script, language=lang)
        after = find_words(ls.breath_before(audio), "espeak", script, language=lang)
        onset = ls.voice_onset(audio.samples)
        truth = median = "–"
        if case is not None:
            truth = f"{words[0].start - case.truth[0]:+.2f}"
            median = f"{ss.score(case, words)['median_ms']:.0f}"
        print(f"| {name} ({lang}) | {len(words)} | {words[0].start - onset:+.2f} | "
              f"{after[0].start - 1.0 - onset:+.2f} | {truth} | {median} |", flush=True)


def _one_speaker(seconds, times=1):
    """(DecodedAudio, script, reference onsets): the ONE_SPEAKER recordings one after the other
    until ``seconds``, the script their TextGrid words (said ``times`` over)."""
    from talkrig.inference.audio.decode import DecodedAudio

    cases = [ss.reference_case(DATA / f"{c}.wav", DATA / f"{c}.TextGrid") for c in ONE_SPEAKER]
    parts, tokens, onsets, at = [], [], [], 0.0
    while at < seconds:
        for case in cases:
            take = min(case.audio.duration, seconds - at)
            keep = [k for k, t in enumerate(case.truth) if t is not None and case.ends[k] <= take]
            parts.append(case.audio.samples[:int(take * 16000)])
            tokens += [case.tokens[k] for k in keep]
            onsets += [at + case.truth[k] for k in keep]
            at += take
            if at >= seconds:
                break
    audio = DecodedAudio(np.concatenate(parts), 16000, name=f"one speaker {seconds:g} s")
    return audio, " ".join(tokens * times), np.array(onsets)


def _measure(*argv):
    """(what the child printed last, wall s, peak RSS MiB) of this script run with ``argv``."""
    import os
    import subprocess

    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    lines = [line for line in out.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {status}", time.perf_counter() - start, usage.ru_maxrss / 1024


def aligned_once(seconds, times):
    """In this process: align ``seconds`` of the one speaker, print the onset errors."""
    import resource

    audio, script, onsets = _one_speaker(seconds, times)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    words = find_words(audio, "espeak", script, language="en-us")
    wall = time.perf_counter() - start
    if times == 1:
        errors = np.abs(np.array([w.start for w in words]) - onsets)
        quality = f"median onset error {1000 * np.median(errors):.0f} ms, within 100 ms {100 * np.mean(errors <= 0.1):.0f} %"
    else:
        quality = f"{sum(w.confidence >= 0.5 for w in words)} of {len(words)} words placed"
    print(f"{len(script.split())} words aligned in {wall:.1f} s; {quality}; RSS before aligning {before:.0f} MiB")


def refused_once(how, words=30_000):
    """In this process: 600 s of the one speaker and a ``words``-word script through ``how``
    ("cli": talkrig words, "server": a generate job of talkrig serve); print the answer."""
    import tempfile

    import soundfile as sf

    audio, script, _ = _one_speaker(600)
    script = " ".join((script.split() * (words // len(script.split()) + 1))[:words])
    folder = Path(tempfile.mkdtemp())
    sf.write(folder / "speech.wav", audio.samples, 16000)
    if how == "cli":
        import subprocess

        (folder / "script.txt").write_text(script, encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "talkrig", "words", str(folder / "speech.wav"),
                               "--engine", "espeak", "--language", "en-us", "--transcript",
                               str(folder / "script.txt")], capture_output=True, text=True)
        said = (done.stdout + done.stderr).strip().splitlines()
        print(f"exit {done.returncode}, {len(said)} line(s): {said[-1] if said else ''}")
        return
    import os

    from talkrig.client.errors import ClientError
    from talkrig.client.server_process import LocalServer

    env = dict(os.environ, XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "share"))
    server = LocalServer(python=sys.executable, host="127.0.0.1", token_file=folder / "token",
                         state_dir=folder / "state", env=env,
                         extra_args=["--data-dir", str(folder / "data"), "--workers", "1"])
    client = server.start(timeout=120)
    try:
        start = time.perf_counter()
        client.generate(str(folder / "speech.wav"),
                        {"backend": "procedural", "speech": "espeak", "language": "en-us", "transcript": script},
                        timeout=600)
        answer = "accepted"
    except ClientError as exc:
        answer = str(exc)
    wall = time.perf_counter() - start
    peak = max(rss_mib(pid) for pid in process_family(server.pid))
    server.stop()
    print(f"{answer} ({len(answer.splitlines())} line(s), {wall:.1f} s); server peak RSS {peak:.0f} MiB "
          "(its largest process)")


def bounded():
    print("| case | words | wall (s) | peak RSS (MiB) | result |")
    print("|---|---|---|---|---|")
    for seconds, times in ((60, 1), (300, 1), (600, 1), (600, 3)):
        said, wall, peak = _measure("--aligned-once", str(seconds), str(times))
        print(f"| {seconds} s, script said {times}x | | {wall:.1f} | {peak:.0f} | {said} |", flush=True)
    for how in ("cli", "server"):
        said, wall, peak = _measure("--refused-once", how)
        print(f"| 600 s, 30,000 words, {how} | 30,000 | {wall:.1f} | {peak:.0f} | {said} |", flush=True)


def narrow(languages):
    import logging
    import tempfile

    import soundfile

    from talkrig.inference.audio.decode import DecodedAudio, decode_audio, resample
    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.inference.speech.transcripts.textgrid import word_intervals
    from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton

    logging.getLogger("talkrig.inference.speech.timing").setLevel(logging.ERROR)
    try:
        from talkrig.inference.features.activity import bandwidth_hz
    except ImportError:  # an older checkout
        bandwidth_hz = None
    lecture = decode_audio(str(DATA / "video_ccby" / "physicsworks.webm"))
    clips = [(Path(c).name, decode_audio(str(DATA / f"{c}.wav")), DATA / f"{c}.TextGrid") for c in CLIPS]
    clips.append(("the lecture video's sound, 60 s", DecodedAudio(lecture.samples[:60 * 16000], 16000,
                                                                    name="lecture"), None))
    wrists = [JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]]
    print("| recording | saved at | sound up to (kHz) | taken for speech | words kept | their onsets' median "
          "error (ms) | wrists (m/s) | jaw (rad) |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-narrow-") as folder:
        for name, audio, grid in clips:
            for rate in (16000, 11025, 8000):
                path = Path(folder) / f"{rate}.wav"
                soundfile.write(path, resample(audio.samples, 16000, rate), rate)
                heard = decode_audio(str(path))
                share = speech_activity(features_for(heard, 30.0)).mean()
                words = find_words(heard, "auto", None)
                error = "–"
                if grid is not None and words:
                    truth = np.array([a for a, _, _ in word_intervals(grid.read_text(encoding="utf-8"))])
                    onsets = np.array([w.start for w in words])
                    error = f"{1000 * np.median(np.abs(onsets[:, None] - truth[None]).min(axis=1)):.0f}"
                motion = generate(heard, GenerateOptions(backend="procedural", seed=0, speech="none")).motion
                hands = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)[1][:, wrists]
                speed = np.linalg.norm(np.diff(hands, axis=0), axis=-1).mean() * motion.fps
                jaw = np.abs(motion.poses[:, JOINT_INDEX["jaw"]]).mean()
                band = f"{bandwidth_hz(heard.samples) / 1000:.1f}" if bandwidth_hz else "–"
                print(f"| {name} | {rate / 1000:g} kHz | {band} | {share:.2f} | {len(words)} | {error} | "
                      f"{speed:.3f} | {jaw:.4f} |", flush=True)
        kept = []
        for lang in languages:
            for variant in range(len(ls.VARIANTS)):
                audio = ls.revoiced(lang, variant, seed=variant).audio
                path = Path(folder) / "voice.wav"
                soundfile.write(path, resample(audio.samples, 16000, 8000), 8000)
                words = find_words(decode_audio(str(path)), "auto", None, {"workers": 1})
                kept.append((lang, len(words) > 0))
        english = [k for lang, k in kept if lang == "en"]
        others = [k for lang, k in kept if lang != "en"]
        print(f"\nre-voiced speech at 8 kHz, words kept: English {sum(english)} of {len(english)}, "
              f"other languages {sum(others)} of {len(others)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=None)
    parser.add_argument("--not-speech", action="store_true", help="only the not-speech part")
    parser.add_argument("--long", action="store_true", help="only the ten-minute recording")
    parser.add_argument("--aligned", action="store_true", help="only the aligned words (synthetic and real)")
    parser.add_argument("--is-english", action="store_true", help="only the is-it-English table")
    parser.add_argument("--activity", action="store_true", help="only speech activity on sounds and speech")
    parser.add_argument("--over-music", action="store_true", help="only speech activity with music under the speech")
    parser.add_argument("--first-word", action="store_true", help="only the first word on real recordings")
    parser.add_argument("--narrow", action="store_true", help="only speech recorded at 8 and 11 kHz")
    parser.add_argument("--bounded", action="store_true", help="only alignment memory and time at 60-600 s")
    parser.add_argument("--aligned-once", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--refused-once", choices=("cli", "server"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_word:
        return first_word()
    if args.bounded:
        return bounded()
    if args.aligned_once:
        return aligned_once(*args.aligned_once)
    if args.refused_once:
        return refused_once(args.refused_once)
    if args.long:
        return long_file()
    languages = args.languages.split(",") if args.languages else list(ls.SCRIPTS) if ls else []
    if args.activity:
        return activity()
    if args.narrow:
        return narrow(languages)
    if args.over_music:
        return over_music()
    every = not (args.not_speech or args.aligned or args.is_english)
    if every or args.aligned:
        synthetic(languages)
        english()
    if every or args.is_english:
        is_it_english(languages)
    if every or args.not_speech:
        not_speech()


if __name__ == "__main__":
    main()
