"""Reading what a bone is from its name: body part, side, finger and numbers.

Names from any naming scheme (``upper_arm.L``, ``mixamorig:LeftForeArm``, ``lowerarm_l``,
``J_Bip_L_UpperArm``, ``DEF-f_index.01.L``) are split into lower-case tokens at separators,
camelCase humps and digit boundaries; side markers and known prefixes are taken out, and the
rest is matched against synonyms. Helper bones (IK targets, poles, twist and roll helpers, tips
and ends, Rigify ORG/MCH bones, face details) are recognised so they are never mapped.
"""

import re
from collections import Counter
from dataclasses import dataclass

# word boundaries inside a name: "upperArm", "Arm2", "2Arm", and a capital before a capitalised
# word ("LForearm", "IKHand": a side or an abbreviation glued on)
_HUMPS = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

SIDE_TOKENS = {"l": "L", "left": "L", "r": "R", "right": "R"}
# Tokens of bones that must never be mapped: rig helpers and small details.
HELPER_TOKENS = frozenset(
    "ik fk pole target tgt tweak mch org wgt ctrl control con end nub tip tips twist roll helper "
    "socket master parent prop weapon null corrective vis snap stretch offset pivot track aim "
    "look lookat heel breast cheek lip lips nose tongue teeth hair ear brow lid lash "
    "temple forehead chin dummy jiggle attach root mesh armature skel palm bind grip".split()
)
PREFIX_TOKENS = frozenset({"def", "deform", "bip", "bip01", "bip001", "b", "j", "jnt", "bn",
                           "c", "cc", "base", "mixamorig", "mixamo", "character", "char"})
FINGERS = {"thumb": "thumb", "index": "index", "pointer": "index", "middle": "middle",
           "ring": "ring", "pinky": "pinky", "pinkie": "pinky", "little": "pinky",
           "small": "pinky"}
# Fingers named by number, thumb first: 3ds Max Biped's "Finger0", "Finger01", "Finger02" (the
# thumb's three bones; "Finger1x" the index ...) from 0, MakeHuman's "finger1-1" .. "finger5-3"
# (finger, then bone) from 1; DAZ's "lMid1" is the middle finger of a side.
NUMBERED_FINGERS = ("thumb", "index", "middle", "ring", "pinky")
SIDED_FINGERS = {"mid": "middle"}
METACARPAL_TOKENS = frozenset({"metacarpal", "meta", "carpal", "metacarpus"})
# Names of bones that deform though they hold a helper's word: Auto-Rig Pro's limbs
# ("arm_stretch.l", "thigh_stretch.l") and its hips ("root.x", "x" marking the middle).
DEFORMING_NAMES = frozenset(frozenset({limb, "stretch"}) for limb in ("arm", "forearm", "thigh", "leg")) \
    | {frozenset({"root", "x"})}
# A word that begins (ends) this share of a rig's bone names, of this many or more, is the rig's
# prefix (suffix), not the bone's
PREFIXED_SHARE = 0.9
MIN_PREFIXED = 10
# Tokens of the bones riggers put along a limb to spread its roll (twist/roll bones).
TWIST_TOKENS = frozenset({"twist", "roll"})


@dataclass(frozen=True)
class BoneName:
    """What a bone's name says. part is one of PARTS or None; side is "L", "R" or None."""

    name: str
    tokens: tuple
    part: str = None
    side: str = None
    finger: str = None
    numbers: tuple = ()
    helper: bool = False
    metacarpal: bool = False
    twist: bool = False
    loose: bool = False  # the part read from a word that names it loosely: "hip" for a thigh


PARTS = ("pelvis", "spine", "neck", "head", "jaw", "eye", "collar", "upper_arm", "forearm",
         "hand", "finger", "thigh", "shin", "foot", "toe")


def tokenize(name):
    """Lower-case tokens of a bone name, namespace (``mixamorig:``, ``Armature|``) removed."""
    base = re.split(r"[:|]", name)[-1]
    return tuple(t.lower() for t in _SPLIT.split(_HUMPS.sub(" ", base)) if t)


def _part(words, side):
    """Body part from the set of meaningful words (sides and numbers removed)."""
    has = words.__contains__
    if any(w in FINGERS for w in words):
        return "finger"
    if has("forearm") or has("lowerarm") or has("elbow") or (has("fore") and has("arm")) \
            or (has("lower") and has("arm")):
        return "forearm"
    if has("upperarm") or has("shldr") or has("humerus") or has("arm"):
        return "upper_arm"
    if has("hand") or has("wrist"):
        return "hand"
    if has("clavicle") or has("collar") or has("shoulder") or has("clav"):
        return "collar"
    if has("thigh") or has("upleg") or has("upperleg") or has("femur") \
            or (has("leg") and (has("up") or has("upper"))) or (has("hip") and side):
        return "thigh"
    if has("calf") or has("shin") or has("knee") or has("lowerleg") or has("tibia") \
            or has("leg"):
        return "shin"
    if has("foot") or has("ankle"):
        return "foot"
    if has("toe") or has("toes") or has("toebase") or has("ball"):
        return "toe"
    if side is None and (has("hips") or has("pelvis") or has("hip") or words == {"root", "x"}):
        return "pelvis"
    if side is None and (has("spine") or has("chest") or has("torso") or has("abdomen")
                         or has("waist") or has("back") or has("belly") or has("upperchest")
                         or has("stomach") or has("spn")):
        return "spine"
    if has("neck"):
        return "neck"
    if has("head") and not (has("top") or has("front")):
        return "head"
    if side is None and (has("jaw") or has("mandible") or has("jawbone")):
        return "jaw"
    if has("eye") or has("eyeball"):
        return "eye"
    return None


def rig_names(names):
    """The :class:`BoneName` of each of a rig's bone ``names``, less the words all but a few of
    them begin or end with ("Armature_", "Root_", "Hero_", "_bind", "_jnt": the armature's or
    the character's name, or the rigger's mark of a deforming joint, on every bone; read
    otherwise as a helper's word or as the bone's own)."""
    tokens = [tokenize(n) for n in names]
    prefix = _shared(tokens, len(names))
    suffix = _shared([t[len(prefix):][::-1] for t in tokens if t[:len(prefix)] == prefix], len(names))
    return [parse(n, prefix, suffix[::-1]) for n in names]


def _shared(tokens, count):
    """The first words (at most two) that PREFIXED_SHARE of ``count`` names' ``tokens`` begin
    with, each followed by more; () for a rig of fewer than MIN_PREFIXED bones."""
    shared = ()
    while len(shared) < 2 and count >= MIN_PREFIXED:
        firsts = Counter(t[len(shared)] for t in tokens if len(t) > len(shared) + 1 and t[:len(shared)] == shared)
        word, times = firsts.most_common(1)[0] if firsts else ("", 0)
        if times < PREFIXED_SHARE * count or word in SIDE_TOKENS:
            break
        shared += (word,)
    return shared


def parse(name, prefix=(), suffix=()):
    """Parse one bone name into a :class:`BoneName` (``prefix``, ``suffix``: its rig's leading
    and trailing tokens, :func:`rig_names`, left out where the name holds more)."""
    tokens = tokenize(name)
    if prefix and tokens[:len(prefix)] == prefix and len(tokens) > len(prefix):
        tokens = tokens[len(prefix):]
    if suffix and tokens[len(tokens) - len(suffix):] == suffix and len(tokens) > len(suffix):
        tokens = tokens[:len(tokens) - len(suffix)]
    side = None
    words = []
    numbers = []
    for k, t in enumerate(tokens):
        if t in SIDE_TOKENS:
            # A lone "l"/"r" is a side marker; so are left/right anywhere.
            side = side or SIDE_TOKENS[t]
            continue
        if t.isdigit():
            numbers.append(int(t))
            continue
        if k == 0 and t in PREFIX_TOKENS:
            continue
        words.append(t)
    # Glued side markers: "LeftArm" is split already; "Larm"/"armL" are not supported.
    finger = next((FINGERS[w] for w in words if w in FINGERS), None)
    if finger is None:
        finger = _numbered_finger(tokens, side)
        if finger is not None:
            words.append(finger)  # read as the finger it names
    words_set = frozenset(words)
    part = _part(words_set, side)
    metacarpal = bool(words_set & METACARPAL_TOKENS)
    return BoneName(name=name, tokens=tokens, part=part, side=side, finger=finger,
                    numbers=tuple(numbers), helper=_helper(words_set, part), metacarpal=metacarpal,
                    twist=bool(words_set & TWIST_TOKENS), loose=part == "thigh" and _loose_thigh(words_set))


def _helper(words, part):
    """True for a rig helper's name (a word of HELPER_TOKENS), but for deforming bones whose
    names hold one (DEFORMING_NAMES; Character Creator's jaw, "JawRoot"); an eye's or a jaw's
    lid, brow or target is a helper."""
    if part in ("eye", "jaw") and words & {"lid", "brow", "lash", "target", "track"}:
        return True
    helpers = words & HELPER_TOKENS
    return bool(helpers) and words not in DEFORMING_NAMES and not (part == "jaw" and helpers == {"root"})


def _loose_thigh(words):
    """True for a thigh named only "hip" on a side: maybe the thigh ("hip.L"), maybe the bone
    that leads from the pelvis to it (CMU's "LHipJoint" above "LeftUpLeg")."""
    return not (words & {"thigh", "upleg", "upperleg", "femur"} or {"leg", "up"} <= words
                or {"leg", "upper"} <= words)


def _numbered_finger(tokens, side):
    """The finger a name gives by number ("Finger12": Biped's index, 0-based, the digits glued;
    "finger3-1": MakeHuman's middle, 1-based, the bone's number apart) or, on a side, by
    DAZ's short name; None otherwise."""
    if side is not None:
        named = next((SIDED_FINGERS[t] for t in tokens if t in SIDED_FINGERS), None)
        if named is not None:
            return named
    if "finger" not in tokens:
        return None
    after = tokens[tokens.index("finger") + 1:]
    if not after or not after[0].isdigit():
        return None
    if len(after) > 1 and after[1].isdigit():
        number = int(after[0]) - 1
    else:
        number = int(after[0][0])
    return NUMBERED_FINGERS[number] if 0 <= number < len(NUMBERED_FINGERS) else None


def normalized(name):
    """A key for loose name comparison: namespace dropped, lower case, separators removed."""
    return "".join(tokenize(name))
