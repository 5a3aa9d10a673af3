"""Motion -> shape-key values, for meshes whose shape keys talkrig recognises. numpy only.

Names are matched as motion.facecurves.match_face_key does: case and separators ignored,
``_L``/``_R`` or ``Left``/``Right``, so ``jawOpen``, ``JawOpen`` and ``jaw_open`` are one key.

1. ARKit blend shapes take the motion's face curve of that name (a face model made them, see
   inference/generation/face.py). A motion without face curves (mocap, an older take) still drives the
   mouth keys from two measures per frame:

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

2. Viseme keys (``viseme_PP``, ``vrc.v_pp``, ...) take the motion's viseme curves, and VRM
   mouth keys (``aa ih ou ee oh``, ``Fcl_MTH_A`` ...) the VRM blend of them.
3. SMPL-X expression keys, ``Exp000``, ``Exp001``, ... (also ``exp_000``, ``expression0``): key k
   takes expression coefficient k as it is (the SMPL-X Blender model's convention).

Values are clipped to 0..1 except expression coefficients. Keys with nothing to take are left
alone.
"""

import numpy as np

from ..motion.facecurves import VISEME_CURVES, VRM_VOWELS, match_face_key, vrm_weights
from ..motion.mouth import mouth_measures

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


def match_key(name):
    """What a shape key shows (see motion.facecurves.match_face_key), or None."""
    return match_face_key(name)


def shape_key_tracks(motion, key_names):
    """{shape key name: (T,) values} for the names in ``key_names`` talkrig can drive."""
    expressions = np.asarray(motion.expressions, np.float64)
    tracks = {}
    measures = vrm = None
    for name in key_names:
        kind = match_key(name)
        if kind is None:
            continue
        what, which = kind
        if what == "expression":
            if which < expressions.shape[1]:
                tracks[name] = expressions[:, which].copy()
        elif what == "arkit" and motion.face_curve(which) is not None:
            tracks[name] = np.clip(motion.face_curve(which), 0.0, 1.0).astype(np.float64)
        elif what == "arkit" and which in ARKIT:
            if measures is None:
                measures = mouth_measures(motion.poses, expressions)
            measure, weight = ARKIT[which]
            tracks[name] = np.clip(weight * measures[measure], 0.0, 1.0)
        elif what == "viseme" and motion.face_curve(f"viseme_{which}") is not None:
            tracks[name] = np.clip(motion.face_curve(f"viseme_{which}"), 0.0, 1.0).astype(np.float64)
        elif what == "vrm" and all(c in motion.face_names for c in VISEME_CURVES):
            if vrm is None:
                vrm = vrm_weights(np.stack([motion.face_curve(c) for c in VISEME_CURVES], 1))
            tracks[name] = vrm[:, VRM_VOWELS.index(which)]
    return tracks


def face_key_summary(key_names):
    """{"arkit": [...], "viseme": [...], "vrm": [...], "expression": [...]} of the key names
    talkrig recognises (what the panel lists), each in the order given."""
    found = {"arkit": [], "viseme": [], "vrm": [], "expression": []}
    for name in key_names:
        kind = match_key(name)
        if kind is not None:
            found[kind[0]].append(name)
    return found

