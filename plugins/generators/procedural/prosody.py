"""What the procedural generator hears: speech activity, phrases, stressed beats, pitch, energy.

Beats are the audio onsets that carry stress: strong onset, loud, often a pitch peak, and (when
words are known) at the start of a content word. Gesture strokes and head nods land on them.
"""

import bisect
from dataclasses import dataclass

import numpy as np

from ....inference.features.activity import phrases as find_phrases
from ....inference.features.activity import loudness_and_speech, moving_average

# Words that rarely carry a beat gesture (function words).
_FUNCTION_WORDS = frozenset(
    "a an the and or but so to of in on at by for with from as is are was were be been am "
    "it its it's this that these those i you he she we they me him her us them my your his our "
    "their do does did have has had not no yes if then than there here just um uh ah oh".split()
)

MIN_BEAT_GAP = 0.28  # seconds between two beat strokes at rate 1
MAX_BEAT_GAP = 0.9  # seconds: speech longer than this without a detected beat gets one


@dataclass
class Prosody:
    """Prosodic tracks at the motion frame rate (T frames) and events in seconds.

    energy : (T,) loudness, 0 = silence, ~1 = loud speech (95th percentile).
    speech : (T,) bool, someone is speaking.
    pitch : (T,) semitones from the speaker's median, 0 where unvoiced, smoothed.
    phrases : (P, 2) start, end seconds of speech between pauses.
    beats : (B,) seconds of stressed onsets; beat_strength : (B,) 0..1.
    """

    fps: float
    energy: np.ndarray
    speech: np.ndarray
    pitch: np.ndarray
    phrases: np.ndarray
    beats: np.ndarray
    beat_strength: np.ndarray

    def at(self, track, times):
        """Values of a (T,) track at times (seconds), nearest frame."""
        idx = np.clip(np.round(np.asarray(times) * self.fps).astype(np.int64), 0, len(track) - 1)
        return track[idx]


def analyse(features, words, n_frames, fps, rate=1.0):
    """Prosody of a recording: features (AudioFeatures at ``fps``), words (may be empty)."""
    idx = np.clip(np.arange(n_frames), 0, max(0, features.n_frames - 1))
    energy, speech = loudness_and_speech(features, words, n_frames)
    pitch = _pitch_contour(np.asarray(features.f0, np.float64)[idx], np.asarray(features.voiced, bool)[idx], fps)
    phrases = find_phrases(speech, fps)
    beats, strength = _beats(features, energy, pitch, speech, words, fps, rate)
    beats, strength = _fill_gaps(beats, strength, phrases, energy, fps, rate)
    return Prosody(fps, energy, speech, pitch, phrases, beats, strength)


def _pitch_contour(f0, voiced, fps):
    ok = voiced & (f0 > 40)
    if ok.sum() < 3:
        return np.zeros(len(f0))
    semis = np.zeros(len(f0))
    semis[ok] = 12.0 * np.log2(f0[ok] / np.median(f0[ok]))
    # bridge unvoiced gaps with the last voiced value so the head does not drop back each time
    last_voiced = np.maximum.accumulate(np.where(ok, np.arange(len(f0)), 0))
    filled = semis[last_voiced]
    return np.clip(moving_average(filled, round(0.25 * fps)), -8.0, 8.0)


def _beats(features, energy, pitch, speech, words, fps, rate):
    onsets = np.asarray(features.onset_times, np.float64)
    n = len(energy)
    if onsets.size == 0 or n == 0:
        return np.zeros(0), np.zeros(0)
    frames = np.clip(np.round(onsets * fps).astype(np.int64), 0, n - 1)
    keep = speech[frames]
    onsets, frames = onsets[keep], frames[keep]
    if onsets.size == 0:
        return np.zeros(0), np.zeros(0)
    env = np.asarray(features.onset_strength, np.float64)
    env = env[np.clip(frames, 0, len(env) - 1)] if len(env) else np.ones(len(frames))
    env_scale = np.percentile(env, 90) if env.size else 1.0
    after = np.clip(frames + 3, 0, n - 1)  # the vowel that follows the onset carries the stress
    loud = np.maximum(energy[frames], energy[after])
    accent = np.clip(pitch[after] / 4.0, -0.5, 1.0)
    score = 0.45 * np.clip(env / max(env_scale, 1e-6), 0, 1.5) + 0.45 * loud + 0.15 * accent
    score += 0.25 * _content_word_bonus(onsets, words)
    # Greedy: strongest first, at least MIN_BEAT_GAP / rate apart.
    gap = MIN_BEAT_GAP / max(rate, 0.05)
    chosen, times = [], []  # times kept sorted for the neighbour check
    for i in np.argsort(-score, kind="stable"):
        k = bisect.bisect_left(times, onsets[i])
        if (k == 0 or onsets[i] - times[k - 1] >= gap) and (k == len(times) or times[k] - onsets[i] >= gap):
            times.insert(k, onsets[i])
            chosen.append(i)
    chosen = np.sort(np.array(chosen, dtype=np.int64))
    s = score[chosen]
    # Keep the stressed ones: above a share of the strongest scores.
    threshold = np.percentile(s, 100 * min(0.9, 0.2 / max(rate, 0.05))) if s.size > 3 else -np.inf
    mask = s >= threshold
    strength = np.clip(s[mask] / max(np.percentile(s, 95), 1e-6), 0.0, 1.0)
    return onsets[chosen][mask], strength


def _fill_gaps(beats, strength, phrases, energy, fps, rate):
    """Beats where a phrase goes on for more than MAX_BEAT_GAP without one (noisy or mumbled
    speech hides its onsets): at the loudest frame of each empty stretch, so no phrase of speech
    is left without strokes. Returns the merged (beats, strength), sorted."""
    gap = MAX_BEAT_GAP / max(rate, 0.05)
    extra = []
    for start, stop in phrases:
        inside = np.sort(beats[(beats >= start) & (beats < stop)])
        edges = np.concatenate([[start], inside, [stop]])
        for a, b in zip(edges[:-1], edges[1:]):
            n = int((b - a) // gap)
            for k in range(n):  # one beat per gap-long stretch, at its loudest frame
                lo, hi = a + k * (b - a) / max(n, 1), a + (k + 1) * (b - a) / max(n, 1)
                frames = np.arange(int(lo * fps) + 2, max(int(lo * fps) + 3, int(hi * fps) - 2))
                frames = frames[frames < len(energy)]
                if frames.size:
                    extra.append(frames[np.argmax(energy[frames])] / fps)
    if not extra:
        return beats, strength
    beats = np.concatenate([beats, extra])
    strength = np.concatenate([strength, np.full(len(extra), 0.4)])
    order = np.argsort(beats, kind="stable")
    return beats[order], strength[order]


def _content_word_bonus(onsets, words):
    bonus = np.zeros(len(onsets))
    for w in words or ():
        text = "".join(ch for ch in w.word.lower() if ch.isalpha() or ch == "'")
        if not text or text in _FUNCTION_WORDS:
            continue
        near = np.abs(onsets - w.start) < 0.1
        bonus[near] = np.maximum(bonus[near], 1.0 if len(text) > 3 else 0.5)
    return bonus
