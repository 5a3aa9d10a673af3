"""The pelvis, legs and root of motion matching: long stretches of the library, not segments.

Legs do not follow the words. Played with the upper body's segments, they joined a new stance
about every second: the feet slid between the two stances over each blend, so the feet stage
had to re-solve every leg in the take, and the solve's legs (crouched, turned about other axes
than the speaker's) were what a classifier told from his first. So the lower body plays the
library on by itself, from a seeded place, and moves only where a take runs out (or after
MAX_STRETCH_SECONDS), to the frame whose legs stand most like the ones it leaves, joined over
LEG_TRANSITION frames; the upper body's segments are picked near the frames it plays. The
root travels as those stretches travel, from where the rig stands, and follows the standing
feet across the joins (:func:`~talkrig.motion.contacts.anchored_root`). The upper body stands
on these legs with its own segments' pelvis turns, spine, arms and head (:func:`carry_legs`).
"""

import numpy as np

from ....inference.generation.feet import thighs_kept
from ....inference.generation.windows import blend_seam, carry_speed, speed_gap, speed_weights
from ....motion import Motion
from ....motion.contacts import anchored_root
from ....motion.rotations import (
    axis_angle_to_matrix, axis_angle_to_quat, matrix_to_quat, quat_lowpass, quat_to_axis_angle,
    quat_to_matrix,
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
HIPS = (JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"])
PELVIS_SIGMA = 0.1  # s: the upper body leans with the legs' pelvis no faster than this
# The upper body is picked near where the legs play (generator.NEAR_SECONDS). In a long take a
# stretch moves on after MAX_STRETCH_SECONDS, to where the next AHEAD_SECONDS of speech fit
# (weighed SPEECH_WEIGHT against how the legs stand), so the upper body is not held to one part
# of it. Only there: in a short library, starts and take ends that followed the speech played
# the same few places on every seed, and the held-out test told them from the speaker more
# easily (0.70 -> 0.71-0.74, seeds 0-11).
AHEAD_SECONDS = 10.0
SPEECH_WEIGHT = 1.0
MAX_STRETCH_SECONDS = 30.0


def lower_body(lib, remaining, n, fps, rng, speech=None):
    """(Motion, frames): ``n`` frames whose pelvis, legs and root (LOWER, trans) the upper body
    rides on, and the library frame each one's legs play (n,).

    lib : the matching Library; remaining : (N,) frames left in the take from each frame (0
    where excluded); rng : a numpy Generator (seeded: another seed, another start); speech :
    None or a function (t, k) -> (N,) cost of playing the library from each frame to output
    frames [t, t + k) (how well the audio matches), which a long take's moves follow.
    """
    shortest = min(n, max(2, int(round(MIN_STRETCH_SECONDS * fps))))
    startable = np.flatnonzero(remaining >= shortest)
    if startable.size == 0:
        startable = np.flatnonzero(remaining == remaining.max())
    legs = np.concatenate([lib.leg_features, np.sqrt(VELOCITY_WEIGHT) * lib.leg_velocities], axis=1)
    long = remaining[startable] >= LONG_SECONDS * fps
    played = np.full(lib.n_frames, -np.inf)  # the output frame each library frame was last played at
    parts, stand, frames = [], [], []
    ahead = max(1, int(AHEAD_SECONDS * fps))

    def coming(t):  # how well the next AHEAD_SECONDS of speech fit from each startable frame
        return _normalised(speech(t, min(ahead, n - t))[startable])

    cursor = int(rng.choice(startable))
    t = 0
    while t < n:
        length = int(min(n - t, remaining[cursor], MAX_STRETCH_SECONDS * fps))
        idx = np.arange(cursor, cursor + length)
        part = _stretch(lib, idx, parts[-1] if parts else None)
        parts.append(part)
        stand.append(lib.contacts[idx])
        frames.append(idx)
        played[idx] = t + np.arange(length)
        t += length
        if t < n:
            fresh = _fresh(played < t - REPEAT_SECONDS * fps, int(LONG_SECONDS * fps))[startable]
            moved = length < remaining[cursor]  # left before the take's end: a long take
            fit = coming(t) if moved and speech is not None else None
            cursor = _next_stretch(legs, int(idx[-1]), startable, fresh, long, fit)
    motion = Motion.concatenate(parts)
    motion.contacts = np.concatenate(stand).astype(np.float32)
    motion.trans = anchored_root(motion.poses, motion.trans, motion.contacts, fps=lib.fps)
    return motion, np.concatenate(frames)


def carry_legs(poses, lower, fps, sigma=PELVIS_SIGMA):
    """(poses, trans): the upper body's ``poses`` (T, 55, 3) standing on the legs and root of
    ``lower`` (a Motion), leaning with the legs' pelvis no faster than ``sigma`` seconds.

    Two takes' pelvises turn apart, and a real body turns its pelvis and spine as one solve. So
    the pelvis keeps the upper body's own fast turns (what is left of the turn between the two
    pelvises after a low-pass over PELVIS_SIGMA) and leans with the legs' pelvis only as slowly
    as a weight shift: the spine, arms and head keep their take's motion whole, and the thighs
    keep the legs' take's world orientation (the hips take the fast part of the turn, as a
    real standing body's hips answer its pelvis). The root follows the standing feet again
    (``lower.contacts``) and rises and falls as the turn moves the hips' midpoint, so the feet
    stand where the legs' take put them. (The spine's first joint took the fast turn before: it
    accelerated twice as much as his, 2.4 rad/s^2.)
    """
    out = np.array(poses, np.float32, copy=True)
    out[:, LOWER] = lower.poses[:, LOWER]
    mine = axis_angle_to_matrix(np.asarray(poses[:, 0], np.float64))
    theirs = axis_angle_to_matrix(np.asarray(lower.poses[:, 0], np.float64))
    turn = np.swapaxes(theirs, 1, 2) @ mine  # the legs' pelvis to the upper body's
    slow = quat_to_matrix(quat_lowpass(matrix_to_quat(turn), sigma * fps))
    out, moved = thighs_kept(out, mine @ np.swapaxes(slow, 1, 2))
    trans = anchored_root(out, lower.trans, lower.contacts, fps=fps).astype(np.float64)
    trans[:, 1] -= moved[:, 1]
    return out, trans.astype(np.float32)


def _stretch(lib, idx, previous):
    """The library's frames ``idx`` with their root travel on from where ``previous`` ends,
    blended into it (its legs' turning speed too: :func:`_carry_speed`)."""
    trans = lib.trans[idx].astype(np.float64)
    trans[:, [0, 2]] += root_start(previous) - trans[0, [0, 2]]
    part = Motion(poses=lib.poses[idx].copy(), trans=trans.astype(np.float32), fps=lib.fps)
    return part if previous is None else speed_carried(previous, blend_seam(previous, part, LEG_TRANSITION),
                                                       LOWER, LEG_TRANSITION)


def speed_carried(previous, part, joints, frames):
    """``part`` with the turning speed of ``joints`` carried on from ``previous``'s over
    ``frames`` (``windows.speed_weights``): the seam's blend joins the poses, not their speeds.
    Where a new stretch's legs moved at another speed the standing foot changed speed within a
    frame, and the root following it (four times the speaker's largest root acceleration)."""
    k = min(frames, part.n_frames)
    if previous.n_frames < 2 or k < 2:
        return part
    gap = speed_gap(axis_angle_to_quat(previous.poses[-2:, joints].astype(np.float64)),
                    axis_angle_to_quat(part.poses[:2, joints].astype(np.float64)))
    out = part.copy()
    q = axis_angle_to_quat(part.poses[:k, joints].astype(np.float64))
    out.poses[:k, joints] = quat_to_axis_angle(carry_speed(q, gap, speed_weights(np.arange(k), k))).astype(np.float32)
    return out


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


def _next_stretch(legs, last, startable, fresh, long, fit=None):
    """The startable frame whose legs (knees, ankles, feet around the pelvis, and their
    speeds) are nearest to frame ``last``'s and where the coming speech fits (``fit``, a
    normalised cost per startable frame, weighed SPEECH_WEIGHT; None: not asked), among those not played for REPEAT_SECONDS (``fresh``) and with
    LONG_SECONDS or more of the take after them (``long``) where there are any: a short
    library is played through before a stretch comes again. Never the frames around ``last``."""
    cost = _normalised(np.sum((legs[startable] - legs[last]) ** 2, axis=1)) + 10.0 * ~fresh + 2.0 * ~long
    if fit is not None:
        cost = cost + SPEECH_WEIGHT * fit
    cost[np.abs(startable - last) < 2 * LEG_TRANSITION] = np.inf
    if not np.isfinite(cost).any():
        return int(startable[0])
    return int(startable[np.argmin(cost)])


def _normalised(cost):
    """``cost`` over its median, comparable with the others; an infinite one (the audio runs
    past the library's end) the largest finite one."""
    finite = np.isfinite(cost)
    if not finite.any():
        return np.ones_like(cost)
    out = cost / max(float(np.median(cost[finite])), 1e-12)
    out[~finite] = out[finite].max()
    return out


def _fresh(old, span):
    """(N,) bool: frames from which the next ``span`` frames were all not played recently."""
    stale = np.concatenate([[0], np.cumsum(~old)])
    ends = np.minimum(np.arange(len(old)) + span, len(old))
    return stale[ends] - stale[:len(old)] == 0
