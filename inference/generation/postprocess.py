"""Post-processing of generated motion: joint limits, jitter removal, output frame rate, feet.

- Joint limits: hinge joints (knees, elbows, finger phalanges) keep their flexion, measured as
  the signed axis-angle component about the hinge axis as in ``motion.metrics.artifacts``,
  inside a range that excludes bending backwards; other joints are limited in total angle.
- Smoothing that keeps beats sharp: each joint is blended between its own rotation and a
  lightly smoothed one by how fast it moves (speed-adaptive, like the One Euro filter but
  zero-phase): slow low-amplitude wobble is removed, fast strokes and their sudden stops are
  left alone. There is no blanket low-pass. And only where a joint wobbles more than a real
  speaker's does (:func:`wobble_levels`): real mocap's fine motion is what the filter would
  take away, and a take without it is told from a real one at once.
- Pauses: where nobody speaks the body calms down: each joint is blended toward a slowly
  moving version of itself (a wide Gaussian over time) by how deep into a pause the frame is,
  so gestures that run on through a silence settle into slow drift and pick up again with the
  next phrase. The blend is scaled by how much the take needs it: none where the take already
  settles in its pauses, in full where it runs on through them. Generators keep their own
  rhythm in speech.
- Frame rate: slerp resampling (motion.resample) to the requested rate, exact frame count.
- Feet: planted feet stay fixed, steps are whole steps (see feet.py).
"""

import logging

import numpy as np

from ...motion.container import frame_count
from ...motion.filters import gaussian_filter1d, gaussian_radius, maximum_filter1d
from ...motion.metrics.kinematics import joint_positions, joint_speed
from ...motion.resample import resample
from ...motion.rotations import (
    axis_angle_to_matrix, axis_angle_to_quat, quat_continuity, quat_lowpass, quat_normalize,
    quat_to_axis_angle,
)
from ...motion.runs import true_runs
from ...motion.skeleton import JOINT_INDEX as J, NUM_JOINTS, UPPER_BODY
from .feet import plant_feet, thighs_kept

log = logging.getLogger(__name__)

# Hinges: joint -> (axis, sign of flexion, min flexion, max flexion), radians. Slight
# hyperextension is allowed (real mocap shows up to ~0.2 rad on knees), backwards bending not.
HINGE_LIMITS = {
    J["left_knee"]: (0, 1.0, -0.2, 2.6),
    J["right_knee"]: (0, 1.0, -0.2, 2.6),
    J["left_elbow"]: (1, -1.0, -0.15, 2.7),
    J["right_elbow"]: (1, 1.0, -0.15, 2.7),
}
for _side, _sign in (("left", -1.0), ("right", 1.0)):
    for _finger in ("index", "middle", "pinky", "ring"):
        HINGE_LIMITS[J[f"{_side}_{_finger}1"]] = (2, _sign, -0.5, 2.2)
        for _k in (2, 3):
            HINGE_LIMITS[J[f"{_side}_{_finger}{_k}"]] = (2, _sign, -0.15, 1.9)

# Largest total rotation of other joints, radians (generous: real mocap stays well inside).
ANGLE_LIMITS = {
    "spine1": 1.0, "spine2": 0.8, "spine3": 0.8, "neck": 1.0, "head": 1.0,
    "left_collar": 1.0, "right_collar": 1.0, "left_wrist": 1.7, "right_wrist": 1.7,
    "left_ankle": 1.2, "right_ankle": 1.2, "left_foot": 1.0, "right_foot": 1.0,
    "left_hip": 2.5, "right_hip": 2.5, "jaw": 0.5, "left_eye_smplhf": 0.6, "right_eye_smplhf": 0.6,
}
JAW_MIN_OPEN = -0.05  # the jaw does not close past its rest
# The limits as arrays, every joint clamped at once (a take's joints in one pass each, the same
# bits as one at a time: each element is clipped or scaled on its own)
_HINGE_JOINTS = np.array(list(HINGE_LIMITS))
_HINGE_AXIS = np.array([axis for axis, _, _, _ in HINGE_LIMITS.values()])
_HINGE_SIGN, _HINGE_LO, _HINGE_HI = np.array([limit[1:] for limit in HINGE_LIMITS.values()]).T
_ANGLE_JOINTS = np.array([J[name] for name in ANGLE_LIMITS])
_ANGLE_LIMIT = np.array(list(ANGLE_LIMITS.values()))
# (55,) True for the joints limited here: limits are read off rotation vectors (angle <= pi),
# so blends of these joints keep to that side of a half turn (windows.fade_offset).
LIMITED = np.isin(np.arange(NUM_JOINTS), np.concatenate([_HINGE_JOINTS, _ANGLE_JOINTS]))

SMOOTH_SIGMA = 0.045  # seconds: the smoothed reference signal
SLOW, FAST = 0.4, 1.6  # rad/s: below SLOW fully smoothed, above FAST untouched
SPEED_SPREAD = 0.1  # seconds either side a fast movement protects from smoothing
CALM_SIGMA = 0.5  # seconds: the slow version of the motion pauses blend toward
# seconds the calm eases in after the speech stops and out before it starts again: the blend's
# rate times the motion's own acceleration is jerk it adds (at 0.3 s, where a learned backend's
# played mocap eased into a pause it jerked 1.6x as much as without the calm, and the real take
# 1.4x: the learned takes 1.27-1.28x the speaker's).
CALM_RAMP = 0.6
# The take's pause/speech speed ratio at which the calm starts and at which it is whole: a take
# already calmer in its pauses keeps them, one that runs on through them is calmed in full.
CALM_FROM, CALM_FULL = 0.4, 0.6
FACE_JOINTS = (J["jaw"], J["left_eye_smplhf"], J["right_eye_smplhf"])  # the face stage's
# The pelvis and legs, which with the root stand the body on its feet.
STANDING = tuple(J[name] for name in ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee",
                                     "left_ankle", "right_ankle", "left_foot", "right_foot"))
# A joint's wobble: what the smoothing would take off it (RMS angle to its smoothed self) over
# its mean step between frames. The real speaker's joints (BEAT2 speaker 2, 45 s; printed by
# benchmarks/bench_realism.py --levels) score up to 0.70-0.88 on the body and 0.88-1.02 on the
# fingers in each 10 s piece, the root's translation 0.12-0.22. The filter starts at NEED_FROM
# times the level, whole at NEED_FULL: a still joint with sensor noise or a generator's
# frame-to-frame tremble scores many times that.
REAL_WOBBLE = {"joints": 0.85, "root": 0.2}
# And what the smoothing takes off each joint, degrees RMS: the largest of the real speaker's
# 10 s pieces (same take), by kind of joint. A tremble spread over a joint that also moves (a
# generator's noise on a turning pelvis) passes the wobble measure and is caught here.
REAL_RESIDUAL_DEG = {
    ("pelvis", "spine1", "spine2", "spine3"): 0.26, ("neck", "head"): 0.33,
    ("left_hip", "right_hip"): 0.43, ("left_knee", "right_knee"): 0.9,
    ("left_ankle", "right_ankle"): 0.6, ("left_foot", "right_foot"): 0.5,
    ("left_collar", "right_collar"): 0.45, ("left_shoulder", "right_shoulder"): 0.61,
    ("left_elbow", "right_elbow"): 1.41, ("left_wrist", "right_wrist"): 1.69,
    ("jaw",): 0.17, ("left_eye_smplhf", "right_eye_smplhf"): 0.11,
}
FINGER_RESIDUAL_DEG = 1.8
NEED_FROM, NEED_FULL = 1.5, 2.5


def _residual_levels():
    """(55,) REAL_RESIDUAL_DEG per joint, radians (fingers FINGER_RESIDUAL_DEG)."""
    levels = np.full(NUM_JOINTS, np.radians(FINGER_RESIDUAL_DEG))
    for names, degrees in REAL_RESIDUAL_DEG.items():
        levels[[J[name] for name in names]] = np.radians(degrees)
    return levels


RESIDUAL_LEVELS = _residual_levels()


def clamp_joint_limits(motion):
    """A copy with every hinge inside its range and every joint inside its angle limit."""
    poses = motion.poses.astype(np.float64)
    hinges = poses[:, _HINGE_JOINTS, _HINGE_AXIS]  # (T, H)
    poses[:, _HINGE_JOINTS, _HINGE_AXIS] = _HINGE_SIGN * np.clip(_HINGE_SIGN * hinges, _HINGE_LO, _HINGE_HI)
    angle = np.linalg.norm(poses[:, _ANGLE_JOINTS], axis=-1)  # (T, A)
    scale = np.where(angle > _ANGLE_LIMIT, _ANGLE_LIMIT / np.maximum(angle, 1e-12), 1.0)
    poses[:, _ANGLE_JOINTS] *= scale[..., None]
    jaw = J["jaw"]
    poses[:, jaw, 0] = np.maximum(poses[:, jaw, 0], JAW_MIN_OPEN)
    return motion.replaced(poses=poses.astype(np.float32))


def smooth_jitter(motion, sigma=SMOOTH_SIGMA, slow=SLOW, fast=FAST, spare=(), need=None):
    """A copy with slow frame-to-frame wobble removed and fast movements kept sharp.

    spare : joints left exactly as they are (a generator that already matched their fine motion
    to a real speaker's, see ``postprocess``). Each joint, and the root, is filtered only as far
    as it wobbles past a real speaker (:func:`wobble_levels`), or by ``need`` in [0, 1] for
    every joint when given (a generator whose tracks tremble in ways no measure of a whole
    take sees, see ``Generator.jitter_need``).
    """
    n = motion.n_frames
    frames_sigma = sigma * motion.fps
    if n < 5 or frames_sigma < 0.3:
        return motion.copy()
    # each joint is filtered on its own: the spared ones are not worked out at all
    joints = np.setdiff1d(np.arange(NUM_JOINTS), np.asarray(list(spare), dtype=int))
    q = quat_continuity(axis_angle_to_quat(motion.poses[:, joints]), axis=0)  # (T, J, 4)
    smooth = quat_lowpass(q, frames_sigma)
    step = _rotation_steps(smooth)  # (T-1, J) rad
    speed = np.concatenate([step[:1], step], axis=0) * motion.fps
    spread = 2 * max(1, int(round(SPEED_SPREAD * motion.fps))) + 1
    speed = maximum_filter1d(speed, spread, axis=0, mode="nearest")
    joint_need = (_joint_need(_angles(q, smooth), step, RESIDUAL_LEVELS[joints]) if need is None
                  else np.full(len(joints), float(need)))
    keep = 1.0 - joint_need * (1.0 - np.clip((speed - slow) / (fast - slow), 0.0, 1.0))
    blended = quat_normalize(keep[..., None] * q + (1.0 - keep[..., None]) * smooth)
    filtered = joint_need > 0.0
    poses = np.array(motion.poses, copy=True)
    poses[:, joints[filtered]] = quat_to_axis_angle(blended[:, filtered]).astype(np.float32)
    trans = _adaptive_vector(motion.trans, motion.fps, frames_sigma, need=None if need is None else float(need))
    return motion.replaced(poses=poses, trans=trans)


def wobble_levels(motion, sigma=SMOOTH_SIGMA):
    """What the jitter filter reads of a take, per joint: ``wobble`` (55,) the RMS it would take
    off over the joint's mean step, ``residual_deg`` (55,) that RMS in degrees, ``root_wobble``
    the root's wobble; against REAL_WOBBLE and REAL_RESIDUAL_DEG they say how much of the filter
    each joint needs (``benchmarks/bench_realism.py --levels`` prints the speaker's)."""
    q = quat_continuity(axis_angle_to_quat(motion.poses), axis=0)
    smooth = quat_lowpass(q, sigma * motion.fps)
    residual, step = _angles(q, smooth), _rotation_steps(smooth)
    rms = np.sqrt(np.mean(residual ** 2, axis=0))
    trans = np.asarray(motion.trans, np.float64)
    smooth_trans = gaussian_filter1d(trans, sigma * motion.fps, axis=0, mode="nearest")
    root = np.sqrt(np.mean(np.sum((trans - smooth_trans) ** 2, axis=-1)))
    return {"wobble": rms / np.maximum(step.mean(axis=0), 1e-9), "residual_deg": np.degrees(rms),
            "root_wobble": float(root / max(np.linalg.norm(np.diff(smooth_trans, axis=0), axis=-1).mean(), 1e-9))}

def _angles(a, b):
    """(..., ) rotation angle between unit quaternions a and b, radians."""
    return 2.0 * np.arccos(np.clip(np.abs(np.sum(a * b, axis=-1)), 0.0, 1.0))


def _rotation_steps(q):
    """(T-1, J) the angle each joint turns between frames, radians."""
    return _angles(q[1:], q[:-1])


def _joint_need(residual, step, levels=RESIDUAL_LEVELS):
    """(J,) the larger of the two needs: wobble against the joint's own motion, and the
    residual against the real speaker's for that joint (``levels``, one per column)."""
    rms = np.sqrt(np.mean(residual ** 2, axis=0))
    absolute = np.clip((rms / levels - NEED_FROM) / (NEED_FULL - NEED_FROM), 0.0, 1.0)
    return np.maximum(_needed(residual, step, REAL_WOBBLE["joints"]), absolute)


def _needed(residual, step, level):
    """(J,) the filter's share per column: the RMS ``residual`` (T, J) the smoothing removes over
    the mean ``step`` (T-1, J) between frames, against ``level`` (NEED_FROM..NEED_FULL)."""
    wobble = np.sqrt(np.mean(residual ** 2, axis=0)) / np.maximum(step.mean(axis=0), 1e-9)
    return np.clip((wobble / level - NEED_FROM) / (NEED_FULL - NEED_FROM), 0.0, 1.0)


def _adaptive_vector(values, fps, frames_sigma, slow=0.05, fast=0.3, need=None):
    """Speed-adaptive smoothing of (T, D) positions in metres (slow/fast in m/s), as far as
    they wobble past a real speaker's root (REAL_WOBBLE), or by ``need`` when given."""
    values = np.asarray(values, np.float64)
    smooth = gaussian_filter1d(values, frames_sigma, axis=0, mode="nearest")
    steps = np.linalg.norm(np.diff(smooth, axis=0), axis=-1)
    if need is None:
        need = float(_needed(np.linalg.norm(values - smooth, axis=-1)[:, None], steps[:, None],
                             REAL_WOBBLE["root"])[0])
    if need <= 0.0:
        return values.astype(np.float32)
    speed = np.concatenate([steps[:1], steps]) * fps
    keep = 1.0 - need * (1.0 - np.clip((speed - slow) / (fast - slow), 0.0, 1.0))[:, None]
    return (keep * values + (1.0 - keep) * smooth).astype(np.float32)


def calm_weight(speaking, fps):
    """(T,) the calm's weight for :func:`calm_pauses` at ``fps`` from ``speaking`` (T,) bools:
    1 inside pauses, eased in and out over CALM_RAMP."""
    from ..features.activity import pause_weight

    return pause_weight(speaking, fps, ramp=CALM_RAMP)


def calm_pauses(motion, pause, sigma=CALM_SIGMA):
    """A copy that moves slowly where ``pause`` (T,) is 1 and is untouched where it is 0.

    pause : per-frame weight in [0, 1] (:func:`calm_weight` times the amount
    wanted). Body, hands and root are blended toward their Gaussian-smoothed selves (sigma in
    seconds); jaw and eyes are left to the face stage. Where the motion does not say which feet
    stand (``contacts``: mocap, matching's library legs), its pelvis, legs and root are left as
    they stand: no leg is re-solved under a calmed root there, and the root calmed alone slid
    the standing feet (matching on a 203 s lecture: the supporting foot's skate 2.2-2.4x the
    speaker's, the root's largest change of speed in a frame 6-8x his at pauses' edges).
    """
    pause = np.clip(np.asarray(pause, np.float64), 0.0, 1.0)
    if motion.n_frames < 3 or not np.any(pause > 0):
        return motion.copy()
    if len(pause) != motion.n_frames:
        raise ValueError(f"pause weights cover {len(pause)} frames, the motion has {motion.n_frames}")
    pause = pause * calm_needed(motion, pause)
    if not np.any(pause > 0):
        return motion.copy()
    frames_sigma = sigma * motion.fps
    own_feet = motion.contacts is None or motion.contacts.shape[1] != 2
    keep = list(FACE_JOINTS) + (list(STANDING) if own_feet else [])
    # Only the joints that move are filtered (each joint on its own: the same bits as all at
    # once); the pelvis always, its calmed turn is what the thighs are kept under.
    moving = [j for j in range(motion.poses.shape[1]) if j == 0 or j not in keep]
    rows = np.flatnonzero(pause > 0)  # a few percent of a take: the rest is left as it is
    turned = _calmed(motion.poses[:, moving], frames_sigma, pause)
    part = motion.poses[rows].astype(np.float64)
    part[:, moving] = turned
    poses, trans = motion.poses.copy(), motion.trans.copy()
    if own_feet:  # the pelvis calms; the thighs keep their turn in the world under it
        part[:, 0] = motion.poses[rows, 0]  # turned from where it stood
        part, moved = thighs_kept(part, axis_angle_to_matrix(turned[:, 0]))
        trans[rows] = motion.trans[rows] - moved
    else:
        slow_trans = gaussian_filter1d(motion.trans.astype(np.float64), frames_sigma, axis=0, mode="nearest")
        w = pause[rows, None]
        trans[rows] = (1.0 - w) * motion.trans[rows] + w * slow_trans[rows]
    poses[rows] = part
    return motion.replaced(poses=poses, trans=trans)


def _calmed(poses, frames_sigma, pause):
    """(R, J, 3) rotation vectors at the R frames where ``pause`` (T,) is above 0: ``poses``
    (T, J, 3) blended by it toward their low-passed selves (:func:`quat_lowpass`). Each stretch
    of pause is worked with the frames the Gaussian reaches around it, so its frames come out as
    the whole take's filter gives them (the same bits), and the speech between is not worked."""
    reach = gaussian_radius(frames_sigma)
    out = []
    for start, stop in true_runs(pause > 0):
        lo, hi = max(0, start - reach), min(len(poses), stop + reach)
        q = quat_continuity(axis_angle_to_quat(poses[lo:hi]), axis=0)
        slow = quat_lowpass(q, frames_sigma)[start - lo:stop - lo]
        w = pause[start:stop, None, None]
        out.append(quat_to_axis_angle(quat_normalize((1.0 - w) * q[start - lo:stop - lo] + w * slow)))
    return np.concatenate(out)


def calm_needed(motion, pause, start=CALM_FROM, full=CALM_FULL):
    """How much of the calm the take needs, in [0, 1], from its own pause/speech speed ratio.

    The ratio is the upper body's mean speed (m/s) on steps deep in a pause (``pause`` (T,) at
    least half its peak) over that on steps in speech (``pause`` 0). Below ``start`` the take
    already settles in its pauses (e.g. a generator with its own pause stage) and is left as it
    is; from ``full`` on it gets the whole calm; linear between. 1 when either part is missing.
    """
    deep = pause >= 0.5 * pause.max()
    speech = pause <= 0
    deep_step, speech_step = deep[1:] & deep[:-1], speech[1:] & speech[:-1]
    if not deep_step.any() or not speech_step.any():
        return 1.0
    speed = joint_speed(joint_positions(motion, UPPER_BODY), motion.fps).mean(axis=1)
    ratio = speed[deep_step].mean() / max(speed[speech_step].mean(), 1e-9)
    return float(np.clip((ratio - start) / max(full - start, 1e-9), 0.0, 1.0))


def postprocess(motion, fps=None, limits=True, smooth=True, feet=True, n_frames=None, pause=None,
                spare=(), smooth_need=None):
    """The full post-processing chain; returns a new Motion at ``fps`` (default: unchanged).

    spare : joints the jitter filter leaves alone (the generator's ``jitter_spared``).

    smooth_need : the jitter filter's share for every joint (the generator's ``jitter_need``);
    None measures each joint against a real speaker's (:func:`wobble_levels`).

    pause : (T,) weights at the motion's own frame rate for :func:`calm_pauses`, or None.

    n_frames : the exact frame count wanted at ``fps`` (default frame_count(duration, fps)); the
    last frame is repeated or dropped to match when rounding differs by a frame.
    """
    out = motion
    if limits:
        out = clamp_joint_limits(out)
    if smooth:
        out = smooth_jitter(out, spare=spare, need=smooth_need)
    if pause is not None:
        out = calm_pauses(out, pause)
    if fps is not None and float(fps) != out.fps:
        out = resample(out, fps)
    if feet:
        out = plant_feet(out)
        if limits:
            out = clamp_joint_limits(out)
    if n_frames is None and fps is not None:
        n_frames = frame_count(motion.duration, fps)
    if n_frames is not None and out.n_frames != n_frames:
        out = _fit_length(out, int(n_frames))
    return out


def _fit_length(motion, n):
    if motion.n_frames > n:
        return motion[:n]
    idx = np.minimum(np.arange(n), motion.n_frames - 1)
    return motion[idx]
