"""The Motion container: validation, slicing, concatenation, and the frame-count rule."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError, frame_count


def make_motion(n=10, fps=30.0, n_expr=4, seed=0):
    rng = np.random.default_rng(seed)
    return Motion(
        poses=rng.normal(scale=0.3, size=(n, 55, 3)),
        trans=rng.normal(size=(n, 3)),
        expressions=rng.normal(size=(n, n_expr)),
        betas=rng.normal(size=10),
        fps=fps,
    )


def test_fields_are_float32_and_flat_poses_are_reshaped():
    flat = np.zeros((5, 165))
    m = Motion(poses=flat, trans=np.zeros((5, 3)))
    assert m.poses.shape == (5, 55, 3) and m.poses.dtype == np.float32
    assert m.trans.dtype == np.float32
    assert m.expressions.shape == (5, 0) and m.betas.shape == (0,)
    assert m.n_frames == len(m) == 5 and m.duration == pytest.approx(5 / 30)


@pytest.mark.parametrize("kwargs, message", [
    (dict(poses=np.zeros((5, 52, 3))), r"poses must have shape \(T, 55, 3\)"),
    (dict(trans=np.zeros((4, 3))), r"trans must have shape \(5, 3\)"),
    (dict(expressions=np.zeros((6, 10))), r"expressions must have shape \(5, E\)"),
    (dict(fps=0), "fps must be a frame rate from 0.01 to 1000"),
    (dict(fps=float("nan")), "fps must be a frame rate from 0.01 to 1000"),
    (dict(fps=1e-300), "fps must be a frame rate from 0.01 to 1000"),
    (dict(fps=2000.0), "fps must be a frame rate from 0.01 to 1000"),
    (dict(contacts=np.zeros((3, 4))), "contacts must have 5 frames"),
])
def test_validation_names_the_field(kwargs, message):
    args = dict(poses=np.zeros((5, 55, 3)), trans=np.zeros((5, 3)))
    args.update(kwargs)
    with pytest.raises(MotionValueError, match=message):
        Motion(**args)


@pytest.mark.parametrize("field", ["poses", "trans", "expressions", "betas"])
def test_non_finite_values_are_rejected_with_their_index(field):
    m = make_motion(n=5)
    values = getattr(m, field).copy()
    values.reshape(-1)[-1] = np.nan
    args = dict(poses=m.poses, trans=m.trans, expressions=m.expressions, betas=m.betas)
    args[field] = values
    with pytest.raises(MotionValueError, match=f"{field} holds a NaN"):
        Motion(**args)


@pytest.mark.parametrize("field, value", [("poses", 5e3), ("trans", -1e38), ("expressions", 1e6),
                                          ("betas", 3e4)])
def test_values_no_motion_holds_are_rejected_with_their_index(field, value):
    m = make_motion(n=5)
    values = getattr(m, field).copy()
    values.reshape(-1)[-1] = value
    args = dict(poses=m.poses, trans=m.trans, expressions=m.expressions, betas=m.betas)
    args[field] = values
    with pytest.raises(MotionValueError, match=f"{field} holds .* beyond any motion"):
        Motion(**args)


@pytest.mark.parametrize("value, message", [(np.inf, "a NaN or infinite"), (-np.inf, "a NaN or infinite"),
                                            (-1000.5, "beyond any motion")])
def test_a_bad_value_anywhere_among_good_ones_is_found(value, message):
    poses = np.zeros((40, 55, 3))
    poses[17, 30, 1] = value
    with pytest.raises(MotionValueError, match=r"poses holds .*index \(17, 30, 1\)") as raised:
        Motion(poses=poses, trans=np.zeros((40, 3)))
    assert message in str(raised.value)
    poses[17, 30, 1] = -1000.0  # at the limit itself: a motion
    assert Motion(poses=poses, trans=np.zeros((40, 3))).poses[17, 30, 1] == -1000.0


def test_replaced_takes_the_new_arrays_and_shares_nothing_with_the_old():
    m = make_motion(n=6)
    poses = np.full((6, 55, 3), 0.1, np.float32)
    new = m.replaced(poses=poses)
    np.testing.assert_array_equal(new.poses, poses)
    np.testing.assert_array_equal(new.trans, m.trans)
    new.trans[0] += 1.0
    new.expressions[0] += 1.0
    assert not np.array_equal(new.trans, m.trans) and not np.array_equal(new.expressions, m.expressions)
    with pytest.raises(MotionValueError, match="poses holds a NaN"):
        m.replaced(poses=np.full((6, 55, 3), np.nan))


def test_slicing_keeps_everything_aligned():
    m = make_motion(n=10)
    part = m[2:7]
    assert part.n_frames == 5 and part.fps == m.fps
    np.testing.assert_array_equal(part.poses, m.poses[2:7])
    np.testing.assert_array_equal(part.trans, m.trans[2:7])
    np.testing.assert_array_equal(part.expressions, m.expressions[2:7])
    np.testing.assert_array_equal(part.betas, m.betas)
    assert m[3].n_frames == 1 and m[-1].n_frames == 1
    np.testing.assert_array_equal(m[-1].poses[0], m.poses[-1])
    mask = np.arange(10) % 3 == 0
    assert m[mask].n_frames == 4
    np.testing.assert_array_equal(m[np.array([9, 0])].trans, m.trans[[9, 0]])


def test_copy_is_independent():
    m = make_motion()
    c = m.copy()
    c.poses[0, 0, 0] += 1.0
    assert c.poses[0, 0, 0] != m.poses[0, 0, 0]


def test_concatenate_joins_in_order():
    a, b = make_motion(n=4, seed=1), make_motion(n=6, seed=2)
    joined = Motion.concatenate([a, b])
    assert joined.n_frames == 10
    np.testing.assert_array_equal(joined.poses[:4], a.poses)
    np.testing.assert_array_equal(joined.poses[4:], b.poses)
    np.testing.assert_array_equal(joined.expressions[4:], b.expressions)
    assert joined.duration == pytest.approx(a.duration + b.duration)


@pytest.mark.parametrize("other, message", [
    (dict(fps=25.0), "cannot join motions at 30.0 and 25.0 fps"),
    (dict(n_expr=7), "cannot join motions with 4 and 7 expression"),
])
def test_concatenate_refuses_mismatched_motions(other, message):
    with pytest.raises(MotionValueError, match=message):
        Motion.concatenate([make_motion(), make_motion(**other)])
    with pytest.raises(MotionValueError, match="empty"):
        Motion.concatenate([])


def test_rest_motion_and_named_parts():
    rest = Motion.rest(12, fps=24)
    assert rest.n_frames == 12 and rest.fps == 24 and rest.n_expressions == 100
    assert not rest.poses.any()
    m = make_motion()
    np.testing.assert_array_equal(m.jaw_pose, m.poses[:, 22])
    assert m.body_pose.shape == (10, 21, 3)
    assert m.left_hand_pose.shape == m.right_hand_pose.shape == (10, 15, 3)


@pytest.mark.parametrize("duration, fps, expected", [
    (45.0, 30, 1350), (45.0, 24, 1080), (45.0, 25, 1125), (45.0, 60, 2700),
    (1.0, 29.97, 30), (0.01, 30, 1), (10.0, 7.5, 75),
])
def test_frame_count_rule(duration, fps, expected):
    assert frame_count(duration, fps) == expected
