"""Real speech with damaged transcripts and recordings, made here from the shared data.

A :class:`Case` is a recording, the script a user might give for it, and the truth: for every
token of the script, when it was really spoken (from the reference TextGrid), or None when it
was not (a sentence added to the script, a word replaced by a name nobody said). Damage comes
from small functions that each change one thing; :func:`score` says how an alignment did.
"""

from dataclasses import dataclass, replace

import numpy as np
from support.speech_synth import speak

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

RATE = 16000
FILLERS = ("uh", "um", "er", "hmm")
NAMES = ("Kowalczyk", "Aurelio", "Ngata", "Szczepanski", "Oyelaran", "Vuorinen", "Quaresma",
         "Tshabalala")
OTHER_SENTENCE = "the committee will publish its findings about the harbour next winter".split()


@dataclass(frozen=True)
class Case:
    """name : what was done. audio : DecodedAudio. tokens : the script, token by token.
    truth : for each token, its reference onset in seconds, or None when it was not spoken.
    ends : for each token, its reference end (None when not spoken)."""

    name: str
    audio: object
    tokens: tuple
    truth: tuple
    ends: tuple

    @property
    def script(self):
        return " ".join(self.tokens)


def reference_case(wav, textgrid, seconds=None, name=None):
    """The recording and its reference words as a clean Case (optionally its first seconds)."""
    audio = decode_audio(wav)
    words = read_words(read_transcript_file(textgrid), str(textgrid))
    if seconds is not None:
        audio = decode_audio(audio.samples[:int(seconds * RATE)], name=f"{audio.name}[:{seconds:g}s]")
        words = [w for w in words if w.end <= seconds]
    return Case(name or "clean", audio, tuple(w.word for w in words),
                tuple(w.start for w in words), tuple(w.end for w in words))


def reference_phones(textgrid, seconds=None):
    """The reference Words (with phones) of a TextGrid, up to ``seconds``."""
    words = read_words(read_transcript_file(textgrid), str(textgrid))
    return [w for w in words if seconds is None or w.end <= seconds]


def espeak_case(tokens, voice="en-us", words_per_minute=165, seed=0):
    """Speech with known word times that is in no shared file: eSpeak NG says each written
    token ("Dr.", "$5", "1999", a name) on its own, and the pieces are joined with short
    pauses of random length, so every token's onset is known to the sample."""
    rng = np.random.default_rng(seed)
    spoken = []
    for token in tokens:
        samples, rate = speak(token, voice, words_per_minute)
        loud = np.flatnonzero(np.abs(samples) > 0.02)
        spoken.append(samples[loud[0]:loud[-1] + 1] if len(loud) else samples[:0])
    pieces, truth, ends = [np.zeros(int(0.4 * rate), np.float32)], [], []
    t = 0.4
    for samples in spoken:
        truth.append(t)
        ends.append(t + len(samples) / rate)
        gap = int(rng.uniform(0.03, 0.25) * rate)
        pieces += [samples, np.zeros(gap, np.float32)]
        t = ends[-1] + gap / rate
    pieces.append(np.zeros(int(0.4 * rate), np.float32))
    audio = decode_audio(np.concatenate(pieces), sample_rate=rate, name=f"espeak-{voice}.wav")
    return Case(f"espeak {voice}", audio, tuple(tokens), tuple(truth), tuple(ends))


def _edit(case, name, start, stop, tokens=(), truth=None):
    """Replace tokens start..stop-1 of the script with ``tokens`` (spoken at ``truth``)."""
    truth = truth if truth is not None else [None] * len(tokens)
    return replace(case, name=name,
                   tokens=case.tokens[:start] + tuple(tokens) + case.tokens[stop:],
                   truth=case.truth[:start] + tuple(truth) + case.truth[stop:],
                   ends=case.ends[:start] + tuple(truth) + case.ends[stop:])


def drop_words(case, at, count):
    """The script misses ``count`` words the speaker said, from token ``at`` on."""
    return _edit(case, f"drop {count} words", at, at + count)


def add_words(case, at, words=OTHER_SENTENCE):
    """The script has a sentence nobody said, before token ``at``."""
    return _edit(case, f"add {len(words)} words", at, at, words)


def repeat_words(case, at, count):
    """The script says ``count`` words twice where the speaker said them once. Either copy
    may be the one aligned, so neither has a reference time (half of them were not said)."""
    twice = _edit(case, f"{count} words written twice", at + count, at + count, case.tokens[at:at + count])
    return _edit(twice, twice.name, at, at + count, twice.tokens[at:at + count])


def replace_with_names(case, every=9):
    """Every ``every``-th word of the script becomes a name the dictionary lacks (and that was
    not said)."""
    tokens, truth = list(case.tokens), list(case.truth)
    for n, k in enumerate(range(every // 2, len(tokens), every)):
        tokens[k] = NAMES[n % len(NAMES)]
        truth[k] = None
    return replace(case, name=f"names every {every}", tokens=tuple(tokens), truth=tuple(truth))


def remove_fillers(case):
    """The script leaves out the spoken hesitations (uh, um)."""
    keep = [k for k, t in enumerate(case.tokens) if t.lower() not in FILLERS]
    return replace(case, name="fillers removed", tokens=tuple(case.tokens[k] for k in keep),
                   truth=tuple(case.truth[k] for k in keep), ends=tuple(case.ends[k] for k in keep))


def add_fillers(case, every=11):
    """The script writes "um" where the speaker said nothing of the kind."""
    out = case
    for k in reversed(range(every, len(case.tokens), every)):
        out = _edit(out, "", k, k, ["um,"])
    return replace(out, name=f"um written every {every}")


def insert_audio(case, seconds, kind="silence", seed=0):
    """``seconds`` of digital silence or of loud noise put into the recording in its pause
    nearest the middle; later reference times move on."""
    at = _pause_near(case, case.audio.duration / 2)
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    if kind == "silence":
        filler = np.zeros(n, np.float32)
    else:
        filler = _noise(rng, n, level=0.05)
    return _with_audio(case, f"{seconds:g} s of {kind} inserted", at, filler)


def music_before(case, seconds=6.0, sound=None):
    """Music (``sound(seconds)`` from sound_support; plucked chords with a beat by default)
    before the speech begins."""
    from support.sound_support import plucked_chords

    return _with_audio(case, f"{seconds:g} s of music before", 0.0, (sound or plucked_chords)(seconds))


def _noise(rng, n, level):
    """Brown-ish noise (a fan, traffic) at RMS ``level``."""
    white = rng.standard_normal(n)
    smooth = np.convolve(white, np.ones(8) / 8, mode="same")
    return (level * smooth / np.sqrt(np.mean(smooth ** 2))).astype(np.float32)


def _pause_near(case, time):
    """The middle of the reference pause (between spoken tokens) nearest ``time``."""
    spoken = sorted((s, e) for s, e in zip(case.truth, case.ends) if s is not None)
    gaps = [((a[1] + b[0]) / 2, b[0] - a[1]) for a, b in zip(spoken, spoken[1:]) if b[0] - a[1] >= 0.1]
    return min(gaps, key=lambda g: abs(g[0] - time))[0]


def _with_audio(case, name, at, inserted):
    samples = case.audio.samples
    k = int(at * RATE)
    audio = decode_audio(np.concatenate([samples[:k], inserted, samples[k:]]), name=case.audio.name)
    shift = len(inserted) / RATE

    def moved(t):
        return None if t is None else (t + shift if t >= at else t)

    return replace(case, name=name, audio=audio, truth=tuple(moved(t) for t in case.truth),
                   ends=tuple(moved(t) for t in case.ends))


def score(case, words, placed_at=0.5):
    """How an alignment did on ``case``.

    placed : share of the really spoken tokens given confidence >= ``placed_at``.
    median_ms, within_100ms : onset errors of those placed tokens.
    unspoken_doubted : share of the tokens nobody said that got confidence < 1.
    """
    by_token = _in_script_order(case, words)
    spoken = [k for k, t in enumerate(case.truth) if t is not None]
    placed = [k for k in spoken if by_token[k].confidence >= placed_at]
    errors = np.array([abs(by_token[k].start - case.truth[k]) for k in placed])
    unspoken = [k for k, t in enumerate(case.truth) if t is None]
    return {
        "placed": len(placed) / max(1, len(spoken)),
        "median_ms": 1000 * float(np.median(errors)) if len(errors) else float("nan"),
        "within_100ms": float(np.mean(errors <= 0.1)) if len(errors) else float("nan"),
        "unspoken_doubted": (sum(by_token[k].confidence < 1 for k in unspoken) / len(unspoken)
                             if unspoken else float("nan")),
    }


def _in_script_order(case, words):
    """The Words (one per token, sorted by time) back in the script's token order."""
    assert len(words) == len(case.tokens), (len(words), len(case.tokens))
    remaining = list(words)
    ordered = []
    for token in case.tokens:
        # words placed out of order (e.g. an unplaced one interpolated) may have moved when
        # sorted by time: take the first remaining word with this text
        k = next(i for i, w in enumerate(remaining) if w.word == token)
        ordered.append(remaining.pop(k))
    return ordered
