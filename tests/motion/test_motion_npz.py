"""SMPL-X motion in npz files: the real BEAT2 take, synthesized AMASS files, and bad files."""

import numpy as np
import pytest

from talkrig.motion import MotionFileError, load_motion, save_motion
from talkrig.motion.npz import npz_bytes, read_npz


def test_real_beat2_take_reads_as_documented(scott_npz):
    m = load_motion(scott_npz)
    raw = np.load(scott_npz)
    assert m.n_frames == 1350 and m.fps == 30 and m.duration == pytest.approx(45.0)
    assert m.poses.shape == (1350, 55, 3) and m.expressions.shape == (1350, 100)
    assert m.betas.shape == (300,) and m.gender == "neutral"
    np.testing.assert_array_equal(m.poses.reshape(1350, 165), raw["poses"])
    np.testing.assert_array_equal(m.jaw_pose, raw["poses"][:, 66:69])
    np.testing.assert_array_equal(m.right_hand_pose.reshape(1350, 45), raw["poses"][:, 120:165])
    np.testing.assert_allclose(m.trans, raw["trans"], atol=1e-6)  # stored as float32


def test_beat2_write_read_round_trip_is_exact(scott_motion, tmp_path):
    path = save_motion(scott_motion, tmp_path / "copy.npz")
    back = load_motion(path)
    for name in ("poses", "trans", "expressions", "betas"):
        np.testing.assert_array_equal(getattr(back, name), getattr(scott_motion, name))
    assert back.fps == 30 and back.gender == "neutral"
    with np.load(path) as data:
        assert set(data.files) >= {"poses", "trans", "betas", "expressions", "model", "gender",
                                   "mocap_frame_rate"}
        assert data["poses"].shape == (1350, 165) and int(data["mocap_frame_rate"]) == 30


def test_npz_bytes_round_trip(scott_motion):
    back = read_npz(npz_bytes(scott_motion[:30]), name="upload.npz")
    np.testing.assert_array_equal(back.poses, scott_motion.poses[:30])


def test_amass_smplx_file(tmp_path):
    rng = np.random.default_rng(3)
    poses = rng.normal(scale=0.2, size=(40, 165)).astype(np.float32)
    path = tmp_path / "amass_smplx_stageii.npz"
    np.savez(path, poses=poses, trans=rng.normal(size=(40, 3)), betas=rng.normal(size=16),
             gender="female", mocap_frame_rate=120.0, surface_model_type="smplx")
    m = load_motion(path)
    assert m.fps == 120 and m.gender == "female" and m.betas.shape == (16,)
    assert m.n_expressions == 0
    np.testing.assert_array_equal(m.poses.reshape(40, 165), poses)


def test_amass_smplh_file_gets_zero_jaw_and_eyes(tmp_path):
    rng = np.random.default_rng(4)
    poses = rng.normal(scale=0.2, size=(25, 156)).astype(np.float32)
    path = tmp_path / "amass_smplh_poses.npz"
    np.savez(path, poses=poses, trans=np.zeros((25, 3)), betas=np.zeros(16), gender="male",
             mocap_framerate=60.0, dmpls=np.zeros((25, 8)))
    m = load_motion(path)
    assert m.poses.shape == (25, 55, 3) and m.fps == 60
    np.testing.assert_array_equal(m.poses[:, :22].reshape(25, 66), poses[:, :66])
    assert not m.poses[:, 22:25].any()  # jaw and both eyes
    np.testing.assert_array_equal(m.left_hand_pose.reshape(25, 45), poses[:, 66:111])
    np.testing.assert_array_equal(m.right_hand_pose.reshape(25, 45), poses[:, 111:156])


def write_bad(tmp_path, name="bad.npz", **arrays):
    base = dict(poses=np.zeros((8, 165), np.float32), trans=np.zeros((8, 3)),
                mocap_frame_rate=30)
    base.update(arrays)
    path = tmp_path / name
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


@pytest.mark.parametrize("arrays, message", [
    (dict(poses=None), "missing key 'poses'"),
    (dict(poses=np.zeros((8, 99))), r"key 'poses' has shape \(8, 99\)"),
    (dict(trans=np.zeros((7, 3))), r"key 'trans' has shape \(7, 3\); expected \(8, 3\)"),
    (dict(expressions=np.zeros((8,))), "key 'expressions' has shape"),
    (dict(poses=np.zeros((0, 165))), "holds no frames"),
    (dict(mocap_frame_rate=-5), "must be a positive frame rate"),
    (dict(trans=np.array([["a", "b", "c"]] * 8)), "key 'trans' is not numeric"),
    (dict(poses=np.full((8, 165), "x")), r"key 'poses' is not numeric \(dtype <U1\)"),
    (dict(poses=np.full((8, 165), b"1")), "key 'poses' is not numeric"),
    (dict(poses=np.ones((8, 165), bool)), r"key 'poses' is not numeric \(dtype bool\)"),
    (dict(expressions=np.ones((8, 10), complex)), "key 'expressions' is not numeric"),
    (dict(gender=np.array([1, 2])), "key 'gender' must be text such as 'neutral'"),
    (dict(poses=np.full((8, 165), np.nan)), "poses holds a NaN"),
    (dict(mocap_frame_rate=1e-300), "fps must be a frame rate from 0.01 to 1000, got 1e-300"),
    (dict(mocap_frame_rate=5000.0), "fps must be a frame rate from 0.01 to 1000"),
    (dict(trans=np.full((8, 3), 1e38, np.float32)), "trans holds 1e.38 .*beyond any motion"),
])
def test_bad_npz_content_names_file_and_problem(tmp_path, arrays, message):
    path = write_bad(tmp_path, **arrays)
    with pytest.raises(MotionFileError, match=message) as err:
        load_motion(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_truncated_npz(scott_npz, tmp_path):
    path = tmp_path / "cut.npz"
    path.write_bytes(scott_npz.read_bytes()[:50_000])
    with pytest.raises(MotionFileError, match="not a readable npz file") as err:
        load_motion(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("name, message", [
    ("take.txt", "unknown motion file type '.txt'"),
    ("missing.npz", "no such file"),
])
def test_unknown_type_and_missing_file(tmp_path, name, message):
    (tmp_path / "take.txt").write_text("hello")
    with pytest.raises(MotionFileError, match=message):
        load_motion(tmp_path / name)


def test_save_refuses_unknown_type_and_missing_folder(scott_motion, tmp_path):
    with pytest.raises(MotionFileError, match="cannot write '.fbx'"):
        save_motion(scott_motion, tmp_path / "x.fbx")
    with pytest.raises(MotionFileError, match="does not exist"):
        save_motion(scott_motion, tmp_path / "no" / "x.npz")
