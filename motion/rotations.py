"""Rotation conversions and interpolation, vectorised over any leading shape.

Conventions
-----------
- axis-angle: (..., 3), the rotation vector (unit axis times angle in radians), as SMPL-X.
- quaternion: (..., 4), scalar first ``(w, x, y, z)``, unit length.
- matrix: (..., 3, 3), rotating column vectors: ``v' = R @ v``.
- 6D: (..., 6), the first two columns of the matrix, ``[R[:, 0], R[:, 1]]`` (Zhou et al. 2019).

Axis-angle is never interpolated linearly: use :func:`quat_slerp`.
"""

import math

import numpy as np

_EPS = 1e-8

# Up to this many triples a frame (one bone's curve), :func:`euler_continuity` steps through
# them in plain floats: numpy's per-call cost made a bone's minute of frames take 40 ms
FEW_CURVES = 4


def _length(x, keepdims=False):
    """Euclidean length over the last axis, the squares summed in order (:func:`_dot`): the
    same bits as np.linalg.norm, twice as fast on (T, 55, 3|4) poses, which every rotation
    conversion of a take goes through."""
    length = np.sqrt(_dot(x, x))
    return length[..., None] if keepdims else length


def _dot(a, b):
    """Dot product over the last axis, summed in np.sum's order (the same bits) without its
    generic reduction on a take's arrays: twice as fast on (T, J, 4) (a few rotations are left
    to np.sum, quicker there)."""
    if a.size <= 64 and b.size <= 64:
        return np.sum(a * b, axis=-1)
    total = a[..., 0] * b[..., 0]
    for k in range(1, a.shape[-1]):
        total = total + a[..., k] * b[..., k]
    return total


def axis_angle_to_quat(aa):
    """(..., 3) rotation vectors -> (..., 4) unit quaternions (w first)."""
    aa = np.asarray(aa, dtype=np.float64)
    angle = _length(aa, keepdims=True)
    half = 0.5 * angle
    out = np.empty(aa.shape[:-1] + (4,))
    np.cos(half, out=out[..., :1])
    # sin(a/2)/a, with its Taylor series near zero so tiny rotations stay exact (worked out only
    # where needed, into the result: a take's rotations convert a third faster, the same bits).
    small = angle < 1e-6
    if small.any():
        scale = np.sin(half) / np.where(small, 1.0, angle)
        scale[small] = 0.5 - angle[small] ** 2 / 48.0
    else:
        scale = np.sin(half)
        scale /= angle
    np.multiply(aa, scale, out=out[..., 1:])
    return out


def quat_to_axis_angle(q):
    """(..., 4) quaternions -> (..., 3) rotation vectors with angle in [0, pi]."""
    q = quat_hemisphere(quat_normalize(q))  # w >= 0 gives the shortest rotation
    xyz = q[..., 1:]
    s = _length(xyz, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    small = s < 1e-6
    scale = np.where(small, 2.0 / np.maximum(q[..., :1], _EPS), angle / np.where(small, 1.0, s))
    return xyz * scale


def quat_normalize(q):
    """Scale quaternions to unit length."""
    q = np.asarray(q, dtype=np.float64)
    return q / np.maximum(_length(q, keepdims=True), _EPS)


def quat_multiply(a, b):
    """Hamilton product ``a * b`` (apply b first, then a)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))  # filled a component at a time:
    out[..., 0] = aw * bw - ax * bx - ay * by - az * bz  # twice as fast as stacking on a take
    out[..., 1] = aw * bx + ax * bw + ay * bz - az * by
    out[..., 2] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 3] = aw * bz + ax * by - ay * bx + az * bw
    return out


def quat_conjugate(q):
    """Inverse of a unit quaternion."""
    q = np.asarray(q, dtype=np.float64)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def quat_to_matrix(q):
    """(..., 4) quaternions -> (..., 3, 3) rotation matrices."""
    q = quat_normalize(q)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    m = np.empty(q.shape[:-1] + (3, 3))
    m[..., 0, 0], m[..., 0, 1], m[..., 0, 2] = 1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)
    m[..., 1, 0], m[..., 1, 1], m[..., 1, 2] = 2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)
    m[..., 2, 0], m[..., 2, 1], m[..., 2, 2] = 2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)
    return m


def matrix_to_quat(m):
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions, w >= 0.

    Uses the largest of the four candidate denominators per element, so it stays accurate
    at 180 degrees where the trace method breaks down. Each candidate row (4 q_k q, k the
    largest) is built only from the element's own sums, one component at a time: a take's
    matrices convert three times faster than with the 4x4 candidates stacked.
    """
    m = np.asarray(m, dtype=np.float64)
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    diag = (1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22)
    a, b, c = m21 - m12, m02 - m20, m10 - m01
    d, e, f = m01 + m10, m02 + m20, m12 + m21
    rows = ((diag[0], a, b, c), (a, diag[1], d, e), (b, d, diag[2], f), (c, e, f, diag[3]))
    best = np.argmax(np.stack(diag, -1), axis=-1)
    mixed = best.any()  # most of a take's matrices turn less than half a turn: row 0 for all
    q = np.empty(m.shape[:-2] + (4,))
    for j in range(4):
        q[..., j] = np.choose(best, [row[j] for row in rows]) if mixed else rows[0][j]
    q = quat_normalize(q)
    return np.where(q[..., :1] < 0, -q, q)


def axis_angle_to_matrix(aa):
    """(..., 3) rotation vectors -> (..., 3, 3) matrices (Rodrigues)."""
    comps = axis_angle_to_matrix_components(aa)
    return np.ascontiguousarray(np.moveaxis(comps, (0, 1), (-2, -1)))


def axis_angle_to_matrix_components(aa):
    """(..., 3) rotation vectors -> (3, 3, ...) matrices, component-major.

    Rodrigues' formula written out element by element, ``R = I + a K + b K^2`` with
    ``a = sin(t)/t`` and ``b = (1 - cos(t))/t^2`` (Taylor series for tiny angles). Each of the
    nine components is one contiguous array, which keeps the arithmetic vectorised; forward
    kinematics works in this layout.
    """
    xyz = np.ascontiguousarray(np.moveaxis(np.asarray(aa, dtype=np.float64), -1, 0))
    x, y, z = xyz
    theta2 = x * x + y * y + z * z
    theta = np.sqrt(theta2)
    small = theta < 1e-4
    safe = np.where(small, 1.0, theta)
    a = np.sin(safe) / safe
    b = (1.0 - np.cos(safe)) / (safe * safe)
    if np.any(small):
        a = np.where(small, 1.0 - theta2 / 6.0, a)
        b = np.where(small, 0.5 - theta2 / 24.0, b)
    out = np.empty((3, 3) + x.shape)
    ax, ay, az = a * x, a * y, a * z
    bx, by, bz = b * x, b * y, b * z
    bxx, byy, bzz = bx * x, by * y, bz * z
    bxy, bxz, byz = bx * y, bx * z, by * z
    np.subtract(bxy, az, out=out[0, 1, ...])
    np.add(bxy, az, out=out[1, 0, ...])
    np.add(bxz, ay, out=out[0, 2, ...])
    np.subtract(bxz, ay, out=out[2, 0, ...])
    np.subtract(byz, ax, out=out[1, 2, ...])
    np.add(byz, ax, out=out[2, 1, ...])
    np.subtract(1.0, byy + bzz, out=out[0, 0, ...])
    np.subtract(1.0, bxx + bzz, out=out[1, 1, ...])
    np.subtract(1.0, bxx + byy, out=out[2, 2, ...])
    return out


def matrix_to_axis_angle(m):
    """(..., 3, 3) matrices -> (..., 3) rotation vectors."""
    return quat_to_axis_angle(matrix_to_quat(m))


def matrix_to_6d(m):
    """(..., 3, 3) -> (..., 6): the first two columns, concatenated."""
    m = np.asarray(m, dtype=np.float64)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def sixd_to_matrix(d6):
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt, so any 6-vector maps to a valid rotation."""
    d6 = np.asarray(d6, dtype=np.float64)
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / np.maximum(_length(a1, keepdims=True), _EPS)
    a2 = a2 - np.sum(b1 * a2, axis=-1, keepdims=True) * b1
    b2 = a2 / np.maximum(_length(a2, keepdims=True), _EPS)
    b3 = np.cross(b1, b2)
    return np.stack([b1, b2, b3], axis=-1)


def axis_angle_to_6d(aa):
    """(..., 3) -> (..., 6)."""
    return matrix_to_6d(axis_angle_to_matrix(aa))


def sixd_to_axis_angle(d6):
    """(..., 6) -> (..., 3)."""
    return matrix_to_axis_angle(sixd_to_matrix(d6))


def quat_continuity(q, axis=0):
    """Flip signs along ``axis`` so consecutive quaternions lie in the same hemisphere.

    q and -q are the same rotation; interpolating or filtering across a sign flip takes the
    long way round, so time series are made continuous first.
    """
    q = np.array(q, dtype=np.float64, copy=True)
    q = np.moveaxis(q, axis, 0)
    flips = np.logical_xor.accumulate(_dot(q[1:], q[:-1]) < 0, axis=0)  # odd count of sign changes so far
    if flips.any():  # a series already continuous (the filters' input) is left as it is
        q[1:] *= np.where(flips[..., None], -1.0, 1.0)
    return np.moveaxis(q, 0, axis)


def quat_lowpass(q, frames_sigma):
    """(T, ..., 4) unit quaternions ``q`` low-passed over time (axis 0): a Gaussian of
    ``frames_sigma`` frames over the sign-continuous series (edges held), renormalised."""
    from .filters import gaussian_filter1d

    smooth = gaussian_filter1d(quat_continuity(q, axis=0), frames_sigma, axis=0, mode="nearest")
    return quat_normalize(smooth)


def quat_hemisphere(q):
    """``q`` with w >= 0: the sign :func:`quat_to_axis_angle` uses (angle in [0, pi])."""
    q = np.asarray(q, dtype=np.float64)
    return q * np.where(q[..., :1] < 0, -1.0, 1.0)  # exact, as negation; half the passes on a take


def quat_angle(q, shortest=True):
    """(...,) rotation angles, radians, of unit quaternions (..., 4): in [0, pi], the short way;
    with ``shortest`` False (a bool or a (...,) mask) on the quaternion's own side, in [0, 2 pi]."""
    w = np.clip(np.asarray(q, dtype=np.float64)[..., 0], -1.0, 1.0)
    return 2.0 * np.arccos(np.where(shortest, np.abs(w), w))


def quat_slerp(q0, q1, t, shortest=True):
    """Spherical linear interpolation from q0 (t=0) to q1 (t=1), shortest arc.

    q0, q1: (..., 4); t broadcasts against their leading shape (e.g. (..., 1) or a scalar).
    shortest : bool, or (...,) bools broadcasting against the leading shape. False keeps the
        arc between the quaternions as given: between two with w >= 0 it never passes a half
        turn, so the rotation vectors along it stay continuous (see :func:`quat_hemisphere`).
        Exactly opposite quaternions (no such arc) take the shortest one.
    """
    q0 = quat_normalize(q0)
    q1 = quat_normalize(q1)
    t = np.asarray(t, dtype=np.float64)
    if t.ndim == q0.ndim - 1 or t.ndim == 0:
        t = t[..., None]
    dot = _dot(q0, q1)[..., None]
    flip = (dot < 0) & (np.asarray(shortest, bool)[..., None] | (dot < -1.0 + 1e-9))
    q1 = np.where(flip, -q1, q1)
    dot = np.where(flip, -dot, dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-6  # (only ever the same quaternion: opposite ones were flipped)
    safe = np.where(near, 1.0, sin_theta)
    w0 = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / safe)
    w1 = np.where(near, t, np.sin(t * theta) / safe)
    return quat_normalize(w0 * q0 + w1 * q1)


def axis_angle_slerp(aa0, aa1, t):
    """Slerp between two sets of rotation vectors; returns rotation vectors."""
    return quat_to_axis_angle(quat_slerp(axis_angle_to_quat(aa0), axis_angle_to_quat(aa1), t))


def rotation_angle(m):
    """(..., 3, 3) -> (...) rotation angle in radians, stable near 0 and pi."""
    q = matrix_to_quat(m)
    return 2.0 * np.arctan2(_length(q[..., 1:]), np.abs(q[..., 0]))


def geodesic_distance(aa0, aa1):
    """Angle in radians between two sets of rotation vectors, (...,3) -> (...)."""
    q = quat_multiply(quat_conjugate(axis_angle_to_quat(aa0)), axis_angle_to_quat(aa1))
    return 2.0 * np.arctan2(_length(q[..., 1:]), np.abs(q[..., 0]))


# --- Euler angles -----------------------------------------------------------------------------
# An order is three distinct axis letters, e.g. "ZYX"; angles (..., 3) are given in that same
# order and compose as R = R_first @ R_second @ R_third (the convention of BVH channel lists:
# "Zrotation Yrotation Xrotation" means R = Rz @ Ry @ Rx, rotating column vectors).

EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
_AXIS = {"X": 0, "Y": 1, "Z": 2}


def _check_order(order):
    order = str(order).upper()
    if order not in EULER_ORDERS:
        raise ValueError(f"Euler order must be one of {', '.join(EULER_ORDERS)}, got {order!r}")
    return order


def elementary_rotation(axis, angle):
    """(...,) angles in radians about axis 0/1/2 (x/y/z) -> (..., 3, 3) matrices."""
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out = np.zeros(angle.shape + (3, 3))
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def euler_to_matrix(angles, order="ZYX"):
    """(..., 3) angles in radians, listed in ``order`` -> (..., 3, 3) matrices."""
    order = _check_order(order)
    angles = np.asarray(angles, dtype=np.float64)
    m = elementary_rotation(_AXIS[order[0]], angles[..., 0])
    m = m @ elementary_rotation(_AXIS[order[1]], angles[..., 1])
    return m @ elementary_rotation(_AXIS[order[2]], angles[..., 2])


def matrix_to_euler(m, order="ZYX"):
    """(..., 3, 3) matrices -> (..., 3) angles in radians listed in ``order``.

    The middle angle lies in [-pi/2, pi/2]. At gimbal lock (middle angle +-90 degrees) the last
    angle is set to zero and the first takes the whole remaining rotation, so the result still
    reproduces the matrix exactly.
    """
    order = _check_order(order)
    m = np.asarray(m, dtype=np.float64)
    i, j, k = (_AXIS[a] for a in order)
    s = 1.0 if (j - i) % 3 == 1 else -1.0  # +1 for cyclic orders (XYZ, YZX, ZXY)
    cos_b = np.hypot(m[..., i, i], m[..., i, j])
    b = np.arctan2(s * m[..., i, k], cos_b)
    c = np.where(cos_b < 1e-12, 0.0, np.arctan2(-s * m[..., i, j], m[..., i, i]))
    # the first angle from what the other two leave: near the lock c is read from entries of
    # size cos_b, and a read the same way would double its error; read from the rest, it absorbs it
    rest = m @ np.swapaxes(elementary_rotation(k, c), -1, -2) @ np.swapaxes(elementary_rotation(j, b), -1, -2)
    a = np.arctan2(s * rest[..., k, j], rest[..., j, j])
    return np.stack([a, b, c], axis=-1)


def euler_continuity(angles, order="ZYX", axis=0):
    """Pick, frame by frame along ``axis``, the Euler triple closest to the previous frame.

    Every rotation has two Tait-Bryan solutions, (a, b, c) and (a + pi, pi - b, c + pi), each
    defined up to whole turns. Choosing the nearer one and unwrapping by 2 pi removes the
    jumps that make animation curves interpolate the long way round. Rotations are unchanged.
    """
    _check_order(order)
    angles = np.moveaxis(np.array(angles, dtype=np.float64, copy=True), axis, 0)
    if angles.shape[0] > 1 and angles[0].size <= 3 * FEW_CURVES:
        curves = np.ascontiguousarray(angles).reshape(angles.shape[0], -1, 3)
        for k in range(curves.shape[1]):
            curves[:, k] = _continuous_curve(curves[:, k].tolist())
        return np.moveaxis(curves.reshape(angles.shape), 0, axis)
    two_pi = 2.0 * np.pi
    prev = angles[0]
    for t in range(1, angles.shape[0]):
        first = angles[t]
        second = first + np.array([np.pi, 0.0, np.pi])
        second[..., 1] = np.pi - first[..., 1]
        best = []
        for cand in (first, second):
            cand = cand - two_pi * np.round((cand - prev) / two_pi)
            best.append(cand)
        d0 = np.sum((best[0] - prev) ** 2, axis=-1, keepdims=True)
        d1 = np.sum((best[1] - prev) ** 2, axis=-1, keepdims=True)
        prev = np.where(d1 < d0, best[1], best[0])
        angles[t] = prev
    return np.moveaxis(angles, 0, axis)


def _continuous_curve(triples):
    """:func:`euler_continuity` of one (T, 3) curve, given as lists: the same arithmetic in the
    same order on plain floats, so the same bits (numpy's rounding to even, its signed zeros
    and its left-to-right sum of three squares)."""
    pi, two_pi = np.pi, 2.0 * np.pi
    prev = triples[0]
    out = [prev]
    for a, b, c in triples[1:]:
        p0, p1, p2 = prev
        best = []
        for q0, q1, q2 in ((a, b, c), (a + pi, pi - b, c + pi)):
            q0 = q0 - two_pi * _rint((q0 - p0) / two_pi)
            q1 = q1 - two_pi * _rint((q1 - p1) / two_pi)
            q2 = q2 - two_pi * _rint((q2 - p2) / two_pi)
            e0, e1, e2 = q0 - p0, q1 - p1, q2 - p2
            best.append(((q0, q1, q2), e0 * e0 + e1 * e1 + e2 * e2))
        prev = best[1][0] if best[1][1] < best[0][1] else best[0][0]
        out.append(prev)
    return out


def _rint(x):
    """``np.round`` of one float: to the nearest integer, halves to even, the sign kept (-0.3 ->
    -0.0), NaN and infinities as they are."""
    return math.copysign(float(round(x)), x) if math.isfinite(x) else x
