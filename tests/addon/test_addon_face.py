"""Motion -> shape keys (blender/facekeys.py, numpy only): the jaw/expression fallback on real BEAT2
mocap, and the face curves of a face take."""

import numpy as np
import pytest

from talkrig.blender.facekeys import match_key, shape_key_tracks
from talkrig.motion.mouth import JAW, mouth_measures
from talkrig.motion import Motion


@pytest.mark.parametrize("name, expected", [
    ("jawOpen", ("arkit", "jawOpen")), ("JawOpen", ("arkit", "jawOpen")),
    ("jaw_open", ("arkit", "jawOpen")), ("mouthLowerDown_L", ("arkit", "mouthLowerDown_L")),
    ("mouth lower down L", ("arkit", "mouthLowerDown_L")), ("Exp000", ("expression", 0)),
    ("exp_12", ("expression", 12)), ("Expression7", ("expression", 7)),
    ("Basis", None), ("browInnerUp", ("arkit", "browInnerUp")), ("Key 1", None), ("Exp", None),
    ("eyeBlinkLeft", ("arkit", "eyeBlink_L")), ("EyeBlink_R", ("arkit", "eyeBlink_R")),
    ("MouthSmileRight", ("arkit", "mouthSmile_R")), ("jawLeft", ("arkit", "jawLeft")),
    ("vrc.v_pp", ("viseme", "PP")), ("viseme_aa", ("viseme", "aa")), ("vrc.v_e", ("viseme", "E")),
    ("aa", ("vrm", "aa")), ("Fcl_MTH_O", ("vrm", "oh")), ("vrm_ee", ("vrm", "ee")),
    ("A", None), ("E", None), ("mouth", None),
])
def test_shape_key_names_are_recognised_loosely(name, expected):
    assert match_key(name) == expected


def test_real_mocap_opens_the_mouth_with_the_jaw(scott_motion):
    names = ["jawOpen", "mouthLowerDown_R", "jawLeft", "Exp005", "Exp150", "browInnerUp"]
    tracks = shape_key_tracks(scott_motion, names)
    assert set(tracks) == {"jawOpen", "mouthLowerDown_R", "jawLeft", "Exp005"}
    jaw_open = tracks["jawOpen"]
    assert jaw_open.shape == (scott_motion.n_frames,)
    assert jaw_open.min() >= 0.0 and jaw_open.max() <= 1.0
    assert np.percentile(jaw_open, 95) > 0.3  # a talking mouth opens visibly
    # the real capture's jaw rotation and its expressions tell the same story
    assert np.corrcoef(jaw_open, scott_motion.poses[:, JAW, 0])[0, 1] > 0.8
    np.testing.assert_allclose(tracks["mouthLowerDown_R"], np.clip(0.6 * jaw_open, 0, 1), atol=1e-6)
    np.testing.assert_array_equal(tracks["Exp005"], scott_motion.expressions[:, 5])


def test_without_expressions_the_jaw_alone_drives_the_mouth():
    poses = np.zeros((4, 55, 3))
    poses[:, JAW, 0] = [0.0, 0.1, 0.4, 0.8]  # opening, radians
    poses[:, JAW, 1] = [0.0, 0.15, -0.075, 0.0]  # turning to the left, then the right
    measures = mouth_measures(poses, np.zeros((4, 0)))
    np.testing.assert_allclose(measures["open"], [0.0, 0.25, 1.0, 1.0])
    np.testing.assert_allclose(measures["left"], [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(measures["right"], [0.0, 0.0, 0.5, 0.0])
    motion = Motion(poses=poses, trans=np.zeros((4, 3)))
    tracks = shape_key_tracks(motion, ["jawOpen", "Exp000", "viseme_PP", "aa"])
    assert list(tracks) == ["jawOpen"]  # no coefficient 0 to give, no visemes without a face take
