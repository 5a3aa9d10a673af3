"""The hand detector's fingers in the skeleton's own terms.

The hand detector's points sit where a hand's knuckles and finger segments show on its skin;
the skeleton's finger joints sit inside the hand on a rest pose of their own. Each finger
segment read through the detector's points comes out turned by much the same rotation every
frame (the thumb's two outer joints 20-26 degrees straighter than filmed, the little finger's
root 38 degrees spread): one rotation per finger joint, measured on people filmed with a known
truth by ``recipes/fit_finger_offsets.py``, undoes it (both hands alike, the right one
mirrored). Figures in benchmarks/JOURNAL.md, "Fingers in the skeleton's own terms".
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from ...motion.rotations import axis_angle_to_matrix
from ...motion.skeleton import FINGERS

PATH = Path(__file__).with_name("finger_offsets.npz")
JOINTS = tuple(f"{finger}{k}" for finger in FINGERS for k in (1, 2, 3))
MIRROR = np.diag([-1.0, 1.0, 1.0])  # a left hand's rotation as the right hand's, and back


@lru_cache(maxsize=None)
def offsets(path=PATH):
    """{"left_index1": (3, 3), ...}: each finger joint's local rotation as read, against the
    filmed one (read = filmed @ offset); {} when the file is absent."""
    if not Path(path).exists():
        return {}
    with np.load(path) as data:
        left = {name: axis_angle_to_matrix(data[name].astype(np.float64)) for name in JOINTS}
    out = {f"left_{name}": rot for name, rot in left.items()}
    out.update({f"right_{name}": MIRROR @ rot @ MIRROR for name, rot in left.items()})
    return out


def save(path, left_offsets):
    """Write ``left_offsets`` ({"index1": axis-angle (3,), ...}, the left hand's) to ``path``."""
    np.savez(path, **{name: np.asarray(left_offsets[name], np.float32) for name in JOINTS})
