"""Automatic bone mapping for a rig nobody described: presets first, then names and hierarchy.

1. Every built-in preset is tried; one that finds at least ``min_coverage`` of its body joints
   is taken (confidence 1.0 for exact names, 0.95 for loose ones).
2. Joints still missing are found from bone names (:mod:`.names`): part, side and finger, on
   deform bones when the rig has a deform set (so Rigify's controls and helpers are skipped).
3. The hierarchy fills what names cannot say: the pelvis is the common ancestor of the legs,
   the chest the common ancestor of the arms, the spine bones between them are numbered
   spine1..spine3 by position in the chain (the chest is always spine3), the neck and head
   are the chain above the chest, fingers are numbered by their order along each chain.
4. Every joint must sit below the bone of its nearest mapped SMPL-X ancestor; one that does
   not is dropped with a note.
"""

import logging

import numpy as np

from ..skeleton import JOINT_NAMES, PARENTS, neutral_skeleton
from .bonemap import BoneMap, list_presets, preset_coverage
from .names import rig_names
from .rig import deform_parents

log = logging.getLogger(__name__)

FINGER_ORDER = ("index", "middle", "pinky", "ring", "thumb")
_LIMBS = (
    ("collar", "collar"), ("upper_arm", "shoulder"), ("forearm", "elbow"), ("hand", "wrist"),
    ("thigh", "hip"), ("shin", "knee"), ("foot", "ankle"), ("toe", "foot"),
)
_SIDE = {"L": "left", "R": "right"}


class _Tree:
    """The rig's (deform) hierarchy with ancestor queries."""

    def __init__(self, rig, parents):
        self.rig = rig
        self.parents = parents
        self.names = rig_names(rig.names)  # what each bone's name says
        self.depth = np.array([len(rig.ancestors(i, parents)) for i in range(len(rig))])
        self._anc = [set(rig.ancestors(i, parents)) for i in range(len(rig))]

    def below(self, i, ancestor):
        """True when bone i is a strict descendant of ``ancestor`` (any bone if None)."""
        return ancestor is None or ancestor in self._anc[i]

    def path(self, top, bottom):
        """Bones from just below ``top`` down to ``bottom`` inclusive (top excluded)."""
        out = []
        j = bottom
        while j >= 0 and j != top:
            out.append(j)
            j = self.parents[j]
        return out[::-1] if j == top else []

    def lca(self, a, b):
        chain = [a] + self.rig.ancestors(a, self.parents)
        others = set([b] + self.rig.ancestors(b, self.parents))
        return next((c for c in chain if c in others), None)

    def children(self, i):
        return [int(c) for c in np.flatnonzero(self.parents == i)]


def auto_map(rig, min_coverage=0.8, use_presets=True):
    """Map SMPL-X joints onto an unknown rig's bones -> BoneMap with confidences and notes."""
    parents = deform_parents(rig)
    tree = _Tree(rig, parents)
    bones, conf, how, notes = {}, {}, {}, []
    source = "auto"
    if use_presets:
        best = max(((preset_coverage(rig, name), name) for name in list_presets()),
                   key=lambda item: (item[0][0], len(item[0][1])))
        (coverage, preset_map), name = best
        if coverage >= min_coverage:
            source = name
            bones.update(preset_map.bones)
            conf.update(preset_map.confidence)
            how.update(preset_map.how)
            log.debug("rig %s matches preset %s (%.0f%% of body joints)", rig.name, name,
                      100 * coverage)
    guess = _guess(rig, tree)
    used = set(bones.values())
    for joint, (bone, c, h) in guess.items():
        if joint not in bones and rig.names[bone] not in used:
            bones[joint], conf[joint], how[joint] = rig.names[bone], c, h
            used.add(rig.names[bone])
    _promote_chest(bones, conf, how, notes)
    _check_hierarchy(rig, tree, bones, conf, how, notes)
    ordered = {j: bones[j] for j in JOINT_NAMES if j in bones}
    result = BoneMap(ordered, {j: conf[j] for j in ordered}, {j: how[j] for j in ordered},
                     source=source, notes=notes)
    if result.missing_major:
        log.info("rig %s: no bone found for %s", rig.name, ", ".join(result.missing_major))
    return result


def _promote_chest(bones, conf, how, notes):
    """The bone carrying the arms must be spine3 (its rotation includes the whole spine)."""
    if "spine3" in bones:
        return
    for lower in ("spine2", "spine1"):
        if lower in bones:
            bones["spine3"] = bones.pop(lower)
            conf["spine3"], how["spine3"] = conf.pop(lower), how.pop(lower)
            notes.append(f"{bones['spine3']} drives spine3 (the rig has fewer spine bones)")
            return


def _check_hierarchy(rig, tree, bones, conf, how, notes):
    for j in range(len(JOINT_NAMES)):
        joint = JOINT_NAMES[j]
        if joint not in bones:
            continue
        a = PARENTS[j]
        while a >= 0 and JOINT_NAMES[a] not in bones:
            a = PARENTS[a]
        if a < 0:
            continue
        bone, anc = rig.index(bones[joint]), rig.index(bones[JOINT_NAMES[a]])
        if not tree.below(bone, anc):
            notes.append(f"dropped {joint} -> {bones[joint]}: not below {bones[JOINT_NAMES[a]]} "
                         f"({JOINT_NAMES[a]})")
            del bones[joint], conf[joint], how[joint]


def _guess(rig, tree):
    """{joint: (bone index, confidence, how)} from names and hierarchy alone."""
    parsed = tree.names
    usable = [i for i, p in enumerate(parsed) if p.part and not p.helper]
    deform = [i for i in usable if rig.deform[i]]
    if len(deform) >= 10:
        usable = deform
    lateral, center = _lateral(rig, usable, parsed)
    cands = {}
    # a bone named loosely after its part yields to one named plainly
    for i in sorted(usable, key=lambda i: (parsed[i].loose, tree.depth[i], len(rig.names[i]))):
        p = parsed[i]
        side = p.side
        sided = p.part in ("collar", "upper_arm", "forearm", "hand", "finger", "thigh", "shin",
                           "foot", "toe", "eye")
        penalty = 0.0
        if sided and side is None:
            side = "L" if (rig.heads[i] - center) @ lateral > 0.0 else "R"
            penalty = 0.2
        cands.setdefault((p.part, side if sided else None), []).append((i, penalty))
    out = {}

    def take(joint, bone, confidence, how):
        if bone is not None and joint not in out and all(b != bone for b, _, _ in out.values()):
            out[joint] = (bone, confidence, how)

    def first(part, side, below=None):
        for i, penalty in cands.get((part, side), []):
            if tree.below(i, below) and all(b != i for b, _, _ in out.values()):
                return i, penalty
        return None, 0.0

    for side in ("L", "R"):
        _guess_limbs(side, first, take, cands, tree)
    _guess_torso(rig, tree, cands, first, take, out)
    for side in ("L", "R"):
        wrist = out.get(f"{_SIDE[side]}_wrist", (None,))[0]
        _guess_fingers(side, wrist, parsed, cands, tree, take)
    head = out.get("head", (None,))[0]
    if head is not None:
        bone, pen = first("jaw", None, head)
        take("jaw", bone, 0.9 - pen, "name")
        for side in ("L", "R"):
            bone, pen = first("eye", side, head)
            take(f"{_SIDE[side]}_eye_smplhf", bone, 0.9 - pen, "name")
    return out


def _lateral(rig, usable, parsed):
    """(unit axis toward the body's left, a point on the midline) for bones named without a side.

    Bones that do name their side show which way left is; otherwise Blender's +x is assumed.
    """
    left = [i for i in usable if parsed[i].side == "L"]
    right = [i for i in usable if parsed[i].side == "R"]
    if left and right:
        a, b = rig.heads[left].mean(axis=0), rig.heads[right].mean(axis=0)
        if np.linalg.norm(a - b) > 1e-9:
            return (a - b) / np.linalg.norm(a - b), 0.5 * (a + b)
    unsided = [i for i in usable if parsed[i].side is None and parsed[i].part in
               ("pelvis", "spine", "neck", "head")]
    center = np.median(rig.heads[unsided], axis=0) if unsided else np.zeros(3)
    return np.array([1.0, 0.0, 0.0]), center


def _guess_limbs(side, first, take, cands, tree):
    s = _SIDE[side]
    above = None
    chain = {}
    for part, joint in _LIMBS:
        if part == "thigh":
            above = None  # legs start a new chain
        bone, pen = first(part, side, above)
        if bone is None and part == "upper_arm" and "collar" in chain:
            # "shoulder" names the clavicle in some rigs and the upper arm in others.
            bone, pen = first("collar", side, chain["collar"])
        if bone is None and part == "toe" and "foot" in chain:
            # SMPL-X's own names call the toe joint "foot".
            bone, pen = first("foot", side, chain["foot"])
        if bone is None and part == "thigh":
            # "Leg" may be the thigh when a separate knee/shin bone hangs below it.
            legs = cands.get(("shin", side), [])
            for i, p in legs:
                if any(tree.below(k, i) for k, _ in legs if k != i):
                    bone, pen = i, p
                    break
        if bone is None:
            continue
        chain[part] = bone
        take(f"{s}_{joint}", bone, 0.9 - pen, "name")
        above = bone


def _guess_torso(rig, tree, cands, first, take, out):
    def mapped(joint):
        return out.get(joint, (None,))[0]

    lh, rh = mapped("left_hip"), mapped("right_hip")
    pelvis, pen = None, 0.0
    for i, p in cands.get(("pelvis", None), []):
        legs = [leg for leg in (lh, rh) if leg is not None]
        if all(tree.below(leg, i) for leg in legs):
            pelvis, pen = i, p
            break
    if pelvis is not None:
        take("pelvis", pelvis, 0.9 - pen, "name")
    elif lh is not None and rh is not None:
        pelvis = tree.lca(lh, rh)
        take("pelvis", pelvis, 0.7, "hierarchy")

    arms = [mapped(f"{s}_collar") or mapped(f"{s}_shoulder") for s in ("left", "right")]
    parsed_parts = {i: tree.names[i].part for i in range(len(rig))}
    chest = None
    if arms[0] is not None and arms[1] is not None:
        chest = tree.lca(arms[0], arms[1])
        while chest is not None and parsed_parts[chest] in ("neck", "head"):
            chest = tree.parents[chest] if tree.parents[chest] >= 0 else None
        if chest is not None and pelvis is not None and not tree.below(chest, pelvis):
            chest = None
    if chest is None and pelvis is not None:
        # No arms: the spine is the chain of spine-named bones above the pelvis.
        j = pelvis
        while True:
            nxt = [c for c in tree.children(j) if parsed_parts[c] == "spine"]
            if not nxt:
                break
            j = nxt[0]
        chest = j if j != pelvis else None
    if chest is not None:
        path = tree.path(pelvis, chest) if pelvis is not None else [chest]
        path = path or [chest]
        named = all(parsed_parts[b] == "spine" for b in path)
        c = 0.8 if named else 0.6
        n = len(path)
        take("spine3", path[-1], c, "hierarchy")
        if n >= 2:
            take("spine1", path[0], c, "hierarchy")
        if n >= 3:
            take("spine2", _spine2(rig, path), c, "hierarchy")

    # Head: a head-named bone below the chest, else the top of the chain above the chest.
    head, pen = first("head", None, chest)
    if head is not None:
        take("head", head, 0.9 - pen, "name")
        neck_path = tree.path(chest, head)[:-1] if chest is not None else []
        neck_named, npen = first("neck", None, chest)
        if neck_path:
            take("neck", neck_path[0], 0.8, "hierarchy")
        elif neck_named is not None:
            take("neck", neck_named, 0.9 - npen, "name")
    elif chest is not None:
        up = _up_axis(rig, pelvis, chest)
        chain = []
        j = chest
        while True:
            nxt = [c for c in tree.children(j)
                   if parsed_parts[c] in ("spine", "neck", "head", None)
                   and not tree.names[c].helper and tree.names[c].side is None
                   and _continues(rig, j, c)]
            if not nxt:
                break
            j = max(nxt, key=lambda c: rig.heads[c] @ up + rig.tails[c] @ up)
            chain.append(j)
        if chain:
            take("head", chain[-1], 0.7, "hierarchy")
        if len(chain) >= 2:
            take("neck", chain[0], 0.7, "hierarchy")


def _spine2(rig, path):
    """The in-between spine bone whose head sits where SMPL-X's spine2 does along the chain."""
    rest = neutral_skeleton().rest_positions
    s1, s2, s3 = (JOINT_NAMES.index(n) for n in ("spine1", "spine2", "spine3"))
    target = np.linalg.norm(rest[s2] - rest[s1]) / (
        np.linalg.norm(rest[s2] - rest[s1]) + np.linalg.norm(rest[s3] - rest[s2]))
    heads = rig.heads[path]
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(heads, axis=0), axis=1))])
    along = along / max(along[-1], 1e-12)
    inner = range(1, len(path) - 1)
    return path[min(inner, key=lambda k: abs(along[k] - target))]


def _continues(rig, parent, child):
    """A child continues its parent's chain when it starts near the parent's tail."""
    length = max(np.linalg.norm(rig.tails[parent] - rig.heads[parent]), 1e-9)
    return np.linalg.norm(rig.heads[child] - rig.tails[parent]) < 0.3 * length


def _up_axis(rig, pelvis, chest):
    if pelvis is not None and chest is not None:
        d = rig.heads[chest] - rig.heads[pelvis]
        if np.linalg.norm(d) > 1e-9:
            return d / np.linalg.norm(d)
    return np.array([0.0, 0.0, 1.0])


def _guess_fingers(side, wrist, parsed, cands, tree, take):
    s = _SIDE[side]
    pool = [i for i, _ in cands.get(("finger", side), [])]
    for finger in FINGER_ORDER:
        bones = [i for i in pool if parsed[i].finger == finger
                 and (finger == "thumb" or not parsed[i].metacarpal)
                 and tree.below(i, wrist)]
        if not bones:
            continue
        bones.sort(key=lambda i: tree.depth[i])
        chain = [bones[0]]
        members = set(bones)
        while len(chain) < 3:
            nxt = [c for c in tree.children(chain[-1]) if c in members]
            if not nxt:
                break
            chain.append(nxt[0])
        for k, bone in enumerate(chain, start=1):
            take(f"{s}_{finger}{k}", bone, 0.85, "name")
