"""Errors of capture from video that a person can act on."""

from ...motion.errors import TalkrigError


class CaptureError(TalkrigError):
    """A video that cannot be captured: unreadable, no sound, no person, too short."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
