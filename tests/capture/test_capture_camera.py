"""The camera fitted to a captured shot, on landmarks with a known answer (a real mocap take
filmed by a perfect pinhole detector, tests/support/capture_support.py): the captured joints through
the fitted camera land where the true joints were filmed, also with damaged detections."""

import numpy as np
import pytest

from support.capture_support import DISTANCE, FOCAL, SIZE, landmarks_of
from talkrig.inference.capture.camera_fit import fit_camera
from talkrig.inference.capture.fit import fit_shot
from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

UPPER = [J[n] for n in ("spine3", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow",
                        "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip")]


@pytest.fixture(scope="module")
def take(scott_motion):
    return scott_motion[900:1080]


def filmed(motion):
    """(T, 55, 2) pixels where the test camera (3 m in front, FOCAL px) films the joints."""
    pos = neutral_skeleton().joint_positions(motion)
    z = DISTANCE - pos[..., 2]
    return np.stack([SIZE[0] / 2 + FOCAL * pos[..., 0] / z,
                     SIZE[1] / 2 - FOCAL * (pos[..., 1] - 1.0) / z], axis=-1)


def reprojection(take, lm):
    fit = fit_shot(lm)
    camera, residual = fit_camera(fit.motion, lm)
    seen = camera.project(neutral_skeleton().joint_positions(fit.motion))[0]
    return np.linalg.norm(seen - filmed(take), axis=-1)[:, UPPER], camera, residual


def test_the_fitted_camera_films_the_take_where_the_body_was(take):
    error, camera, residual = reprojection(take, landmarks_of(take))
    assert (camera.width, camera.height) == SIZE and camera.fps == 30.0
    assert np.median(error) < 0.03 * SIZE[1] and residual < 0.03 * SIZE[1]
    # the baseline it must beat: the same camera on another stretch of the take
    assert np.median(np.linalg.norm(camera.project(neutral_skeleton().joint_positions(
        take[::-1]))[0] - filmed(take), axis=-1)[:, UPPER]) > 2 * np.median(error)


def test_glitches_and_a_lost_hand_do_not_pull_the_camera(take):
    lm = landmarks_of(take, hidden_hands=np.tile([True, False], (take.n_frames, 1)))
    rng = np.random.default_rng(3)
    glitch = rng.choice(take.n_frames, 12, replace=False)
    lm.body_image[glitch, :, :2] += rng.normal(0, 80, (12, lm.body_image.shape[1], 2))
    error, _, _ = reprojection(take, lm)
    assert np.median(error) < 0.03 * SIZE[1]


def test_too_little_seen_gives_no_camera(take):
    lm = landmarks_of(take[:3])
    lm.visibility[:] = 0.0
    lm.hands[:] = np.nan
    assert fit_camera(take[:3], lm) == (None, pytest.approx(np.nan, nan_ok=True))
