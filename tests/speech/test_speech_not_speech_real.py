"""Real recordings that are not speech, against speech activity: music, noise, applause and
laughter recorded by people (tests/data/not_speech/, licences in its ATTRIBUTION.md), kept apart from the synthetic
sounds the constants of inference/features/activity.py were tuned on (tests/support/
sound_support.py). Each recording alone, and before real speech (the bundled MFA sample, the
sound 3 dB under it, as the synthetic checks mix theirs): at most a fifth of the sound may be
heard as speech, and the speech after it still is.

Measured 2026-11-25 with the hand-made tests alone (share of the sound's frames heard as speech,
alone / before speech): the guitar chord 0.00 / 0.00; the drum break 0.27 / 0.23; the tabla loop
1.00 / 0.96; the electronic beat 0.91 / 0.78; the 3D printer 0.88 / 1.00; the vinyl hiss 0.88 /
1.00 (the tabla's pitched strokes counted as a voice over its beat, the electronic beat's onsets
did not repeat enough to be a beat, the two noises stood above their own floor). With the
learned voice detector (inference/features/voice.py, Silero VAD at its own default thresholds,
nothing set on these sounds), 2026-11-26: 0.00 / 0.00 for every one, and the speech after each
0.85-0.97. 2026-11-26, a crowd clapping and cheering 0.00 / 0.00 (the speech after it 0.85). Laughter
is a voice: a man's laugh of several bouts is heard as speech 0.28 of its time alone and 0.00
before speech; a woman's single 1.2 s bout all of it, alone and before speech (what is held of
laughter is below; a short laugh moves the mouth as a voice would).
"""

from pathlib import Path

import pytest

from support import sound_support as so
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.activity import speech_activity
from talkrig.inference.features.compute import compute_features

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "tests" / "data" / "not_speech"
SPEECH = ROOT / "exporters" / "assets" / "acoustic_corpus.wav"
FPS = 30.0
EDGE = 15  # frames (0.5 s) left out at either end of the sound: the smoothing's reach


def recordings(*kinds):
    return sorted(p.name for p in SOUNDS.glob("*.flac") if p.name.split("_")[0] in kinds)


def heard(samples):
    return speech_activity(compute_features(samples, 16000, FPS))


@pytest.fixture(scope="module")
def speech():
    return decode_audio(SPEECH).samples[:8 * 16000]


def test_the_recordings_are_real_short_and_apart_from_the_tuned_sounds():
    names = sorted(p.name for p in SOUNDS.glob("*.flac"))
    assert {n.split("_")[0] for n in names} == {"music", "noise", "applause", "laughter"} and len(names) == 9
    for name in names:
        audio = decode_audio(SOUNDS / name)
        assert 1.0 < audio.duration <= 5.01 and audio.source_rate == 16000
        assert (SOUNDS / name).stat().st_size < 200_000
        assert name in (SOUNDS / "ATTRIBUTION.md").read_text(encoding="utf-8")


def shares(name, speech):
    """(alone, before speech, the speech after it): the share of frames heard as speech."""
    sound = decode_audio(SOUNDS / name).samples
    n = int(len(sound) / 16000 * FPS)
    alone = heard(sound)[EDGE:n - EDGE].mean()
    before = heard(so.mix(speech, sound, at=-1, level_db=-3))
    inside, after = before[EDGE:n - EDGE].mean(), before[n + EDGE:].mean()
    print(f"{name}: alone {alone:.2f}, before speech {inside:.2f}, the speech after it {after:.2f}")
    return alone, inside, after


@pytest.mark.parametrize("name", recordings("music", "noise", "applause"))
def test_a_real_recording_that_is_not_speech_is_not_heard_as_speech(name, speech):
    alone, inside, after = shares(name, speech)
    assert after >= 0.8  # the speech is still speech
    assert alone <= 0.2 and inside <= 0.2


@pytest.mark.parametrize("name", recordings("laughter"))
def test_real_laughter_leaves_the_speech_after_it_and_its_bouts_mostly_not_speech(name, speech):
    """A laugh is a voice, and a single bout of one is heard as speech; a laugh of several bouts
    is mostly not, and never the speech after either."""
    alone, inside, after = shares(name, speech)
    assert after >= 0.8
    if "bouts" in name:
        assert alone <= 0.3 and inside <= 0.2


def test_a_phrases_fading_last_word_recognised_there_is_kept(scott2_wav):
    """15 s cut from a real take: "week" at 6.2 s, said and recognised at 0.98, fades under the
    level the cut's speech stands out by, where the voice detector is sure of a voice: it stays
    (it was dropped as falling where nobody speaks)."""
    from talkrig.inference.speech.timing import find_words

    audio = decode_audio(decode_audio(str(scott2_wav)).samples[7 * 16000:22 * 16000], name="cut.wav")
    words = find_words(audio, "pocketsphinx", None, {"workers": 1})
    assert any(w.word == "week" and abs(w.start - 6.24) < 0.1 for w in words)


def test_a_soft_first_word_recognised_just_before_the_level_rises_is_kept(scott_wav):
    """The first 12 s of the other take: "the" (1.43-1.52 s) is said softly and the level rises
    only at its end. A word heard in the 0.1 s before speech is found stays (it was dropped,
    with a warning of words where nobody speaks); one heard in the silence before it goes."""
    import numpy as np

    from talkrig.inference.features.compute import features_for
    from talkrig.inference.speech.timing import heard_in_speech
    from talkrig.inference.speech.words import Word

    audio = decode_audio(decode_audio(str(scott_wav)).samples[:12 * 16000], name="cut.wav")
    features = features_for(audio, 30.0)
    onset = int(np.argmax(speech_activity(features)))  # the first frame found to be speech
    assert abs(onset / 30.0 - 1.52) < 0.05
    said = Word("the", (onset - 3) / 30.0, onset / 30.0, 0.7)
    unsaid = Word("a", 0.5, 0.62, 0.7)
    assert heard_in_speech([unsaid, said], features) == [said]
