"""Batch manifests: one clip per line, as CSV (with a header) or JSON Lines.

Columns / keys (only ``audio`` is required)::

    audio       speech recording (or a .npz/.bvh motion file) to bake
    transcript  the script: a file (.txt/.lab/.TextGrid/.srt/.vtt/.json) or the text itself
    avatar      rigged character (.glb/.gltf/.fbx/.blend); default: the run's --avatar
    seed        random seed (integer); default: 0
    backend     generator; default: the run's --backend
    output      output file name inside the output folder, e.g. "intro.fbx"; without a suffix
                the run's --format is added; default: the audio file's name
    map         bone map: auto, a preset name or a .json file; default: the run's --map

Relative paths are relative to the manifest's folder. A row with a bad value fails alone (its
clip is reported as failed); a manifest that cannot be read at all, has unknown columns or
names the same output twice raises ManifestError.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path, PurePath

from .bake import OUTPUT_TYPES
from .errors import ManifestError

COLUMNS = ("audio", "transcript", "avatar", "seed", "backend", "output", "map")


@dataclass
class Clip:
    """One manifest row. ``error`` is set when the row itself is unusable (the clip then fails)."""

    line: int
    output: str
    audio: str = None
    transcript: str = None
    avatar: str = None
    seed: int = 0
    backend: str = None
    bone_map: str = None
    error: str = None

    @property
    def name(self):
        return PurePath(self.output).stem


def read_manifest(path, default_format="glb"):
    """The clips of a .csv or .jsonl manifest, in file order."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: no such manifest")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read it ({exc})") from None
    if suffix == ".csv":
        rows = _csv_rows(path, text)
    elif suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path, text)
    else:
        raise ManifestError(f"{path}: a manifest is a .csv or .jsonl file, not '{suffix}'")
    fmt = "." + default_format.lower().lstrip(".")
    if fmt not in OUTPUT_TYPES:
        raise ManifestError(f"--format must be one of {', '.join(t[1:] for t in OUTPUT_TYPES)}")
    clips = [_clip(line, row, path.parent, fmt) for line, row in rows]
    if not clips:
        raise ManifestError(f"{path}: the manifest lists no clips")
    seen = {}
    for clip in clips:
        key = clip.output.lower()
        if key in seen:
            raise ManifestError(f"{path}: lines {seen[key]} and {clip.line} both write "
                                f"{clip.output}; give them different 'output' names")
        seen[key] = clip.line
    return clips


def _csv_rows(path, text):
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    _check_columns(path, header)
    reader.fieldnames = header
    rows = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue  # blank line
        rows.append((reader.line_num, values))
    return rows


def _jsonl_rows(path, text):
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            rows.append((number, {"_error": f"not valid JSON ({exc})"}))
            continue
        if not isinstance(row, dict):
            rows.append((number, {"_error": "each line must be a JSON object"}))
            continue
        _check_columns(path, list(row), number)
        rows.append((number, {k: "" if v is None else str(v).strip() for k, v in row.items()}))
    return rows


def _check_columns(path, names, line=None):
    where = f"{path}" + (f" line {line}" if line else "")
    if line is None and "audio" not in names:
        raise ManifestError(f"{where}: the first line must be a header with an 'audio' column "
                            f"(columns: {', '.join(COLUMNS)})")
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ManifestError(f"{where}: unknown column {unknown[0]!r}; columns are "
                            f"{', '.join(COLUMNS)}")


def _clip(line, row, base, fmt):
    audio = row.get("audio", "")
    output = row.get("output", "") or (PurePath(audio).stem if audio else f"line{line}")
    if not PurePath(output).suffix:
        output += fmt
    clip = Clip(line=line, output=output)
    try:
        if "_error" in row:
            raise ValueError(row["_error"])
        if not audio:
            raise ValueError("no audio file given")
        if PurePath(output).name != output or output.startswith("."):
            raise ValueError(f"output {output!r} must be a plain file name (no folders)")
        if PurePath(output).suffix.lower() not in OUTPUT_TYPES:
            raise ValueError(f"output {output!r}: talkrig bakes to {', '.join(OUTPUT_TYPES)}")
        clip.audio = str(_resolve(base, audio))
        transcript = row.get("transcript", "")
        if transcript:
            as_file = _resolve(base, transcript)
            clip.transcript = str(as_file) if as_file.is_file() else transcript
        clip.avatar = str(_resolve(base, row["avatar"])) if row.get("avatar") else None
        clip.seed = _seed(row.get("seed", ""))
        clip.backend = row.get("backend") or None
        bone_map = row.get("map") or None
        if bone_map and bone_map.lower().endswith(".json"):
            bone_map = str(_resolve(base, bone_map))
        clip.bone_map = bone_map
    except ValueError as exc:
        clip.error = f"line {line}: {exc}"
    return clip


def _resolve(base, value):
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _seed(text):
    """A clip's seed: 0 when the cell is empty, else the pipeline's rule (0 to 2**32 - 1)."""
    from ..inference.pipeline import check_seed
    from ..motion.errors import TalkrigError

    if text in ("", None):
        return 0
    try:
        if isinstance(text, (bool, float)) and not (type(text) is float and text.is_integer()):
            raise ValueError(text)  # JSON true or 1.5
        return check_seed(int(text))
    except ValueError:
        raise ValueError(f"seed must be a whole number, got {text!r}") from None
    except TalkrigError as exc:
        raise ValueError(str(exc)) from None
