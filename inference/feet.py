"""Feet that stay where they are put: foot contacts and two-bone leg IK for standing speakers.

A planted foot holds one place and orientation on the floor; hips and knees are re-solved
every frame so the pelvis can sway, shift weight or dip while the feet stay fixed. Contacts
come from the generator (``Motion.contacts`` (T, 2): left, right) or, when it gives none, from
the motion itself (a foot on the floor and barely moving is planted, and so is a foot held a
little above it, still, for longer than a step), so a generator that walks the root
deliberately keeps its steps. Both feet stand on one floor: a foot the motion holds a few
centimetres above the other one for the whole take is brought down, never planted in the air.

A step is a step or nothing: between two plants the foot lifts, travels and lands over at
least MIN_STEP_SECONDS; a shorter lift or a move of a few centimetres is no step (the foot
stays down), and a lift of seconds is a wait on the floor followed by a step. Every frame of a
foot that has contacts is solved, so no blend between solved and unsolved legs can make the
foot jump, and the knee always bends forwards, never switching to its hyperextended twin.

Legs over planted feet do not tremble: the root's translation and the thighs' and knees' own
rotations are low-passed over ROOT_SIGMA before the solve (weight shifts and dips take a second
or more and pass), so a generator's frame-to-frame wobble, which a planted foot would otherwise
turn into shaking knees and an ankle jerking against the pelvis, never reaches the legs. The
pelvis's rotation and the upper body are left as they are.
"""

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from ..motion.contacts import (
    MAX_STEP_SECONDS, MIN_STEP_DISTANCE, MIN_STEP_SECONDS, detect_contacts, floor_height,
)
from ..motion.rotations import (axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quat,
                                quat_lowpass, quat_slerp, quat_to_matrix)
from ..motion.runs import true_runs
from ..motion.skeleton import JOINT_INDEX, neutral_skeleton

LEGS = (  # (hip, knee, ankle) of the left and the right leg
    (JOINT_INDEX["left_hip"], JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]),
    (JOINT_INDEX["right_hip"], JOINT_INDEX["right_knee"], JOINT_INDEX["right_ankle"]),
)
STEP_LIFT = 0.25  # the foot clears the floor by this share of the step length (2-8 cm)
REACH = 0.995  # a leg is never solved straighter than this share of its length
ROOT_SIGMA = 0.1  # s: the root of a standing body moves no faster than this (real takes: < 3 mm off)
# Pelvis and legs only: the feet depend on nothing else, so FK runs on 7 joints, not 55.
LEG_JOINTS = np.array([0, LEGS[0][0], LEGS[1][0], LEGS[0][1], LEGS[1][1], LEGS[0][2], LEGS[1][2]])


class _LegSkeleton:
    """Forward kinematics of the pelvis and legs of a full skeleton, in full-skeleton indices."""

    def __init__(self, skeleton):
        from ..motion.skeleton import Skeleton

        index = {int(j): k for k, j in enumerate(LEG_JOINTS)}
        parents = [-1] + [index[int(skeleton.parents[j])] for j in LEG_JOINTS[1:]]
        self.full = skeleton
        self.sub = Skeleton(rest_positions=skeleton.rest_positions[LEG_JOINTS], parents=np.array(parents),
                            names=tuple(skeleton.names[j] for j in LEG_JOINTS))
        self.offsets = skeleton.offsets
        self.parents = skeleton.parents

    def forward_kinematics(self, poses, trans):
        """(T, 55, 3, 3) rotations and (T, 55, 3) positions, filled for the leg joints only."""
        rot_s, pos_s = self.sub.forward_kinematics(np.asarray(poses)[:, LEG_JOINTS], trans)
        n = len(poses)
        rot = np.zeros((n, 55, 3, 3))
        pos = np.zeros((n, 55, 3))
        rot[:, LEG_JOINTS] = rot_s
        pos[:, LEG_JOINTS] = pos_s
        return rot, pos


def plants(flags, ankles, rot, fps, floor=None):
    """Where one foot is planted, as [(start, stop, position (3,), orientation (3, 3)), ...].

    flags : (T,) contact flags of the foot; ankles (T, 3) and rot (T, 3, 3) its world ankle
    positions and rotations; floor : the ankle height of a planted foot, metres (default: the
    foot's median over all its contacts; :func:`floor_height` for both feet). Lifts shorter
    than MIN_STEP_SECONDS are no step (the foot stays down); plants closer than
    MIN_STEP_DISTANCE to the previous one are the same plant. Each plant holds the median
    ankle position of its frames at the floor's height and the heading of its middle frame,
    flat on the floor (a foot that stands is not on its toes).
    """
    flags = np.asarray(flags) > 0.5
    n = len(flags)
    runs = true_runs(flags)
    gap = max(1, int(round(MIN_STEP_SECONDS * fps)))
    merged = []
    for start, stop in runs:  # a lift too short to be a step is no lift
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    if not merged:
        return []
    if floor is None:
        contact = np.zeros(n, bool)
        for start, stop in merged:
            contact[start:stop] = True
        floor = float(np.median(ankles[contact, 1]))
    out = []
    for start, stop in merged:
        position = np.median(ankles[start:stop], axis=0)
        position[1] = floor
        if out and np.linalg.norm((position - out[-1][2])[[0, 2]]) < MIN_STEP_DISTANCE:
            out[-1] = (out[-1][0], stop, out[-1][2], out[-1][3])
            continue
        out.append((start, stop, position, flat_on_floor(rot[(start + stop - 1) // 2])))
    return out


def flat_on_floor(rotation):
    """(3, 3) the turn about the vertical (y) axis of a foot's world rotation: the same
    heading, sole flat (SMPL-X feet are flat in the zero pose)."""
    forward = rotation[:, 2]
    yaw = np.arctan2(forward[0], forward[2]) if np.hypot(forward[0], forward[2]) > 1e-6 else 0.0
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def foot_targets(plan, n, fps):
    """(T, 3) ankle targets and (T, 3, 3) rotations of one foot: planted, or stepping.

    plan : :func:`plants` of the foot. Between two plants the foot steps: it leaves the first
    place, travels on a low arc and lands on the next one over the time between them, at least
    MIN_STEP_SECONDS (taken from the plants' ends when the gap is shorter) and at most
    MAX_STEP_SECONDS (the foot waits planted, then steps to land when the motion lands it).
    """
    targets = np.zeros((n, 3))
    orient = np.zeros((n, 3, 3))
    first = plan[0]
    targets[:], orient[:] = first[2], first[3]
    shortest = max(2, int(round(MIN_STEP_SECONDS * fps)))
    longest = max(shortest, int(round(MAX_STEP_SECONDS * fps)))
    for (a0, a1, pa, ra), (b0, b1, pb, rb) in zip(plan, plan[1:]):
        targets[a0:], orient[a0:] = pa, ra
        lift, land = a1, b0
        if land - lift < shortest:  # widen into both plants, keeping a frame of each
            extra = shortest - (land - lift)
            lift = max(a0 + 1, lift - (extra + 1) // 2)
            land = min(b1 - 1, lift + shortest)
        lift = max(lift, land - longest)
        u = minimum_jerk((np.arange(lift, land + 1) - lift) / max(land - lift, 1))
        distance = np.linalg.norm((pb - pa)[[0, 2]])
        height = np.clip(STEP_LIFT * distance, 0.02, 0.08) * np.sin(np.pi * u)
        targets[lift:land + 1] = pa + (pb - pa) * u[:, None]
        targets[lift:land + 1, 1] += height
        qa, qb = matrix_to_quat(ra), matrix_to_quat(rb)
        orient[lift:land + 1] = quat_to_matrix(quat_slerp(qa, qb, u[:, None]))
        targets[land + 1:], orient[land + 1:] = pb, rb
    return targets, orient


def minimum_jerk(u):
    """10u^3 - 15u^4 + 6u^5 of u clipped to [0, 1]: eased progress of a step."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def plant_feet(motion, contacts=None, skeleton=None):
    """A copy of ``motion`` whose feet are planted, or step cleanly from one place to the next
    (hips, knees, ankles and, where a leg cannot reach, the root height are adjusted).

    contacts : (T, 2) flags (left, right); default ``motion.contacts`` when it has two columns,
    else detected from the motion. A foot with no contact at all is left as it is.
    """
    skeleton = _LegSkeleton(skeleton or neutral_skeleton())
    out = motion.copy()
    n = motion.n_frames
    if n < 2:
        return out
    rot, pos = skeleton.forward_kinematics(out.poses, out.trans)
    ankles = pos[:, [LEGS[0][2], LEGS[1][2]]]
    if contacts is None and motion.contacts is not None and motion.contacts.shape[1] == 2:
        contacts = motion.contacts
    contacts = np.asarray(detect_contacts(ankles, motion.fps) if contacts is None else contacts) > 0.5
    targets = np.array(ankles, copy=True)
    orient = np.array(rot[:, [LEGS[0][2], LEGS[1][2]]], copy=True)
    solved = []
    floor = floor_height(contacts, ankles)
    for leg in range(2):
        plan = plants(contacts[:, leg], ankles[:, leg], orient[:, leg], motion.fps, floor)
        if plan:
            targets[:, leg], orient[:, leg] = foot_targets(plan, n, motion.fps)
            solved.append(leg)
    if not solved:
        return out
    out.trans = steady_root(out.trans, motion.fps)
    out.poses = steady_legs(out.poses, solved, motion.fps)
    _lower_root(out, skeleton, targets, solved)
    rot, pos = skeleton.forward_kinematics(out.poses, out.trans)
    poses = out.poses.astype(np.float64)
    for leg in solved:
        hip, knee, ankle = LEGS[leg]
        local = _solve_leg(skeleton, rot, pos, poses, hip, knee, ankle, targets[:, leg], orient[:, leg])
        for j, value in zip((hip, knee, ankle), local):
            poses[:, j] = value
    out.poses = poses.astype(np.float32)
    return out


def steady_root(trans, fps, sigma=ROOT_SIGMA):
    """(T, 3) float32 root translation without tremble faster than ``sigma`` seconds.

    With the feet planted, every wobble of the root goes into the legs: the IK turns it into
    trembling knees and hips, and the feet shake against the body. A speaker's weight shifts
    and dips take a second or more and pass unchanged; the real take's own root moves less
    than 3 mm (RMS) under this filter.
    """
    trans = np.asarray(trans, np.float64)
    if len(trans) < 3 or sigma * fps < 0.3:
        return trans.astype(np.float32)
    return gaussian_filter1d(trans, sigma * fps, axis=0, mode="nearest").astype(np.float32)


def steady_legs(poses, legs, fps, sigma=ROOT_SIGMA):
    """(T, 55, 3) float32 ``poses`` whose thighs (in the world: a trembling pelvis does not
    carry them) and knees of ``legs`` (0 left, 1 right) are smoothed over ``sigma`` seconds.

    The leg IK keeps the plane each leg bends in and the knee's twist from these rotations, so a
    tremble in them would shake the knee sideways over a planted foot. The pelvis is unchanged.
    """
    out = np.array(poses, np.float32, copy=True)
    if not legs or len(poses) < 3 or sigma * fps < 0.3:
        return out
    pelvis = axis_angle_to_matrix(out[:, 0].astype(np.float64))
    for leg in legs:
        hip, knee, _ = LEGS[leg]
        thigh = _smooth_rotations(pelvis @ axis_angle_to_matrix(out[:, hip].astype(np.float64)), sigma * fps)
        out[:, hip] = matrix_to_axis_angle(np.swapaxes(pelvis, 1, 2) @ thigh)
        out[:, knee] = matrix_to_axis_angle(_smooth_rotations(axis_angle_to_matrix(out[:, knee].astype(np.float64)),
                                                              sigma * fps))
    return out


def _smooth_rotations(matrices, frames_sigma):
    """(T, 3, 3) rotations low-passed over time (``quat_lowpass``, ``frames_sigma`` frames)."""
    return quat_to_matrix(quat_lowpass(matrix_to_quat(matrices), frames_sigma))


def _lower_root(motion, skeleton, targets, legs):
    """Drop the root where a planted foot is out of the leg's reach (a straight-legged dip),
    smoothly: over the time of a weight shift, never in a one-frame notch."""
    width = 2 * int(round(2 * ROOT_SIGMA * motion.fps)) + 1
    for _ in range(3):
        rot, pos = skeleton.forward_kinematics(motion.poses, motion.trans)
        need = np.zeros(motion.n_frames)
        for leg in legs:
            hip, knee, ankle = LEGS[leg]
            reach = _leg_geometry(skeleton, motion.poses, knee, ankle)[-1] * REACH
            need = np.maximum(need, np.linalg.norm(targets[:, leg] - pos[:, hip], axis=-1) - reach)
        if not np.any(need > 1e-5):
            return
        # the hip drops straight down; lower a little more than the gap so it is closed, and
        # ease in and out of the dip (the widest need nearby, smoothed)
        drop = 1.05 * maximum_filter1d(np.maximum(need, 0.0), width, mode="nearest")
        drop = np.maximum(gaussian_filter1d(drop, ROOT_SIGMA * motion.fps, mode="nearest"), 1.05 * need)
        motion.trans[:, 1] -= drop.astype(np.float32)


def _leg_geometry(skeleton, poses, knee, ankle):
    """The knee-bend geometry of a leg in its hip frame, per frame.

    |hip->ankle|^2 = |u|^2 + |s|^2 + 2 (c0 + a cos d + b sin d) when the knee turns by d about
    the hip's x axis. Returns u (3,), s (F, 3), c0, a, b (F,) and the longest reach (F,) metres.
    """
    knee_local = axis_angle_to_matrix(np.asarray(poses, np.float64)[:, knee])
    u = skeleton.offsets[knee]  # hip -> knee, in the hip frame
    s = np.einsum("fij,j->fi", knee_local, skeleton.offsets[ankle])  # knee -> ankle, hip frame
    c0 = u[0] * s[:, 0]
    a = u[1] * s[:, 1] + u[2] * s[:, 2]
    b = u[2] * s[:, 1] - u[1] * s[:, 2]
    longest = np.sqrt(np.maximum(u @ u + np.sum(s * s, axis=-1) + 2.0 * (c0 + np.hypot(a, b)), 0.0))
    return knee_local, u, s, c0, a, b, longest


def _solve_leg(skeleton, rot, pos, poses, hip, knee, ankle, target, orient):
    """New local (hip, knee, ankle) axis-angles (F, 3) reaching ``target`` with ``orient``."""
    parent = skeleton.parents[hip]
    r_parent = rot[:, parent]  # (F, 3, 3)
    r_hip = rot[:, hip]
    knee_local, u, s, c0, a, b, longest = _leg_geometry(skeleton, poses, knee, ankle)
    lu, ls = np.linalg.norm(u), np.linalg.norm(s, axis=-1)
    dist = np.linalg.norm(target - pos[:, hip], axis=-1)
    dist = np.clip(dist, np.abs(lu - ls) + 1e-4, longest * REACH)
    g = 0.5 * (dist ** 2 - lu ** 2 - ls ** 2) - c0
    amp = np.maximum(np.hypot(a, b), 1e-9)
    phi = np.arctan2(b, a)  # the straightest leg
    spread = np.arccos(np.clip(g / amp, -1.0, 1.0))
    # always the knee bent forwards (flexion grows with d): never the hyperextended twin,
    # and never a switch between the two from one frame to the next
    delta = (phi + spread + np.pi) % (2 * np.pi) - np.pi
    c, sn = np.cos(delta), np.sin(delta)
    rx = np.zeros((len(delta), 3, 3))
    rx[:, 0, 0] = 1.0
    rx[:, 1, 1], rx[:, 1, 2], rx[:, 2, 1], rx[:, 2, 2] = c, -sn, sn, c
    new_knee = rx @ knee_local
    reach = u + np.einsum("fij,fj->fi", rx, s)  # hip -> ankle in the hip frame
    current = np.einsum("fij,fj->fi", r_hip, reach)
    wanted = target - pos[:, hip]
    swing = _shortest_arc(current, wanted)
    new_hip_global = swing @ r_hip
    new_hip = np.swapaxes(r_parent, 1, 2) @ new_hip_global
    new_knee_global = new_hip_global @ new_knee
    new_ankle = np.swapaxes(new_knee_global, 1, 2) @ orient
    return (matrix_to_axis_angle(new_hip), matrix_to_axis_angle(new_knee), matrix_to_axis_angle(new_ankle))


def _shortest_arc(a, b):
    """(F, 3, 3) rotations carrying directions a onto b (F, 3)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    angle = np.arctan2(sin, cos)
    axis = axis / np.maximum(sin, 1e-12)[:, None]
    return axis_angle_to_matrix(axis * angle[:, None])
