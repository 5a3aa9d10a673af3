"""Capture on a real lecture video (CC BY, ../shared/data/video_ccby): camera cuts between a
wide shot with the lecturer, a shot of another person and close views; the cuts are found,
each shot is judged with its reason, and the lecturer's takes follow the lecturer, not the
person in the foreground."""

import json

import numpy as np
import pytest

from conftest import shared_file
from talkrig.inference.capture.pipeline import capture_video
from talkrig.motion import load_motion

pytestmark = pytest.mark.slow

START, END = 62.0, 76.0  # four cuts: 67.6, 69.9, 72.3, 73.9 s


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    video = shared_file("video_ccby", "physicsworks.webm")
    out = tmp_path_factory.mktemp("lecture")
    return capture_video(video, out, start=START, end=END), out


def test_cuts_split_the_video_into_shots(lecture):
    result, _ = lecture
    bounds = [round(s.start, 1) for s in result.shots[1:]]
    assert len(bounds) == 4
    assert np.allclose(bounds, [67.6, 69.9, 72.3, 73.9], atol=0.15)
    assert result.shots[0].start == START and result.shots[-1].end == pytest.approx(END)


def test_each_shot_is_a_take_or_skipped_with_its_reason(lecture):
    result, out = lecture
    takes = {s.number: s for s in result.shots if s.take}
    skipped = {s.number: s.reason for s in result.shots if not s.take}
    assert sorted(takes) == [1, 3]  # the lecturer at the board, before and after the cut-away
    assert "too short" in skipped[4]
    assert skipped[2] and skipped[5]
    for s in takes.values():
        assert (out / f"{s.take}.npz").exists() and (out / f"{s.take}.wav").exists()
        motion = load_motion(out / f"{s.take}.npz")
        assert motion.n_frames == round((s.end - s.start) * 30)
    summary = json.loads((out / "physicsworks.capture.json").read_text())
    assert [s.get("skipped", "") == "" for s in summary["shots"]] == [True, False, True, False,
                                                                       False]


def test_the_lecturer_is_followed_not_the_person_in_front(lecture):
    result, _ = lecture
    fit, _, times = result.fits[1]
    # the lecturer stands right of the picture's middle; the person in the foreground is at
    # the left edge
    assert np.all(fit.placement.hips[:, 0] > 120)
    assert fit.coverage["body"] > 0.9
