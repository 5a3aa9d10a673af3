"""A lens the user names: its 35 mm equivalent focal length, as phones and cameras state it.

Capture otherwise reads the focal length from the shot (``inference/capture/camera_fit.py``),
and reads it only loosely: a person far from the camera looks nearly the same through any lens.
The head is read along the hips' line of sight with it (``inference/capture/sightline.py``), so
on a long lens or a close crop a focal length read too short turns the head too far
(benchmarks/JOURNAL.md, "A lens the user names"). A stated lens removes the guess. Here, not in
capture, because the Blender add-on checks it too.
"""

import math

from .errors import TalkrigError

# A phone's "35 mm equivalent" gives its 4:3 photos a 35 mm film frame's diagonal (43.3 mm), so
# their long side spans 4/5 of it; a video is cut from the same picture at its full width (16:9
# drops the top and bottom), so the long side is what a video shares with the photo.
LONG_SIDE_MM = 0.8 * math.hypot(36.0, 24.0)  # 34.6 mm
LENS_RANGE_MM = (8.0, 800.0)  # a phone's ultra-wide (13 mm) to a long telephoto, with room
PHONE_LENS_MM = 26.0  # a phone's main camera (24-28 mm): what capture assumes until it knows


def check_lens(mm):
    """``mm`` as a float (None stays None); TalkrigError naming the range otherwise."""
    if mm is None:
        return None
    try:
        value = float(mm)
    except (TypeError, ValueError):
        raise TalkrigError(f"lens must be a focal length in millimetres, got {mm!r}") from None
    lo, hi = LENS_RANGE_MM
    if not lo <= value <= hi:  # also refuses nan
        raise TalkrigError(f"lens must be a 35 mm equivalent focal length from {lo:g} to {hi:g} mm "
                           f"(a phone's main camera: 24-28 mm), got {value:g}")
    return value


def lens_mm(focal, size):
    """The 35 mm equivalent of a focal length of ``focal`` pixels on pictures ``size``: what
    :func:`focal_pixels` turns back into it."""
    return float(focal) / max(size) * LONG_SIDE_MM


def focal_pixels(mm, size):
    """The focal length in pixels of pictures ``size`` (width, height) taken through a lens of
    ``mm`` (35 mm equivalent, as a phone states it: the same angle of view across the long side
    as a 4:3 photo of 35 mm film's diagonal), whichever way up the camera was held."""
    return float(mm) / LONG_SIDE_MM * max(size)
