"""Capture end to end on a video with a known answer: a real mocap take performed by the
dressed CC0 avatar (rendered here, never stored), captured back by `talkrig capture` with the
real landmark detector, compared with the take, then trained on, generated from and baked."""

import json

import numpy as np
import pytest
import soundfile as sf

from talkrig.cli import main
from talkrig.motion import load_motion
from talkrig.motion.camera import Camera
from talkrig.motion.metrics.capture import compare_capture
from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

pytestmark = [pytest.mark.slow, pytest.mark.blender]


@pytest.fixture(scope="module")
def takes(character_video, tmp_path_factory):
    video, _ = character_video
    folder = tmp_path_factory.mktemp("takes")
    assert main(["capture", str(video), "-o", str(folder), "--quiet"]) == 0
    return folder


def test_the_capture_gives_back_the_performance(takes, character_video):
    _, truth = character_video
    got = load_motion(takes / "performer.npz")
    assert got.n_frames == truth.n_frames and got.fps == 30.0
    figures = compare_capture(got, truth)
    print(json.dumps(figures, indent=1))
    # Measured on this window with the shipped lifter (2026-11-25): elbows 5.6 degrees (right
    # 9.6, its forearm pointing at the lens; left 3.6), shoulders 3.6; the 15 s benchmark 5.4 /
    # 4.2 (benchmarks/RESULTS.md). The bounds sit 1.5 degrees above the measured figures, so a
    # lifter a third worse fails here.
    assert figures["elbow_deg"] < 7.1
    assert figures["shoulder_deg"] < 5.1
    assert figures["elbow_correlation"] > 0.7 and figures["shoulder_correlation"] > 0.5
    assert figures["wrist_order"] >= 0.9
    assert figures["wrist_deg"] < 20.0  # 15.1 (41.4 before the palm's turn and the shared bend)
    assert figures["fingers_deg"] < 17.5  # 15.0 (19.5 without the fingers' offsets)
    # the shoulder girdle: 3.0 / 4.2 deg, following the truth at 0.80 (6.2 / 9.0 and 0.21 with
    # the collarbones left at rest)
    assert max(figures["girdle_left_deg"], figures["girdle_right_deg"]) < 5.5
    assert figures["girdle_correlation"] > 0.6
    assert figures["jaw_correlation"] > 0.3
    assert figures["largest_jump_m"] <= figures["truth_largest_jump_m"]


def test_an_upright_phone_video_stored_on_its_side_captures_as_shown(character_video, tmp_path):
    """A phone stores an upright video on its side with a display rotation: captured as a
    player shows it, the take and its camera are those of the video as filmed (read as stored,
    the shoulders came out 30-80 degrees off)."""
    from support.capture_support import stored_on_its_side

    video, truth = character_video
    phone = stored_on_its_side(video, tmp_path / "phone.mp4", rotation=-90)
    assert main(["capture", str(phone), "-o", str(tmp_path / "takes"), "--quiet"]) == 0
    figures = compare_capture(load_motion(tmp_path / "takes" / "phone.npz"), truth)
    assert figures["elbow_deg"] < 7.1 and figures["shoulder_deg"] < 5.1  # as the video itself
    camera = Camera.load(tmp_path / "takes" / "phone.camera.json")
    assert (camera.width, camera.height) == (1280, 720)


def test_the_take_is_a_beat2_npz_with_its_speech(takes, character_video, capsys):
    video, truth = character_video
    samples, rate = sf.read(takes / "performer.wav")
    assert rate == 16000 and samples.ndim == 1
    assert abs(len(samples) / rate - truth.n_frames / 30) < 1 / 30
    with np.load(takes / "performer.npz") as data:
        assert data["poses"].shape == (truth.n_frames, 165)
        assert data["expressions"].shape == (truth.n_frames, 100)
        assert str(data["model"]) == "smplx2020" and float(data["mocap_frame_rate"]) == 30
    summary = json.loads((takes / "performer.capture.json").read_text())
    assert [s.get("take") for s in summary["shots"]] == ["performer"]
    assert main(["info", str(takes / "performer.npz")]) == 0
    assert str(truth.n_frames) in capsys.readouterr().out


def test_a_second_run_resumes_instead_of_redoing(takes, character_video, capsys):
    video, _ = character_video
    before = (takes / "performer.npz").stat().st_mtime_ns
    assert main(["capture", str(video), "-o", str(takes)]) == 0
    assert "already captured" in capsys.readouterr().out
    assert (takes / "performer.npz").stat().st_mtime_ns == before


def test_the_camera_written_beside_the_video_sees_the_truth(character_video):
    import av

    video, truth = character_video
    camera = Camera.load(video.with_name("performer.camera.json"))
    pos = neutral_skeleton().forward_kinematics(truth.poses, truth.trans)[1]
    pixels, depth = camera.project(pos)
    assert (camera.width, camera.height) == (1280, 720) and np.all(depth > 0)
    with av.open(str(video)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    x, y = np.round(pixels[0, J["spine3"]]).astype(int)
    r, g, b = first[y, x].astype(int)
    assert b > r + 40  # the chest is the blue shirt, not the grey background


def test_captured_takes_train_generate_and_bake(takes, tmp_path):
    """(The lecture's takes serve as a matching library: tests/capture/test_capture_lecture.py.)"""
    model = tmp_path / "s2v"
    assert main(["train", "--backend", "s2v", "--data", str(takes), "--epochs", "2",
                 "--val-split", "0", "--set", "hidden=32", "--set", "window=64",
                 "--set", "batch=4", "--threads", "1", "-o", str(model)]) == 0
    assert (model / "talkrig_model.json").exists()
    out = tmp_path / "baked.glb"
    assert main(["bake", str(takes / "performer.wav"), "-o", str(out), "--backend", "s2v",
                 "--option", f"model={model}", "--speech", "none"]) == 0
    assert out.stat().st_size > 10000


def test_the_fitted_camera_puts_the_take_where_the_video_shows_the_body(takes, character_video):
    """TAKE.camera.json: the captured joints through the fitted camera land on the true joints
    through the true camera (upper body; median error reported in benchmarks/RESULTS.md)."""
    video, truth = character_video
    fitted = Camera.load(takes / "performer.camera.json")
    real = Camera.load(video.with_name("performer.camera.json"))
    assert (fitted.width, fitted.height, fitted.fps) == (1280, 720, 30.0)
    skeleton = neutral_skeleton()
    seen = fitted.project(skeleton.joint_positions(load_motion(takes / "performer.npz")))[0]
    shown = real.project(skeleton.joint_positions(truth))[0]
    joints = [J[n] for n in ("pelvis", "spine3", "neck", "head", "left_shoulder", "right_shoulder",
                             "left_elbow", "right_elbow", "left_wrist", "right_wrist")]
    error = np.linalg.norm(seen - shown, axis=-1)[:, joints]
    print(f"camera reprojection: median {np.median(error):.1f} px, 90th percentile "
          f"{np.percentile(error, 90):.1f} px of a 720 px high image")
    assert np.median(error) < 0.03 * 720
    # a camera fitted to another take's joints is far off: the figure measures the fit
    other = skeleton.joint_positions(truth[::-1])
    assert np.median(np.linalg.norm(fitted.project(other)[0] - shown, axis=-1)[:, joints]) \
        > 1.5 * np.median(error)
    summary = json.loads((takes / "performer.capture.json").read_text())
    assert summary["shots"][0]["camera_error_px"] < 0.03 * 720
