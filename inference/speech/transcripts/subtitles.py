"""SubRip (.srt), WebVTT (.vtt) and YouTube's SubViewer (.sbv) subtitles: cues of words, each
word or each line timed.

A cue holding one word is word-level timing; a cue holding a line is spread over its words by
syllable count (the words' own times are then found by aligning them to the voice: see
speech.timing.find_words). WebVTT inline timestamps (``<00:00:01.500>``, as in karaoke-style
captions) time the words that follow them. Roll-up captions (YouTube's, a live captioner's)
show each line again in the next cue: its words are read once.
"""

import re

from .errors import TranscriptError
from .lines import timed_line
from .unspoken import spoken_text

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")
_SBV_TIMING = re.compile(rf"^\s*{_TIME}\s*,\s*{_TIME}\s*$")
_INLINE = re.compile(r"<((?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3})>")
_INLINE_GROUPS = re.compile(rf"^{_TIME}$")
# A cue this short that repeats the line before is roll-up captions' flash of the finished line
FLASH = 0.1  # seconds
_TAG = re.compile(r"</?[^>]*>|\{\\[^}]*\}")  # <i>, <c.x>, <v Name>, {\an8}


def looks_like_srt(text):
    lines = [l for l in text.lstrip("\ufeff").splitlines() if l.strip()][:3]
    return any(_TIMING.match(l) for l in lines) and not looks_like_vtt(text)


def looks_like_sbv(text):
    """YouTube's SubViewer captions (.sbv): "0:00:01.000,0:00:03.000" above each cue's text."""
    first = next((l for l in text.lstrip("\ufeff").splitlines() if l.strip()), "")
    return bool(_SBV_TIMING.match(first))


def sbv_spans(text, source="captions.sbv"):
    """[(words, start, end)] of each SubViewer cue."""
    spans = []
    for first, lines in _blocks(text.lstrip("\ufeff"), vtt=False):
        match = _SBV_TIMING.match(lines[0])
        if not match:
            raise TranscriptError(source, f"line {first}: a cue without its '0:00:01.000,0:00:03.000' "
                                          "time line")
        spans.append(timed_line("\n".join(lines[1:]), _seconds(match.groups()[:4]),
                                _seconds(match.groups()[4:]), source, f"line {first}: the cue"))
    return [span for span in spans if span is not None]


def looks_like_vtt(text):
    return text.lstrip("\ufeff \t\r\n").startswith("WEBVTT")


def line_spans(text, vtt, source="subtitles"):
    """[(words, start, end)] of each cue, or of each span between a cue's WebVTT inline times."""
    return _read_cues(_vtt_body(text, source) if vtt else text, source, vtt)


def _vtt_body(text, source):
    body = text.lstrip("\ufeff")
    if not body.lstrip().startswith("WEBVTT"):
        raise TranscriptError(source, "a WebVTT file must start with 'WEBVTT'")
    return body


def _seconds(groups):
    hours, minutes, seconds, fraction = groups
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
            + int(fraction.ljust(3, "0")) / 1000.0)


def _blocks(text, vtt):
    """(first line number, [lines]) of each block: SubRip's end at a blank line; WebVTT's at an
    empty one (a line of spaces is cue text, as YouTube's captions write it) or where a line
    holds the next cue's times."""
    block, first = [], 0
    for number, line in enumerate(text.splitlines(), 1):
        ends = line == "" if vtt else not line.strip()
        if vtt and "-->" in line and any("-->" in held for held in block):
            ends = True
        if ends and block:
            yield first, block
            block = []
        if not ends or (vtt and line):
            if not block:
                first = number
            block.append(line.rstrip())
    if block:
        yield first, block


def _read_cues(text, source, vtt):
    """[(words, start, end)] of each cue, or of each span between a cue's inline times."""
    spans = []
    previous = None  # the cue before's last line, plain: roll-up captions show it again
    for first, lines in _blocks(text, vtt):
        if not any(line.strip() for line in lines) or (
                vtt and lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
            continue
        timing_at = next((i for i, l in enumerate(lines[:2]) if "-->" in l), None)
        if timing_at is None:
            what = "cue" if vtt else "subtitle"
            raise TranscriptError(source, f"line {first}: {what} without a 'start --> end' time line")
        match = _TIMING.match(lines[timing_at])
        if not match:
            mark = "." if vtt else ","  # WebVTT's decimal point, SubRip's comma
            raise TranscriptError(source, f"line {first + timing_at}: cannot read the times in "
                                          f"'{lines[timing_at].strip()}' (expected "
                                          f"00:00:01{mark}500 --> 00:00:02{mark}000)")
        start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
        if end < start:
            raise TranscriptError(source, f"line {first + timing_at}: the cue ends ({end:.3f} s) "
                                          f"before it starts ({start:.3f} s)")
        shown = [line for line in lines[timing_at + 1:] if line.strip()]
        said = _said_anew(shown, previous, end - start)
        previous = _plain_line(shown[-1]) if shown else previous
        text, _directions = spoken_text("\n".join(said))  # [MUSIC], (laughs), >> and names
        spans.extend(_cue_spans(" ".join(text.split("\n")), start, end, source, first + timing_at))
    return spans


def _said_anew(shown, previous, seconds):
    """The lines of a cue less the one roll-up captions (YouTube's, a live captioner's) carry
    over from the cue before (``previous``, plain): shown again above the new line, or alone
    for an instant. Its words were said once, in the cue before."""
    if shown and previous and _plain_line(shown[0]) == previous:
        if len(shown) > 1:
            return shown[1:]
        if seconds <= FLASH:
            return []
    return shown


def _plain_line(line):
    return " ".join(_TAG.sub(" ", _INLINE.sub(" ", line)).lower().split())


def _cue_spans(text, start, end, source, line):
    """[(words, start, end)] of one cue: the whole cue, or the spans its inline times mark."""
    pieces = _INLINE.split(text)  # text, time, text, time, text ...
    marks = [start] + [_seconds(_INLINE_GROUPS.match(t).groups()) for t in pieces[1::2]]
    spans = pieces[0::2]
    timed = []
    for i, span in enumerate(spans):
        span_start = marks[i]
        span_end = marks[i + 1] if i + 1 < len(marks) else end
        if span_end < span_start:
            raise TranscriptError(source, f"line {line}: inline time {span_end:.3f} s is before "
                                          f"{span_start:.3f} s")
        tokens = _TAG.sub(" ", span).split()
        if tokens:
            timed.append((tokens, span_start, max(span_start, min(span_end, end))))
    return timed
