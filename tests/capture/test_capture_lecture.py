"""Capture on a real lecture video (CC BY, ../shared/data/video_ccby): one camera following the
lecturer while the camera operator comes into the foreground, a cut to another person, a cut
back to the lecturer, a cut too short to use. The cuts are found, each shot is judged with its
reason, the lecturer's takes follow the lecturer, and they serve as a motion-matching library."""

import json

import numpy as np
import pytest

from support.shared_data import shared_file
from talkrig.cli import main
from talkrig.inference.capture.pipeline import capture_video
from talkrig.motion import load_motion
from talkrig.motion.lens import LONG_SIDE_MM
from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

pytestmark = pytest.mark.slow

START, END = 58.0, 73.0  # cuts at 67.6, 69.9 and 72.3 s; the operator in view at 58.5-62 s


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    video = shared_file("video_ccby", "physicsworks.webm")
    out = tmp_path_factory.mktemp("lecture")
    return capture_video(video, out, start=START, end=END), out


def test_cuts_split_the_video_into_shots(lecture):
    result, _ = lecture
    bounds = [round(s.start, 1) for s in result.shots[1:]]
    assert np.allclose(bounds, [67.6, 69.9, 72.3], atol=0.15)
    assert result.shots[0].start == START and result.shots[-1].end == pytest.approx(END)


def test_each_shot_is_a_take_or_skipped_with_its_reason(lecture):
    result, out = lecture
    takes = {s.number: s for s in result.shots if s.take}
    skipped = {s.number: s.reason for s in result.shots if not s.take}
    assert sorted(takes) == [1, 3]  # the lecturer, before and after the cut-away
    assert skipped[2] and "too short" in skipped[4]
    for s in takes.values():
        motion = load_motion(out / f"{s.take}.npz")
        assert motion.n_frames == round((s.end - s.start) * 30)
        assert (out / f"{s.take}.wav").exists()
    summary = json.loads((out / "physicsworks.capture.json").read_text())
    assert [bool(s.get("take")) for s in summary["shots"]] == [True, False, True, False]
    assert summary["lens_mm"] is None  # read from each shot


def test_the_lecturer_is_followed_not_the_camera_operator(lecture):
    result, _ = lecture
    fit, _, times = result.fits[1]
    m = fit.motion
    pos = neutral_skeleton().forward_kinematics(m.poses, m.trans)[1]
    pixels = fit.placement.to_pixels(pos, pos[:, 0])
    shoulders = (pixels[:, J["left_shoulder"]] + pixels[:, J["right_shoulder"]]) / 2
    operator_in_view = (times > 58.5) & (times < 62.0)
    # the operator's shoulders are at the bottom edge of the picture; the lecturer's up high
    assert np.all(shoulders[operator_in_view, 1] < 150)
    assert fit.coverage["body"] > 0.9


def test_the_takes_are_a_matching_library(lecture, tmp_path, scott2_wav):
    _, out = lecture
    matched = tmp_path / "matched.npz"
    assert main(["generate", str(scott2_wav), "--library", str(out), "--speech", "none",
                 "-o", str(matched), "--quiet"]) == 0
    assert load_motion(matched).n_frames > 1000


def test_a_stated_lens_is_the_cameras_the_summary_says_so(tmp_path, capsys):
    """`--lens`: the lecture's camera is fitted with the focal length the user states (here a
    long 85 mm lens), recorded in the summary and said with the take; without it, read from the
    shot."""
    video = shared_file("video_ccby", "physicsworks.webm")
    assert main(["capture", str(video), "-o", str(tmp_path), "--start", "60", "--end", "64",
                 "--lens", "85"]) == 0
    assert ", lens 85 mm" in capsys.readouterr().out
    summary = json.loads((tmp_path / "physicsworks.capture.json").read_text())
    camera = json.loads((tmp_path / "physicsworks.camera.json").read_text())
    assert summary["lens_mm"] == 85.0
    assert camera["focal"] == pytest.approx(85 / LONG_SIDE_MM * max(camera["width"], camera["height"]), rel=1e-4)
    assert summary["shots"][0]["focal_px"] == pytest.approx(camera["focal"], abs=0.05)
