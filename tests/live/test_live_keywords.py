"""Live key-pose words (pocketsphinx's recogniser, fed 40 ms at a time) on real speech with
reference word times: the words heard are the ones said, reported shortly after they end; on
silence and noise nothing is heard; pauses end the utterance (which bounds the cost)."""

import numpy as np
import pytest
from support.shared_data import shared_file

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.keyposes import load_keyposes
from talkrig.plugins.speech.pocketsphinx.live_keywords import LiveRecogniser, live_forms
from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

RATE = 16000
CHUNK = 640  # 40 ms


def heard(samples, spotter=None):
    """[(word, start, end, seconds heard when reported)]."""
    spotter = spotter or LiveRecogniser(sorted(load_keyposes("default").index))
    hits = []
    for i in range(0, len(samples), CHUNK):
        hits += [(w.word, w.start, w.end, (i + CHUNK) / RATE) for w in spotter.feed(samples[i:i + CHUNK])]
    return hits


@pytest.fixture(scope="module")
def take():
    """The first 25 s of a real take and its key-pose words [(start, end, entry)]."""
    dictionary = load_keyposes("default")
    grid = shared_file("beat2_scott_train", "2_scott_0_2_2.TextGrid")
    truth = [(w.start, w.end, dictionary.match(w.word)) for w in read_words(read_transcript_file(grid), str(grid))
             if dictionary.match(w.word) and w.end < 25.0]
    wav = shared_file("beat2_scott_train", "2_scott_0_2_2.wav")
    return decode_audio(wav).samples[:25 * RATE], truth, dictionary


def test_words_heard_on_real_speech_are_the_ones_said_soon_after_they_end(take):
    samples, truth, dictionary = take
    hits = heard(samples)
    assert hits, "no key-pose word heard in 25 s of speech holding four"
    for word, start, end, when in hits:
        entry = dictionary.match(word)
        assert any(e is entry and a - 0.3 <= start and end <= b + 0.3 for a, b, e in truth), (word, start)
        assert start < end <= when <= end + 1.0  # reported after the word, not long after


def test_silence_and_noise_bring_no_word_and_pauses_end_the_utterance(take):
    rng = np.random.default_rng(0)
    quiet = np.concatenate([np.zeros(RATE, np.float32), rng.normal(0, 0.02, 4 * RATE).astype(np.float32)])
    spotter = LiveRecogniser(sorted(load_keyposes("default").index))
    assert heard(quiet, spotter) == []
    samples, _, _ = take
    heard(samples[:6 * RATE], spotter)  # the take has a pause near 5 s
    assert 0 < spotter.utterance < spotter.heard  # a new utterance began at a pause


def test_listens_for_forms_of_the_words_only():
    forms = live_forms(["huge", "big", "rise"])
    assert {"huge", "big", "bigger", "rising"} <= set(forms)
    assert not {"hugs", "biggs"} & set(forms)  # forms of other words, names
