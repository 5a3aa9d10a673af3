"""Language-independent speech timing with eSpeak NG's voices as templates."""

from .plugin import EspeakSpeech

__all__ = ["EspeakSpeech"]
