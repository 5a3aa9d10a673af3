"""Feet that stay where they are put: foot contacts and two-bone leg IK for standing speakers.

A planted foot holds one place on the floor and turns on the spot only with the pelvis's turns
(FOOT_PIVOT); hips and knees are re-solved every frame so the pelvis can sway, shift weight or
dip while the feet stay. Contacts come from the generator (``Motion.contacts`` (T, 2): left,
right) or, when it gives none, from the motion itself (a foot on the floor and barely moving is
planted, and so is a foot held a little above it, still, for longer than a step), so a generator
that walks the root deliberately keeps its steps. Each foot stands on its own floor
(``foot_floors``: a speaker's ankles rest up to OWN_FLOOR apart in height); a foot the motion
holds higher than that above the other one for the whole take is brought down, never planted in
the air. A standing leg may be as straight as a speaker's (REACH): the root drops only as far
as the legs need, and rises where both knees would bend, until the straighter leg stands
straight (a speaker stands on one straight leg or both, never sinks on two bent ones), and
the hip-to-foot distance's frame-to-frame ripple is left out (:func:`steady_reach`), since
near a straight leg it would become knee tremble. Of the quick turns (faster than
PIVOT_SECONDS) left between a planted foot and its shin, the knee takes up SHIN_FOLLOW
(a speaker's shins turn part of the way with his hips, his knees and ankles share
the twist; an ankle left to twist alone, 2.7x his, told the legs from his).

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

Only what needs it: a real speaker's feet are not nailed down (they roll, pivot and creep a
few centimetres within a stance, rest on their toes, hang off the floor for seconds), and a
take whose feet already behave like his must come out as it went in: nailed-down feet, flat
soles and straightened steps are what a classifier tells from real legs first. So the stage
measures the take's feet against the real speaker's levels (REAL_LEVELS: skate, ankle tremble,
hanging feet, soles off the flat) and applies the solve in proportion to the worst excess
(:func:`feet_needed`): not at all up to NEED_FROM times his level, in full from NEED_FULL.
"""

import numpy as np

from ...motion.contacts import (
    MAX_STEP_SECONDS, MIN_STEP_DISTANCE, MIN_STEP_SECONDS, detect_contacts, foot_floors,
)
from ...motion.easing import minimum_jerk
from ...motion.filters import gaussian_filter1d, maximum_filter1d, minimum_filter1d
from ...motion.rotations import (
    axis_angle_to_matrix, axis_angle_to_quat, matrix_to_axis_angle, matrix_to_quat, quat_lowpass,
    quat_slerp, quat_to_axis_angle, quat_to_matrix,
)
from ...motion.runs import true_runs
from ...motion.skeleton import JOINT_INDEX, neutral_skeleton

LEGS = (  # (hip, knee, ankle) of the left and the right leg
    (JOINT_INDEX["left_hip"], JOINT_INDEX["left_knee"], JOINT_INDEX["left_ankle"]),
    (JOINT_INDEX["right_hip"], JOINT_INDEX["right_knee"], JOINT_INDEX["right_ankle"]),
)
# The real speaker's levels (BEAT2 speaker 2, the 45 s take in the shared data; printed by
# benchmarks/bench_realism.py --levels): the supporting foot's mean horizontal speed, m/s
# (posture.foot_skate; 0.016-0.032 over its 10 s pieces); the ankles' mean jerk, m/s^3
# (distribution.mean_jerk; 25-47); the longest a foot stays off the floor, s (feet.longest_lift);
# the soles' mean tilt off the flat while on the floor, radians (sole_tilt).
REAL_LEVELS = {"skate": 0.023, "ankle_jerk": 33.0, "lift": 2.9, "tilt": 0.061}
NEED_FROM, NEED_FULL = 1.5, 2.5  # times the real level: the solve starts, and is whole
STEP_LIFT = 0.25  # the foot clears the floor by this share of the step length (2-8 cm)
# A leg is never solved straighter than this share of its length (a knee bent 3.6 deg: the
# speaker's stand within 1-2 deg of straight; 0.995 bent every solved knee by 11.5 deg or more,
# which alone told the legs from his).
REACH = 0.9995
REACH_SIGMA = 0.05  # s: the hip -> foot distance's ripple faster than this is left out...
REACH_RIPPLE = 0.0004  # m: ...by at most this (the foot moves along the leg by as much)
FOOT_PIVOT = 0.3  # share of the pelvis's turns the planted feet turn with (his: 0.25-0.7)
PIVOT_SECONDS = 1.0  # s: turns away from the heading over this window are pivoted
SHIN_FOLLOW = 0.6  # share of the quick turns between a planted foot and its shin the knee takes up
MAX_TILT = 0.35  # rad: a planted foot rolls at most this far off the flat (the speaker's: 0.06 mean)
ROOT_SIGMA = 0.1  # s: the root of a standing body moves no faster than this (real takes: < 3 mm off)
# Pelvis and legs only: the feet depend on nothing else, so FK runs on 7 joints, not 55.
LEG_JOINTS = np.array([0, LEGS[0][0], LEGS[1][0], LEGS[0][1], LEGS[1][1], LEGS[0][2], LEGS[1][2]])


class _LegSkeleton:
    """Forward kinematics of the pelvis and legs of a full skeleton, in full-skeleton indices."""

    def __init__(self, skeleton):
        from ...motion.skeleton import Skeleton

        index = {int(j): k for k, j in enumerate(LEG_JOINTS)}
        parents = [-1] + [index[int(skeleton.parents[j])] for j in LEG_JOINTS[1:]]
        self.full = skeleton
        self.sub = Skeleton(rest_positions=skeleton.rest_positions[LEG_JOINTS], parents=np.array(parents),
                            names=tuple(skeleton.names[j] for j in LEG_JOINTS))
        self.offsets = skeleton.offsets
        self.parents = skeleton.parents

    def forward_kinematics(self, poses, trans):
        """(T, J, 3, 3) rotations and (T, J, 3) positions indexed by the body's joint
        numbers, up to the last leg joint (J = 9), filled for the leg joints only (a whole
        body's 55 joints cost a take seven 7 MB arrays to clear, for nine joints read)."""
        rot_s, pos_s = self.sub.forward_kinematics(np.asarray(poses)[:, LEG_JOINTS], trans)
        n, count = len(poses), int(LEG_JOINTS.max()) + 1
        rot = np.zeros((n, count, 3, 3))
        pos = np.zeros((n, count, 3))
        rot[:, LEG_JOINTS] = rot_s
        pos[:, LEG_JOINTS] = pos_s
        return rot, pos

    def hips_over_root(self, poses):
        """``hips(trans)`` -> (T, 2, 3) world positions of the left and right hip over the root
        ``trans``, the ``poses`` held: :meth:`forward_kinematics`'s to the bit (the pelvis's
        columns times each hip's offset, added to the root in the order motion.skeleton's chain
        adds them) without the chain again for each move of the root."""
        pelvis = axis_angle_to_matrix(np.asarray(poses, np.float64)[:, 0])  # the root's turn is its own
        offsets = self.sub.offsets
        hip_offsets = offsets[[int(np.flatnonzero(LEG_JOINTS == hip)[0]) for hip, _, _ in LEGS]]  # (2, 3)
        turned = [pelvis[:, None, :, k] * hip_offsets[None, :, k, None] for k in range(3)]

        def hips(trans):
            pos = offsets[0] + np.asarray(trans, np.float64)[:, None, :]
            for term in turned:
                pos = pos + term
            return pos

        return hips


def plants(flags, ankles, rot, fps, floor=None):
    """Where one foot is planted, as [(start, stop, position (3,), orientation (3, 3)), ...].

    flags : (T,) contact flags of the foot; ankles (T, 3) and rot (T, 3, 3) its world ankle
    positions and rotations; floor : the ankle height of a planted foot, metres (default: the
    foot's median over all its contacts; :func:`floor_height` for both feet). Lifts shorter
    than MIN_STEP_SECONDS are no step (the foot stays down); plants closer than
    MIN_STEP_DISTANCE to the previous one are the same plant. Each plant holds the median
    ankle position of its frames at the floor's height and the orientation of its middle frame,
    tilted off the flat no further than MAX_TILT (a standing foot rolls a little, as a
    speaker's does, but does not stand on its toes).
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
        out.append((start, stop, position, level_tilt(rot[(start + stop - 1) // 2])))
    return out


def level_tilt(rotation, max_tilt=None):
    """(3, 3) ``rotation`` of a foot (world) tilted off the flat by at most ``max_tilt``
    radians (default MAX_TILT): the part of its tilt past that is turned away about the
    horizontal axis, heading and the rest of the tilt kept (SMPL-X feet are flat in the zero
    pose: the ankle's up axis is the world's)."""
    max_tilt = MAX_TILT if max_tilt is None else max_tilt
    up = rotation[:, 1]
    tilt = np.arccos(np.clip(up[1], -1.0, 1.0))
    if tilt <= max_tilt:
        return rotation
    axis = np.cross(up, [0.0, 1.0, 0.0])
    axis /= max(np.linalg.norm(axis), 1e-12)
    return axis_angle_to_matrix(axis * (tilt - max_tilt)) @ rotation


def foot_targets(plan, n, fps):
    """(T, 3) ankle targets and (T, 3, 3) rotations of one foot: planted, or stepping.

    plan : :func:`plants` of the foot. Between two plants the foot steps: it leaves the first
    place, travels on a low arc and lands on the next one over the time between them, at least
    MIN_STEP_SECONDS (taken from the plants' ends when the gap is shorter) and at most
    MAX_STEP_SECONDS (the foot waits planted, then steps to land when the motion lands it).
    Each frame is written once or twice (a step's arc may reach into the plants around it), so
    a long take's many steps cost no more than its frames.
    """
    targets = np.zeros((n, 3))
    orient = np.zeros((n, 3, 3))
    shortest = max(2, int(round(MIN_STEP_SECONDS * fps)))
    longest = max(shortest, int(round(MAX_STEP_SECONDS * fps)))
    held = 0  # the first frame not yet written: the foot stands on the plant before it from there
    for (a0, a1, pa, ra), (b0, b1, pb, rb) in zip(plan, plan[1:]):
        lift, land = a1, b0
        if land - lift < shortest:  # widen into both plants, keeping a frame of each
            extra = shortest - (land - lift)
            lift = max(a0 + 1, lift - (extra + 1) // 2)
            land = min(b1 - 1, lift + shortest)
        lift = max(lift, land - longest)
        targets[held:lift], orient[held:lift] = pa, ra
        u = minimum_jerk((np.arange(lift, land + 1) - lift) / max(land - lift, 1))
        distance = np.linalg.norm((pb - pa)[[0, 2]])
        height = np.clip(STEP_LIFT * distance, 0.02, 0.08) * np.sin(np.pi * u)
        targets[lift:land + 1] = pa + (pb - pa) * u[:, None]
        targets[lift:land + 1, 1] += height
        qa, qb = matrix_to_quat(ra), matrix_to_quat(rb)
        orient[lift:land + 1] = quat_to_matrix(quat_slerp(qa, qb, u[:, None]))
        held = max(held, land + 1)
    last = plan[-1]
    targets[held:], orient[held:] = last[2], last[3]
    return targets, orient


def plant_feet(motion, contacts=None, skeleton=None, need=None):
    """A copy of ``motion`` whose feet are planted, or step cleanly from one place to the next
    (hips, knees, ankles and, where a leg cannot reach, the root height are adjusted), as far
    as the take needs it.

    contacts : (T, 2) flags (left, right); default ``motion.contacts`` when it has two columns,
    else detected from the motion. A foot with no contact at all is left as it is.
    need : how much of the solve to apply, in [0, 1]; default: all of it where the generator
    says which feet stand (``contacts`` given, or ``motion.contacts``), else
    :func:`feet_needed` (0 for feet that behave like a real speaker's: the take comes back as
    it went in).
    """
    if need is None:
        told = contacts is not None or (motion.contacts is not None and motion.contacts.shape[1] == 2)
        need = 1.0 if told else feet_needed(motion, skeleton)
    need = float(np.clip(need, 0.0, 1.0))
    if need <= 0.0:
        return motion.copy()
    solved = _plant_feet(motion, contacts, skeleton)
    return solved if need >= 1.0 else _blend_legs(motion, solved, need)


def feet_needed(motion, skeleton=None):
    """How much of the feet solve the take needs, in [0, 1]: the largest of its feet's levels
    over the real speaker's (REAL_LEVELS), 0 up to NEED_FROM times his, 1 from NEED_FULL.

    For a take that says nothing of its feet (mocap, a library's motion played back): real
    feet come back as they went in, feet that slide, tremble, hang or stand on their toes for
    longer than a speaker does are solved.
    """
    if motion.n_frames < 4:
        return 0.0
    from ...motion.metrics.distribution import mean_jerk
    from ...motion.metrics.feet import longest_lift
    from ...motion.metrics.posture import foot_skate

    levels = {"skate": foot_skate(motion, skeleton), "ankle_jerk": mean_jerk(motion, [LEGS[0][2], LEGS[1][2]]),
              "lift": longest_lift(motion, skeleton=skeleton), "tilt": sole_tilt(motion, skeleton)}
    worst = max(levels[name] / REAL_LEVELS[name] for name in REAL_LEVELS)
    return float(np.clip((worst - NEED_FROM) / (NEED_FULL - NEED_FROM), 0.0, 1.0))


def sole_tilt(motion, skeleton=None):
    """The soles' mean tilt off the flat, radians, over the frames each foot is on the floor
    (SMPL-X feet are flat in the zero pose: the ankle's forward axis is level)."""
    legs = _LegSkeleton(skeleton or neutral_skeleton())
    rot, pos = legs.forward_kinematics(motion.poses, motion.trans)
    ankles = [LEGS[0][2], LEGS[1][2]]
    down = detect_contacts(pos[:, ankles], motion.fps) > 0.5
    forward = rot[:, ankles][..., 2]  # (T, 2, 3): each ankle's forward axis in the world
    tilt = np.abs(np.arcsin(np.clip(forward[..., 1], -1.0, 1.0)))
    return float(tilt[down].mean()) if down.any() else 0.0


def _blend_legs(motion, solved, weight):
    """``motion`` moved ``weight`` of the way to ``solved``: the legs' rotations by slerp, the
    root linearly (the rest of the body is the same in both)."""
    out = solved.copy()
    joints = [j for leg in LEGS for j in leg]
    q0 = axis_angle_to_quat(motion.poses[:, joints].astype(np.float64))
    q1 = axis_angle_to_quat(solved.poses[:, joints].astype(np.float64))
    out.poses[:, joints] = quat_to_axis_angle(quat_slerp(q0, q1, weight)).astype(np.float32)
    out.trans = ((1.0 - weight) * motion.trans + weight * solved.trans).astype(np.float32)
    return out


def _plant_feet(motion, contacts=None, skeleton=None):
    """The whole solve (see :func:`plant_feet`)."""
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
    floors = foot_floors(contacts, ankles)
    for leg in range(2):
        plan = plants(contacts[:, leg], ankles[:, leg], orient[:, leg], motion.fps, floors[leg])
        if plan:
            targets[:, leg], orient[:, leg] = foot_targets(plan, n, motion.fps)
            solved.append(leg)
    if not solved:
        return out
    orient = pivot_feet(orient, rot[:, 0], motion.fps)
    out.trans = steady_root(out.trans, motion.fps)
    out.poses = steady_legs(out.poses, solved, motion.fps)
    # Only the root moves while it is lowered and raised: each leg's reach, and the hips' place
    # over the root, are worked out once
    reach = {leg: _leg_geometry(skeleton, out.poses, *LEGS[leg][1:])[-1] * REACH for leg in solved}
    hips = skeleton.hips_over_root(out.poses)
    _lower_root(out, hips, targets, reach)
    if len(solved) == 2:
        _raise_root(out, hips, targets, reach)
    rot, pos = skeleton.forward_kinematics(out.poses, out.trans)
    poses = out.poses.astype(np.float64)
    for leg in solved:
        hip, knee, ankle = LEGS[leg]
        local = _solve_leg(skeleton, rot, pos, poses, hip, knee, ankle, targets[:, leg], orient[:, leg], motion.fps)
        for j, value in zip((hip, knee, ankle), local):
            poses[:, j] = value
    if SHIN_FOLLOW > 0.0:
        _turn_shins(skeleton, poses, out.trans, orient, solved, motion.fps)
    out.poses = poses.astype(np.float32)
    return out


def _turn_shins(skeleton, poses, trans, orient, legs, fps):
    """Turn each solved shin about its own length towards its planted foot's heading, in place:
    SHIN_FOLLOW of the quick turns (faster than PIVOT_SECONDS) between the two, so the knee
    takes up the twist the ankle took alone. The ankle's place and the foot's turn stay."""
    rot, _ = skeleton.forward_kinematics(poses, trans)
    for leg in legs:
        _, knee, ankle = LEGS[leg]
        gap = heading(orient[:, leg]) - heading(rot[:, knee])
        quick = gap - gaussian_filter1d(gap, PIVOT_SECONDS * fps, mode="nearest")
        axis = -skeleton.offsets[ankle] / np.linalg.norm(skeleton.offsets[ankle])  # ankle -> knee: up, knee frame
        # the shin's length is nearly vertical: a turn about it turns its heading by about as much
        twist = axis_angle_to_matrix(axis[None] * (SHIN_FOLLOW * quick)[:, None])
        knee_local = axis_angle_to_matrix(poses[:, knee]) @ twist
        poses[:, knee] = matrix_to_axis_angle(knee_local)
        knee_global = rot[:, knee] @ twist
        poses[:, ankle] = matrix_to_axis_angle(np.swapaxes(knee_global, 1, 2) @ orient[:, leg])


def thighs_kept(poses, pelvis):
    """(poses, moved): ``poses`` (T, 55, 3) with the pelvis turned to ``pelvis`` (T, 3, 3, world)
    and each hip turned back so that its thigh points as it did in the world, and (T, 3) how far
    that moved the hips' midpoint off the root: moving the root back by it keeps the legs, and
    the feet on them, where they stood. A real standing body's hips answer its pelvis's turns
    this way; the pelvis of another take (matching) or a calmed one is laid over real legs so."""
    old = axis_angle_to_matrix(np.asarray(poses[:, 0], np.float64))
    back = np.swapaxes(pelvis, 1, 2) @ old  # the old pelvis seen from the new one
    out = np.array(poses, np.float32, copy=True)
    out[:, 0] = matrix_to_axis_angle(pelvis)
    hips = [hip for hip, _, _ in LEGS]
    for hip in hips:
        out[:, hip] = matrix_to_axis_angle(back @ axis_angle_to_matrix(np.asarray(poses[:, hip], np.float64)))
    middle = neutral_skeleton().offsets[hips].mean(axis=0)  # the hips' midpoint off the pelvis
    return out, (pelvis - old) @ middle


def heading(rotations):
    """(T,) heading of rotations (T, 3, 3) about the vertical (the forward z axis's yaw),
    radians, continuous in time."""
    forward = rotations[..., 2]
    return np.unwrap(np.arctan2(forward[:, 0], forward[:, 2]))


def pivot_feet(orient, pelvis, fps):
    """(T, 2, 3, 3) feet ``orient`` turned on the spot with the pelvis (world ``pelvis``
    (T, 3, 3)): FOOT_PIVOT of its turns away from its heading over PIVOT_SECONDS, tremble
    (ROOT_SIGMA) left out. A speaker turning his hips turns his feet with them (his soles'
    heading follows the pelvis's over a window, correlation 0.4-0.7); feet held to one heading
    put the whole turn into the ankles, twisting twice as far as his."""
    yaw = heading(pelvis)
    turn = FOOT_PIVOT * (gaussian_filter1d(yaw, ROOT_SIGMA * fps, mode="nearest")
                         - gaussian_filter1d(yaw, PIVOT_SECONDS * fps, mode="nearest"))
    spin = axis_angle_to_matrix(np.stack([np.zeros_like(turn), turn, np.zeros_like(turn)], axis=-1))
    return spin[:, None] @ orient


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


def _lower_root(motion, hips, targets, reach):
    """Drop the root where a planted foot is out of the leg's reach (a straight-legged dip),
    smoothly: over the time of a weight shift, never in a one-frame notch. ``hips(trans)``:
    the hips' places over the root (:meth:`_LegSkeleton.hips_over_root`); ``reach``: {leg:
    (T,) metres} of the legs solved."""
    width = 2 * int(round(2 * ROOT_SIGMA * motion.fps)) + 1
    for _ in range(3):
        pos = hips(motion.trans)
        need = np.zeros(motion.n_frames)
        for leg, longest in reach.items():
            need = np.maximum(need, np.linalg.norm(targets[:, leg] - pos[:, leg], axis=-1) - longest)
        if not np.any(need > 1e-5):
            return
        # the hip drops straight down, eased in and out of the dip: the need smoothed, plus
        # what smoothing took off its peaks (the widest shortfall nearby, smoothed); no
        # further than that: every millimetre more bends both knees
        need = np.maximum(need, 0.0)
        smooth = gaussian_filter1d(need, 2 * ROOT_SIGMA * motion.fps, mode="nearest")
        short = maximum_filter1d(np.maximum(need - smooth, 0.0), width, mode="nearest")
        drop = np.maximum(smooth + gaussian_filter1d(short, ROOT_SIGMA * motion.fps, mode="nearest"), need)
        motion.trans[:, 1] -= drop.astype(np.float32)


def _raise_root(motion, hips, targets, reach):
    """Lift the root where both legs would bend, until the straighter one reaches REACH,
    smoothly (the least lift nearby, low-passed: never past what either leg can
    follow). A network's pelvis wanders over feet planted where they stood on the median, and
    the drop to the farther foot left both knees bent twice the speaker's (0.35 against his
    -0.07 to 0.16 mean bend); a real speaker's weight rests on a straight leg."""
    sigma = ROOT_SIGMA * motion.fps
    width = 2 * int(round(3 * sigma)) + 1  # the low-pass's tails stay within the window
    for _ in range(2):
        pos = hips(motion.trans)
        lifts = []
        for leg in range(len(LEGS)):
            span = pos[:, leg] - targets[:, leg]
            level = np.sqrt(np.maximum(reach[leg] ** 2 - span[:, 0] ** 2 - span[:, 2] ** 2, 0.0))
            lifts.append(level - span[:, 1])  # how far this hip can rise over its foot
        lift = np.clip(np.min(lifts, axis=0), 0.0, None)
        lift = gaussian_filter1d(minimum_filter1d(lift, width, mode="nearest"), sigma, mode="nearest")
        motion.trans[:, 1] += lift.astype(np.float32)


def steady_reach(dist, fps):
    """(F,) hip -> foot distances with their frame-to-frame ripple (faster than REACH_SIGMA)
    taken out, by at most REACH_RIPPLE metres.

    Near a straight leg the knee's bend grows with the square root of the missing reach: a
    tenth of a millimetre of ripple from a trembling pelvis is a degree of knee tremble there.
    Left out, it lets the foot move along the leg by a fraction of a millimetre instead."""
    if len(dist) < 4:
        return dist
    smooth = gaussian_filter1d(dist, REACH_SIGMA * fps, mode="nearest")
    return dist + np.clip(smooth - dist, -REACH_RIPPLE, REACH_RIPPLE)


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


def _solve_leg(skeleton, rot, pos, poses, hip, knee, ankle, target, orient, fps):
    """New local (hip, knee, ankle) axis-angles (F, 3) reaching ``target`` with ``orient``."""
    parent = skeleton.parents[hip]
    r_parent = rot[:, parent]  # (F, 3, 3)
    r_hip = rot[:, hip]
    knee_local, u, s, c0, a, b, longest = _leg_geometry(skeleton, poses, knee, ankle)
    lu, ls = np.linalg.norm(u), np.linalg.norm(s, axis=-1)
    dist = np.linalg.norm(target - pos[:, hip], axis=-1)
    dist = steady_reach(dist, fps)
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
