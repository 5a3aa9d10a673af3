"""Root position from the feet: generated motion stands where the speaker stood, feet planted.

The networks predict rotations only. Holding the root still while they turn the pelvis and bend
the legs would make the feet skate, so each frame's root translation is chosen to keep the feet
where the speaker's feet were on average in the training takes: the midpoint of the ankles and
toes keeps its horizontal place and the lowest of them stays at floor height. A speaker who
shifts weight or bends the knees then moves the hips, as real speakers do, instead of the feet.
Uses the built-in neutral skeleton, like the metrics.

The horizontal place is then low-passed over ``GROUND_SIGMA``: a network's frame-to-frame
wobble of the pelvis and legs, carried into the root this way, made the root travel 1.6-2.1x as
far per second as the speaker's (his root moves with weight shifts and drift, over half a
second and more); ``standing`` lengthens the time to bring a take's travel to his. The pipeline's
feet stage re-solves the legs over the planted feet, so the
smoothed root does not make them slide.
"""

import numpy as np

from ...motion.filters import gaussian_filter1d
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


GROUND_SIGMA = 0.12  # seconds: the horizontal root moves no faster than this


def planted_trans(poses, anchor, fps=None, sigma=GROUND_SIGMA):
    """(T, 3) float32 root translation that puts the feet point of every frame on ``anchor``;
    with ``fps``, its horizontal place low-passed over ``sigma`` seconds."""
    trans = np.asarray(anchor, dtype=np.float64) - feet_point(poses)
    if fps is not None and len(trans) > 1 and sigma > 0:
        trans[:, [0, 2]] = gaussian_filter1d(trans[:, [0, 2]], sigma * float(fps), axis=0, mode="nearest")
    return trans.astype(np.float32)
