"""Keyword spotting as the voice arrives: a pocketsphinx keyword search fed chunk by chunk.

Each spoken form of the key-pose dictionary's words ("big", "bigger", ...) is listened for with
its own threshold: pocketsphinx reports a keyword whose score beats its threshold, so a short
word (one or two phones: "i", "you", "no") needs a far stricter one than a long word, or it
fires on every similar sound. The thresholds were tuned on real speech with reference word
times and on re-voiced sentences (benchmarks/tune_live_keywords.py; figures in
benchmarks/RESULTS.md). A hit is reported when the decoder has heard the end of the word, so it
comes a little after the word was spoken; the search then starts a new utterance (the usual
way to listen continuously), keeping the channel estimate.
"""

import logging

import numpy as np

from ...inference.keyposes import word_forms
from ...inference.words import Word
from . import decoding
from .keywords import keyword_forms

log = logging.getLogger(__name__)

# log10 of the threshold by the number of phones in the spoken form, tuned (see above): the
# loosest at which no form of that length made a false alarm on the tuning half. Short words
# need thresholds so strict they are hardly ever reported ("i", "you", "up": they sound like
# half the syllables of English); only the long ones ("increase", "exactly") are reliable.
PHONE_THRESHOLDS = {1: 10.0, 2: 20.0, 3: 30.0, 4: 0.0, 5: 20.0}
LONGEST = -20.0  # six phones and more
WORD_THRESHOLDS = {}  # form -> log10 threshold (None: not listened for), where a form differs
MAX_UTTERANCE_SECONDS = 30.0  # a new utterance at least this often (bounded search memory)


def threshold_exponent(form, phones):
    """log10 of the threshold ``form`` (with ``phones``, ARPAbet separated by spaces) is spotted at."""
    if form in WORD_THRESHOLDS:
        return WORD_THRESHOLDS[form]
    return PHONE_THRESHOLDS.get(len(phones.split()), LONGEST)


def keyphrase_list(forms, exponents=None):
    """The text of a pocketsphinx keyword list for ``forms`` ({form: phones}): one
    "form /1e-N/" line each; exponents overrides threshold_exponent per form. A form whose
    exponent is None is left out (no threshold kept it from false alarms)."""
    exponents = exponents or {}
    lines = []
    for form, phones in sorted(forms.items()):
        exponent = exponents.get(form, threshold_exponent(form, phones))
        if exponent is not None:
            lines.append(f"{form} /1e{exponent:+.0f}/\n")
    return "".join(lines)


def live_forms(lemmas):
    """{form: phones} of the spoken forms of ``lemmas`` that lead back to one of them ("hugs"
    is a form of "hug", not of "huge"), less names that only look like forms ("biggs",
    "downes"): listening for those would only bring false alarms."""
    wanted = {str(x).lower().strip() for x in lemmas}
    odd = {w + w[-1] + "s" for w in wanted} | {w + "es" for w in wanted if not w.endswith(("s", "x", "z", "ch", "sh"))}
    return {form: phones for form, phones in keyword_forms(wanted, decoding.lookup).items()
            if wanted & set(word_forms(form)) and form not in odd}


class LiveSpotter:
    """Spots ``lemmas`` (and their spoken forms) in audio fed a chunk at a time.

    exponents : {form: log10 threshold} overriding the tuned ones (for tuning).
    """

    def __init__(self, lemmas, exponents=None):
        self.forms = live_forms(lemmas)
        if not self.forms:
            raise ValueError("none of the key-pose words is in the pronunciation dictionary")
        dictionary, _ = decoding.dictionary_for([])
        entries = "".join(f"{word} {phones}\n" for word, phones in sorted(self.forms.items()))
        self.decoder = decoding.new_decoder(dictionary + entries, keyphrases=keyphrase_list(self.forms, exponents),
                                            lm=None)
        self.heard = 0  # samples fed
        self.utterance = 0  # sample the current utterance started at
        self.decoder.start_utt()

    def feed(self, samples):
        """Add (N,) float samples at 16 kHz; returns the Words spotted in them (may be [])."""
        pcm = (np.clip(np.asarray(samples, np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self.decoder.process_raw(pcm, no_search=False, full_utt=False)
        self.heard += len(pcm) // 2
        words = []
        if self.decoder.hyp() is not None:
            offset = self.utterance / decoding.SAMPLE_RATE
            words = [Word(word, start, end, 1.0) for word, start, end, _ in decoding.segments(self.decoder, offset)]
        if words or self.heard - self.utterance > MAX_UTTERANCE_SECONDS * decoding.SAMPLE_RATE:
            self.decoder.end_utt()
            self.decoder.start_utt()
            self.utterance = self.heard
        return words
