"""Motion from the procedural plan for a range of frames: layers of joint rotations, root, face.

Layers, composed per joint as ``q = offset * base`` (offsets in the parent's frame):
arms from the gesture plan (base), beat strokes (elbow, shoulder, wrist, fingers), head
(nods on beats, pitch follows the voice, gaze and tilt), torso turn and lean, breathing, weight
shifts (pelvis, spine, knees, root), a slow sway and pairs of small steps (the root moves, the
stepping foot's contact is lifted), and band-limited idle noise that grows in pauses so the
body is never frozen. The finished arms are carried into the real speaker's gesture space
(posture.py), then fine motion is added where it moves no other joint. The jaw opens with speech energy; a few expression coefficients follow it.
"""

from dataclasses import dataclass

import numpy as np

from ....inference.features.activity import moving_average
from ....inference.generation.postprocess import clamp_joint_limits
from ....inference.generation.speech_mouth import jaw_angle, mouth_opening
from ....motion import Motion
from ....motion import fineturn
from ....motion.mouth import mouth_direction
from ....motion.rotations import (
    axis_angle_to_quat, quat_angle, quat_conjugate, quat_multiply, quat_to_axis_angle,
)
from ....motion.skeleton import JOINT_INDEX, JOINT_NAMES
from . import joints as J
from . import poses as P
from .body_layer import make_layer
from .posture import to_gesture_space
from .tracks import SmoothNoise, beat_loop, beat_pulse, dip

N_EXPRESSIONS = 100  # BEAT2 layout
CHEST_STEADYING = (0.3, 0.2)  # share of the pelvis' rotation spine2 and spine3 undo
COLLAR_SHARE = 0.38  # of the upper arm's turn the collarbone takes (real mocap: about 0.6 of its speed)
MAX_ELBOW = 2.2  # radians: an elbow bends no further (about 125 degrees; the real speaker: 2.4 at most)
REST_DRIFT = 0.3  # share of the gesture-space wandering a hanging arm keeps
STANCE_SHIFT = 0.06  # m the pelvis moves sideways over the loaded foot
STANCE_DIP = 0.015  # m it sinks there
SWAY = 0.02  # m: the body's slow sway over its feet (RMS per horizontal axis)
SWAY_BAND = (0.1, 0.5)  # Hz
DRIFT_BAND = (0.3, 0.9)  # Hz: the gesturing arms' wandering (up to 1 Hz, the upper body jerked 1.27x his)
PAIRED = 0.85  # share of the right arm's wandering and idle noise that mirrors the left's
N_BETAS = 300
SWELL_BAND = (0.05, 0.2)  # Hz
SWELL_DEPTH = 0.4  # spread of the idle noise's envelope (log-normal sigma)
# s: the idle hands' liveliness eases between speech and pause over this long. Switched with the
# voice from one frame to the next, their noise jumped at every pause's edge (a shoulder or elbow
# turned 0.09-0.12 rad in that frame): the wrists' jerk 2.0x the speaker's; eased, 1.7x.
PAUSE_EASE = 0.6

# Idle noise channels: (joint, axis, radians RMS, group) — group "arm" grows in pauses; body and
# head channels swell and calm slowly (SWELL_*), with about the real speaker's spread of speeds.
# The head's own nod and turn are his first half's size (at 0.04 and 0.06 rad its pitch spread
# within a 2 s window 0.045 rad against his 0.031, and alone told the trunk from his, AUC 0.87).
_NOISE = [
    (J.PELVIS, 0, 0.045, "body"), (J.PELVIS, 1, 0.117, "body"), (J.PELVIS, 2, 0.036, "body"),
    (J.SPINE1, 0, 0.022, "body"), (J.SPINE1, 1, 0.027, "body"), (J.SPINE1, 2, 0.018, "body"),
    (J.SPINE2, 0, 0.014, "body"), (J.SPINE2, 1, 0.018, "body"), (J.SPINE2, 2, 0.011, "body"),
    (J.SPINE3, 0, 0.011, "body"), (J.SPINE3, 1, 0.014, "body"), (J.SPINE3, 2, 0.009, "body"),
    (J.NECK, 0, 0.03, "head"), (J.NECK, 1, 0.045, "head"), (J.NECK, 2, 0.02, "head"),
    (J.HEAD, 0, 0.02, "head"), (J.HEAD, 1, 0.042, "head"), (J.HEAD, 2, 0.03, "head"),
]
# Gesturing arms wander in gesture space (faster band, scaled by how far the arm is raised).
# The wrists' share of both is 0.6 of the arm's other joints' (at the same share their turn
# within a 2 s window spread 1.6x his and told the arms from his, AUC 0.83).
_DRIFT = []
for _side in (0, 1):
    _NOISE += [
        (J.L_COLLAR + _side, 1, 0.012, "arm"), (J.L_COLLAR + _side, 2, 0.012, "arm"),
        (J.L_SHOULDER + _side, 0, 0.03, "arm"), (J.L_SHOULDER + _side, 1, 0.035, "arm"),
        (J.L_SHOULDER + _side, 2, 0.035, "arm"),
        (J.L_ELBOW + _side, 0, 0.04, "arm"), (J.L_ELBOW + _side, 1, 0.05, "arm"),
        (J.L_WRIST + _side, 0, 0.036, "arm"), (J.L_WRIST + _side, 1, 0.03, "arm"),
        (J.L_WRIST + _side, 2, 0.042, "arm"),
    ]
    _DRIFT += [
        (J.L_SHOULDER + _side, 0, 0.10), (J.L_SHOULDER + _side, 1, 0.13),
        (J.L_SHOULDER + _side, 2, 0.13), (J.L_ELBOW + _side, 0, 0.15),
        (J.L_ELBOW + _side, 1, 0.18), (J.L_WRIST + _side, 0, 0.084),
        (J.L_WRIST + _side, 1, 0.048), (J.L_WRIST + _side, 2, 0.096),
    ]
    _base = 25 if _side == 0 else 40
    for _finger in range(5):
        for _k, _amp in ((0, 0.07), (1, 0.06)):
            _NOISE.append((_base + 3 * _finger + _k, 2, _amp, "arm"))
_DRIFT_JOINTS = np.array([c[0] for c in _DRIFT])
_DRIFT_AXES = np.array([c[1] for c in _DRIFT])
_DRIFT_AMPS = 2.2 * np.array([c[2] for c in _DRIFT])
_DRIFT_SIDE = np.array([0 if c[0] in (J.L_SHOULDER, J.L_ELBOW, J.L_WRIST) else 1 for c in _DRIFT])
_NOISE_JOINTS = np.array([c[0] for c in _NOISE])
_NOISE_AXES = np.array([c[1] for c in _NOISE])
_NOISE_AMPS = np.array([c[2] for c in _NOISE])
_NOISE_GROUPS = np.array([c[3] for c in _NOISE])


def _side_pairs(channels):
    """(left index, right index, mirror sign) of every left channel whose right twin exists."""
    index = {(joint, axis): k for k, (joint, axis, *_) in enumerate(channels)}
    twin = {JOINT_INDEX[name]: JOINT_INDEX[name.replace("left_", "right_")]
            for name in JOINT_NAMES if name.startswith("left_")}
    return np.array([(k, index[(twin[joint], axis)], 1.0 if axis == 0 else -1.0)  # mirror: (x, -y, -z)
                     for (joint, axis), k in index.items() if (twin.get(joint), axis) in index])


_DRIFT_PAIRS = _side_pairs(_DRIFT)
_NOISE_PAIRS = _side_pairs(_NOISE)


def paired(samples, pairs, share=None):
    """(n, C) noise ``samples`` whose right-arm channels move with their left twins (mirrored:
    the same turn about x, the opposite about y and z) by ``share`` of their power (PAIRED),
    each channel's RMS kept: a speaker's hands mostly move as a pair (his wrists' speeds
    correlate 0.6 over 2 s windows; independent noise per side gave 0.1)."""
    share = PAIRED if share is None else share
    out = np.array(samples, copy=True)
    left, right, sign = pairs[:, 0].astype(int), pairs[:, 1].astype(int), pairs[:, 2]
    out[:, right] = np.sqrt(1.0 - share) * samples[:, right] + np.sqrt(share) * sign * samples[:, left]
    return out


@dataclass
class Context:
    """Everything rendering needs, built once per request."""

    fps: float
    plan: object  # plan.Plan
    prosody: object  # prosody.Prosody
    noise: SmoothNoise
    drift: SmoothNoise
    swell: SmoothNoise  # slow envelopes of the idle noise: calm spells and livelier ones
    sway: SmoothNoise  # (2,) the body's slow sway over its feet
    fine: SmoothNoise  # fine motion of the head, wrists and the arms' twists
    base: np.ndarray  # (55, 4) quats of the standing pose
    idle: float
    expressions: bool
    speaking: np.ndarray  # (T,) 0..1: the voice's presence eased over PAUSE_EASE
    gesture_space: float = 1.0  # how far the arms are carried into the speaker's gesture space
    body: object = None  # body_layer.BodyLayer: the speaker's body under the authored motion


def make_context(fps, plan, prosody, rng, options):
    return Context(
        fps=fps,
        plan=plan,
        prosody=prosody,
        noise=SmoothNoise(rng, len(_NOISE), low=0.1, high=0.8),
        drift=SmoothNoise(rng, len(_DRIFT), low=DRIFT_BAND[0], high=DRIFT_BAND[1]),
        swell=SmoothNoise(rng, 2, low=SWELL_BAND[0], high=SWELL_BAND[1]),
        sway=SmoothNoise(rng, 2, low=SWAY_BAND[0], high=SWAY_BAND[1]),
        fine=SmoothNoise(rng, len(fineturn.CHANNELS), low=fineturn.BAND[0], high=fineturn.BAND[1]),
        base=axis_angle_to_quat(P.standing_pose()),
        idle=float(options.get("idle", 1.0)),
        speaking=moving_average(prosody.speech.astype(np.float64), round(PAUSE_EASE * fps)),
        expressions=bool(options.get("expressions", True)),
        gesture_space=float(options.get("gesture_space", 1.0)),
        body=make_layer(rng, float(options.get("body_layer", 1.0))),
    )


def _track(values, frames):
    """A (T,) per-frame track at ``frames``, held at its ends."""
    return values[np.clip(frames, 0, len(values) - 1)]


def synthesize(ctx, start, stop):
    """Motion for frames [start, stop) at ctx.fps."""
    frames = np.arange(start, stop)
    t = frames / ctx.fps
    n = len(frames)
    plan, pro = ctx.plan, ctx.prosody
    q = np.repeat(ctx.base[None], n, axis=0)
    activity = _arms(q, t, plan)
    planned = to_gesture_space(q, ctx.gesture_space)[:, [J.L_ELBOW, J.R_ELBOW]]  # before the layers
    off = np.zeros((n, 55, 3))
    strokes = _strokes(off, t, plan)  # (n, 2) left, right
    _torso_strokes(off, strokes)
    # the wandering stops for the hit: hands hold still just after each stroke
    hold = np.stack([_hold_envelope(t, plan.flick_times[s], 0.3, 0.45) for s in ("left", "right")], axis=1)
    off[:, _DRIFT_JOINTS, _DRIFT_AXES] += (paired(ctx.drift.sample(t), _DRIFT_PAIRS) * _DRIFT_AMPS
                                           * (activity * (1.0 - 0.6 * hold))[:, _DRIFT_SIDE] * ctx.idle)
    _rubbing(off, t, plan)
    _head(off, t, frames, plan, pro)
    _torso_breath_stance(off, t, plan)
    trans, contacts = _stance(t, ctx)
    _noise(off, t, frames, ctx)
    # the chest steadies itself against the pelvis' sway, as a standing body does
    off[:, J.SPINE2] -= CHEST_STEADYING[0] * off[:, J.PELVIS]
    off[:, J.SPINE3] -= CHEST_STEADYING[1] * off[:, J.PELVIS]
    q = quat_multiply(axis_angle_to_quat(off), q)
    _share_with_collars(q, ctx.base)
    q = to_gesture_space(q, ctx.gesture_space)
    _limit_bend(q, (J.L_ELBOW, J.R_ELBOW), MAX_ELBOW, planned)
    _fine(q, t, ctx)
    if ctx.body is not None:
        ctx.body.apply(q, t)
    poses = quat_to_axis_angle(q)
    mouth = mouth_opening(pro.energy, frames)
    poses[:, J.JAW] = 0.0
    poses[:, J.JAW, 0] = jaw_angle(mouth)
    expressions = np.zeros((n, N_EXPRESSIONS))
    if ctx.expressions:
        expressions += mouth[:, None] * mouth_direction(N_EXPRESSIONS)
    motion = Motion(poses=poses.astype(np.float32), trans=trans.astype(np.float32),
                    expressions=expressions.astype(np.float32), betas=np.zeros(N_BETAS, np.float32),
                    fps=ctx.fps, contacts=contacts)
    return clamp_joint_limits(motion)  # layered offsets must not bend a finger backwards


def _share_with_collars(q, base, share=COLLAR_SHARE):
    """Let the collarbones carry ``share`` of each upper arm's turn away from rest, as a real
    shoulder girdle does (the arm is raised by both): q (n, 55, 4) in place, base (55, 4)."""
    for collar, shoulder in ((J.L_COLLAR, J.L_SHOULDER), (J.R_COLLAR, J.R_SHOULDER)):
        turn = quat_to_axis_angle(quat_multiply(q[:, shoulder], quat_conjugate(base[shoulder])))
        moved = axis_angle_to_quat(share * turn)
        q[:, collar] = quat_multiply(moved, q[:, collar])
        q[:, shoulder] = quat_multiply(quat_conjugate(moved), q[:, shoulder])


def _limit_bend(q, joints, max_angle, planned, soft=0.5):
    """Shorten rotations of ``joints`` in q (n, 55, 4) to less than ``max_angle`` radians.

    Layers add up: a stroke on an arm already bent far could carry the elbow past half a turn,
    where its axis-angle flips to the twin about the opposite axis and the joint-limit clamp
    would snap it straight. Each rotation is read on the side of its planned pose ``planned``
    (n, len(joints), 4; the key poses before the layers, well inside the limit), so one growing
    past half a turn stays on its side and is shortened there. The last ``soft`` radians ease
    in (a tanh): cut at the limit, an elbow bending at 8 rad/s stopped dead within a frame.
    Each frame is decided on its own: a window renders exactly as the same frames of a longer
    one."""
    knee = max_angle - soft
    for k, j in enumerate(joints):
        ref = planned[:, k] * np.where(planned[:, k, :1] < 0, -1.0, 1.0)  # its short way round
        qj = q[:, j] * np.where(np.sum(q[:, j] * ref, axis=-1, keepdims=True) < 0, -1.0, 1.0)
        angle = quat_angle(qj, shortest=False)  # 0 .. 2 pi on the planned side
        over = angle > knee
        if over.any():
            eased = knee + soft * np.tanh((angle[over] - knee) / soft)
            axis = qj[over, 1:] / np.maximum(np.linalg.norm(qj[over, 1:], axis=-1, keepdims=True), 1e-12)
            qj[over, 0] = np.cos(eased / 2.0)
            qj[over, 1:] = axis * np.sin(eased / 2.0)[:, None]
        q[:, j] = qj


def _arms(q, t, plan):
    """Put the planned arm and hand poses into q (n, 55, 4); returns how raised each arm is,
    (n, 2) left/right in 0..1 (from the elbow's bend)."""
    activity = np.zeros((len(t), 2))
    for k, (side, joints) in enumerate((("left", J.L_SIDE), ("right", J.R_SIDE))):
        arm = plan.arms[side].sample(t)
        q[:, list(joints)] = arm
        elbow = quat_angle(arm[:, 2])
        activity[:, k] = REST_DRIFT + (1.0 - REST_DRIFT) * np.clip((elbow - 0.5) / 0.8, 0.0, 1.0)
    return activity


def _torso_strokes(off, strokes):
    """The body joins the strokes: the chest leans into each hit and turns toward the hand
    that makes it, the pelvis answers a little. strokes : (n, 2) left, right."""
    both = strokes.sum(axis=1)
    turn = strokes[:, 0] - strokes[:, 1]  # positive: toward the left hand
    for joint, lean, yaw in ((J.PELVIS, 0.05, 0.06), (J.SPINE1, 0.02, 0.02), (J.SPINE2, 0.025, 0.02),
                             (J.SPINE3, 0.015, 0.01), (J.NECK, -0.04, 0.0)):
        off[:, joint, 0] += lean * both
        off[:, joint, 1] += yaw * turn


def _strokes(off, t, plan):
    """Beat strokes: the forearm lifts, then strikes down to land on the beat. Returns each
    hand's stroke signal (n, 2), left and right."""
    total = np.zeros((len(t), 2))
    for side, sign, (shoulder, elbow, wrist), fingers in (
        ("left", 1.0, (J.L_SHOULDER, J.L_ELBOW, J.L_WRIST), J.L_FINGERS),
        ("right", -1.0, (J.R_SHOULDER, J.R_ELBOW, J.R_WRIST), J.R_FINGERS),
    ):
        f = beat_pulse(t, plan.flick_times[side], plan.flick_amps[side])
        if not np.any(f):
            continue
        total[:, 0 if side == "left" else 1] = f
        g = beat_loop(t, plan.flick_times[side], plan.flick_amps[side])
        off[:, shoulder, 1] += -sign * 0.15 * g  # the hand swings forward and back into the hit
        off[:, elbow, 0] += 0.2 * g  # the forearm turns a little on the way
        off[:, elbow, 1] += -sign * 0.2 * f  # more flexion on the lift
        off[:, shoulder, 1] += -sign * 0.07 * f  # upper arm a little forward
        off[:, shoulder, 2] += sign * 0.04 * f  # and out
        off[:, wrist, 2] += sign * 0.3 * f  # hand cocks back, then snaps with the stroke
        for k in range(4):  # fingers open a little on the lift
            off[:, fingers[3 * k], 2] += sign * 0.10 * f
            off[:, fingers[3 * k + 1], 2] += sign * 0.08 * f
    return total


def _rubbing(off, t, plan, rate=0.9):
    """Clasped hands rubbing each other: the forearms turn and the wrists roll against each
    other in a slow circle, easing in and out."""
    for start, end in plan.rubs:
        inside = (t > start) & (t < end)
        if not inside.any():
            continue
        u = t[inside] - start
        envelope = np.minimum(np.clip(u / 0.4, 0.0, 1.0), np.clip((end - t[inside]) / 0.4, 0.0, 1.0))
        phase = 2.0 * np.pi * rate * u
        for elbow, wrist, sign in ((J.L_ELBOW, J.L_WRIST, 1.0), (J.R_ELBOW, J.R_WRIST, -1.0)):
            off[inside, elbow, 0] += 0.12 * envelope * np.sin(phase)
            off[inside, wrist, 1] += sign * 0.1 * envelope * np.cos(phase)


def _hold_envelope(t, beats, before=0.1, after=0.3):
    """(n,) 1 at each beat, easing to 0 ``before`` s ahead of it and ``after`` s past it."""
    out = np.zeros(len(t))
    for b in beats[np.searchsorted(beats, t[0] - after):np.searchsorted(beats, t[-1] + before)] if len(t) else ():
        d = t - b
        u = np.clip(1.0 - np.abs(d) / np.where(d < 0, before, after), 0.0, 1.0)
        out = np.maximum(out, u * u * (3.0 - 2.0 * u))
    return out


def _head(off, t, frames, plan, pro):
    nod = dip(t, plan.nod_times, plan.nod_amps)
    pitch = _track(pro.pitch, frames)
    gaze = plan.gaze.sample(t)
    eyes = plan.eyes.sample(t)
    tilt = plan.tilt.sample(t)[:, 0]
    off[:, J.NECK, 0] += 0.4 * nod
    off[:, J.HEAD, 0] += 0.6 * nod - 0.01 * pitch + gaze[:, 1]
    off[:, J.NECK, 1] += 0.4 * gaze[:, 0]
    off[:, J.HEAD, 1] += 0.6 * gaze[:, 0]
    off[:, J.HEAD, 2] += tilt
    for eye in (J.L_EYE, J.R_EYE):
        off[:, eye, 1] += eyes[:, 0]
        off[:, eye, 0] += eyes[:, 1]


def _torso_breath_stance(off, t, plan):
    torso = plan.torso.sample(t)
    for joint, share in ((J.SPINE1, 0.3), (J.SPINE2, 0.3), (J.SPINE3, 0.4)):
        off[:, joint, 1] += share * torso[:, 0]
        off[:, joint, 0] += share * torso[:, 1]
    breath = np.sin(2.0 * np.pi * plan.breath_rate * t + plan.breath_phase)
    off[:, J.SPINE3, 0] -= 0.012 * breath
    off[:, J.SPINE2, 0] -= 0.006 * breath
    off[:, J.L_COLLAR, 2] += 0.012 * breath  # shoulders rise on the in-breath
    off[:, J.R_COLLAR, 2] -= 0.012 * breath
    off[:, J.L_SHOULDER, 2] -= 0.01 * breath  # arms hang where they were
    off[:, J.R_SHOULDER, 2] += 0.01 * breath
    s = plan.stance.sample(t)[:, 0]
    off[:, J.PELVIS, 2] += 0.035 * s  # the free side's hip drops
    off[:, J.SPINE1, 2] -= 0.025 * s  # the torso stays upright
    off[:, J.SPINE2, 2] -= 0.01 * s
    off[:, J.L_KNEE, 0] += 0.1 * np.maximum(-s, 0.0)  # the unloaded knee softens
    off[:, J.R_KNEE, 0] += 0.1 * np.maximum(s, 0.0)


def _stance(t, ctx):
    """Root translation (n, 3) and foot contacts (n, 2): the body where its steps put it, the
    hips over the loaded foot (sinking a little there), a slow sway; each foot of a step pair
    off the floor for its half of the pair (the feet stage lifts, moves and places it)."""
    plan = ctx.plan
    trans = np.zeros((len(t), 3))
    trans[:, 1] = P.root_height()
    stance = plan.stance.sample(t)[:, 0]
    place = plan.place.sample(t)
    sway = ctx.sway.sample(t) * SWAY * ctx.idle
    trans[:, 0] = place[:, 0] + STANCE_SHIFT * stance + sway[:, 0]
    trans[:, 2] = place[:, 1] + sway[:, 1]
    trans[:, 1] -= STANCE_DIP * np.abs(stance)  # the loaded knee takes the weight
    contacts = np.ones((len(t), 2), np.float32)
    for start, duration, lead in _steps_within(plan.steps, t):
        half = duration / 2.0
        for k, foot in enumerate((int(lead), 1 - int(lead))):
            contacts[(t >= start + k * half) & (t < start + (k + 1) * half), foot] = 0.0
    return trans, contacts


def _steps_within(steps, t):
    """The (S, 3) ``steps`` that lift a foot at some of the times ``t`` (n,), increasing: a
    window reads only its own steps, so a take's windows cost what their frames do, not
    their frames times the take's steps (a 30-minute take's windows each read all of its steps)."""
    steps = np.asarray(steps, np.float64).reshape(-1, 3)
    if not len(t):
        return steps[:0]
    return steps[(steps[:, 0] <= t[-1]) & (steps[:, 0] + steps[:, 1] > t[0])]


def _fine(q, t, ctx):
    """Fine motion of a living body (``motion.fineturn``: a few thousandths of a radian, 3-8 Hz,
    in the head, the wrists and the arms' twists): what a real take's angular jerk is made of,
    and what smooth key tracks lack. In place on q (n, 55, 4)."""
    fineturn.turn_quats(q, ctx.fine.sample(t) * fineturn.AMPS * ctx.idle)


def _noise(off, t, frames, ctx):
    pro = ctx.prosody
    speaking = _track(ctx.speaking, frames)
    energy = _track(pro.energy, frames)
    noise = paired(ctx.noise.sample(t), _NOISE_PAIRS) * _NOISE_AMPS  # (n, C)
    gain = np.ones((len(t), len(_NOISE)))
    arm = _NOISE_GROUPS == "arm"
    gain[:, arm] = (1.0 + 0.8 * (1.0 - speaking))[:, None]  # idle hands move more in pauses
    head = _NOISE_GROUPS == "head"
    gain[:, head] = (0.8 + 0.5 * np.minimum(energy, 1.0))[:, None]
    swell = _swell(ctx.swell.sample(t))  # (n, 2): body, head
    gain[:, ~arm & ~head] *= swell[:, :1]
    gain[:, head] *= swell[:, 1:]
    off[:, _NOISE_JOINTS, _NOISE_AXES] += noise * gain * ctx.idle  # (joint, axis) pairs are unique


def _swell(x, depth=SWELL_DEPTH):
    """Log-normal envelope exp(depth x - depth^2 / 2) of unit-RMS noise x: mean ~1, so the
    idle motion keeps its average size but comes in calm spells and livelier ones, as a
    person's does (a steady sum of sinusoids moves at a nearly constant speed)."""
    return np.exp(depth * x - 0.5 * depth * depth)
