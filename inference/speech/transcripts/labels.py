"""Audacity's label tracks (File > Export > Labels: a .txt of "start<TAB>end<TAB>text" lines), a
word or a line of words each; a point label's start and end are the same. The line Audacity
writes under a label with a frequency range (it begins with a backslash) is skipped.
"""

import re

from .errors import TranscriptError
from .lines import timed_line

_LABEL = re.compile(r"^\s*(\d+(?:[.,]\d*)?)\t(\d+(?:[.,]\d*)?)(?:\t(.*))?$")


def looks_like_labels(text):
    """Every line that is not blank a label (or the frequency line under one), and one at least."""
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    return bool(lines) and all(_LABEL.match(line) or line.startswith("\\") for line in lines)


def label_spans(text, source="labels.txt"):
    """[(words, start, end)] of each label with words, in the file's order."""
    spans = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip() or line.startswith("\\"):
            continue
        match = _LABEL.match(line)
        if match is None:
            raise TranscriptError(source, f"line {number}: not a label (start, end and text "
                                          "separated by tabs, as Audacity exports them)")
        start, end = (float(v.replace(",", ".")) for v in match.group(1, 2))
        spans.append(timed_line(match.group(3) or "", start, end, source, f"line {number}: the label"))
    return [span for span in spans if span is not None]
