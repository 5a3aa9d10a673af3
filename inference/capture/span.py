"""The span of a video a capture may be asked for: its frame rate, start and end, checked
alike for the command line, the Python API and the server."""

from ...motion.errors import TalkrigError

LONGEST_POINT = 24 * 3600.0  # a video's latest start or end point, seconds


def check_span(fps, start, end, prefix=""):
    """TalkrigError unless ``fps`` is 1-120 and ``start`` (and ``end``, when given) a span of
    seconds within LONGEST_POINT; ``prefix`` "--" names them as the command line does."""
    if not 1 <= fps <= 120:  # also refuses nan
        raise TalkrigError(f"{prefix}fps must be from 1 to 120, got {fps:g}")
    if not 0 <= start < LONGEST_POINT:
        raise TalkrigError(f"{prefix}start must be a number of seconds from 0 to "
                           f"{LONGEST_POINT:g}, got {start:g}")
    if end is not None and not start < end <= LONGEST_POINT:
        raise TalkrigError(f"{prefix}end must be a number of seconds after {prefix}start "
                           f"({start:g}) and at most {LONGEST_POINT:g}, got {end:g}")
