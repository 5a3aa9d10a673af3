"""The `vosk` speech engine: recognition with word times from a user-supplied Vosk model."""

from .plugin import VoskSpeech

__all__ = ["VoskSpeech"]
