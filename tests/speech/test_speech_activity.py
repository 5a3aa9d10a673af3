"""Speech activity: phrases and pauses found on real recordings, also noisy, quiet or rumbling
ones made from them here, checked against the forced alignments' word timings."""

import numpy as np
import pytest

from talkrig.inference.features.activity import close_gaps, pause_weight, phrases, speech_activity
from talkrig.motion.runs import true_runs
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import compute_features
from talkrig.inference.speech.transcripts.textgrid import word_intervals

FPS = 30.0
PHRASE_GAP = round(0.35 * FPS)  # pauses shorter than this are inside a phrase


def _truth(textgrid, n):
    mask = np.zeros(n, bool)
    for start, end, _ in word_intervals(textgrid.read_text(encoding="utf-8")):
        mask[int(start * FPS):int(np.ceil(end * FPS))] = True
    return close_gaps(mask, PHRASE_GAP)


def _variant(x, kind, rng):
    """The recording as a user might have it: hiss, a far microphone, a hall."""
    speech_power = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
    if kind == "clean":
        return x
    if kind == "hiss_5db":
        return x + rng.normal(0.0, np.sqrt(speech_power / 10 ** 0.5), x.shape)
    if kind == "quiet":  # -40 dB, then 16-bit samples with a little noise
        return np.round((x * 0.01 + rng.normal(0.0, 2e-5, x.shape)) * 32767) / 32767
    if kind == "rumble":  # low-frequency room noise at 8 dB SNR and mains hum
        walk = np.cumsum(rng.normal(0.0, 1.0, x.shape))
        walk -= np.convolve(walk, np.ones(801) / 801, "same")
        walk *= np.sqrt(speech_power / 10 ** 0.8) / walk.std()
        hum = 0.3 * np.sqrt(speech_power) * np.sin(2 * np.pi * 50.0 * np.arange(len(x)) / 16000)
        return x + walk + hum
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["clean", "hiss_5db", "quiet", "rumble"])
@pytest.mark.parametrize("recording", ["scott", "scott2", "mfa"])
def test_phrases_and_pauses_on_real_and_degraded_recordings(recording, kind, request):
    wav = request.getfixturevalue(f"{recording}_wav")
    textgrid = request.getfixturevalue(f"{recording}_textgrid")
    audio = decode_audio(wav)
    x = _variant(audio.samples.astype(np.float64), kind, np.random.default_rng(0))
    features = compute_features(x, audio.sample_rate, FPS)
    found = close_gaps(speech_activity(features), PHRASE_GAP)
    truth = _truth(textgrid, features.n_frames)
    # speech is found: no phrase goes (mostly) unheard, which would leave a speaker idle
    assert found[truth].mean() > 0.85
    assert min(found[a:b].mean() for a, b in true_runs(truth)) > 0.65
    # and the pauses are heard as pauses
    pauses = [(a, b) for a, b in true_runs(~truth) if b - a >= 0.5 * FPS]
    assert pauses
    assert np.mean([1.0 - found[a:b].mean() for a, b in pauses]) > 0.7


def test_pure_noise_and_silence_hold_no_phrase():
    rng = np.random.default_rng(1)
    for x in (np.zeros(16000 * 3), rng.normal(0.0, 0.05, 16000 * 3)):
        features = compute_features(x, 16000, FPS)
        assert speech_activity(features).mean() < 0.1


def test_words_count_as_speech():
    from talkrig.inference.speech.words import Word

    features = compute_features(np.zeros(16000 * 4), 16000, FPS)
    active = speech_activity(features, [Word("hello", 1.0, 1.6)])
    assert active[int(1.1 * FPS):int(1.5 * FPS)].all() and not active[:int(0.9 * FPS)].any()


def test_phrases_and_pause_weight():
    speaking = np.zeros(300, bool)
    speaking[30:120] = True
    speaking[126:200] = True  # a 0.2 s breath: the same phrase
    speaking[240:300] = True  # a 1.3 s pause before this one
    assert np.allclose(phrases(speaking, FPS), [[1.0, 200 / FPS], [8.0, 10.0]])
    w = pause_weight(speaking, FPS)
    assert np.all(w[speaking] == 0.0) and np.all(w[120:126] == 0.0)
    assert w[220] == pytest.approx(1.0) and 0.0 < w[202] < 0.5
    assert w[0] == pytest.approx(1.0)  # before the first word: a pause with speech on one side


@pytest.mark.parametrize("music", ["plucked chords and a drum", "drum loop 90 bpm"])
def test_a_voice_over_with_a_beat_under_it_stays_speech(music, mfa_wav):
    """Music 10 dB under a voice-over: its beat is heard in the onset envelope, but the voice
    is the loudest sound, so the speech keeps its activity (and its words, cut by it)."""
    from support import sound_support as so

    speech = decode_audio(mfa_wav).samples
    make = so.plucked_chords if music.startswith("plucked") else (lambda s: so.drum_loop(s, 90.0, 0))
    under = so.mix(speech, make(len(speech) / 16000 + 0.1)[:len(speech)], 0.0, -10)
    alone = speech_activity(compute_features(speech, 16000, 30.0)).mean()
    assert speech_activity(compute_features(under, 16000, 30.0)).mean() >= 0.65 * alone


def test_words_add_to_the_voice_found_once_and_new_features_are_read_anew(scott_wav):
    """The pipeline, the generator and the face each ask for the speech activity of the same
    features: the sound is read once, each caller's words are laid over a copy of it, and new
    features (a live stream's next chunk) are read afresh."""
    from types import SimpleNamespace

    audio = decode_audio(scott_wav)
    features = compute_features(audio.samples[:10 * audio.sample_rate], audio.sample_rate, FPS)
    plain = speech_activity(features)
    word = SimpleNamespace(start=0.0, end=features.n_frames / FPS)
    assert speech_activity(features, [word]).all()  # words mark their frames as speech...
    np.testing.assert_array_equal(speech_activity(features), plain)  # ...on a copy
    quiet = compute_features(audio.samples[:10 * audio.sample_rate] * 0.0, audio.sample_rate, FPS)
    assert plain.any() and not speech_activity(quiet).any()
