"""The `transcript` speech engine: words with the times the user already has."""

from ....inference.speech.timing import SpeechPlugin
from ....inference.speech.transcripts.errors import TranscriptError
from ....inference.speech.transcripts.formats import detect_format, read_words, subtitle_lines

# A word may start this long after the audio ends (rounding in hand-made files) before the
# transcript is taken to belong to another recording.
END_TOLERANCE = 0.5


class TranscriptSpeech(SpeechPlugin):
    name = "transcript"
    description = ("Reads word times you already have: Praat TextGrid (words tier, and phones "
                   "from its phones tier), SRT, WebVTT or ASS subtitles (word- or line-level; lines "
                   "are spread over their words by syllable count; the auto engine aligns "
                   "lines to the voice instead), or a JSON list of "
                   "{word, start, end[, phones]}.")
    reads_timed = True
    options_schema = {
        "transcript_name": {"type": "string",
                            "description": "file name of the transcript, for messages and to tell "
                                           "its format"},
    }

    def can_read(self, transcript, options=None):
        name = (options or {}).get("transcript_name")
        return bool(transcript) and detect_format(transcript, name) != ""

    def words(self, audio, transcript=None, options=None):
        name = (options or {}).get("transcript_name") or "transcript"
        if not transcript or not transcript.strip():
            raise TranscriptError(name, "the transcript engine needs a transcript with word times")
        words = read_words(transcript, name)
        # a subtitle line begun in the recording may run past its end (subtitles shown late):
        # its words past the end are dropped later, one line saying so; a line begun after the
        # end is another recording's
        lines = subtitle_lines(transcript, name)
        starts = [(w.word, w.start) for w in words] if lines is None else [(l[0][0], l[1]) for l in lines]
        for word, start in starts:
            if start > audio.duration + END_TOLERANCE:
                raise TranscriptError(name, f"'{word}' starts at {start:.2f} s, after the "
                                            f"end of {audio.name} ({audio.duration:.2f} s): is this "
                                            "the transcript of another recording?")
        return words
