"""The words a speech engine found, kept on disk for the next process that needs them.

Recognising a minute of speech takes pocketsphinx some 7 s of CPU, where the take itself takes
0.3 s; :mod:`.recent_words` spares a second take of the same line that wait within one process.
This keeps the words in the user's cache folder, so a take of the same recording after a new
start (the command line run again with another seed, Blender opened again, a batch baked again
with other settings) skips the engine too.

A file is named by a hash of what the words depend on: the engine, the sound, the script, the
options, the engine's own :meth:`~.timing.SpeechPlugin.fingerprint` (its library's version, its
model) and the files of the code that finds them (the engine's package with its data,
``inference/speech`` and ``inference/audio``), so words kept by other code are never read. An
engine without a fingerprint (reading a timed transcript: quicker than a file; a third-party
engine, which may not find the same words twice) is not kept. At most ``KEPT_FILES`` files are
kept, the least recently used dropped first. ``TALKRIG_WORDS_CACHE`` names another folder, or
``off``. A file that cannot be read is ignored and a folder that cannot be written only costs
the next process the engine's time: words are never lost for it.
"""

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from ...userdirs import cache_dir
from .words import words_from_json, words_to_json

log = logging.getLogger(__name__)

FOLDER_ENV = "TALKRIG_WORDS_CACHE"
OFF = {"", "0", "off", "no", "none", "false"}
KEPT_FILES = 400  # some 16 KB for a minute of recognised speech: 7 MB for 400 such
FORMAT = 1  # the files' layout
HASHED_BYTES = 1 << 20  # the code's files are hashed whole up to this size


def release(distribution):
    """"NAME VERSION" of the installed ``distribution`` (an engine's fingerprint, or its start),
    or None when its version cannot be told (then the engine's words are not kept)."""
    from importlib import metadata

    try:
        return f"{distribution} {metadata.version(distribution)}"
    except (metadata.PackageNotFoundError, ValueError):
        return None


def folder_stamp(path):
    """The files in the folder ``path`` (a model) by name, size and time: a model changed in
    place gets another stamp."""
    root = Path(path).resolve()
    entries = []
    for parent, _, files in os.walk(root):
        for name in files:
            stat = os.stat(os.path.join(parent, name))
            entries.append((os.path.relpath(os.path.join(parent, name), root), stat.st_size,
                            stat.st_mtime_ns))
    return f"{root} {hashlib.sha256(repr(sorted(entries)).encode()).hexdigest()}"


def folder():
    """Where words are kept: $TALKRIG_WORDS_CACHE, else the user's cache folder's ``words``;
    None when turned off."""
    value = os.environ.get(FOLDER_ENV)
    if value is None:
        return cache_dir() / "words"
    if value.strip().lower() in OFF:
        return None
    return Path(value).expanduser()


def file_name(plugin, key, options):
    """The file name for ``key`` (:meth:`.recent_words.RecentWords.key`), or None when this
    engine's words are not kept on disk."""
    fingerprint_of = getattr(plugin, "fingerprint", None)
    if not callable(fingerprint_of):
        return None
    try:
        fingerprint = fingerprint_of(options)
    except Exception as exc:  # a third-party engine's fingerprint must not stop its words
        log.debug("speech engine %s: fingerprint() failed: %s", getattr(plugin, "name", ""), exc)
        return None
    if not fingerprint:
        return None
    here = Path(__file__).parent
    try:
        code = [_source_hash(str(p)) for p in (_engine_code(plugin), here, here.parent / "audio")]
    except OSError as exc:  # code that cannot be read (a zipped package): its words not kept
        log.debug("speech engine %s: its code cannot be hashed: %s", getattr(plugin, "name", ""),
                  exc)
        return None
    text = json.dumps([FORMAT, str(fingerprint), code, list(key)], default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json"


def _engine_code(plugin):
    """The engine's code: its module's folder when it is part of a package, else its file."""
    module = sys.modules.get(type(plugin).__module__)
    source = getattr(module, "__file__", None)
    if not source:
        return ""
    return Path(source).parent if "." in module.__name__ else Path(source)


@functools.lru_cache(maxsize=None)
def _source_hash(where):
    """A hash of the files in the folder (its code and data, such as a word list) or of the
    file ``where``, read once per process; a file over HASHED_BYTES (a model) by its size and
    time instead of its bytes."""
    if not where:
        return ""
    path = Path(where)
    digest = hashlib.sha256()
    for source in sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]:
        stat = source.stat()
        digest.update(source.name.encode("utf-8"))
        digest.update(source.read_bytes() if stat.st_size <= HASHED_BYTES
                      else f"{stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def load(name):
    """(words, warnings) kept under ``name``, or None (none kept, turned off, unreadable)."""
    where = folder()
    if where is None or name is None:
        return None
    path = where / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = words_from_json(data["words"]), [str(w) for w in data["warnings"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.info("ignoring the kept words in %s (%s)", path, exc)
        return None
    try:
        os.utime(path)  # recently used: dropped last
    except OSError:
        pass
    return found


def store(name, words, warnings):
    """Keep ``words`` and ``warnings`` under ``name`` (written whole or not at all), then drop
    the least recently used files beyond KEPT_FILES. A folder that cannot be written is logged
    and otherwise ignored."""
    where = folder()
    if where is None or name is None:
        return
    text = json.dumps({"format": FORMAT, "words": words_to_json(words),
                       "warnings": list(warnings)})
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".words-", dir=where)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, where / name)
        except BaseException:
            os.unlink(temp)
            raise
        _drop_oldest(where)
    except OSError as exc:
        log.info("could not keep the words in %s (%s): the next process finds them again",
                 where, exc)


def _drop_oldest(where):
    files = []
    for path in where.glob("*.json"):
        try:
            files.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(files)[:max(0, len(files) - KEPT_FILES)]:
        try:
            path.unlink()
        except OSError:
            pass
