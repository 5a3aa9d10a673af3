"""How close a captured take is to the motion that was filmed: angles a viewer reads a gesture
by (elbow flexion, shoulder elevation, the shoulder girdle's lift, the head's pitch and yaw,
the hands and fingers), how the trunk and legs stand (the chest's turn against the hips, knee
angles and where the knees face, the ankles' spread, the feet's pitch against the floor), which
wrist is higher, the mouth, and jumps.

Both takes go through the same skeleton, so the figures compare poses, not body sizes.
"""

import numpy as np

from ..mouth import mouth_opening
from ..rotations import geodesic_distance
from ..skeleton import HANDS, JOINT_INDEX as J, WRISTS, neutral_skeleton

SIDES = ("left", "right")
WRIST_MARGIN = 0.05  # m: frames where the true wrists differ in height by more than this


def _unit(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.sum(_unit(a) * _unit(b), axis=-1), -1.0, 1.0)))


def arm_angles(motion, skeleton=None):
    """Elbow flexion and shoulder elevation in degrees, each {side: (T,)}.

    Elbow flexion: 0 for a straight arm. Shoulder elevation: the upper arm against the trunk's
    down axis (from the middle of the shoulders to the middle of the hips, what a camera sees
    of the trunk): 0 hanging, 90 level with the shoulder.
    """
    return _arm_angles(_posed(motion, skeleton)[1])


def _posed(motion, skeleton=None):
    """(T, 55, 3, 3) global rotations and (T, 55, 3) positions of ``motion``'s poses, the root
    held still: what every figure here reads, worked out once per take."""
    return (skeleton or neutral_skeleton()).forward_kinematics(motion.poses)


def _arm_angles(pos):
    down = (pos[:, J["left_hip"]] + pos[:, J["right_hip"]]
            - pos[:, J["left_shoulder"]] - pos[:, J["right_shoulder"]])
    elbow, elevation = {}, {}
    for side in SIDES:
        upper = pos[:, J[f"{side}_elbow"]] - pos[:, J[f"{side}_shoulder"]]
        lower = pos[:, J[f"{side}_wrist"]] - pos[:, J[f"{side}_elbow"]]
        elbow[side] = _angle(upper, lower)
        elevation[side] = _angle(upper, down)
    return elbow, elevation


def girdle_elevation(motion, skeleton=None):
    """The shoulder girdle's lift in degrees, {side: (T,)}: the line from the top of the spine
    (spine3) to the shoulder joint against the plane square to the trunk (pelvis to spine3);
    it rises in a shrug and with an arm raised high."""
    return _girdle_elevation(_posed(motion, skeleton)[1])


def _girdle_elevation(pos):
    up = _unit(pos[:, J["spine3"]] - pos[:, J["pelvis"]])
    out = {}
    for side in SIDES:
        girdle = _unit(pos[:, J[f"{side}_shoulder"]] - pos[:, J["spine3"]])
        out[side] = np.degrees(np.arcsin(np.clip(np.sum(girdle * up, axis=-1), -1.0, 1.0)))
    return out


def _foot_pitch(pos):
    """{side: (T,) degrees the ankle-to-foot joint line points below the floor's plane} (y up;
    a flat sole on the built-in skeleton reads 24)."""
    out = {}
    for side in SIDES:
        v = pos[:, J[f"{side}_foot"]] - pos[:, J[f"{side}_ankle"]]
        out[side] = np.degrees(np.arctan2(-v[:, 1], np.hypot(v[:, 0], v[:, 2])))
    return out


def _legs(pos):
    """((2, T) knee angles in degrees, thigh against shin; (T,) ankles' spread in metres)."""
    knees = [_angle(pos[:, J[f"{side}_knee"]] - pos[:, J[f"{side}_hip"]],
                    pos[:, J[f"{side}_ankle"]] - pos[:, J[f"{side}_knee"]]) for side in SIDES]
    spread = np.linalg.norm(pos[:, J["left_ankle"]] - pos[:, J["right_ankle"]], axis=-1)
    return np.stack(knees), spread


def _knee_aims(rot):
    """(2, T) degrees between each knee's hinge and the hips' line: where the knee faces
    (a few degrees out in a relaxed stance, 90 facing sideways)."""
    across = rot[:, J["pelvis"]][..., 0]
    return np.stack([_angle(rot[:, J[f"{side}_knee"]][..., 0], across) for side in SIDES])


def _local_errors(cap, tru, joints):
    """(T, len(joints)) degrees between the captured and the true local rotations (a wrist's:
    the hand on its forearm)."""
    return np.degrees(geodesic_distance(cap.poses[:, joints].astype(np.float64),
                                        tru.poses[:, joints].astype(np.float64)))


def _trunk_twist(rot):
    """(T,) degrees the chest (spine3) is turned against the hips about the trunk, to its left
    positive."""
    forward = (np.swapaxes(rot[:, J["pelvis"]], -1, -2) @ rot[:, J["spine3"]])[..., 2]
    return np.degrees(np.arctan2(forward[:, 0], forward[:, 2]))


def head_angles(motion, skeleton=None):
    """The head's pitch (down positive) and yaw (to its left positive) against the chest
    (spine3) in degrees, each (T,): where the face points, whatever the trunk does."""
    return _head_angles(_posed(motion, skeleton)[0])


def _head_angles(rot):
    relative = np.swapaxes(rot[:, J["spine3"]], -1, -2) @ rot[:, J["head"]]
    forward = relative[..., 2]  # the head's z axis (SMPL-X: forward) in the chest's frame
    pitch = np.degrees(np.arctan2(-forward[:, 1], forward[:, 2]))
    yaw = np.degrees(np.arctan2(forward[:, 0], forward[:, 2]))
    return pitch, yaw


def _correlation(a, b):
    """Pearson correlation of two series; 0 when either does not move."""
    if np.std(a) < 1e-9 or np.std(b) < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def largest_jump(motion, skeleton=None):
    """The largest distance (m) any joint of the body and hands moves in one frame, with the
    body's root held still (pose changes only)."""
    return _largest_jump(_posed(motion, skeleton)[1])


def _largest_jump(pos):
    step = np.linalg.norm(np.diff(pos, axis=0), axis=-1)
    return float(step.max()) if step.size else 0.0


def compare_capture(captured, truth):
    """Figures of a captured take against the true take it was filmed from (same frames).

    Returns a dict: median absolute errors in degrees (elbow flexion, shoulder elevation, the
    shoulder girdle's lift (:func:`girdle_elevation`), each per side and overall; the head's
    pitch and yaw, :func:`head_angles`; how far the chest is turned against the hips; the hand
    against the forearm (both wrists) and the fingers' joints (the median of each joint's); the
    knees' angle, where they face (their hinge against the hips' line) and the feet's pitch
    against the floor, both sides; the ankles' spread in centimetres) and how well each angle
    follows the truth over time (correlation, per side and the mean of the sides: a pose held
    still scores 0 however close it is), the share of frames whose higher wrist is the true one
    (where the truth's wrists differ by more than WRIST_MARGIN), the correlation of the mouth openings
    (jaw and expressions, :func:`~talkrig.motion.mouth.mouth_opening`), and the largest
    one-frame jumps of both takes.
    """
    n = min(captured.n_frames, truth.n_frames)
    cap, tru = captured[:n], truth[:n]
    (r_cap, p_cap), (r_tru, p_tru) = _posed(cap), _posed(tru)
    e_cap, s_cap = _arm_angles(p_cap)
    e_tru, s_tru = _arm_angles(p_tru)
    out = {}
    for side in SIDES:
        out[f"elbow_{side}_deg"] = float(np.median(np.abs(e_cap[side] - e_tru[side])))
        out[f"shoulder_{side}_deg"] = float(np.median(np.abs(s_cap[side] - s_tru[side])))
    g_cap, g_tru = _girdle_elevation(p_cap), _girdle_elevation(p_tru)
    for side in SIDES:
        out[f"girdle_{side}_deg"] = float(np.median(np.abs(g_cap[side] - g_tru[side])))
    for name, cap_a, tru_a in (("elbow", e_cap, e_tru), ("shoulder", s_cap, s_tru), ("girdle", g_cap, g_tru)):
        for side in SIDES:
            out[f"{name}_{side}_correlation"] = _correlation(cap_a[side], tru_a[side])
        out[f"{name}_correlation"] = float(np.mean([out[f"{name}_{s}_correlation"] for s in SIDES]))
    for name, cap_a, tru_a in zip(("head_pitch", "head_yaw"), _head_angles(r_cap), _head_angles(r_tru)):
        out[f"{name}_deg"] = float(np.median(np.abs(cap_a - tru_a)))
        out[f"{name}_correlation"] = _correlation(cap_a, tru_a)
    (k_cap, a_cap), (k_tru, a_tru) = _legs(p_cap), _legs(p_tru)
    out["knee_deg"] = float(np.median(np.abs(k_cap - k_tru)))
    out["ankle_spread_cm"] = 100 * float(np.median(np.abs(a_cap - a_tru)))
    out["knee_aim_deg"] = float(np.median(np.abs(_knee_aims(r_cap) - _knee_aims(r_tru))))
    out["trunk_twist_deg"] = float(np.median(np.abs(_trunk_twist(r_cap) - _trunk_twist(r_tru))))
    out["wrist_deg"] = float(np.median(_local_errors(cap, tru, WRISTS)))
    # each finger joint's median error, then their median: no one finger outweighs the rest
    out["fingers_deg"] = float(np.median(np.median(_local_errors(cap, tru, HANDS), axis=0)))
    f_cap, f_tru = _foot_pitch(p_cap), _foot_pitch(p_tru)
    out["foot_pitch_deg"] = float(np.median(np.abs(np.concatenate(
        [f_cap[s] - f_tru[s] for s in SIDES]))))
    out["elbow_deg"] = float(np.median(np.abs(np.concatenate(
        [e_cap[s] - e_tru[s] for s in SIDES]))))
    out["shoulder_deg"] = float(np.median(np.abs(np.concatenate(
        [s_cap[s] - s_tru[s] for s in SIDES]))))
    d_cap = p_cap[:, J["left_wrist"], 1] - p_cap[:, J["right_wrist"], 1]
    d_tru = p_tru[:, J["left_wrist"], 1] - p_tru[:, J["right_wrist"], 1]
    clear = np.abs(d_tru) > WRIST_MARGIN
    out["wrist_order"] = float(np.mean(np.sign(d_cap[clear]) == np.sign(d_tru[clear]))) \
        if np.any(clear) else float("nan")
    out["wrist_order_frames"] = int(clear.sum())
    out["jaw_correlation"] = _correlation(mouth_opening(cap), mouth_opening(tru))
    out["largest_jump_m"] = _largest_jump(p_cap)
    out["truth_largest_jump_m"] = _largest_jump(p_tru)
    return out
