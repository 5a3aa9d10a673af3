"""The capture figures read what they name: a head nodded by ten degrees is ten degrees of head
pitch and nothing else; a shrug lifts the shoulder girdle and leaves the elbows alone."""

import numpy as np
import pytest

from talkrig.motion.metrics.capture import compare_capture, girdle_elevation, head_angles
from talkrig.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from talkrig.motion.skeleton import JOINT_INDEX as J


def _turned(motion, joint, axis_angle):
    """A copy of ``motion`` with ``joint``'s local rotation turned by ``axis_angle`` (its own frame)."""
    out = motion.copy()
    local = axis_angle_to_matrix(out.poses[:, joint].astype(np.float64))
    out.poses[:, joint] = matrix_to_axis_angle(local @ axis_angle_to_matrix(np.asarray(axis_angle, float)))
    return out


def test_a_nod_is_head_pitch_and_nothing_else(scott_motion):
    truth = scott_motion[:300]
    nodded = _turned(truth, J["head"], [np.radians(10.0), 0.0, 0.0])
    figures = compare_capture(nodded, truth)
    assert figures["head_pitch_deg"] == pytest.approx(10.0, abs=1.0)
    assert figures["head_yaw_deg"] < 1.0
    assert figures["elbow_deg"] < 1e-3 and figures["girdle_left_deg"] < 1e-3
    pitch, yaw = head_angles(nodded)
    assert np.median(pitch - head_angles(truth)[0]) == pytest.approx(10.0, abs=1.0)  # down is positive
    turned = compare_capture(_turned(truth, J["head"], [0.0, np.radians(15.0), 0.0]), truth)
    assert turned["head_yaw_deg"] == pytest.approx(15.0, abs=1.5) and turned["head_pitch_deg"] < 2.0


def test_a_shrug_lifts_the_girdle_on_its_side_only(scott_motion):
    truth = scott_motion[:300]
    # the left collar turned about the body's forward axis lifts the left shoulder joint
    shrug = max((_turned(truth, J["left_collar"], [0.0, 0.0, a]) for a in (-0.25, 0.25)),
                key=lambda m: np.median(girdle_elevation(m)["left"]))
    lift = np.median(girdle_elevation(shrug)["left"] - girdle_elevation(truth)["left"])
    assert lift > 5.0  # degrees
    figures = compare_capture(shrug, truth)
    assert figures["girdle_left_deg"] == pytest.approx(lift, abs=1.0)
    assert figures["girdle_right_deg"] < 1e-3
    assert figures["girdle_right_correlation"] == pytest.approx(1.0)
    assert figures["elbow_left_deg"] < 1e-3  # the elbow's bend is its own
