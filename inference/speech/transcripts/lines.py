"""Timed lines of words (subtitles' cues, a transcription's segments, Audacity's labels): their
words given a share of each line's time, or an alignment of them checked against the lines.
"""

import re
from difflib import SequenceMatcher

import numpy as np

from .errors import TranscriptError
from .syllables import spread_words
from .unspoken import spoken_text

# An aligned word this far outside its line (after the lines' common lead) has strayed
LINE_SLACK = 1.0  # seconds


def timed_line(text, start, end, source, where):
    """(the words said, start, end) of one timed line of a transcript, None where it says
    nothing (a sound cue, a speaker's mark); TranscriptError naming ``where`` when it ends
    before it starts."""
    if end < start:
        raise TranscriptError(source, f"{where} ends ({end:.3f} s) before it starts ({start:.3f} s)")
    said = spoken_text(text)[0].split()
    return (said, start, end) if said else None


def spread(spans):
    """[(word, start, end)] of each line's words sharing its time by syllable count."""
    return [timed for tokens, start, end in spans for timed in spread_words(tokens, start, end)]


def share_astray(words, lines, slack=LINE_SLACK):
    """The share of ``lines``' words ((words, start, end) each) that ``words`` (timed some other
    way, in order) place more than ``slack`` seconds outside their line, once the lines are
    moved by the words' median lead on them (subtitles shown early or late all along); 1.0
    when under half of the lines' words are found among ``words``."""
    said = [(_plain(w), line) for line in lines for w in line[0]]
    matcher = SequenceMatcher(None, [p for p, _line in said], [_plain(w.word) for w in words],
                              autojunk=False)
    pairs = [(said[a + k][1], words[b + k].start) for a, b, size in matcher.get_matching_blocks()
             for k in range(size)]
    if not said or len(pairs) < len(said) / 2:
        return 1.0
    lead = float(np.median([start - (line[1] + line[2]) / 2.0 for line, start in pairs]))
    astray = [start - lead < line[1] - slack or start - lead > line[2] + slack for line, start in pairs]
    return sum(astray) / len(pairs)


def _plain(word):
    return re.sub(r"[^\w']", "", word.lower())
