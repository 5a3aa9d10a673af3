"""The 2D mouth-cue track: which of the nine Preston Blair / Rhubarb shapes shows when.

The cues come from a motion's ``mouthCue_A`` ... ``mouthCue_X`` face curves: the strongest shape
at each frame, with flickers shorter than ``min_frames`` folded into a neighbour (the closed
shape A and the teeth-on-lip shape G are never folded away: a p/b/m or f/v always shows).
Written in Rhubarb Lip Sync's own layouts so 2D tools that read those files read ours:

- JSON: ``{"metadata": {"soundFile": ..., "duration": ...}, "mouthCues": [{"start", "end",
  "value"}, ...]}``;
- TSV: one ``start<TAB>shape`` line per cue, the last line the end time with ``X``.
"""

import json
from dataclasses import dataclass

import numpy as np

from .errors import MotionValueError
from .facecurves import MOUTH_SHAPE_CURVES, MOUTH_SHAPES
from .runs import label_runs

NEVER_FOLDED = ("A", "G")
CUE_FORMATS = (".json", ".tsv")


@dataclass(frozen=True)
class MouthCue:
    start: float  # seconds
    end: float  # seconds
    value: str  # one of MOUTH_SHAPES


def mouth_cues(motion, min_frames=2):
    """The cue track of ``motion`` (a Motion with mouthCue_* face curves), as a list of MouthCue
    covering [0, motion.duration] without gaps."""
    missing = [name for name in MOUTH_SHAPE_CURVES if name not in motion.face_names]
    if missing:
        raise MotionValueError("this motion has no mouth-shape curves (generate it with a face "
                               "model, e.g. --face phones)")
    weights = np.stack([motion.face_curve(name) for name in MOUTH_SHAPE_CURVES], axis=1)
    runs = [list(run) for run in label_runs(np.argmax(weights, axis=1))]
    runs = _fold_short(runs, weights, int(min_frames))
    fps = motion.fps
    cues = [MouthCue(round(start / fps, 4), round(stop / fps, 4), MOUTH_SHAPES[shape])
            for start, stop, shape in runs]
    return cues


def _fold_short(runs, weights, min_frames):
    """Merge runs shorter than ``min_frames`` into the neighbour whose shape is stronger there."""
    keep = {MOUTH_SHAPES.index(s) for s in NEVER_FOLDED}
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (start, stop, shape) in enumerate(runs):
            if stop - start >= min_frames or shape in keep:
                continue
            neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(runs)]
            best = max(neighbours, key=lambda j: weights[start:stop, runs[j][2]].sum())
            if best < i:
                runs[best][1] = stop
            else:
                runs[best][0] = start
            del runs[i]
            runs = _join_equal(runs)
            changed = True
            break
    return runs


def _join_equal(runs):
    """Neighbouring runs of the same shape as one run."""
    joined = [runs[0]]
    for run in runs[1:]:
        if run[2] == joined[-1][2]:
            joined[-1][1] = run[1]
        else:
            joined.append(run)
    return joined


def cues_to_json(cues, duration, sound_file=""):
    """Rhubarb's JSON layout as text."""
    data = {"metadata": {"soundFile": str(sound_file), "duration": round(float(duration), 4)},
            "mouthCues": [{"start": c.start, "end": c.end, "value": c.value} for c in cues]}
    return json.dumps(data, indent=2) + "\n"


def cues_to_tsv(cues, duration):
    """Rhubarb's TSV layout as text: the time each shape starts, then the end with X."""
    lines = [f"{c.start:.3f}\t{c.value}" for c in cues]
    if not cues or cues[-1].value != "X":
        lines.append(f"{float(duration):.3f}\tX")
    return "\n".join(lines) + "\n"


def write_mouth_cues(motion, path, sound_file=""):
    """Write the cue track of ``motion`` to ``path`` (.json or .tsv by its extension)."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CUE_FORMATS:
        raise MotionValueError(f"{path}: mouth cues are written as .json or .tsv")
    cues = mouth_cues(motion)
    text = (cues_to_json(cues, motion.duration, sound_file) if suffix == ".json"
            else cues_to_tsv(cues, motion.duration))
    path.write_text(text, encoding="utf-8")
    return cues
