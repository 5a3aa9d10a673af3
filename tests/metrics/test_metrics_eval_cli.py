"""`talkrig eval`: score motion files against a real take, print a table, write JSON."""

import json

import numpy as np
import pytest

from talkrig.cli import main
from talkrig.motion import save_motion

SECONDS = 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory, scott_motion, scott_wav):
    """The first 12 s of the real take (motion and audio) plus two generated stand-ins."""
    import soundfile

    folder = tmp_path_factory.mktemp("eval")
    n = int(SECONDS * scott_motion.fps)
    real = scott_motion[:n]
    samples, rate = soundfile.read(str(scott_wav), dtype="float32")
    soundfile.write(folder / "speech.wav", samples[: SECONDS * rate], rate)
    save_motion(real, folder / "real.npz")
    near = real.copy()
    near.poses[:, 18, 1] -= 0.1  # the left elbow a little more bent throughout
    save_motion(near, folder / "near.npz")
    held = real[:1]
    frozen = held.concatenate([held] * n)
    save_motion(frozen, folder / "frozen.npz")
    save_motion(scott_motion[n : n + 200], folder / "other.npz")
    save_motion(near[:-17], folder / "short.npz")  # mocap that stops 17 frames before its audio
    return folder


def run_eval(capsys, *argv):
    code = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_files_are_scored_against_the_reference(clip, capsys, tmp_path):
    out_json = tmp_path / "scores.json"
    code, out, _ = run_eval(capsys, "--reference", clip / "real.npz", "--audio", clip / "speech.wav",
                            clip / "near.npz", clip / "frozen.npz", "--json", out_json)
    assert code == 0
    assert "beat consistency" in out and "near.npz" in out and "frozen.npz" in out
    data = json.loads(out_json.read_text())
    names = [c["name"] for c in data["columns"]]
    assert names == ["reference", "static pose", "real, shifted", "real, other half", "near.npz", "frozen.npz"]
    assert [c["kind"] for c in data["columns"]] == ["reference"] + ["baseline"] * 3 + ["generated"] * 2
    ref, static, shifted, halves, near, frozen = (c["metrics"] for c in data["columns"])
    assert "l1" not in ref and ref["beat_consistency"] > 0.3  # the real take, scored on its own
    # the baselines: a mean pose is close in joint error but has no dynamics at all ...
    assert static["l1"] < frozen["l1"] and static["frozen_fraction"] == 1.0
    # ... the real motion on the wrong audio moves like the real take but misses its poses
    assert shifted["l1"] > near["l1"] and abs(shifted["angular_speed_ratio"] - 1.0) < 0.15
    notes = {c["name"]: c["notes"] for c in data["columns"]}
    assert any("does not beat the static pose" in n and "L1" in n for n in notes["frozen.npz"])
    assert not any("L1" in n for n in notes["near.npz"])
    assert "does not beat the static pose" in out  # printed under the table
    assert 0 < near["l1"] < frozen["l1"]
    assert near["pck"] > frozen["pck"]
    assert frozen["frozen_fraction"] == 1.0 and frozen["diversity"] == 0.0
    assert near["fkd"] < frozen["fkd"]
    assert frozen["beat_consistency"] == 0.0 < near["beat_consistency"]
    assert data["metrics"]["pck"]["better"] == "higher"
    # posture: a statue stands in the mean pose but has none of the spread; a copy with one
    # elbow a little more bent is near; the real take's other half lies between
    assert near["pose_fd_body"] < halves["pose_fd_body"] < static["pose_fd_body"]
    assert frozen["leg_activity"] == pytest.approx(0.0, abs=1e-9) and frozen["root_travel"] == 0.0
    assert near["root_travel_ratio"] == pytest.approx(1.0) and near["leg_activity_ratio"] == pytest.approx(1.0)
    assert any("pose distance, body" in n for n in notes["frozen.npz"])  # no better than a statue


def test_reference_of_other_audio_gives_no_ground_truth_metrics(clip, capsys):
    code, out, _ = run_eval(capsys, "--reference", clip / "real.npz", clip / "other.npz", "--json", "-")
    assert code == 0
    data = json.loads(out)
    other = next(c for c in data["columns"] if c["name"] == "other.npz")
    assert "l1" not in other["metrics"] and "pck" not in other["metrics"]
    assert other["metrics"]["fkd"] > 0  # the distribution metrics still compare with the real take
    assert "beat_consistency" not in other["metrics"]  # no --audio
    assert any("not the same audio" in note for note in other["notes"])


def test_ground_truth_a_little_shorter_is_compared_on_the_common_frames(clip, capsys):
    code, out, _ = run_eval(capsys, "--reference", clip / "short.npz", "--audio", clip / "speech.wav",
                            clip / "near.npz", "--no-baselines", "--json", "-")
    assert code == 0
    data = json.loads(out)
    near = data["columns"][1]
    assert [c["name"] for c in data["columns"]] == ["reference", "near.npz"]
    assert near["metrics"]["l1"] == pytest.approx(0.0, abs=1e-9)  # the same frames, where both have them
    assert any("on the 343 frames both have" in note for note in near["notes"])


def test_mistakes_are_one_line_errors(clip, capsys):
    code, _, err = run_eval(capsys)
    assert code == 2 and "give motion files" in err
    code, _, err = run_eval(capsys, clip / "missing.npz")
    assert code == 2 and "missing.npz: no such file" in err
    code, _, err = run_eval(capsys, "--backend", "procedural")
    assert code == 2 and "--backend needs --audio" in err
    code, _, err = run_eval(capsys, "--backend", "procedural", "--audio", clip / "speech.wav", "--samples", "0")
    assert code == 2 and "--samples" in err
    assert len(err.strip().splitlines()) == 1


def test_backend_is_generated_and_scored(clip, capsys, scott2_wav):
    code, out, err = run_eval(capsys, "--backend", "procedural", "--audio", clip / "speech.wav",
                              "--reference", clip / "real.npz", "--samples", "2", "--json", "-",
                              "--other", scott2_wav)
    assert code == 0, err
    data = json.loads(out)
    assert [c["name"] for c in data["columns"]] == ["reference", "static pose", "real, shifted",
                                                    "real, other half", "procedural"]
    generated = data["columns"][4]
    assert generated["frames"] == int(SECONDS * 30)
    metrics = generated["metrics"]
    assert metrics["multimodality"] > 0  # two seeds, two different motions
    assert 0 <= metrics["pck"] <= 1 and metrics["l1"] > 0  # the reference is of the same audio
    assert np.isfinite(metrics["beat_consistency"]) and np.isfinite(metrics["fkd"])
    assert metrics["frozen_fraction"] < 0.5
    assert generated["seconds_per_sample"] > 0
    assert metrics["seed_diversity"] > 0.02  # radians between the two seeds' poses
    assert metrics["foot_pops"] == 0
    assert 0 < metrics["pause_speed_ratio"] < 1  # calmer in the pauses of the speech
    # same seed on silence and on another recording: the motion changes with the audio
    assert metrics["silence_distance"] > 0.02 and metrics["other_distance"] > 0.02
    assert metrics["silence_speed_ratio"] < 1
