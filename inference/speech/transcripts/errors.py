"""The error every transcript reader raises: names the file, the line when known, and what is wrong."""

from ....motion.errors import TalkrigError


class TranscriptError(TalkrigError):
    """A transcript (TextGrid, SRT, WebVTT, ASS, JSON words) is malformed or does not fit the audio."""

    def __init__(self, source, problem):
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")
