"""Phones for words that came without them (Vosk, subtitles, JSON word lists): the CMU
pronouncing dictionary bundled with pocketsphinx when it is installed, else letter rules, spread
over the word's time with vowels held longer than consonants."""

import functools
import logging
import mmap
from pathlib import Path

from ....inference.speech.english_text import guess_pronunciation, spoken_words
from .visemes import VOWELS, strip_stress

log = logging.getLogger(__name__)

VOWEL_WEIGHT = 2.0  # a vowel lasts about twice as long as a consonant


@functools.lru_cache(maxsize=1)
def _dictionary():
    """Pronunciations of pocketsphinx's cmudict-en-us.dict (first pronunciation of a word), or
    {} without pocketsphinx or the file."""
    try:
        import pocketsphinx
    except ImportError:
        log.info("pocketsphinx is not installed: words without phones are pronounced by letter rules")
        return {}
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    try:
        return Pronunciations(path)
    except (OSError, ValueError) as exc:
        log.warning("cannot read the pronouncing dictionary %s: %s", path, exc)
        return {}


class Pronunciations:
    """get(word) -> "PH ON ES" or None, from a CMU dictionary file sorted by word (a variant
    "word(2)" after its word), by binary search in the memory-mapped file: read into a dict,
    its 134,000 entries took 0.15 s of every process that made a face for a few hundred words."""

    def __init__(self, path):
        with open(path, "rb") as handle:
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._found = {}

    def get(self, word, default=None):
        if word not in self._found:
            self._found[word] = self._find(word.encode("utf-8"))
        found = self._found[word]
        return default if found is None else found

    def _find(self, key):
        data = self._data
        lo, hi = 0, len(data)  # every line starting before lo is of a word < key, from hi on >= key
        while lo < hi:
            start, end = self._line(lo + (hi - lo) // 2)
            if self._word(start, end)[0] < key:
                lo = end + 1
            else:
                hi = start
        while lo < len(data):
            start, end = self._line(lo)
            word, variant, phones = self._word(start, end)
            if word != key:
                return None
            if not variant and phones:
                return phones
            lo = end + 1
        return None

    def _line(self, position):
        """(start, end) of the line holding byte ``position`` (end at its newline)."""
        data = self._data
        start = data.rfind(b"\n", 0, position) + 1
        end = data.find(b"\n", start)
        return start, len(data) if end < 0 else end

    def _word(self, start, end):
        """(word without its "(2)", whether it had one, phones) of one line."""
        line = self._data[start:end]
        word, _, phones = line.partition(b" ")
        cut = word.find(b"(")
        base = word if cut < 0 else word[:cut]
        return base, cut >= 0, phones.strip().decode("utf-8", errors="replace")


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
