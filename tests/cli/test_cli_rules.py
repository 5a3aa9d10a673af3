"""One rule for a frame rate and one for a seed, whichever command (or the server) is given it."""

import numpy as np
import pytest
from support.cli_support import one_line_error, speech  # noqa: F401 (a fixture)

from talkrig.inference.generation.options import MAX_SEED, check_seed
from talkrig.motion import Motion, resample, save_motion
from talkrig.motion.container import check_fps
from talkrig.motion.errors import MotionValueError, TalkrigError

BAD_FPS = ["0", "-30", "nan", "inf", "1e9", "240.5", "1e-300"]
BAD_SEEDS = ["-1", str(2**32), str(2**80)]


def manifest(speech):
    path = speech.with_name("clips.csv")
    path.write_text(f"audio\n{speech.name}\n")
    return path


@pytest.mark.parametrize("fps", BAD_FPS)
def test_every_command_refuses_the_same_frame_rates(fps, capsys, speech, scott_npz, tmp_path):
    rule = "--fps must be a frame rate from 0.01 to 240, got "
    for argv in (["convert", scott_npz, tmp_path / "o.npz"],
                 ["generate", speech, "-o", tmp_path / "o.npz"],
                 ["bake", speech, "-o", tmp_path / "o.bvh"],
                 ["bake-batch", manifest(speech), "--out", tmp_path / "out"]):
        err = one_line_error(capsys, [*argv, "--fps", fps])
        assert err.startswith(f"talkrig {argv[0]}: error: {rule}"), err
    assert not (tmp_path / "o.npz").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_every_command_refuses_the_same_seeds(seed, capsys, speech, tmp_path):
    rule = f"--seed must be a whole number from 0 to {MAX_SEED}, got {seed}"
    for argv in (["generate", speech, "-o", tmp_path / "o.npz"],
                 ["bake", speech, "-o", tmp_path / "o.bvh"],
                 ["eval", "--backend", "procedural", "--audio", speech],
                 ["train", "--backend", "s2v", "--data", tmp_path]):
        assert one_line_error(capsys, [*argv, "--seed", seed]) == f"talkrig {argv[0]}: error: {rule}"


def test_the_last_seed_of_an_evaluation_is_checked_too(capsys, speech):
    err = one_line_error(capsys, ["eval", "--backend", "procedural", "--audio", speech,
                                  "--seed", str(MAX_SEED), "--samples", "2"])
    assert f"the last seed (--seed + --samples - 1) must be a whole number from 0 to {MAX_SEED}" in err


def test_the_rules_themselves():
    assert check_seed(0) == 0 and check_seed(MAX_SEED) == MAX_SEED
    assert check_seed(np.int64(7)) == 7
    for seed in (-1, MAX_SEED + 1, True, 1.5, "7", None):
        with pytest.raises(TalkrigError, match="seed must be a whole number"):
            check_seed(seed)
    assert check_fps(240) == 240.0 and check_fps(np.float32(0.5)) == 0.5
    for fps in (0, -1, 1e-300, 0.0099, 240.001, float("nan"), float("inf"), True, "30", None):
        with pytest.raises(MotionValueError, match="fps must be a frame rate from 0.01 to 240"):
            check_fps(fps)


def test_resampling_never_makes_more_than_an_hour_at_240_fps(tmp_path, capsys):
    """A file may declare any rate from 0.01 fps: 40 frames at 0.01 fps last over an hour."""
    slow = Motion.rest(40, fps=0.01)
    with pytest.raises(MotionValueError, match=r"40 frames at 0.01 fps last 4000 s, which at 240 fps would "
                                    r"be 960000 frames; at most 864000 \(an hour at 240 fps\)"):
        resample(slow, 240)
    assert resample(slow, 0.05).n_frames == 200
    path = tmp_path / "slow.npz"
    save_motion(slow, path)
    err = one_line_error(capsys, ["convert", path, tmp_path / "fast.npz", "--fps", "240"])
    assert "at most 864000 (an hour at 240 fps) are made" in err
