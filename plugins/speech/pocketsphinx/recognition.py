"""Free recognition with pocketsphinx's US-English language model, pieces decoded side by side.

Word times are good (median onset error 10-20 ms on the shared recordings), the words much less
so (35-50 % word error): enough to time gestures and find key-pose words, not to transcribe.
"""

from ....inference.speech.words import Word
from . import decoding
from .chunks import pause_chunks
from .tasks import recognition_decoder, whole_recognition_decoder
from .workers import run_tasks

PIECE_SECONDS = 15.0  # pieces cut in pauses; shorter ones share out better but lose context


def recognise(audio, progress=None, workers=None, vocabulary="common"):
    """Words recognised in ``audio`` (16 kHz DecodedAudio), confidence = posterior.

    progress(fraction) is called at least every 0.1 s and may raise to cancel. vocabulary:
    "common" (the likeliest 10,000 words) or "whole" (the whole bundled dictionary): see
    decoding.VOCABULARIES.
    """
    setup = whole_recognition_decoder if vocabulary == "whole" else recognition_decoder
    pieces = pause_chunks(audio.samples, audio.sample_rate, PIECE_SECONDS)
    pcm = audio.pcm16(dither=True)
    tasks = [decoding.piece(pcm, a, b, audio.sample_rate) for a, b in pieces]
    found = run_tasks((setup, ()), decoding.decode_piece, tasks, progress, workers,
                      weights=[(b - a) / audio.sample_rate for a, b in pieces])
    return [Word(w, s, e, p) for piece in found for w, s, e, p in piece]
