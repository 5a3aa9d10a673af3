"""A transcript in any language eSpeak NG speaks, timed on a recording without an acoustic
model of that language.

eSpeak NG says the script (:mod:`.voice`), which gives a template recording whose every word
and phoneme time is known. The template and the recording are described the same way
(:mod:`.frames`) and warped onto each other (:mod:`.dtw`, the method of the aeneas aligner);
each word's onset and end in the template then map through the warping path into the
recording. A word starting after a pause is moved to where the recording's own speech starts
when that is near (the warping blurs silence-to-speech edges by a frame or two). The phones of
each word map the same way; their IPA labels become the face stage's phone classes
(:func:`..inference.phoneset.arpabet`).

Confidence: whether a second reading at another pace places the word alike (a cepstral
warping cost does not tell a right script from a wrong one: eSpeak NG's voice is far from any
human's), and none for a word the path squeezed into one frame or that lies in no speech.
"""

import logging
import re

import numpy as np

from ....inference.speech.phoneset import arpabet
from ....inference.speech.timing import SpeechError
from ....inference.speech.words import Phone, Word
from . import frames
from .dtw import warp
from .voice import speak

log = logging.getLogger(__name__)

PAD_SECONDS = 0.3  # silence around the template, for the recording's leading/trailing pauses
ACTIVITY_WEIGHT = 3.0  # cost of matching speech to non-speech, in cepstral distance units
SNAP_SECONDS = 0.08  # a word after a pause moves to the recording's speech onset this near
TEMPLATE_RATE = 175  # words per minute of the first reading
MIN_RATE, MAX_RATE = 80, 450  # the paces eSpeak NG reads at
LONG_SCRIPT_RATE = 350  # a script that would need a faster pace is far longer than the speech
CHECK_RATE_SCALE = 1.25  # the check reading's pace against the recording's
AGREE_SECONDS, DOUBT_SECONDS = 0.05, 0.25  # onsets of two readings this far apart: sure, unsure
VOICED_SECONDS = 0.04  # a word starts where the voice holds this long (frames.voiced) ...
QUIET_SECONDS = 0.15  # ... not after this much of a far quieter sound
_WORDLIKE = re.compile(r"\w")


def align(audio, transcript, voice, progress=None):
    """The Words of ``transcript`` timed on ``audio`` (16 kHz DecodedAudio), read by eSpeak
    NG's ``voice`` (a language code: "de", "es", "cmn", ...).

    The script is said twice: at the recording's own pace (estimated from a first reading at
    TEMPLATE_RATE: speech time against speech time), which gives the times, and once more
    CHECK_RATE_SCALE as fast; a word both readings place alike is confident, one they place
    apart is not (see :func:`_confidence`). The warp is banded (:mod:`.dtw`): memory and time
    grow with the recording's length and the script's, not with their product.
    """
    tokens = [t for t in str(transcript).split() if _WORDLIKE.search(t)]
    if not tokens:
        raise SpeechError("the transcript holds no words to align")
    text = " ".join(tokens)
    step = (lambda f: None) if progress is None else progress
    mel_r = frames.log_mel(audio.samples)
    feat_r = frames.cepstra(mel_r)
    act_r = frames.activity(mel_r).astype(np.float32)
    voiced = frames.voiced(mel_r, act_r > 0)
    act_r = _within_voice(act_r, voiced)
    first = speak(text, voice, TEMPLATE_RATE)
    pace = _pace(first, act_r)
    if pace > LONG_SCRIPT_RATE:
        log.warning("%s: the script is far longer than the speech (said in it, it would run at %.0f "
                    "words a minute or more): the words beyond what was said get confidence 0",
                    audio.name, pace)
    step(0.1)
    readings = []
    for n, rate in enumerate((pace, pace * CHECK_RATE_SCALE)):
        spoken = first if rate == TEMPLATE_RATE else speak(text, voice, rate)
        readings.append(_reading(tokens, text, spoken, feat_r, (act_r, voiced), audio.duration,
                                 lambda f, n=n: step(0.1 + 0.45 * (n + f))))
    words = [_confident(w, check) for w, check in zip(*readings)]
    step(1.0)
    placed = sum(w.confidence >= 0.5 for w in words)
    log.info("%s: %d of %d words placed by the %s template at %.0f words a minute", audio.name,
             placed, len(words), voice, pace)
    return words


def _pace(spoken, act_r):
    """Words per minute at which eSpeak NG would take as long to speak as the recording does."""
    mel = frames.log_mel(frames.at_rate(spoken.samples, spoken.rate))
    template = max(1, int(_template_activity(mel).sum()))
    ratio = template / max(1.0, float(act_r.sum()))
    return float(np.clip(TEMPLATE_RATE * ratio, MIN_RATE, MAX_RATE))


def _reading(tokens, text, spoken, feat_r, heard, duration, progress):
    """The Words as one eSpeak NG reading, warped onto the recording, places them. ``heard``:
    the recording's speech activity (float) and its voiced frames (bool), (T,) each."""
    act_r = heard[0]
    template = _template(spoken)
    pad = int(PAD_SECONDS * frames.FPS)
    mel_t = frames.log_mel(template.samples)
    act_t = _template_activity(mel_t).astype(np.float32)
    path = warp(feat_r, frames.cepstra(mel_t), act_r, act_t, ACTIVITY_WEIGHT, progress=progress)
    timeline = _Timeline(path, len(mel_t))
    return _timed_words(tokens, text, spoken, pad, timeline, heard, duration)


def _confident(word, check):
    """``word`` with its confidence: 1 when the check reading starts it within AGREE_SECONDS,
    falling to 0 at DOUBT_SECONDS apart; 0 already when it lies in no speech."""
    apart = abs(word.start - check.start)
    agree = float(np.clip((DOUBT_SECONDS - apart) / (DOUBT_SECONDS - AGREE_SECONDS), 0.0, 1.0))
    return Word(word.word, word.start, word.end, min(word.confidence, agree), word.phones)


class _Template:
    def __init__(self, samples):
        self.samples = samples


def _template(spoken):
    """The template at 16 kHz with PAD_SECONDS of silence before and after."""
    pad = np.zeros(int(PAD_SECONDS * frames.RATE), np.float32)
    return _Template(np.concatenate([pad, frames.at_rate(spoken.samples, spoken.rate), pad]))


def _template_activity(mel):
    """(M,) the template's speech: eSpeak NG's pauses are digital silence, so any sound is."""
    level = mel.max(axis=1)
    return level > level.max() - 9.0  # within ~40 dB of the loudest frame


class _Timeline:
    """Template frame -> recording frame along the warping path."""

    def __init__(self, path, n_template):
        self.first = np.full(n_template, -1, np.int64)
        self.last = np.full(n_template, -1, np.int64)
        i, j = path[:, 0], path[:, 1]
        np.maximum.at(self.last, j, i)
        self.first[:] = self.last
        np.minimum.at(self.first, j, i)

    def onset(self, frame):
        return int(self.first[min(max(frame, 0), len(self.first) - 1)])

    def end(self, frame):
        return int(self.last[min(max(frame, 0), len(self.last) - 1)])


def _timed_words(tokens, text, spoken, pad, timeline, heard, duration):
    """One Word per token: template times of its eSpeak words and phonemes, mapped."""
    scale = frames.FPS / spoken.rate
    words = []
    for n, (group, onset, own) in enumerate(_token_phones(tokens, spoken)):
        for first, (k, share) in enumerate(zip(group, _shares(group, tokens, own))):
            # the word's own event marks its onset; a token said within it, its first phone
            start = share[0][1] if first and share else onset
            t0 = int(round(start * scale)) + pad
            t1 = int(round(share[-1][2] * scale)) + pad if share else t0 + 1
            words.append((k, _word(tokens[k], t0, t1, share, scale, pad, timeline, heard)))
    placed = _fill_unspoken(tokens, dict(words))
    return [_clip(w, duration) for w in placed]


def _token_phones(tokens, spoken):
    """[(tokens, onset sample, [(label, start, end)])] per word eSpeak NG spoke, in time order.

    A token eSpeak NG said as part of its neighbour ("of the": one word, two tokens) joins the
    group of the token before it (of the one after, at the start)."""
    starts = np.cumsum([0] + [len(t) + 1 for t in tokens[:-1]])
    onset = {}
    for first, _count, sample in spoken.words:
        k = int(np.searchsorted(starts, first, side="right") - 1)
        if 0 <= k < len(tokens):
            onset[k] = min(onset.get(k, sample), sample)
    if not onset:
        return []
    order = sorted(onset)
    groups = {k: [k] for k in order}
    for k in range(len(tokens)):
        if k not in onset:
            before = [j for j in order if j < k]
            groups[before[-1] if before else order[0]].append(k)
    timed = sorted(order, key=onset.get)
    bounds = [onset[k] for k in timed] + [None]
    phones = {k: [] for k in timed}
    events = list(spoken.phones) + [("", len(spoken.samples))]
    n = 0
    for (label, at), (_next, until) in zip(events, events[1:]):
        while n + 1 < len(timed) and at >= bounds[n + 1]:
            n += 1
        if label and at >= bounds[0]:
            phones[timed[n]].append((label, at, until))
    return [(sorted(groups[k]), onset[k], phones[k]) for k in timed]


def _shares(group, tokens, phones):
    """The phones of a group of tokens said as one word, shared by their letter counts."""
    if len(group) == 1:
        return [phones]
    letters = np.array([max(1, sum(c.isalnum() for c in tokens[k])) for k in group], float)
    cuts = np.round(np.cumsum(letters) / letters.sum() * len(phones)).astype(int)
    cuts = np.maximum(cuts, np.minimum(np.arange(1, len(group) + 1), len(phones)))
    return [phones[a:b] for a, b in zip(np.concatenate([[0], cuts[:-1]]), cuts)]


def _word(token, t0, t1, own, scale, pad, timeline, heard):
    act_r, voiced = heard
    end = timeline.end(t1 - 1) + 1
    start = _past_quiet(_snap(timeline.onset(t0), act_r), end, voiced)
    end = max(start + 1, end)
    fps = frames.FPS
    mapped = []
    for label, a, b in own:
        symbol = arpabet(label)
        if symbol is None:
            continue
        pa = max(start, timeline.onset(int(round(a * scale)) + pad))
        pb = min(end, max(pa, timeline.end(int(round(b * scale)) + pad - 1) + 1))
        mapped.append(Phone(symbol, pa / fps, pb / fps))
    confidence = 0.0 if end - start < 2 or not act_r[start:end].any() else 1.0
    return Word(token, start / fps, end / fps, confidence, tuple(mapped))


def _snap(frame, act_r):
    """The recording's speech onset within SNAP_SECONDS of ``frame``, when there is one."""
    reach = int(SNAP_SECONDS * frames.FPS)
    lo, hi = max(1, frame - reach), min(len(act_r), frame + reach + 1)
    rises = np.flatnonzero((act_r[lo:hi] > 0) & (act_r[lo - 1:hi - 1] == 0)) + lo
    if len(rises) == 0:
        return frame
    return int(rises[np.argmin(np.abs(rises - frame))])


def _within_voice(act_r, voiced):
    """``act_r`` without the speech before the voice first holds for VOICED_SECONDS and after it
    last does: a breath or the room's noise there can pass for speech, and the warp would
    give the first (last) word to it."""
    run = max(1, int(round(VOICED_SECONDS * frames.FPS)))
    held = np.flatnonzero(np.convolve(voiced.astype(int), np.ones(run, int), "valid") == run)
    if not len(held):
        return act_r
    out = act_r.copy()
    out[:held[0]] = 0.0
    out[held[-1] + run:] = 0.0
    return out


def _past_quiet(start, end, voiced):
    """``start`` moved on to where the voice holds for VOICED_SECONDS, before ``end``, where the
    word would start in QUIET_SECONDS or more far quieter than the voice (a breath, the room
    before the first word; a click in it is no voice)."""
    run = max(1, int(round(VOICED_SECONDS * frames.FPS)))
    if start >= len(voiced) or voiced[start:start + run].all():
        return start
    stop = max(start, min(end, len(voiced)) - run + 1)
    held = np.convolve(voiced[start:stop + run - 1].astype(int), np.ones(run, int), "valid") == run
    ahead = np.flatnonzero(held)
    if not len(ahead) or ahead[0] < QUIET_SECONDS * frames.FPS:
        return start  # none, or a weak consonant's (h, f, th) few quiet frames
    return start + int(ahead[0])


def _fill_unspoken(tokens, by_token):
    """Tokens eSpeak NG did not say (symbols alone) get their neighbour's time, confidence 0."""
    out = []
    previous = None
    for k, token in enumerate(tokens):
        word = by_token.get(k)
        if word is None:
            at = previous.end if previous is not None else 0.0
            word = Word(token, at, at, 0.0)
        out.append(word)
        previous = word
    return out


def _clip(word, duration):
    start = min(word.start, duration)
    end = min(max(word.end, start), duration)
    return Word(word.word, start, end, word.confidence, word.phones)
