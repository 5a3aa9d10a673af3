"""Stage directions, speakers' names and timestamps in a script or captions are not timed as
words: nobody says them, and aligned they took their neighbours' times."""

import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.transcripts.formats import read_timed_words, read_transcript_file
from talkrig.inference.speech.transcripts.textgrid import word_intervals
from talkrig.inference.speech.transcripts.unspoken import spoken_text

SECONDS = 20.0


@pytest.mark.parametrize("written, said, left_out", [
    ("SCOTT: so when [laughs] I (beat) have *sighs* time", "so when I have time",
     ["[laughs]", "(beat)", "*sighs*", "SCOTT:"]),
    ("JOHN (V.O.): hello there", "hello there", ["(V.O.)", "JOHN :"]),
    ("DR. SMITH: hello", "hello", ["DR. SMITH:"]),
    ("Ann: hi\nBob: hello\nAnn: bye", "hi hello bye", ["Ann:", "Bob:", "Ann:"]),
    ("[00:01] so when\n[00:07] I have", "so when I have", ["[00:01]", "[00:07]"]),
    ("00:01 Ann: so when\n00:07 Bob: I have", "so when I have", ["00:01", "Ann:", "00:07", "Bob:"]),
    (">> so when I\n>> have time", "so when I have time", [">>", ">>"]),
    ("- Where were you?\n- Out.", "Where were you? Out.", ["-", "-"]),
    ("♪ la la ♪ and then she said", "and then she said", ["♪ la la ♪"]),
    # YouTube's transcript copied from its panel, a transcription tool's export
    ("0:00\nso when I have\n0:03\ntime off", "so when I have time off", ["0:00", "0:03"]),
    ("[00:00:01.23] Speaker 1: so when\n[00:00:04.10] Speaker 2: I have", "so when I have",
     ["[00:00:01.23]", "[00:00:04.10]", "Speaker 1:", "Speaker 2:"]),
    ("00:00:00:00 - 00:00:05:12\nso when I have\n00:00:05:12 - 00:00:07:00\ntime off", "so when I have time off",
     ["00:00:00:00 - 00:00:05:12", "00:00:05:12 - 00:00:07:00"]),
    ("00:00:00:00 - 00:00:05:12\nSpeaker 1\nSo when I have,\n\n00:00:05:12 - 00:00:07:00\nUnknown\ntime off.",
     "So when I have, time off.", ["00:00:00:00 - 00:00:05:12", "Speaker 1", "00:00:05:12 - 00:00:07:00",
                                   "Unknown"]),
    ("0:00 - 0:02\nhello there\n0:02 - 0:04\nhow are you\n0:04 - 0:05\nfine", "hello there how are you fine",
     ["0:00 - 0:02", "0:02 - 0:04", "0:04 - 0:05"]),  # short lines said, no names between
    ("李雷：你好（笑）\n韩梅梅：你好\n李雷：再见", "你好 你好 再见", ["（笑）", "李雷：", "韩梅梅：", "李雷："]),
    ("【拍手】ありがとうございます", "ありがとうございます", ["【拍手】"]),
    # said: a clock time starting one line, a mixed-case word before a colon, a hyphen
    ("9:30 is when we meet", "9:30 is when we meet", []),
    ("Note: this is said", "Note: this is said", []),
    ("Ann: hi there", "Ann: hi there", []),
    ("e-mail me at 3:30 - or not", "e-mail me at 3:30 - or not", []),
    ("call (555) 123-4567 [beat] now", "call (555) 123-4567 now", ["[beat]"]),
])
def test_what_is_written_but_not_said(written, said, left_out):
    text, dropped = spoken_text(written)
    assert " ".join(text.split()) == said
    assert dropped == left_out


@pytest.fixture(scope="module")
def take(scott_wav, scott_textgrid):
    audio = decode_audio(decode_audio(scott_wav).samples[: int(SECONDS * 16000)], name="take.wav")
    reference = [w for _s, e, w in word_intervals(read_transcript_file(scott_textgrid)) if e <= SECONDS]
    return audio, reference


def test_a_dialogue_script_aligns_as_its_words_alone(take):
    """A script as a dialogue writer hands it over: a speaker's name, a direction in brackets and
    one in parentheses, another speaker, a timestamp: every said word placed, none of theirs."""
    audio, reference = take
    script = ("SCOTT: " + " ".join(reference[:20]) + " [laughs] (pause) " + " ".join(reference[20:45])
              + "\n\n[00:14] INTERVIEWER: " + " ".join(reference[45:]))
    words = find_words(audio, "auto", script)
    clean = find_words(audio, "auto", " ".join(reference))
    assert [w.word for w in words] == reference
    assert [(w.start, w.confidence) for w in words] == [(w.start, w.confidence) for w in clean]


def test_a_script_of_directions_alone_has_no_words(take):
    audio, _ = take
    assert find_words(audio, "auto", "(sighs) [long pause]") == []


def test_captions_sound_cues_and_speaker_marks_are_not_words():
    srt = ("1\n00:00:01,000 --> 00:00:02,000\n[MUSIC PLAYING]\n\n"
           "2\n00:00:02,000 --> 00:00:04,000\n>> SCOTT: so when I\n- have time (laughs)\n")
    assert [w for w, *_ in read_timed_words(srt, "talk.srt")] == ["so", "when", "I", "have", "time"]
