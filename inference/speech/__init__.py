"""Word timing through speech plugins, the languages, the phone set and the transcripts' readers."""


def __getattr__(name):
    """One release: ``talkrig.inference.speech`` was the module now at ``speech/timing.py``."""
    from ..moved import forward

    return forward(__name__, "timing", name)
