"""Root position from the feet: generated motion stands where the speaker stood, feet planted.

The networks predict rotations only. Holding the root still while they turn the pelvis and bend
the legs would make the feet skate, so each frame's root translation is chosen to keep the feet
where the speaker's feet were on average in the training takes: the midpoint of the ankles and
toes keeps its horizontal place and the lowest of them stays at floor height. A speaker who
shifts weight or bends the knees then moves the hips, as real speakers do, instead of the feet.
Uses the built-in neutral skeleton, like the metrics.
"""

import numpy as np

from ...motion.skeleton import FEET, neutral_skeleton


def feet_point(poses):
    """(T, 3): horizontal midpoint of the feet and the height of the lowest one, root at 0.

    poses : (T, 55, 3) axis-angle.
    """
    positions = neutral_skeleton().forward_kinematics(poses)[1][:, list(FEET)]
    mid = positions.mean(axis=1)
    mid[:, 1] = positions[:, :, 1].min(axis=1)
    return mid


def feet_anchor(poses, trans):
    """(3,) mean world feet point of real motion (poses (T, 55, 3), trans (T, 3))."""
    return (feet_point(poses) + np.asarray(trans, dtype=np.float64)).mean(axis=0)


def planted_trans(poses, anchor):
    """(T, 3) float32 root translation that puts the feet point of every frame on ``anchor``."""
    return (np.asarray(anchor, dtype=np.float64) - feet_point(poses)).astype(np.float32)
