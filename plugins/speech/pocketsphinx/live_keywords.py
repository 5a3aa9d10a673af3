"""Key-pose words heard as the voice arrives: pocketsphinx's recogniser with its bundled US-English
language model, fed chunk by chunk, its partial hypothesis read after every chunk.

The language model is what a keyword search lacks: it has to decide from the sound of one word
alone, and short words ("big", "no", "up") sound like half the syllables of English; the
recogniser weighs every word against all the others and against what was said before it (on
held-out real speech 4 of 5 words it reports were said, against 1 of 3 for a tuned keyword
search). It is no better than offline recognition: on synthetic voices both mishear often. A
word in the partial hypothesis can still change as more audio arrives ("fashion the" becomes
"fashion ends such"), so a key-pose word is reported only once it has stood, at the same place,
for STABLE_SECONDS (tuned by benchmarks/tune_live_keywords.py; figures in benchmarks/JOURNAL.md).
The utterance is ended at each pause of PAUSE_SECONDS, which bounds the cost of reading the
hypothesis back (it grows with the utterance), and the words of its final hypothesis not yet
reported are reported then.
"""

import logging

import numpy as np
from pocketsphinx import Vad

from ....inference.audio.decode import DITHER_SEED, pcm16_bytes
from ....inference.generation.keyposes import word_forms
from ....inference.speech.words import Word
from . import decoding
from .keywords import keyword_forms

log = logging.getLogger(__name__)

STABLE_SECONDS = 0.4  # a word must stand this long in the partial hypothesis to be reported
PAUSE_SECONDS = 0.3  # this much non-speech after speech ends the utterance
MIN_UTTERANCE_SECONDS = 1.0  # ... once it is at least this long (short ones lose context)
MAX_UTTERANCE_SECONDS = 30.0  # an utterance longer than this ends at the next non-speech frame
VAD_FRAME_SECONDS = 0.02
SAME_PLACE_SECONDS = 0.1  # a word whose start moves less than this is the same word


def live_forms(lemmas):
    """{form: phones} of the spoken forms of ``lemmas`` that lead back to one of them ("hugs"
    is a form of "hug", not of "huge"), less names that only look like forms ("biggs",
    "downes"): listening for those would only bring false alarms."""
    wanted = {str(x).lower().strip() for x in lemmas}
    odd = {w + w[-1] + "s" for w in wanted} | {w + "es" for w in wanted if not w.endswith(("s", "x", "z", "ch", "sh"))}
    return {form: phones for form, phones in keyword_forms(wanted, decoding.lookup).items()
            if wanted & set(word_forms(form)) and form not in odd}


class LiveRecogniser:
    """Reports the spoken forms of ``lemmas`` recognised in audio fed a chunk at a time.

    stable : seconds a word must stand in the partial hypothesis (STABLE_SECONDS).
    """

    def __init__(self, lemmas, stable=STABLE_SECONDS):
        self.forms = live_forms(lemmas)
        if not self.forms:
            raise ValueError("none of the key-pose words is in the pronunciation dictionary")
        self.stable = stable
        self.decoder = decoding.new_decoder(**decoding.RECOGNITION_SEARCH)
        self.heard = 0  # samples fed
        self.utterance = 0  # sample the current utterance started at
        self.seen = {}  # (form, start s) -> seconds heard when first seen there
        self.reported = []  # (form, start s) reported in this utterance
        self.vad = Vad(Vad.LOOSE, decoding.SAMPLE_RATE, VAD_FRAME_SECONDS)
        self.pending = b""  # bytes not yet judged speech or not
        self.quiet = 0.0  # seconds of non-speech since the last speech
        self.spoken = False  # speech heard in this utterance
        self.dither = np.random.default_rng(DITHER_SEED)  # the same stream is heard alike
        self.decoder.start_utt()

    def feed(self, samples):
        """Add (N,) float samples at 16 kHz; returns the Words recognised in them (may be [])."""
        pcm = pcm16_bytes(samples, self.dither)
        self.decoder.process_raw(pcm, no_search=False, full_utt=False)
        self.heard += len(pcm) // 2
        now = self.heard / decoding.SAMPLE_RATE
        segments = self._segments()
        words = self._stable(segments, now)
        self._listen(pcm)
        length = (self.heard - self.utterance) / decoding.SAMPLE_RATE
        if self.quiet >= PAUSE_SECONDS and (self.spoken and length >= MIN_UTTERANCE_SECONDS
                                            or length >= MAX_UTTERANCE_SECONDS):
            words += self._restart()
        return words

    def _listen(self, pcm):
        """Follow speech and pauses in ``pcm`` with pocketsphinx's voice activity detector."""
        self.pending += pcm
        size = self.vad.frame_bytes
        while len(self.pending) >= size:
            speech = self.vad.is_speech(self.pending[:size])
            self.pending = self.pending[size:]
            self.spoken |= speech
            self.quiet = 0.0 if speech else self.quiet + self.vad.frame_length

    def _segments(self):
        """[(decoder word, start s, end s)] of the partial hypothesis, in stream seconds."""
        if self.decoder.hyp() is None:
            return []
        offset = self.utterance / decoding.SAMPLE_RATE
        return [(seg.word, offset + seg.start_frame * decoding.FRAME_SECONDS,
                 offset + (seg.end_frame + 1) * decoding.FRAME_SECONDS) for seg in self.decoder.seg()]

    def _stable(self, segments, now):
        """Words of ``segments`` that have stood long enough and were not reported yet."""
        present = {}
        for name, start, end in segments:
            form = decoding.base_word(name)
            if form in self.forms:
                key = self._place(form, start, self.seen) or (form, start)
                present[key] = self.seen.get(key, now), end
        self.seen = {key: first for key, (first, _) in present.items()}
        words = []
        for (form, start), (first, end) in present.items():
            if now - first >= self.stable and not self._place(form, start, self.reported):
                self.reported.append((form, start))
                words.append(Word(form, start, end, 1.0))
        return words

    @staticmethod
    def _place(form, start, keys):
        """The key of ``keys`` for ``form`` within SAME_PLACE_SECONDS of ``start``, or None."""
        return next((k for k in keys if k[0] == form and abs(k[1] - start) < SAME_PLACE_SECONDS), None)

    def _restart(self):
        """End the utterance; report its final words not reported yet, then start the next."""
        self.decoder.end_utt()
        words = []
        for name, start, end in self._segments():
            form = decoding.base_word(name)
            if form in self.forms and not self._place(form, start, self.reported):
                words.append(Word(form, start, end, 1.0))
        self.decoder.start_utt()
        self.utterance = self.heard
        self.seen, self.reported, self.spoken = {}, [], False
        return words
