"""The espeak engine on real speech at its edges: the first word after a breath or the room's
noise, real recordings in other languages, and a recording long enough for the banded warp."""

import logging
from pathlib import Path

import numpy as np
import pytest

from talkrig.inference.audio.decode import DecodedAudio, decode_audio
from talkrig.inference.features.spectrum import mel_filterbank, mel_power
from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words
from talkrig.plugins.speech.espeak import alignment, dtw
from talkrig.plugins.speech.espeak.alignment import align

from support.language_support import breath_before, voice_onset

LANGUAGES = Path(__file__).resolve().parents[1] / "data" / "speech_languages"
RECORDINGS = {"es": "spanish_mls_13697_11991_000000.opus", "ja": "japanese_common_voice_24511055.mp3"}


def recording(language):
    """(DecodedAudio, script) of a real recording in ``language``."""
    path = LANGUAGES / RECORDINGS[language]
    return decode_audio(str(path)), path.with_suffix(".txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", sorted(RECORDINGS))
def test_a_real_recordings_first_word_starts_with_the_voice(language):
    audio, script = recording(language)
    words = align(audio, script, language)
    assert abs(words[0].start - voice_onset(audio.samples)) < 0.1
    assert words[0].confidence >= 0.5


@pytest.mark.parametrize("language", sorted(RECORDINGS))
def test_a_breath_before_the_first_word_does_not_start_it(language):
    audio, script = recording(language)
    clean = align(audio, script, language)[0].start
    words = align(breath_before(audio), script, language)
    assert abs(words[0].start - (clean + 1.0)) < 0.12, f"first word at {words[0].start:.2f} s"


def test_a_script_far_longer_than_the_speech_is_noted_in_one_line(caplog):
    audio, script = recording("es")
    with caplog.at_level(logging.WARNING, logger=alignment.__name__):
        align(audio, script, "es")
        assert not caplog.records
        words = align(audio, " ".join([script] * 3), "es")
    assert len(caplog.records) == 1 and "far longer than the speech" in caplog.records[0].getMessage()
    assert "\n" not in caplog.records[0].getMessage()
    assert len(words) == 3 * len(align(audio, script, "es"))


def test_the_voice_floor_leaves_quiet_consonants_and_clicks_alone():
    voiced = np.array([False] * 30 + [True] * 2 + [False] * 10 + [True] * 40)
    # 30 quiet frames, a 20 ms click, more quiet, then the voice: the word starts with the voice
    assert alignment._past_quiet(0, 80, voiced) == 42
    # a weak consonant's 0.1 s before its vowel stays in the word
    assert alignment._past_quiet(32, 80, voiced) == 32
    # nothing voiced before the word's end: the start stays
    assert alignment._past_quiet(0, 30, voiced) == 0


@pytest.fixture(scope="module")
def long_recording(scott_wav, scott_textgrid, scott2_wav, scott2_textgrid):
    """(DecodedAudio of 107 s, script, reference onsets): two real recordings of one speaker in
    one room one after the other, each with its TextGrid (as one long take would be; two rooms
    joined are two noise floors, and speech activity is found against one)."""
    parts, script, onsets, at = [], [], [], 0.0
    for wav, grid in ((scott_wav, scott_textgrid), (scott2_wav, scott2_textgrid)):
        audio = decode_audio(str(wav))
        words = [w for w in read_words(read_transcript_file(grid), grid.name) if w.word.strip()]
        parts.append(audio.samples)
        script += [w.word for w in words]
        onsets += [at + w.start for w in words]
        at += audio.duration
    return DecodedAudio(np.concatenate(parts), 16000, name="two.wav"), " ".join(script), np.array(onsets)


def test_a_long_recording_is_timed_without_drifting(long_recording, monkeypatch):
    audio, script, onsets = long_recording
    cells = []
    path = dtw._path
    monkeypatch.setattr(dtw, "_path", lambda a, b, *rest: cells.append(len(a) * len(b)) or path(a, b, *rest))
    words = align(audio, script, "en-us")
    assert max(cells) > dtw.MAX_CELLS  # the banded warp, not the full grid
    assert len(words) == len(onsets)
    starts = np.array([w.start for w in words])
    assert np.all(np.diff(starts) >= -1e-9)
    errors = np.abs(starts - onsets)
    assert np.median(errors) <= 0.05
    assert np.mean(errors <= 0.1) >= 0.7


def test_the_mel_power_is_the_same_a_chunk_at_a_time(mfa_wav):
    samples = decode_audio(str(mfa_wav)).samples[:16000 * 3]
    centers = np.arange(0, len(samples), 160)
    bank = mel_filterbank(16000, 512, 40)
    whole = mel_power(samples, centers, 512, bank, chunk=len(centers))
    assert np.allclose(mel_power(samples, centers, 512, bank, chunk=7), whole, rtol=1e-5, atol=1e-9)


def _stretched_pair(n, seed=0):
    """(a, b, truth): a smooth random feature sequence of n frames, the same read 1.25 times
    as slowly, and for each frame of b the frame of a it came from."""
    from scipy.ndimage import gaussian_filter1d

    a = gaussian_filter1d(np.random.default_rng(seed).standard_normal((n, 5)), 3.0, axis=0).astype(np.float32)
    truth = np.minimum(np.arange(int(n * 1.25)) / 1.25, n - 1)
    b = np.stack([np.interp(truth, np.arange(n), a[:, k]) for k in range(5)], axis=1).astype(np.float32)
    return a, b, truth


def test_the_warp_holds_memory_linear_in_the_length_and_finds_the_path():
    import tracemalloc

    peaks = []
    for n in (3000, 12000):  # 30 s and 2 min of frames; the full grid of the longer: 180 M cells
        a, b, truth = _stretched_pair(n)
        tracemalloc.start()
        path = np.asarray(dtw.warp(a, b))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert np.median(np.abs(path[:, 0] - truth[path[:, 1]])) <= 2.0  # frames
    # 4x the length: the band adds a few MB to the coarse grid's (the full grid: 7x the peak)
    assert peaks[1] < 2 * peaks[0]
