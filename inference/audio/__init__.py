"""Decoding: any speech recording to 16 kHz mono float32, and what a container says of itself."""


def __getattr__(name):
    """One release: ``talkrig.inference.audio`` was the module now at ``audio/decode.py``."""
    from ..moved import forward

    return forward(__name__, "decode", name)
