"""Frame-rate conversion: slerp for joint rotations, linear for translation, expressions and face
curves.

The new frame count is ``frame_count(duration, new_fps)`` (the project's one rule), so a 45.0 s
take stays 45.0 s at any rate: 1350 frames at 30 fps become 1080 at 24, 1125 at 25, 2700 at 60.
Frame k of the result samples the source at time ``k / new_fps``; times past the last source
frame hold the last frame.
"""

import numpy as np

from .container import Motion, check_fps, frame_count
from .rotations import axis_angle_to_quat, quat_slerp, quat_to_axis_angle


def resample(motion, fps):
    """A copy of ``motion`` at ``fps`` frames per second (any positive rate)."""
    fps = check_fps(fps)
    if fps == motion.fps:
        return motion.copy()
    n_new = frame_count(motion.duration, fps)
    lo, hi, w = sample_positions(motion.n_frames, motion.fps, n_new, fps)

    quats = axis_angle_to_quat(motion.poses)  # (T, 55, 4)
    poses = quat_to_axis_angle(quat_slerp(quats[lo], quats[hi], w[:, None, None]))
    return Motion(
        poses=poses.astype(np.float32),
        trans=_lerp(motion.trans, lo, hi, w),
        expressions=_lerp(motion.expressions, lo, hi, w),
        betas=motion.betas.copy(),
        fps=fps,
        gender=motion.gender,
        contacts=None if motion.contacts is None else motion.contacts[np.where(w < 0.5, lo, hi)],
        face_curves=_lerp(motion.face_curves, lo, hi, w),
        face_names=motion.face_names,
    )


def sample_positions(n_src, src_fps, n_new, new_fps):
    """For each new frame: the source frames before/after it and the weight of the later one.

    Returns lo, hi (n_new,) int and w (n_new,) float in [0, 1).
    """
    t = np.arange(n_new, dtype=np.float64) * (src_fps / new_fps)  # in source frames
    t = np.clip(t, 0.0, n_src - 1)
    lo = np.floor(t).astype(np.int64)
    # Snap values a rounding error below an integer (e.g. 2.9999999) onto it.
    near = np.isclose(t, lo + 1, rtol=0.0, atol=1e-9)
    lo = np.where(near, lo + 1, lo)
    lo = np.minimum(lo, n_src - 1)
    hi = np.minimum(lo + 1, n_src - 1)
    w = np.where(near, 0.0, t - lo)
    return lo, hi, np.clip(w, 0.0, 1.0)


def _lerp(values, lo, hi, w):
    values = np.asarray(values, dtype=np.float64)
    w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    return ((1.0 - w) * values[lo] + w * values[hi]).astype(np.float32)
