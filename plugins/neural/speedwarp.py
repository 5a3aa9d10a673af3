"""Give a take's arms the speaker's speed contrast by re-timing them: longer, slower holds and
faster strokes, the same poses.

A regressor hedges in time as well as in space: its arms drift at middling speeds where the
speaker holds a pose and then strikes. Scaling its gestures (:mod:`.liveliness`) changes how far
they go, not that shape of their speed histogram. Here, before that scaling, each arm (collar to
fingertips) is re-timed by a monotonic warp whose local rate follows the arm's own speed (elbow
plus wrist), rate = (speed / local mean speed) ** gamma, in speech only: pauses keep the time,
and the calm, the model gave them. The warp is normalised so that each window of about
``WINDOW`` seconds (1 s) maps onto itself, its joins put where the arm is slowest (so the change
of rate there is not seen): the poses at the joins and the distance the arm travels in a window
stay where the model put them, so the mean speed over a window is kept and the timing against
the audio moves by about a frame on average, at most a quarter of a second (less than a window).
gamma > 0 adds contrast, gamma < 0 takes it away. One gamma per arm and take brings the elbow's
and wrist's speed quantiles in speech (``QUANTILES``: 10, 50 and 97 %, over their mean speed,
which the warp keeps) toward the training speaker's, stored in the model's ``speech_pace``
(:func:`speed_contrast`); the smallest gamma that gets ``KEEP`` of the best one's way there is
used, as faster strokes are also jerkier ones. numpy only.
"""

import numpy as np

from ...motion.metrics.kinematics import central_speed, joint_positions
from ...motion.resample import frames_at, lerp_frames
from ...motion.rotations import matrix_to_6d, matrix_to_quat, quat_continuity, quat_slerp, quat_to_matrix, \
    sixd_to_matrix
from ...motion.skeleton import JOINT_INDEX, LEFT_HAND, RIGHT_HAND, with_ancestors
from .layout import vectors_to_motion
from .smoothing import gaussian_kernel

WINDOW = 1.0  # seconds: each window maps onto itself
JOIN_SLACK = 0.25  # seconds either side of a window's nominal end where its join may move to a hold
SPEED_SIGMA = 2.0  # frames at 30 fps: the arm speed that sets the rate, smoothed
MEAN_SIGMA = 15.0  # frames at 30 fps: the local mean speed the rate compares with
MIN_SPEED = 0.02  # m/s added to both speeds, so a still arm is not warped by its noise
SPEECH_SIGMA = 5.0  # frames at 30 fps: the warp fades in over the first frames of speech
MAX_RATE = 3.0  # the rate, and its inverse, never go beyond this
GAMMAS = np.round(np.arange(-0.5, 0.51, 0.125), 3)  # the contrasts tried per take
KEEP = 0.75  # of the best gamma's gain toward the targets, which a smaller gamma may settle for
QUANTILES = (0.10, 0.50, 0.97)  # of a joint's speed in speech over its mean: holds, middle, strokes
CONTRAST = tuple(f" speed q{round(100 * q)}/mean" for q in QUANTILES)  # suffixes in ``speech_pace``


def _arm(side, hand):
    """(name, joints re-timed, watched (target name, joint)) of one side's arm."""
    joints = tuple(JOINT_INDEX[f"{side}_{name}"] for name in ("collar", "shoulder", "elbow", "wrist"))
    watched = tuple((f"{side} {name}", JOINT_INDEX[f"{side}_{name}"]) for name in ("elbow", "wrist"))
    return f"{side} arm", joints + tuple(hand.tolist()), watched


# (name, joints re-timed together, (target name, joint) of the joints whose summed speed sets
# the rate and whose speed ratios are matched)
PARTS = (_arm("left", LEFT_HAND), _arm("right", RIGHT_HAND))


def _smooth(x, sigma):
    """(T,) Gaussian-smoothed with edge padding."""
    taps = gaussian_kernel(sigma).astype(np.float64)
    r = len(taps) // 2
    return np.convolve(np.pad(x, r, mode="edge"), taps, mode="valid") if r else np.asarray(x, float)


def _watched_positions(vectors, layout, fps, watched):
    """(T, J, 3) root-relative positions of the ``watched`` joints, the whole body moving, m."""
    joints = [j for _, j in watched]
    return joint_positions(vectors_to_motion(vectors, layout, fps, only=with_ancestors(joints)), joints)


def _ratios(speed):
    """(len(QUANTILES),) QUANTILES of ``speed`` over its mean (which the warp keeps); None
    when it is still."""
    values = np.quantile(speed, QUANTILES)
    return None if values.min() <= 1e-6 else values / speed.mean()


def speed_contrast(vectors, layout, speaking, fps=30.0):
    """{joint + suffix: quantile / mean} of each watched elbow's and wrist's speed over the
    frames of speech (``CONTRAST`` suffixes, one per ``QUANTILES``): the shape :func:`warp`
    matches. Empty without speech; a still joint has no entry.

    vectors : (T, D) pose vectors of ``layout``; speaking : (T,) bool.
    """
    speaking = np.asarray(speaking, bool)
    out = {}
    if speaking.sum() < 3:
        return out
    for _, _, watched in PARTS:
        speeds = central_speed(_watched_positions(vectors, layout, fps, watched), fps)
        for (name, _), speed in zip(watched, speeds.T):
            ratios = _ratios(speed[speaking])
            if ratios is not None:
                out.update({name + suffix: float(r) for suffix, r in zip(CONTRAST, ratios)})
    return out


def _joins(speed, fps):
    """Frame indices (ascending, first 0, last T-1) where windows meet: about every ``WINDOW``
    seconds, each moved to the slowest frame within ``JOIN_SLACK`` of its nominal place."""
    n = len(speed)
    step, slack = max(2, int(round(WINDOW * fps))), int(round(JOIN_SLACK * fps))
    joins = [0]
    for nominal in range(step, n - 1 - step // 2, step):
        lo, hi = max(joins[-1] + 2, nominal - slack), min(n - 2, nominal + slack)
        if lo <= hi:
            joins.append(lo + int(np.argmin(speed[lo:hi + 1])))
    joins.append(n - 1)
    return np.asarray(joins)


def source_times(speed, gamma, fps=30.0, speaking=None):
    """(T,) fractional source frame shown at each output frame: the warp of a part whose
    (T,) speed (m/s) is ``speed``, with contrast ``gamma`` (0: the identity) in the frames of
    ``speaking`` ((T,) bool; None: everywhere) and none in pauses, which keep the calm (and the
    holds) the model gave them."""
    n = len(speed)
    frames = np.arange(n, dtype=np.float64)
    if gamma == 0.0 or n < 4:
        return frames
    scale = fps / 30.0
    fast = _smooth(speed, SPEED_SIGMA * scale)
    mean = _smooth(fast, MEAN_SIGMA * scale)
    rate = ((fast + MIN_SPEED) / (mean + MIN_SPEED)) ** gamma
    dwell = 1.0 / np.clip(rate, 1.0 / MAX_RATE, MAX_RATE)  # output frames per source frame
    inside = np.ones(n) if speaking is None else np.clip(
        2.0 * _smooth(np.asarray(speaking, np.float64), SPEECH_SIGMA * scale) - 1.0, 0.0, 1.0)
    step, inside = 0.5 * (dwell[1:] + dwell[:-1]), 0.5 * (inside[1:] + inside[:-1])
    times = frames.copy()
    joins = _joins(fast, fps)
    for a, b in zip(joins[:-1], joins[1:]):
        # The speech in the window takes up the time the pauses leave it; pauses keep theirs.
        warped = np.sum(inside[a:b] * step[a:b])
        if warped < 1e-9:
            continue
        spent = 1.0 - inside[a:b] + inside[a:b] * step[a:b] * (b - a - np.sum(1.0 - inside[a:b])) / warped
        out_at = a + np.concatenate([[0.0], np.cumsum(spent)])  # output time of source a..b
        times[a:b + 1] = np.interp(frames[a:b + 1], out_at, frames[a:b + 1])
    return times


def _sample_positions(points, times):
    """(T, J, 3) positions linearly interpolated at fractional frames ``times``."""
    return lerp_frames(points, *frames_at(times, len(points)))


def _sample_rotations(sixd, times):
    """(T, J, 6) rotations slerped at fractional frames ``times``."""
    q = quat_continuity(matrix_to_quat(sixd_to_matrix(sixd)), axis=0)
    lo, hi, w = frames_at(times, len(q))
    return matrix_to_6d(quat_to_matrix(quat_slerp(q[lo], q[hi], np.broadcast_to(w[:, None], q.shape[:2]))))


def _fitted_gamma(points, speaking, target, fps):
    """The gamma of GAMMAS nearest 0 that brings the watched joints' speed ratios in speech
    (J, len(QUANTILES)) at least ``KEEP`` of the way (in log) to ``target`` that the best one
    does: a take is re-timed no more than it needs."""
    raw = central_speed(points, fps).sum(axis=1)
    misses = []
    for gamma in GAMMAS:
        times = source_times(raw, float(gamma), fps, speaking)
        ratios = [_ratios(speed[speaking]) for speed in central_speed(_sample_positions(points, times), fps).T]
        if any(r is None for r in ratios):
            return 0.0
        misses.append(float(np.sum(np.log(np.asarray(ratios) / target) ** 2)))
    misses = np.asarray(misses)
    as_is = misses[np.flatnonzero(GAMMAS == 0.0)[0]]
    good = misses <= as_is - KEEP * (as_is - misses.min()) + 1e-12
    return float(GAMMAS[good][np.argmin(np.abs(GAMMAS[good]))])


def warp(vectors, layout, speaking, targets, fps=30.0, strength=1.0):
    """(T, D) pose vectors with each arm re-timed toward the ``targets`` speed contrast, and
    {part: gamma} (0.0: unchanged). Parts without both targets are left alone.

    targets : speech_pace of the training takes; speaking : (T,) bool; strength : 0..1 scales
    the fitted gamma.
    """
    out = np.array(vectors, np.float32, copy=True)
    speaking = np.asarray(speaking, bool)
    gammas = {name: 0.0 for name, *_ in PARTS}
    if strength <= 0.0 or speaking.sum() < 3:
        return out, gammas
    for name, joints, watched in PARTS:
        target = np.array([[float(targets.get(joint + suffix) or 0.0) for suffix in CONTRAST]
                           for joint, _ in watched])
        columns = layout.joint_columns(joints)
        if target.min() <= 0.0 or len(columns) == 0:
            continue
        points = _watched_positions(out, layout, fps, watched)
        gamma = strength * _fitted_gamma(points, speaking, target, fps)
        gammas[name] = gamma
        if gamma == 0.0:
            continue
        times = source_times(central_speed(points, fps).sum(axis=1), gamma, fps, speaking)
        sixd = out[:, columns].reshape(len(out), -1, 6)
        out[:, columns] = _sample_rotations(sixd, times).reshape(len(out), -1)
    return out, gammas
