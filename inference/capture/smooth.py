"""The inter-frame motion term: per-frame fits made into motion, with confidence.

For each joint the rotations x_t minimise

    sum_t c_t |x_t - q_t|^2 + w sum_t |x_t - x_{t-1}|^2

where q_t is the frame's own fit (a unit quaternion, on one hemisphere through time), c_t its
confidence and w the motion weight: DR²'s video fitting loss with the motion term solved over
the whole shot at once (a tridiagonal system per joint, linear in the number of frames). A
frame nobody saw (c_t = 0) is carried by its neighbours: a hand that leaves the view holds
its last seen pose, or moves smoothly to where it reappears, instead of jumping. Fits far from
their neighbours (a detector's glitch) are down-weighted and the system solved again
(iteratively reweighted least squares with a Cauchy weight).
"""

import numpy as np
from scipy.linalg import solve_banded

from ...motion.rotations import (matrix_to_quat, quat_continuity, quat_normalize,
                                 quat_to_axis_angle)

FLOOR = 1e-4  # weight of a frame nobody saw: enough to keep the system well posed
OUTLIER_SCALE = np.radians(20.0)  # Cauchy scale of the reweighting
ITERATIONS = 2


def smooth_series(values, confidence, weight):
    """Solve the smoothing system for one series.

    values : (T, K) observations; confidence : (T,) in [0, 1]; weight : the motion weight w.
    Returns (T, K).
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n < 2:
        return values.copy()
    c = np.maximum(np.asarray(confidence, dtype=np.float64), FLOOR)
    band = np.zeros((3, n))
    band[0, 1:] = -weight
    band[2, :-1] = -weight
    diag = c + 2.0 * weight
    diag[0] -= weight
    diag[-1] -= weight
    band[1] = diag
    return solve_banded((1, 1), band, c[:, None] * values)


def fill_unseen(values, seen):
    """Copy the nearest earlier seen value (or, before the first, the first seen one) into
    frames not seen; all-unseen series are left as they are. values : (T, ...)."""
    seen = np.asarray(seen, dtype=bool)
    if seen.all() or not seen.any():
        return values
    idx = np.where(seen, np.arange(len(seen)), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = np.flatnonzero(seen)[0]
    return values[idx]


def smooth_rotations(local, confidence, weights, seen_threshold=0.05):
    """Smoothed axis-angle rotations (T, J, 3) from per-frame local rotation matrices.

    local : (T, J, 3, 3); confidence : (T, J); weights : (J,) motion weight per joint.
    """
    q = matrix_to_quat(local)  # (T, J, 4)
    n, joints = q.shape[:2]
    out = np.empty_like(q)
    for j in range(joints):
        conf = np.asarray(confidence[:, j], dtype=np.float64)
        seen = conf > seen_threshold
        qj = fill_unseen(q[:, j], seen)
        qj = quat_continuity(qj, axis=0)
        c = np.where(seen, conf, 0.0)
        x = smooth_series(qj, c, weights[j])
        for _ in range(ITERATIONS):
            x = quat_normalize(x)
            dot = np.abs(np.sum(x * qj, axis=-1)).clip(0.0, 1.0)
            residual = 2.0 * np.arccos(dot)
            robust = c / (1.0 + (residual / OUTLIER_SCALE) ** 2)
            x = smooth_series(qj, robust, weights[j])
        out[:, j] = quat_normalize(x)
    return quat_to_axis_angle(out)
