"""Frame-rate conversion: slerp for joint rotations, linear for translation, expressions and face
curves.

The new frame count is ``frame_count(duration, new_fps)`` (the project's one rule), so a 45.0 s
take stays 45.0 s at any rate: 1350 frames at 30 fps become 1080 at 24, 1125 at 25, 2700 at 60.
Frame k of the result samples the source at time ``k / new_fps``; times past the last source
frame hold the last frame.
"""

import numpy as np

from .container import MAX_FPS, Motion, check_fps, frame_count
from .errors import MotionValueError
from .rotations import axis_angle_to_quat, quat_slerp, quat_to_axis_angle

MAX_FRAMES = int(MAX_FPS) * 3600  # an hour at the highest frame rate
_CHUNK = 1024  # new frames slerped at a time


def resample(motion, fps, start=0.0, stop=None):
    """A copy of ``motion`` at ``fps`` frames per second (above 0, at most 240); with ``start``
    and ``stop`` (seconds of the take), of that stretch of it only, its frame 0 the take at
    ``start`` (a voice-over's part a sound strip lets be heard).

    Refuses to make more than MAX_FRAMES frames (a file can declare any duration: a few frames
    at 0.001 fps would otherwise become billions).
    """
    fps = check_fps(fps)
    stop = motion.duration if stop is None else min(float(stop), motion.duration)
    start = min(max(0.0, float(start)), stop)
    if fps == motion.fps and start == 0.0 and stop == motion.duration:
        return motion.copy()
    n_new = max(1, frame_count(stop - start, fps))
    if n_new > MAX_FRAMES:
        raise MotionValueError(f"{motion.n_frames} frames at {motion.fps:g} fps last "
                               f"{motion.duration:.0f} s, which at {fps:g} fps would be {n_new} "
                               f"frames; at most {MAX_FRAMES} (an hour at {MAX_FPS:g} fps) are made")
    lo, hi, w = sample_positions(motion.n_frames, motion.fps, n_new, fps, start * motion.fps)

    quats = axis_angle_to_quat(motion.poses)  # (T, 55, 4)
    poses = np.empty((n_new,) + motion.poses.shape[1:], np.float32)
    trans = np.empty((n_new, 3), np.float32)
    expressions = np.empty((n_new, motion.n_expressions), np.float32)
    face_curves = np.empty((n_new, len(motion.face_names)), np.float32)
    for start in range(0, n_new, _CHUNK):  # float64 work takes ~10 KB a frame: go in chunks
        at = slice(start, start + _CHUNK)
        poses[at] = quat_to_axis_angle(quat_slerp(quats[lo[at]], quats[hi[at]], w[at, None, None]))
        trans[at] = lerp_frames(motion.trans, lo[at], hi[at], w[at])
        expressions[at] = lerp_frames(motion.expressions, lo[at], hi[at], w[at])
        face_curves[at] = lerp_frames(motion.face_curves, lo[at], hi[at], w[at])
    return Motion(
        poses=poses,
        trans=trans,
        expressions=expressions,
        betas=motion.betas.copy(),
        fps=fps,
        gender=motion.gender,
        contacts=None if motion.contacts is None else motion.contacts[np.where(w < 0.5, lo, hi)],
        face_curves=face_curves,
        face_names=motion.face_names,
    )


def sample_positions(n_src, src_fps, n_new, new_fps, first=0.0):
    """For each new frame: the source frames before/after it and the weight of the later one
    (new frame 0 at source frame ``first``).

    Returns lo, hi (n_new,) int and w (n_new,) float in [0, 1).
    """
    return frames_at(np.arange(n_new, dtype=np.float64) * (src_fps / new_fps) + first, n_src)


def frames_at(t, n_src):
    """For each fractional source frame of ``t`` (clipped to the take): the source frames
    before/after it and the weight of the later one, as :func:`sample_positions`."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, n_src - 1)
    lo = np.floor(t).astype(np.int64)
    # Snap values a rounding error below an integer (e.g. 2.9999999) onto it.
    near = np.isclose(t, lo + 1, rtol=0.0, atol=1e-9)
    lo = np.where(near, lo + 1, lo)
    lo = np.minimum(lo, n_src - 1)
    hi = np.minimum(lo + 1, n_src - 1)
    w = np.where(near, 0.0, t - lo)
    return lo, hi, np.clip(w, 0.0, 1.0)


def lerp_frames(values, lo, hi, w):
    """(N, ...) float64 ``values`` (T, ...) interpolated linearly between frames ``lo`` and
    ``hi`` with the weight ``w`` of the later one (:func:`frames_at`)."""
    values = np.asarray(values, dtype=np.float64)
    w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    return (1.0 - w) * values[lo] + w * values[hi]
