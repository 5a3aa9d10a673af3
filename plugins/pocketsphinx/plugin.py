"""The `pocketsphinx` speech engine: the US-English model bundled with pocketsphinx.

With a plain-text transcript it aligns the script to the speech (:mod:`.alignment`: anchored,
piece by piece, never all-or-nothing), accurate to a few tens of milliseconds and with the
phones of every aligned word. Without one it recognises speech (:mod:`.recognition`): word
times are good, the words much less so.
"""

import logging

from ...inference.speech import SpeechError, SpeechPlugin
from .workers import MAX_WORKERS

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000


class PocketsphinxSpeech(SpeechPlugin):
    """Every call builds its own decoders (0.3-1 s): the same audio always gives the same
    words, whichever call came before."""

    name = "pocketsphinx"
    description = ("CMU PocketSphinx with its bundled US-English model: alignment of a "
                   "plain-text transcript (accurate word and phone times, even where the script "
                   "and the speech disagree), or free recognition without one (good times, "
                   "rough words). English only.")
    recognizes = True
    aligns = True
    options_schema = {
        "workers": {"type": "integer",
                    "description": f"processes decoding side by side, 1..{MAX_WORKERS} (default: "
                                   "one per core; 1 decodes in the calling process)"},
    }

    def unavailable(self, options=None):
        try:
            import pocketsphinx  # noqa: F401
        except ImportError as exc:
            return f"the pocketsphinx package is not installed ({exc}); pip install pocketsphinx"
        return ""

    def words(self, audio, transcript=None, options=None, progress=None):
        if audio.sample_rate != SAMPLE_RATE:
            raise SpeechError(f"{audio.name}: pocketsphinx needs 16 kHz audio, "
                              f"got {audio.sample_rate} Hz")
        workers = _workers(options)
        if transcript and transcript.strip():
            from .alignment import align

            return align(audio, transcript, progress, workers)
        from .recognition import recognise

        return recognise(audio, progress, workers)


def _workers(options):
    value = (options or {}).get("workers")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 1 <= value <= MAX_WORKERS:
        raise SpeechError(f"pocketsphinx option 'workers' must be a whole number from 1 to "
                          f"{MAX_WORKERS}, got {value!r}")
    return int(value)
