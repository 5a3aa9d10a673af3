"""The window-by-window driver: any length of audio, constant working memory, seamless joins.

Long audio is generated in windows of ``generator.window_seconds``. Each window sees the frames
already produced just before it (``Window.previous``, at most ``CONTEXT_SECONDS``) and may keep
private state between windows (``Window.state``). At each join the first k frames of the new
window are blended toward the end of the previous one (DR²'s seam rule, k = 10): the rotation
that would carry the window's first frame onto the previous motion's continuation is applied in
full at the first frame and faded out by a smoothstep over k frames, per joint, by slerp (the
short way; for a joint with limits the way below a half turn, so clamping never snaps). The
window keeps its own movement and the join has no jump (an offset too large to hide in k frames
is faded out over more). Progress is reported and cancellation checked between windows.
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from ...motion import Motion
from ...motion.rotations import (
    axis_angle_to_quat, quat_angle, quat_conjugate, quat_hemisphere, quat_multiply, quat_slerp,
    quat_to_axis_angle,
)
from ...motion.skeleton import NUM_JOINTS
from .postprocess import LIMITED
from ..registry import PluginError

log = logging.getLogger(__name__)

CONTEXT_SECONDS = 2.0  # how much already-generated motion a window may look back at


@dataclass
class Window:
    """One window of a generation.

    index : 0, 1, ... in time order.
    start, stop : global frame range [start, stop) to produce.
    previous : Motion of the frames just before ``start`` (or the request's initial pose as
        one frame, or None for the first window without one).
    state : dict a generator may use to carry its own state from window to window.
    """

    index: int
    start: int
    stop: int
    previous: Motion | None = None
    state: dict = field(default_factory=dict)

    @property
    def n_frames(self):
        return self.stop - self.start


def window_bounds(n_frames, window_frames):
    """[(start, stop), ...] covering n_frames in windows of window_frames (the last may be short)."""
    window_frames = max(1, int(window_frames))
    return [(s, min(s + window_frames, n_frames)) for s in range(0, n_frames, window_frames)]


def generator_windows(generator, request, window_seconds=None):
    """[(start, stop), ...] of the windows :func:`run_windows` asks ``generator`` for."""
    window_seconds = window_seconds or getattr(generator, "window_seconds", 10.0) or 10.0
    return window_bounds(request.n_frames, round(window_seconds * request.fps))


def run_windows(generator, request, window_seconds=None, seam_frames=None, state=None):
    """Drive ``generator.generate_window`` over the request; returns the whole Motion.
    ``state``: the dict every Window.state is (a new one by default), for a generator that
    must see it after the last window."""
    k = int(getattr(generator, "seam_frames", 10) if seam_frames is None else seam_frames)
    n = request.n_frames
    bounds = generator_windows(generator, request, window_seconds)
    context = max(2, int(round(CONTEXT_SECONDS * request.fps)))
    state = {} if state is None else state
    out = None
    previous = _initial(request)
    for index, (start, stop) in enumerate(bounds):
        request.check_cancelled()
        window = Window(index, start, stop, previous, state)
        part = generator.generate_window(request, window)
        _check_window(generator, part, window, request.fps)
        if previous is not None and k > 0:
            # The initial pose says nothing about where the root stands or the face.
            part = blend_seam(previous, part, k, rotations_only=index == 0)
        if out is None:
            out = _allocate(part, n)
        _store(out, part, start)
        lo = max(0, stop - context)
        previous = _slice(out, lo, stop, part)
        request.report((index + 1) / len(bounds))
    return Motion(poses=out["poses"], trans=out["trans"], expressions=out["expressions"],
                  betas=out["betas"], fps=request.fps, gender=out["gender"],
                  contacts=out["contacts"])


def _initial(request):
    if request.initial_pose is None:
        return None
    pose = np.asarray(request.initial_pose, np.float32)[None]
    return Motion(poses=pose, trans=np.zeros((1, 3), np.float32), fps=request.fps)


def _check_window(generator, part, window, fps):
    name = getattr(generator, "name", "?")
    if not isinstance(part, Motion):
        raise PluginError(f"generator '{name}' returned {type(part).__name__} for a window, not a Motion")
    if part.n_frames != window.n_frames:
        raise PluginError(f"generator '{name}' returned {part.n_frames} frames for a window of "
                          f"{window.n_frames}")


def _allocate(first, n):
    return {
        "poses": np.zeros((n, NUM_JOINTS, 3), np.float32),
        "trans": np.zeros((n, 3), np.float32),
        "expressions": np.zeros((n, first.n_expressions), np.float32),
        "contacts": None if first.contacts is None else np.zeros((n,) + first.contacts.shape[1:], np.float32),
        "betas": first.betas,
        "gender": first.gender,
    }


def _store(out, part, start):
    stop = start + part.n_frames
    out["poses"][start:stop] = part.poses
    out["trans"][start:stop] = part.trans
    e = min(out["expressions"].shape[1], part.n_expressions)
    out["expressions"][start:stop, :e] = part.expressions[:, :e]
    if out["contacts"] is not None and part.contacts is not None:
        out["contacts"][start:stop] = part.contacts


def _slice(out, lo, hi, like):
    return Motion(poses=out["poses"][lo:hi], trans=out["trans"][lo:hi],
                  expressions=out["expressions"][lo:hi], betas=like.betas, fps=like.fps)


def seam_weights(k):
    """(k,) weights of the offset at a window's first k frames: 1 at the first, easing to ~0."""
    u = np.arange(k, dtype=np.float64) / k
    return 1.0 - u * u * (3.0 - 2.0 * u)


def seam_offset(target, first):
    """(55, 4) rotations carrying ``first`` onto ``target`` per joint, both taken with w >= 0
    (the side of a half turn rotation vectors, and so the joint limits, are on)."""
    return quat_multiply(quat_hemisphere(target), quat_conjugate(quat_hemisphere(first)))


def fade_angle(offset):
    """Largest angle, radians, that fading ``offset`` (55, 4) out turns a joint (fade_offset's way)."""
    return float(np.max(quat_angle(offset, shortest=~LIMITED)))


def fade_offset(offset, quats, w):
    """(n, 55, 4) ``quats`` (n, 55, 4) turned by the fraction w (n,) of ``offset`` (55, 4).

    Free joints take the shortest arc. A joint with limits (postprocess.LIMITED) takes the arc
    on which its rotation vector stays below a half turn: the shortest one can cross it, where
    the vector flips to the opposite axis and clamping snaps a limb across (elbows near pi).
    """
    identity = np.zeros_like(offset)
    identity[:, 0] = 1.0
    n = len(w)
    partial = quat_slerp(np.broadcast_to(identity, (n,) + offset.shape),
                         np.broadcast_to(offset, (n,) + offset.shape), np.asarray(w)[:, None], shortest=~LIMITED)
    return quat_multiply(partial, quats)


def speed_weights(ages, frames):
    """(n,) the share of a join's lost speed added ``ages`` (n,) frames after it: growing with
    slope 1 from the join and faded out by ``frames`` (inertialisation), 0 outside; the turn it
    adds keeps the joined motion at the speed it had before, easing to its own."""
    ages = np.asarray(ages, np.float64)
    return np.where((ages > 0) & (ages < frames), ages * (1.0 - ages / frames) ** 2, 0.0)


def speed_gap(before, after):
    """(J, 3) rotation vectors: the turn per frame of ``before`` ((2, J, 4): the last two frames
    before a join) less that of ``after`` (the first two after it), in each parent's frame."""
    step = quat_multiply(before[1], quat_conjugate(before[0]))
    new = quat_multiply(after[1], quat_conjugate(after[0]))
    return quat_to_axis_angle(quat_multiply(step, quat_conjugate(new)))


def carry_speed(quats, gap, h):
    """(n, J, 4) ``quats`` turned by ``h`` (n,) times the speed ``gap`` (J, 3) (:func:`speed_gap`,
    :func:`speed_weights`)."""
    return quat_multiply(axis_angle_to_quat(np.asarray(h)[:, None, None] * gap[None]), quats)


def _blend_length(offset, quats, k):
    """At least k frames; longer when fading the offset out in k frames would move a joint
    faster than half the window's own fastest frame-to-frame step (large offsets only)."""
    angle = fade_angle(offset)
    n = quats.shape[0]
    if n < 2 or angle < 1e-6:
        return k
    dots = np.abs(np.sum(quats[1:] * quats[:-1], axis=-1))
    own = float(np.max(2.0 * np.arccos(np.clip(dots, 0.0, 1.0))))
    needed = int(np.ceil(1.5 * angle / max(0.5 * own, 1e-3)))  # smoothstep's peak slope is 1.5/k
    return int(min(max(k, needed), n))


def continuation(previous):
    """((55, 4) quats, (3,) root) of the frame that would follow ``previous`` (>= 1 frame) at
    its last velocity."""
    q_last = axis_angle_to_quat(previous.poses[-1])
    if previous.n_frames < 2:
        return q_last, previous.trans[-1]
    step = quat_multiply(q_last, quat_conjugate(axis_angle_to_quat(previous.poses[-2])))
    return quat_multiply(step, q_last), 2.0 * previous.trans[-1] - previous.trans[-2]


def blend_seam(previous, current, k=10, rotations_only=False):
    """``current`` with its first k frames blended toward the continuation of ``previous``.

    previous : Motion (>= 1 frame) already final; current : the new window (not modified).
    The target for the window's first frame is the previous motion extrapolated by one frame
    at its last velocity (so speed carries across the join); the offset from the window's own
    first frame to that target fades out by slerp over k frames, or over more when the offset
    is too large to hide in k frames. rotations_only: leave root and face alone (the previous
    motion is just a pose, e.g. the request's initial pose).
    """
    k = min(int(k), current.n_frames)
    if k <= 0 or previous is None or previous.n_frames == 0:
        return current
    poses = current.poses.astype(np.float64)
    quats = axis_angle_to_quat(poses)
    target, trans_target = continuation(previous)
    offset = seam_offset(target, quats[0])  # (55, 4)
    k = _blend_length(offset, quats, k)
    w = seam_weights(k)  # (k,)
    head = fade_offset(offset, quats[:k], w)
    out = current.copy()
    out.poses[:k] = quat_to_axis_angle(head).astype(np.float32)
    if rotations_only:
        return out
    out.trans[:k] += (w[:, None] * (trans_target - current.trans[0])).astype(np.float32)
    e = min(previous.n_expressions, current.n_expressions)
    if e and previous.n_frames:
        delta = previous.expressions[-1, :e] - current.expressions[0, :e]
        out.expressions[:k, :e] += (w[:, None] * delta).astype(np.float32)
    return out
