"""Project exceptions: every error a user can cause is one of these, with a message to act on.

The CLI turns them into one line and exit code 2, the server into a 4xx JSON body, the add-on
into ``self.report``. Never ``assert`` on user input: raise one of these instead.
"""


class TalkrigError(Exception):
    """Base class of every error talkrig reports to a person."""


def brief(value, width=40):
    """``repr(value)`` cut to ``width`` characters, for the value a message echoes: a seed of
    4 000 digits or a 100 KB cell would fill the screen (and a longer int has no repr)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's limit on digits
        return "a number too long to print"
    return text if len(text) <= width else f"{text[:width - 4]}... ({len(text)} characters)"


def did_you_mean(name, choices):
    """" (did you mean 'x'?)" for a name one slip away from one of ``choices``, else "": a
    typed name's likeliest intent, said beside the list of valid ones."""
    import difflib

    near = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.75)
    return f" (did you mean {near[0]!r}?)" if near else ""


class MotionFileError(TalkrigError):
    """A motion file is missing, unreadable or holds something we cannot use."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class OutputFileError(MotionFileError):
    """A file to write that cannot be: a folder of that name, no such folder, no permission
    (a MotionFileError too: most outputs are motion files)."""


class MotionValueError(TalkrigError):
    """Motion data in memory has the wrong shape, type or values."""


class ModelFileError(TalkrigError):
    """A body model file (the user's SMPL-X model) is missing, unreadable or not what we need."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
