"""Synthetic humanoid rigs for the retargeting tests, in several naming schemes and rest poses.

Bones are laid out on the built-in SMPL-X skeleton (so directions can be compared exactly),
then changed the ways real rigs differ: an A-pose, curled fingers, random bone rolls, other
axes and units (Y-up centimetres like a Mixamo FBX, facing +Y like an Unreal export), extra
in-between bones (split spines and necks, palms, metacarpals), twist and helper bones.
The same data builds a numpy Rig and, in the Blender tests, a real armature.
"""

import json
from pathlib import Path

import numpy as np

from talkrig.motion.retarget import Rig
from talkrig.motion.retarget.plan import BLENDER_FRAME, PRIMARY_CHILD
from talkrig.motion.skeleton import FLOOR_OFFSET, JOINT_INDEX, JOINT_NAMES, PARENTS, neutral_skeleton

PRESETS = Path(__file__).resolve().parents[2] / "motion" / "retarget" / "presets"
FRAMES = {
    "blender": BLENDER_FRAME,  # z up, facing -y
    "yup": np.eye(3),  # y up, facing +z (FBX from Mixamo, before the importer's rotation)
    "ue": np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),  # z up, facing +y
}
FINGERS = ("index", "middle", "pinky", "ring", "thumb")
FINGER_NAMES = ("thumb", "index", "middle", "ring", "pinky")  # thumb first, as rigs number them


def smplx_bone_directions(poses, trans=None):
    """(T, 55, 3) unit SMPL-X segment directions (joint -> child, or the finger tip extension)
    and (T, 55, 3, 3) global rotations, from forward kinematics on the neutral skeleton."""
    sk = neutral_skeleton()
    g, x = sk.forward_kinematics(poses, trans)
    out = np.zeros(x.shape)
    for j in range(len(JOINT_NAMES)):
        if j in PRIMARY_CHILD:
            out[:, j] = x[:, PRIMARY_CHILD[j]] - x[:, j]
        else:
            out[:, j] = g[:, j] @ (sk.rest_positions[j] - sk.rest_positions[PARENTS[j]])
    return out / np.linalg.norm(out, axis=-1, keepdims=True), g


def preset_names(preset):
    """joint -> first bone name of a built-in preset."""
    bones = json.loads((PRESETS / f"{preset}.json").read_text())["bones"]
    return {j: (v if isinstance(v, str) else v[0]) for j, v in bones.items()}


LIMBS = ("collar", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot")


def _named(middle, marks, limbs, finger):
    """joint -> bone name: ``middle`` for the joints of no side; for each side, its mark in
    ``marks`` (left's, right's) put into ``limbs`` (a pattern with "{s}" per joint of LIMBS)
    and into ``finger(s, number, finger, k)``, the k-th bone of each finger (numbered from 0,
    thumb first)."""
    names = dict(middle)
    for side, s in zip(("left", "right"), marks):
        names.update({f"{side}_{limb}": pattern.format(s=s) for limb, pattern in zip(LIMBS, limbs)})
        for number, f in enumerate(FINGER_NAMES):
            for k in (1, 2, 3):
                names[f"{side}_{f}{k}"] = finger(s, number, f, k)
    return names


def _generic_names():
    return _named({"pelvis": "Hips", "spine1": "Spine", "spine2": "Chest", "spine3": "UpperChest",
                   "neck": "Neck", "head": "Head", "jaw": "Jaw", "left_eye_smplhf": "Eye.L",
                   "right_eye_smplhf": "Eye.R"}, ("L", "R"),
                  ("Clavicle.{s}", "UpperArm.{s}", "LowerArm.{s}", "Wrist.{s}", "UpperLeg.{s}", "Knee.{s}",
                   "Ankle.{s}", "Toes.{s}"),
                  lambda s, number, f, k: f"{f.capitalize()}{k}.{s}")


def _biped_names():
    """3ds Max Biped's names (game studios' rigs): fingers by number, thumb first, the digits of
    a finger's next bones glued on ("Finger0", "Finger01", "Finger02"); no jaw or eyes."""
    return _named({"pelvis": "Bip01 Pelvis", "spine1": "Bip01 Spine", "spine2": "Bip01 Spine1",
                   "spine3": "Bip01 Spine2", "neck": "Bip01 Neck", "head": "Bip01 Head"}, ("L", "R"),
                  ("Bip01 {s} Clavicle", "Bip01 {s} UpperArm", "Bip01 {s} Forearm", "Bip01 {s} Hand",
                   "Bip01 {s} Thigh", "Bip01 {s} Calf", "Bip01 {s} Foot", "Bip01 {s} Toe0"),
                  lambda s, number, f, k: f"Bip01 {s} Finger{number}" + ("" if k == 1 else str(k - 1)))


SHORT_FINGERS = ("Thumb", "Index", "Mid", "Ring", "Pinky")  # DAZ's and Character Creator's


def _daz_names():
    """DAZ Genesis' names: sides as a lower-case first letter, the middle finger "Mid"."""
    return _named({"pelvis": "hip", "spine1": "abdomenLower", "spine2": "abdomenUpper",
                   "spine3": "chestUpper", "neck": "neckLower", "head": "head"}, ("l", "r"),
                  ("{s}Collar", "{s}ShldrBend", "{s}ForearmBend", "{s}Hand", "{s}ThighBend", "{s}Shin",
                   "{s}Foot", "{s}Toe"),
                  lambda s, number, f, k: f"{s}{SHORT_FINGERS[number]}{k}")


def _character_creator_names():
    """Character Creator's (iClone) names: a "CC_Base_" prefix, the jaw "JawRoot", the middle
    finger "Mid"."""
    return _named({"pelvis": "CC_Base_Hip", "spine1": "CC_Base_Waist", "spine2": "CC_Base_Spine01",
                   "spine3": "CC_Base_Spine02", "neck": "CC_Base_NeckTwist01", "head": "CC_Base_Head",
                   "jaw": "CC_Base_JawRoot"}, ("L", "R"),
                  ("CC_Base_{s}_Clavicle", "CC_Base_{s}_Upperarm", "CC_Base_{s}_Forearm", "CC_Base_{s}_Hand",
                   "CC_Base_{s}_Thigh", "CC_Base_{s}_Calf", "CC_Base_{s}_Foot", "CC_Base_{s}_ToeBase"),
                  lambda s, number, f, k: f"CC_Base_{s}_{SHORT_FINGERS[number]}{k}")


def _auto_rig_pro_names():
    """Auto-Rig Pro's deforming bones (Blender): the middle marked ".x", the hips "root.x", the
    limbs "arm_stretch", "forearm_stretch", "thigh_stretch", "leg_stretch", the jaw "jawbone"."""
    return _named({"pelvis": "root.x", "spine1": "spine_01.x", "spine2": "spine_02.x", "spine3": "spine_03.x",
                   "neck": "neck.x", "head": "head.x", "jaw": "jawbone.x"}, ("l", "r"),
                  ("shoulder.{s}", "arm_stretch.{s}", "forearm_stretch.{s}", "hand.{s}", "thigh_stretch.{s}",
                   "leg_stretch.{s}", "foot.{s}", "toes_01.{s}"),
                  lambda s, number, f, k: f"{f}{k}.{s}")


STYLES = {
    "smplx": lambda: {j: j for j in JOINT_NAMES},
    "mixamo": lambda: preset_names("mixamo"),
    "ue5": lambda: preset_names("ue5_mannequin"),
    "rigify": lambda: preset_names("rigify_metarig"),
    "vroid": lambda: {j: next(n for n in v if n.startswith("J_")) for j, v in
                      json.loads((PRESETS / "vrm.json").read_text())["bones"].items()
                      if any(n.startswith("J_") for n in v)},
    "generic": _generic_names,
    "biped": _biped_names,
    "daz": _daz_names,
    "character_creator": _character_creator_names,
    "auto_rig_pro": _auto_rig_pro_names,
}


def _rotate_about(points, center, axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    r = np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k
    return (points - center) @ r.T + center


def _descendants(j):
    out = [j]
    for c in range(len(PARENTS)):
        if PARENTS[c] in out and c not in out:
            out.append(c)
    return out


def posed_joints(arm_drop_deg=45.0, finger_curl_deg=12.0):
    """SMPL-X rest joints (soles on y = 0) with arms lowered and fingers curled."""
    p = neutral_skeleton().rest_positions.copy()
    p[:, 1] += FLOOR_OFFSET
    for side, sign in (("left", -1.0), ("right", 1.0)):
        sh = JOINT_INDEX[f"{side}_shoulder"]
        idx = _descendants(sh)
        p[idx] = _rotate_about(p[idx], p[sh], [0, 0, 1], sign * np.radians(arm_drop_deg))
        across = p[JOINT_INDEX[f"{side}_index1"]] - p[JOINT_INDEX[f"{side}_pinky1"]]
        for f in FINGERS[:4]:
            for k in (1, 2):
                j = JOINT_INDEX[f"{side}_{f}{k}"]
                idx = _descendants(j)[1:]
                # curl toward the palm: about the across-palm axis, sign so tips go down
                p[idx] = _rotate_about(p[idx], p[j], across * -sign, np.radians(finger_curl_deg))
    return p


def _leaf_tail(j, p):
    name = JOINT_NAMES[j]
    if name == "head":
        return p[j] + [0, 0.2, 0]
    if name == "jaw":
        return p[j] + [0, -0.03, 0.08]
    if "eye" in name:
        return p[j] + [0, 0, 0.03]
    if name.endswith("_foot"):
        return p[j] + [0, 0, 0.06]
    return p[j] + 0.8 * (p[j] - p[PARENTS[j]])


# Limb segments whose length a rig of other proportions changes: name -> SMPL-X joints whose
# offset from their parent is scaled.
SEGMENTS = {"spine": (3, 6, 9), "neck": (12, 15), "upper_arm": (18, 19), "forearm": (20, 21),
            "thigh": (4, 5), "shin": (7, 8), "shoulders": (13, 14)}


def reproportioned(p, proportions):
    """Joint positions (55, 3) with segments scaled (``{segment: factor}``, see SEGMENTS), the
    pelvis kept where it is and the whole body moved up or down so its soles stay on the floor."""
    if not proportions:
        return p
    factor = np.ones(len(p))
    for segment, f in proportions.items():
        factor[list(SEGMENTS[segment])] = f
    out = p.copy()
    for j in range(1, len(p)):  # parents come first in SMPL-X order
        out[j] = out[PARENTS[j]] + factor[j] * (p[j] - p[PARENTS[j]])
    out[:, 1] += p[:, 1].min() - out[:, 1].min()
    return out


def upright(p):
    """Joint positions with the spine, neck and head on one vertical line over the pelvis, as
    rigs are usually built (SMPL-X's joints zigzag with the curves of the back)."""
    out = p.copy()
    for j in (3, 6, 9, 12, 15):
        out[j, [0, 2]] = p[0, [0, 2]]
    out[22:25, [0, 2]] += out[15, [0, 2]] - p[15, [0, 2]]  # jaw and eyes move with the head
    return out


def rig_data(style="smplx", extras=True, arm_drop_deg=45.0, finger_curl_deg=12.0, seed=0,
             frame="blender", units=1.0, odd_rolls=True, proportions=None, twist=None,
             finger_bones=3, toes=True, helpers=False, root=None, upright_spine=False):
    """Bone list for a synthetic rig -> dict(names, parents (names), heads, tails, rolls,
    connected).

    proportions : {segment: length factor} (see SEGMENTS), a body unlike SMPL-X's.
    twist : "chain" puts a twist bone inside each upper arm and forearm (limb -> twist -> next
        limb), as rigs exported from Maya or 3ds Max have.
    finger_bones : 2 gives every finger two bones (the second reaching the finger tip).
    toes : False leaves out the toe bones (the foot bone reaches the toe tip).
    helpers : add leaf corrective/helper bones (elbow, knee, buttock, shoulder pads).
    root : "floor" adds a ``root`` bone on the floor above the hips in the hierarchy;
        "connected" also glues the pelvis to the root bone's tail (``use_connect``).
    upright_spine : a straight vertical spine, neck and head (see :func:`upright`).
    """
    names = STYLES[style]()
    if finger_bones == 2:
        names = {j: n for j, n in names.items() if not (JOINT_INDEX[j] >= 25 and j.endswith("3"))}
    if not toes:
        names = {j: n for j, n in names.items() if not j.endswith("_foot")}
    p = reproportioned(posed_joints(arm_drop_deg, finger_curl_deg), proportions)
    if upright_spine:
        p = upright(p)
    bones = {}  # name -> [parent, head, tail]
    order = []
    connected = set()

    def add(name, parent, head, tail):
        bones[name] = [parent, np.array(head, float), np.array(tail, float)]
        order.append(name)

    def bone_of(j):
        while j >= 0 and JOINT_NAMES[j] not in names:
            j = PARENTS[j]
        return names[JOINT_NAMES[j]] if j >= 0 else None

    if root in ("floor", "connected"):
        add("root", None, [0, 0, 0], p[0] if root == "connected" else [0, 0.2, 0])
    elif extras and style in ("smplx", "ue5", "vroid"):
        add("root", None, [0, 0, 0], [0, 0.2, 0])
    for j, joint in enumerate(JOINT_NAMES):
        if joint not in names:
            continue
        parent = bone_of(PARENTS[j]) if PARENTS[j] >= 0 else ("root" if "root" in bones else None)
        tail = _tail(j, p, names)
        add(names[joint], parent, p[j], tail)
    if root == "connected":
        connected.add(names["pelvis"])
    if extras:
        _add_extras(style, names, bones, order, add, p)
    if twist == "chain":
        for side in ("left", "right"):
            for joint in ("shoulder", "elbow"):
                limb = names[f"{side}_{joint}"]
                _split(bones, order, add, limb, _twist_name(limb))
                connected.add(_twist_name(limb))
    if helpers:
        _add_helpers(names, bones, add)
    _sort_parents_first(bones, order)
    frame_m = FRAMES[frame]
    heads = np.array([frame_m @ bones[n][1] for n in order]) * units
    tails = np.array([frame_m @ bones[n][2] for n in order]) * units
    rng = np.random.default_rng(seed)
    rolls = rng.uniform(-np.pi, np.pi, len(order)) if odd_rolls else np.zeros(len(order))
    return {"names": order, "parents": [bones[n][0] for n in order], "heads": heads,
            "tails": tails, "rolls": rolls, "connected": [n in connected for n in order]}


def _tail(j, p, names):
    """Tail of joint j's bone: its child joint, or the end of the chain a rig leaves out (a
    two-bone finger reaches the finger tip, a foot without toes the toe tip)."""
    if j not in PRIMARY_CHILD:
        return _leaf_tail(j, p)
    child = PRIMARY_CHILD[j]
    if JOINT_NAMES[child] in names:
        return p[child]
    return p[PRIMARY_CHILD[child]] if child in PRIMARY_CHILD else _leaf_tail(child, p)


def _twist_name(limb):
    """Twist bone name beside a limb bone's: ``UpperArm.L`` -> ``UpperArmTwist.L``."""
    stem, dot, side = limb.rpartition(".")
    return f"{stem}Twist.{side}" if dot else f"{limb}_twist"


def _add_helpers(names, bones, add):
    """Leaf corrective bones as riggers add them: short, off the limb line, never mapped."""
    for side, s in (("left", "L"), ("right", "R")):
        for joint, label, offset in (("elbow", "ElbowCorrective", [0, 0, -0.05]),
                                     ("knee", "KneeCorrective", [0, 0, 0.06]),
                                     ("hip", "ButtockHelper", [0, 0, -0.08]),
                                     ("shoulder", "ShoulderPadHelper", [0, 0.05, 0])):
            parent = names[f"{side}_{joint}"]
            head = bones[parent][1] + offset
            add(f"{label}.{s}", parent, head, head + [0, 0, 0.04])


def _split(bones, order, add, name, new_name, at=0.5):
    """Split bone ``name`` at ``at``: the new bone takes the far part and the children."""
    parent, head, tail = bones[name]
    mid = head + at * (tail - head)
    for other in order:
        if bones[other][0] == name:
            bones[other][0] = new_name
    bones[name][2] = mid
    add(new_name, name, mid, tail)


def _add_extras(style, names, bones, order, add, p):
    if style == "ue5":
        _split(bones, order, add, "spine_01", "spine_02")
        _split(bones, order, add, "spine_03", "spine_04")
        _split(bones, order, add, "neck_01", "neck_02")
        for s in ("l", "r"):
            hand = f"hand_{s}"
            for f in ("index", "middle", "pinky", "ring"):
                first = f"{f}_01_{s}"
                meta = f"{f}_metacarpal_{s}"
                head = bones[hand][1] + 0.25 * (bones[first][1] - bones[hand][1])
                add(meta, hand, head, bones[first][1])
                bones[first][0] = meta
            # Twist bones hang under each limb bone along it, as on UE5's Manny: _01 near the
            # shoulder/hip and the wrist/ankle, _02 in the middle.
            for limb, places in (("upperarm", (0.1, 0.5)), ("lowerarm", (0.6, 0.3)),
                                 ("thigh", (0.1, 0.5)), ("calf", (0.6, 0.3))):
                b = f"{limb}_{s}"
                h, t = bones[b][1], bones[b][2]
                for k, at in enumerate(places, start=1):
                    add(f"{limb}_twist_0{k}_{s}", b, h + at * (t - h), h + (at + 0.3) * (t - h))
            add(f"ik_foot_{s}", "ik_foot_root", bones[f"foot_{s}"][1], bones[f"foot_{s}"][1] + [0, 0, 0.1])
            add(f"ik_hand_{s}", "ik_hand_root", bones[hand][1], bones[hand][1] + [0, 0.1, 0])
        add("ik_foot_root", "root", [0, 0, 0], [0, 0.1, 0])
        add("ik_hand_root", "root", [0, 0, 0], [0, 0.1, 0])
    elif style == "rigify":
        _split(bones, order, add, "spine.004", "spine.005")
        for s in ("L", "R"):
            hand = f"hand.{s}"
            for k, f in enumerate(("f_index", "f_middle", "f_ring", "f_pinky"), start=1):
                first = f"{f}.01.{s}"
                palm = f"palm.0{k}.{s}"
                head = bones[hand][1] + 0.3 * (bones[first][1] - bones[hand][1])
                add(palm, hand, head, bones[first][1])
                bones[first][0] = palm
            bones[f"thumb.01.{s}"][0] = f"palm.01.{s}"
            h = bones[hand][1]
            bones[hand][2] = h + 0.3 * (bones[f"f_middle.01.{s}"][1] - h)
            add(f"pelvis.{s}", "spine", bones["spine"][1], bones["spine"][1] + [0.1 * (1 if s == "L" else -1), 0.05, 0.1])
            add(f"breast.{s}", "spine.003", bones["spine.003"][1] + [0.1 * (1 if s == "L" else -1), 0, 0.1],
                bones["spine.003"][1] + [0.1 * (1 if s == "L" else -1), 0, 0.2])
            ankle = bones[f"foot.{s}"][1]
            add(f"heel.02.{s}", f"foot.{s}", [ankle[0] - 0.04, 0.0, ankle[2] - 0.05],
                [ankle[0] + 0.04, 0.0, ankle[2] - 0.05])
    elif style == "mixamo":
        add("mixamorig:HeadTop_End", "mixamorig:Head", bones["mixamorig:Head"][2],
            bones["mixamorig:Head"][2] + [0, 0.05, 0])
        for side in ("Left", "Right"):
            for f in ("Index", "Middle", "Pinky", "Ring", "Thumb"):
                last = next(b for b in (f"mixamorig:{side}Hand{f}{k}" for k in (3, 2)) if b in bones)
                t = bones[last][2]
                add(f"mixamorig:{side}Hand{f}4", last, t, t + 0.5 * (t - bones[last][1]))
            toe = f"mixamorig:{side}ToeBase"
            add(f"mixamorig:{side}Toe_End", toe, bones[toe][2], bones[toe][2] + [0, 0, 0.03])
    elif style == "smplx":
        _split(bones, order, add, "spine2", "spine2_upper")
        _split(bones, order, add, "neck", "neck_upper")
        for side in ("left", "right"):
            wrist = f"{side}_wrist"
            for f in ("index", "pinky"):
                first = f"{side}_{f}1"
                palm = f"{side}_palm_{f}"
                head = bones[wrist][1] + 0.3 * (bones[first][1] - bones[wrist][1])
                add(palm, wrist, head, bones[first][1])
                bones[first][0] = palm
            elbow = f"{side}_elbow"
            h, t = bones[elbow][1], bones[elbow][2]
            add(f"{side}_forearm_twist", elbow, h + 0.5 * (t - h), t)
        add("head_end", "head", bones["head"][2], bones["head"][2] + [0, 0.05, 0])
    _sort_parents_first(bones, order)


def _sort_parents_first(bones, order):
    placed, out = set(), []
    pending = list(order)
    while pending:
        rest = []
        for n in pending:
            if bones[n][0] is None or bones[n][0] in placed:
                out.append(n)
                placed.add(n)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError(f"unresolvable parents: {rest}")
        pending = rest
    order[:] = out


def build_rig(style="smplx", name=None, **kwargs):
    """A numpy Rig of a synthetic style (see :func:`rig_data`)."""
    d = rig_data(style, **kwargs)
    return Rig.from_bones(d["names"], d["parents"], d["heads"], d["tails"], d["rolls"],
                          name=name or style)


def expected_map(style):
    """joint -> bone the style names (what a correct automatic mapping returns)."""
    return dict(STYLES[style]())
