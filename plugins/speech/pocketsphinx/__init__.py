"""The `pocketsphinx` speech engine: bundled US-English model, forced alignment or free recognition.

The engine class is imported on first use: worker processes that only decode import the
light modules of this package (``decoding``, ``workers``) and start faster without it.
"""

__all__ = ["PocketsphinxSpeech"]


def __getattr__(name):
    if name == "PocketsphinxSpeech":
        from .plugin import PocketsphinxSpeech

        return PocketsphinxSpeech
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
