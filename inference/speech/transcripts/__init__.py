"""Transcripts a person gives: plain text or timed words (TextGrid, SRT/WebVTT/ASS, JSON), read from
a file or given as text. The `transcript` speech engine reads them, and so do the commands,
batch manifests and training data."""

from .errors import TranscriptError
from .formats import detect_format, read_timed_words, read_transcript_file, transcript_text

__all__ = ["TranscriptError", "detect_format", "read_timed_words", "read_transcript_file", "transcript_text"]
