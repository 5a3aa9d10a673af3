"""Fine turning (motion/fineturn.py) on the real take smoothed as a generator's output is: it
brings the upper body's angular jerk to a target without moving any of the body's joints."""

import numpy as np
import pytest

from talkrig.inference.generation.postprocess import smooth_jitter
from talkrig.motion.fineturn import JOINTS, LEAVES, band_noise, with_fine_turning
from talkrig.motion.metrics import angular_jerk, joint_positions
from talkrig.motion.metrics.distribution import mean_jerk
from talkrig.motion.skeleton import BODY


@pytest.fixture(scope="module")
def smooth(scott_motion):
    """20 s of the real take with its fine motion taken out (a Gaussian of 2 frames on every
    joint): the angular jerk falls to under half of the take's, as the learned backends' did."""
    from talkrig.motion.rotations import axis_angle_to_quat, quat_continuity, quat_lowpass, quat_to_axis_angle

    real = scott_motion[:600]
    out = real.copy()
    out.poses = quat_to_axis_angle(quat_lowpass(quat_continuity(axis_angle_to_quat(real.poses), axis=0), 2.0))
    out.poses = out.poses.astype(np.float32)
    assert angular_jerk(out) < 0.6 * angular_jerk(real)
    return real, out


def test_the_noise_is_band_limited_and_scaled_per_channel():
    noise = band_noise(np.random.default_rng(0), 3000, 30.0)
    spectrum = np.abs(np.fft.rfft(noise, axis=0)) ** 2
    freqs = np.fft.rfftfreq(3000, 1 / 30.0)
    assert spectrum[freqs < 1.5].sum() < 0.05 * spectrum.sum()  # no posture or gesture
    smoothed = np.convolve(spectrum.mean(axis=1), np.ones(51) / 51, mode="same")
    assert 3.0 <= freqs[np.argmax(smoothed)] <= 8.0
    rms = np.sqrt((noise ** 2).mean(0))
    assert rms.min() >= 0.004 and rms.max() <= 0.007


@pytest.mark.parametrize("joints", [LEAVES, JOINTS])
def test_the_angular_jerk_reaches_the_target(smooth, joints):
    real, take = smooth
    target = angular_jerk(real)
    turned, gain = with_fine_turning(take, target, np.random.default_rng(1), joints=joints)
    assert 0.0 < gain < 4.0
    assert angular_jerk(turned) == pytest.approx(target, rel=0.03)
    moved = np.abs(turned.poses - take.poses).max(axis=(0, 2)) > 1e-6
    assert set(np.flatnonzero(moved)) == set(joints)


def test_the_leaves_move_no_joint_of_the_body(smooth):
    real, take = smooth
    turned, _ = with_fine_turning(take, angular_jerk(real), np.random.default_rng(2), joints=LEAVES)
    np.testing.assert_allclose(joint_positions(turned, BODY), joint_positions(take, BODY), atol=1e-5)
    assert mean_jerk(turned) == pytest.approx(mean_jerk(take), rel=1e-4)


def test_a_take_as_jerky_as_the_target_is_left_alone(smooth):
    real, take = smooth
    same, gain = with_fine_turning(real, 0.9 * angular_jerk(real), np.random.default_rng(3))
    assert gain == 0.0 and same is real
    # the pipeline's jitter filter leaves fine turning at the speaker's level as it is: read
    # after it, the target needs the same turning as read before
    _, plain = with_fine_turning(take, angular_jerk(real), np.random.default_rng(4), joints=LEAVES)
    _, filtered = with_fine_turning(take, angular_jerk(real), np.random.default_rng(4), joints=LEAVES,
                                    measure=smooth_jitter)
    assert filtered == pytest.approx(plain, rel=0.05)
