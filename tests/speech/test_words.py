"""Words and their phones: the JSON form every shell (CLI, server, add-on) passes around."""

from talkrig.inference.speech.timing import tidy_words
from talkrig.inference.speech.words import Phone, Word, words_from_json, words_to_json


def test_phones_survive_json_round_trip():
    word = Word("ma", 1.0, 1.4, 1.0, (Phone("M", 1.0, 1.1), Phone("AA", 1.1, 1.4)))
    data = words_to_json([word, Word("uh", 2.0, 2.2, 0.0)])
    assert data[0]["phones"] == [{"phone": "M", "start": 1.0, "end": 1.1},
                                 {"phone": "AA", "start": 1.1, "end": 1.4}]
    assert "phones" not in data[1]
    assert words_from_json(data) == [word, Word("uh", 2.0, 2.2, 0.0)]


def test_tidy_words_keeps_phones_inside_their_word_and_the_audio():
    word = Word("ma", 1.0, 1.4, 1.0, (Phone("M", 0.9, 1.1), Phone("AA", 1.1, 1.6)))
    (tidy,) = tidy_words([word], duration=1.3)
    assert tidy.end == 1.3
    assert tidy.phones == (Phone("M", 1.0, 1.1), Phone("AA", 1.1, 1.3))
