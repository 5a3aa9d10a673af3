"""Undo a trained model's regression to the mean: scale its gestures up to the training
speaker's pace.

Trained on a minute of speech, a regressor hedges on audio it has never heard: its arms stay
near the mean pose and move at a third to a half of the speaker's speed, although it meets the
speaker's speed on its training windows. Each body part (``GROUPS``: the trunk; per side the
upper arm, the forearm and the hand) has its output split into three bands: posture (slower
than ``SLOW_SIGMA``, 0.5 s), gestures, and fine motion (faster than ``FINE_SIGMA``, 1.5 frames).
One gain per take scales the gestures so that the part's watched joints move, over the frames
of speech, as fast as the training speaker's with his fine motion removed; a second gain then
brings the fine motion to his level, measured by jerk, which fine motion dominates (at most
``MAX_FINE_GAIN``: doubled, so a model's jitter is never blown up; a model's jitter jerkier
than his is toned down). Both targets are stored in the model at training time as
``speech_pace`` (over the training frames of speech: how fast the head, each elbow, each wrist
and each hand move, and how jerky their fine motion is). Posture and legs are kept.

Speeds are of joint positions: twists that do not move a limb are not what the eye reads. The
trunk and upper arms are matched on the movement the eye sees (head, elbows; root-relative),
the forearm and the hand on their own bend, with the joints above them held still: otherwise a
model that swings the whole arm from the shoulder reaches the speaker's wrist speed with a stiff
elbow and a still hand (half the speaker's elbow and wrist rotation). The forearm's fine motion,
though, is matched on the wrist's jerk with the upper arm moving: the speaker's shoulder and
elbow work together and their jerks partly cancel at the wrist, a model's add up (matched one
by one, its wrists came out twice as jerky as his). The trunk's gain scales the pelvis too (a
model may sway from the hips alone). An arm part still jerkier than his with its fine motion
removed has a 2-4 Hz tremble in its gestures: its gesture band is narrowed a step at a time
(``ARM_EDGES``, up to 4.5 frames) until its jerk can come down to his. Gestures are never
slowed down and their gain never exceeds ``MAX_GAIN`` (6x; a model's hands, which it hedges
most, need about 4-5x on new speech; the cap stops a part it keeps still from being blown up).
The pipeline's jitter filter spares the spine, neck and head of a livened take
(``FILTER_SPARED``), whose fine motion is already the speaker's. The gains are the same over
the whole take; pauses are lifted on their own (below). numpy only.

Why pauses are lifted (:func:`lift_pauses`): in pauses a model hears silence and falls far
stiller than the speaker, who kept moving through his short pauses (on the training half his
trunk at 0.5 of its speed in speech, his left arm at 0.4, his right arm at 0.8-1.2): each
part's gestures in pauses are scaled up (never down, at most 6x, fading in and out over about
0.1 s) until the part moves there at his share of its own speed in speech, but at most 0.75 of
it (``speech_pace`` stores the share as ``PART pause``), so a pause stays calmer than speech
and the pipeline's ``calm`` settles the body deep into a long pause where the take still runs
on through it.
"""

import numpy as np

from ...motion.filters import gaussian_filter1d, maximum_filter1d
from ...motion.metrics.kinematics import jerk, joint_positions, joint_speed
from ...motion.skeleton import JOINT_INDEX, LEFT_HAND, RIGHT_HAND, with_ancestors
from .layout import vectors_to_motion
from .smoothing import smooth_columns
from .speedwarp import speed_contrast

SLOW_SIGMA = 15.0  # frames at 30 fps: what is slower than this is posture, kept as it is
FINE_SIGMA = 1.5  # frames at 30 fps: what is faster than this is fine motion
# frames at 30 fps: the gesture band's upper edge of an arm part, moved down one step at a time
# while the part stays jerkier than the speaker's with its fine motion removed
ARM_EDGES = (FINE_SIGMA, 2.25, 3.0, 4.5)
MAX_GAIN = 6.0
MAX_FINE_GAIN = 2.0
JERK = " jerk"  # suffix of the fine-motion targets in ``speech_pace``
PAUSE = " pause"  # suffix of the targets in pauses: the part's speed there / its speed in speech
# A pause moves at most this share of the speech's speed, however lively the speaker's were
# (his arms kept their full speed through pauses of half a second): pauses stay calmer.
MAX_PAUSE_RATIO = 0.75
PAUSE_RAMP = 3.0  # frames at 30 fps: the pause gain fades in and out over about this sigma


def _side(side, hand):
    """The upper arm, forearm and hand groups of one side ("left"/"right")."""
    j = {name: JOINT_INDEX[f"{side}_{name}"] for name in ("collar", "shoulder", "elbow", "wrist",
                                                         "middle1")}
    trunk = (0, 3, 6, 9)
    above_hand = trunk + (j["collar"], j["shoulder"], j["elbow"])
    return (
        (f"{side} upper arm", (j["collar"], j["shoulder"]), (j["elbow"],), (), ()),
        (f"{side} forearm", (j["elbow"],), (j["wrist"],), trunk + (j["collar"], j["shoulder"]), trunk),
        (f"{side} hand", (j["wrist"],) + tuple(hand.tolist()), (j["middle1"],), above_hand, above_hand),
    )


# (name, joints whose rotations are scaled, joints whose speed is matched, joints held still
# while measuring their speed, joints held still while measuring their jerk); parents before
# children, as a part carries the parts below it. The trunk includes the pelvis: a model may
# sway its upper body from the hips alone, and its spine then moves only through the pelvis.
GROUPS = (("trunk", (0, 3, 6, 9, 12, 15), (12, 15), (), ()),) + _side("left", LEFT_HAND) \
    + _side("right", RIGHT_HAND)
ARMS = tuple(group[0] for group in GROUPS if group[0].endswith("arm"))
# The spine, neck and head turn slower than the pipeline's jitter filter keeps
# (``inference.generation.postprocess.smooth_jitter``), so it would take out the fine motion matched here:
# a livened take asks the pipeline to spare them (``NeuralGenerator.jitter_spared``). Not the
# pelvis: spared too, it left dr2's whole take jerkier than the speaker's (1.19-1.39).
FILTER_SPARED = (3, 6, 9, 12, 15)


def group_pace(vectors, layout, speaking, group, fps=30.0, order=1):
    """Mean speed (m/s; ``order`` 3: jerk, m/s^3) of ``group``'s watched joints over the frames
    of speech (0 without), with the group's joints for that measure held still."""
    _, _, watched, still_for_speed, still_for_jerk = group
    still = still_for_speed if order == 1 else still_for_jerk
    speaking = np.asarray(speaking, bool)
    if len(speaking) <= order:
        return 0.0
    inside = np.all([speaking[k:len(speaking) - order + k] for k in range(order + 1)], axis=0)
    if not inside.any():
        return 0.0
    needed = np.setdiff1d(with_ancestors(watched), still)
    motion = vectors_to_motion(vectors, layout, fps, only=needed)
    positions = joint_positions(motion, list(watched))
    if order == 1:
        return float(joint_speed(positions, fps)[inside].mean())
    return float(np.linalg.norm(jerk(positions, fps), axis=-1)[inside].mean())


def speech_pace(vectors, layout, speaking, fps=30.0):
    """{group: speed with the fine motion removed (m/s), group + JERK: jerk with it (m/s^3)}
    over the frames of speech, group + PAUSE: that speed in pauses over the one in speech (only
    with pauses): what :func:`liven` scales a take to; and the elbows' and wrists' speed
    contrast (:func:`.speedwarp.speed_contrast`), what the arms are re-timed to. Empty without
    speech.

    vectors : (T, D) pose vectors of ``layout``; speaking : (T,) bool.
    """
    if not np.asarray(speaking, bool).any():
        return {}
    out = {}
    for group in GROUPS:
        smooth = smooth_columns(vectors, layout.joint_columns(group[1]), FINE_SIGMA * fps / 30.0)
        out[group[0]] = group_pace(smooth, layout, speaking, group, fps)
        out[group[0] + JERK] = group_pace(vectors, layout, speaking, group, fps, order=3)
        in_pauses = group_pace(smooth, layout, ~np.asarray(speaking, bool), group, fps)
        if in_pauses > 0.0 and out[group[0]] > 0.0:
            out[group[0] + PAUSE] = in_pauses / out[group[0]]
    out.update(speed_contrast(vectors, layout, speaking, fps))
    return out


def _matching_gain(pace_at, target, low, high):
    """Gain g in [low, high] with pace_at(g) ~ target (speed and jerk are close to linear in
    the gain); None when they do not grow with it."""
    now = pace_at(1.0)
    per_gain = pace_at(2.0) - now
    if now <= 0.0 or per_gain <= 1e-9:
        return None
    return float(np.clip(1.0 + (target - now) / per_gain, low, high))


def _matched(out, columns, base, edge, group, target, fine_target, layout, speaking, fps, strength):
    """(moved(gain, fine gain) -> vectors, gesture gain, fine gain or None) of one group with its
    gesture band's upper edge at ``edge`` frames: the gesture gain matched on speed, then the
    fine gain on jerk (0: the part is jerkier than the speaker's even without its fine motion)."""
    smooth = smooth_columns(out, columns, edge)[:, columns]
    band, fine = smooth - base, out[:, columns] - smooth

    def moved(gain, fine_gain):
        result = out.copy()
        result[:, columns] = base + gain * band + fine_gain * fine
        return result

    def pace(gain, fine_gain, order=1):
        return group_pace(moved(gain, fine_gain), layout, speaking, group, fps, order)

    gain = _matching_gain(lambda g: pace(g, 0.0), target, 1.0, MAX_GAIN) or 1.0
    gain = 1.0 + strength * (gain - 1.0)
    return moved, gain, _matching_gain(lambda f: pace(gain, f, 3), fine_target, 0.0, MAX_FINE_GAIN)


def liven(vectors, layout, speaking, targets, fps=30.0, strength=1.0, fine=True):
    """(T, D) pose vectors with each group's gestures and fine motion scaled toward its
    ``targets`` pace, then its gestures in pauses toward its pause target (:func:`lift_pauses`),
    and {group: gesture gain, group + JERK: fine-motion gain, group + PAUSE: pause gain} (1.0:
    unchanged).

    targets : speech_pace of the training takes (groups without a target are left alone).
    strength : 0..1, how much of the way from gain 1 to the matching gains to go.
    fine : False keeps the fine motion as it is (gain 1), for a take whose fast bands were
    already brought to the speaker's (ldm's spectrum match): matched on jerk again, they would
    be raised past his acceleration.
    """
    out = np.array(vectors, np.float32, copy=True)
    gains = {}
    for name, *_ in GROUPS:
        gains[name] = gains[name + JERK] = gains[name + PAUSE] = 1.0
    if strength <= 0.0 or not np.asarray(speaking, bool).any():
        return out, gains
    scale = fps / 30.0
    for group in GROUPS:
        name, columns = group[0], layout.joint_columns(group[1])
        target, fine_target = float(targets.get(name) or 0.0), float(targets.get(name + JERK) or 0.0)
        if target <= 0.0 or fine_target <= 0.0 or len(columns) == 0:
            continue
        base = smooth_columns(out, columns, SLOW_SIGMA * scale)[:, columns]
        for edge in ARM_EDGES if name in ARMS else (FINE_SIGMA,):
            moved, gain, fine_gain = _matched(out, columns, base, edge * scale, group, target,
                                              fine_target, layout, speaking, fps, strength)
            if fine_gain is None or fine_gain > 0.0:
                break
        fine_gain = 1.0 if fine_gain is None or not fine else 1.0 + strength * (fine_gain - 1.0)
        gains[name], gains[name + JERK] = gain, fine_gain
        if gain != 1.0 or fine_gain != 1.0:
            out = moved(gain, fine_gain)
    out, pause_gains = lift_pauses(out, layout, speaking, targets, fps, strength)
    gains.update(pause_gains)
    return out, gains


def lift_pauses(vectors, layout, speaking, targets, fps=30.0, strength=1.0):
    """(T, D) pose vectors with each group's gestures in pauses scaled up until the group moves
    there at its ``targets`` PAUSE share (at most MAX_PAUSE_RATIO) of its own speed in speech,
    and {group + PAUSE: gain} (1.0: unchanged; groups without a target, takes without pauses).

    The gain fades in and out around each pause (PAUSE_RAMP), so no pose jumps where it starts.
    """
    out = np.array(vectors, np.float32, copy=True)
    speaking = np.asarray(speaking, bool)
    gains = {name + PAUSE: 1.0 for name, *_ in GROUPS}
    if strength <= 0.0 or speaking.all() or not speaking.any():
        return out, gains
    scale = fps / 30.0
    weight = gaussian_filter1d((~speaking).astype(np.float64), PAUSE_RAMP * scale, mode="nearest")
    # pause frames and the frames either side: a step across two of these runs joins a frame of
    # speech, so the pause pace is measured on them alone, at a fraction of the cost
    rows = np.flatnonzero(maximum_filter1d(~speaking, 3, mode="constant"))
    for group in GROUPS:
        name, columns = group[0], layout.joint_columns(group[1])
        ratio = min(float(targets.get(name + PAUSE) or 0.0), MAX_PAUSE_RATIO)
        if ratio <= 0.0 or len(columns) == 0:
            continue
        smooth = smooth_columns(out, columns, FINE_SIGMA * scale)
        band = smooth[:, columns] - smooth_columns(out, columns, SLOW_SIGMA * scale)[:, columns]
        in_speech = group_pace(smooth, layout, speaking, group, fps)

        def lifted(gain, source=out):
            result = source.copy()
            result[:, columns] += ((gain - 1.0) * weight)[:, None] * band
            return result

        gain = _matching_gain(lambda g: group_pace(lifted(g, smooth)[rows], layout, ~speaking[rows], group, fps),
                              ratio * in_speech, 1.0, MAX_GAIN)
        if gain is None or in_speech <= 0.0:
            continue
        gains[name + PAUSE] = gain = 1.0 + strength * (gain - 1.0)
        if gain != 1.0:
            out = lifted(gain)
    return out, gains
