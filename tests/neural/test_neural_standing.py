"""The learned backends' standing step keeps a take within the speaker's stance: a real stretch
of the take, its root swayed 20 cm back and forth and dipped 8 cm (a pelvis swinging over
planted feet on bending knees, as raised legs made it), is brought back into the range the
speaker's other stretch stands in, on the same floor."""

import numpy as np
import pytest

from talkrig.inference.generation.feet import plant_feet
from talkrig.motion.metrics.kinematics import joint_positions
from talkrig.motion.metrics.posture import ANKLES, knee_flexion, pelvis_offset, stance_range
from talkrig.plugins.neural.standing import soft_ceiling, within_stance


@pytest.fixture(scope="module")
def swaying(scott_motion):
    take = scott_motion[700:1000].copy()
    take.contacts = np.ones((take.n_frames, 2), np.float32)
    _, ahead = pelvis_offset(take, facing=True)
    wave = np.sin(2 * np.pi * np.arange(take.n_frames) / (2.5 * take.fps))
    take.trans[:, [0, 2]] += (0.2 * wave[:, None] * ahead).astype(np.float32)
    take.trans[:, 1] -= (0.04 * (1 - np.cos(2 * np.pi * np.arange(take.n_frames) / (3.0 * take.fps)))).astype(np.float32)
    return take


def floor(motion):
    return np.median(joint_positions(motion, ANKLES, world=True)[..., 1].min(axis=1))


def test_a_swaying_dipping_take_is_brought_within_the_speakers_stance(scott_motion, swaying):
    stance = stance_range([scott_motion[:600]])
    low, high = stance["pelvis_range"]
    assert low < stance["pelvis_offset"] < high and 0.0 < stance["knee_flexion"] < stance["knee_flexion_p95"]
    before, after = plant_feet(swaying), plant_feet(within_stance(swaying, stance))
    wide = np.percentile(np.abs(pelvis_offset(before)), 95)
    kept = pelvis_offset(after)
    assert wide > 0.15
    # within his range, measured from where the take stands (a little over for the low-pass)
    assert np.ptp(kept) < 1.1 * (high - low)
    assert np.median(kept) == pytest.approx(stance["pelvis_offset"], abs=0.02)  # his lean over the feet
    assert np.percentile(knee_flexion(after), 95) < min(np.percentile(knee_flexion(before), 95),
                                                       stance["knee_flexion_p95"] + 0.05)
    assert floor(after) == pytest.approx(floor(before), abs=0.01)  # on the same floor, not lifted off it


def test_without_a_stance_the_take_is_left_as_it_is(swaying):
    out = within_stance(swaying, {})
    np.testing.assert_array_equal(out.trans, swaying.trans)
    np.testing.assert_array_equal(out.poses, swaying.poses)


def test_the_soft_ceiling_passes_low_values_and_never_reaches_the_ceiling():
    values = np.linspace(0.0, 3.0, 31)
    out = soft_ceiling(values, 0.5, 1.0)
    np.testing.assert_array_equal(out[values <= 0.5], values[values <= 0.5])
    assert np.all(out < 1.0) and np.all(np.diff(out) > 0)
