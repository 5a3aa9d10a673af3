"""The built-in face model `phones` on real speech: visemes with coarticulation, closures that
are never skipped, fast speech, blinks, brows, saccades, and the mouth from the voice alone."""

import numpy as np
import pytest
from scipy.signal import find_peaks

from talkrig.motion.mouth import mouth_measures
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.face import animate_face, check_face_options, get_face_model
from talkrig.inference.features.compute import features_for
from talkrig.inference.registry import PluginError
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.words import Phone, Word
from talkrig.motion import Motion, load_motion
from talkrig.plugins.face.phones.visemes import BILABIALS, LABIODENTALS, VOWELS

FPS = 30.0


@pytest.fixture(scope="module")
def model():
    return get_face_model("phones")


@pytest.fixture(scope="module")
def scott(scott_wav, scott_textgrid):
    """(words with the TextGrid's phones, features at 30 fps) of the real 45 s take."""
    audio = decode_audio(scott_wav)
    return find_words(audio, "transcript", scott_textgrid.read_text()), features_for(audio, FPS)


def run(model, words, features, seed=0, **options):
    rest = Motion.rest(features.n_frames, FPS)
    return animate_face(model, rest, words, features, seed, check_face_options(model, options))


def phones_of(words, kinds):
    return [p for w in words for p in w.phones if p.phone in kinds]


def frames_in(phone, n):
    """Motion frames inside a phone (the nearest one when it falls between two)."""
    inside = np.arange(int(np.ceil(phone.start * FPS)), int(np.floor(phone.end * FPS)) + 1)
    inside = inside[inside < n]
    return inside if inside.size else np.array([min(n - 1, int(round((phone.start + phone.end) / 2 * FPS)))])


def test_every_closure_and_teeth_on_lip_is_there(model, scott):
    words, features = scott
    face = run(model, words, features)
    assert face.has_face and len(face.face_names) == 76
    jaw, close = face.face_curve("jawOpen"), face.face_curve("mouthClose")
    bilabials = phones_of(words, BILABIALS)
    assert len(bilabials) > 25
    for p in bilabials:
        k = frames_in(p, face.n_frames)
        # ARKit's mouthClose seals the lips against the open jaw: equal means closed
        assert np.all(close[k] >= jaw[k] - 1e-6), p
        assert face.face_curve("viseme_PP")[k].max() > 0.5 and face.face_curve("mouthCue_A")[k].max() > 0.5
        assert face.face_curve("mouthFunnel")[k].max() < 0.05  # nothing parts the lips
    for p in phones_of(words, LABIODENTALS):
        k = frames_in(p, face.n_frames)
        assert face.face_curve("mouthRollLower")[k].max() >= 0.9, p
        assert face.face_curve("mouthClose")[k].max() < 0.05
    # vowels open the mouth, closures shut it
    vowel_frames = np.concatenate([frames_in(p, face.n_frames) for p in phones_of(words, VOWELS)])
    closure_frames = np.concatenate([frames_in(p, face.n_frames) for p in bilabials])
    assert jaw[vowel_frames].mean() > jaw[closure_frames].mean() + 0.1


def test_a_neighbour_shapes_the_mouth_coarticulation(model, scott):
    """The same "k" is rounded before "oo" and spread before "ee"; a "b" closes in both."""
    _, features = scott

    def word(text, phones, start=1.0):
        t, out = start, []
        for symbol, length in phones:
            out.append(Phone(symbol, t, t + length))
            t += length
        return Word(text, start, t, 1.0, tuple(out))

    coo = run(model, [word("coo", [("K", 0.08), ("UW", 0.2)])], features)
    key = run(model, [word("key", [("K", 0.08), ("IY", 0.2)])], features)
    k = int(1.04 * FPS)  # the middle of the "k"
    assert coo.face_curve("mouthPucker")[k] > key.face_curve("mouthPucker")[k] + 0.2
    assert key.face_curve("mouthStretch_L")[k] > coo.face_curve("mouthStretch_L")[k] + 0.1
    for text, vowel in (("boo", "UW"), ("bee", "IY")):
        face = run(model, [word(text, [("B", 0.03), (vowel, 0.2)])], features)
        b = int(np.ceil(1.0 * FPS))
        assert face.face_curve("mouthClose")[b] == pytest.approx(face.face_curve("jawOpen")[b])


def test_fast_speech_keeps_its_closures_and_does_not_flap(model, scott):
    """The take's phones played 1x and 2.5x faster: every bilabial still closes, the jaw moves
    less instead of chattering, and never jumps back and forth frame to frame."""
    words, features = scott
    for speed in (1.0, 2.5):
        fast = [Word(w.word, w.start / speed, w.end / speed, 1.0,
                     tuple(Phone(p.phone, p.start / speed, p.end / speed) for p in w.phones))
                for w in words]
        face = run(model, fast, features)
        n = int(round(45.0 / speed * FPS))
        jaw, close = face.face_curve("jawOpen")[:n], face.face_curve("mouthClose")[:n]
        for p in phones_of(fast, BILABIALS):
            k = frames_in(p, n)
            assert np.any(close[k] >= jaw[k] - 1e-6)
        step = np.diff(jaw)
        chatter = (np.sign(step[1:]) != np.sign(step[:-1])) & (np.minimum(abs(step[1:]), abs(step[:-1])) > 0.05)
        assert not chatter.any()
        peaks, _ = find_peaks(jaw, prominence=0.05)
        vowels = len(phones_of(fast, VOWELS))
        assert len(peaks) < 0.6 * vowels  # syllables blend into jaw cycles, as real jaws do
        if speed == 1.0:
            normal_range = np.ptp(np.percentile(jaw, [5, 95]))
    assert np.ptp(np.percentile(jaw, [5, 95])) < normal_range  # faster: smaller movements


def test_the_phone_jaw_follows_the_real_capture(model, scott, scott_npz, scott2_textgrid):
    """Against the real mocap of this take (jaw and expression mouth opening), the phone-driven
    jaw beats the energy-driven one and phones of another recording score nothing."""
    from talkrig.inference.generation.speech_mouth import mouth_opening
    from talkrig.inference.features.activity import loudness_and_speech
    from talkrig.inference.speech.transcripts.formats import read_words

    words, features = scott
    real = load_motion(scott_npz)
    opening = mouth_measures(real.poses, real.expressions)["open"]
    phones = run(model, words, features).face_curve("jawOpen")
    energy, _ = loudness_and_speech(features, [], features.n_frames)
    by_energy = mouth_opening(energy, np.arange(features.n_frames))
    other = run(model, read_words(scott2_textgrid.read_text()), features).face_curve("jawOpen")
    r = {name: np.corrcoef(curve, opening)[0, 1]
         for name, curve in (("phones", phones), ("energy", by_energy), ("other", other))}
    assert r["phones"] > 0.45 and r["phones"] > r["energy"] + 0.1 and abs(r["other"]) < 0.15, r


def test_blinks_come_at_a_natural_rate_mostly_in_pauses(model, scott):
    words, features = scott
    for rate in (12.0, 24.0):
        counts = []
        for seed in range(3):
            blink = run(model, words, features, seed=seed, blink_rate=rate).face_curve("eyeBlink_L")
            starts = np.flatnonzero((blink[1:] > 0.5) & (blink[:-1] <= 0.5))
            closed = np.flatnonzero(blink > 0.5)
            runs = np.split(closed, np.flatnonzero(np.diff(closed) > 1) + 1)
            assert max(len(r) for r in runs) <= 6  # a blink is shut for well under 0.2 s
            gaps = np.diff(starts)
            assert np.all(gaps >= 0.3 * FPS)  # a double blink at the closest
            counts.append(1 + np.sum(gaps >= 0.8 * FPS))  # blinking moments (a double is one)
        per_minute = np.mean(counts) / 0.75
        assert 0.7 * rate < per_minute < 1.3 * rate, (rate, counts)
    # more blinks fall in the pauses between words than the pauses' share of time
    blink = run(model, words, features, seed=1).face_curve("eyeBlink_L")
    starts = np.flatnonzero((blink[1:] > 0.5) & (blink[:-1] <= 0.5)) / FPS
    spoken = np.zeros(features.n_frames, bool)
    for w in words:
        spoken[int(w.start * FPS):int(np.ceil(w.end * FPS))] = True
    in_pause = np.mean([not spoken[min(int(t * FPS), len(spoken) - 1)] for t in starts])
    assert in_pause > 1.5 * (1.0 - spoken.mean())
    assert run(model, words, features, blink_rate=0.0).face_curve("eyeBlink_L").max() == 0.0
    again = run(model, words, features, seed=1).face_curve("eyeBlink_L")
    np.testing.assert_array_equal(again, blink)  # the same seed blinks the same


class _Draws:
    """An rng whose ``random()`` gives the listed draws in turn: a blink's depth, then its double."""

    def __init__(self, *draws):
        self.draws, self.k = draws, 0

    def random(self):
        self.k += 1
        return self.draws[(self.k - 1) % len(self.draws)]


def test_a_blink_and_its_double_close_whole_late_in_a_long_take():
    """Each blink is worked out around its own frames: its double and its reopening are whole
    at the take's start and ten minutes in alike."""
    from talkrig.plugins.face.phones.eyes import BLINK as length, CLOSE, DOUBLE_GAP, HOLD, blink_curve

    times = np.arange(600_000) / 1000.0  # ten minutes, a frame every millisecond
    curve = blink_curve(times, [1.0, 590.0], _Draws(0.5, 0.0))  # full depth, doubled
    for start in (1.0, 590.0):
        second = start + length + DOUBLE_GAP
        for first in (start, second):
            shut = (times >= first + CLOSE + 0.001) & (times <= first + CLOSE + HOLD - 0.001)
            assert curve[shut].min() == pytest.approx(1.0)
            opening = (times > first + CLOSE + HOLD + 0.01) & (times < first + length - 0.01)
            assert 0.0 < curve[opening].min() < curve[opening].max() < 1.0
        apart = (times > start + length + 0.001) & (times < second - 0.001)
        after = (times > second + length + 0.001) & (times < start + 5.0)
        assert curve[apart].max() == 0.0 and curve[after].max() == 0.0


def test_a_brow_raise_holds_through_a_long_word_and_settles_whole():
    """A raise holds to its word's end and settles over SETTLE seconds, however far into the take."""
    from talkrig.plugins.face.phones.brows import PEAK, RISE, SETTLE, brow_curves

    times = np.arange(60_000) / 100.0  # ten minutes at 100 frames a second
    inner = brow_curves(times, [(10.0, 14.0, 1.0), (500.0, 500.2, 0.5)], 1.0,
                        np.random.default_rng(0))["browInnerUp"]
    for peak, end, height in ((10.0, 14.0, PEAK), (500.0, 500.2, 0.5 * PEAK)):
        assert inner[(times >= peak) & (times <= end)] == pytest.approx(height)
        settling = inner[(times > end + 0.05) & (times < end + SETTLE - 0.05)]
        assert np.all(np.diff(settling) < 0) and 0.0 < settling.min() < settling.max() < height
        assert inner[(times >= end + SETTLE) & (times < end + 2.0)].max() < 1e-12
        assert inner[(times > peak - 2.0) & (times <= peak - RISE)].max() == 0.0


def test_brow_raises_go_to_the_most_prominent_words_kept_apart():
    """Over a long take of words with random pitch peaks: no two raises closer than MIN_GAP, and
    each high word left without one has a raise at least as strong within MIN_GAP of it."""
    from types import SimpleNamespace

    from talkrig.plugins.face.phones.brows import MIN_GAP, raises

    rng = np.random.default_rng(4)
    fps, n = 30.0, 30 * 600
    starts = np.cumsum(rng.uniform(0.3, 0.8, 1200))  # apart: each word reads its own peak
    words = [SimpleNamespace(start=a, end=a + 0.12) for a in starts if a + 0.2 < n / fps]
    pitch = np.full(n, -1.0)
    for w in words:
        pitch[int(w.start * fps) + 1] = rng.uniform(0.0, 7.0)
    chosen = raises(words, pitch, np.ones(n), fps)
    peaks = np.array([c[0] for c in chosen])
    assert len(chosen) > 200 and np.diff(peaks).min() >= MIN_GAP
    at = np.round(peaks * fps).astype(int)
    for frame in np.flatnonzero(pitch >= 2.0):
        near = np.abs(peaks - frame / fps) < MIN_GAP
        assert near.any() and pitch[at[near]].max() >= min(pitch[frame], 4.8)  # 4.8: the strength tops


def test_brows_rise_on_stressed_high_words_and_eyes_move(model, scott):
    from talkrig.plugins.face.phones.brows import semitones

    words, features = scott
    face = run(model, words, features)
    brow = face.face_curve("browInnerUp")
    pitch = semitones(features.f0, features.voiced)
    high, low = [], []
    for w in words:
        k = np.arange(int(w.start * FPS), int(np.ceil(w.end * FPS)))
        peak = np.nanmax(pitch[k]) if np.any(~np.isnan(pitch[k])) else np.nan
        (high if peak > 3.0 else low if peak < 0.0 else []).append(brow[k].max())
    assert len(high) > 5 and np.mean(high) > np.mean(low) + 0.1
    assert 0.02 < np.mean(brow > 0.05) < 0.5  # some of the time, not all of it
    assert run(model, words, features, brow_amount=0.0).face_curve("browInnerUp").max() == 0.0
    # the generator's eyes were still, so the face adds saccades, and eyeLook follows them
    assert face.poses[:, 23, 1].ptp() > 0.05
    assert face.face_curve("eyeLookOut_L").max() > 0.05 and face.face_curve("eyeLookIn_L").max() > 0.05
    assert run(model, words, features, saccades=0.0).poses[:, 23].ptp() == 0.0


def test_without_words_the_voice_alone_moves_the_mouth(model, scott):
    words, features = scott
    face = run(model, [], features)
    jaw = face.face_curve("jawOpen")
    spoken = np.zeros(features.n_frames, bool)
    for w in words:
        spoken[int(w.start * FPS):int(np.ceil(w.end * FPS))] = True
    assert jaw[spoken].mean() > 3 * jaw[~spoken].mean()  # open when speaking, shut in pauses
    assert np.corrcoef(jaw, features.rms)[0, 1] > 0.5
    # dark (rounded) vowels of the reference get rounder lips than bright (spread) ones
    pucker = face.face_curve("mouthPucker") + face.face_curve("mouthFunnel")
    rounded = np.concatenate([frames_in(p, face.n_frames) for p in phones_of(words, {"UW", "OW", "AO", "W"})])
    spread = np.concatenate([frames_in(p, face.n_frames) for p in phones_of(words, {"IY", "IH", "EH", "EY"})])
    assert pucker[rounded].mean() > pucker[spread].mean() + 0.05


def test_words_without_phones_are_pronounced(model, scott):
    words, features = scott
    bare = [Word(w.word, w.start, w.end) for w in words]
    face = run(model, bare, features)
    jaw, close = face.face_curve("jawOpen"), face.face_curve("mouthClose")
    # "mind", "because", "people": the dictionary's m, b, p close the lips inside those words
    for w in bare:
        if w.word.lower() in ("mind", "because", "people", "maybe"):
            k = np.arange(int(w.start * FPS), int(np.ceil(w.end * FPS)))
            assert np.any((close[k] >= jaw[k] - 1e-6) & (face.face_curve("viseme_PP")[k] > 0.5)), w


def test_bad_face_options_say_what_is_wrong(model):
    with pytest.raises(PluginError, match="mouth_strength"):
        check_face_options(model, {"mouth_strength": 5.0})
    with pytest.raises(PluginError, match="has no option 'lips'"):
        check_face_options(model, {"lips": 1})
    with pytest.raises(PluginError, match="expressions"):
        check_face_options(model, {"expressions": "mix"})
