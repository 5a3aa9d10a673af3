"""The exact skeleton from a user's SMPL-X model file, through the smplx package.

SMPL-X model files are licensed and never shipped, so the tests synthesize a small stand-in:
random but valid arrays with every key and shape the smplx package reads (300 vertices instead
of 10475).
"""

import subprocess
import sys

import numpy as np
import pytest

from talkrig.inference.smplx_model import find_model_file, skeleton_from_smplx
from talkrig.motion import PARENTS, ModelFileError
from talkrig.motion.bvh import read_bvh_skeleton

N_VERTS = 300
N_SHAPE = 20  # 10 shape + 10 expression components, like the original SMPL-X release
TOL = 1e-6  # metres; smplx reads the model arrays as float32


def write_stand_in_model(path, seed=0):
    rng = np.random.default_rng(seed)
    n_joints = 55
    kintree = np.stack([PARENTS, np.arange(n_joints)]).astype(np.int64)
    regressor = rng.random((n_joints, N_VERTS))
    weights = rng.random((N_VERTS, n_joints))
    arrays = dict(
        v_template=rng.normal(scale=0.4, size=(N_VERTS, 3)),
        f=rng.integers(0, N_VERTS, size=(2 * N_VERTS, 3)).astype(np.uint32),
        J_regressor=regressor / regressor.sum(1, keepdims=True),
        kintree_table=kintree,
        weights=weights / weights.sum(1, keepdims=True),
        posedirs=rng.normal(scale=1e-3, size=(N_VERTS, 3, (n_joints - 1) * 9)),
        shapedirs=rng.normal(scale=0.02, size=(N_VERTS, 3, N_SHAPE)),
        hands_componentsl=rng.normal(size=(45, 45)),
        hands_componentsr=rng.normal(size=(45, 45)),
        hands_meanl=rng.normal(scale=0.1, size=45),
        hands_meanr=rng.normal(scale=0.1, size=45),
        lmk_faces_idx=rng.integers(0, 2 * N_VERTS, size=51),
        lmk_bary_coords=rng.dirichlet(np.ones(3), size=51),
        dynamic_lmk_faces_idx=rng.integers(0, 2 * N_VERTS, size=(79, 17)),
        dynamic_lmk_bary_coords=rng.dirichlet(np.ones(3), size=(79, 17)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    arrays = write_stand_in_model(root / "smplx" / "SMPLX_NEUTRAL.npz", seed=0)
    write_stand_in_model(root / "smplx" / "SMPLX_MALE.npz", seed=1)
    return root, arrays


def expected_joints(arrays, betas):
    dirs = arrays["shapedirs"][:, :, : len(betas)]
    return arrays["J_regressor"] @ (arrays["v_template"] + np.einsum("vcs,s->vc", dirs, betas))


def test_joints_are_regressed_from_the_shaped_template(model_dir):
    root, arrays = model_dir
    betas = np.linspace(-2.0, 2.0, 10)
    skeleton = skeleton_from_smplx(root, betas)
    np.testing.assert_allclose(skeleton.rest_positions, expected_joints(arrays, betas),
                               rtol=0, atol=TOL)
    np.testing.assert_array_equal(skeleton.parents, PARENTS)
    mean = skeleton_from_smplx(root / "smplx" / "SMPLX_NEUTRAL.npz")  # the file itself, no betas
    np.testing.assert_allclose(mean.rest_positions, arrays["J_regressor"] @ arrays["v_template"],
                               rtol=0, atol=TOL)
    assert np.abs(mean.rest_positions - skeleton.rest_positions).max() > 1e-3


def test_betas_beyond_the_model_are_ignored(model_dir, caplog):
    root, arrays = model_dir
    betas = np.r_[np.full(10, 0.5), np.ones(290)]  # BEAT2-style 300 betas
    skeleton = skeleton_from_smplx(root, betas)
    np.testing.assert_allclose(skeleton.rest_positions, expected_joints(arrays, betas[:10]),
                               rtol=0, atol=TOL)
    assert "betas beyond them are ignored" in caplog.text


def test_gender_picks_the_file(model_dir):
    root, _ = model_dir
    assert find_model_file(root, "male").name == "SMPLX_MALE.npz"
    assert find_model_file(root / "smplx", "neutral").name == "SMPLX_NEUTRAL.npz"
    male = skeleton_from_smplx(root, np.zeros(10), gender="male")
    neutral = skeleton_from_smplx(root, np.zeros(10))
    assert np.abs(male.rest_positions - neutral.rest_positions).max() > 1e-3


def test_convert_writes_the_exact_skeleton(model_dir, scott_npz, tmp_path, capsys):
    from talkrig.cli import main

    root, arrays = model_dir
    out = tmp_path / "exact.bvh"
    assert main(["convert", str(scott_npz), str(out), "--smplx-model", str(root)]) == 0
    betas = np.load(scott_npz)["betas"].astype(np.float32)[:10].astype(np.float64)
    np.testing.assert_allclose(read_bvh_skeleton(out).rest_positions,
                               expected_joints(arrays, betas), atol=1e-5)


@pytest.mark.parametrize("where, message", [
    ("missing", "no such file or folder"),
    ("empty", r"no SMPLX_FEMALE.npz or SMPLX_FEMALE.pkl in this folder"),
    ("text.txt", "not an SMPL-X model file"),
    ("SMPLX_FEMALE.npz", "not a readable SMPL-X model file"),
])
def test_wrong_model_path(tmp_path, where, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text.txt").write_text("x")
    np.savez(tmp_path / "SMPLX_FEMALE.npz", v_template=np.zeros((3, 3)))
    with pytest.raises(ModelFileError, match=message) as err:
        skeleton_from_smplx(tmp_path / where, gender="female")
    assert str(tmp_path / where) in str(err.value)


def test_cli_reports_a_wrong_model_path(scott_npz, tmp_path, capsys):
    from talkrig.cli import main

    code = main(["convert", str(scott_npz), str(tmp_path / "o.bvh"), "--smplx-model",
                 str(tmp_path / "nowhere")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "nowhere: no such file or folder" in err


def test_importing_the_smplx_reader_imports_neither_smplx_nor_torch():
    code = ("import sys, talkrig.motion, talkrig.inference.smplx_model, talkrig.motion.bvh; "
            "print(sorted(m for m in ('torch', 'smplx', 'bpy', 'onnxruntime', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
