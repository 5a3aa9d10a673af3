"""The ``options`` part of a job upload: JSON -> GenerateOptions, checked before the job is queued.

Every option that names a file is confined to the server's data folder: a relative path is
looked up inside it, and anything that resolves outside it (absolute paths elsewhere, ``..``,
``~``, symlinks leading out) is refused. A request can therefore never make the server read or
write a file the server's owner did not put in that folder.
"""

import json
from pathlib import Path

import numpy as np

from ...motion.container import check_fps
from ...motion.errors import TalkrigError
from ...motion.skeleton import NUM_JOINTS
from ..generators import check_options, option_specs
from ..pipeline import GenerateOptions, check_seed
from ..registry import PluginError

FIELDS = ("backend", "seed", "fps", "speech", "transcript", "keyposes", "backend_options",
          "initial_pose", "calm", "face", "face_options")
KEYPOSE_MODES = ("default", "none")


class OptionsError(TalkrigError):
    """A job option is unknown, of the wrong type or out of range (HTTP 422)."""

    def __init__(self, message, valid=None):
        super().__init__(message)
        self.valid = list(valid) if valid is not None else None


def parse_options(raw, catalog, data_dir):
    """GenerateOptions from the raw JSON bytes of the ``options`` part (b"" or None: defaults).

    catalog : a Catalog, to check the backend, its options and the speech engine.
    data_dir : the folder path options are confined to.
    """
    given = _load_json(raw)
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
        transcript=_transcript(given.get("transcript", defaults.transcript)),
        keyposes=_keyposes(given.get("keyposes", defaults.keyposes), data_dir),
        backend_options=_backend_options(generator, given.get("backend_options") or {}, data_dir),
        initial_pose=_initial_pose(given.get("initial_pose")),
        calm=_calm(given.get("calm", defaults.calm)),
        **_face(given.get("face", defaults.face), given.get("face_options") or {}),
    )


def confine(value, data_dir, what):
    """The absolute path of ``value`` inside ``data_dir``; OptionsError if it would leave it."""
    root = Path(data_dir).resolve()
    text = str(value)
    if not text.strip() or "\x00" in text:
        raise OptionsError(f"{what} must be a file name inside the server's data folder")
    path = Path(text)
    resolved = (path if path.is_absolute() else root / path).resolve()
    if text.startswith("~") or (resolved != root and root not in resolved.parents):
        raise OptionsError(
            f"{what} {text!r} is outside the server's data folder; put the file in {root} and "
            "give its path relative to that folder")
    return str(resolved)


def _load_json(raw):
    if raw is None or not bytes(raw).strip():
        return {}
    try:
        given = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OptionsError(f"the 'options' part is not valid JSON: {exc}") from None
    if not isinstance(given, dict):
        raise OptionsError(f"the 'options' part must be a JSON object, got {type(given).__name__}")
    return given


def _calm(value):
    from ..pipeline import check_calm

    try:
        return check_calm(value, "option 'calm'")
    except TalkrigError as exc:
        raise OptionsError(str(exc)) from None


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


def _transcript(value):
    if value is None or isinstance(value, str):
        return value or None
    raise OptionsError("option 'transcript' must be text (the script, or the text of a "
                       f"TextGrid/SRT/VTT/JSON file), got {type(value).__name__}")


def _keyposes(value, data_dir):
    """"default", "none", a dictionary object sent inline, or a file in the data folder.

    The dictionary is read now so a bad one is a 422, not a failed job.
    """
    from ..keyposes import KeyPoseDictionary

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
    from ..face import face_models, resolve_face

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
            confined[spec.name] = confine(confined[spec.name], data_dir, what)
    try:
        checked = check_options(generator, confined)
    except PluginError as exc:
        raise OptionsError(str(exc), valid=valid) from None
    # pass on only what the client chose; the pipeline fills the defaults itself
    return {name: checked[name] for name in confined}
