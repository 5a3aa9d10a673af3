"""Free recognition over the likeliest words, and the English verdict made on the whole
dictionary's words wherever those leave the language in doubt."""

import logging

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.timing import (
    RECENT, SpeechError, find_words, get_speech_plugin, language_in_doubt,
)
from talkrig.inference.speech.transcripts.formats import read_transcript_file
from talkrig.inference.speech.transcripts.textgrid import word_intervals
from talkrig.inference.speech.words import Word
from talkrig.plugins.speech.pocketsphinx.decoding import RECOGNITION_WORDS


@pytest.fixture(scope="module")
def first_eight_seconds(scott2_wav, scott2_textgrid):
    """The first 8 s of a real take and the reference (start, end, word) ending inside them."""
    audio = decode_audio(scott2_wav)
    reference = [w for w in word_intervals(read_transcript_file(scott2_textgrid)) if w[1] <= 8.0]
    return decode_audio(audio.samples[:8 * 16000], name="scott[:8s]"), reference


def common_words():
    with open(RECOGNITION_WORDS, encoding="utf-8") as lines:
        return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_recognition_searches_the_likeliest_words_or_the_whole_dictionary_when_asked(first_eight_seconds):
    audio, reference = first_eight_seconds
    listed = common_words()
    assert len(listed) == 10_000 and {"the", "so", "time", "play"} <= listed
    common = find_words(audio, "pocketsphinx")
    whole = find_words(audio, "pocketsphinx", options={"vocabulary": "whole"})
    said = {word for _, _, word in reference}
    for words in (common, whole):  # both find most of what was said, where it was said
        assert len({w.word for w in words} & said) >= len(said) // 2
    assert {w.word for w in common} <= listed
    with pytest.raises(SpeechError, match="'vocabulary' must be one of common, whole"):
        find_words(audio, "pocketsphinx", options={"vocabulary": "all"})


def test_a_missing_word_list_is_one_line_saying_how_to_go_on(first_eight_seconds, monkeypatch, tmp_path):
    """A broken install (the package's word list gone): one line naming the file, the way out."""
    from talkrig.plugins.speech.pocketsphinx import decoding

    monkeypatch.setattr(decoding, "RECOGNITION_WORDS", str(tmp_path / "recognition_words.txt"))
    decoding.recognition_dictionary.cache_clear()
    RECENT.clear()
    try:
        with pytest.raises(SpeechError) as raised:
            find_words(first_eight_seconds[0], "pocketsphinx")
    finally:
        decoding.recognition_dictionary.cache_clear()
        RECENT.clear()
    message = str(raised.value)
    assert "\n" not in message and "recognition_words.txt cannot be read" in message
    assert "reinstall talkrig" in message and "vocabulary=whole" in message


@pytest.fixture
def judged(first_eight_seconds, monkeypatch):
    """judge(confidences by vocabulary, engine, heard, **find_words arguments) -> (words,
    vocabularies the engine was run with, notices) for the sound ``heard`` (default the 8 s):
    pocketsphinx answering with a word at each of the reference's places, as sure as
    ``confidences`` says for the vocabulary it was asked to search."""
    audio, reference = first_eight_seconds
    plugin = get_speech_plugin("pocketsphinx")

    def judge(confidences, engine="auto", heard=audio, **arguments):
        runs, told = [], []

        def words(audio, transcript=None, options=None, progress=None):
            vocabulary = (options or {}).get("vocabulary", "common")
            runs.append(vocabulary)
            for fraction in (0.5, 1.0) if progress else ():
                progress(fraction)
            return [Word(f"{vocabulary}{n}", start, end, confidences[vocabulary])
                    for n, (start, end, _) in enumerate(reference)]

        monkeypatch.setattr(plugin, "words", words)
        RECENT.clear()
        found = find_words(heard, engine, notices=told, **arguments)
        return found, runs, told

    return judge


def test_english_sure_with_the_common_words_is_heard_once(judged):
    words, runs, told = judged({"common": 0.6})
    assert runs == ["common"] and told == []
    assert len(words) >= 8 and all(w.word.startswith("common") for w in words)


def test_english_the_common_words_leave_in_doubt_is_judged_on_the_whole_dictionarys(judged, caplog):
    with caplog.at_level(logging.INFO, logger="talkrig.inference.speech.timing"):
        words, runs, told = judged({"common": 0.40, "whole": 0.60})
    assert runs == ["common", "whole"] and told == []
    assert len(words) >= 8 and all(w.word.startswith("whole") for w in words)  # the surer words
    assert any("listening again with vocabulary=whole" in r.getMessage() for r in caplog.records)
    # unsure either way: in doubt, the surer words kept with one notice saying so
    words, runs, told = judged({"common": 0.30, "whole": 0.40})
    assert runs == ["common", "whole"] and len(words) >= 8
    assert all(w.word.startswith("whole") for w in words)
    assert len(told) == 1 and "may not be English" in told[0] and language_in_doubt(told)
    # as unsure as another language's: one notice, no words
    words, runs, told = judged({"common": 0.30, "whole": 0.30})
    assert words == [] and runs == ["common", "whole"]
    assert len(told) == 1 and "does not sound like English" in told[0]
    assert not language_in_doubt(told)


def test_the_second_search_moves_the_words_progress_on(judged):
    """Not back to its start, nor held at its end while the second search runs."""
    fractions = []
    judged({"common": 0.40, "whole": 0.60}, progress=fractions.append)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    first = [f for f in fractions if f <= fractions[1]]
    assert len(first) == 2 and len(fractions) == 4  # each search's own steps, the second's later
    fractions = []
    judged({"common": 0.60}, progress=fractions.append)
    assert fractions == sorted(fractions) and 0.5 <= fractions[-1] < 1.0  # the stage ends after


def test_an_engine_without_a_second_opinion_keeps_its_verdict(judged, monkeypatch):
    """An engine written without ``second_opinion`` (engines need only describe and words)."""
    monkeypatch.setattr(get_speech_plugin("pocketsphinx"), "second_opinion", None)
    words, runs, told = judged({"common": 0.30, "whole": 0.60})
    assert words == [] and runs == ["common"] and len(told) == 1


def test_no_second_search_where_the_recording_is_too_noisy_to_judge(judged, first_eight_seconds):
    """Its words are kept without a notice whatever they average (the same speech under hiss at
    10 dB SNR)."""
    audio, _ = first_eight_seconds
    x = audio.samples
    hiss = np.random.default_rng(0).normal(0.0, np.sqrt(np.mean(x[np.abs(x) > 0.02] ** 2) / 10), x.shape)
    noisy = decode_audio((x + hiss).astype(np.float32), name="hiss.wav")
    words, runs, told = judged({"common": 0.30, "whole": 0.60}, heard=noisy)
    assert runs == ["common"] and told == []
    assert len(words) >= 8 and all(w.word.startswith("common") for w in words)


def test_no_second_search_where_the_language_is_not_judged(judged):
    """English named, or the engine named: the words stand, however unsure."""
    for arguments in ({"language": "en"}, {"engine": "pocketsphinx"}):
        words, runs, told = judged({"common": 0.40, "whole": 0.60}, **arguments)
        assert runs == ["common"] and told == [], arguments
        assert len(words) >= 8 and all(w.word.startswith("common") for w in words), arguments


def test_no_second_search_when_the_whole_dictionary_was_searched_already(judged, caplog):
    """Nor for keyword spotting, which searches no dictionary."""
    with caplog.at_level(logging.INFO, logger="talkrig.inference.speech.timing"):
        words, runs, told = judged({"whole": 0.30}, options={"vocabulary": "whole"})
        assert words == [] and runs == ["whole"] and len(told) == 1
        words, runs, told = judged({"common": 0.30, "whole": 0.60}, options={"mode": "keywords"})
        assert words == [] and runs == ["common"] and len(told) == 1
    assert not any("listening again" in r.getMessage() for r in caplog.records)
