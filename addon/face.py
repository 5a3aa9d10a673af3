"""Jaw and expressions -> shape-key values, for meshes whose shape keys talkrig recognises. numpy only.

Two kinds of shape keys are driven (names compared without case, spaces, dots, dashes or
underscores, so ``jawOpen``, ``JawOpen`` and ``jaw_open`` are the same key):

1. SMPL-X expression keys, ``Exp000``, ``Exp001``, ... (also ``exp_000``, ``expression0``): key k
   takes expression coefficient k as it is (the SMPL-X Blender model's convention).
2. ARKit blend shapes, from two measures of the mouth per frame:

   - ``open`` in 0..1: the larger of the jaw's opening rotation (SMPL-X jaw, rotation about
     its x axis, divided by ``JAW_OPEN_RADIANS``) and the expressions' mouth-opening component
     (the coefficients that move with the jaw in BEAT2's 100-coefficient layout, the same
     direction the built-in generators write, scaled by ``EXPRESSION_OPEN_SCALE``);
   - ``side`` in -1..1: the jaw's sideways turn (rotation about its y axis, positive to the
     speaker's left) divided by ``JAW_SIDE_RADIANS``.

   ============================  ==============================
   shape key                     value
   ============================  ==============================
   jawOpen                       open
   mouthLowerDown_L / _R         0.6 * open
   mouthUpperUp_L / _R           0.25 * open
   mouthStretch_L / _R           0.2 * open
   mouthClose                    0 (lips follow the jaw)
   jawLeft / jawRight            max(side, 0) / max(-side, 0)
   ============================  ==============================

Values are clipped to 0..1 for ARKit keys. A mesh without any of these keys is left alone.
"""

import re

import numpy as np

from ..motion.mouth import (  # noqa: F401 (re-exported for the add-on's callers)
    EXPRESSION_OPEN_SCALE,
    JAW,
    JAW_OPEN_RADIANS,
    JAW_SIDE_RADIANS,
    MOUTH_EXPRESSIONS,
    mouth_measures,
)

ARKIT = {  # shape key -> (measure, weight)
    "jawOpen": ("open", 1.0),
    "mouthLowerDown_L": ("open", 0.6),
    "mouthLowerDown_R": ("open", 0.6),
    "mouthUpperUp_L": ("open", 0.25),
    "mouthUpperUp_R": ("open", 0.25),
    "mouthStretch_L": ("open", 0.2),
    "mouthStretch_R": ("open", 0.2),
    "mouthClose": ("open", 0.0),
    "jawLeft": ("left", 1.0),
    "jawRight": ("right", 1.0),
}
_ARKIT_KEYS = {re.sub(r"[\s._-]", "", name).lower(): name for name in ARKIT}
_EXPRESSION_KEY = re.compile(r"^exp(?:ression)?[\s._-]*(\d{1,3})$", re.IGNORECASE)


def match_key(name):
    """("arkit", canonical name) or ("expression", index) for a recognised key name, else None."""
    found = _EXPRESSION_KEY.match(name.strip())
    if found:
        return "expression", int(found.group(1))
    canonical = _ARKIT_KEYS.get(re.sub(r"[\s._-]", "", name).lower())
    return ("arkit", canonical) if canonical else None


def shape_key_tracks(poses, expressions, key_names):
    """{shape key name: (T,) values} for the names in ``key_names`` talkrig can drive."""
    expressions = np.asarray(expressions, np.float64)
    tracks = {}
    measures = None
    for name in key_names:
        kind = match_key(name)
        if kind is None:
            continue
        if kind[0] == "expression":
            if kind[1] < expressions.shape[1]:
                tracks[name] = expressions[:, kind[1]].copy()
            continue
        if measures is None:
            measures = mouth_measures(poses, expressions)
        measure, weight = ARKIT[kind[1]]
        tracks[name] = np.clip(weight * measures[measure], 0.0, 1.0)
    return tracks
