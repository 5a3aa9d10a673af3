"""Praat TextGrid files (long "ooTextFile" form, short form, UTF-8 or UTF-16): interval tiers.

Both text forms hold the same sequence of values; the long form only adds labels ("xmin =",
"intervals [3]:"). The reader keeps the values (quoted strings, numbers, <exists> flags) and
walks them, so either form parses the same way.
"""

import functools
import re
from dataclasses import dataclass

from ..phoneset import PAUSES, arpabet
from ..words import Phone
from .errors import TranscriptError

_TOKEN = re.compile(  # a value is caught in one of the three groups; the rest carry none
    r'("(?:[^"]|"")*")'  # a string; "" is an escaped quote
    r"|(<\w+>)"  # <exists> / <absent>
    r"|\[\s*\d*\s*\]"  # item [3]: array indices of the long form (labels, ignored)
    r"|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"  # a number
    r"|[A-Za-z_][\w?]*"  # a label (ignored)
    r"|!.*"  # a comment to the end of the line
)


@dataclass
class Tier:
    name: str
    kind: str  # "IntervalTier" or "TextTier"
    items: list  # [(xmin, xmax, text)] for interval tiers, [(time, time, mark)] for point tiers


def looks_like_textgrid(text):
    head = text.lstrip("\ufeff \t\r\n")[:200]
    return head.startswith("File type") and "TextGrid" in head


def read_textgrid(text, source="TextGrid"):
    """All tiers of a TextGrid given as text; TranscriptError naming ``source`` if malformed."""
    values = _values(text)
    reader = _Reader(values, source)
    if reader.string("the file type") != "ooTextFile":
        raise TranscriptError(source, 'not a Praat text TextGrid (expected File type = "ooTextFile")')
    if reader.string("the object class") != "TextGrid":
        raise TranscriptError(source, 'not a TextGrid (expected Object class = "TextGrid")')
    reader.number("xmin")
    reader.number("xmax")
    if reader.flag() != "<exists>":
        return []
    n_tiers = reader.count("the number of tiers")
    tiers = []
    for t in range(n_tiers):
        kind = reader.string(f"the class of tier {t + 1}")
        name = reader.string(f"the name of tier {t + 1}")
        reader.number(f"xmin of tier '{name}'")
        reader.number(f"xmax of tier '{name}'")
        n = reader.count(f"the size of tier '{name}'")
        items = []
        for i in range(n):
            if kind == "IntervalTier":
                start = reader.number(f"xmin of interval {i + 1} in tier '{name}'")
                end = reader.number(f"xmax of interval {i + 1} in tier '{name}'")
                label = reader.string(f"the text of interval {i + 1} in tier '{name}'")
                if end < start:
                    raise TranscriptError(source, f"interval {i + 1} of tier '{name}' ends ({end}) "
                                                  f"before it starts ({start})")
                items.append((start, end, label))
            elif kind == "TextTier":
                time = reader.number(f"the time of point {i + 1} in tier '{name}'")
                items.append((time, time, reader.string(f"the mark of point {i + 1} in tier '{name}'")))
            else:
                raise TranscriptError(source, f"tier {t + 1} has unknown class '{kind}'")
        tiers.append(Tier(name, kind, items))
    return tiers


@functools.lru_cache(maxsize=2)
def _read_once(text, source):
    """read_textgrid's tiers, kept for the words and the phones of one file (read only)."""
    return tuple(read_textgrid(text, source))


def word_intervals(text, source="TextGrid"):
    """[(start, end, word)] of the words tier (named "words" or "word", else the first interval
    tier), pauses (empty intervals) left out."""
    tiers = [t for t in _read_once(text, source) if t.kind == "IntervalTier"]
    if not tiers:
        raise TranscriptError(source, "the TextGrid has no interval tier with words")
    tier = next((t for t in tiers if t.name.strip().lower() in ("words", "word")), tiers[0])
    return [(s, e, w.strip()) for s, e, w in tier.items if w.strip()]


def word_phones(text, words, source="TextGrid"):
    """For each (start, end, word) of ``words``: the tuple of Phone of the TextGrid's phones tier
    (named "phones" or "phone") whose middle lies inside the word; () when the file has no
    phones tier, or when one of the word's labels is not a phone (MFA's "spn" for a word it
    did not know, an unknown symbol): partial phones would put the mouth wrong."""
    tier = next((t for t in _read_once(text, source) if t.kind == "IntervalTier"
                 and t.name.strip().lower() in ("phones", "phone")), None)
    if tier is None:
        return [() for _ in words]
    labelled = [(s, e, label.strip()) for s, e, label in tier.items if label.strip().lower() not in PAUSES]
    middles = [(s + e) / 2 for s, e, _ in labelled]
    result, first = [], 0
    for start, end, _ in words:
        while first < len(middles) and middles[first] < start:
            first += 1
        last = first
        while last < len(middles) and middles[last] <= end:
            last += 1
        symbols = [arpabet(label) for _, _, label in labelled[first:last]]
        if symbols and None not in symbols:
            result.append(tuple(Phone(p, s, e) for p, (s, e, _) in zip(symbols, labelled[first:last])))
        else:
            result.append(())
    return result


def _values(text):
    values = []
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        for string, flag, number in _TOKEN.findall(line):  # labels, indices, comments: all empty
            if string:
                values.append((string[1:-1].replace('""', '"'), line_no))
            elif flag:
                values.append((flag, line_no))
            elif number:
                values.append((float(number), line_no))
    return values


class _Reader:
    def __init__(self, values, source):
        self.values, self.source, self.pos = values, source, 0

    def _next(self, what):
        if self.pos >= len(self.values):
            raise TranscriptError(self.source, f"the file ends before {what} (truncated TextGrid?)")
        value, line = self.values[self.pos]
        self.pos += 1
        return value, line

    def string(self, what):
        value, line = self._next(what)
        if not isinstance(value, str) or value.startswith("<"):
            raise TranscriptError(self.source, f"line {line}: expected {what} as a quoted text, "
                                               f"got {value!r}")
        return value

    def number(self, what):
        value, line = self._next(what)
        if not isinstance(value, float):
            raise TranscriptError(self.source, f"line {line}: expected {what} as a number, got {value!r}")
        return value

    def count(self, what):
        value = self.number(what)
        if value < 0 or value != int(value):
            raise TranscriptError(self.source, f"{what} must be a whole number, got {value}")
        return int(value)

    def flag(self):
        value, line = self._next("the tiers flag")
        if value not in ("<exists>", "<absent>"):
            raise TranscriptError(self.source, f"line {line}: expected <exists> or <absent>, got {value!r}")
        return value
