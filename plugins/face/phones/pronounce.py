"""Phones for words that came without them (Vosk, subtitles, JSON word lists): the CMU
pronouncing dictionary bundled with pocketsphinx when it is installed, else letter rules, spread
over the word's time with vowels held longer than consonants."""

import functools
import logging
from pathlib import Path

from ....inference.speech.english_text import guess_pronunciation, spoken_words
from .visemes import VOWELS, strip_stress

log = logging.getLogger(__name__)

VOWEL_WEIGHT = 2.0  # a vowel lasts about twice as long as a consonant


@functools.lru_cache(maxsize=1)
def _dictionary():
    """{word: "PH ON ES"} from pocketsphinx's cmudict-en-us.dict (first pronunciation), or {}."""
    try:
        import pocketsphinx
    except ImportError:
        log.info("pocketsphinx is not installed: words without phones are pronounced by letter rules")
        return {}
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    entries = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                word, _, phones = line.partition(" ")
                if phones and "(" not in word:
                    entries.setdefault(word, phones.strip())
    except OSError as exc:
        log.warning("cannot read the pronouncing dictionary %s: %s", path, exc)
    return entries


def pronounce(text):
    """ARPAbet phones (no stress digits) of a written word: "Hello," -> ["HH", "AH", "L", "OW"]."""
    lookup = _dictionary().get
    phones = []
    for word in spoken_words(text):
        found = lookup(word) or guess_pronunciation(word, lookup)
        phones.extend(strip_stress(p) for p in found.split())
    return [p for p in phones if p]


def spread(phones, start, end):
    """[(phone, start, end)] sharing [start, end] seconds, vowels weighted VOWEL_WEIGHT."""
    if not phones:
        return []
    weights = [VOWEL_WEIGHT if p in VOWELS else 1.0 for p in phones]
    total = sum(weights)
    out, t = [], float(start)
    for phone, weight in zip(phones, weights):
        step = (float(end) - float(start)) * weight / total
        out.append((phone, t, t + step))
        t += step
    return out
