"""What a script or a subtitle writes but nobody says, left out before its words are timed.

Dialogue scripts and captions carry directions for the performer and the viewer: in brackets
(``[laughs]``, ``(whispering)``, ``{music}``, ``*sighs*``, ``♪ ... ♪``, ``（笑）``), speakers' names at the
start of a line (``SCOTT:``; ``Ann:`` where it starts two lines or more; YouTube's ``>>``, a
dialogue dash) and a transcript's timestamps at the start of its lines (``[00:01]``; ``00:01:23``
where two lines or more start with one). Aligned as words, each is a word nobody says: it gets
an invented time and pulls its neighbours off theirs.
"""

import re
from collections import Counter

# brackets of every kind, the full-width ones of Chinese and Japanese scripts too ("（笑）")
_BRACKETED = re.compile(r"\[[^\[\]\n]*\]|\([^()\n]*\)|\{[^{}\n]*\}|\*[^*\n]+\*|[♪♫][^♪♫\n]*[♪♫]|[♪♫]"
                        r"|（[^（）\n]*）|［[^［］\n]*］|【[^【】\n]*】|〔[^〔〕\n]*〕")
_SAID_NUMBER = re.compile(r"^\([\d\s.,-]+\)$")  # a number in parentheses, a phone's area code
_COLON = r"\s*(?::(?=\s|$)|：)"  # a name's colon: a space after it, or the full-width one
_CAPITAL_LABEL = re.compile(rf"^(\s*)([A-Z][A-Z0-9 .'&-]*[A-Z0-9.]){_COLON}")
# a name: a capital or a letter of a script without case, up to three words ("李雷：")
_ANY_LABEL = re.compile(rf"^(\s*)((?:[A-Z]|[^\W\d_a-z])[\w.'&-]{{0,19}}(?: [\w.'&-]+){{0,2}}){_COLON}")
_TIME = r"\d{1,2}:\d{2}(?::\d{2}){0,2}(?:[.,]\d+)?"  # 0:03, 00:01:23.4, a timecode 00:00:05:12
_STAMP = re.compile(rf"^(\s*)({_TIME})(?=\s|$)")
_MARK = re.compile(r"^(\s*)(>>+|-)(?=\s|$)")
_BRACKETED_STAMP = re.compile(rf"^(\s*)([\[(]{_TIME}[\])])(?=\s|$)")
_NAME_LINE = re.compile(r"^\s*\w[\w'-]*(?: [\w'-]+){0,2}\s*$")  # a few words, no punctuation
# a line of a time range alone ("00:00:00:00 - 00:00:05:12", as an editor exports a transcript)
_RANGE_LINE = re.compile(rf"^\s*[\[(]?{_TIME}[\])]?\s*(?:-|–|—|-->|to)\s*[\[(]?{_TIME}[\])]?\s*$")


def spoken_text(text):
    """(``text`` less what is written but not said, [what was left out]). Line starts are read
    line by line; unbracketed times count where two lines or more start with one (``9:30 is
    late`` alone is said), mixed-case names where one of them starts two lines or more."""
    left_out = []

    def drop(match):
        if _SAID_NUMBER.match(match.group(0)):
            return match.group(0)  # "(555) 123-4567": said
        left_out.append(" ".join(match.group(0).split()))
        return " "

    text = _without_time_ranges(text.split("\n"), left_out)
    timed, named = _layout(text.split("\n"))  # read before the brackets go: "[00:01] Ann:"
    lines = _BRACKETED.sub(drop, text).split("\n")
    kept = []
    for line in lines:
        while True:
            found = _line_start(line, timed, named)
            if found is None:
                break
            left_out.append(" ".join(found.group(0).split()))
            line = " " + line[found.end():]
        kept.append(line)
    return "\n".join(kept), left_out


def _without_time_ranges(lines, left_out):
    """The text less its lines of a time range alone and, where two of them or more are each
    followed by a line of a few words without punctuation, those lines: a speaker's name, as an
    editor's transcript export puts it ("00:00:00:00 - 00:00:05:12", "Speaker 1")."""
    ranges = [k for k, line in enumerate(lines) if _RANGE_LINE.match(line)]
    names = [k + 1 for k in ranges if k + 1 < len(lines) and _NAME_LINE.match(lines[k + 1])
             and k + 2 < len(lines) and lines[k + 2].strip() and not _RANGE_LINE.match(lines[k + 2])]
    dropped = set(ranges) | (set(names) if len(names) >= 2 else set())
    left_out.extend(" ".join(lines[k].split()) for k in sorted(dropped))
    return "\n".join("" if k in dropped else line for k, line in enumerate(lines))


def _layout(lines):
    """(two lines or more start with a time, names are labels: one starts two lines or more,
    or two lines or more start with a time and a name)."""
    stamps, names, timed_names = 0, Counter(), 0
    for line in lines:
        stamp = _STAMP.match(line) or _BRACKETED_STAMP.match(line)
        if stamp:
            stamps += 1
            line = line[stamp.end():]
        label = _ANY_LABEL.match(line)
        if label:
            names[label.group(2)] += 1
            timed_names += bool(stamp)
    return stamps >= 2, timed_names >= 2 or any(count >= 2 for count in names.values())


def _line_start(line, timed, named):
    """The match of a speaker mark, a time or a name at the start of ``line``, or None."""
    for pattern, counts in ((_MARK, True), (_STAMP, timed), (_CAPITAL_LABEL, True), (_ANY_LABEL, named)):
        found = pattern.match(line)
        if found and counts:
            return found
    return None
