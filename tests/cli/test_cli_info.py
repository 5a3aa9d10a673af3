"""`talkrig info`: what a motion file holds; bad files give one line and exit code 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from talkrig.cli import main
from talkrig.motion import save_motion


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_info_on_the_real_take(capsys, scott_npz):
    code, out, err = run_cli(capsys, "info", scott_npz)
    assert code == 0 and err == ""
    fields = dict(line.split(":", 1) for line in out.splitlines())
    assert fields["frames"].strip() == "1350"
    assert float(fields["fps"]) == 30.0
    assert fields["duration"].strip() == "45.0 s"
    assert fields["joints"].strip() == "55"
    assert fields["expressions"].strip() == "100"


def test_info_json(capsys, scott_npz):
    code, out, _ = run_cli(capsys, "info", scott_npz, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["frames"] == 1350 and summary["fps"] == 30.0


def test_info_on_bvh(capsys, scott_motion, tmp_path):
    path = save_motion(scott_motion[:90], tmp_path / "clip.bvh")
    code, out, _ = run_cli(capsys, "info", path, "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["frames"] == 90 and summary["fps"] == 30.0 and summary["duration"] == "3.0 s"
    assert summary["joints"] == 55 and summary["expressions"] == 0


def bad_inputs(tmp_path, scott_npz):
    """(path, text the one-line error must contain) for every kind of bad input."""
    cases = []

    def npz(name, **arrays):
        base = dict(poses=np.zeros((4, 165), np.float32), trans=np.zeros((4, 3)))
        base.update(arrays)
        path = tmp_path / name
        np.savez(path, **{k: v for k, v in base.items() if v is not None})
        return path

    cases.append((npz("nokey.npz", poses=None, pose=np.zeros((4, 165))), "missing key 'poses'"))
    cases.append((npz("shape.npz", poses=np.zeros((4, 160))), "key 'poses' has shape (4, 160)"))
    cases.append((npz("nan.npz", trans=np.full((4, 3), np.nan)), "trans holds a NaN"))
    cases.append((npz("text.npz", poses=np.full((4, 165), "0.1")), "key 'poses' is not numeric"))
    cases.append((npz("huge.npz", poses=np.full((4, 165), 1e300)), "poses holds a NaN or infinite"))
    cases.append((npz("gender.npz", gender=np.zeros(3)), "key 'gender' must be text"))
    cases.append((tmp_path / "motion.fbx", "unknown motion file type '.fbx'"))
    (tmp_path / "motion.fbx").write_bytes(b"x")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(scott_npz.read_bytes()[:4096])
    cases.append((truncated, "not a readable npz file"))
    other = tmp_path / "other.bvh"
    other.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition "
                     "Zposition Zrotation Xrotation Yrotation\n End Site\n {\n  OFFSET 0 1 0\n }\n"
                     "}\nMOTION\nFrames: 1\nFrame Time: 0.04\n0 0 0 0 0 0\n")
    cases.append((other, "not the SMPL-X 55-joint skeleton: it has 1 joints"))
    malformed = tmp_path / "malformed.bvh"
    malformed.write_text("HIERARCHY\nROOT pelvis\n{\n OFFSET 0 0\n")
    cases.append((malformed, "not a valid BVH file: line 4: OFFSET needs 3 numbers"))
    cases.append((tmp_path / "absent.npz", "no such file"))
    return cases


def test_every_bad_input_is_one_line_and_exit_code_2(capsys, tmp_path, scott_npz):
    for path, message in bad_inputs(tmp_path, scott_npz):
        for command in (["info", path], ["convert", path, tmp_path / "out.npz"]):
            code, out, err = run_cli(capsys, *command)
            assert code == 2, (path, err)
            assert err.count("\n") == 1 and "Traceback" not in err, err
            assert err.startswith(f"talkrig {command[0]}: error: {path}: "), err
            assert message in err, (message, err)
            assert out == ""


def test_installed_script_reports_errors_without_traceback(tmp_path, scott_npz):
    script = Path(sys.executable).with_name("talkrig")
    assert script.exists(), "the talkrig console script is not installed (pip install -e .)"
    bad = tmp_path / "bad.npz"
    np.savez(bad, poses=np.zeros((3, 12)))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    result = subprocess.run([str(script), "info", str(bad)], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (f"talkrig info: error: {bad}: key 'poses' has shape (3, 12); expected "
                             f"(T, 165) for SMPL-X or (T, 156) for SMPL+H\n")
    good = subprocess.run([str(script), "info", str(scott_npz)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert good.returncode == 0 and "1350" in good.stdout and "45.0 s" in good.stdout


def test_no_command_prints_help(capsys):
    code, out, _ = run_cli(capsys)
    assert code == 2 and "convert" in out and "info" in out


@pytest.mark.parametrize("argv", [["info"], ["convert", "only-one.npz"]])
def test_missing_arguments_are_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: talkrig" in capsys.readouterr().err
