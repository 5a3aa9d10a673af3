"""Frame-rate conversion: duration kept, rotations slerped, translation/expressions linear."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError, frame_count, resample
from talkrig.motion.rotations import geodesic_distance


@pytest.mark.parametrize("fps", [24, 25, 30, 60, 29.97, 7.5, 100])
def test_frame_count_and_duration_on_real_take(scott_motion, fps):
    out = resample(scott_motion, fps)
    assert out.fps == fps
    assert out.n_frames == frame_count(45.0, fps)
    assert abs(out.duration - scott_motion.duration) <= 0.5 / fps + 1e-9  # within half a frame
    assert out.betas.shape == (300,) and out.n_expressions == 100


def test_same_rate_is_a_copy(scott_motion):
    out = resample(scott_motion[:10], 30)
    np.testing.assert_array_equal(out.poses, scott_motion.poses[:10])
    assert out.poses is not scott_motion.poses


def test_doubling_keeps_source_frames_and_slerps_between(scott_motion):
    src = scott_motion[:200]
    out = resample(src, 60)
    assert out.n_frames == 400
    assert geodesic_distance(out.poses[0:400:2], src.poses).max() < 1e-5
    mid = out.poses[1:399:2]
    a, b = src.poses[:-1], src.poses[1:]
    half = geodesic_distance(a, b) / 2
    np.testing.assert_allclose(geodesic_distance(a, mid), half, atol=1e-5)
    np.testing.assert_allclose(geodesic_distance(mid, b), half, atol=1e-5)
    np.testing.assert_allclose(out.trans[1:399:2], (src.trans[:-1] + src.trans[1:]) / 2, atol=1e-6)
    np.testing.assert_allclose(out.expressions[1:399:2],
                               (src.expressions[:-1] + src.expressions[1:]) / 2, atol=1e-5)


def two_frame_motion(aa0, aa1, fps=1.0):
    poses = np.zeros((2, 55, 3))
    poses[0, 16], poses[1, 16] = aa0, aa1
    return Motion(poses=poses, trans=[[0, 0, 0], [1.0, 2.0, -4.0]],
                  expressions=[[0.0, 1.0], [2.0, -1.0]], fps=fps)


def test_rotation_is_interpolated_on_the_sphere_not_linearly():
    # 3 rad and -3 rad about z are 0.28 rad apart, passing through 180 degrees; averaging the
    # axis-angle vectors would give no rotation at all.
    m = two_frame_motion([0, 0, 3.0], [0, 0, -3.0], fps=1.0)
    out = resample(m, 2.0)  # 2 s at 2 fps: samples at t = 0, 0.5, 1 (and 1.5, held)
    assert out.n_frames == 4
    assert geodesic_distance(out.poses[1, 16], [0, 0, np.pi]) < 1e-6
    np.testing.assert_allclose(out.trans[1], [0.5, 1.0, -2.0], atol=1e-6)
    np.testing.assert_allclose(out.expressions[1], [1.0, 0.0], atol=1e-6)
    # Past the last source frame the last frame is held.
    np.testing.assert_allclose(out.trans[3], m.trans[1])


def test_uniform_turn_stays_uniform():
    m = two_frame_motion([0, 0, 0.0], [0, 1.5, 0.0], fps=1.0)
    out = resample(m, 4.0)
    angles = np.linalg.norm(out.poses[:5, 16], axis=-1)
    np.testing.assert_allclose(angles, [0, 0.375, 0.75, 1.125, 1.5], atol=1e-6)


def test_down_and_up_again_stays_close(scott_motion):
    src = scott_motion[:300]
    back = resample(resample(src, 60), 30)
    assert back.n_frames == 300
    assert geodesic_distance(back.poses, src.poses).max() < 1e-5


def test_contacts_take_the_nearest_frame():
    m = Motion(poses=np.zeros((3, 55, 3)), trans=np.zeros((3, 3)), fps=1.0,
               contacts=[[0.0], [1.0], [0.0]])
    out = resample(m, 4.0)
    assert set(np.unique(out.contacts)) <= {0.0, 1.0}
    np.testing.assert_array_equal(out.contacts[:9, 0], [0, 0, 1, 1, 1, 1, 0, 0, 0])


@pytest.mark.parametrize("fps", [0, -24, float("nan"), "fast"])
def test_bad_rate(scott_motion, fps):
    with pytest.raises(MotionValueError, match="fps must be"):
        resample(scott_motion[:5], fps)
