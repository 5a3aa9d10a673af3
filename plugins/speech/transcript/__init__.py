"""The `transcript` speech engine: TextGrid, SRT/WebVTT/ASS and JSON word timings read as they are
(the readers are inference/speech/transcripts)."""

from .plugin import TranscriptSpeech

__all__ = ["TranscriptSpeech"]
