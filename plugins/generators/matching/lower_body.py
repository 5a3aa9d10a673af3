"""The pelvis, legs and root of motion matching: long stretches of the library, not segments.

Legs do not follow the words. Played with the upper body's segments, they joined a new stance
about every second: the feet slid between the two stances over each blend, so the feet stage
had to re-solve every leg in the take, and the solve's legs (crouched, turned about other axes
than the speaker's) were what a classifier told from his first. So the lower body plays the
library on by itself, from a seeded place, and moves only where a take runs out, to the
frame whose legs stand most like the ones it leaves, joined over LEG_TRANSITION frames. The
root travels as those stretches travel, from where the rig stands, and follows the standing
feet across the joins (:func:`~talkrig.motion.contacts.anchored_root`). The upper body rides
on this pelvis with its own segments' spine, arms and head.
"""

import numpy as np

from ....inference.generation.windows import blend_seam
from ....motion import Motion
from ....motion.contacts import anchored_root
from ....motion.rotations import (
    axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quat, quat_lowpass, quat_to_matrix,
)
from ....motion.skeleton import JOINT_INDEX

LOWER = np.array([JOINT_INDEX[name] for name in (
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_foot", "right_foot")])
LEG_TRANSITION = 15  # frames over which one stretch's legs turn into the next one's
MIN_STRETCH_SECONDS = 2.0  # a stretch shorter than this is not started
REPEAT_SECONDS = 20.0  # a stretch of the library is not played again this soon where others are left
LONG_SECONDS = 4.0  # stretches this long are preferred (fewer joins)
VELOCITY_WEIGHT = 0.01  # s^2: legs' speeds against their places when picking where to go on
SPINE = JOINT_INDEX["spine1"]
SPINE_SIGMA = 0.1  # s: the upper body leans with the legs' pelvis no faster than this


def lower_body(lib, remaining, n, fps, rng):
    """Motion of ``n`` frames whose pelvis, legs and root (LOWER, trans) the upper body rides on.

    lib : the matching Library; remaining : (N,) frames left in the take from each frame (0
    where excluded); rng : a numpy Generator (seeded: another seed, another start).
    """
    shortest = min(n, max(2, int(round(MIN_STRETCH_SECONDS * fps))))
    startable = np.flatnonzero(remaining >= shortest)
    if startable.size == 0:
        startable = np.flatnonzero(remaining == remaining.max())
    legs = np.concatenate([lib.leg_features, np.sqrt(VELOCITY_WEIGHT) * lib.leg_velocities], axis=1)
    long = remaining[startable] >= LONG_SECONDS * fps
    played = np.full(lib.n_frames, -np.inf)  # the output frame each library frame was last played at
    parts, stand = [], []
    cursor = int(rng.choice(startable))
    t = 0
    while t < n:
        length = int(min(n - t, remaining[cursor]))
        idx = np.arange(cursor, cursor + length)
        part = _stretch(lib, idx, parts[-1] if parts else None)
        parts.append(part)
        stand.append(lib.contacts[idx])
        played[idx] = t + np.arange(length)
        t += length
        fresh = _fresh(played < t - REPEAT_SECONDS * fps, int(LONG_SECONDS * fps))[startable]
        cursor = _next_stretch(legs, int(idx[-1]), startable, fresh, long)
    motion = Motion.concatenate(parts)
    motion.trans = anchored_root(motion.poses, motion.trans, np.concatenate(stand))
    return motion


def carry_legs(poses, lower, fps):
    """(T, 55, 3) ``poses`` (the upper body's) standing on the pelvis and legs of ``lower``.

    A real spine answers its own pelvis's small fast turns (the two are one solve in mocap);
    another take's pelvis under it would shake the head (its position jerk was 5x the
    speaker's). So the spine's first joint takes the fast part of the turn between the two
    pelvises (what is left after a low-pass over SPINE_SIGMA): the upper body keeps its own
    take's world motion, leaning with the legs' pelvis only as slowly as a weight shift.
    """
    out = np.array(poses, np.float32, copy=True)
    mine = axis_angle_to_matrix(np.asarray(poses[:, 0], np.float64))
    theirs = axis_angle_to_matrix(np.asarray(lower[:, 0], np.float64))
    turn = np.swapaxes(theirs, 1, 2) @ mine  # the legs' pelvis to the upper body's
    slow = quat_to_matrix(quat_lowpass(matrix_to_quat(turn), SPINE_SIGMA * fps))
    spine = axis_angle_to_matrix(np.asarray(poses[:, SPINE], np.float64))
    out[:, SPINE] = matrix_to_axis_angle(turn @ np.swapaxes(slow, 1, 2) @ spine)
    out[:, LOWER] = lower[:, LOWER]
    return out


def _stretch(lib, idx, previous):
    """The library's frames ``idx`` with their root travel on from where ``previous`` ends,
    blended into it."""
    trans = lib.trans[idx].astype(np.float64)
    trans[:, [0, 2]] += root_start(previous) - trans[0, [0, 2]]
    part = Motion(poses=lib.poses[idx].copy(), trans=trans.astype(np.float32), fps=lib.fps)
    return part if previous is None else blend_seam(previous, part, LEG_TRANSITION)


def root_start(previous):
    """(2,) where the next frame's root stands on the floor (x, z): one step of the motion so
    far on from its last frame, so joins keep the root's velocity; the origin (where the rig
    stands) for the first frame of a take."""
    if previous is None or previous.n_frames == 0:
        return np.zeros(2)
    last = previous.trans[-1, [0, 2]].astype(np.float64)
    if previous.n_frames < 2:
        return last
    return last + (last - previous.trans[-2, [0, 2]])


def _next_stretch(legs, last, startable, fresh, long):
    """The startable frame whose legs (knees, ankles, feet around the pelvis, and their
    speeds) are nearest to frame ``last``'s, among those not played for REPEAT_SECONDS
    (``fresh``) and with LONG_SECONDS or more of the take after them (``long``) where there
    are any: a short library is played through before a stretch comes again. Never the
    frames around ``last``."""
    cost = np.sum((legs[startable] - legs[last]) ** 2, axis=1)
    cost = cost / max(float(np.median(cost)), 1e-12) + 10.0 * ~fresh + 2.0 * ~long
    cost[np.abs(startable - last) < 2 * LEG_TRANSITION] = np.inf
    if not np.isfinite(cost).any():
        return int(startable[0])
    return int(startable[np.argmin(cost)])


def _fresh(old, span):
    """(N,) bool: frames from which the next ``span`` frames were all not played recently."""
    stale = np.concatenate([[0], np.cumsum(~old)])
    ends = np.minimum(np.arange(len(old)) + span, len(old))
    return stale[ends] - stale[:len(old)] == 0
