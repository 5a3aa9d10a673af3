"""Forced alignment of a script that may not quite match the recording, without losing it all.

1. **Anchors.** The audio, cut in pauses, is recognised with a language model of the script
   itself (:mod:`.language_model`); where the words heard agree with the script in runs
   (:mod:`.matching`) both sides are known to meet. A script with no run of five words in
   common with the speech is another recording's: the only error.
2. **Segments.** Script and audio are cut together in the pauses between anchored words, into
   pieces of a few seconds. Each piece is force-aligned on its own (worker processes share
   them), through a grammar in which every word may be skipped: an anchored word at a high
   price, a word the recogniser did not hear at a lower one. A sentence the speaker left out,
   a filler the script writes but nobody said, or a name the dictionary misreads then costs
   only itself. Script words for which the audio leaves no room at all are not tried.
3. **Phones.** pocketsphinx re-aligns each piece state by state: the phones of every word.
4. **Confidence.** A word both heard and aligned has confidence 1; aligned but not heard
   (the aligner fitted it between its neighbours) 0.75; heard but not aligned, or aligned far
   from where it was heard, keeps the recogniser's times with 0.5 and no phones. Any other
   word gets times interpolated between its placed neighbours and confidence 0, and all of
   them are listed in one warning.
"""

import logging
from dataclasses import dataclass, field

from ....inference.speech.english_text import iter_tokens, spoken_words
from ....inference.speech.timing import SpeechError
from ....inference.speech.words import Phone, Word
from . import decoding
from . import tasks as tasks_
from .chunks import pause_chunks
from .language_model import FILLER_WORDS, script_arpa
from .matching import belongs, matched_pairs
from .workers import run_tasks

log = logging.getLogger(__name__)

ANCHOR_CHUNK_SECONDS = 10.0  # the script is listened for in pieces of at most this length
ANCHOR_SHARE = 0.4  # of the progress: listening for the script; the rest is aligning
MIN_CUT_PAUSE = 0.15  # seconds of pause between anchored words where segments may be cut
MIN_SEGMENT_SECONDS = 3.0
MAX_SEGMENT_SECONDS = 20.0  # cut without a pause rather than align longer pieces
MARGIN_SECONDS = 0.05  # a segment cut without a pause reaches this far into its neighbours
SMALL_GAP = 2  # words missing on either side of two anchors that need no segment of their own
MIN_WORD_SECONDS = 0.06  # less audio than this per word: the words were not said here
RUN_NEEDS_ROOM = 3  # ... checked for runs of this many unheard words or more
# Grammar probabilities of leaving a word out. pocketsphinx prunes any transition less likely
# than about 1e-28 at once, so an unheard word's must stay above that; a heard word's is
# pruned, i.e. it is never left out.
SKIP_ANCHORED = 1e-100
SKIP_UNHEARD = 1e-20
UNHEARD_CONFIDENCE = 0.75  # aligned, but the recogniser did not hear it
HEARD_CONFIDENCE = 0.5  # heard in agreement with the script, but not aligned
DISAGREE_SECONDS = 0.25  # aligned this far from where it was heard: trust neither
LARGE_VOCABULARY = 5000  # words: a decoder for more takes seconds to set up
_SENTENCE_END = (".", "!", "?", ";", ":")
_LISTED = 12  # unplaced words named in the warning


@dataclass
class Script:
    """A transcript read for alignment.

    tokens : the written words that carry speech ("5", "Hello,").
    words : the dictionary words they are spoken as, in order ("five", "hello").
    owner : for each of ``words``, the index of its token.
    sentences : ``words`` cut where the writing ends a sentence (for the language model).
    """

    tokens: list
    words: list = field(default_factory=list)
    owner: list = field(default_factory=list)
    sentences: list = field(default_factory=list)


def read_script(transcript, step=None):
    """The Script of a plain-text transcript; step() is called every few thousand words."""
    script = Script(tokens=[])
    sentence = []
    for n, token in enumerate(iter_tokens(transcript)):
        if step is not None and n % 2000 == 0:
            step()
        spoken = spoken_words(token)
        if not spoken:
            continue
        script.tokens.append(token)
        script.words.extend(spoken)
        script.owner.extend([len(script.tokens) - 1] * len(spoken))
        sentence.extend(spoken)
        if token.rstrip("\"')]").endswith(_SENTENCE_END):
            script.sentences.append(sentence)
            sentence = []
    if sentence:
        script.sentences.append(sentence)
    return script


def align(audio, transcript, progress=None, workers=None):
    """The Words of ``transcript`` (plain text) timed on ``audio`` (16 kHz DecodedAudio).

    progress(fraction) is called at least every 0.1 s and may raise to cancel.
    """
    script = read_script(transcript, (lambda: progress(0.0)) if progress is not None else None)
    if not script.words:
        raise SpeechError("the transcript holds no (English) words to align")
    heard = listen_for_script(audio, script, _scaled(progress, 0.0, ANCHOR_SHARE), workers)
    tick = (lambda: progress(ANCHOR_SHARE)) if progress is not None else None
    pairs = matched_pairs([h[0] for h in heard], script.words, step=tick)
    if not belongs(pairs, len(script.words)):
        raise SpeechError(f"{audio.name}: the transcript does not match the speech (of "
                          f"{len(heard)} words heard, {len(pairs)} agree with the script's "
                          f"{len(script.words)}): is it the script of another recording?")
    anchors = {j: heard[i] for i, j in pairs}
    log.info("%s: %d of %d script words heard in agreement", audio.name, len(anchors),
             len(script.words))
    segments = plan_segments(pairs, heard, len(script.words), audio.duration)
    placed = align_segments(audio, script, segments, _scaled(progress, ANCHOR_SHARE, 1.0), workers)
    return timed_tokens(script, placed, anchors, audio)


def listen_for_script(audio, script, progress=None, workers=None):
    """[(word, start, end, posterior)] recognised in ``audio`` with the script's language
    model, decoded in pause-delimited pieces side by side."""
    tick = (lambda: progress(0.0)) if progress is not None else None
    arpa = script_arpa(script.sentences, tick)
    vocabulary = set(script.words) | set(FILLER_WORDS)
    dictionary, _ = decoding.dictionary_for(vocabulary, tick)
    pieces = pause_chunks(audio.samples, audio.sample_rate, ANCHOR_CHUNK_SECONDS)
    pcm = audio.pcm16(dither=True)
    tasks = [decoding.piece(pcm, a, b, audio.sample_rate) for a, b in pieces]
    found = run_tasks((tasks_.script_decoder, (dictionary, arpa)), decoding.decode_piece, tasks,
                      progress, workers, weights=[(b - a) / audio.sample_rate for a, b in pieces],
                      isolate=len(vocabulary) > LARGE_VOCABULARY)
    return [segment for piece in found for segment in piece]


@dataclass
class Segment:
    """A piece of script and audio aligned on its own: script words first..stop-1 in
    [start, end] seconds; ``anchored`` marks the words the recogniser heard; ``tried`` those
    the audio has room for."""

    first: int
    stop: int
    start: float
    end: float
    anchored: list
    tried: list


def plan_segments(pairs, heard, n_words, duration):
    """Cut script and audio together into segments (see the module docstring).

    pairs : [(heard index, script index)] of the anchors; heard : [(word, start, end, p)].
    Where script and speech agree word for word, cuts fall in pauses, every few seconds.
    Where they disagree by more than SMALL_GAP words (a sentence missing on either side), the
    disagreement gets a segment of its own, between the anchored words around it, so it
    cannot pull them out of place.
    """
    cuts = [(0, 0.0, 0.0)]  # (script index, time, margin)

    def cut(j, at, margin=0.0):
        if j > cuts[-1][0] and at >= cuts[-1][1]:
            cuts.append((j, at, margin))

    for (i, j), (i2, j2) in zip(pairs, pairs[1:]):
        end, start = heard[i][2], heard[i2][1]
        if max(i2 - i, j2 - j) - 1 <= SMALL_GAP:
            if i2 != i + 1 or j2 != j + 1:
                continue  # a word or two heard or written in between: the grammar copes
            pause = start - end
            at = end + pause / 2 if pause > 0 else start
            length = at - cuts[-1][1]
            in_pause = pause >= MIN_CUT_PAUSE and length >= MIN_SEGMENT_SECONDS
            if in_pause or length >= MAX_SEGMENT_SECONDS:
                cut(j2, at)
        else:
            cut(j + 1, end, MARGIN_SECONDS)
            cut(j2, max(end, start), MARGIN_SECONDS)
    cuts.append((n_words, duration, 0.0))
    anchors = {j: heard[i] for i, j in pairs}
    segments = []
    for (first, start, m0), (stop, end, m1) in zip(cuts, cuts[1:]):
        anchored = [first + k in anchors for k in range(stop - first)]
        segments.append(Segment(first, stop, max(0.0, start - m0), min(duration, end + m1),
                                anchored, _room_for(anchors, first, stop, start, end)))
    return segments


def _room_for(anchors, first, stop, start, end):
    """Which words of a segment to try: all but runs of RUN_NEEDS_ROOM or more unheard words
    for which the anchors around them leave less than MIN_WORD_SECONDS of audio a word."""
    tried = [True] * (stop - first)
    j = first
    while j < stop:
        if j in anchors:
            j += 1
            continue
        run_end = j
        while run_end < stop and run_end not in anchors:
            run_end += 1
        after = anchors[run_end][1] if run_end < stop else end
        before = anchors[j - 1][2] if j > first else start
        n = run_end - j
        if n >= RUN_NEEDS_ROOM and after - before < MIN_WORD_SECONDS * n:
            for k in range(j, run_end):
                tried[k - first] = False
        j = run_end
    return tried


def align_segments(audio, script, segments, progress=None, workers=None):
    """{script word index: (start, end, phones)} of every word alignment placed."""
    pcm = audio.pcm16(dither=True)
    rate = audio.sample_rate
    tasks = []
    for seg in segments:
        a, b = int(seg.start * rate), int(seg.end * rate)
        ks = [k for k in range(seg.stop - seg.first) if seg.tried[k]]
        words = [script.words[seg.first + k] for k in ks]
        skips = [SKIP_ANCHORED if seg.anchored[k] else SKIP_UNHEARD for k in ks]
        tasks.append((decoding.piece(pcm, a, b, rate), words, skips))
    tick = (lambda: progress(0.0)) if progress is not None else None
    dictionary, guessed = decoding.dictionary_for(script.words, tick)
    for word, phones in guessed.items():
        log.info("'%s' is not in the dictionary; pronouncing it %s", word, phones)
    results = run_tasks((tasks_.align_decoders, (dictionary,)), tasks_.align_piece, tasks,
                        progress, workers, weights=[max(0.1, s.end - s.start) for s in segments])
    placed = {}
    for seg, found in zip(segments, results):
        ks = [k for k in range(seg.stop - seg.first) if seg.tried[k]]
        for n, start, end, phones in found:
            placed[seg.first + ks[n]] = (start, end, phones)
    return placed


def timed_tokens(script, placed, anchors, audio):
    """The script's tokens as Words: aligned, heard, or interpolated (see the module doc)."""
    times = []  # per spoken word: (start, end, confidence, phones) or None
    for j in range(len(script.words)):
        heard = anchors.get(j)
        if j in placed and (heard is None or abs(placed[j][0] - heard[1]) <= DISAGREE_SECONDS):
            start, end, phones = placed[j]
            confidence = 1.0 if heard is not None else UNHEARD_CONFIDENCE
            times.append((start, end, confidence, tuple(Phone(p, s, e) for p, s, e in phones)))
        elif heard is not None:
            times.append((heard[1], heard[2], HEARD_CONFIDENCE, ()))
        else:
            times.append(None)
    missing = [j for j, t in enumerate(times) if t is None]
    _no_overlaps(times)
    _interpolate(times, audio.duration)
    per_token = [[] for _ in script.tokens]
    for j, t in enumerate(script.owner):
        per_token[t].append(times[j])
    words = []
    for token, mine in zip(script.tokens, per_token):
        confidence = sum(m[2] for m in mine) / len(mine)
        words.append(Word(token, mine[0][0], max(m[1] for m in mine), confidence,
                          tuple(p for m in mine for p in m[3])))
    unplaced = list(dict.fromkeys(script.owner[j] for j in missing))  # the written words, once
    if unplaced:
        names = ", ".join(f"'{script.tokens[t]}'" for t in unplaced[:_LISTED])
        more = f" and {len(unplaced) - _LISTED} more" if len(unplaced) > _LISTED else ""
        log.warning("%s: %d of %d words could not be placed in the speech and were given "
                    "interpolated times (confidence 0): %s%s", audio.name, len(unplaced),
                    len(script.tokens), names, more)
    return words


def _no_overlaps(times):
    """Words placed in neighbouring segments (which overlap a little) or heard rather than
    aligned may overlap their neighbours: meet them halfway, so times follow the script."""
    placed = [j for j, t in enumerate(times) if t is not None]
    for a, b in zip(placed, placed[1:]):
        (s0, e0, c0, p0), (s1, e1, c1, p1) = times[a], times[b]
        if s1 < e0:
            cut = min(max((s1 + e0) / 2, s0), e1)
            times[a] = (s0, max(s0, cut), c0, p0)
            times[b] = (min(cut, e1), e1, c1, p1)


def _interpolate(times, duration):
    """Fill None entries of ``times`` in place: spread each run evenly between the placed
    words around it (0.3 s a word at the ends of the audio)."""
    j = 0
    while j < len(times):
        if times[j] is not None:
            j += 1
            continue
        k = j
        while k < len(times) and times[k] is None:
            k += 1
        n = k - j
        left = times[j - 1][1] if j > 0 else None
        right = times[k][0] if k < len(times) else None
        if left is None and right is None:
            left, right = 0.0, duration
        elif left is None:
            left = max(0.0, right - 0.3 * n)
        elif right is None:
            right = min(duration, left + 0.3 * n)
        right = max(left, right)
        width = (right - left) / n
        for m in range(n):
            times[j + m] = (left + m * width, left + (m + 1) * width, 0.0, ())
        j = k


def _scaled(progress, lo, hi):
    """progress for a part of the work, from ``lo`` to ``hi`` of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress(lo + (hi - lo) * fraction)
