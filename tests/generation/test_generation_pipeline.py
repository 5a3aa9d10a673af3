"""The whole pipeline and `talkrig generate` on real audio: frame counts, progress, cancel,
key poses at spoken words, planted feet, and the errors a user can cause."""

import os
import subprocess
import sys

import numpy as np
import pytest

from talkrig.inference.generation.keyposes import KeyPoseError
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.progress import JobCancelled
from talkrig.inference.registry import PluginError
from talkrig.motion import load_motion, neutral_skeleton
from talkrig.motion.container import frame_count
from talkrig.motion.errors import TalkrigError
from talkrig.motion.metrics.artifacts import foot_sliding, joint_limit_violations
from talkrig.motion.rotations import geodesic_distance

SR = 16000


@pytest.fixture(scope="module")
def samples(scott_wav):
    from talkrig.inference.audio.decode import decode_audio

    return decode_audio(scott_wav).samples


@pytest.mark.parametrize("seconds, fps", [(0.7, 30.0), (3.33, 24.0), (7.91, 25.0), (12.345, 60.0),
                                          (5.0, 29.97)])
def test_exact_frame_count_for_any_duration_and_rate(samples, seconds, fps):
    clip = samples[: int(round(seconds * SR))]
    result = generate(clip, GenerateOptions(speech="none", keyposes="none", fps=fps))
    assert result.motion.fps == fps
    assert result.motion.n_frames == frame_count(len(clip) / SR, fps)


def test_real_take_with_transcript_progress_keyposes_and_feet(scott_wav, scott_textgrid):
    from talkrig.motion.metrics import foot_skate

    stages = []
    result = generate(str(scott_wav), GenerateOptions(seed=11, transcript=scott_textgrid.read_text()),
                      progress=lambda stage, fraction: stages.append((stage, fraction)))
    motion = result.motion
    assert motion.n_frames == 1350 and len(result.words) > 100
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    names = list(dict.fromkeys(s for s, _ in stages))
    assert names == ["decode", "features", "words", "generate", "keyposes", "face", "postprocess",
                     "done"]
    assert joint_limit_violations(motion) == 0.0
    # feet low on the floor move only in steps: less than the real take's 0.018 m/s (its
    # low-lifted steps count there too)
    assert foot_sliding(motion) < 0.018
    _, pos = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)
    # the foot bearing the weight never slides; now and then a small step moves the feet, and
    # they stay about where the body stood
    assert foot_skate(motion) < 0.005
    assert 0.05 < np.ptp(pos[:, [7, 8]][..., [0, 2]], axis=0).max() < 1.0


def test_words_only_finds_the_words_and_stops(scott_wav, scott_textgrid):
    """What the add-on sends when the voice-over is chosen: the words, no motion, progress to
    the end."""
    stages = []
    options = GenerateOptions(transcript=scott_textgrid.read_text(), words_only=True)
    found = generate(str(scott_wav), options, progress=lambda stage, fraction: stages.append(stage))
    assert found.motion is None and len(found.words) > 100
    assert list(dict.fromkeys(stages)) == ["decode", "features", "words", "done"]
    full = generate(str(scott_wav), GenerateOptions(transcript=scott_textgrid.read_text()))
    assert found.words == full.words


def test_a_keyword_triggers_its_pose_at_the_word(scott_wav, scott_textgrid, tmp_path):
    """A dictionary for a word of the take, always inserted: the pose is on at that word."""
    import json

    from talkrig.inference.speech.timing import find_words

    words = find_words(str(scott_wav), "auto", scott_textgrid.read_text())
    word = next(w for w in words if w.word.lower() == "weekends")
    pose = {"right_shoulder": [0.0, 0.3, 1.1], "right_elbow": [0.0, 1.9, 0.0]}
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"entries": [{"words": ["weekend"], "probability": 1.0, "pose": pose}]}))
    result = generate(str(scott_wav), GenerateOptions(transcript=scott_textgrid.read_text(),
                                                      keyposes=str(path)))
    frame = int(np.ceil(word.start * 30))
    for joint, value in ((17, pose["right_shoulder"]), (19, pose["right_elbow"])):
        assert geodesic_distance(result.motion.poses[frame, joint], np.array(value)) < 0.05


def test_words_that_could_not_be_found_leave_a_notice_and_the_take_goes_on(samples):
    """A speech engine that cannot run on automatic speech (here a bad option) gives a take
    without words, and the result says why (the add-on and the batch summary show it)."""
    result = generate(samples[: 3 * SR], GenerateOptions(speech_options={"workers": "x"}, keyposes="none"))
    assert result.words == [] and result.motion.n_frames == 90
    assert len(result.notices) == 1 and "no words found, generating without them" in result.notices[0]
    assert "'workers'" in result.notices[0]


def test_cancel_stops_the_job(scott_wav):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 4  # after a few stage/window checks

    with pytest.raises(JobCancelled):
        generate(str(scott_wav), GenerateOptions(speech="none"), cancelled=cancelled)


def test_errors_a_user_can_cause(scott_wav, tmp_path):
    with pytest.raises(PluginError, match="unknown generator 'nope'; available: .*procedural"):
        generate(str(scott_wav), GenerateOptions(backend="nope"))
    with pytest.raises(PluginError, match=r"unknown generator 'procedual' \(did you mean 'procedural'\?\)"):
        generate(str(scott_wav), GenerateOptions(backend="procedual"))
    with pytest.raises(PluginError, match="no option 'wobble'; valid options: energy"):
        generate(str(scott_wav), GenerateOptions(backend_options={"wobble": 1}))
    with pytest.raises(TalkrigError, match="fps must be a frame rate from 0.01 to 240"):
        generate(str(scott_wav), GenerateOptions(fps=0))
    with pytest.raises(TalkrigError, match="seed must be a whole number from 0 to 4294967295"):
        generate(str(scott_wav), GenerateOptions(seed=-1))
    with pytest.raises(KeyPoseError, match="no such key-pose dictionary"):
        generate(str(scott_wav), GenerateOptions(keyposes=str(tmp_path / "missing.json")))
    with pytest.raises(TalkrigError, match="missing.wav"):
        generate(str(tmp_path / "missing.wav"), GenerateOptions(speech="none"))
    with pytest.raises(TalkrigError, match="calm must be a number from 0 to 1"):
        generate(str(scott_wav), GenerateOptions(calm=3))


@pytest.mark.parametrize("backend", ["procedural", "matching"])
def test_every_backend_calms_in_pauses_and_keeps_its_feet(backend, mfa_wav, scott_npz, scott_wav, tmp_path):
    """Spontaneous speech with pauses: the body moves slower in them than in speech (unless
    calm=0 asks otherwise), and planted feet never pop."""
    from talkrig.inference.features.activity import pause_weight, speech_activity
    from talkrig.motion.metrics import joint_positions
    from talkrig.motion.metrics.feet import foot_pops
    from talkrig.motion.skeleton import UPPER_BODY

    options = {}
    if backend == "matching":
        os.symlink(scott_npz, tmp_path / "t.npz")
        os.symlink(scott_wav, tmp_path / "t.wav")
        options = {"library": str(tmp_path)}
    ratios = {}
    for calm in (1.0, 0.0):
        result = generate(str(mfa_wav), GenerateOptions(backend=backend, speech="none", calm=calm,
                                                        backend_options=options))
        pause = pause_weight(speech_activity(result.features), 30.0)[1:] > 0.5
        p = joint_positions(result.motion, UPPER_BODY)
        speed = np.linalg.norm(np.diff(p, axis=0), axis=-1).mean(axis=1)
        ratios[calm] = speed[pause].mean() / speed[~pause].mean()
        assert foot_pops(result.motion) == 0
    assert ratios[1.0] < 0.75 and ratios[1.0] < ratios[0.0] - 0.1


def test_cli_generate_end_to_end(scott2_wav, scott2_textgrid, scott_npz, scott_wav, tmp_path):
    """`talkrig generate` as a user runs it, with the matching generator over a linked library."""
    lib = tmp_path / "lib"
    lib.mkdir()
    os.symlink(scott_npz, lib / "t.npz")
    os.symlink(scott_wav, lib / "t.wav")
    out = tmp_path / "out.npz"
    cmd = [sys.executable, "-m", "talkrig", "generate", str(scott2_wav), "-o", str(out),
           "--transcript", str(scott2_textgrid), "--fps", "25", "--seed", "3",
           "--library", str(lib), "--option", "variety=0.5", "--words-json", str(tmp_path / "w.json")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "matching" in done.stdout
    motion = load_motion(out)
    assert motion.fps == 25.0 and motion.n_frames == frame_count(62.0, 25)
    assert (tmp_path / "w.json").read_text().count('"word"') > 100


def test_cli_generate_reports_bad_options_in_one_line(scott_wav, tmp_path, capsys):
    from talkrig.cli import main

    code = main(["generate", str(scott_wav), "-o", str(tmp_path / "x.npz"), "--speech", "none",
                 "--option", "energy=9", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "energy" in err
    code = main(["generate", str(scott_wav), "-o", str(tmp_path / "no" / "x.npz"), "--quiet"])
    assert code == 2 and "does not exist" in capsys.readouterr().err
    assert main(["generate", str(scott_wav), "-o", str(tmp_path / "ok.npz"), "--speech", "none",
                 "--keyposes", "none", "--quiet"]) == 0
    assert load_motion(tmp_path / "ok.npz").n_frames == 1350
