"""Timed Text (TTML; its DFXP and iTunes .itt profiles): the XML captions broadcasters, streaming
services and editors (Premiere Pro, Final Cut Pro) deliver. Each ``<p>`` is a line with its
``begin`` and ``end`` (or ``dur``); its ``<span>`` pieces are its words and ``<br/>`` breaks it.
Times are clock times (``00:00:01.500``; ``00:00:01:12`` in frames at ``ttp:frameRate``) or
offsets (``1.5s``, ``1500ms``, ``36f``, ``10000000t`` in ticks at ``ttp:tickRate``).
"""

import re
from xml.etree import ElementTree

from .errors import TranscriptError
from .lines import timed_line

_PARAMETER = "{http://www.w3.org/ns/ttml#parameter}"
_CLOCK = re.compile(r"^(\d+):(\d{2}):(\d{2})(?:(\.\d+)|:(\d+(?:\.\d+)?))?$")
_OFFSET = re.compile(r"^(\d+(?:\.\d+)?)(h|m|s|ms|f|t)$")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def looks_like_ttml(text):
    head = text.lstrip("\ufeff \t\r\n")[:2000]
    return head.startswith("<") and "http://www.w3.org/ns/ttml" in head and "<tt" in head


def ttml_spans(text, source="captions.ttml"):
    """[(words, start, end)] of each timed paragraph, in the document's order."""
    try:
        root = ElementTree.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise TranscriptError(source, f"not valid XML ({exc})") from None
    rates = (_rate(root, "frameRate", 30, source), _rate(root, "tickRate", 1, source))
    spans = []
    for p in root.iter():
        if _local(p.tag) != "p":
            continue
        begin, end, dur = (p.get(k) for k in ("begin", "end", "dur"))
        if begin is None or (end is None and dur is None):
            raise TranscriptError(source, f"a paragraph without its times: '{_words(p)[:40]}'")
        start = _seconds(begin, rates, source)
        stop = _seconds(end, rates, source) if end is not None else start + _seconds(dur, rates, source)
        spans.append(timed_line(_words(p), start, stop, source, f"'{_words(p)[:40]}'"))
    spans = [span for span in spans if span is not None]
    if not spans:
        raise TranscriptError(source, "holds no timed paragraph with words")
    return spans


def _rate(root, name, default, source):
    """The document's frame or tick rate (``ttp:frameRate``, ``ttp:tickRate``)."""
    value = root.get(f"{_PARAMETER}{name}") or default
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise TranscriptError(source, f"ttp:{name} must be a positive number, got {value!r}")
    return rate


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _words(node):
    """A paragraph's text, its line breaks as spaces."""
    parts = [node.text or ""]
    for child in node:
        parts.append(" " if _local(child.tag) == "br" else _words(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _seconds(value, rates, source):
    frame_rate, tick_rate = rates
    value = value.strip()
    clock = _CLOCK.match(value)
    if clock:
        hours, minutes, seconds, fraction, frames = clock.groups()
        return (int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(fraction or 0)
                + float(frames or 0) / frame_rate)
    offset = _OFFSET.match(value)
    if offset:
        number, unit = float(offset.group(1)), offset.group(2)
        return number / frame_rate if unit == "f" else number / tick_rate if unit == "t" else number * _UNITS[unit]
    raise TranscriptError(source, f"cannot read the time '{value}' (expected 00:00:01.500 or 1.5s)")
