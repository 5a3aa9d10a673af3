"""Legs and root travel at the training speaker's level.

A network trained on a minute of speech hedges with its legs as with its arms: on speech it has
never heard (a lecture hall, another voice) its hips and knees move at 0.4-0.55x the speaker's
after the pipeline's feet stage, and its root, placed from the feet (``grounding``), carries the
frame-to-frame wobble of its pelvis and legs (1.6-2.1x his travel per second). Two numbers fix
both, each matched on what the feet stage will make of the take (``inference.generation.feet.plant_feet``
with both feet planted, as the generator says): the gain of the legs' gesture band (hips, knees
and ankles between posture and fine motion, as ``liveliness`` splits the arms) brings the leg
activity (``metrics.posture.leg_activity``) to the speaker's, and the time over which the root's
horizontal place is low-passed brings the root travel to his (a smoother root bends the legs
less, so the gain is matched again after it; the travel then ends a little above his). Both
targets are stored in the model at training time (``leg_activity``, ``root_travel``).

Raised legs stand worse than they move: the gain multiplies the sway of the thighs, and with it
the sway of the root placed from the feet, and the knees' bends; after the feet stage such a
take sat back on bent knees, its pelvis up to 18-19 cm off the middle of its ankles (the
speaker's 95th percentile: 7 cm; ``metrics.posture.sagittal_posture``). So every take is kept
within the training speaker's stance (``stance``, stored beside the two targets,
``metrics.posture.stance_range``): its feet are set under the pelvis where his stand on the
median, the pelvis's sway along the facing direction is compressed softly into his range, and
where a knee would bend past his standing knee the root is raised against the rest of the take
to straighten it (:func:`within_stance`). Models trained before the stance was stored stand as
before. numpy only.
"""

import numpy as np

from ...inference.generation.feet import LEGS, REACH, ROOT_SIGMA, plant_feet
from ...motion.filters import gaussian_filter1d, maximum_filter1d
from ...motion.metrics.posture import LEG_JOINTS, knee_flexion, leg_activity, pelvis_offset, root_travel
from ...motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ...motion.skeleton import neutral_skeleton
from ...motion.solve import solve_rising
from .liveliness import SLOW_SIGMA
from .smoothing import smooth_columns

MAX_LEG_GAIN = 3.0  # the legs' gestures are never scaled past this
# seconds: the root's place is low-passed over at least the first and at most the second; the
# first is what a standing body's root never moves faster than (``grounding.GROUND_SIGMA``)
ROOT_SIGMAS = (0.12, 1.0)
# the pelvis's sway is compressed this many times, each on what the feet stage makes of the last
# (the planted feet follow the root a little, and the low-pass of the move gives some back)
SWAY_PASSES = 2
KNEE_PASSES = 4  # the knees likewise: the leg's real bend follows the root's lift only in part


def soft_ceiling(values, knee, ceiling):
    """``values`` unchanged up to ``knee``, above it bent softly towards ``ceiling``, which they
    never reach (a tanh: slope 1 at the knee)."""
    room = max(float(ceiling) - float(knee), 1e-6)
    over = np.maximum(values - knee, 0.0)
    return np.where(values > knee, knee + room * np.tanh(over / room), values)


def lean_over(motion, shift, most):
    """Move ``motion``'s feet back under its pelvis by ``shift`` metres (at most ``most`` either
    way), in place: both thighs turn about the hips' sideways axis before the feet stage, which
    plants the feet where they then stand and solves the legs anew (so the thighs' turn sets
    only where the feet stand, not how the legs bend). The root does not move: a root moved
    alone carries the feet with it."""
    skeleton = neutral_skeleton()
    shift = float(np.clip(shift, -most, most))
    for hip, _, ankle in LEGS:
        # the hip-ankle vector of the pose's straight leg, in the hip's frame: turn by t about
        # x takes its forward part vz to vy sin t + vz cos t
        _, vy, vz = skeleton.rest_positions[ankle] - skeleton.rest_positions[hip]
        radius, phase = np.hypot(vy, vz), np.arctan2(vz, vy)
        wanted = np.arcsin(np.clip((vz - shift) / radius, -1.0, 1.0))
        turns = (np.array([wanted, np.pi - wanted]) - phase + np.pi) % (2.0 * np.pi) - np.pi
        turn = turns[np.argmin(np.abs(turns))]  # the small turn, not the leg swung overhead
        motion.poses[:, hip] = matrix_to_axis_angle(axis_angle_to_matrix(np.array([turn, 0.0, 0.0]))
                                                    @ axis_angle_to_matrix(motion.poses[:, hip].astype(np.float64)))


def within_stance(motion, stance):
    """``motion`` (before the feet stage, both feet planted) with its root moved so that after
    the stage its pelvis sways over the feet and its knees bend as the speaker's do.

    stance : {"pelvis_offset": m, "pelvis_range": [m, m], "knee_flexion": rad,
    "knee_flexion_p95": rad} (``metrics.posture.stance_range``). The feet are first set under
    the pelvis where the speaker's stand on the median (:func:`lean_over`); then the pelvis's
    offset ahead of the ankles is compressed, about its median, into the room the speaker's
    range leaves him either side (a tanh, so small sways pass as they are); where
    a knee bends past the median of the speaker's standing (straighter) knee it is bent softly
    towards, never past, that knee's 95th percentile by raising the root, no higher than either
    leg can follow (a generated speaker's weight is on both legs). The moves are
    low-passed over the feet stage's ROOT_SIGMA, so the root never jumps.
    """
    out = motion.copy()
    sigma = ROOT_SIGMA * motion.fps
    middle, (low, high) = stance.get("pelvis_offset"), stance.get("pelvis_range") or (0.0, 0.0)
    if middle is not None and low < middle < high:
        lean_over(out, middle - np.median(pelvis_offset(plant_feet(out))), high - low)
        for _ in range(SWAY_PASSES):
            offset, ahead = pelvis_offset(plant_feet(out), facing=True)
            own = np.median(offset)  # his room either side, about where the take stands now
            kept = -soft_ceiling(-soft_ceiling(offset, own, own + high - middle), -own, middle - low - own)
            shift = gaussian_filter1d(kept - offset, sigma, mode="nearest")
            out.trans[:, [0, 2]] += (shift[:, None] * ahead).astype(np.float32)
    knee, ceiling = stance.get("knee_flexion"), stance.get("knee_flexion_p95")
    if knee is None or not ceiling or ceiling <= knee:
        return out
    skeleton = neutral_skeleton()
    for _ in range(KNEE_PASSES):
        planted = plant_feet(out)
        pos = skeleton.forward_kinematics(planted.poses, planted.trans)[1]
        bent = knee_flexion(planted)  # (T, 2)
        heights, slack = [], []
        for leg, (hip, knee_joint, ankle) in enumerate(LEGS):
            upper = np.linalg.norm(skeleton.offsets[knee_joint])
            lower = np.linalg.norm(skeleton.offsets[ankle])
            span = pos[:, hip] - pos[:, ankle]
            across = np.linalg.norm(span[:, [0, 2]], axis=-1)

            def height(reach):  # the hip's height over the ankle at this hip-ankle distance
                return np.sqrt(np.maximum(reach ** 2 - across ** 2, 0.0))

            def reach(flexion):  # the hip-ankle distance of a two-bone leg bent by ``flexion``
                return np.sqrt(upper ** 2 + lower ** 2 + 2.0 * upper * lower * np.cos(flexion))

            wanted = soft_ceiling(bent[:, leg], knee, ceiling)
            heights.append(height(reach(wanted)) - height(reach(bent[:, leg])))
            slack.append(height(REACH * (upper + lower)) - span[:, 1])
        # a generated speaker stands on both legs: neither knee bends past the speaker's standing knee
        need = np.max(heights, axis=0)
        lift = np.clip(np.minimum(need, np.min(slack, axis=0)), 0.0, None)
        width = 2 * int(round(sigma)) + 1
        lift = gaussian_filter1d(maximum_filter1d(lift, width, mode="nearest"), sigma, mode="nearest")
        # the feet stage puts the floor where the feet stand on the median frame (the lifted
        # feet with the root): lifted by its median, the body would float; the knees bend by
        # the lift against the median, so the median is taken off
        out.trans[:, 1] += (lift - np.median(lift)).astype(np.float32)
    return out


def stand(vectors, layout, ground, targets, fps, strength=1.0):
    """(Motion, leg gain, root sigma): the take of (T, D) pose ``vectors`` with its legs'
    gesture band scaled and its root smoothed so that, after the feet stage, its leg activity
    and root travel are the ``targets`` ({"leg_activity": rad/s, "root_travel": m/s}), and kept
    within the speaker's stance (``targets["stance"]``, :func:`within_stance`) where given.

    ground(vectors, sigma) -> Motion: the generator's pose vectors to motion, the root placed
    from the feet and low-passed over ``sigma`` seconds. strength: 0..1, how much of the way
    from gain 1 to the matching gain to go. The gain is never below 1 (a model's legs are not
    calmed); the root is smoothed at least over ROOT_SIGMAS[0].
    """
    columns = layout.joint_columns(LEG_JOINTS)
    base = smooth_columns(vectors, columns, SLOW_SIGMA * fps / 30.0)[:, columns]
    band = vectors[:, columns] - base

    stance = targets.get("stance") or {}

    def take(gain, sigma):
        out = vectors.copy()
        out[:, columns] = base + gain * band
        grounded = ground(out, sigma)
        return within_stance(grounded, stance) if stance else grounded

    def figures(gain, sigma):
        return plant_feet(take(gain, sigma))

    def leg_gain(sigma):
        gain = solve_rising(lambda g: leg_activity(figures(g, sigma)), legs, 1.0, MAX_LEG_GAIN, steps=6)
        return 1.0 + strength * (gain - 1.0)

    legs, travel = targets.get("leg_activity") or 0.0, targets.get("root_travel") or 0.0
    sigma, gain = ROOT_SIGMAS[0], 1.0
    if legs > 0.0 and len(columns):
        gain = leg_gain(sigma)
    if travel > 0.0:  # travel falls as the root is smoothed longer: solve on its negative
        sigma = solve_rising(lambda s: -root_travel(figures(gain, s)), -travel, *ROOT_SIGMAS, steps=6)
        if legs > 0.0 and len(columns) and sigma > ROOT_SIGMAS[0]:
            gain = leg_gain(sigma)  # a smoother root bends the legs less: the gain once more
    return take(gain, sigma), gain, sigma
