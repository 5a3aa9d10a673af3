"""Articulator tracks -> ARKit's mouth and jaw blend shapes.

ARKit's ``mouthClose`` is a corrective shape: it closes the lips against an open jaw, so a
closure with the jaw at ``jawOpen`` = j is ``mouthClose`` = j (the lips meet whatever the jaw
does). Closure also presses the lips (``mouthPress``) and cancels every shape that would part
them (funnel, lower lip down, upper lip up). Mouth strength scales how far the mouth moves, never
whether the lips meet.
"""

import numpy as np

from .visemes import A

STRETCH = 0.6  # mouthStretch per unit of lip spreading
SMILE = 0.2  # mouthSmile per unit of lip spreading (spread lips lift the corners a little)
PRESS = 0.35  # mouthPress_L/R when the lips are closed
ROLL_UPPER = 0.2  # mouthRollUpper when the lips are closed
TONGUE = 0.5  # tongueOut per unit of tongue (the tip between the teeth for th)


def mouth_curves(tracks, strength=1.0):
    """{ARKit name: (T,) 0..1} of the mouth and jaw from articulator tracks (T, P)."""
    s = float(strength)
    col = {name: np.asarray(tracks[:, i], np.float64) for name, i in A.items()}
    close = col["close"]
    tuck = col["tuck"]
    apart = (1.0 - close) * (1.0 - 0.7 * tuck)  # how free the lips are to part
    jaw = np.clip(s * col["jaw"], 0.0, 1.0)
    curves = {
        "jawOpen": jaw,
        "mouthClose": close * jaw,
        "mouthFunnel": s * col["funnel"] * apart,
        "mouthPucker": s * col["pucker"],
        "mouthRollLower": tuck,
        "mouthRollUpper": ROLL_UPPER * close,
        "mouthShrugLower": 0.3 * tuck,
        "tongueOut": TONGUE * s * col["tongue"] * (1.0 - close),
    }
    for side in ("L", "R"):
        curves[f"mouthStretch_{side}"] = STRETCH * s * col["stretch"]
        curves[f"mouthSmile_{side}"] = SMILE * s * col["stretch"]
        curves[f"mouthPress_{side}"] = PRESS * close
        curves[f"mouthLowerDown_{side}"] = s * col["lower"] * apart
        curves[f"mouthUpperUp_{side}"] = (s * col["upper"] + 0.3 * tuck) * (1.0 - close)
    return {name: np.clip(values, 0.0, 1.0) for name, values in curves.items()}
