"""The arm lifter's waist-up training cuts (recipes/waist_up_videos.py) frame a person as one
films themselves at a desk: the head to just under the hips, whoever stands where."""

import numpy as np
import pytest

from talkrig.inference.capture import landmarks as L
from talkrig.inference.capture.landmarks import Landmarks
from support.recipes import load_recipe


@pytest.fixture(scope="module")
def recipe():
    return load_recipe("waist_up_videos")


def standing(x, size=(1280, 720), frames=20):
    """A person standing at pixel column ``x``: nose at 120, shoulders at 200, hips at 420,
    ankles at 700, a little jitter from frame to frame."""
    lm = Landmarks.empty(frames, size)
    rng = np.random.default_rng(0)
    points = {L.NOSE: (x, 120), L.LEFT_SHOULDER: (x + 60, 200), L.RIGHT_SHOULDER: (x - 60, 200),
              L.LEFT_HIP: (x + 35, 420), L.RIGHT_HIP: (x - 35, 420), L.LEFT_ANKLE: (x + 30, 700),
              L.RIGHT_ANKLE: (x - 30, 700)}
    for joint, (px, py) in points.items():
        lm.body_image[:, joint, :2] = np.array([px, py]) + rng.normal(0, 1.5, (frames, 2))
    return lm


@pytest.mark.parametrize("x", [640, 300, 1200, 800])
def test_the_cut_holds_the_head_to_the_hips_and_leaves_the_feet_out(recipe, x):
    box_x, box_y, width, height = recipe.waist_up_box(standing(x))
    assert width % 2 == 0 and height % 2 == 0
    assert abs(width / height - recipe.ASPECT) < 0.02
    assert 0 <= box_x and box_x + width <= 1280 and 0 <= box_y and box_y + height <= 720
    assert box_y <= 120 - 30 and 420 + 30 <= box_y + height < 700  # head and hips in, ankles out
    assert box_x <= x - 60 and x + 60 <= box_x + width  # both shoulders in
    if 2 < box_x and box_x + width < 1278:  # not held in by the picture's edge: centred on them
        assert abs(box_x + width / 2 - x) < 5


def test_a_folder_without_person_videos_is_refused_in_one_line_and_nothing_is_written(recipe, tmp_path,
                                                                                    capsys):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "talk_720p_20s.mp4").write_bytes(b"")  # no truth beside it
    out, work = tmp_path / "cuts", tmp_path / "landmarks"
    assert recipe.main(["--videos", str(tmp_path / "videos"), "--work", str(work), "--out", str(out)]) == 2
    assert "no NAME_720p_*.mp4 with its truth" in capsys.readouterr().err
    assert not out.exists() and not work.exists()
