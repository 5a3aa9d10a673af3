"""Bone maps: which rig bone each SMPL-X joint drives, as data.

A preset is a JSON file in ``presets/``::

    {"name": "mixamo", "description": "...",
     "bones": {"pelvis": "mixamorig:Hips", "spine3": ["mixamorig:Spine2"], ...}}

Each joint lists one bone name or alternatives tried in order; joints are resolved in file
order and a bone is used once, so alternatives can cover several versions of a naming scheme.
Names match exactly first, then loosely (namespace, case and separators ignored).
"""

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..jsonfile import JsonFileError, read_json
from ..skeleton import JOINT_INDEX, JOINT_NAMES
from .names import normalized
from .rig import RetargetError

log = logging.getLogger(__name__)

PRESET_DIR = Path(__file__).resolve().parent / "presets"

# Joints whose absence makes a body retarget meaningless; automatic mapping reports them first.
MAJOR_JOINTS = (
    "pelvis", "spine1", "spine2", "spine3", "neck", "head",
    "left_collar", "right_collar", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)
FINGER_JOINTS = JOINT_NAMES[25:55]


@dataclass
class BoneMap:
    """SMPL-X joint name -> rig bone name, with a confidence in [0, 1] and how it was found.

    bones : {joint: bone}; confidence : {joint: float}; how : {joint: "preset" | "name" |
    "hierarchy" | "manual"}; source : preset name, "auto" or "manual".
    """

    bones: dict
    confidence: dict = field(default_factory=dict)
    how: dict = field(default_factory=dict)
    source: str = "manual"
    notes: list = field(default_factory=list)

    def __post_init__(self):
        unknown = [j for j in self.bones if j not in JOINT_INDEX]
        if unknown:
            raise RetargetError(f"bone map {self.source!r}: unknown SMPL-X joint(s) {unknown}")
        seen = {}
        for joint, bone in self.bones.items():
            if bone in seen:
                raise RetargetError(
                    f"bone map {self.source!r}: bone {bone!r} is mapped to both "
                    f"{seen[bone]} and {joint}"
                )
            seen[bone] = joint
        for joint in self.bones:
            self.confidence.setdefault(joint, 1.0)
            self.how.setdefault(joint, "manual")

    def __len__(self):
        return len(self.bones)

    def __contains__(self, joint):
        return joint in self.bones

    def get(self, joint, default=None):
        return self.bones.get(joint, default)

    @property
    def unmapped(self):
        """SMPL-X joints with no bone, in SMPL-X order."""
        return [j for j in JOINT_NAMES if j not in self.bones]

    @property
    def missing_major(self):
        return [j for j in MAJOR_JOINTS if j not in self.bones]

    def ordered(self):
        """(joint, bone) pairs in SMPL-X joint order."""
        return [(j, self.bones[j]) for j in JOINT_NAMES if j in self.bones]

    def check(self, rig):
        """Raise RetargetError naming the first mapped bone the rig does not have."""
        for joint, bone in self.ordered():
            if bone not in rig:
                raise RetargetError(
                    f"bone map {self.source!r}: joint {joint} maps to {bone!r}, "
                    f"which rig {rig.name!r} does not have"
                )

    def report(self):
        """A human-readable table of the map and what stayed unmapped."""
        lines = [f"bone map ({self.source}): {len(self.bones)} of {len(JOINT_NAMES)} "
                 f"SMPL-X joints mapped"]
        for joint, bone in self.ordered():
            lines.append(f"  {joint:<18} -> {bone:<28} {self.confidence[joint]:.2f} "
                         f"({self.how[joint]})")
        if self.unmapped:
            lines.append("unmapped: " + ", ".join(self.unmapped))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_json(self):
        return {"name": self.source, "bones": dict(self.ordered())}

    def save(self, path):
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


def list_presets():
    """Names of the built-in presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name_or_path):
    """A preset's raw ``{joint: [bone names...]}`` dict, by preset name or JSON file path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PRESET_DIR / f"{name_or_path}.json"
        if not path.exists():
            raise RetargetError(
                f"no bone map preset {name_or_path!r}; built-in presets: {', '.join(list_presets())}"
            )
    if not path.exists():
        raise RetargetError(f"{path}: bone map file not found")
    try:
        data = read_json(path, "JSON bone map", max_bytes=1024 * 1024)
    except JsonFileError as exc:
        raise RetargetError(str(exc)) from None
    bones = data.get("bones") if isinstance(data, dict) else None
    if not isinstance(bones, dict):
        raise RetargetError(f"{path}: a bone map needs a 'bones' object of joint -> bone name")
    out = {}
    for joint, names in bones.items():
        if joint not in JOINT_INDEX:
            raise RetargetError(f"{path}: {joint!r} is not an SMPL-X joint name")
        names = [names] if isinstance(names, str) else names
        if not (isinstance(names, list) and 0 < len(names) <= 64 and all(isinstance(n, str) for n in names)):
            raise RetargetError(f"{path}: joint {joint} must map to a bone name or a list of them "
                                f"(text), got {type(names).__name__}")
        out[joint] = names
    name = data.get("name", path.stem)
    return {"name": name if isinstance(name, str) else path.stem, "bones": out}


def apply_preset(rig, preset):
    """Resolve a preset (name, path or loaded dict) against a rig's bones -> BoneMap."""
    if not isinstance(preset, dict):
        preset = load_preset(preset)
    loose = {}
    for i, bone in enumerate(rig.names):
        loose.setdefault(normalized(bone), bone)
    used = set()
    bones, confidence, how = {}, {}, {}
    for joint, names in preset["bones"].items():
        for candidate in names:
            if candidate in rig and candidate not in used:
                found, conf = candidate, 1.0
            else:
                found = loose.get(normalized(candidate))
                conf = 0.95
                if found is None or found in used:
                    continue
            bones[joint], confidence[joint], how[joint] = found, conf, "preset"
            used.add(found)
            break
    return BoneMap(bones, confidence, how, source=preset["name"])


def preset_coverage(rig, preset):
    """(fraction of the preset's body joints found in the rig, resolved BoneMap)."""
    if not isinstance(preset, dict):
        preset = load_preset(preset)
    bone_map = apply_preset(rig, preset)
    body = [j for j in preset["bones"] if JOINT_INDEX[j] < 22]
    if not body:
        return 0.0, bone_map
    return sum(j in bone_map for j in body) / len(body), bone_map
