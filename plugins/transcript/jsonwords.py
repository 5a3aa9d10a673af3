"""A JSON list of timed words: [{"word": "hello", "start": 0.5, "end": 0.8}, ...].

"confidence" is optional (default 1.0); {"words": [...]} is accepted too, and "text" may stand
for "word". This is also what ``talkrig words --json`` prints.
"""

import json
import math

from .errors import TranscriptError


def looks_like_json(text):
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return True
    return body.startswith("[") and body[1:].lstrip()[:1] in ("{", "]", "")


def read_json_words(text, source="words.json"):
    """[(word, start, end, confidence)] from the JSON text; TranscriptError naming the item."""
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
        values = []
        for key, default in (("start", None), ("end", None), ("confidence", 1.0)):
            value = item.get(key, default)
            if value is None:
                raise TranscriptError(source, f"item {i} ('{text_value}') has no \"{key}\"")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TranscriptError(source, f"item {i} ('{text_value}'): \"{key}\" must be a number "
                                              f"of seconds, got {value!r}")
            values.append(float(value))
        start, end, confidence = values
        if start < 0 or end < start:
            raise TranscriptError(source, f"item {i} ('{text_value}'): needs 0 <= start <= end, "
                                          f"got start {start} and end {end}")
        words.append((text_value, start, end, min(max(confidence, 0.0), 1.0)))
    return words
