"""Subtitles that time lines, not words: their words found where they are said.

A line's time shared among its words puts them a tenth of a second or more from where they are
spoken (the lips close late or early), so "auto" aligns such subtitles to the voice as a script,
and keeps the lines' times only where the script cannot be aligned to this recording.
"""

import numpy as np
import pytest
from support.language_support import onset_errors, revoiced

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.transcripts.formats import read_transcript_file, subtitle_lines
from talkrig.inference.speech.transcripts.textgrid import word_intervals

SECONDS = 24.0


def _stamp(seconds):
    seconds = max(0.0, seconds)
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d},{int(round((seconds - whole) * 1000)) % 1000:03d}"


def _srt(cues):
    return "".join(f"{k}\n{_stamp(start)} --> {_stamp(end)}\n{text}\n\n"
                   for k, (start, end, text) in enumerate(cues, 1))


def _lines(words, per=8, shift=0.0, pad=0.3):
    """Cues of ``per`` words, shown ``pad`` s before the first word and after the last (so
    neighbours overlap, as hand-made subtitles often do), moved by ``shift`` s."""
    groups = [words[i:i + per] for i in range(0, len(words), per)]
    return [(g[0][0] - pad + shift, g[-1][1] + pad + shift, " ".join(w for _, _, w in g)) for g in groups]


@pytest.fixture(scope="module")
def take(scott_wav, scott_textgrid):
    """24 s of a real take and the reference words said in them."""
    audio = decode_audio(decode_audio(scott_wav).samples[: int(SECONDS * 16000)], name="take.wav")
    reference = [w for w in word_intervals(read_transcript_file(scott_textgrid)) if w[1] <= SECONDS - 0.5]
    return audio, reference


def _onset_error(words, reference):
    """The median onset error of ``words`` (the reference's, in any order: lines that overlap
    read as they are interleave their words by time)."""
    remaining = list(words)
    paired = [remaining.pop(next(i for i, w in enumerate(remaining) if w.word == word))
              for _, _, word in reference]
    assert not remaining
    return float(np.median(np.abs([w.start - r[0] for w, r in zip(paired, reference)])))


def test_line_subtitles_are_aligned_to_the_voice(take):
    audio, reference = take
    srt = _srt(_lines(reference))
    notices = []
    aligned = find_words(audio, "auto", srt, {"transcript_name": "take.srt"}, notices=notices)
    shared = find_words(audio, "transcript", srt, {"transcript_name": "take.srt"})
    assert _onset_error(aligned, reference) <= 0.03  # 0.17 s with the lines' times shared
    assert _onset_error(shared, reference) > 0.1
    assert np.mean([bool(w.phones) for w in aligned]) >= 0.9  # the lips get the phones
    assert not [n for n in notices if "could not be aligned" in n]


def test_ass_lines_are_aligned_as_srt_lines_are(take):
    audio, reference = take
    events = "".join(f"Dialogue: 0,0:00:{start:05.2f},0:00:{end:05.2f},Default,,0,0,0,,{text}\n"
                     for start, end, text in _lines(reference, pad=0.0))
    ass = "[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, " \
          "MarginL, MarginR, MarginV, Effect, Text\n" + events
    assert _onset_error(find_words(audio, "auto", ass, {"transcript_name": "take.ass"}), reference) <= 0.03


@pytest.mark.parametrize("with_words", [False, True], ids=["segments", "segments and words"])
def test_a_whisper_transcription_is_aligned_as_lines_are(take, with_words):
    """Whisper's JSON (WhisperX's alike): its segments are lines; its own word times, where it
    has them, are a recogniser's (here 0.12 s late), kept by the transcript engine alone."""
    import json

    audio, reference = take
    segments = [{"id": k, "start": start, "end": end, "text": " " + text}
                for k, (start, end, text) in enumerate(_lines(reference))]
    if with_words:
        for segment, group in zip(segments, [reference[i:i + 8] for i in range(0, len(reference), 8)]):
            segment["words"] = [{"word": " " + w, "start": s + 0.12, "end": e + 0.12, "probability": 0.9}
                                for s, e, w in group]
    text = json.dumps({"text": " ".join(w for _, _, w in reference), "segments": segments, "language": "en"})
    assert _onset_error(find_words(audio, "auto", text, {"transcript_name": "take.json"}), reference) <= 0.03
    read = find_words(audio, "transcript", text, {"transcript_name": "take.json"})
    assert sorted(w.word for w in read) == sorted(w for _, _, w in reference)  # lines overlap
    if with_words:
        assert _onset_error(read, reference) == pytest.approx(0.12, abs=0.011)


def test_ttml_captions_are_aligned(take):
    audio, reference = take
    ps = "".join(f'<p begin="{start:.3f}s" end="{end:.3f}s">{text}</p>' for start, end, text in _lines(reference, pad=0.0))
    ttml = f'<tt xmlns="http://www.w3.org/ns/ttml"><body><div>{ps}</div></body></tt>'
    assert _onset_error(find_words(audio, "auto", ttml, {"transcript_name": "take.ttml"}), reference) <= 0.03


def test_audacity_labels_of_lines_are_aligned(take):
    audio, reference = take
    labels = "".join(f"{start:.6f}\t{end:.6f}\t{text}\n" for start, end, text in _lines(reference, pad=0.0))
    assert _onset_error(find_words(audio, "auto", labels, {"transcript_name": "labels.txt"}), reference) <= 0.03


def test_subtitles_shown_late_all_along_are_still_aligned(take):
    """... and the last line, begun before the recording ends but running past it, is no sign
    of another recording's subtitles."""
    audio, reference = take
    srt = _srt(_lines(reference, shift=2.0))
    assert subtitle_lines(srt, "take.srt")[-1][2] > audio.duration + 1.0
    late = find_words(audio, "auto", srt, {"transcript_name": "take.srt"})
    assert _onset_error(late, reference) <= 0.03
    read = find_words(audio, "transcript", srt, {"transcript_name": "take.srt"})
    assert read[-1].start <= audio.duration < read[-1].end + 1.0


def test_a_named_aligner_keeps_overlapping_lines_in_order(take):
    audio, reference = take
    srt = _srt(_lines(reference, pad=0.6))  # each line shown while the next begins
    assert [w for words, _s, _e in subtitle_lines(srt, "take.srt") for w in words] == [w for _, _, w in reference]
    named = find_words(audio, "pocketsphinx", srt, {"transcript_name": "take.srt"})
    assert [w.word for w in named] == [w for _, _, w in reference]
    assert _onset_error(named, reference) <= 0.03


def test_another_recordings_lines_keep_their_times_with_one_line(take, scott2_textgrid):
    """The lines of another take, timed where this one speaks: the script cannot be aligned,
    so each line's time is shared among its words, and one line says so (not the aligner's
    words it could not place)."""
    audio, reference = take
    other = [w for w in word_intervals(read_transcript_file(scott2_textgrid))][: len(reference)]
    cues = [(start, end, " ".join(w for _, _, w in other[i * 8:(i + 1) * 8]))
            for i, (start, end, _) in enumerate(_lines(reference))]
    srt = _srt(cues)
    notices = []
    words = find_words(audio, "auto", srt, {"transcript_name": "take.srt"}, notices=notices)
    shared = find_words(audio, "transcript", srt, {"transcript_name": "take.srt"})
    assert [(w.word, w.start) for w in words] == [(w.word, w.start) for w in shared]
    assert len(notices) == 1
    assert notices[0].startswith("take.srt: its words could not be aligned to the voice (")
    assert notices[0].endswith("): each line's time is shared among its words")


def test_word_level_subtitles_are_read_as_they_are(take):
    audio, reference = take
    srt = _srt([(start, end, word) for start, end, word in reference])
    assert subtitle_lines(srt, "take.srt") is None
    words = find_words(audio, "auto", srt, {"transcript_name": "take.srt"})
    assert [w.word for w in words] == [w for _, _, w in reference]
    times = [t for w in words for t in (w.start, w.end)]
    assert times == pytest.approx([t for s, e, _ in reference for t in (s, e)], abs=1e-9)


def test_line_subtitles_in_another_language_are_aligned_by_its_reading():
    case = revoiced("de")
    said = [(t, o) for t, o in zip(case.tokens, case.onsets) if o is not None]
    assert len(said) == len(case.tokens)
    cues = []
    for i in range(0, len(said), 6):
        group = said[i:i + 6]
        end = said[i + 6][1] if i + 6 < len(said) else case.audio.duration - 0.1
        cues.append((group[0][1] - 0.3, end, " ".join(t for t, _ in group)))
    srt = _srt(cues)
    aligned, _ = onset_errors(case, find_words(case.audio, "auto", srt, {"transcript_name": "de.srt"}))
    shared, _ = onset_errors(case, find_words(case.audio, "transcript", srt, {"transcript_name": "de.srt"}))
    assert np.median(aligned) <= 0.03
    assert np.median(aligned) < np.median(shared)
