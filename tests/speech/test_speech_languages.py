"""Scripts in languages other than English, timed by the espeak engine on speech made here.

The recordings are eSpeak NG voice variants (other voices, rates and pitches than the
aligner's template), reverberated and with a noise bed; eSpeak NG's own word events are the
reference onsets (synthetic speech).
"""

import logging

import numpy as np
import pytest

from talkrig.inference.speech.languages import LanguageError, guess_language, normalise
from talkrig.inference.speech.timing import find_words
from talkrig.plugins.speech.espeak import dtw

from support import language_support as ls


@pytest.fixture(scope="module")
def german():
    return ls.revoiced("de", 0)


@pytest.mark.parametrize("language,variant", [("de", 0), ("es", 1), ("ja", 2), ("ru", 0)])
def test_a_script_in_another_language_is_timed_without_naming_it(language, variant):
    case = ls.revoiced(language, variant)
    words = find_words(case.audio, "auto", " ".join(case.tokens))
    errors, placed = ls.onset_errors(case, words)
    assert [w.word for w in words] == list(case.tokens)
    assert placed >= 0.9
    assert np.median(errors) <= 0.05
    assert all(w.phones for w in words if w.confidence >= 0.5)


def test_a_named_language_overrides_the_guess_and_an_unknown_one_is_refused(german):
    script = " ".join(german.tokens)
    words = find_words(german.audio, "espeak", script, language="de")
    assert ls.onset_errors(german, words)[1] >= 0.9
    with pytest.raises(LanguageError, match="does not speak 'xx'"):
        find_words(german.audio, "espeak", script, language="xx")
    with pytest.raises(LanguageError, match="language must be"):
        normalise("German!")


def test_bilabials_of_every_language_close_the_lips():
    for language in ("de", "fr", "cmn"):
        case = ls.revoiced(language, 1)
        words = find_words(case.audio, "auto", " ".join(case.tokens))
        assert ls.lip_closure(case, words) >= 0.8, language
        # without the words, the voice alone closes far fewer of them
        assert ls.lip_closure(case, []) < ls.lip_closure(case, words), language


def test_german_without_a_script_gets_a_notice_and_no_english_words(german, caplog):
    told = []
    with caplog.at_level(logging.WARNING):
        words = find_words(german.audio, "auto", None, {"workers": 1}, notices=told)
    assert words == []
    notices = [r.getMessage() for r in caplog.records if "does not sound like English" in r.getMessage()]
    assert len(notices) == 1 and "\n" not in notices[0]
    assert told == notices  # the caller that shows notices its own way gets the same line
    assert "--language en" in told[0]  # what to do if it is English after all


def test_english_judged_not_english_keeps_its_words_with_the_language_named():
    """English as unsure as another language (here eSpeak NG's voice) loses its words without a
    language; the notice says to name it, and named, the words heard are kept with no notice."""
    case = ls.revoiced("en", 1, seed=1)
    told = []
    assert find_words(case.audio, "auto", None, {"workers": 1}, notices=told) == []
    assert len(told) == 1 and "set the language to en" in told[0]
    told = []
    words = find_words(case.audio, "auto", None, {"workers": 1}, language="en", notices=told)
    assert len(words) >= 8 and told == []


def test_a_named_language_without_a_script_or_its_recogniser_says_what_to_give(german):
    from talkrig.inference.speech.timing import SpeechError

    with pytest.raises(SpeechError, match="no recogniser of 'de' is set up .* give the script"):
        find_words(german.audio, "auto", None, {"workers": 1}, language="de")


def test_a_language_code_no_engine_knows_is_called_a_typo_not_a_missing_model(german):
    """--language dee (meant de): eSpeak NG, which knows its ~100 languages, says no such
    language exists, so the user is told to fix the code rather than to find a model of it."""
    from talkrig.inference.speech.timing import SpeechError

    for typo in ("dee", "xx"):
        with pytest.raises(SpeechError, match=f"no speech engine knows the language '{typo}': "
                                              "give a language code such as de, "):
            find_words(german.audio, "auto", None, {"workers": 1}, language=typo)


def test_the_banded_warp_finds_the_full_warps_path(monkeypatch):
    rng = np.random.default_rng(0)
    b = rng.standard_normal((300, 4)).astype(np.float32)
    stretch = np.sort(rng.uniform(0, 299, 450)).round().astype(int)  # a slower reading of b
    a = b[stretch] + 0.1 * rng.standard_normal((450, 4)).astype(np.float32)
    full = dtw.warp(a, b)
    monkeypatch.setattr(dtw, "MAX_CELLS", 5000)  # forces the coarse pass and the band
    banded = dtw.warp(a, b)
    assert tuple(banded[0]) == (0, 0) and tuple(banded[-1]) == (449, 299)
    assert np.all(np.diff(banded, axis=0) >= 0)
    # every frame of a lands where the full warp puts it, within a frame
    first_full = np.array([full[full[:, 0] == i, 1].min() for i in range(450)])
    first_band = np.array([banded[banded[:, 0] == i, 1].min() for i in range(450)])
    assert np.mean(np.abs(first_full - first_band) <= 1) >= 0.98
    assert np.mean(np.abs(first_band - stretch) <= 1) >= 0.95


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "ru", "pl", "ja", "cmn", "hi", "ar", "fi", "tr"])
def test_a_scripts_language_is_told_from_its_words_or_letters(language):
    assert guess_language(ls.SCRIPTS[language]) == language
    assert guess_language("12 34 !") == ""


def test_key_poses_fire_only_on_words_of_their_own_language():
    from talkrig.inference.generation.keyposes import KeyPoseDictionary, load_keyposes
    from talkrig.motion.keypose_file import KeyPoseError

    english, german = load_keyposes("default", "en"), load_keyposes("default", "de")
    assert english.language == "en" and german.language == "de"
    assert german.match("Großen") is not None and german.match("big") is None
    assert load_keyposes("default", "es").match("me") is not None
    assert load_keyposes("default", "ja") is None  # no Japanese dictionary: none, never English
    entry = {"words": ["hallo"], "pose": {"head": [0.0, 0.2, 0.0]}}
    mine = KeyPoseDictionary.from_dict({"language": "de", "entries": [entry]})
    assert mine.language == "de"
    with pytest.raises(KeyPoseError, match="'language' must be a language code"):
        KeyPoseDictionary.from_dict({"language": "auto", "entries": [entry]})


def test_german_speech_with_its_script_gets_german_key_poses_and_lip_closures(german):
    from talkrig.inference.generation.pipeline import GenerateOptions, generate

    script = " ".join(german.tokens)
    result = generate(german.audio, GenerateOptions(transcript=script, seed=3))
    assert [w.word for w in result.words] == list(german.tokens)
    phones = {p.phone for w in result.words for p in w.phones}
    assert {"M", "B"} <= phones
    from talkrig.inference.generation.keyposes import (
        KeyPoseDictionary, insert_keyposes, load_keyposes,
    )
    from talkrig.inference.speech.languages import words_language

    dictionary = load_keyposes("default", words_language("auto", script))
    _, fired = insert_keyposes(result.motion, result.words, dictionary, seed=0)
    assert {i.word.lower().strip(",.") for i in fired} & {"mir", "großen"}
    _, english = insert_keyposes(result.motion, result.words, KeyPoseDictionary.default(), seed=0)
    assert len(english) < len(fired)


def test_music_before_speech_is_not_speech_and_gets_no_words_or_gestures(mfa_wav, mfa_textgrid):
    from support import speech_support as ss

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import compute_features
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.metrics.kinematics import angular_speed

    case = ss.music_before(ss.reference_case(mfa_wav, mfa_textgrid, seconds=8.0), 6.0)
    features = compute_features(case.audio.samples, 16000, 30.0)
    speaking = speech_activity(features)
    first = min(t for t in case.truth if t is not None)  # the first word's onset (7.05 s)
    assert speaking[:int(5.5 * 30)].mean() <= 0.1
    assert speaking[int((first + 0.05) * 30):int((first + 0.45) * 30)].mean() >= 0.8
    silent = np.concatenate([np.zeros(6 * 16000, np.float32), case.audio.samples[6 * 16000:]])
    speeds = {"music": [], "silence": []}
    for seed in range(4):  # a long pause's plan is the seed's (hands hang, or clasp and rub)
        for kind, samples in (("music", case.audio.samples), ("silence", silent)):
            result = generate(samples, GenerateOptions(seed=seed, speech_options={"workers": 1}))
            if kind == "music":
                assert all(w.end > 6.0 for w in result.words)  # no words heard in the music
            arms = np.degrees(angular_speed(result.motion, np.arange(16, 22)).mean(axis=1))
            speeds[kind].append(np.median(arms[15:int(5.5 * result.motion.fps)]))
    # the body calms through the music as in a pause (seeds 0-3: 15 and 14 deg/s)
    assert np.median(speeds["music"]) <= 1.25 * np.median(speeds["silence"])


@pytest.mark.parametrize("kind", ["laughter", "melody"])
def test_laughter_and_melodies_are_not_speech_and_speech_under_them_is(kind):
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import compute_features

    speech = ls.revoiced("es", 1).audio.samples
    sound = getattr(so, kind)(4.0)
    before = compute_features(so.mix(speech, sound, at=-1), 16000, 30.0)
    speaking = speech_activity(before)
    assert speaking[15:105].mean() <= 0.2  # 0.5-3.5 s: inside the sound
    assert speaking[150:220].mean() >= 0.8  # the speech after it (from 4.5 s on)
    under = compute_features(so.mix(speech, sound, at=0.5, level_db=-10), 16000, 30.0)
    assert speech_activity(under)[30:100].mean() >= 0.8


@pytest.mark.parametrize("kind,bed_db", [("drum_loop", -10), ("laughter", -10), ("drum_loop", None)])
def test_a_beat_is_not_speech_even_under_a_noise_bed_and_speech_over_it_is(kind, bed_db):
    from support import sound_support as so

    from talkrig.inference.features.activity import RHYTHM_REPETITION, rhythm, speech_activity
    from talkrig.inference.features.compute import compute_features

    speech = ls.revoiced("es", 1).audio.samples
    sound = getattr(so, kind)(5.0)
    x = so.mix(speech, sound, at=-1, level_db=-3)
    if bed_db is not None:
        x = so.mix(x, so.noise_bed(len(x) / 16000, seed=3), at=0.0, level_db=bed_db)
    features = compute_features(x, 16000, 30.0)
    beat = rhythm(features.onset_strength, 30.0)
    assert np.median(beat[15:135]) > RHYTHM_REPETITION > beat[180:].max()  # a steady beat, then speech
    speaking = speech_activity(features)
    assert speaking[15:135].mean() <= 0.2  # 0.5-4.5 s: inside the sound
    assert speaking[165:250].mean() >= 0.8  # the speech after it (from 5.5 s on)
    under = compute_features(so.mix(speech, sound, at=0.5, level_db=-10), 16000, 30.0)
    assert speech_activity(under)[30:130].mean() >= 0.8


@pytest.mark.parametrize("kind,bed_db", [("fast drums", -5), ("held chords", -10)])
def test_fast_drums_and_held_chords_under_a_loud_noise_bed_are_not_speech(kind, bed_db, mfa_wav):
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features

    speech = decode_audio(mfa_wav).samples[:8 * 16000]
    sound = so.drum_loop(8.0, 140.0, 2) if kind == "fast drums" else so.chords(8.0)
    x = so.mix(speech, sound, at=-1, level_db=-3)
    x = so.mix(x, so.noise_bed(len(x) / 16000, seed=5), at=0.0, level_db=bed_db)
    speaking = speech_activity(compute_features(x, 16000, 30.0))
    assert speaking[15:225].mean() <= 0.2  # 0.5-7.5 s: inside the sound
    assert speaking[255:].mean() >= 0.7  # the speech after it, under the same bed (pauses and all)
    alone = so.mix(speech, so.noise_bed(len(speech) / 16000, seed=5), at=0.0, level_db=bed_db)
    assert speech_activity(compute_features(alone, 16000, 30.0)).mean() >= 0.7


def test_words_heard_in_a_melody_are_left_out_with_a_script_or_without(mfa_wav, mfa_textgrid):
    from support import sound_support as so
    from support import speech_support as ss

    case = ss.music_before(ss.reference_case(mfa_wav, mfa_textgrid, seconds=8.0), 8.0, so.melody)
    heard = find_words(case.audio, "pocketsphinx", None, {"workers": 1})
    assert len(heard) >= 8 and all(w.start > 7.8 for w in heard)  # it heard 8 in the melody
    aligned = find_words(case.audio, "auto", case.script, {"workers": 1})
    assert all(w.start > 7.8 for w in aligned)  # no word of the script placed in the melody
    score = ss.score(case, aligned)  # and the times are those of the whole recording
    assert score["placed"] >= 0.9 and score["median_ms"] <= 50


def test_a_drum_break_between_two_sentences_is_cut_out_before_listening_and_times_map_back():
    from support import sound_support as so

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features
    from talkrig.inference.speech.timing import speech_only

    speech = ls.revoiced("es", 1).audio.samples
    drums = so.drum_loop(5.0, 120.0)
    drums = 0.5 * drums * np.sqrt(np.mean(speech ** 2) / np.mean(drums ** 2))
    x = np.concatenate([speech, drums, speech]).astype(np.float32)
    audio = decode_audio(x, sample_rate=16000, name="break.wav")
    rest, at = speech_only(audio, compute_features(x, 16000, 30.0))
    gone = audio.duration - rest.duration
    assert 4.0 <= gone <= 5.8  # the break, and at most the 0.8 s of silence around it: no speech
    after = len(speech) / 16000 + 5.0 + 1.0  # a second into the second sentence
    assert at(after - gone) == pytest.approx(after, abs=0.05)
    assert at(0.5) == pytest.approx(0.5, abs=1e-3)
    only = decode_audio(drums.astype(np.float32), sample_rate=16000, name="drums.wav")
    heard = find_words(only, "pocketsphinx", None, {"workers": 1})
    assert not [w for w in heard if w.end < 4.5]  # none inside the loop (its last 0.5 s: maybe)


def test_a_noise_bed_is_not_speech_and_speech_over_it_is():
    from support import sound_support as so

    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import compute_features

    speech = ls.revoiced("es", 1).audio.samples
    x = np.concatenate([np.zeros(4 * 16000, np.float32), speech])
    x = so.mix(x, so.noise_bed(len(x) / 16000, seed=3), at=0.0, level_db=-10)
    speaking = speech_activity(compute_features(x, 16000, 30.0))
    assert speaking[15:120].mean() <= 0.1 and speaking[140:230].mean() >= 0.8


def test_a_script_whose_language_its_words_do_not_tell_is_timed_not_refused(caplog):
    text = "Buenos días, queridos amigos. Bienvenidos todos a Barcelona, preciosa ciudad."
    case = ls.revoiced("es", 0, text=text)
    assert guess_language(text) == ""
    with caplog.at_level(logging.WARNING):
        words = find_words(case.audio, "auto", text, {"workers": 1})
    assert [w.word for w in words] == text.split()
    errors, placed = ls.onset_errors(case, words)
    assert placed >= 0.9 and np.median(errors) <= 0.05
    assert any("timing it with the espeak engine" in r.getMessage() for r in caplog.records)


def test_a_dictionary_without_a_language_is_the_users_for_any_language():
    from talkrig.inference.generation.keyposes import load_keyposes_option

    entry = {"words": ["hola"], "pose": {"head": [0.0, 0.2, 0.0]}}
    mine = load_keyposes_option({"entries": [entry]}, "es")
    assert mine.language is None and mine.match("Hola,") is not None
    english = {"language": "en", "entries": [entry]}
    assert load_keyposes_option(english, "es") is None
    assert load_keyposes_option(english, "en-us").language == "en"


def test_noisy_english_keeps_its_words_and_gets_no_language_notice(mfa_wav, caplog):
    from talkrig.inference.audio.decode import decode_audio

    x = decode_audio(mfa_wav).samples[:12 * 16000]
    power = np.mean(x[np.abs(x) > 0.02 * np.abs(x).max()] ** 2)
    hissy = x + np.random.default_rng(0).normal(0, np.sqrt(power / 10), x.shape)  # 10 dB SNR
    audio = decode_audio(hissy.astype(np.float32), sample_rate=16000, name="hissy.wav")
    with caplog.at_level(logging.WARNING):
        words = find_words(audio, "auto", None, {"workers": 1})
    assert len(words) >= 8
    assert not any("does not sound like English" in r.getMessage() for r in caplog.records)


def test_a_noise_bed_before_the_speech_calms_the_body_and_gives_no_words(mfa_wav):
    from support import sound_support as so

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.metrics.kinematics import angular_speed

    speech = decode_audio(mfa_wav).samples[:6 * 16000]
    x = np.concatenate([np.zeros(6 * 16000, np.float32), speech])
    x = so.mix(x, so.noise_bed(len(x) / 16000, seed=5), at=0.0, level_db=-15)
    result = generate(x, GenerateOptions(seed=0, speech_options={"workers": 1}))
    assert not [w for w in result.words if w.start < 5.5]  # the recogniser "heard" one before
    motion = result.motion
    arms = np.degrees(angular_speed(motion, np.arange(16, 22)).mean(axis=1))
    assert np.median(arms[15:int(5.5 * motion.fps)]) < 0.6 * np.median(arms[int(6.5 * motion.fps):])


def test_a_script_is_read_alike_every_time_so_it_times_alike():
    from talkrig.plugins.speech.espeak.voice import speak

    text = "Buenos días, queridos amigos."
    first = speak(text, "es", 160)
    speak("Guten Morgen, liebe Freunde, wie geht es euch?", "de", 120)
    again = speak(text, "es", 160)
    assert np.array_equal(first.samples, again.samples) and first.words == again.words
    assert first.phones == again.phones and len(first.words) == 4


def test_a_voice_espeak_lacks_is_one_line():
    from talkrig.inference.speech.timing import SpeechError
    from talkrig.plugins.speech.espeak.voice import speak

    with pytest.raises(SpeechError, match="no voice or language 'xx-nowhere'"):
        speak("hello", "xx-nowhere")


def test_a_reading_that_never_ends_is_one_line(monkeypatch):
    from talkrig.inference.speech.timing import SpeechError
    from talkrig.plugins.speech.espeak import voice

    monkeypatch.setattr(voice, "READING_SECONDS", 0.001)
    monkeypatch.setattr(voice, "READING_CHARS_PER_SECOND", 1e9)
    with pytest.raises(SpeechError, match="did not finish reading the script"):
        voice.speak("Buenos días, queridos amigos.", "es")
