"""From a written script to dictionary words for alignment: numbers, punctuation, unknown words."""

import pytest

from talkrig.inference.speech.english_text import (
    guess_pronunciation, number_words, spoken_words, tokenize,
)


def test_tokens_keep_what_the_user_wrote():
    assert tokenize("Hello, world! — it\u2019s 5 o'clock...") == ["Hello,", "world!", "it's", "5", "o'clock..."]


@pytest.mark.parametrize("token,words", [
    ("Hello,", ["hello"]), ("it's", ["it's"]), ("5", ["five"]), ("42", ["forty", "two"]),
    ("1,250", ["one", "thousand", "two", "hundred", "fifty"]), ("1990,", ["nineteen", "ninety"]),
    ("2005", ["two", "thousand", "five"]), ("1905", ["nineteen", "oh", "five"]),
    ("3.5%", ["three", "point", "five", "percent"]), ("$20", ["twenty", "dollars"]),
    ("21st", ["twenty", "first"]), ("3rd", ["third"]), ("rock-and-roll", ["rock", "and", "roll"]),
    ("&", ["and"]), ("x86", ["x", "eighty", "six"]),
    ("Dr.", ["doctor"]), ("Mrs.", ["missus"]), ("vs.", ["versus"]), ("e.g.,", ["for", "example"]),
    ("1990s", ["nineteen", "nineties"]), ("'90s", ["nineties"]), ("10:30", ["ten", "thirty"]),
    ("9:05", ["nine", "oh", "five"]), ("5pm", ["five", "p", "m"]), ("$5.50", ["five", "dollars", "fifty"]),
    ("$1", ["one", "dollar"]), ("£20", ["twenty", "pounds"]), ("-5", ["minus", "five"]),
    ("Ummm,", ["um"]), ("uhh", ["uh"]), ("Hmmm...", ["hmm"]), ("erm", ["um"]), ("umbrella", ["umbrella"]),
    ("1999-2001", ["nineteen", "ninety", "nine", "two", "thousand", "one"]), ("\u2014", []),
])
def test_spoken_words(token, words):
    assert spoken_words(token) == words


def test_number_words():
    assert number_words(0) == ["zero"]
    assert number_words(1_000_017) == ["one", "million", "seventeen"]


def test_unknown_words_get_pronunciations_from_pieces_and_letter_rules():
    dictionary = {"know": "N OW", "shop": "SH AA P", "talk": "T AO K"}
    lookup = dictionary.get
    assert guess_pronunciation("yknow", lookup) == "Y N OW"
    assert guess_pronunciation("talkshop", lookup) == "T AO K SH AA P"
    assert guess_pronunciation("blorft", lookup) == "B L AO R F T"
    assert guess_pronunciation("knife", lookup) == "N IH F"  # silent k, silent final e
    assert guess_pronunciation("''", lookup) == "AH"  # never empty
