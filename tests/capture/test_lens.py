"""A lens stated as phones and cameras state it: the 35 mm equivalent focal length."""

import math

import pytest

from talkrig.motion.lens import check_lens, focal_pixels
from talkrig.motion.errors import TalkrigError


def diagonal_view(focal, size):
    return 2 * math.degrees(math.atan(math.hypot(*size) / 2 / focal))


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (1920, 1080), (640, 480)])
def test_a_lens_sees_across_the_diagonal_what_it_sees_on_35_mm_film(size):
    # a phone's main camera (26 mm) sees 79.5 degrees across a 35 mm frame's diagonal
    assert diagonal_view(focal_pixels(26, size), size) == pytest.approx(79.5, abs=0.1)
    # and a 50 mm lens 46.8, whatever the picture's size or way up
    assert diagonal_view(focal_pixels(50, size), size) == pytest.approx(46.8, abs=0.1)


def test_a_lens_out_of_range_is_refused_with_the_range():
    assert check_lens(None) is None and check_lens("26") == 26.0
    for wrong in (0, -26, 5, 1000, float("nan"), float("inf")):
        with pytest.raises(TalkrigError, match="from 8 to 800 mm"):
            check_lens(wrong)
    with pytest.raises(TalkrigError, match="in millimetres, got '26mm'"):
        check_lens("26mm")
