"""Batch manifests: one clip per line, as CSV (with a header), a spreadsheet's first sheet
(Excel's .xlsx, LibreOffice's .ods; a header row) or JSON Lines.

Columns / keys (only ``audio`` is required)::

    audio       speech recording (or a .npz/.bvh motion file) to bake
    transcript  the script: a file (.txt/.lab/.TextGrid/.srt/.vtt/.ass/.json) or the text itself
    avatar      rigged character (.glb/.gltf/.vrm/.fbx/.blend); default: the run's --avatar
    seed        random seed (integer); default: 0
    backend     generator; default: the run's --backend
    output      output file name inside the output folder, e.g. "intro.fbx"; without a suffix
                the run's --format is added; default: the audio file's name
    map         bone map: auto, a preset name or a .json file; default: the run's --map

A CSV may be UTF-8, UTF-16 or Latin-1 and separated by ',', ';' or tabs, as spreadsheets save it.
Column names are read in any case; other columns are not read (one warning), unless named nearly
as one of talkrig's (a typo, refused). Relative paths are relative to the manifest's folder. A row with a bad value fails alone (its
clip is reported as failed); a manifest that cannot be read at all, has unknown columns or
names the same output twice raises ManifestError. Manifests are read as streams (a batch of
100 000 clips never sits in memory): :func:`count_clips` checks the whole file, then
:func:`iter_manifest` yields its clips, all of them or one shard's.
"""

import codecs
import csv
import functools
import itertools
import json
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from ..motion.errors import brief, did_you_mean
from .bake import OUTPUT_TYPES
from .errors import ManifestError
from . import ods, xlsx
from .xlsx import WorkbookError

log = logging.getLogger(__name__)

COLUMNS = ("audio", "transcript", "avatar", "seed", "backend", "output", "map")
MAX_COLUMNS = 1000  # a production's sheet has its own columns too; 100 000 is no header
# Spreadsheets saved in a format other than .xlsx or .ods, by the program that writes it
SPREADSHEETS = {".xls": "Excel 97-2003", ".numbers": "Numbers"}


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
    """The clips of a .csv, .xlsx, .ods or .jsonl manifest, in file order (a list: for small
    manifests)."""
    count_clips(path, default_format)
    return list(iter_manifest(path, default_format))


def count_clips(path, default_format="glb", shard=None, suffixes=None):
    """Check a whole manifest without keeping its rows; returns how many clips it lists (in
    ``shard``, see :func:`iter_manifest`). suffixes : a dict filled with each output suffix
    written (lower case) and the first output that has it.

    Raises ManifestError for what makes the manifest unusable (format, header, unknown columns,
    two rows writing the same output), so a run can refuse it before baking anything. Memory:
    the output names only.
    """
    fmt = _format(default_format)
    seen = {}
    count = 0
    for line, row in _rows(path):
        output = _output_name(line, row, fmt)
        key = output.lower()
        if key in seen:
            raise ManifestError(f"{path}: lines {seen[key]} and {line} both write {output}; "
                                f"give them different 'output' names")
        seen[key] = line
        if suffixes is not None:
            suffixes.setdefault(os.path.splitext(key)[1], output)
        count += in_shard(output, shard)
    if not seen:
        raise ManifestError(f"{path}: the manifest lists no clips")
    return count


def iter_manifest(path, default_format="glb", shard=None):
    """Yield the clips of a manifest one by one, reading the file as it goes.

    shard : (k, n) keeps only the clips of shard k of n (see :func:`in_shard`), so n runs given
        shards 1/n ... n/n bake every clip once between them; None keeps all.
    Check the manifest with :func:`count_clips` first: this does not look for duplicate outputs.
    """
    base = Path(path).absolute().parent  # workers may run in another folder (or machine)
    fmt = _format(default_format)
    for line, row in _rows(path):
        if in_shard(_output_name(line, row, fmt), shard):
            yield _clip(line, row, base, fmt)


def in_shard(output, shard):
    """Whether the clip writing ``output`` belongs to shard (k, n) (always, for None).

    Decided by a hash of the output's name without its suffix, not by its row: a clip stays in
    its shard when rows are added or moved, and a run can tell its own files (the output, the
    preview and their temporaries) from other shards' in a shared folder.
    """
    if shard is None:
        return True
    stem = _stem(output).lower().encode("utf-8")
    return zlib.crc32(stem) % shard[1] == shard[0] - 1


def parse_shard(text):
    """'K/N' -> (K, N), 1 <= K <= N."""
    k, slash, n = str(text).partition("/")
    try:
        k, n = int(k), int(n)
    except ValueError:
        k = n = 0
    if not slash or n < 1 or not 1 <= k <= n:
        raise ManifestError(f"--shard takes K/N with 1 <= K <= N (e.g. 1/4), got {text!r}")
    return k, n


def _format(default_format):
    fmt = "." + default_format.lower().lstrip(".")
    if fmt not in OUTPUT_TYPES:
        raise ManifestError(f"--format must be one of {', '.join(t[1:] for t in OUTPUT_TYPES)}")
    return fmt


def _rows(path):
    """Yield (line number, {column: text}) for every row that is a clip, streaming the file."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: no such manifest")
    unread = set()  # the columns not read, said once the file is read
    yield from _read_rows(path, path.suffix.lower(), unread)
    _not_read(str(path), tuple(sorted(unread)))


def _read_rows(path, suffix, unread):
    if suffix in (".xlsx", ".ods"):
        yield from _sheet_rows(path, unread, xlsx.sheet_rows if suffix == ".xlsx" else ods.sheet_rows)
        return
    if suffix in SPREADSHEETS:
        raise ManifestError(f"{path}: a spreadsheet in {SPREADSHEETS[suffix]}'s own format: save it as "
                            "CSV or as an Excel workbook (.xlsx) and give that")
    read = {".csv": _csv_rows, ".jsonl": _jsonl_rows, ".ndjson": _jsonl_rows}.get(suffix)
    if read is None:
        raise ManifestError(f"{path}: a manifest is a .csv, .xlsx, .ods or .jsonl file, not '{suffix}'")
    try:
        with path.open(encoding=_encoding(path), newline="") as lines:
            yield from read(path, lines, unread)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"{path}: cannot read it ({exc})") from None


def _encoding(path):
    """How the manifest is written: UTF-16 with its byte-order mark, UTF-8 (with or without one)
    when every byte is, else Windows' Latin-1 (a CSV saved by Excel on Windows)."""
    with path.open("rb") as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for block in iter(lambda: fh.read(1 << 20), b""):  # streamed: manifests may be large
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8-sig"


def _csv_rows(path, lines, unread):
    first = lines.readline()
    # Excel writes ';' where ',' is the decimal mark, and "Unicode text" with tabs.
    delimiter = next((d for d in ",;\t" if d in first), ",")
    reader = csv.DictReader(itertools.chain([first], lines), delimiter=delimiter)
    header = [_column_name(h) for h in (reader.fieldnames or [])]
    unread.update(_check_columns(path, header))
    reader.fieldnames = header
    for row in reader:
        if row.get(None):  # more values than the header has columns: never silently dropped
            yield reader.line_num, {"_error": f"{len(header) + len(row[None])} values for the "
                                              f"{len(header)} columns of the header"}
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if _a_clip(values):
            yield reader.line_num, values


def _sheet_rows(path, unread, sheet_rows):
    """The rows of a spreadsheet's first sheet (an Excel workbook's, an OpenDocument one's), its
    first row the header (as a CSV's)."""
    try:
        rows = sheet_rows(path)
        header = None
        for number, cells in rows:
            cells = [c.strip() for c in cells]
            if header is None:
                header = [_column_name(c) for c in cells]
                while header and not header[-1]:
                    header.pop()
                unread.update(_check_columns(path, header))
            elif any(cells[len(header):]):
                yield number, {"_error": f"{len(cells)} values for the {len(header)} columns of the header"}
            elif _a_clip(values := dict(itertools.zip_longest(header, cells[:len(header)], fillvalue=""))):
                yield number, values
        if header is None:
            _check_columns(path, [])
    except WorkbookError as exc:
        raise ManifestError(f"{path}: {exc}") from None


def _jsonl_rows(path, lines, unread):
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except RecursionError:
            yield number, {"_error": "not valid JSON (nested too deeply)"}
            continue
        except ValueError as exc:
            yield number, {"_error": f"not valid JSON ({exc})"}
            continue
        if not isinstance(row, dict):
            yield number, {"_error": "each line must be a JSON object"}
            continue
        row = {_column_name(k): v for k, v in row.items()}
        unread.update(_check_columns(path, list(row), number))
        odd = next((k for k, v in row.items() if k in COLUMNS
                    and (isinstance(v, (bool, list, dict)) or (k != "seed" and isinstance(v, (int, float))))), None)
        if odd is not None:
            yield number, {"_error": f"'{odd}' must be {'a whole number' if odd == 'seed' else 'text'}, "
                                     f"got {json.dumps(row[odd])[:40]}"}
            continue
        values = {k: "" if v is None else str(v).strip() for k, v in row.items()}
        if _a_clip(values):
            yield number, values


def _check_columns(path, names, line=None):
    """The columns of ``names`` talkrig does not read (a production's own: the character, notes).
    Refuses a header without audio, a column twice, past MAX_COLUMNS, or a column named nearly
    as one of COLUMNS (a typo: its values would be lost)."""
    where = f"{path}" + (f" line {line}" if line else "")
    if line is None and "audio" not in names:
        raise ManifestError(f"{where}: the first line must be a header with an 'audio' column "
                            f"(columns: {', '.join(COLUMNS)})")
    repeated = sorted({n for n in names if n and list(names).count(n) > 1}) if len(names) <= MAX_COLUMNS else []
    if repeated or len(names) > MAX_COLUMNS:
        raise ManifestError(f"{where}: {len(names)} columns{f', {repeated[0]!r} more than once' if repeated else ''}; "
                            f"each of {', '.join(COLUMNS)} at most once")
    unknown = [n for n in names if n not in COLUMNS]
    for name in unknown:
        near = did_you_mean(name, COLUMNS)
        if near:
            raise ManifestError(f"{where}: unknown column {name!r}{near}; columns are {', '.join(COLUMNS)}")
    return [n for n in unknown if n]


@functools.lru_cache(maxsize=64)
def _not_read(path, columns):
    """Say once per manifest (read twice: counted, then baked) which columns are not talkrig's."""
    if columns:
        log.warning("%s: column%s %s not read (talkrig reads %s)", path, "s" if len(columns) > 1 else "",
                    ", ".join(repr(c) for c in columns[:6]) + (" ..." if len(columns) > 6 else ""),
                    ", ".join(COLUMNS))


def _a_clip(values):
    """False for a blank row, or one with values only in columns talkrig does not read (a
    section's title in a production's sheet)."""
    return any(v for k, v in values.items() if k in COLUMNS)


def _column_name(name):
    return str(name).strip().lower()


def _output_name(line, row, fmt):
    """A row's output file name: its 'output' (plus fmt without a suffix), else the audio's."""
    audio = row.get("audio", "")  # string operations: this runs twice per row of any manifest
    output = row.get("output", "") or (_stem(audio) if audio else f"line{line}")
    return output if os.path.splitext(output)[1] else output + fmt


def _stem(name):
    return os.path.splitext(os.path.basename(name))[0]


def _clip(line, row, base, fmt):
    audio = row.get("audio", "")
    output = _output_name(line, row, fmt)
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
    if text in ("", None):
        return 0
    check_seed, rule_error = _seed_rule()
    try:
        if isinstance(text, (bool, float)) and not (type(text) is float and text.is_integer()):
            raise ValueError(text)  # JSON true or 1.5
        return check_seed(int(text))
    except ValueError:
        raise ValueError(f"seed must be a whole number, got {brief(text)}") from None
    except rule_error as exc:
        raise ValueError(str(exc)) from None


@functools.cache
def _seed_rule():
    """(check_seed, its error), imported once: a manifest has a seed on every row."""
    from ..inference.generation.options import check_seed
    from ..motion.errors import TalkrigError

    return check_seed, TalkrigError
