"""Reading word times users already have: TextGrid, SRT, WebVTT, JSON; and their errors."""

import json

import numpy as np
import pytest

from talkrig.cli import main
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.phoneset import arpabet
from talkrig.inference.speech.words import Phone
from talkrig.inference.speech.transcripts import (
    TranscriptError, detect_format, read_timed_words, read_transcript_file,
)
from talkrig.inference.speech.transcripts.formats import read_words
from talkrig.inference.speech.transcripts.syllables import count_syllables, spread_words
from talkrig.inference.speech.transcripts.textgrid import read_textgrid, word_intervals


@pytest.fixture(scope="module")
def ten_seconds():
    return decode_audio(np.zeros(160000, np.float32), name="quiet.wav")


def test_textgrid_long_and_short_forms(scott2_textgrid, mfa_textgrid):
    long_form = word_intervals(read_transcript_file(scott2_textgrid))
    assert long_form[:3] == [(1.45, 1.87, "so"), (1.87, 2.02, "when"), (2.02, 2.13, "i")]
    assert len(long_form) == 201  # 223 intervals, pauses left out
    short_form = word_intervals(read_transcript_file(mfa_textgrid))
    assert short_form[0] == (1.05, 1.2, "this") and "yknow" in [w for _, _, w in short_form]
    tiers = read_textgrid(read_transcript_file(mfa_textgrid))
    assert [(t.name, t.kind) for t in tiers] == [("words", "IntervalTier"), ("phones", "IntervalTier")]


def test_textgrid_in_utf16_with_quotes(tmp_path):
    text = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 2\ntiers? <exists>\n'
            'size = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n        name = "Word"\n'
            '        xmin = 0\n        xmax = 2\n        intervals: size = 2\n        intervals [1]:\n'
            '            xmin = 0\n            xmax = 0.5\n            text = "say ""cheese"""\n'
            '        intervals [2]:\n            xmin = 0.5\n            xmax = 2\n            text = "café"\n')
    path = tmp_path / "praat.TextGrid"
    path.write_bytes(text.encode("utf-16"))
    assert read_timed_words(read_transcript_file(path), path.name) == [
        ('say "cheese"', 0.0, 0.5, 1.0), ("café", 0.5, 2.0, 1.0)]


def test_truncated_textgrid_names_the_problem(mfa_textgrid):
    text = read_transcript_file(mfa_textgrid)
    with pytest.raises(TranscriptError, match=r"^talk.TextGrid: the file ends before the \w+ of interval \d+ in tier 'words' \(truncated TextGrid\?\)$"):
        read_timed_words(text[: len(text) // 4], "talk.TextGrid")


def test_srt_line_level_is_spread_by_syllables():
    srt = ("1\n00:00:01,000 --> 00:00:03,000\nHello <i>wonderful</i> world\n\n"
           "2\n00:00:04,500 --> 00:00:05,000\nyes\n")
    words = read_timed_words(srt, "talk.srt")
    assert [w for w, *_ in words] == ["Hello", "wonderful", "world", "yes"]
    # 2 + 3 + 1 syllables share two seconds
    assert [round(s, 3) for _, s, _, _ in words[:3]] == [1.0, 1.667, 2.667]
    assert words[2][2] == 3.0 and words[3][1:3] == (4.5, 5.0)


def test_syllable_counts():
    assert [count_syllables(w) for w in ["time", "wonderful", "the", "rhythm", "table", "안녕하세요", "42"]] == \
        [1, 3, 1, 1, 2, 5, 2]
    assert spread_words([], 0, 1) == []


def test_webvtt_with_notes_ids_and_inline_word_times():
    vtt = ("WEBVTT - talk\n\nNOTE written by hand\n\ncue-1\n00:01.000 --> 00:02.000 align:start\n"
           "<v Ann>Good morning</v>\n\n00:00:02.500 --> 00:00:04.000\n"
           "one <00:00:03.000>two <00:00:03.500>three\n")
    words = read_timed_words(vtt, "talk.vtt")
    # "Good" (1 syllable) and "morning" (2) share the cue's second
    assert words[0][:3] == ("Good", 1.0, pytest.approx(4 / 3)) and words[1][:3] == ("morning", pytest.approx(4 / 3), 2.0)
    assert [w[:3] for w in words[2:]] == [("one", 2.5, 3.0), ("two", 3.0, 3.5), ("three", 3.5, 4.0)]


def test_youtube_roll_up_captions_give_each_word_once():
    """YouTube's captions (as yt-dlp saves them): a line of one space above each new line, the
    line before shown again above the next, and flashed alone for 10 ms between them."""
    vtt = ("WEBVTT\nKind: captions\nLanguage: en\n\n"
           "00:00:01.000 --> 00:00:02.990 align:start position:0%\n \n"
           "so<00:00:01.400><c> when</c><00:00:01.800><c> I</c>\n\n"
           "00:00:02.990 --> 00:00:03.000 align:start position:0%\nso when I\n \n\n"
           "00:00:03.000 --> 00:00:05.000 align:start position:0%\nso when I\n"
           "have<00:00:03.500><c> time</c>\n\n"
           "00:00:05.000 --> 00:00:05.010 align:start position:0%\nhave time\n \n")
    words = read_timed_words(vtt, "talk.en.vtt")
    assert [w[:3] for w in words] == [("so", 1.0, 1.4), ("when", 1.4, 1.8), ("I", 1.8, 2.99),
                                      ("have", 3.0, 3.5), ("time", 3.5, 5.0)]


def test_roll_up_lines_said_once_and_a_line_said_twice_kept():
    srt = ("1\n00:00:01,000 --> 00:00:02,000\nwe went out\n\n"
           "2\n00:00:02,000 --> 00:00:03,000\nwe went out\nto the park\n\n"
           "3\n00:00:03,000 --> 00:00:04,000\nto the park\nyes\n\n"
           "4\n00:00:04,000 --> 00:00:04,600\nyes\n")  # said again, shown for a while
    assert [w for w, *_ in read_timed_words(srt, "talk.srt")] == ["we", "went", "out", "to", "the",
                                                                  "park", "yes", "yes"]


def test_webvtt_cue_begun_without_an_empty_line():
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nfirst\n00:02.000 --> 00:03.000\nsecond\n"
    assert [w[:3] for w in read_timed_words(vtt, "talk.vtt")] == [("first", 1.0, 2.0), ("second", 2.0, 3.0)]


ASS = ("\ufeff[Script Info]\n; Script generated by Aegisub 3.2.2\nScriptType: v4.00+\n\n"
       "[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Default,Arial,48\n\n"
       "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
       "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,a note, not said\n"
       "Dialogue: 0,0:00:01.00,0:00:03.00,Default,Ann,0,0,0,,Hello, {\\i1}wonderful{\\i0}\\Nworld\n"
       "Dialogue: 0,0:00:04.50,0:00:05.00,Default,,0,0,0,,{\\an8}yes [laughs]\n")




@pytest.mark.parametrize("broken, message", [
    (ASS.replace("0:00:04.50", "4.5 s"), "talk.ass: line 13: cannot read the time '4.5 s' (expected 0:00:01.50)"),
    (ASS.replace(", Effect, Text", ", Text, Effect"), "talk.ass: line 10: the events' Format must name Start, End"),
    (ASS.split("Dialogue")[0], "talk.ass: holds no Dialogue lines with words"),
])
def test_broken_ass_subtitles_name_the_line(broken, message):
    with pytest.raises(TranscriptError) as error:
        read_timed_words(broken, "talk.ass")
    assert str(error.value).startswith(message)


TTML = ('<?xml version="1.0" encoding="UTF-8"?><tt xmlns="http://www.w3.org/ns/ttml" '
        'xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" ttp:tickRate="10000000">'
        '<body><div><p begin="00:00:01.000" end="00:00:03.000">Hello <span>wonderful</span><br/>world</p>'
        '<p begin="00:00:04:10" dur="0.5s">yes [laughs]</p><p begin="60000000t" end="62000000t">again</p>'
        '</div></body></tt>')


SBV = "0:00:01.000,0:00:03.000\nHello wonderful\nworld\n\n0:00:03.500,0:00:04.000\n[Music]\n\n0:00:04.500,0:00:05.000\n>> yes\n"


@pytest.mark.parametrize("text, name, kind, words, starts", [
    (ASS, "talk.ass", "ass", ["Hello,", "wonderful", "world", "yes"], [1.0, 1.667, 2.667, 4.5]),
    (SBV, "captions.sbv", "sbv", ["Hello", "wonderful", "world", "yes"], [1.0, 1.667, 2.667, 4.5]),
    (TTML, "captions.dfxp", "ttml", ["Hello", "wonderful", "world", "yes", "again"],
     [1.0, 1.667, 2.667, 4.4, 6.0]),  # 00:00:04:10 is 10 frames at 25 fps; 60000000 ticks 6 s
], ids=["ass from aegisub", "sbv from youtube", "ttml"])
def test_subtitle_formats_share_each_lines_time(text, name, kind, words, starts):
    """2 + 3 + 1 syllables share the first line's two seconds, as SRT lines do."""
    assert detect_format(text) == kind == detect_format("anything", name)
    read = read_timed_words(text, name)
    assert [w for w, *_ in read] == words and [round(s, 3) for _, s, _, _ in read] == starts


def test_ttml_times_in_every_form():
    words = read_timed_words(TTML, "captions.ttml")
    assert words[3][2] == pytest.approx(4.9) and words[4][2] == pytest.approx(6.2)  # dur, ticks
    with pytest.raises(TranscriptError, match="cannot read the time '4.5 seconds'"):
        read_timed_words(TTML.replace('dur="0.5s"', 'dur="4.5 seconds"'), "captions.ttml")
    with pytest.raises(TranscriptError, match="ttp:frameRate must be a positive number, got '25 fps'"):
        read_timed_words(TTML.replace('ttp:frameRate="25"', 'ttp:frameRate="25 fps"'), "captions.ttml")
    with pytest.raises(TranscriptError, match=r"'again' ends \(5.000 s\) before it starts \(6.000 s\)"):
        read_timed_words(TTML.replace('end="62000000t"', 'end="5s"'), "captions.ttml")


@pytest.mark.parametrize("text, name, message", [
    (SBV.replace("0:00:04.500,0:00:05.000", "0:00:05.000,0:00:04.500"), "captions.sbv", "line 8: the cue ends"),
    (ASS.replace("0:00:04.50,0:00:05.00", "0:00:05.00,0:00:04.50"), "talk.ass", "line 13: the line ends"),
    ("1.0\t2.0\thi\n3.0\t2.5\tthere\n", "labels.txt", "line 2: the label ends"),
    ('{"segments": [{"start": 2, "end": 1, "text": "hi"}]}', "take.json", "segment 1: needs 0 <= start <= end"),
])
def test_a_line_that_ends_before_it_starts_is_named(text, name, message):
    with pytest.raises(TranscriptError) as error:
        read_timed_words(text, name)
    assert message in str(error.value)


def test_gentle_alignment_json():
    """Gentle's output: a word it did not find has no times (timed between its neighbours,
    confidence 0), phones come as durations with their place in the word ("dh_B")."""
    gentle = json.dumps({"transcript": "well the first thing", "words": [
        {"case": "not-found-in-audio", "word": "well", "startOffset": 0, "endOffset": 4},
        {"case": "success", "word": "the", "alignedWord": "the", "start": 1.0, "end": 1.1,
         "phones": [{"phone": "dh_B", "duration": 0.04}, {"phone": "ah_E", "duration": 0.06}]},
        {"case": "not-found-in-audio", "word": "first"},
        {"case": "success", "word": "thing", "start": 1.5, "end": 1.9}]})
    well, the, first, thing = read_words(gentle, "take.json")
    assert (well.start, well.end, well.confidence) == (1.0, 1.0, 0.0)
    assert [(p.phone, p.start, p.end) for p in the.phones] == [("DH", 1.0, pytest.approx(1.04)),
                                                              ("AH", pytest.approx(1.04), pytest.approx(1.1))]
    assert (first.start, first.end, first.confidence) == (1.1, 1.5, 0.0) and thing.confidence == 1.0


def test_audacity_labels():
    labels = ("1.000000\t1.500000\thello\n\\\t300.0\t3000.0\n2.000000\t2.000000\tthere\n"
              "3,5\t5,0\tgood morning [laughs] everyone\n4.000000\t4.200000\t\n")
    assert detect_format(labels, "labels.txt") == "labels" and detect_format("1.0 2.0 hello") == ""
    words = read_timed_words(labels, "labels.txt")
    assert [w[:3] for w in words[:2]] == [("hello", 1.0, 1.5), ("there", 2.0, 2.0)]  # a point label
    assert [w for w, *_ in words[2:]] == ["good", "morning", "everyone"] and words[2][1] == 3.5


def test_json_words_round_trip(tmp_path, ten_seconds):
    data = [{"word": "hello", "start": 0.5, "end": 0.9, "confidence": 0.8}, {"word": "there", "start": 1, "end": 1.4}]
    words = find_words(ten_seconds, "auto", json.dumps(data))
    assert [(w.word, w.start, w.end, w.confidence) for w in words] == [
        ("hello", 0.5, 0.9, 0.8), ("there", 1.0, 1.4, 1.0)]


@pytest.mark.parametrize("text,name,message", [
    ("1\n00:00:01,000 -> 00:00:02,000\nhi\n", "a.srt", "a.srt: line 1: subtitle without a 'start --> end' time line"),
    ("1\n00:00:01 --> 00:00:02,000\nhi\n", "a.srt", "a.srt: line 2: cannot read the times in '00:00:01 --> 00:00:02,000' "
     "(expected 00:00:01,500 --> 00:00:02,000)"),
    ("WEBVTT\n\n00:00:01.000 --> soon\nhi\n", "a.vtt", "a.vtt: line 3: cannot read the times in '00:00:01.000 --> soon' "
     "(expected 00:00:01.500 --> 00:00:02.000)"),
    ("1\n00:00:03,000 --> 00:00:02,000\nhi\n", "a.srt", "a.srt: line 2: the cue ends (2.000 s) before it starts (3.000 s)"),
    ("00:01.000 --> 00:02.000\nhi\n", "a.vtt", "a.vtt: a WebVTT file must start with 'WEBVTT'"),
    ('[{"word": "hi", "start": 1}', "w.json", "w.json: not valid JSON (line 1, column 28"),
    ("[" * 100_000 + "]" * 100_000, "w.json", "w.json: arrays or objects nested too deep to read"),
    ('{"text": "hi"}', "w.json", 'w.json: expected a JSON list of {"word", "start", "end"} objects'),
    ('[{"word": "hi", "start": 1}]', "w.json", "w.json: item 1 ('hi') has no \"end\""),
    ('[{"word": "hi", "start": "1s", "end": 2}]', "w.json", "w.json: item 1 ('hi'): \"start\" must be a number"),
    ('[{"word": "hi", "start": 2, "end": 1}]', "w.json", "w.json: item 1 ('hi'): needs 0 <= start <= end"),
    ('["hi"]', "w.json", "w.json: item 1 is a str, not an object"),
    ('[{"word": "hi", "start": 1, "end": 2, "phones": "HH AY"}]', "w.json",
     "w.json: item 1 ('hi'): \"phones\" must be a list"),
    ('[{"word": "hi", "start": 1, "end": 2, "phones": [{"phone": "Q", "start": 1, "end": 2}]}]',
     "w.json", "w.json: item 1 ('hi'): phone 1 must be an object with an ARPAbet \"phone\""),
    ('[{"word": "hi", "start": 1, "end": 2, "phones": [{"phone": "AY", "start": 1}]}]',
     "w.json", "w.json: item 1 ('hi') phone 1 has no \"end\""),
    ('File type = "ooTextFile"\nObject class = "Pitch"\n', "p.TextGrid", 'p.TextGrid: not a TextGrid'),
])
def test_malformed_transcripts(text, name, message):
    with pytest.raises(TranscriptError) as error:
        read_timed_words(text, name)
    assert str(error.value).startswith(message)


def test_textgrid_phones_tier_gives_each_word_its_phones(mfa_textgrid, scott2_textgrid):
    text = read_transcript_file(mfa_textgrid)
    words = find_words(decode_audio(np.zeros(27 * 16000, np.float32)), "auto", text,
                       {"transcript_name": "acoustic_corpus.TextGrid"})
    tiers = {t.name: t for t in read_textgrid(text)}
    labels = [p for _, _, p in tiers["phones"].items if p]
    assert [p.phone for w in words for p in w.phones] == [p.rstrip("012") for p in labels]
    assert all(w.start <= p.start <= p.end <= w.end for w in words for p in w.phones)
    assert [p.phone for p in words[0].phones] == ["DH", "IH", "S"]  # "this", stress digits gone
    scott = read_words(read_transcript_file(scott2_textgrid), "2_scott_0_2_2.TextGrid")
    five = next(w for w in scott if w.word == "5")
    assert five.phones == ()  # the aligner did not know "5" ("spn"): no phones rather than wrong ones
    assert sum(bool(w.phones) for w in scott) == len(scott) - 1


def test_textgrid_phones_in_ipa_become_arpabet():
    grid = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n1\n<exists>\n2\n'
            '"IntervalTier"\n"words"\n0\n1\n2\n0\n0.5\n"ship"\n0.5\n1\n""\n'
            '"IntervalTier"\n"phones"\n0\n1\n4\n0\n0.1\n"ʃ"\n0.1\n0.3\n"ɪ"\n0.3\n0.5\n"pʰ"\n0.5\n1\n"sil"\n')
    (word,) = read_words(grid, "ipa.TextGrid")
    assert word.phones == (Phone("SH", 0.0, 0.1), Phone("IH", 0.1, 0.3), Phone("P", 0.3, 0.5))
    assert [arpabet(x) for x in ("AH0", "ah", "tʃ", "iː", "sp", "", "Q")] == ["AH", "AH", "CH", "IY", None, None, None]


def test_json_phones_round_trip(ten_seconds):
    data = [{"word": "ma", "start": 1.0, "end": 1.4,
             "phones": [{"phone": "M", "start": 1.0, "end": 1.1}, {"phone": "AA1", "start": 1.1, "end": 1.4}]}]
    (word,) = find_words(ten_seconds, "auto", json.dumps(data))
    assert word.phones == (Phone("M", 1.0, 1.1), Phone("AA", 1.1, 1.4))


def test_format_detection():
    assert detect_format('File type = "ooTextFile"\nObject class = "TextGrid"\n') == "textgrid"
    assert detect_format("WEBVTT\n\n00:01.000 --> 00:02.000\nhi") == "vtt"
    assert detect_format("1\n00:00:01,000 --> 00:00:02,000\nhi") == "srt"
    assert detect_format('[{"word": "hi", "start": 0, "end": 1}]') == "json"
    assert detect_format("[laughs] well, hello there") == ""
    assert detect_format("Hello there, this is my script.") == ""
    assert detect_format("not json at all", name="words.json") == "json"


def test_transcript_of_another_recording_is_refused(ten_seconds):
    srt = "1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:01:15,000 --> 00:01:16,000\nlater\n"
    with pytest.raises(TranscriptError, match=r"^talk.srt: 'later' starts at 75.00 s, after the end of "
                                              r"quiet.wav \(10.00 s\)"):
        find_words(ten_seconds, "transcript", srt, {"transcript_name": "talk.srt"})


def test_transcript_engine_needs_times(ten_seconds):
    with pytest.raises(TranscriptError, match="has no word times"):
        find_words(ten_seconds, "transcript", "just a plain script")


def test_cli_reads_a_textgrid_file(capsys, scott2_wav, scott2_textgrid):
    assert main(["words", str(scott2_wav), "--transcript", str(scott2_textgrid), "--json"]) == 0
    words = json.loads(capsys.readouterr().out)
    assert len(words) == 201
    assert words[0] == {"word": "so", "start": 1.45, "end": 1.87, "confidence": 1.0,
                        "phones": [{"phone": "S", "start": 1.45, "end": 1.64},
                                   {"phone": "OW", "start": 1.64, "end": 1.87}]}


def test_cli_reports_a_broken_transcript_file(capsys, tmp_path, scott2_wav):
    path = tmp_path / "words.json"
    path.write_text('[{"word": "so", "start": 1.45}]')
    assert main(["words", str(scott2_wav), "--transcript", str(path)]) == 2
    assert capsys.readouterr().err.strip() == 'talkrig words: error: words.json: item 1 (\'so\') has no "end"'
