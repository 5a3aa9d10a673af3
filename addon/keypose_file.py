"""Key-pose dictionary files, as the add-on writes them. Standard library only.

The format is the one the server reads (see motion/keypose_file.py, which both sides open
files with, and inference/generation/keyposes.py), with SMPL-X joint names and axis-angle radians.
Capturing a pose for a word replaces whatever the file held for that word: the word is taken
out of other entries (an entry left without words is dropped) and a new entry is appended, so
the new pose is the one that plays.
"""

import json
import math
import os
import tempfile
from pathlib import Path

from ..motion.keypose_file import VERSION, KeyPoseError, entry_list, entry_words, read_json
from ..motion.skeleton import JOINT_INDEX


def load(path):
    """The dictionary in ``path`` as plain JSON data; an empty one if the file does not exist."""
    path = Path(path)
    if not path.exists():
        return {"version": VERSION, "entries": []}
    data = read_json(path)
    entries = entry_list(data, path)
    return data if isinstance(data, dict) else {"version": VERSION, "entries": entries}


def normalize_word(word):
    """The lower-case form a dictionary stores; KeyPoseError when nothing is left."""
    text = " ".join(str(word).split()).lower()
    if not text or len(text.split()) != 1:
        raise KeyPoseError(f"the key-pose word must be one word, got {word!r}")
    return text


def set_pose(data, word, pose, probability=1.0, hold=0.3):
    """Put a still pose for ``word`` into dictionary data (changed in place and returned).

    pose : {SMPL-X joint name: (x, y, z) axis-angle radians}, at least one joint.
    """
    word = normalize_word(word)
    if not pose:
        raise KeyPoseError("a key pose needs at least one joint")
    clean = {}
    for joint, value in pose.items():
        if joint not in JOINT_INDEX:
            raise KeyPoseError(f"{joint!r} is not an SMPL-X joint name")
        value = [float(v) for v in value]
        if len(value) != 3 or not all(math.isfinite(v) for v in value):
            raise KeyPoseError(f"joint {joint}: a key pose needs three finite numbers")
        clean[joint] = [round(v, 4) + 0.0 for v in value]
    if not 0.0 <= probability <= 1.0:
        raise KeyPoseError(f"probability must be between 0 and 1, got {probability}")
    if not 0.0 <= hold <= 10.0:
        raise KeyPoseError(f"hold must be between 0 and 10 seconds, got {hold}")
    entries = []
    for entry in data["entries"]:
        words = entry_words(entry)
        if isinstance(words, list):
            kept = [w for w in words if not (isinstance(w, str) and w.strip().lower() == word)]
            if not kept:
                continue
            if len(kept) != len(words):
                entry = {k: v for k, v in entry.items() if k != "word"}
                entry["words"] = kept
        entries.append(entry)
    entries.append({"words": [word], "probability": round(float(probability), 4),
                    "hold": round(float(hold), 4), "pose": clean})
    data["entries"] = entries
    data.setdefault("version", VERSION)
    return data


def save(path, data):
    """Write dictionary data to ``path`` atomically (a crash never leaves half a file)."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".keyposes-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise KeyPoseError(f"{path}: cannot be written ({exc.strerror or exc})") from None
