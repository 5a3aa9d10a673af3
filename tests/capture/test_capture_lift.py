"""The capture's arm lifter: both arms read alike, it reads only the landmarks of the detector
it learnt, and what the training tool writes is what the fit runs."""

import sys
from pathlib import Path

import numpy as np
import pytest

from support.capture_support import landmarks_of
from talkrig.inference.capture import ik
from talkrig.inference.capture import landmarks as L
from talkrig.inference.capture import lift
from talkrig.inference.capture.fit import fit_shot, metres_per_pixel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "recipes"))


@pytest.fixture(scope="module")
def clean(scott_motion):
    return landmarks_of(scott_motion[300:420])


@pytest.fixture(scope="module")
def longer(scott_motion):
    """20 s: enough frames with both bones of an arm across the view."""
    return landmarks_of(scott_motion[:600])


def mirrored(lm):
    """The same landmarks seen in a mirror: x flipped about the picture's middle (metric body:
    about 0), every left point and hand swapped with its right one."""
    swap = np.arange(L.N_BODY)
    for a, b in ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
                 (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)):
        swap[a], swap[b] = b, a
    out = lm.select(slice(None))
    width = lm.size[0]
    out.body_image = lm.body_image[:, swap] * [-1, 1, 1] + [width, 0, 0]
    out.body_world = lm.body_world[:, swap] * [-1, 1, 1]
    out.visibility = lm.visibility[:, swap]
    out.hands = lm.hands[:, ::-1] * [-1, 1, 1] + [width, 0, 0]
    return out


def test_a_right_arm_reads_as_the_mirrored_left_arm(clean):
    """Both arms share one network through a mirror: an arm seen in a mirror must come out as
    the mirror image of what the other arm gave, or one side would be fitted wrongly."""
    lifter = lift.default_lifter("mediapipe")
    assert lifter is not None
    mirror = mirrored(clean)
    mpp, _ = metres_per_pixel(clean)
    mpp_m, _ = metres_per_pixel(mirror)
    up, up_m = ik.shot_up(clean), ik.shot_up(mirror)
    left = lift.arm_features(clean, "left", mpp, up)
    right_of_mirror = lift.arm_features(mirror, "right", mpp_m, up_m)
    np.testing.assert_allclose(right_of_mirror, left, atol=1e-9)
    assert np.ptp(left[:, :4]) > 0.1  # the arm moves: the features are not all zero
    shot = left[:, -7:]  # foreshortening of both bones, their longest image, the shot's up
    assert np.ptp(shot[:, :2]) > 0.1 and np.all(shot[:, :2] >= 0)
    np.testing.assert_allclose(np.linalg.norm(shot[:, 4:], axis=1), 1.0)


def test_it_reads_only_the_landmarks_of_its_own_detector(clean):
    """Learnt errors of one detector would distort another's: unnamed landmarks fit as before."""
    assert lift.default_lifter("") is None and lift.default_lifter("another") is None
    plain = fit_shot(clean, lifter=False).motion.poses
    np.testing.assert_array_equal(fit_shot(clean).motion.poses, plain)
    named = clean.select(slice(None))
    named.detector = "mediapipe"
    assert not np.allclose(fit_shot(named).motion.poses, plain)
    # the name travels with the landmarks through a file
    again = L.Landmarks.from_arrays(named.to_arrays())
    assert again.detector == "mediapipe"


def test_an_arm_the_detector_did_not_see_is_left_to_the_motion(clean):
    named = clean.select(slice(None))
    named.detector = "mediapipe"
    named.visibility[:60, [L.LEFT_ELBOW, L.LEFT_WRIST]] = 0.1
    mpp, _ = metres_per_pixel(named)
    out = lift.lift_arms(named, mpp, None)
    left = [L.LEFT_ELBOW, L.LEFT_WRIST]
    np.testing.assert_array_equal(out.body_world[:60, left], named.body_world[:60, left])
    assert not np.allclose(out.body_world[60:, L.LEFT_WRIST], named.body_world[60:, L.LEFT_WRIST])
    np.testing.assert_array_equal(out.body_world[:, L.LEFT_SHOULDER],
                                  named.body_world[:, L.LEFT_SHOULDER])


def test_the_trained_weights_are_what_the_fit_runs():
    """A direction that is a known function of the features is learnt, and the numpy network
    the fit runs on the exported weights gives it back (a transposed or misordered layer
    would not); several networks in one file are averaged, each read whole."""
    pytest.importorskip("torch")
    from train_arm_lifter import ensemble, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 12))
    mix = rng.normal(size=(12, 6))
    y = (x @ mix / 3 + np.array([0, -1, 0.5, 0, 0.5, 1])).reshape(-1, 2, 3)
    y /= np.linalg.norm(y, axis=-1, keepdims=True)
    members = [train(x, y, epochs=30, seed=seed, log=lambda _: None) for seed in (0, 1)]
    as_read = lambda w: lift.ArmLifter({k: np.asarray(v, np.float64) for k, v in w.items()})
    got = as_read(ensemble(members)).directions(x)
    angle = np.degrees(np.arccos(np.clip(np.sum(got * y, axis=-1), -1, 1)))
    chance = np.degrees(np.arccos(np.clip(np.sum(y[::-1] * y, axis=-1), -1, 1)))
    assert np.median(angle) < 8.0 < np.median(chance)
    alone = [as_read(m).directions(x) for m in members]
    assert not np.allclose(alone[0], alone[1], atol=1e-3)  # two networks, not one read twice
    np.testing.assert_allclose(got, lift.unit(alone[0] + alone[1]), atol=1e-9)


def test_a_lifter_goes_on_learning_from_where_its_file_left_it(tmp_path):
    """Training on from a shipped file (new people's videos added later) starts from each
    member as it was written, keeps its normalisation (the features' scale the fit reads with)
    and learns what the new videos show."""
    pytest.importorskip("torch")
    from train_arm_lifter import ensemble, members_of, train

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 12))

    def directions(mix, offset):
        y = (x @ mix / 3 + offset).reshape(-1, 2, 3)
        return y / np.linalg.norm(y, axis=-1, keepdims=True)

    def error(weights, y):
        lifter = lift.ArmLifter({k: np.asarray(v, np.float64) for k, v in weights.items()})
        got = lifter.directions(x)
        return np.median(np.degrees(np.arccos(np.clip(np.sum(got * y, axis=-1), -1, 1))))

    first = directions(rng.normal(size=(12, 6)), np.array([0, -1, 0.5, 0, 0.5, 1]))
    shipped = ensemble([train(x, first, epochs=20, seed=s, log=lambda _: None) for s in (0, 1)])
    shipped["context"] = np.array(lift.CONTEXT)
    path = tmp_path / "lifter.npz"
    np.savez_compressed(path, **shipped)

    starts, context = members_of(path)
    assert context == list(lift.CONTEXT) and len(starts) == 2
    as_it_was = ensemble([train(x, first, epochs=0, start=s, log=lambda _: None) for s in starts])
    assert abs(error(as_it_was, first) - error(shipped, first)) < 1e-3  # each member read whole

    later = directions(rng.normal(size=(12, 6)), np.array([0.5, -1, 0, 0, 1, 0.5]))
    went_on = ensemble([train(x, later, epochs=15, seed=m, start=s, log=lambda _: None)
                        for m, s in enumerate(starts)])
    np.testing.assert_array_equal(went_on["mean"], shipped["mean"])
    np.testing.assert_array_equal(went_on["scale"], shipped["scale"])
    assert error(went_on, later) < 0.5 * error(shipped, later)


@pytest.mark.parametrize("content", [None, b"not an npz"])
def test_going_on_from_a_file_that_is_no_lifter_is_refused_in_one_line(content, tmp_path):
    import subprocess

    path = tmp_path / "lifter.npz"
    if content is not None:
        path.write_bytes(content)
    recipe = Path(__file__).resolve().parents[2] / "recipes" / "train_arm_lifter.py"
    run = subprocess.run([sys.executable, str(recipe), "--videos", str(tmp_path), "--work",
                          str(tmp_path / "work"), "--init", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f"--init {path}: not an arm lifter")


def test_the_lifted_arm_keeps_its_shoulder_and_its_bones(longer):
    """The lifter gives directions only: every arm the detector saw keeps its shoulder and the
    shot's bone lengths, so the arm is turned, never stretched or moved off the body."""
    named = longer.select(slice(None))
    named.detector = "mediapipe"
    mpp, _ = metres_per_pixel(named)
    up = ik.shot_up(named)
    out = lift.lift_arms(named, mpp, up)
    for joints in ((L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
                   (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST)):
        np.testing.assert_array_equal(out.body_world[:, joints[0]], named.body_world[:, joints[0]])
        for a, b in zip(joints[:-1], joints[1:]):
            length = lambda lm: np.linalg.norm(lm.body_world[:, b] - lm.body_world[:, a], axis=-1)
            np.testing.assert_allclose(length(out), np.median(length(named)), rtol=1e-9)
        turned = np.degrees(np.arccos(np.clip(np.sum(
            lift.unit(out.body_world[:, joints[2]] - out.body_world[:, joints[1]])
            * lift.unit(named.body_world[:, joints[2]] - named.body_world[:, joints[1]]),
            axis=-1), -1, 1)))
        assert np.median(turned) > 0.5  # the lifter gave the forearm, not the detector
