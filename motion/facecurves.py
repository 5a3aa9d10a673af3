"""The face-curve table: named per-frame curves beside the expressions, and how shape keys find them.

A Motion may carry ``face_curves`` (T, K) with ``face_names`` (K,):

- ARKit's 52 blend shapes (values 0..1, named as ARKit spells them, ``eyeBlink_L`` ...
  ``tongueOut``);
- the 15 visemes of the Oculus/VRChat set (``viseme_sil`` ... ``viseme_ou``, weights 0..1 that
  sum to about 1), from which the five VRM mouth expressions (``aa ih ou ee oh``) are derived;
- the nine Preston Blair / Rhubarb mouth shapes (``mouthCue_A`` ... ``mouthCue_X``, weights;
  the cue track is their strongest shape frame by frame, see :mod:`.mouthcues`).

Shape keys are matched by name with case and separators (spaces ``_ . -``) ignored, ``Left`` /
``Right`` equal to ``_L`` / ``_R``, and the usual prefixes of each vocabulary:

================================================  ==========================================
shape key                                         curve
================================================  ==========================================
``jawOpen``, ``JawOpen``, ``jaw_open``            ``jawOpen``
``eyeBlinkLeft``, ``EyeBlink_L``, ``eye blink L``  ``eyeBlink_L``
``viseme_PP``, ``vrc.v_pp``, ``v_pp``             ``viseme_PP``
``aa``, ``Fcl_MTH_A``, ``vrm_aa``                 VRM ``aa`` (from the visemes)
``Exp000``, ``exp_12``                            SMPL-X expression coefficient k
================================================  ==========================================
"""

import re

import numpy as np

from .mouth import JAW, JAW_OPEN_RADIANS, MOUTH_EXPRESSIONS, mouth_direction  # noqa: F401 (re-exported)

# ARKit's 52 blend shapes, as ARFaceAnchor.BlendShapeLocation's raw values spell them.
ARKIT_NAMES = (
    "eyeBlink_L", "eyeLookDown_L", "eyeLookIn_L", "eyeLookOut_L", "eyeLookUp_L", "eyeSquint_L",
    "eyeWide_L", "eyeBlink_R", "eyeLookDown_R", "eyeLookIn_R", "eyeLookOut_R", "eyeLookUp_R",
    "eyeSquint_R", "eyeWide_R",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthSmile_L",
    "mouthSmile_R", "mouthFrown_L", "mouthFrown_R", "mouthDimple_L", "mouthDimple_R",
    "mouthStretch_L", "mouthStretch_R", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthPress_L", "mouthPress_R", "mouthLowerDown_L", "mouthLowerDown_R",
    "mouthUpperUp_L", "mouthUpperUp_R",
    "browDown_L", "browDown_R", "browInnerUp", "browOuterUp_L", "browOuterUp_R",
    "cheekPuff", "cheekSquint_L", "cheekSquint_R", "noseSneer_L", "noseSneer_R", "tongueOut",
)
# The Oculus / VRChat viseme set (silence, 10 consonant classes, 5 vowels).
VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
VISEME_CURVES = tuple(f"viseme_{v}" for v in VISEMES)
# Preston Blair / Rhubarb mouth shapes: A closed (p b m), B clenched teeth (most consonants, ee),
# C open (eh, ae), D wide open (aa), E slightly rounded (ao, er), F puckered (oo, ow, w),
# G teeth on lip (f v), H tongue up (l), X rest.
MOUTH_SHAPES = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
MOUTH_SHAPE_CURVES = tuple(f"mouthCue_{s}" for s in MOUTH_SHAPES)
FACE_CURVE_NAMES = ARKIT_NAMES + VISEME_CURVES + MOUTH_SHAPE_CURVES

# VRM's five mouth expressions as blends of the 15 visemes (the consonants take the vowel whose
# mouth they look most like, at reduced weight).
VRM_VOWELS = ("aa", "ih", "ou", "ee", "oh")
VRM_FROM_VISEMES = {
    "aa": {"aa": 1.0, "DD": 0.2, "kk": 0.3, "nn": 0.2, "TH": 0.2},
    "ih": {"ih": 1.0, "SS": 0.4, "DD": 0.2},
    "ou": {"ou": 1.0, "CH": 0.5, "RR": 0.3},
    "ee": {"E": 1.0, "SS": 0.2, "kk": 0.2},
    "oh": {"oh": 1.0, "RR": 0.3},
}

# ARPAbet phone classes (no stress digits) the face and its measures care about.
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
BILABIALS = frozenset("P B M".split())  # the lips close
LABIODENTALS = frozenset("F V".split())  # the lower lip under the upper teeth
ROUNDED = frozenset("W UW UH OW CH JH SH ZH".split())  # the lips round


_SEPARATORS = re.compile(r"[\s._-]")
_EXPRESSION_KEY = re.compile(r"^exp(?:ression)?[\s._-]*(\d{1,3})$", re.IGNORECASE)
_VISEME_PREFIXES = ("vrcv", "viseme", "v")
_VRM_ALIASES = {"a": "aa", "i": "ih", "u": "ou", "e": "ee", "o": "oh"}
_VRM_PREFIXES = ("fclmth", "vrm", "mth", "")


def _squash(name):
    """Lower case without spaces, dots, dashes or underscores."""
    return _SEPARATORS.sub("", str(name)).lower()


def _side_free(name):
    """ARKit names with a trailing side letter and with Left/Right spelled out map together."""
    squashed = _squash(name)
    for word, letter in (("left", "l"), ("right", "r")):
        if squashed.endswith(word):
            return squashed[: -len(word)] + letter
    return squashed


_ARKIT = {_side_free(name): name for name in ARKIT_NAMES}
_VISEME = {v.lower(): v for v in VISEMES}
_VISEME["e"] = "E"


def match_face_key(name):
    """What a shape key called ``name`` shows, or None.

    Returns ("arkit", ARKit name), ("viseme", Oculus viseme), ("vrm", VRM vowel) or
    ("expression", coefficient index).
    """
    text = str(name).strip()
    found = _EXPRESSION_KEY.match(text)
    if found:
        return "expression", int(found.group(1))
    arkit = _ARKIT.get(_side_free(text))
    if arkit:
        return "arkit", arkit
    squashed = _squash(text)
    for prefix in _VISEME_PREFIXES:
        rest = squashed[len(prefix):]
        if squashed.startswith(prefix) and rest in _VISEME and (prefix != "v" or len(text) > 2):
            return "viseme", _VISEME[rest]
    for prefix in _VRM_PREFIXES:
        rest = squashed[len(prefix):]
        if not squashed.startswith(prefix) or not rest:
            continue
        if rest in VRM_VOWELS and (prefix or len(rest) == 2):
            return "vrm", rest
        if prefix and rest in _VRM_ALIASES:
            return "vrm", _VRM_ALIASES[rest]
    return None


def vrm_weights(viseme_weights):
    """(T, 5) VRM ``aa ih ou ee oh`` weights from (T, 15) viseme weights (VISEMES order), 0..1."""
    w = np.asarray(viseme_weights, np.float64)
    index = {v: i for i, v in enumerate(VISEMES)}
    out = np.zeros((w.shape[0], len(VRM_VOWELS)))
    for j, vowel in enumerate(VRM_VOWELS):
        for viseme, weight in VRM_FROM_VISEMES[vowel].items():
            out[:, j] += weight * w[:, index[viseme]]
    return np.clip(out, 0.0, 1.0)


def curve_table(curves, n_frames):
    """(names tuple, (T, K) float32) from {name: (T,) values}, in FACE_CURVE_NAMES order first."""
    known = [n for n in FACE_CURVE_NAMES if n in curves]
    names = tuple(known + sorted(n for n in curves if n not in FACE_CURVE_NAMES))
    table = np.zeros((n_frames, len(names)), np.float32)
    for k, name in enumerate(names):
        table[:, k] = np.asarray(curves[name], np.float32).reshape(n_frames)
    return names, table
