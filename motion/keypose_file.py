"""Key-pose dictionary files (JSON) at the file level, standard library only.

The server's reader (inference/generation/keyposes.py) and the add-on's writer (addon/keypose_file.py)
both open a dictionary through these functions, so the add-on reads a file exactly as the
server will. The format::

    {"version": 1,
     "entries": [{"words": ["hello"], "probability": 1.0, "hold": 0.3,
                  "pose": {"right_shoulder": [x, y, z], ...}}]}

A bare list of entries is accepted too, and an entry may name one ``"word"`` instead of a
``"words"`` list. What an entry must hold is checked by inference/generation/keyposes.py.
"""

import json
from pathlib import Path

from .errors import TalkrigError
from .files import not_a_file
from .textfile import decode_text

VERSION = 1
MAX_ENTRIES = 10000  # the bundled dictionary has a few dozen; a person writes hundreds at most
MAX_BYTES = 8 * 1024 * 1024


class KeyPoseError(TalkrigError):
    """A key-pose dictionary is missing, not JSON, or holds an entry talkrig cannot use."""


def read_json(path):
    """The JSON data in the dictionary file ``path``; KeyPoseError when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise KeyPoseError(f"{path}: no such key-pose dictionary")
    if path.is_dir():
        raise KeyPoseError(f"{path}: is a folder, not a key-pose dictionary (.json)")
    problem = not_a_file(path)
    if problem:
        raise KeyPoseError(f"{path}: {problem}")
    if path.stat().st_size > MAX_BYTES:
        raise KeyPoseError(f"{path}: {path.stat().st_size / 1e6:.3g} MB, more than a key-pose dictionary "
                           f"holds (at most {MAX_BYTES / 1e6:.3g} MB)")
    try:
        text = decode_text(path.read_bytes(), latin1=False)  # Notepad's byte-order mark, UTF-16
        if text is None:
            raise KeyPoseError(f"{path}: not a text file (a key-pose dictionary is JSON)")
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyPoseError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise KeyPoseError(f"{path}: arrays or objects nested too deep to read") from None
    except OSError as exc:
        raise KeyPoseError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def entry_list(data, label):
    """The entries of dictionary data (an object's 'entries', or a bare list of entries)."""
    if isinstance(data, list):
        return entry_list({"entries": data}, label)
    if not isinstance(data, dict) or "entries" not in data:
        raise KeyPoseError(f"{label}: not a key-pose dictionary (expected an object with an "
                           "'entries' list)")
    if not isinstance(data["entries"], list):
        raise KeyPoseError(f"{label}: not a key-pose dictionary ('entries' must be a list)")
    if len(data["entries"]) > MAX_ENTRIES:
        raise KeyPoseError(f"{label}: {len(data['entries'])} entries; a key-pose dictionary holds at "
                           f"most {MAX_ENTRIES}")
    return data["entries"]


def entry_words(entry):
    """An entry's words as written: its 'words', or its one 'word' as a list (None if neither)."""
    words = entry.get("words", entry.get("word")) if isinstance(entry, dict) else None
    return [words] if isinstance(words, str) else words
