"""A lens stated as phones and cameras state it: the 35 mm equivalent focal length."""

import math

import pytest

from talkrig.motion.lens import check_lens, focal_pixels
from talkrig.motion.errors import TalkrigError


def long_side_view(focal, size):
    return 2 * math.degrees(math.atan(max(size) / 2 / focal))


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (1920, 1080), (640, 480)])
def test_a_lens_sees_across_the_long_side_what_a_phone_says_whichever_way_up(size):
    # a phone's main camera (26 mm) sees 67.3 degrees across the long side of its photos, and a
    # video is cut from them at their full width; 50 mm sees 38.2
    assert long_side_view(focal_pixels(26, size), size) == pytest.approx(67.3, abs=0.1)
    assert long_side_view(focal_pixels(50, size), size) == pytest.approx(38.2, abs=0.1)
    assert focal_pixels(26, size) == focal_pixels(26, size[::-1])  # held either way


def test_a_lens_out_of_range_is_refused_with_the_range():
    assert check_lens(None) is None and check_lens("26") == 26.0
    for wrong in (0, -26, 5, 1000, float("nan"), float("inf")):
        with pytest.raises(TalkrigError, match="from 8 to 800 mm"):
            check_lens(wrong)
    with pytest.raises(TalkrigError, match="in millimetres, got '26mm'"):
        check_lens("26mm")
