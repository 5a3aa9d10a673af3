"""Rotation conversions round-trip for any rotation, including zero and exactly 180 degrees."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from talkrig.motion import rotations as R

# Plenty of examples, no per-example deadline (the machine is shared); local to this module.
EXAMPLES = settings(max_examples=150, deadline=None)

ANGLE_TOL = 1e-7

unit_axes = st.tuples(*[st.floats(-1, 1, allow_nan=False)] * 3).map(np.array).filter(
    lambda v: np.linalg.norm(v) > 1e-3).map(lambda v: v / np.linalg.norm(v))
angles = st.one_of(st.sampled_from([0.0, np.pi, np.pi / 2, 1e-9]), st.floats(0.0, np.pi))
rotation_vectors = st.builds(lambda axis, angle: axis * angle, unit_axes, angles)


def angle_between_matrices(a, b):
    return R.rotation_angle(np.swapaxes(a, -1, -2) @ b)


def assert_rotation_matrix(m):
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-9)


@EXAMPLES
@given(rotation_vectors)
def test_axis_angle_quat_round_trip(aa):
    q = R.axis_angle_to_quat(aa)
    assert np.linalg.norm(q) == pytest.approx(1.0)
    assert R.geodesic_distance(aa, R.quat_to_axis_angle(q)) < ANGLE_TOL


@EXAMPLES
@given(rotation_vectors)
def test_axis_angle_matrix_round_trip(aa):
    m = R.axis_angle_to_matrix(aa)
    assert_rotation_matrix(m)
    back = R.matrix_to_axis_angle(m)
    assert R.geodesic_distance(aa, back) < ANGLE_TOL
    assert np.linalg.norm(back) <= np.pi + 1e-9


@EXAMPLES
@given(rotation_vectors)
def test_matrix_agrees_with_quaternion_route(aa):
    direct = R.axis_angle_to_matrix(aa)
    via_quat = R.quat_to_matrix(R.axis_angle_to_quat(aa))
    np.testing.assert_allclose(direct, via_quat, atol=1e-12)


@EXAMPLES
@given(rotation_vectors)
def test_matrix_quat_matrix_round_trip(aa):
    m = R.axis_angle_to_matrix(aa)
    q = R.matrix_to_quat(m)
    assert q[0] >= 0
    np.testing.assert_allclose(R.quat_to_matrix(q), m, atol=1e-9)


def test_a_batch_of_matrices_converts_each_as_it_would_alone():
    """Each element takes its own largest candidate: a batch mixing small turns with half
    turns about every axis (where the trace is no denominator) gives each element's own
    quaternion, to the bit, and the same rotation back."""
    rng = np.random.default_rng(5)
    axes = np.concatenate([np.eye(3), -np.eye(3), rng.normal(size=(4, 3))])
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    angles = np.concatenate([np.full(10, np.pi), np.full(10, np.pi - 1e-7), rng.uniform(0, 0.5, 10)])
    aa = np.concatenate([axes, axes, axes]) * angles[:, None]
    m = R.axis_angle_to_matrix(rng.permutation(aa))
    batch = R.matrix_to_quat(m.reshape(5, 6, 3, 3)).reshape(30, 4)
    for one, q in zip(m, batch):
        np.testing.assert_array_equal(R.matrix_to_quat(one), q)
        assert q[0] >= 0
    np.testing.assert_allclose(R.quat_to_matrix(batch), m, atol=1e-9)


@EXAMPLES
@given(rotation_vectors)
def test_6d_round_trip(aa):
    d6 = R.axis_angle_to_6d(aa)
    assert d6.shape == (6,)
    assert R.geodesic_distance(aa, R.sixd_to_axis_angle(d6)) < ANGLE_TOL


@EXAMPLES
@given(st.tuples(*[st.floats(-10, 10, allow_nan=False)] * 6).map(np.array).filter(
    lambda v: np.linalg.norm(np.cross(v[:3], v[3:])) > 1e-3))
def test_any_6d_vector_gives_a_rotation(d6):
    assert_rotation_matrix(R.sixd_to_matrix(d6))


@EXAMPLES
@given(rotation_vectors, st.sampled_from(R.EULER_ORDERS))
@example(np.array([2.64816459e-07, np.pi / np.sqrt(2), np.pi / np.sqrt(2)]), "YXZ")  # next to the lock
def test_euler_round_trip(aa, order):
    m = R.axis_angle_to_matrix(aa)
    euler = R.matrix_to_euler(m, order)
    assert abs(euler[1]) <= np.pi / 2 + 1e-12
    np.testing.assert_allclose(R.euler_to_matrix(euler, order), m, atol=1e-9)


@EXAMPLES
@given(st.floats(-np.pi, np.pi), st.sampled_from([np.pi / 2, -np.pi / 2]),
       st.floats(-np.pi, np.pi), st.sampled_from(R.EULER_ORDERS))
def test_euler_at_gimbal_lock(a, b, c, order):
    m = R.euler_to_matrix([a, b, c], order)
    np.testing.assert_allclose(R.euler_to_matrix(R.matrix_to_euler(m, order), order), m, atol=1e-9)


def test_euler_order_is_left_to_right_product():
    angles = np.radians([30.0, -50.0, 70.0])
    expected = (R.elementary_rotation(2, angles[0]) @ R.elementary_rotation(1, angles[1])
                @ R.elementary_rotation(0, angles[2]))
    np.testing.assert_allclose(R.euler_to_matrix(angles, "ZYX"), expected, atol=1e-12)
    # Rz(90 deg) turns +x into +y (right-handed, column vectors).
    np.testing.assert_allclose(R.elementary_rotation(2, np.pi / 2) @ [1, 0, 0], [0, 1, 0],
                               atol=1e-12)


def test_unknown_euler_order_is_rejected():
    with pytest.raises(ValueError, match="Euler order"):
        R.euler_to_matrix(np.zeros(3), "XXY")


@EXAMPLES
@given(st.lists(rotation_vectors, min_size=2, max_size=12), st.sampled_from(R.EULER_ORDERS))
@example([np.zeros(3), np.array([0.0, 1.0, 1.24518764e-09]) * np.pi / 2], "XYZ")  # next to gimbal lock
def test_euler_continuity_keeps_rotations_and_removes_jumps(aas, order):
    aas = np.array(aas)
    euler = R.matrix_to_euler(R.axis_angle_to_matrix(aas), order)
    smooth = R.euler_continuity(euler, order)
    # next to gimbal lock the extraction keeps about sqrt(eps) of precision, not eps
    np.testing.assert_allclose(R.euler_to_matrix(smooth, order), R.axis_angle_to_matrix(aas),
                               atol=ANGLE_TOL)
    # Each frame is the closest representation to the previous one.
    steps = np.abs(np.diff(smooth, axis=0))
    assert np.all(steps <= np.pi + 1e-9)


def test_euler_continuity_unwraps_a_turning_joint():
    turn = np.linspace(0, 4 * np.pi, 50)  # two full turns about z
    euler = R.matrix_to_euler(R.axis_angle_to_matrix(np.outer(turn, [0, 0, 1.0])), "ZYX")
    smooth = R.euler_continuity(euler, "ZYX")
    np.testing.assert_allclose(smooth[:, 0], turn, atol=1e-9)


def _awkward_curves():
    """Euler curves that test rounding: exact half turns (ties to even), signed zeros, NaN,
    infinities, gimbal lock, huge and tiny angles, many wraps."""
    rng = np.random.default_rng(7)
    edge = np.zeros((40, 3))
    edge[1::2] = -0.0
    edge[5] = [np.pi, np.pi / 2, -np.pi]
    edge[7] = [3 * np.pi, -np.pi / 2, np.pi]
    edge[9], edge[11], edge[13] = [np.nan, 0, 0], [np.inf, 1, 2], [-np.inf, 0, 0]
    edge[20] = [1e300, -1e300, 5e-324]
    edge[25] = [np.pi, -3 * np.pi, 5 * np.pi]
    yield edge
    yield np.round(rng.uniform(-20, 20, (300, 3)) / np.pi) * np.pi / 2  # ties everywhere
    yield np.cumsum(rng.normal(0, 0.4, (300, 2, 3)), axis=0)  # turning joints, two bones
    q = R.quat_normalize(rng.normal(size=(300, 4)))
    yield R.matrix_to_euler(R.quat_to_matrix(q), "XYZ")


def test_numpy_sums_three_squares_left_to_right_as_the_plain_float_path_does():
    """The plain-float path compares (a + b) + c, as numpy's sum over a frame's three squares
    adds them; where those orders differ (a fifth of random triples of wide range) the two
    paths could choose different candidates."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20000, 3)) * 10.0 ** rng.uniform(-8, 8, (20000, 3))
    left = np.array([(a + b) + c for a, b, c in x.tolist()])
    assert np.sum(x, axis=-1).tobytes() == left.tobytes()


@pytest.mark.parametrize("curve", list(_awkward_curves()), ids=["edges", "ties", "turning", "random"])
@pytest.mark.parametrize("order", ["ZYX", "XYZ"])
def test_a_bones_euler_curve_in_plain_floats_has_the_bits_of_the_array_loop(curve, order, monkeypatch):
    """A bone's curve (a few triples a frame) is made continuous in plain floats, a dozen times
    quicker; every bit must be the array loop's, or keys written before and after would differ."""
    quick = R.euler_continuity(curve, order)
    monkeypatch.setattr(R, "FEW_CURVES", 0)  # every curve through the array loop
    assert quick.tobytes() == R.euler_continuity(curve, order).tobytes()
    moved = np.moveaxis(curve, 0, -2) if curve.ndim == 3 else curve.T
    axis = -2 if curve.ndim == 3 else 1
    monkeypatch.setattr(R, "FEW_CURVES", 4)
    assert (R.euler_continuity(moved, order, axis=axis).tobytes()
            == np.ascontiguousarray(np.moveaxis(quick, 0, axis)).tobytes())


@EXAMPLES
@given(rotation_vectors, rotation_vectors)
def test_slerp_endpoints_and_midpoint(aa0, aa1):
    q0, q1 = R.axis_angle_to_quat(aa0), R.axis_angle_to_quat(aa1)
    assert R.geodesic_distance(R.quat_to_axis_angle(R.quat_slerp(q0, q1, 0.0)), aa0) < ANGLE_TOL
    assert R.geodesic_distance(R.quat_to_axis_angle(R.quat_slerp(q0, q1, 1.0)), aa1) < ANGLE_TOL
    mid = R.axis_angle_slerp(aa0, aa1, 0.5)
    total = R.geodesic_distance(aa0, aa1)
    assert R.geodesic_distance(aa0, mid) == pytest.approx(total / 2, abs=1e-6)
    assert R.geodesic_distance(mid, aa1) == pytest.approx(total / 2, abs=1e-6)


def test_slerp_takes_the_short_way_across_180_degrees():
    a, b = np.array([0, 0, 3.0]), np.array([0, 0, -3.0])  # 0.28 rad apart, through 180 deg
    mid = R.axis_angle_slerp(a, b, 0.5)
    assert R.geodesic_distance(mid, [0, 0, np.pi]) < 1e-9


def test_slerp_is_vectorised_over_frames():
    aa0 = np.zeros((4, 55, 3))
    aa1 = np.tile([0, 1.0, 0], (4, 55, 1))
    t = np.array([0.0, 0.25, 0.5, 1.0])[:, None]
    q0, q1 = R.axis_angle_to_quat(aa0), R.axis_angle_to_quat(aa1)
    out = R.quat_to_axis_angle(R.quat_slerp(q0, q1, t))
    np.testing.assert_allclose(out[:, 0, 1], [0.0, 0.25, 0.5, 1.0], atol=1e-12)


@EXAMPLES
@given(st.lists(rotation_vectors, min_size=2, max_size=10), st.lists(st.booleans(), min_size=10,
                                                                     max_size=10))
def test_quat_continuity_flips_to_one_hemisphere(aas, flips):
    q = R.axis_angle_to_quat(np.array(aas))
    signs = np.where(np.array(flips[:len(q)]), -1.0, 1.0)[:, None]
    fixed = R.quat_continuity(q * signs)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=-1) >= -1e-12)
    np.testing.assert_allclose(np.abs(np.sum(fixed * q, axis=-1)), 1.0, atol=1e-12)


def test_quat_continuity_makes_each_joints_series_continuous_on_its_own():
    """A take's joints are made continuous at once, along any axis: each joint's series comes
    out as it does alone, and a series already continuous comes back unchanged."""
    rng = np.random.default_rng(2)
    walk = np.cumsum(rng.normal(0.0, 0.2, (60, 5, 3)), axis=0)
    q = R.axis_angle_to_quat(walk) * rng.choice([-1.0, 1.0], (60, 5, 1))
    fixed = R.quat_continuity(q)
    for j in range(5):
        np.testing.assert_array_equal(fixed[:, j], R.quat_continuity(q[:, j]))
    np.testing.assert_array_equal(R.quat_continuity(np.swapaxes(q, 0, 1), axis=1), np.swapaxes(fixed, 0, 1))
    np.testing.assert_array_equal(R.quat_continuity(fixed), fixed)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=-1) >= 0)


def test_exact_half_turns_round_trip_through_every_form():
    axes = np.eye(3).tolist() + [[1 / np.sqrt(2), 1 / np.sqrt(2), 0.0], [0.6, 0.0, -0.8]]
    aa = np.array(axes) * np.pi
    for back in (R.quat_to_axis_angle(R.axis_angle_to_quat(aa)),
                 R.matrix_to_axis_angle(R.axis_angle_to_matrix(aa)),
                 R.sixd_to_axis_angle(R.axis_angle_to_6d(aa))):
        assert np.all(R.geodesic_distance(aa, back) < 1e-9)
        np.testing.assert_allclose(np.linalg.norm(back, axis=-1), np.pi, atol=1e-9)


def test_zero_rotation_is_identity_everywhere():
    zero = np.zeros((2, 3))
    np.testing.assert_allclose(R.axis_angle_to_matrix(zero), np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_allclose(R.axis_angle_to_quat(zero), [[1, 0, 0, 0]] * 2)
    np.testing.assert_allclose(R.matrix_to_axis_angle(np.eye(3)), np.zeros(3), atol=1e-15)
    np.testing.assert_allclose(R.matrix_to_euler(np.eye(3), "ZYX"), np.zeros(3), atol=1e-15)


def test_slerp_can_keep_to_the_side_of_a_half_turn_its_ends_are_on():
    """Rotation vectors 2.4 and 3.1 rad about axes 106 degrees apart: the shortest arc passes a
    half turn (its vectors flip to the opposite axis); shortest=False keeps every vector's
    component along the shared direction positive, the way the two ends have it."""
    q0 = R.axis_angle_to_quat(np.array([1.92, 1.44, 0.0]))
    q1 = R.axis_angle_to_quat(np.array([-2.48, 1.86, 0.0]))
    t = np.linspace(0.0, 1.0, 50)[:, None]
    short = R.quat_to_axis_angle(R.quat_slerp(q0, q1, t))
    kept = R.quat_to_axis_angle(R.quat_slerp(q0, q1, t, shortest=False))
    assert short[:, 1].min() < 0 and kept[:, 1].min() > 0
    assert np.abs(np.diff(kept, axis=0)).max() < 0.3  # continuous
    assert R.geodesic_distance(kept[-1], short[-1]) < ANGLE_TOL  # the same end
    # per element: only the masked rows keep their side
    both = R.quat_slerp(np.stack([q0, q0]), np.stack([q1, q1]), 0.5, shortest=np.array([True, False]))
    assert np.allclose(both[0], R.quat_slerp(q0, q1, 0.5)) and np.allclose(both[1], R.quat_slerp(q0, q1, 0.5, False))


def test_quat_angle_reads_the_short_way_or_the_quaternion_own_side():
    from talkrig.motion.rotations import axis_angle_to_quat, quat_angle

    q = axis_angle_to_quat(np.array([[0.0, 0.0, 0.5], [0.0, 2.5, 0.0]]))
    np.testing.assert_allclose(quat_angle(q), [0.5, 2.5])
    np.testing.assert_allclose(quat_angle(-q), [0.5, 2.5])  # the same rotations
    np.testing.assert_allclose(quat_angle(-q, shortest=False), [2 * np.pi - 0.5, 2 * np.pi - 2.5])
    np.testing.assert_allclose(quat_angle(-q, shortest=np.array([True, False])), [0.5, 2 * np.pi - 2.5])
