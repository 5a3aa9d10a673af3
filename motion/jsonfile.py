"""JSON files a user points at (cameras, bone maps, model descriptions, key poses), read within
bounds: a regular file of at most MAX_BYTES, nesting that parses (100 000 brackets deep raise
RecursionError inside ``json``), every failure one line naming the file."""

import json
import os

from .filechecks import not_a_file

MAX_BYTES = 16 * 1024 * 1024  # far beyond any description talkrig writes or reads


class JsonFileError(ValueError):
    """The file cannot be read as JSON; the message names it and says why."""


def read_json(path, what="file", max_bytes=MAX_BYTES):
    """The JSON value in ``path`` (what : the kind of file, for messages)."""
    problem = not_a_file(path)
    if problem:
        raise JsonFileError(f"{path}: {problem}")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise JsonFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise JsonFileError(f"{path}: larger than a {what} can be ({os.path.getsize(path) / 1e6:.3g} MB, "
                            f"at most {max_bytes / 1e6:.3g} MB)")
    return parse_json(data, f"{path}", what)


def parse_json(text, label, what="file"):
    """The JSON value in ``text`` (str or UTF-8 bytes, a BOM allowed); JsonFileError else."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8-sig")
        return json.loads(text.lstrip("\ufeff"))
    except UnicodeDecodeError:
        raise JsonFileError(f"{label}: not a {what} (not UTF-8 text)") from None
    except RecursionError:
        raise JsonFileError(f"{label}: not a {what} (nested too deeply)") from None
    except ValueError as exc:
        raise JsonFileError(f"{label}: not a {what} (not JSON: {str(exc).splitlines()[0][:120]})") from None
