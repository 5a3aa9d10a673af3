"""What speech worker processes run: the decoders they set up once, and the pieces of audio
they decode. Kept apart (importing only :mod:`.decoding`) so that workers start quickly."""

from ....inference.speech.phoneset import arpabet
from . import decoding


def recognition_decoder():
    """(decoder, search) for free recognition with the bundled language model over its most
    likely words (decoding.RECOGNITION_WORDS)."""
    decoder = decoding.new_decoder(decoding.recognition_dictionary(), **decoding.RECOGNITION_SEARCH)
    return decoder, decoding.DEFAULT_SEARCH


def whole_recognition_decoder():
    """(decoder, search) for free recognition with the bundled language model over the whole
    bundled dictionary."""
    return decoding.new_decoder(**decoding.RECOGNITION_SEARCH), decoding.DEFAULT_SEARCH


def script_decoder(dictionary, arpa):
    """(decoder, search) recognising with a script's dictionary and language model."""
    decoder = decoding.new_decoder(dictionary, arpa, **decoding.LISTENING_SEARCH)
    return decoder, decoding.DEFAULT_SEARCH


def spotting_decoder(dictionary, keyphrases):
    """(decoder, search) spotting keyphrases ("word /threshold/" lines)."""
    return decoding.new_decoder(dictionary, keyphrases=keyphrases, lm=None), decoding.DEFAULT_SEARCH


def align_decoders(dictionary):
    """Decoders for forced alignment that know a script's words: one with pocketsphinx's
    beams, and (made when first needed) one with wide beams for the pieces it cannot fit."""
    return {"dictionary": dictionary,
            "normal": decoding.new_decoder(dictionary, lm=None, **decoding.ALIGNMENT)}


def align_piece(decoders, task, step=None):
    """Align one segment: ((prime, pcm, offset), words, skips) -> [(n, start, end, phones)]
    for the words placed (n indexes ``words``), phones as [(ARPAbet, start, end)]."""
    (before, pcm, offset), words, skips = task
    if not words:
        return []
    decoding.prime(decoders["normal"], before, None)
    found = decoding.align_phones(decoders["normal"], words, skips, pcm, offset, step)
    if not found:  # every path was pruned: widen the beams
        if "wide" not in decoders:
            decoders["wide"] = decoding.new_decoder(decoders["dictionary"], lm=None,
                                                    **decoding.ALIGNMENT, **decoding.WIDE_BEAMS)
        decoding.prime(decoders["wide"], before, None)
        found = decoding.align_phones(decoders["wide"], words, skips, pcm, offset, step)
    return [(n, start, end, [(arpabet(p), s, e) for p, s, e in phones if arpabet(p)])
            for n, start, end, phones in found]
