"""Keying a rig's own controls when its deform bones follow them through constraints.

In a generated Rigify rig (and Auto-Rig Pro style rigs) the deform bones copy helper bones that
follow the animator's controls; keys on the deform bones only show once their constraints are
off, and the controls then no longer move the character. With a controls preset the motion is
put on the controls instead (``presets/controls/*.json``)::

    {"name": "rigify", "detect": ["torso", "hips", ...],     # bones that identify the rig
     "root_motion": "torso",                                  # the control moving the body
     "bones": {"pelvis": "hips", "left_shoulder": "upper_arm_fk.L", ...},
     "switches": {"upper_arm_parent.L": {"IK_FK": 1.0}, ...}} # custom properties to key

A control's parent is often a helper that copies another control; which control each one
follows is read from Blender (``blender.controls``), and the controls become a small rig of their
own (:func:`control_rig`) that the ordinary retarget drives: each control is turned relative to
the control it follows.
"""

import json
from pathlib import Path

import numpy as np

from .bonemap import BoneMap
from .rig import RetargetError, Rig

CONTROL_DIR = Path(__file__).resolve().parent / "presets" / "controls"


def list_control_presets():
    return sorted(p.stem for p in CONTROL_DIR.glob("*.json"))


def load_control_preset(name):
    """A controls preset by name; RetargetError naming the presets there are."""
    path = CONTROL_DIR / f"{name}.json"
    if not path.is_file():
        raise RetargetError(f"no controls preset {name!r}; there are: "
                            f"{', '.join(list_control_presets())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("switches", {})
    data.setdefault("root_motion", "")
    return data


def match_controls(rig):
    """The controls preset whose identifying bones the rig has (None when none fits)."""
    for name in list_control_presets():
        preset = load_control_preset(name)
        if all(b in rig for b in preset["detect"]):
            return preset
    return None


def control_rig(rig, preset, follows):
    """(Rig of the keyed controls, BoneMap onto it, notes) for a controls preset.

    follows : {control: the control (or root-motion bone) whose rotation its parent copies,
        None when its parent stays still, "" when it follows something else}, read from the
        rig in Blender. Controls that follow something else are left out (with a note).
    The pelvis control is marked connected, so root motion goes to the preset's root-motion
    control above it (the whole body moves, not only the hips).
    """
    wanted = {j: b for j, b in preset["bones"].items() if b in rig}
    carrier = preset["root_motion"] if preset["root_motion"] in rig else None
    notes = []
    keep = [carrier] if carrier else []
    for joint, bone in wanted.items():
        if follows.get(bone, "") == "":
            notes.append(f"{bone} ({joint}) follows neither a control nor the rig: not keyed")
            continue
        keep.append(bone)
    index = {b: k for k, b in enumerate(keep)}
    parents = []
    for bone in keep:
        above = follows.get(bone)
        parents.append(index.get(above, -1) if above else -1)
    src = [rig.index(b) for b in keep]
    connected = np.zeros(len(keep), bool)
    pelvis = wanted.get("pelvis")
    if carrier and pelvis in index and parents[index[pelvis]] == index[carrier]:
        connected[index[pelvis]] = True
    controls = Rig(keep, parents, rig.heads[src], rig.tails[src], rig.matrices[src],
                   connected=connected, name=rig.name)
    kept = {j: b for j, b in wanted.items() if b in index}
    bone_map = BoneMap(kept, {j: 1.0 for j in kept}, {j: "controls" for j in kept},
                       source=f"{preset['name']} controls", notes=notes)
    return controls, bone_map, notes
