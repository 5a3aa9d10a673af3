"""A JSON list of timed words: [{"word": "hello", "start": 0.5, "end": 0.8}, ...].

"confidence" is optional (default 1.0), and so is "phones", a list of {"phone", "start", "end"}
(ARPAbet); {"words": [...]} is accepted too, and "text" may stand for "word". This is also what
``talkrig words --json`` prints, and what Gentle writes (its words not found in the audio timed
between their neighbours, confidence 0; its phones by duration). A transcription's JSON (Whisper's, WhisperX's: {"segments": [...]})
gives its segments as lines, as subtitles do (aligned by the auto engine; read as they are, its
words with their own times where each has them).
"""

import json
import math
import re

from ..phoneset import arpabet
from ..words import Phone, Word
from .errors import TranscriptError
from .lines import spread, timed_line

_PLACE = re.compile(r"_[BIES]$")  # Gentle's mark of a phone's place in its word


def looks_like_json(text):
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return True
    return body.startswith("[") and body[1:].lstrip()[:1] in ("{", "]", "")


def read_json_words(text, source="words.json"):
    """The Words of the JSON text; TranscriptError naming the item that is wrong."""
    data = _loaded(text, source)
    lines = _segment_lines(data, source)
    if lines is not None and not _words_timed(data["segments"]):  # each line's time shared
        return [Word(w, s, e) for w, s, e in spread(lines)]
    if lines is not None:
        data = [w for segment in data["segments"] for w in segment["words"]]
    if isinstance(data, dict) and isinstance(data.get("words"), list):
        data = data["words"]
    if not isinstance(data, list):
        raise TranscriptError(source, 'expected a JSON list of {"word", "start", "end"} objects')
    words, unplaced = [], []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise TranscriptError(source, f"item {i} is a {type(item).__name__}, not an object "
                                          'like {"word": "hi", "start": 0.5, "end": 0.7}')
        text_value = item.get("word", item.get("text"))
        if isinstance(text_value, str):
            text_value = text_value.strip()  # Whisper's words begin with their space
        if not isinstance(text_value, str):
            raise TranscriptError(source, f"item {i} has no \"word\" text")
        if item.get("case", "success") != "success" and "start" not in item:
            unplaced.append(len(words))  # Gentle's word it did not find: timed by its neighbours
            words.append(Word(text_value, 0.0, 0.0, 0.0))
            continue
        where = f"item {i} ('{text_value}')"
        start, end, confidence = _times(item, (("start", None), ("end", None), ("confidence", 1.0)),
                                        source, where)
        phones = _phones(item.get("phones"), start, source, where)
        words.append(Word(text_value, start, end, min(max(confidence, 0.0), 1.0), phones))
    return _between_neighbours(words, unplaced)


def _between_neighbours(words, unplaced):
    """``words`` with each run of unplaced ones (their indices) sharing the time between the
    placed words around it evenly, confidence 0."""
    gone, k = set(unplaced), 0
    while k < len(words):
        if k not in gone:
            k += 1
            continue
        stop = k
        while stop < len(words) and stop in gone:
            stop += 1
        lo = words[k - 1].end if k > 0 else (words[stop].start if stop < len(words) else 0.0)
        hi = words[stop].start if stop < len(words) else lo
        share = (hi - lo) / (stop - k)
        for j in range(k, stop):
            words[j] = Word(words[j].word, lo + share * (j - k), lo + share * (j - k + 1), 0.0)
        k = stop
    return words


def json_lines(text, source="words.json"):
    """[(words, start, end)] of the segments of a transcription (Whisper's, WhisperX's JSON:
    {"segments": [{"start", "end", "text"[, "words"]}]}), its words timed or not (a recogniser's
    word times are rougher than an alignment's); None for a JSON list of words."""
    return _segment_lines(_loaded(text, source), source)


def _loaded(text, source):
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise TranscriptError(source, f"not valid JSON ({where}: {exc.msg})") from None
    except RecursionError:
        raise TranscriptError(source, "arrays or objects nested too deep to read") from None


def _segment_lines(data, source):
    """The segments of a transcription as lines, or None where it is none."""
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        return None
    lines = []
    for i, segment in enumerate(segments, 1):
        if not isinstance(segment, dict) or not isinstance(segment.get("text"), str):
            raise TranscriptError(source, f'segment {i} has no "text"')
        start, end = _times(segment, (("start", None), ("end", None)), source, f"segment {i}")
        lines.append(timed_line(segment["text"], start, end, source, f"segment {i}"))
    return [line for line in lines if line is not None]


def _words_timed(segments):
    """Whether every segment lists its words, each with a start and an end."""
    return all(isinstance(s.get("words"), list) and s["words"] and all(
        isinstance(w, dict) and all(isinstance(w.get(k), (int, float)) and not isinstance(w.get(k), bool)
                                    for k in ("start", "end")) for w in s["words"]) for s in segments)


def _times(item, keys, source, where):
    """The numbers ``keys`` [(key, default)] of one JSON object, with 0 <= start <= end."""
    values = []
    for key, default in keys:
        value = item.get(key, default)
        if value is None:
            raise TranscriptError(source, f"{where} has no \"{key}\"")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TranscriptError(source, f"{where}: \"{key}\" must be a number of seconds, "
                                          f"got {value!r}")
        values.append(float(value))
    if values[0] < 0 or values[1] < values[0]:
        raise TranscriptError(source, f"{where}: needs 0 <= start <= end, got start {values[0]} "
                                      f"and end {values[1]}")
    return values


def _phones(items, word_start, source, where):
    """The Phones of a word's optional "phones" list: each with its start and end, or with its
    "duration" after the phone before it from the word's start (Gentle's; its labels marked
    with their place in the word, "dh_B")."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise TranscriptError(source, f'{where}: "phones" must be a list of '
                                      '{"phone", "start", "end"} objects')
    phones, at = [], word_start
    for k, item in enumerate(items, 1):
        label = item.get("phone") if isinstance(item, dict) else None
        symbol = arpabet(_PLACE.sub("", label)) if isinstance(label, str) else None
        if symbol is None:
            raise TranscriptError(source, f"{where}: phone {k} must be an object with an ARPAbet "
                                          f'"phone" ("AA", "M", ...), got {item!r:.60}')
        if "start" not in item and "duration" in item:
            start, end = at, at + _duration(item, source, f"{where} phone {k}")
        else:
            start, end = _times(item, (("start", None), ("end", None)), source, f"{where} phone {k}")
        phones.append(Phone(symbol, start, end))
        at = end
    return tuple(phones)


def _duration(item, source, where):
    value = item["duration"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise TranscriptError(source, f'{where}: "duration" must be seconds, got {value!r}')
    return float(value)
