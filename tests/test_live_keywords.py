"""Live keyword spotting (pocketsphinx) with the shipped thresholds, on speech made here with
eSpeak NG in two accents: a long key-pose word is heard once spoken, shortly after it ends,
and sentences without key-pose words bring no false alarm."""

import numpy as np
import pytest
from speech_synth import speak

from talkrig.inference.audio import resample
from talkrig.inference.keyposes import load_keyposes
from talkrig.plugins.pocketsphinx.live_keywords import LiveSpotter, keyphrase_list, live_forms

RATE = 16000
CHUNK = 640  # 40 ms
NEGATIVES = ("the weather was warm and the river was calm this morning",
             "please close the window before the rain comes in")


def spoken(text, voice):
    samples, rate = speak(text, voice, 160)
    pause = np.zeros(RATE // 2, np.float32)
    return np.concatenate([pause, resample(samples, rate, RATE).astype(np.float32), pause])


def heard(samples):
    """[(word, start, end, seconds heard when reported)]."""
    spotter = LiveSpotter(sorted(load_keyposes("default").index))
    hits = []
    for i in range(0, len(samples), CHUNK):
        hits += [(w.word, w.start, w.end, (i + CHUNK) / RATE) for w in spotter.feed(samples[i:i + CHUNK])]
    return hits


@pytest.mark.parametrize("voice", ["en-US", "en-GB-x-rp"])
def test_a_long_key_pose_word_is_heard_once_spoken(voice):
    samples = spoken("prices will increase again next year", voice)
    hits = [h for h in heard(samples) if h[0] == "increase"]
    assert hits, "increase was not heard"
    word, start, end, when = hits[0]
    assert 0.5 < start < end <= when <= end + 0.5  # reported after the word, not long after


@pytest.mark.parametrize("voice", ["en-US", "en-GB-x-rp"])
def test_speech_without_key_pose_words_brings_no_false_alarm(voice):
    assert heard(np.concatenate([spoken(text, voice) for text in NEGATIVES])) == []


def test_listens_for_forms_of_the_words_only():
    forms = live_forms(["huge", "big", "rise"])
    assert {"huge", "big", "bigger", "rising"} <= set(forms)
    assert not {"hugs", "biggs"} & set(forms)  # forms of other words, names
    text = keyphrase_list({"i": "AY", "increase": "IH N K R IY S"}, {"i": None})
    assert text == "increase /1e-20/\n"  # a form without a threshold is not listened for
