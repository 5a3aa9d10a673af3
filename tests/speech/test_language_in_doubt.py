"""English the recogniser is unsure of, without a script or a language: between as sure as
English is and as unsure as another language's, its words are kept for the lips with a notice,
and fire no key poses of a language's dictionary."""

import json
import logging

import numpy as np
import pytest

from support.shared_data import shared_file
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.speech.timing import (
    ENGLISH, IN_DOUBT, NOT_ENGLISH, RECENT, english_verdict, find_words, get_speech_plugin,
    language_in_doubt,
)
from talkrig.inference.speech.words import Word


def sure(confidence, count=10):
    return [Word(f"w{n}", n * 0.5, n * 0.5 + 0.4, confidence) for n in range(count)]


def test_the_verdict_has_a_band_of_doubt_between_english_and_another_language():
    assert english_verdict(sure(0.55))[0] == ENGLISH
    assert english_verdict(sure(0.42))[0] == IN_DOUBT
    assert english_verdict(sure(0.30))[0] == NOT_ENGLISH
    assert english_verdict(sure(0.30, count=5))[0] == ENGLISH  # too few words to judge


def test_a_real_lecture_the_recogniser_is_unsure_of_keeps_its_words_with_a_notice(caplog):
    """20 s of the lecture video's sound (a hall, clean): English words averaging some 0.43,
    which were all dropped as another language's."""
    lecture = decode_audio(str(shared_file("video_ccby", "physicsworks.webm")))
    audio = decode_audio(lecture.samples[150 * 16000:170 * 16000], name="lecture.wav")
    told = []
    with caplog.at_level(logging.WARNING):
        words = find_words(audio, "auto", None, {"workers": 1}, notices=told)
    assert len(words) >= 30
    assert len(told) == 1 and "\n" not in told[0] and "may not be English" in told[0]
    assert "--language en" in told[0] and language_in_doubt(told)
    assert [r.getMessage() for r in caplog.records if "may not be English" in r.getMessage()] == told


@pytest.fixture
def unsure_words(monkeypatch):
    """pocketsphinx answering every search with "weekend" twice a second at ``confidence``."""
    plugin = get_speech_plugin("pocketsphinx")

    def answer(confidence):
        def words(audio, transcript=None, options=None, progress=None):
            return [Word("weekend", t, t + 0.3, confidence) for t in np.arange(0.2, audio.duration - 0.5, 0.5)]

        monkeypatch.setattr(plugin, "words", words)
        RECENT.clear()

    return answer


def test_words_in_doubt_fire_no_key_poses_of_a_language_and_named_english_they_do(
        unsure_words, scott2_wav, tmp_path):
    audio = decode_audio(decode_audio(str(scott2_wav)).samples[:8 * 16000], name="scott[:8s]")
    pose = {"right_shoulder": [0.0, 0.3, 1.1], "right_elbow": [0.0, 1.9, 0.0]}
    english = tmp_path / "english.json"
    english.write_text(json.dumps({"language": "en", "entries": [
        {"words": ["weekend"], "probability": 1.0, "pose": pose}]}))
    mine = tmp_path / "mine.json"  # no language: the user's, for words in any language
    mine.write_text(json.dumps({"entries": [{"words": ["weekend"], "probability": 1.0, "pose": pose}]}))

    def take(keyposes, language="auto"):
        return generate(audio, GenerateOptions(seed=0, keyposes=str(keyposes), language=language))

    unsure_words(0.42)
    without = generate(audio, GenerateOptions(seed=0, keyposes="none"))
    doubted = take(english)
    assert len(doubted.words) >= 8 and language_in_doubt(doubted.notices)
    assert "may not be English" in doubted.notices[0]
    assert np.array_equal(doubted.motion.poses, without.motion.poses)  # no key pose fired
    named = take(english, language="en")
    assert named.notices == [] and not np.array_equal(named.motion.poses, without.motion.poses)
    assert not np.array_equal(take(mine).motion.poses, without.motion.poses)
    unsure_words(0.60)  # as sure as English: the English key poses fire
    assert not np.array_equal(take(english).motion.poses, without.motion.poses)
