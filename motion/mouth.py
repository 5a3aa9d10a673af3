"""How open the mouth is: from the jaw's rotation and from the expression coefficients that
open the mouth in BEAT2's expression space. numpy only (the add-on's face keys, the character
that a capture test films, and capture's figures use the same measure)."""

import numpy as np

from .skeleton import JAW
JAW_OPEN_RADIANS = 0.4  # a wide-open jaw (what ARKit's jawOpen = 1 stands for)
JAW_SIDE_RADIANS = 0.15
EXPRESSION_OPEN_SCALE = 0.5
# Mouth opening in BEAT2's expression space (the coefficients that follow jaw opening on a
# real take; the built-in generators write ``open * MOUTH_EXPRESSIONS``).
MOUTH_EXPRESSIONS = {94: -2.1, 95: -3.2, 72: -1.8, 27: 1.25, 83: 1.95, 29: -1.65}


def mouth_direction(n_expressions):
    """(E,) the mouth-opening direction in the first E expression coefficients (may be zero)."""
    d = np.zeros(int(n_expressions))
    for k, coef in MOUTH_EXPRESSIONS.items():
        if k < len(d):
            d[k] = coef
    return d


def mouth_measures(poses, expressions):
    """Per-frame mouth measures.

    poses : (T, 55, 3) SMPL-X axis-angle. expressions : (T, E) coefficients (E may be 0).
    Returns {"open": (T,), "left": (T,), "right": (T,)}, each in 0..1.
    """
    poses = np.asarray(poses, np.float64)
    expressions = np.asarray(expressions, np.float64)
    jaw = poses[:, JAW]
    open_ = np.clip(jaw[:, 0] / JAW_OPEN_RADIANS, 0.0, 1.0)
    direction = mouth_direction(expressions.shape[1])
    norm = float(direction @ direction)
    if norm > 0.0:
        from_expressions = EXPRESSION_OPEN_SCALE * (expressions @ direction) / norm
        open_ = np.maximum(open_, np.clip(from_expressions, 0.0, 1.0))
    side = np.clip(jaw[:, 1] / JAW_SIDE_RADIANS, -1.0, 1.0)
    return {"open": open_, "left": np.maximum(side, 0.0), "right": np.maximum(-side, 0.0)}


def mouth_opening(motion):
    """(T,) radians the mouth is open, as a jaw angle: the "open" measure times a wide-open
    jaw's angle (so the expressions' share of the opening counts too)."""
    return JAW_OPEN_RADIANS * mouth_measures(motion.poses, motion.expressions)["open"]
