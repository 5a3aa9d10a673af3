"""A trained neural model on disk: ONNX graphs plus ``talkrig_model.json`` metadata.

Folder contents (written by ``talkrig train``):

- ``talkrig_model.json``: backend, frame rate, input feature config with its normalisation
  statistics (and, format 2, ``input.norm``: the training speaker's per-band feature level each
  recording is moved to, see ``featurenorm``), pose layout (joint set), window sizes, the ONNX files and their inputs, and a
  summary of the training data and run.
- ``*.onnx``: the exported graphs (dynamic time axis).
- ``checkpoint.pt``: torch training state, used only to resume training.

Where a generator looks when no ``model=DIR`` option is given: ``$TALKRIG_MODELS/<backend>``
if that variable is set, else ``$XDG_CACHE_HOME/talkrig/models/<backend>`` (``~/.cache`` when
XDG_CACHE_HOME is unset).
"""

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...inference.onnx_runtime import onnxruntime
from ...motion.errors import TalkrigError
from ...motion.jsonfile import JsonFileError, read_json
from .layout import PoseLayout

log = logging.getLogger(__name__)

METADATA = "talkrig_model.json"
FORMAT = "talkrig-model"
FORMAT_VERSION = 2  # 2: per-recording feature normalisation (``input.norm``); 1 without it


class ModelError(TalkrigError):
    """A trained model is missing, incomplete or for another backend."""


def default_model_dir(backend):
    """Where ``talkrig train`` writes and generators look by default for ``backend``."""
    root = os.environ.get("TALKRIG_MODELS")
    if root:
        return Path(root).expanduser() / backend
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "talkrig" / "models" / backend


def train_hint(backend, folder=None):
    """The command that trains a model for ``backend`` into ``folder`` (shown in errors)."""
    default = default_model_dir(backend)
    out = f" -o {folder}" if folder and Path(folder).expanduser() != default else ""
    return f"talkrig train --backend {backend} --data DATA_DIR{out}"


def write_metadata(folder, metadata):
    """Write ``talkrig_model.json`` (numpy arrays become lists)."""
    path = Path(folder) / METADATA
    path.write_text(json.dumps(as_written(metadata), indent=1))
    return path


def as_written(metadata):
    """``metadata`` as a generator reads it back from ``talkrig_model.json`` (plain lists)."""
    # A model without the normalisation stays format 1, readable by talkrig before it; one with
    # it is format 2, which those refuse instead of feeding it unnormalised features.
    version = FORMAT_VERSION if (metadata.get("input") or {}).get("norm") else 1
    return _plain(dict(metadata, format=FORMAT, format_version=version))


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def read_metadata(folder, backend):
    """The metadata dict of the model in ``folder``, checked to be a ``backend`` model."""
    folder = Path(folder).expanduser()
    path = folder / METADATA
    if not folder.is_dir() or not path.exists():
        where = "" if folder.is_dir() else " (no such folder)"
        raise ModelError(
            f"no trained {backend} model in {folder}{where}; train one with "
            f"`{train_hint(backend, folder)}` or pass the option model=DIR"
        )
    try:
        metadata = read_json(path, "model description")
    except JsonFileError as exc:
        raise ModelError(str(exc)) from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a talkrig model description")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(f"{path}: written by a newer talkrig (format {metadata['format_version']})")
    if metadata.get("backend") != backend:
        raise ModelError(
            f"{folder} holds a {metadata.get('backend')!r} model, not a {backend!r} model"
        )
    _check_norm(path, metadata.get("input") or {})
    return metadata


# What a model description may declare: sizes (window frames, code and hidden widths, layers,
# steps) far beyond any trained here but far below what would allocate gigabytes per frame.
MAX_SIZE = 8192
MIN_FPS, MAX_FPS = 1.0, 1000.0


def _numbers(value, length=None):
    """True when ``value`` is a list of finite numbers (of ``length`` when given)."""
    return isinstance(value, list) and (length is None or len(value) == length) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in value)


def _check_fields(path, metadata, sizes):
    """ModelError naming the first damaged field a neural generator reads (a hand-edited or
    cut file): one line instead of a traceback in the middle of a generation."""
    entry = metadata.get("input")
    fps = metadata.get("fps")
    pace = metadata.get("speech_pace")
    checks = [
        ("fps", isinstance(fps, (int, float)) and not isinstance(fps, bool) and np.isfinite(fps)
         and MIN_FPS <= fps <= MAX_FPS),
        ("input", isinstance(entry, dict) and entry.get("kind") in ("mel", "mfcc", "text")
         and isinstance(entry.get("dim"), int) and (entry["kind"] == "text" or (
             _numbers(entry.get("mean"), entry["dim"]) and _numbers(entry.get("std"), entry["dim"])
             and min(entry["std"], default=0) > 0))),
        ("graphs", isinstance(metadata.get("graphs"), dict)
         and all(isinstance(v, str) for v in metadata["graphs"].values())),
        ("layout", isinstance(metadata.get("layout"), dict)),
        ("speech_pace", pace is None or (isinstance(pace, dict) and _numbers(list(pace.values()))
                                         and min(pace.values(), default=0) >= 0)),
        ("input", isinstance(entry, dict) and isinstance(entry.get("dim"), int) and 1 <= entry["dim"] <= MAX_SIZE),
    ] + [(key, isinstance(metadata.get(key), int) and not isinstance(metadata[key], bool)
          and (0 if key.endswith("_frames") else 1) <= metadata[key] <= MAX_SIZE) for key in sizes]
    for key, ok in checks:
        if not ok:
            raise ModelError(f"{path}: its '{key}' entry is missing or damaged; train the model again")


def _check_norm(path, entry):
    """ModelError unless the input's per-recording normalisation (if any) is usable."""
    from .featurenorm import NORMS

    norm = entry.get("norm")
    if norm is None:
        return
    dim = entry.get("dim")
    ok = isinstance(norm, dict) and norm.get("kind") in NORMS[1:] and all(
        isinstance(norm.get(k), list) and len(norm[k]) == dim
        and all(isinstance(v, (int, float)) and np.isfinite(v) for v in norm[k]) for k in ("mean", "std"))
    if not ok or min(norm["std"]) <= 0:
        raise ModelError(f"{path}: its input normalisation (input.norm) is damaged; train the model again")


@dataclass
class TrainedModel:
    """A loaded model folder: metadata, pose layout and one onnxruntime session per graph."""

    folder: Path
    metadata: dict
    layout: PoseLayout
    sessions: dict = field(default_factory=dict)

    @property
    def fps(self):
        return float(self.metadata["fps"])

    def run(self, graph, feeds):
        """Run the named graph; returns its outputs as a list of arrays."""
        return run_graph(self.sessions[graph], feeds, f"{self.folder}: graph '{graph}'")

    def array(self, key):
        """A float32 array stored in the metadata (e.g. "pose_mean")."""
        return np.asarray(self.metadata[key], dtype=np.float32)


def load_model(folder, backend, threads=None, sizes=()):
    """Load a model folder for ``backend`` with onnxruntime; raise ModelError when unusable.

    sizes : the integer metadata entries the backend's generator reads (checked)."""
    ort = onnxruntime()

    folder = Path(folder).expanduser()
    metadata = read_metadata(folder, backend)
    _check_fields(folder / METADATA, metadata, sizes)
    options = session_options(threads)
    sessions = {}
    for graph, filename in metadata["graphs"].items():
        path = model_file(folder, filename, f"graph '{graph}'")
        if not path.exists():
            raise ModelError(
                f"{path} is missing; the model folder is incomplete, train it again with "
                f"`{train_hint(backend, folder)}`"
            )
        try:
            sessions[graph] = ort.InferenceSession(str(path), options,
                                                   providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{path}: onnxruntime cannot load it ({exc})") from None
    log.debug("loaded %s model from %s (%s)", backend, folder, ", ".join(sessions))
    return TrainedModel(folder=folder, metadata=metadata,
                        layout=PoseLayout.from_dict(metadata["layout"]), sessions=sessions)


GRAPH_MEMORY = 1 << 30  # bytes every graph of this process may hold at once (tensors included)
_arena = []  # the capped allocator, registered once per process


def session_options(threads=None):
    """onnxruntime session options for a graph from a model folder: its tensors come from one
    arena of at most GRAPH_MEMORY, so a graph that would allocate gigabytes per frame (a
    hand-made one expanding to 40 000 x 40 000) fails with a message instead of taking the
    machine's memory."""
    ort = onnxruntime()

    if not _arena:
        info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        ort.create_and_register_allocator(info, ort.OrtArenaCfg(GRAPH_MEMORY, -1, -1, -1))
        _arena.append(info)
    options = ort.SessionOptions()
    options.add_session_config_entry("session.use_env_allocators", "1")
    if threads:
        options.intra_op_num_threads = int(threads)
    options.log_severity_level = 4  # its failures come back as one line of ours
    return options


def run_graph(session, feeds, label):
    """The outputs of ``session`` for ``feeds``; ModelError naming ``label`` when it fails."""
    try:
        return session.run(None, feeds)
    except Exception as exc:  # onnxruntime raises its own exception types
        text = str(exc)
        if "Available memory of" in text or "bad_alloc" in text:
            raise ModelError(f"{label} needs more than {GRAPH_MEMORY >> 20} MB for one run; "
                             "it is not a model talkrig trained") from None
        raise ModelError(f"{label} failed: {text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__}") from None


def model_file(folder, name, what="file"):
    """``folder / name`` for a file a model description names, refused (ModelError) when it
    leads outside the folder (an absolute path, "..", a link out) or is there but is not a
    regular file (a FIFO or a device would block or never end the read)."""
    root = Path(folder).expanduser().resolve()
    path = root / str(name)
    resolved = path.resolve()
    if not isinstance(name, str) or Path(name).is_absolute() or (resolved != root and root not in resolved.parents):
        raise ModelError(f"{folder}: its {what} ({str(name)[:80]!r}) is not a file inside the model folder")
    if resolved.exists() and not resolved.is_file():
        raise ModelError(f"{path}: its {what} is not a regular file")
    return path
