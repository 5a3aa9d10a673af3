"""Advanced SubStation Alpha (.ass) and SubStation Alpha (.ssa) subtitles, as Aegisub writes
them: each ``Dialogue:`` event of the ``[Events]`` section is a line of words with its start and
end; its fields are named by the section's ``Format:`` line, the text last (it may hold commas).
Override blocks (``{\\i1}``, karaoke's ``{\\k20}``) are not said; ``\\N``, ``\\n`` and ``\\h``
break or space the line.
"""

import re

from .errors import TranscriptError
from .lines import timed_line

_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?\s*$")
_BREAKS = re.compile(r"\\[Nnh]")
_DEFAULT_FIELDS = ("layer", "start", "end", "style", "name", "marginl", "marginr", "marginv",
                   "effect", "text")


def looks_like_ass(text):
    return text.lstrip("\ufeff \t\r\n")[:13].lower() == "[script info]"


def ass_spans(text, source="subtitles.ass"):
    """[(words, start, end)] of each Dialogue event, in the file's order."""
    fields, section, spans = _DEFAULT_FIELDS, "", []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped.lower()
        elif section == "[events]" and stripped.lower().startswith("format:"):
            fields = tuple(f.strip().lower() for f in stripped.split(":", 1)[1].split(","))
            if not {"start", "end", "text"} <= set(fields) or fields[-1] != "text":
                raise TranscriptError(source, f"line {number}: the events' Format must name Start, "
                                              "End and, last, Text")
        elif section == "[events]" and stripped.lower().startswith("dialogue:"):
            spans.append(_event(stripped.split(":", 1)[1], fields, source, number))
    spans = [span for span in spans if span is not None]
    if not spans:
        raise TranscriptError(source, "holds no Dialogue lines with words in its [Events] section")
    return spans


def _event(value, fields, source, number):
    parts = value.split(",", len(fields) - 1)
    if len(parts) < len(fields):
        raise TranscriptError(source, f"line {number}: a Dialogue line with {len(parts)} of the "
                                      f"{len(fields)} fields its Format names")
    event = dict(zip(fields, parts))
    return timed_line(_BREAKS.sub(" ", event["text"]), _seconds(event["start"], source, number),
                      _seconds(event["end"], source, number), source, f"line {number}: the line")


def _seconds(value, source, number):
    match = _TIME.match(value)
    if not match:
        raise TranscriptError(source, f"line {number}: cannot read the time '{value.strip()}' "
                                      "(expected 0:00:01.50)")
    hours, minutes, seconds, fraction = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")
