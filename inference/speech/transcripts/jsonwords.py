"""A JSON list of timed words: [{"word": "hello", "start": 0.5, "end": 0.8}, ...].

"confidence" is optional (default 1.0), and so is "phones", a list of {"phone", "start", "end"}
(ARPAbet); {"words": [...]} is accepted too, and "text" may stand for "word". This is also what
``talkrig words --json`` prints.
"""

import json
import math

from ..phoneset import arpabet
from ..words import Phone, Word
from .errors import TranscriptError


def looks_like_json(text):
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return True
    return body.startswith("[") and body[1:].lstrip()[:1] in ("{", "]", "")


def read_json_words(text, source="words.json"):
    """The Words of the JSON text; TranscriptError naming the item that is wrong."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise TranscriptError(source, f"not valid JSON ({where}: {exc.msg})") from None
    except RecursionError:
        raise TranscriptError(source, "arrays or objects nested too deep to read") from None
    if isinstance(data, dict) and isinstance(data.get("words"), list):
        data = data["words"]
    if not isinstance(data, list):
        raise TranscriptError(source, 'expected a JSON list of {"word", "start", "end"} objects')
    words = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise TranscriptError(source, f"item {i} is a {type(item).__name__}, not an object "
                                          'like {"word": "hi", "start": 0.5, "end": 0.7}')
        text_value = item.get("word", item.get("text"))
        if not isinstance(text_value, str):
            raise TranscriptError(source, f"item {i} has no \"word\" text")
        where = f"item {i} ('{text_value}')"
        start, end, confidence = _times(item, (("start", None), ("end", None), ("confidence", 1.0)),
                                        source, where)
        phones = _phones(item.get("phones"), source, where)
        words.append(Word(text_value, start, end, min(max(confidence, 0.0), 1.0), phones))
    return words


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


def _phones(items, source, where):
    """The Phones of a word's optional "phones" list."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise TranscriptError(source, f'{where}: "phones" must be a list of '
                                      '{"phone", "start", "end"} objects')
    phones = []
    for k, item in enumerate(items, 1):
        label = item.get("phone") if isinstance(item, dict) else None
        symbol = arpabet(label) if isinstance(label, str) else None
        if symbol is None:
            raise TranscriptError(source, f"{where}: phone {k} must be an object with an ARPAbet "
                                          f'"phone" ("AA", "M", ...), got {item!r:.60}')
        start, end = _times(item, (("start", None), ("end", None)), source, f"{where} phone {k}")
        phones.append(Phone(symbol, start, end))
    return tuple(phones)
