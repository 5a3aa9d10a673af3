"""Mixing several channels down to one without losing the speech.

A stereo recording with one channel wired or exported with its polarity inverted sums to
silence: the take would have no words, no lip sync and a speaker standing still. The mixdown
notices the channels cancel and keeps their difference instead.
"""

import logging

import numpy as np
import pytest
import soundfile as sf

from talkrig.inference.audio.decode import decode_audio


@pytest.fixture(scope="module")
def voice(scott_wav):
    """3 s of real speech, 16 kHz mono float32."""
    samples, rate = sf.read(scott_wav, dtype="float32", frames=3 * 16000, start=16000)
    assert rate == 16000
    return samples


def decoded(tmp_path, channels, rate=16000):
    path = tmp_path / "take.wav"
    sf.write(path, np.stack(channels, axis=1), rate, subtype="PCM_24")
    return decode_audio(path).samples


def agreement(a, b):
    """(correlation, level ratio) of two signals of about the same length."""
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    return float(np.corrcoef(a, b)[0, 1]), float(np.sqrt(np.mean(a**2) / np.mean(b**2)))


@pytest.mark.parametrize("other", [-1.0, -0.9], ids=["inverted", "inverted and quieter"])
def test_a_channel_with_inverted_polarity_does_not_cancel_the_speech(voice, other, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        got = decoded(tmp_path, [voice, other * voice])
    corr, level = agreement(got, voice)
    assert corr > 0.999 and level == pytest.approx((1 - other) / 2, rel=0.01)
    assert "polarity inverted" in caplog.text


def test_it_holds_at_another_rate_and_with_more_channels(voice, tmp_path, caplog):
    import soxr

    at_48k = soxr.resample(voice, 16000, 48000).astype(np.float32)
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        got = decoded(tmp_path, [at_48k, -at_48k, at_48k, -at_48k], rate=48000)
    corr, level = agreement(got, voice)
    assert corr > 0.99 and level > 0.5
    assert "polarity inverted" in caplog.text


@pytest.mark.parametrize("second", ["silent", "the same", "a room away"])
def test_ordinary_recordings_are_mixed_to_their_mean(voice, second, tmp_path, caplog):
    rng = np.random.default_rng(0)
    other = {"silent": np.zeros_like(voice), "the same": voice,
             "a room away": 0.6 * np.roll(voice, 40) + 0.01 * rng.standard_normal(len(voice))}[second]
    other = other.astype(np.float32)
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        got = decoded(tmp_path, [voice, other])
    assert np.allclose(got, (voice + other) / 2, atol=1e-4)
    assert "polarity" not in caplog.text


def test_stereo_silence_stays_silent_without_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        got = decoded(tmp_path, [np.zeros(16000, np.float32)] * 2)
    assert not got.any() and "polarity" not in caplog.text
