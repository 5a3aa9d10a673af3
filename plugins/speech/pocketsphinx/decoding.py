"""One pocketsphinx decoder at work: feeding audio in small blocks (so progress and cancel are
heard between them), reading words and phones back, and the search settings.

This module imports only pocketsphinx and the standard library, so worker processes that decode
start fast.
"""

import functools
import logging
import os
import tempfile
import threading

from ....inference.audio.decode import SAMPLE_RATE
from ....inference.speech.english_text import guess_pronunciation

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.01  # pocketsphinx's frame rate is 100 per second
BLOCK_BYTES = 2 * SAMPLE_RATE // 10  # 0.1 s of 16-bit samples per decoder call
FILLERS = frozenset({"<s>", "</s>", "<sil>", "(NULL)", "[NOISE]", "[SPEECH]", "[BREATH]",
                     "[COUGH]", "[SMACK]", "[UH]", "[UM]"})

# Recognition: no second (flat-lexicon) pass, at most 2000 HMMs per frame, the 3 best
# Gaussians, a 10-frame phone look-ahead. On the shared recordings this is 3-4 times faster than
# pocketsphinx's defaults at about the same word error rate and onset accuracy
# (benchmarks/JOURNAL.md).
RECOGNITION_SEARCH = {"fwdflat": False, "maxhmmpf": 2000, "topn": 3, "pl_window": 10}
# Free recognition searches the bundled dictionary's words most likely under its language model
# (tools/recognition_words.py): a fifth less CPU a second of speech than all 134,000
# pronunciations, as many words right. VOCABULARIES are the choices: "common" (the default) or
# "whole", whose confidences the English verdict was set on (inference/speech/timing.py).
RECOGNITION_WORDS = os.path.join(os.path.dirname(__file__), "recognition_words.txt")
VOCABULARIES = ("common", "whole")
# Listening for a script's words (a vocabulary of hundreds, not 134 000): pocketsphinx's full
# search, bounded. The cheaper recognition settings lose a fifth of the anchors.
LISTENING_SEARCH = {"maxhmmpf": 3000}
PRIME_SECONDS = 5.0  # audio heard before each piece, to start from the recording's channel
_PRIME = "talkrig-prime"


class Stop(Exception):
    """Raised by a ``step`` callback to abandon the utterance being decoded."""


DEFAULT_SEARCH = "_default"  # pocketsphinx's name for the search of the configured model
_lookup = None
_lookup_lock = threading.Lock()


def new_decoder(dictionary=None, arpa=None, keyphrases=None, **config):
    """A fresh pocketsphinx Decoder (bundled US-English acoustic model).

    dictionary : the text of a pronunciation dictionary (from :func:`dictionary_for`) to use
        instead of the bundled 134 000 words: a language model over a script's few hundred
        words is then set up in milliseconds rather than 20 s.
    arpa : the text of a language model to recognise with (instead of the bundled one).
    keyphrases : the text of a keyword list ("word /threshold/" lines) to spot instead.
    config : other pocketsphinx options.

    Its own dither stays off: the PCM comes dithered (DecodedAudio.pcm16), the same every run.
    """
    from pocketsphinx import Decoder

    files = []
    try:
        for key, text, suffix in (("dict", dictionary, ".dict"), ("lm", arpa, ".arpa"),
                                  ("kws", keyphrases, ".kws")):
            if text is not None:
                config[key] = _temporary(text, suffix, files)
        decoder = Decoder(loglevel="FATAL", **config)
    finally:
        for path in files:
            os.unlink(path)
    decoder.add_fsg(_PRIME, decoder.create_fsg(_PRIME, 0, 1, [(0, 1, 1.0, "<sil>")]))
    return decoder


@functools.lru_cache(maxsize=1)
def recognition_dictionary():
    """The text of the bundled dictionary's entries (every pronunciation) of the words in
    RECOGNITION_WORDS, read once per process (70 ms): a recording under 20 s sets its decoder
    up in the calling process at every call."""
    import pocketsphinx

    try:
        with open(RECOGNITION_WORDS, encoding="utf-8") as lines:
            words = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    except OSError as exc:  # a broken install: say how to go on, not which call failed
        raise RuntimeError(f"the recognition word list {RECOGNITION_WORDS} cannot be read "
                           f"({exc.strerror or exc}): reinstall talkrig, or search the whole "
                           "dictionary (speech option vocabulary=whole)") from None
    bundled = os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict")
    with open(bundled, encoding="utf-8") as lines:
        return "".join(line for line in lines if line.split(" ", 1)[0].split("(", 1)[0] in words)


def _temporary(text, suffix, files):
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="talkrig-")
    files.append(path)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def lookup(word):
    """The bundled dictionary's phones for ``word`` ("the(2)" for its second), or None."""
    global _lookup
    with _lookup_lock:
        if _lookup is None:
            _lookup = new_decoder(lm=None)
        return _lookup.lookup_word(word)


def dictionary_for(words, step=None):
    """(dictionary text, {word: phones} of the words pronounced by rule) for ``words``: every
    pronunciation the bundled dictionary has for each ("the", "the(2)"), and a pronunciation
    built by rule for words it lacks (names, typos, "yknow"). step() is called every few
    thousand words."""
    lines, guessed = [], {}
    for n, word in enumerate(sorted(set(words))):
        if step is not None and n % 2000 == 0:
            step()
        phones = lookup(word)
        if phones is None:
            guessed[word] = guess_pronunciation(word, lookup)
            lines.append(f"{word} {guessed[word]}")
            continue
        lines.append(f"{word} {phones}")
        n = 2
        while (alternate := lookup(f"{word}({n})")) is not None:
            lines.append(f"{word}({n}) {alternate}")
            n += 1
    lines.extend(f"{word} {phones}" for word, phones in HESITATIONS.items())
    return "\n".join(lines) + "\n", guessed


def run_utterance(decoder, pcm, step=None):
    """Decode ``pcm`` (16-bit mono bytes) as one utterance, a block at a time.

    step(fraction) is called after every block (0.1 s of audio); it may raise (e.g. Stop or a
    cancel) to abandon the utterance. The decoder holds the GIL while it works, so small blocks
    also keep a server's other threads responsive.
    """
    decoder.start_utt()
    total = max(1, len(pcm))
    for start in range(0, len(pcm), BLOCK_BYTES):
        decoder.process_raw(pcm[start:start + BLOCK_BYTES], no_search=False, full_utt=False)
        if step is not None:
            step(min(1.0, (start + BLOCK_BYTES) / total))
    decoder.end_utt()


def piece(pcm, start, stop, rate=SAMPLE_RATE):
    """A task for :func:`decode_piece`: (prime, piece, offset s) for samples start..stop of
    ``pcm``; the prime is the PRIME_SECONDS before it (the piece's own start for the first)."""
    lead = int(PRIME_SECONDS * rate)
    before = (max(0, start - lead), start) if start > 0 else (start, min(stop, start + lead))
    return pcm[2 * before[0]:2 * before[1]], pcm[2 * start:2 * stop], start / rate


def prime(decoder, pcm, search):
    """Reset the decoder's front end and let it hear ``pcm`` through a grammar that costs
    nothing to search. Its channel estimate (cepstral mean) then starts from the recording's
    rather than a default, and the words of a piece do not depend on which piece the same
    process decoded before it (results are the same however pieces are shared out).
    ``search`` is the search to make active again afterwards (None: the caller sets one)."""
    decoder.reinit_feat()
    if pcm:
        decoder.activate_search(_PRIME)
        run_utterance(decoder, pcm)
    if search is not None:
        decoder.activate_search(search)


def decode_piece(state, task, step=None):
    """Recognise one piece: state (decoder, search name), task (prime, pcm, offset) as made by
    :func:`piece` -> [(word, start s, end s, posterior)]."""
    decoder, search = state
    before, pcm, offset = task
    prime(decoder, before, search)
    run_utterance(decoder, pcm, step)
    return segments(decoder, offset)


def base_word(name):
    """The dictionary word of a decoder's word name: "the(2)" -> "the" (keyword spotting adds
    a trailing space)."""
    name = name.strip()
    if name.endswith(")") and "(" in name[1:]:
        return name[:name.rindex("(")]
    return name


def segments(decoder, offset=0.0):
    """[(word, start s, end s, posterior)] of the last utterance, fillers and pauses left out."""
    if decoder.hyp() is None:
        return []
    found = []
    for seg in decoder.seg():
        if seg.word in FILLERS:
            continue
        found.append((base_word(seg.word), offset + seg.start_frame * FRAME_SECONDS,
                      offset + (seg.end_frame + 1) * FRAME_SECONDS,
                      float(min(max(seg.prob, 0.0), 1.0))))
    return found


# Pauses and noises an alignment grammar lets through between any two words (pocketsphinx's own
# filler insertion, "fsgusefiller", is off for alignment: with it a piece can begin with "<s>",
# on which the phone-level pass fails).
GRAMMAR_FILLERS = (("<sil>", 0.005), ("[NOISE]", 1e-4), ("[SPEECH]", 1e-4), ("[UH]", 1e-3),
                   ("[UM]", 1e-3))
HESITATIONS = {"[UH]": "AH", "[UM]": "AH M"}  # said but seldom written: in every dictionary
# Before the first word and after the last, the audio may hold the end of the word before
# the piece or the start of the one after it: noise or speech there is expected.
EDGE_FILLERS = (("<sil>", 0.2), ("[NOISE]", 0.2), ("[SPEECH]", 0.2))
ALIGNMENT = {"fsgusefiller": False, "bestpath": False}  # decoder options for alignment
# Beams for the pieces the default ones prune to nothing (about 3 times slower).
WIDE_BEAMS = {"beam": 1e-100, "wbeam": 1e-80, "pbeam": 1e-100, "maxhmmpf": -1}


def chain(words, skips=None):
    """The transitions of a grammar that says ``words`` in order, with optional fillers between
    them. skips : per word, the probability of leaving it out (None: none may be left out).

    pocketsphinx does not follow two empty transitions in a row, so every run of skipped words
    is one transition (with the product of their probabilities).
    """
    transitions = [(n, n + 1, 1.0 - (skips[n] if skips else 0.0), w) for n, w in enumerate(words)]
    for state in range(len(words) + 1):
        fillers = EDGE_FILLERS if state in (0, len(words)) else GRAMMAR_FILLERS
        transitions.extend((state, state, p, filler) for filler, p in fillers)
    if skips:
        for n in range(len(words)):
            p = 1.0
            for m in range(n, min(len(words), n + MAX_SKIPPED)):
                p *= skips[m]
                if p < 1e-300:
                    break
                transitions.append((n, m + 1, p))
    return transitions


MAX_SKIPPED = 64  # words one empty transition may jump over


def align_phones(decoder, words, skips, pcm, offset=0.0, step=None):
    """Align ``words`` (may each be left out with probability ``skips``) to ``pcm``: a list of
    (index in words, start, end, [(phone, start, end)]) in seconds from ``offset`` for the
    words placed; [] when nothing could be fitted. The decoder needs ALIGNMENT options.

    Two or three passes: the grammar with skips; when it left words out, a plain chain of the
    words it chose (pocketsphinx's state-level aligner cannot follow empty transitions); and
    the state-level re-alignment, which gives the phones. Its cost grows with words x frames,
    so callers give it stretches of speech (seconds), not whole recordings. When the last pass fails, the words
    come back with the times of the first and no phones.
    """
    def part(k):
        return (lambda f: step((k + f) / 3)) if step is not None else None

    _search(decoder, chain(words, skips))
    run_utterance(decoder, pcm, part(0))
    first = segments(decoder, offset)
    indices = _subsequence([w for w, _, _, _ in first], words)
    if not first or indices is None:
        return []
    chosen = [w for w, _, _, _ in first]
    alignment = None
    try:
        if len(chosen) == len(words):  # nothing left out: the grammar's path has no empty step
            alignment = _state_alignment(decoder, pcm, part(2))
    except RuntimeError:
        alignment = None
    try:
        if alignment is None:
            _search(decoder, chain(chosen))
            run_utterance(decoder, pcm, part(1))
            alignment = _state_alignment(decoder, pcm, part(2))
    except RuntimeError as exc:
        log.debug("phone alignment failed (%s); keeping word times", exc)
        alignment = None
    placed = []
    for entry in alignment or ():
        name = base_word(entry.name)
        if name in FILLERS:
            continue
        phones = [(phone.name, offset + phone.start * FRAME_SECONDS,
                   offset + (phone.start + phone.duration) * FRAME_SECONDS) for phone in entry]
        placed.append((name, offset + entry.start * FRAME_SECONDS,
                       offset + (entry.start + entry.duration) * FRAME_SECONDS, phones))
    if [p[0] for p in placed] != chosen:
        placed = [(word, start, end, []) for word, start, end, _ in first]
    return [(k, start, end, phones) for k, (_, start, end, phones) in zip(indices, placed)]


def _state_alignment(decoder, pcm, step):
    """pocketsphinx's state-level re-alignment of the last utterance's words."""
    decoder.set_alignment()
    run_utterance(decoder, pcm, step)
    return decoder.get_alignment()


def _search(decoder, transitions):
    """Make a grammar of ``transitions`` (ending in the highest state) the active search."""
    final = max(max(t[0], t[1]) for t in transitions)
    decoder.add_fsg("talkrig-align", decoder.create_fsg("talkrig-align", 0, final, transitions))
    decoder.activate_search("talkrig-align")


def _subsequence(found, words):
    """Indices in ``words`` of the ``found`` words, matched in order (None if they are not a
    subsequence of it)."""
    indices, n = [], 0
    for word in found:
        while n < len(words) and words[n] != word:
            n += 1
        if n == len(words):
            return None
        indices.append(n)
        n += 1
    return indices
