"""Feet as a viewer judges them: a planted foot that pops to a new place in one frame, and a foot
left hanging in the air.

Pops and lifts read world positions (root translation included) of each foot's ankle and toe joints on
the neutral skeleton. A foot is *on the floor* in a frame when its ankle or its toe is within
``FOOT_FLOOR_HEIGHT`` of the same joint of the lower foot in that frame: someone standing has a
foot on the floor at every moment, and a foot resting on its toes with the heel up still bears
weight. Measuring against the other foot rather than one floor height for the whole take keeps
the figures right when the root height drifts (mocap on a skeleton of other proportions).
"""

import numpy as np

from ..errors import MotionValueError
from ..runs import true_runs
from ..skeleton import JOINT_INDEX
from .kinematics import jerk, joint_positions

FOOT_FLOOR_HEIGHT = 0.03  # m above the lower foot
FOOT_POP_DISTANCE = 0.05  # m in one frame: faster than any planted foot moves
FOOT_PLANTED_SPEED = 0.3  # m/s: a foot on the floor moving slower than this is planted
# (ankle, toe) of the left and the right foot
FOOT_JOINTS = np.array([[JOINT_INDEX["left_ankle"], JOINT_INDEX["left_foot"]],
                        [JOINT_INDEX["right_ankle"], JOINT_INDEX["right_foot"]]])


def foot_positions(motion, skeleton=None):
    """(T, 2, 2, 3) world positions: foot (left, right) x joint (ankle, toe) x xyz, metres."""
    p = joint_positions(motion, FOOT_JOINTS.ravel(), world=True, skeleton=skeleton)
    return p.reshape(len(p), 2, 2, 3)


def on_floor(positions, height=FOOT_FLOOR_HEIGHT):
    """(T, 2) bool: each foot's ankle or toe within ``height`` of the floor.

    positions : (T, 2, 2, 3) from :func:`foot_positions`. The floor of each joint kind in each
    frame is the lower of the two feet's.
    """
    y = positions[..., 1]  # (T, foot, joint)
    floor = y.min(axis=1, keepdims=True)  # (T, 1, joint)
    return np.any(y <= floor + height, axis=-1)


def foot_pop_count(motion, distance=FOOT_POP_DISTANCE, skeleton=None):
    """Number of foot pops: frame steps in which a planted foot jumps more than ``distance``
    metres (ankle or toe, in 3-D).

    A foot is planted on one side of the jump when it is on the floor there and moves slower
    than ``FOOT_PLANTED_SPEED`` in the neighbouring frame step: the jump starts from a standing
    foot or ends on one. A real step eases out of and into its plants and lifts the foot, so it
    never does this; a foot snapping to a new place or flattening in one frame does.
    """
    if motion.n_frames < 3:
        raise MotionValueError("foot pops need at least 3 frames")
    p = foot_positions(motion, skeleton)
    floor = on_floor(p)  # (T, 2)
    moved = np.linalg.norm(np.diff(p, axis=0), axis=-1).max(axis=-1)  # (T-1, 2): step t -> t+1
    still = moved < FOOT_PLANTED_SPEED / motion.fps
    jump = moved > distance
    from_plant = np.zeros_like(jump)
    from_plant[1:] = floor[1:-1] & still[:-1]  # planted at the start of the jump
    onto_plant = np.zeros_like(jump)
    onto_plant[:-1] = floor[1:-1] & still[1:]  # planted at its end
    return int(np.sum(jump & (from_plant | onto_plant)))


def foot_pops(motion, distance=FOOT_POP_DISTANCE, skeleton=None):
    """Foot pops per minute (see :func:`foot_pop_count`); 0 for real mocap of a speaker."""
    minutes = (motion.n_frames - 1) / motion.fps / 60.0
    return foot_pop_count(motion, distance, skeleton) / minutes if minutes > 0 else 0.0


def longest_lift(motion, height=FOOT_FLOOR_HEIGHT, skeleton=None):
    """Longest time one foot stays off the floor, seconds.

    A step lifts a foot for a fraction of a second; a foot that hangs in the air for seconds
    (a pose frozen mid-step) is an artefact.
    """
    if motion.n_frames < 2:
        raise MotionValueError("foot lifts need at least 2 frames")
    lifted = ~on_floor(foot_positions(motion, skeleton), height)
    longest = max([stop - start for foot in range(2) for start, stop in true_runs(lifted[:, foot])],
                  default=0)
    return longest / motion.fps


def ankle_jerk(motion, skeleton=None):
    """Mean jerk of the ankles against the pelvis (root translation left out), m/s^3.

    Feet held still on the floor can hide legs that tremble: a trembling root above them makes
    the leg IK bend the knees every frame, and the ankles jerk against the pelvis (the viewer
    sees shaking knees). Real mocap of a standing speaker gives some tens of m/s^3.
    """
    if motion.n_frames < 4:
        raise MotionValueError("ankle jerk needs at least 4 frames")
    p = joint_positions(motion, FOOT_JOINTS[:, 0], skeleton=skeleton)
    return float(np.linalg.norm(jerk(p, motion.fps), axis=-1).mean())
