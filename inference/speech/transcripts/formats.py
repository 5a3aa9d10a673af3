"""Tell which transcript format a text is, and read any of them into timed words."""

import os

from ....motion.textfile import transcript_file_text
from ..words import Word
from .errors import TranscriptError
from .ass import ass_spans, looks_like_ass
from .jsonwords import json_lines, looks_like_json, read_json_words
from .labels import label_spans, looks_like_labels
from .ttml import looks_like_ttml, ttml_spans
from .lines import spread
from .subtitles import line_spans, looks_like_sbv, looks_like_srt, looks_like_vtt, sbv_spans
from .textgrid import looks_like_textgrid, word_intervals, word_phones

TIMED_FORMATS = ("textgrid", "srt", "vtt", "sbv", "ass", "ttml", "json", "labels")
TRANSCRIPT_FILES = (".txt", ".lab", ".rtf", ".docx", ".odt", ".textgrid", ".srt", ".vtt", ".ass", ".ssa",
                    ".sbv", ".ttml", ".dfxp", ".itt", ".json")
_EXTENSIONS = {".textgrid": "textgrid", ".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ass",
               ".sbv": "sbv", ".ttml": "ttml", ".dfxp": "ttml", ".itt": "ttml", ".json": "json"}


def detect_format(text, name=None):
    """"textgrid", "srt", "vtt", "sbv", "ass" (also SSA), "ttml" (also DFXP, iTT), "json", "labels"
    (Audacity's), or "" for plain text (a script without times).

    A file name's extension decides when it is one of ours (so a broken .json file is reported
    as broken JSON rather than aligned as speech); otherwise the content does.
    """
    if name:
        ext = os.path.splitext(str(name))[1].lower()
        if ext in _EXTENSIONS:
            return _EXTENSIONS[ext]
    if looks_like_textgrid(text):
        return "textgrid"
    if looks_like_vtt(text):
        return "vtt"
    if looks_like_ass(text):
        return "ass"
    if looks_like_ttml(text):
        return "ttml"
    if looks_like_srt(text):
        return "srt"
    if looks_like_sbv(text):
        return "sbv"
    if looks_like_json(text):
        return "json"
    if looks_like_labels(text):
        return "labels"
    return ""


def subtitle_lines(text, name=None):
    """[(words, start, end)] of each cue of subtitles that time lines rather than words (some
    cue, or span between WebVTT inline times, holds more than one word), in the order they
    start (cues that overlap keep their words together); None for word-level
    subtitles, TextGrids and JSON word lists, whose words carry their own times."""
    spans = _subtitle_spans(text, name)
    if spans is None:
        return None
    spans = sorted(spans, key=lambda span: span[1])
    return spans if any(len(words) > 1 for words, _start, _end in spans) else None


def _subtitle_spans(text, name):
    """[(words, start, end)] of each cue or line of subtitles (SRT, WebVTT, ASS, TTML), of a
    transcription's segments (Whisper's JSON) or of Audacity's labels, else None."""
    kind, source = detect_format(text, name), name or "transcript"
    if kind == "ass":
        return ass_spans(text, source)
    if kind == "ttml":
        return ttml_spans(text, source)
    if kind == "sbv":
        return sbv_spans(text, source)
    if kind == "json":
        return json_lines(text, source)
    if kind == "labels":
        return label_spans(text, source)
    return line_spans(text, kind == "vtt", source) if kind in ("srt", "vtt") else None


def read_timed_words(text, name=None):
    """[(word, start, end, confidence)] from a timed transcript, sorted by start."""
    return [(w.word, w.start, w.end, w.confidence) for w in read_words(text, name)]


def read_words(text, name=None):
    """The Words of a timed transcript, sorted by start, with their phones where the file has
    them (a TextGrid's phones tier, "phones" in JSON words)."""
    source = name or "transcript"
    kind = detect_format(text, name)
    if kind == "textgrid":
        intervals = word_intervals(text, source)
        phones = word_phones(text, intervals, source)
        rows = [Word(w, s, e, 1.0, p) for (s, e, w), p in zip(intervals, phones)]
    elif kind in ("srt", "vtt", "sbv", "ass", "ttml", "labels"):  # each line's time shared
        rows = [Word(w, s, e) for w, s, e in spread(_subtitle_spans(text, name))]
    elif kind == "json":
        rows = read_json_words(text, source)
    else:
        raise TranscriptError(source, "has no word times (expected a TextGrid, SRT, WebVTT, ASS or TTML "
                                      "subtitles, a JSON word list or Audacity labels); a plain "
                                      "script is timed by the pocketsphinx engine")
    return sorted(rows, key=lambda w: (w.start, w.end))


def read_transcript_file(path):
    """The text of a transcript file, whatever its encoding (UTF-8, or UTF-16 as Praat writes)."""
    text, problem = transcript_file_text(path)
    if problem:
        raise TranscriptError(path, problem)
    return text


def transcript_text(value):
    """(text, file name or None) for a transcript given either as a file's path or as the text.

    One word that reads as a path (a folder separator, or a transcript file's extension) but
    names no file is a mistyped file name: refused, not aligned as a one-word script.
    """
    if not value:
        return value, None
    if os.path.isfile(value):
        return read_transcript_file(value), os.path.basename(value)
    suffix = os.path.splitext(value)[1].lower()
    if len(value.split()) == 1 and ("/" in value or os.sep in value or suffix in TRANSCRIPT_FILES):
        problem = "is a folder, not a transcript file" if os.path.isdir(value) else "no such transcript file"
        raise TranscriptError(value, problem)
    return value, None
