"""Spread a line's words over its time span in proportion to their syllables.

Subtitles often time whole lines; words are then given times by how long they take to say,
which syllable counts estimate well enough for gesture timing.
"""

import re

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def count_syllables(word):
    """Rough syllable count of one written word (>= 1): vowel groups for Latin script, one per
    character for Hangul/CJK/kana, digits read one by one."""
    text = word.lower()
    syllables = sum(1 for ch in text if _is_syllabic_char(ch))
    letters = re.sub(r"[^a-z]", "", text)
    if letters:
        groups = len(_VOWEL_GROUPS.findall(letters))
        if letters.endswith("e") and not letters.endswith(("le", "ee", "ye")) and groups > 1:
            groups -= 1  # silent final e: "make", "time"
        syllables += max(groups, 1)
    syllables += sum(ch.isdigit() for ch in text)
    return max(syllables, 1)


def _is_syllabic_char(ch):
    code = ord(ch)
    return (0xAC00 <= code <= 0xD7A3  # Hangul syllables
            or 0x3040 <= code <= 0x30FF  # kana
            or 0x4E00 <= code <= 0x9FFF)  # CJK ideographs


def spread_words(words, start, end):
    """[(word, start, end)] for ``words`` sharing [start, end] by syllable count, no gaps."""
    if not words:
        return []
    counts = [count_syllables(w) for w in words]
    total = float(sum(counts))
    span = max(0.0, end - start)
    timed, done = [], 0
    for word, count in zip(words, counts):
        w_start = start + span * done / total
        done += count
        timed.append((word, w_start, start + span * done / total))
    return timed
