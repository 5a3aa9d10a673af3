"""Audio features: exact frame counts, the maths checked against librosa, pitch, onsets, cache."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import (
    CACHE_SIZE, clear_feature_cache, compute_features, features_for,
)
from talkrig.inference.features.spectrum import frames, mel_filterbank
from talkrig.motion.container import frame_count
from talkrig.motion.errors import TalkrigError

SR = 16000
PER_FRAME = ("mel", "mfcc", "onset_strength", "rms", "f0", "voiced")


def noise(seconds, seed=0):
    return 0.1 * np.random.default_rng(seed).standard_normal(int(round(seconds * SR))).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(n_samples=st.integers(min_value=8000, max_value=16000 * 12),
       fps=st.sampled_from([10.0, 12.5, 15.0, 23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 120.0])
       | st.floats(min_value=5.0, max_value=144.0))
def test_every_feature_has_the_motion_frame_count(n_samples, fps):
    features = compute_features(noise(n_samples / SR, seed=n_samples), SR, fps)
    expected = frame_count(n_samples / SR, fps)
    for name in PER_FRAME:
        assert getattr(features, name).shape[0] == expected, name
    assert features.mel.shape == (expected, 64) and features.mfcc.shape == (expected, 28)
    assert np.isfinite(features.mel).all() and np.isfinite(features.mfcc).all()


@settings(max_examples=60, deadline=None)
@given(n_samples=st.integers(min_value=0, max_value=3000), length=st.integers(min_value=1, max_value=1200),
       centers=st.lists(st.integers(min_value=0, max_value=3000), max_size=12))
def test_a_frame_is_the_signal_around_its_centre_with_silence_past_the_ends(n_samples, length, centers):
    """The spectra of the first and last frames hear the recording's edges, not other samples."""
    x = noise(n_samples / SR, seed=length)
    centers = np.array(sorted(c for c in centers if c <= n_samples), np.int64)
    padded = np.concatenate([np.zeros(length, np.float32), x, np.zeros(length, np.float32)])
    expected = np.array([padded[c - length // 2 + length:][:length] for c in centers]).reshape(-1, length)
    got = frames(x, centers, length)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.array_equal(got, expected)


def test_other_sample_rates_keep_the_frame_count():
    x = noise(2.5)[: int(2.5 * 22050)]
    x = np.resize(x, int(2.5 * 22050))
    features = compute_features(x, 22050, 30.0)
    assert features.n_frames == frame_count(2.5, 30.0) and features.sample_rate == 16000


@pytest.mark.parametrize("block", [1, 7, 10**6])
def test_features_do_not_depend_on_how_many_frames_are_computed_at_once(scott2_wav, block, monkeypatch):
    """Spectra, onsets and pitch are made a block of frames at a time (small temporaries the
    allocator reuses); every frame is its own, so a block of one frame or of all of them gives
    the same bits. Real speech with its pauses (pitch searches the voiced frames only)."""
    from talkrig.inference.features import spectrum

    x = decode_audio(scott2_wav).samples[: 9 * SR]
    default = compute_features(x, SR, 30.0)
    monkeypatch.setattr(spectrum, "BLOCK", block)
    changed = compute_features(x, SR, 30.0)
    for name in PER_FRAME + ("onset_times", "voice"):
        np.testing.assert_array_equal(getattr(changed, name), getattr(default, name), err_msg=name)
    assert default.voiced.any() and not default.voiced.all()


def test_mel_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(16000, 1024, 64)
    theirs = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, fmin=0.0, fmax=8000.0)
    assert np.allclose(ours, theirs, atol=1e-6)


def test_mel_and_mfcc_match_librosa_at_an_integer_hop(scott2_wav):
    librosa = pytest.importorskip("librosa")
    from talkrig.inference.audio.decode import normalize_loudness

    x = decode_audio(scott2_wav).samples[: 5 * SR]
    features = compute_features(x, SR, 25.0)  # hop = 640 samples exactly
    y = normalize_loudness(x)
    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=1024, hop_length=640, n_mels=64,
                                         center=True, pad_mode="constant", power=2.0)
    expected = np.log(np.maximum(mel, 1e-10)).T[: features.n_frames]
    loud = expected > -10  # compare where there is energy (float32 round-off dominates below)
    assert np.allclose(features.mel[loud], expected[loud], atol=1e-3)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(np.maximum(mel, 1e-10), ref=1.0, amin=1e-10,
                                                      top_db=None), n_mfcc=13).T[: features.n_frames]
    assert np.allclose(features.mfcc[:, :13], mfcc, atol=0.05)


def test_mfcc_layout_energy_and_deltas():
    x = np.concatenate([noise(1.0) * 0.01, noise(1.0)])
    f = compute_features(x, SR, 30.0)
    energy = f.mfcc[:, 13]
    assert np.allclose(energy, np.log(f.rms.astype(np.float64) ** 2 + 1e-10), atol=1e-4)
    assert np.allclose(f.mfcc[:, 14:], np.gradient(f.mfcc[:, :14].astype(np.float64), axis=0), atol=1e-3)


def test_features_do_not_depend_on_the_recording_level():
    x = noise(3.0)
    loud, quiet = compute_features(x), compute_features(0.05 * x)
    assert np.allclose(loud.mel, quiet.mel, atol=1e-3)
    assert np.allclose(loud.rms, quiet.rms, rtol=1e-3)


def test_rms_over_non_integer_hops():
    t = np.arange(3 * SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    f = compute_features(x, SR, 30.0)  # hop 533.33
    # a steady tone normalised to RMS 0.1 reads 0.1 in every full frame (partial periods aside)
    assert np.allclose(f.rms[1:-1], 0.1, rtol=0.02)
    # three hops are exactly 1600 samples = 20 periods: the frame spans never drift
    assert np.allclose(f.rms[1:-4], f.rms[4:-1], rtol=1e-5)


def harmonic(f0_of_t, seconds, amp=0.3):
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(f0_of_t(t)) / SR
    return (amp * (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.3 * np.sin(3 * phase))).astype(np.float32)


@pytest.mark.parametrize("f0", [85.0, 140.0, 220.0, 380.0])
def test_pitch_of_a_voice_like_tone(f0):
    x = harmonic(lambda t: f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t)), 2.0)
    f = compute_features(x, SR, 30.0)
    truth = f0 * (1 + 0.03 * np.sin(2 * np.pi * 5 * np.arange(f.n_frames) / 30.0))
    core = slice(3, -3)
    assert f.voiced[core].all()
    assert np.median(np.abs(f.f0[core] / truth[core] - 1)) < 0.01


def test_noise_and_silence_are_unvoiced():
    assert compute_features(noise(2.0)).voiced.mean() < 0.1
    silent = compute_features(np.zeros(2 * SR, np.float32))
    assert not silent.voiced.any() and not silent.f0.any()


def test_voicing_follows_real_speech(scott2_wav, scott2_textgrid):
    from talkrig.inference.speech.transcripts.formats import read_transcript_file
    from talkrig.inference.speech.transcripts.textgrid import read_textgrid

    x = decode_audio(scott2_wav).samples[: 15 * SR]
    f = compute_features(x, SR, 30.0)
    phones = next(t for t in read_textgrid(read_transcript_file(scott2_textgrid)) if t.name == "phones")
    vowels = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
    times = np.arange(f.n_frames) / 30.0
    in_vowel = np.zeros(f.n_frames, bool)
    in_pause = np.zeros(f.n_frames, bool)
    for start, end, phone in phones.items:
        inside = (times >= start + 0.02) & (times < end - 0.02)
        if phone.rstrip("012") in vowels:
            in_vowel |= inside
        elif phone in ("", "sil", "sp"):
            in_pause |= inside
    assert f.voiced[in_vowel].mean() > 0.8
    assert f.voiced[in_pause].mean() < 0.3
    assert 70 < np.median(f.f0[f.voiced]) < 250  # an adult male voice


def test_onsets_of_tone_bursts():
    rng = np.random.default_rng(1)
    x = 0.001 * rng.standard_normal(6 * SR).astype(np.float32)
    truth = [0.5, 1.23, 2.0, 2.71, 3.5, 4.02, 5.1]
    t = np.arange(len(x)) / SR
    for i, start in enumerate(truth):
        inside = (t >= start) & (t < start + 0.3)
        local = t[inside] - start
        envelope = np.exp(-local * 6) * np.minimum(1.0, (0.3 - local) / 0.05)  # smooth release
        x[inside] += 0.3 * envelope * np.sin(2 * np.pi * (150 + 40 * i) * local)
    f = compute_features(x)
    assert len(f.onset_times) == len(truth)
    assert np.max(np.abs(f.onset_times - truth)) <= 0.015
    peaks = np.round(np.array(truth) * 30).astype(int)
    assert all(f.onset_strength[p] > 5 * np.median(f.onset_strength) for p in peaks)


def test_features_for_caches_by_hash_and_fps():
    clear_feature_cache()
    audio = decode_audio(noise(1.0))
    first = features_for(audio, 30.0)
    assert features_for(audio, 30.0) is first
    assert first.audio_hash == audio.hash
    assert features_for(audio, 25.0) is not first
    with pytest.raises(ValueError):
        first.mel[0, 0] = 1.0  # shared between callers: read-only
    for seed in range(CACHE_SIZE):
        features_for(decode_audio(noise(1.0, seed=100 + seed)), 30.0)
    assert features_for(audio, 30.0) is not first  # evicted, recomputed
    assert np.array_equal(features_for(audio, 30.0).mel, first.mel)


@pytest.mark.parametrize("fps", [0, -30, float("nan"), "fast"])
def test_bad_fps_is_a_clear_error(fps):
    with pytest.raises(TalkrigError, match="fps must be a frame rate from 0.01 to 240"):
        compute_features(noise(1.0), SR, fps)
