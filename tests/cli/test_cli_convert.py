"""`talkrig convert`: npz <-> BVH and frame-rate changes, from the command line."""

import numpy as np
import pytest

from talkrig.cli import main
from talkrig.motion import load_motion
from talkrig.motion.bvh import parse_bvh
from talkrig.motion.rotations import geodesic_distance


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_npz_to_bvh_and_back(capsys, scott_npz, scott_motion, tmp_path):
    bvh, npz = tmp_path / "take.bvh", tmp_path / "back.npz"
    code, out, err = run_cli(capsys, "convert", scott_npz, bvh)
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"wrote {bvh}: 1350 frames, 30 fps, 45.0 s"
    assert "100 expression coefficients and 300 betas were left out" in out
    code, out, _ = run_cli(capsys, "convert", bvh, npz)
    assert code == 0 and "note" not in out
    back = load_motion(npz)
    assert back.n_frames == 1350 and back.fps == 30
    assert geodesic_distance(back.poses, scott_motion.poses).max() < 1e-4
    np.testing.assert_allclose(back.trans, scott_motion.trans, atol=1e-5)


@pytest.mark.parametrize("fps, frames", [(24, 1080), (25, 1125), (60, 2700), (12.5, 562)])
def test_frame_rate_change_keeps_duration(capsys, scott_npz, tmp_path, fps, frames):
    out_path = tmp_path / f"take_{fps}.npz"
    code, out, _ = run_cli(capsys, "convert", scott_npz, out_path, "--fps", fps)
    assert code == 0 and f"{frames} frames, {fps:g} fps, 45.0 s" in out
    m = load_motion(out_path)
    assert m.n_frames == frames and m.fps == fps and m.n_expressions == 100


def test_bvh_in_centimetres_at_another_rate(capsys, scott_npz, tmp_path):
    out_path = tmp_path / "take_cm.bvh"
    code, _, _ = run_cli(capsys, "convert", scott_npz, out_path, "--fps", 24, "--units", "cm")
    assert code == 0
    data = parse_bvh(out_path.read_text())
    assert data.values.shape[0] == 1080 and data.frame_time == pytest.approx(1 / 24)
    assert data.offsets[0][1] == pytest.approx(-35.0)  # the pelvis rest height, in cm
    assert load_motion(out_path).n_frames == 1080


@pytest.mark.parametrize("extra, message", [
    (["--fps", "0"], "--fps must be a frame rate from 0.01 to 240, got 0.0"),
    (["--fps", "-30"], "--fps must be a frame rate from 0.01 to 240"),
    (["--fps", "1e9"], "--fps must be a frame rate from 0.01 to 240, got 1000000000.0"),
    (["--fps", "nan"], "--fps must be a frame rate from 0.01 to 240, got nan"),
    (["--fps", "inf"], "--fps must be a frame rate from 0.01 to 240, got inf"),
])
def test_bad_options(capsys, scott_npz, tmp_path, extra, message):
    code, _, err = run_cli(capsys, "convert", scott_npz, tmp_path / "o.npz", *extra)
    assert code == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("target, message", [
    ("o.fbx", "cannot write '.fbx' files; talkrig writes .npz, .bvh; `talkrig bake` animates a "
              "character from a recording or a take and writes .fbx"),
    ("o.xyz", "cannot write '.xyz' files; talkrig writes .npz, .bvh"),
    ("missing/o.bvh", "does not exist"),
])
def test_bad_output_path(capsys, scott_npz, tmp_path, target, message):
    code, _, err = run_cli(capsys, "convert", scott_npz, tmp_path / target)
    assert code == 2 and message in err and str(tmp_path / target) in err


def test_smplx_model_only_for_bvh(capsys, scott_npz, tmp_path):
    code, _, err = run_cli(capsys, "convert", scott_npz, tmp_path / "o.npz",
                           "--smplx-model", tmp_path)
    assert code == 2 and "--smplx-model only applies when writing a .bvh file" in err
