"""The `transcript` speech engine: TextGrid, SRT/WebVTT and JSON word timings read as they are."""

from .errors import TranscriptError
from .formats import detect_format, read_timed_words, read_transcript_file, transcript_text
from .plugin import TranscriptSpeech

__all__ = ["TranscriptError", "TranscriptSpeech", "detect_format", "read_timed_words", "read_transcript_file",
           "transcript_text"]
