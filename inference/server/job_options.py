"""The ``options`` part of a job upload: JSON -> GenerateOptions, checked before the job is queued.

Every option that names a file is confined to the server's data folder: a relative path is
looked up inside it, and anything that resolves outside it (absolute paths elsewhere, ``..``,
``~``, symlinks leading out, and inside a folder option any file that links out) is refused,
and so are names too long for the file system and options that do not exist. A request can
therefore never make the server read or write a file the server's owner did not put in that
folder, and a path never fails a job after it was accepted.

JSON is checked for depth before it is parsed, so deeply nested input is a 422 rather than a
recursion error anywhere later.
"""

import json
import os
import re
from pathlib import Path

import numpy as np

from ...motion.container import check_fps
from ...motion.errors import TalkrigError
from ...motion.skeleton import NUM_JOINTS
from ..generation.generators import check_options, option_specs
from ..generation.options import check_seed
from ..generation.pipeline import GenerateOptions
from ..registry import PluginError

FIELDS = ("backend", "seed", "fps", "speech", "transcript", "keyposes", "backend_options",
          "initial_pose", "calm", "face", "face_options", "language", "words_only")
KEYPOSE_MODES = ("default", "none")
MAX_JSON_DEPTH = 64  # arrays/objects inside each other; key-pose dictionaries need about 6
MAX_PATH_BYTES = 4096  # Linux PATH_MAX
MAX_NAME_BYTES = 255  # one file or folder name (NAME_MAX of common file systems)
MAX_TREE_ENTRIES = 20000  # files looked at in a folder option before giving up
# A transcript may hold about this many characters per second of audio: a Praat TextGrid with
# word and phone tiers takes about 1 500 (2_scott_0_1_1: 67.5 kB for 45 s), a plain script 20.
TRANSCRIPT_CHARS_PER_SECOND = 5000
TRANSCRIPT_MIN_CHARS = 64 * 1024


class OptionsError(TalkrigError):
    """A job option is unknown, of the wrong type or out of range (HTTP 422)."""

    def __init__(self, message, valid=None):
        super().__init__(message)
        self.valid = list(valid) if valid is not None else None


def parse_options(raw, catalog, data_dir, max_seconds=None):
    """GenerateOptions from the raw JSON bytes of the ``options`` part (b"" or None: defaults).

    catalog : a Catalog, to check the backend, its options and the speech engine.
    data_dir : the folder path options are confined to.
    max_seconds : the longest audio the server takes; bounds the transcript's size.
    """
    given = options_object(raw)
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise OptionsError(f"unknown option '{unknown[0]}'; valid options: {', '.join(FIELDS)}",
                           valid=FIELDS)
    defaults = GenerateOptions()
    backend = given.get("backend", defaults.backend)
    try:
        generator = catalog.generator(backend)
    except PluginError as exc:
        raise OptionsError(str(exc), valid=catalog.generator_names()) from None
    try:
        speech = catalog.check_speech(given.get("speech", defaults.speech))
    except PluginError as exc:
        raise OptionsError(str(exc), valid=["auto", "none", *catalog.speech_names()]) from None
    return GenerateOptions(
        backend=backend,
        seed=_seed(given.get("seed", defaults.seed)),
        fps=_fps(given.get("fps", defaults.fps)),
        speech=speech,
        transcript=_transcript(given.get("transcript", defaults.transcript), max_seconds),
        keyposes=_keyposes(given.get("keyposes", defaults.keyposes), data_dir),
        backend_options=_backend_options(generator, given.get("backend_options") or {}, data_dir),
        initial_pose=_initial_pose(given.get("initial_pose")),
        calm=_calm(given.get("calm", defaults.calm)),
        language=_language(given.get("language", defaults.language)),
        max_audio_seconds=max_seconds,
        words_only=_flag(given.get("words_only", defaults.words_only), "words_only"),
        **_face(given.get("face", defaults.face), given.get("face_options") or {}),
    )


def confine(value, data_dir, what):
    """The absolute path of ``value`` inside ``data_dir``; OptionsError if it would leave it.

    Names too long for the file system are refused here, so a job never fails on them later.
    """
    root = Path(data_dir).resolve()
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise OptionsError(f"{what} must be the name of a file or folder inside the server's data "
                           f"folder, got {_short(value)}")
    _check_path_length(value, what)
    path = Path(value)
    try:
        resolved = (path if path.is_absolute() else root / path).resolve()
    except (OSError, RuntimeError):  # a symlink loop; the message would name the server's folders
        raise OptionsError(f"{what} {_short(value)} cannot be followed (a link that leads to "
                           "itself?)") from None
    if value.startswith("~") or not _inside(resolved, root):
        raise OptionsError(
            f"{what} {_short(value)} is outside the server's data folder; put the file in {root} "
            "and give its path relative to that folder")
    return str(resolved)


def confine_existing(value, data_dir, what):
    """:func:`confine`, and the path must exist; a folder must not link out of the data folder.

    Folders are checked inside too: a file in them that is a symlink to somewhere outside the
    data folder would let a request read it (e.g. a mocap library's takes).
    """
    path = Path(confine(value, data_dir, what))
    if not path.exists():
        raise OptionsError(f"{what} {_short(value)} does not exist in the server's data folder")
    if path.is_dir():
        check_links_inside(path, Path(data_dir).resolve(), what)
    return str(path)


def _inside(path, root):
    return path == root or root in path.parents


def _check_path_length(text, what):
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise OptionsError(f"{what} is {size} bytes long; paths may be at most {MAX_PATH_BYTES} bytes")
    for name in Path(text).parts:
        size = len(name.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise OptionsError(f"{what} has a file or folder name of {size} bytes ({_short(name)}); "
                               f"names may be at most {MAX_NAME_BYTES} bytes")


def check_links_inside(folder, root, what):
    """OptionsError naming the first entry of ``folder`` (recursively, through links to folders
    that stay inside) that resolves outside ``root``."""
    seen = 0
    pending = [folder]
    followed = {folder.resolve()}  # folders reached through links, each once (links in a loop)
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as exc:
            raise OptionsError(f"{what}: folder {current.relative_to(root)} cannot be read "
                               f"({exc.strerror or exc})") from None
        for entry in entries:
            seen += 1
            if seen > MAX_TREE_ENTRIES:
                raise OptionsError(f"{what} {folder.relative_to(root)} holds more than "
                                   f"{MAX_TREE_ENTRIES} files; point it at a smaller folder")
            path = Path(entry.path)
            if entry.is_symlink():
                try:
                    target = path.resolve()
                except (OSError, RuntimeError):
                    target = None
                if target is None or not _inside(target, root):
                    raise OptionsError(
                        f"{what}: {path.relative_to(root)} is a link to a file outside the server's "
                        "data folder, which requests may not read; copy what it links to into "
                        "the folder instead")
                if target.is_dir() and target not in followed:
                    followed.add(target)
                    pending.append(target)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(path)


def _short(value, limit=80):
    """A value for a message: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "...'" + f" ({len(str(value))} characters)"


def options_object(raw):
    """The ``options`` part of any job upload (generation, capture, render) as a dict: {} when
    absent or blank; OptionsError unless it is a JSON object of valid Unicode, nested at most
    MAX_JSON_DEPTH deep."""
    if raw is None or not bytes(raw).strip():
        return {}
    raw = bytes(raw)
    check_nesting(raw, "the 'options' part")
    try:
        given = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise OptionsError(f"the 'options' part is not valid JSON: {exc}") from None
    if not isinstance(given, dict):
        raise OptionsError(f"the 'options' part must be a JSON object, got {type(given).__name__}")
    try:  # "\ud800" escapes parse to text no file, log or answer can hold
        json.dumps(given, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OptionsError(f"the 'options' part holds text that is not valid Unicode ({exc.reason} "
                           f"{exc.object[exc.start:exc.end]!r})") from None
    return given


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def check_nesting(raw, what, limit=MAX_JSON_DEPTH):
    """OptionsError when JSON text nests arrays/objects deeper than ``limit``.

    Counted on the text before parsing (strings left out), so deep input can never reach a
    recursive parser or walker anywhere later.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    text = np.frombuffer(_JSON_STRING.sub(b"", raw), np.uint8)
    steps = (np.isin(text, (ord("["), ord("{"))).astype(np.int32)
             - np.isin(text, (ord("]"), ord("}"))).astype(np.int32))
    depth = int(np.cumsum(steps).max(initial=0))
    if depth > limit:
        raise OptionsError(f"{what} nests arrays or objects {depth} deep; at most {limit} levels "
                           "are accepted")


def _calm(value):
    from ..generation.options import check_calm

    try:
        return check_calm(value, "option 'calm'")
    except TalkrigError as exc:
        raise OptionsError(str(exc)) from None


def _language(value):
    from ..speech.languages import LanguageError, normalise

    if not isinstance(value, str):
        raise OptionsError(f"option 'language' must be a language code such as \"de\" or "
                           f"\"auto\", got {_short(value)}")
    try:
        return normalise(value)
    except LanguageError as exc:
        raise OptionsError(f"option 'language': {exc}") from None


def _flag(value, name):
    if not isinstance(value, bool):
        raise OptionsError(f"option '{name}' must be true or false, got {_short(value)}")
    return value


def _seed(value):
    try:
        return check_seed(value, "option 'seed'")
    except TalkrigError as exc:
        raise OptionsError(str(exc)) from None


def _fps(value):
    try:
        return check_fps(value, "option 'fps'")
    except TalkrigError as exc:
        raise OptionsError(str(exc)) from None


def transcript_limit(seconds):
    """Characters a transcript of ``seconds`` of speech may hold (see TRANSCRIPT_CHARS_PER_SECOND)."""
    return int(TRANSCRIPT_MIN_CHARS + TRANSCRIPT_CHARS_PER_SECOND * max(0.0, seconds))


def _transcript(value, max_seconds=None):
    if value is not None and not isinstance(value, str):
        raise OptionsError("option 'transcript' must be text (the script, or the text of a "
                           f"TextGrid/SRT/VTT/ASS/JSON file), got {type(value).__name__}")
    if not value:
        return None
    if max_seconds is not None and len(value) > transcript_limit(max_seconds):
        raise OptionsError(f"option 'transcript' is {len(value)} characters long; the server takes "
                           f"recordings of at most {max_seconds:g} s, whose transcript needs at most "
                           f"{transcript_limit(max_seconds)}")
    if value.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):  # a JSON word list
        check_nesting(value, "option 'transcript'")
    return value


def check_transcript_fits(options, seconds):
    """OptionsError when the transcript is far longer than anyone says in ``seconds`` of audio."""
    text = options.transcript or ""
    if len(text) > transcript_limit(seconds):
        raise OptionsError(f"option 'transcript' is {len(text)} characters long for {seconds:.1f} s "
                           f"of audio (at most {transcript_limit(seconds)}): send the transcript of "
                           "this recording")


def _keyposes(value, data_dir):
    """"default", "none", a dictionary object sent inline, or a file in the data folder.

    The dictionary is read now so a bad one is a 422, not a failed job.
    """
    from ..generation.keyposes import KeyPoseDictionary

    if value is None or value in KEYPOSE_MODES:
        return value
    try:
        if isinstance(value, (dict, list)):
            KeyPoseDictionary.from_dict(value, "option 'keyposes'")
            return value
        if isinstance(value, str):
            path = confine(value, data_dir, "option 'keyposes'")
            KeyPoseDictionary.load(path)
            return path
    except OptionsError:
        raise
    except TalkrigError as exc:
        raise OptionsError(str(exc).replace(str(Path(data_dir).resolve()), "<data folder>")) from None
    raise OptionsError("option 'keyposes' must be \"default\", \"none\", a key-pose dictionary "
                       "object, or the name of a dictionary file in the server's data folder")


def _initial_pose(value):
    """None, or (55, 3) finite axis-angle from nested lists (or 165 numbers)."""
    if value is None:
        return None
    try:
        pose = np.asarray(value, dtype=np.float32).reshape(NUM_JOINTS, 3)
    except (TypeError, ValueError):
        pose = None
    if pose is None or not np.all(np.isfinite(pose)):
        raise OptionsError(f"option 'initial_pose' must be {NUM_JOINTS} [x, y, z] axis-angle "
                           "triples (radians) in SMPL-X joint order, or null")
    return pose


def _face(name, given):
    """{"face", "face_options"}: a face model name (or "none") and its options, checked now."""
    from ..generation.face import face_models, resolve_face

    if not isinstance(name, str):
        raise OptionsError(f"option 'face' must be a face model name or \"none\", got {name!r}")
    if not isinstance(given, dict):
        raise OptionsError(f"option 'face_options' must be a JSON object, got {type(given).__name__}")
    try:
        resolve_face(name, given)
    except PluginError as exc:
        valid = ["none", *(n for n, e in face_models().items() if e.available)]
        raise OptionsError(str(exc), valid=valid) from None
    return {"face": name.strip().lower(), "face_options": dict(given)}


def _backend_options(generator, given, data_dir):
    if not isinstance(given, dict):
        raise OptionsError(f"option 'backend_options' must be a JSON object, got {type(given).__name__}")
    specs = option_specs(generator)
    valid = [spec.name for spec in specs]
    confined = dict(given)
    for spec in specs:
        if spec.type == "path" and confined.get(spec.name) is not None:
            what = f"generator '{generator.name}' option '{spec.name}'"
            confined[spec.name] = confine_existing(confined[spec.name], data_dir, what)
    try:
        checked = check_options(generator, confined)
    except PluginError as exc:
        raise OptionsError(str(exc), valid=valid) from None
    # pass on only what the client chose; the pipeline fills the defaults itself
    return {name: checked[name] for name in confined}
