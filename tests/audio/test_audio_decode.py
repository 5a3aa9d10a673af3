"""Decoding speech files: formats, bit depths, channels, rates, and every bad input a user can give."""

import numpy as np
import pytest
import soundfile as sf
from support.audio_support import encode, tone, user_message

from talkrig.cli import main
from talkrig.inference.audio.decode import (
    AudioError, DecodedAudio, audio_from_array, decode_audio, normalize_loudness,
)
from talkrig.inference.features.compute import compute_features


@pytest.mark.parametrize("fmt,subtype,tolerance", [
    ("WAV", "PCM_U8", 0.02), ("WAV", "PCM_16", 1e-3), ("WAV", "PCM_24", 1e-3), ("WAV", "PCM_32", 1e-3),
    ("WAV", "FLOAT", 1e-3), ("WAV", "DOUBLE", 1e-3), ("FLAC", "PCM_24", 1e-3),
    ("OGG", "VORBIS", 0.05), ("MP3", "MPEG_LAYER_III", 0.08),
])
def test_formats_and_bit_depths_decode_to_16k_mono(fmt, subtype, tolerance):
    x = tone(1.5, 16000)
    audio = decode_audio(encode(x, 16000, fmt, subtype), name=f"tone.{fmt.lower()}")
    assert audio.sample_rate == 16000 and audio.samples.dtype == np.float32
    assert abs(audio.duration - 1.5) < 0.06  # mp3 may pad a frame
    n = min(len(x), len(audio.samples))
    # same level and shape: compare RMS and the correlation with the original
    assert abs(np.sqrt(np.mean(audio.samples ** 2)) - np.sqrt(np.mean(x ** 2))) < tolerance
    if fmt != "MP3":  # mp3 has an encoder delay; level alone is checked
        assert np.corrcoef(audio.samples[:n], x[:n])[0, 1] > 0.98


def test_stereo_44k_is_mixed_down_and_resampled(tmp_path):
    path = tmp_path / "stereo.wav"
    sf.write(path, tone(2.0, 44100, freq=300, channels=2), 44100, subtype="PCM_16")
    audio = decode_audio(path)
    assert (audio.channels, audio.source_rate, audio.sample_rate) == (2, 44100, 16000)
    assert len(audio.samples) == 32000
    expected = tone(2.0, 16000, freq=300) * 0.75  # mean of the two channels
    core = slice(1000, 31000)
    assert np.max(np.abs(audio.samples[core] - expected[core])) < 0.01


def test_path_bytes_and_array_give_the_same_hash(tmp_path):
    x = tone(1.0)
    path = tmp_path / "a.wav"
    sf.write(path, x, 16000, subtype="FLOAT")
    from_path = decode_audio(path)
    assert from_path.name == "a.wav"
    assert decode_audio(path.read_bytes()).hash == from_path.hash
    assert decode_audio(x).hash == from_path.hash
    assert decode_audio(x * 0.5).hash != from_path.hash


def test_integer_and_channels_first_arrays():
    x = tone(1.0)
    ints = np.round(x * 32767).astype(np.int16)
    audio = audio_from_array(ints, 16000)
    assert np.max(np.abs(audio.samples - x)) < 1e-3
    stereo = np.stack([x, x])  # (channels, frames), librosa's layout
    assert np.allclose(decode_audio(stereo, sample_rate=16000).samples, x, atol=1e-6)
    resampled = decode_audio(tone(1.0, 8000), sample_rate=8000)
    assert len(resampled.samples) == 16000


def test_decoded_audio_passes_through_and_pcm16():
    audio = decode_audio(tone(1.0))
    assert decode_audio(audio) is audio
    pcm = np.frombuffer(audio.pcm16(), dtype="<i2")
    assert len(pcm) == 16000 and abs(int(pcm.max()) - round(0.4 * 32767)) <= 2


def test_real_recording(scott2_wav):
    audio = decode_audio(scott2_wav)
    assert audio.duration == pytest.approx(62.0, abs=0.01)
    assert np.isfinite(audio.samples).all()


# --- bad input: the message a user sees ------------------------------------------------------


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert user_message(capsys, path) == "talkrig words: error: empty.wav: the file is empty (0 bytes)"


def test_missing_file(tmp_path, capsys):
    assert "no such file" in user_message(capsys, tmp_path / "nope.wav")


def test_not_audio(tmp_path, capsys):
    path = tmp_path / "notes.wav"
    path.write_text("these are my speaker notes, not a recording\n" * 20)
    assert user_message(capsys, path) == ("talkrig words: error: notes.wav: not an audio file "
                                          "(expected wav, flac, ogg or mp3)")


def test_too_short(tmp_path, capsys):
    path = tmp_path / "blip.wav"
    sf.write(path, tone(0.3), 16000)
    assert user_message(capsys, path) == ("talkrig words: error: blip.wav: the audio is 0.30 s long; "
                                          "at least 0.5 s is needed")


def test_too_long(tmp_path, capsys):
    path = tmp_path / "talk.wav"
    sf.write(path, tone(3.0), 16000)
    message = ("talkrig words: error: talk.wav: the audio is 3.0 s long; the limit is 2.0 s "
               "(raise it with --max-audio-seconds, or max_audio_seconds in Python)")
    assert main(["words", str(path), "--engine", "none", "--max-audio-seconds", "2"]) == 2
    assert capsys.readouterr().err.strip() == message
    assert main(["words", str(path), "--engine", "none", "--max-seconds", "2"]) == 2  # its old name
    assert capsys.readouterr().err.strip() == message
    assert main(["words", str(path), "--engine", "none", "--max-audio-seconds", "4"]) == 0
    ten_minutes_and_a_bit = np.zeros(601 * 100, dtype=np.float32)  # default limit: 10 min
    with pytest.raises(AudioError, match="the audio is 10:01.0 long; the limit is 10:00.0"):
        decode_audio(ten_minutes_and_a_bit, sample_rate=100)
    an_hour_and_a_bit = np.zeros(3601 * 100, dtype=np.float32)  # said in hours, not 60:01.0
    with pytest.raises(AudioError, match="the audio is 1:00:01.0 long; the limit is 10:00.0"):
        decode_audio(an_hour_and_a_bit, sample_rate=100)


def test_nan_samples(tmp_path, capsys):
    x = tone(1.0)
    x[100:110] = np.nan
    path = tmp_path / "broken.wav"
    sf.write(path, x, 16000, subtype="FLOAT")
    assert user_message(capsys, path) == ("talkrig words: error: broken.wav: the audio holds 10 NaN "
                                          "or infinite samples (a damaged float file?)")


def test_silence_is_valid_and_gives_finite_features(tmp_path, capsys):
    path = tmp_path / "pause.wav"
    sf.write(path, np.zeros(32000, np.float32), 16000, subtype="PCM_16")
    assert main(["words", str(path), "--engine", "none"]) == 0
    assert "0 words in 2.00 s of pause.wav" in capsys.readouterr().out
    features = compute_features(decode_audio(path).samples)
    for name in ("mel", "mfcc", "onset_strength", "rms", "f0"):
        assert np.isfinite(getattr(features, name)).all(), name
    assert len(features.onset_times) == 0 and not features.voiced.any()


def test_loudness_normalisation_targets_active_speech():
    speech = tone(2.0, amp=0.02)
    with_pause = np.concatenate([speech, np.zeros(64000, np.float32)])
    out = normalize_loudness(with_pause)
    # the pause does not count: the tone itself reaches -20 dBFS RMS
    assert np.sqrt(np.mean(out[:32000] ** 2)) == pytest.approx(0.1, rel=0.02)
    faint_noise = 1e-6 * np.random.default_rng(0).standard_normal(32000).astype(np.float32)
    assert np.max(np.abs(normalize_loudness(faint_noise))) < 1e-3  # gain is capped at +40 dB
    assert not normalize_loudness(np.zeros(100, np.float32)).any()
    assert isinstance(decode_audio(speech), DecodedAudio)
