"""The `pocketsphinx` speech engine: the US-English model bundled with pocketsphinx.

With a plain-text transcript it aligns the script to the speech (:mod:`.alignment`: anchored,
piece by piece, never all-or-nothing), accurate to a few tens of milliseconds and with the
phones of every aligned word. Without one it recognises speech (:mod:`.recognition`): word
times are good, the words much less so.
"""

import logging
import re

from ....inference.audio.decode import SAMPLE_RATE
from ....inference.speech.kept_words import release
from ....inference.speech.timing import SpeechError, SpeechPlugin
from .workers import MAX_WORKERS

log = logging.getLogger(__name__)



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
                                   "one per core and one more; 1 decodes in the calling process)"},
        "mode": {"type": "string",
                 "description": "without a transcript: 'recognize' (default, every word) or "
                                "'keywords' (only the key-pose dictionary's words: 4x less work, "
                                "far more false hits)"},
        "vocabulary": {"type": "string",
                       "description": "free recognition's words: 'common' (default: the 10,000 "
                                      "likeliest, a fifth quicker) or 'whole' (all 134,000 "
                                      "pronunciations of the bundled dictionary)"},
        "keywords": {"type": "array",
                     "description": "the words 'keywords' mode listens for (default: the "
                                    "key-pose dictionary's)"},
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
        options = options or {}
        workers = _workers(options)
        if transcript and transcript.strip():
            from .alignment import align

            return align(audio, transcript, progress, workers)
        mode = _mode(options)
        if mode == "keywords":
            from .keywords import spot

            return spot(audio, _keywords(options), progress, workers)
        if mode != "recognize":
            raise SpeechError(f"pocketsphinx option 'mode' must be 'recognize' or 'keywords', "
                              f"got {mode!r}")
        from .recognition import recognise

        return recognise(audio, progress, workers, _vocabulary(options))

    def second_opinion(self, options=None):
        """Free recognition over the whole dictionary, whose confidences the English verdict
        was set on (none for keyword spotting, which searches no dictionary)."""
        if _mode(options) != "recognize":
            return None
        return {**(options or {}), "vocabulary": "whole"}

    def fingerprint(self, options=None):
        """The pocketsphinx release, whose wheel holds the model too."""
        return release("pocketsphinx")

    def live_spotter(self, words):
        from .live_keywords import LiveRecogniser

        return LiveRecogniser(words)


def _keywords(options):
    """The words 'keywords' mode listens for: a list, or words separated by commas (CLI)."""
    words = options.get("keywords")
    if words is None:
        from ....inference.generation.keyposes import load_keyposes

        return sorted(load_keyposes("default").index)
    if isinstance(words, str):
        words = [w for w in re.split(r"[,\s]+", words) if w]
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
        raise SpeechError("pocketsphinx option 'keywords' must be a list of words")
    return list(words)


def _mode(options):
    """The 'mode' option as given: 'recognize' when absent."""
    return str((options or {}).get("mode") or "recognize").strip().lower()


def _vocabulary(options):
    """The 'vocabulary' option: one of decoding.VOCABULARIES (default the first)."""
    from .decoding import VOCABULARIES

    value = str((options or {}).get("vocabulary") or VOCABULARIES[0]).strip().lower()
    if value not in VOCABULARIES:
        raise SpeechError(f"pocketsphinx option 'vocabulary' must be one of "
                          f"{', '.join(VOCABULARIES)}, got {value!r}")
    return value


def _workers(options):
    value = (options or {}).get("workers")
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():  # from the command line
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 1 <= value <= MAX_WORKERS:
        raise SpeechError(f"pocketsphinx option 'workers' must be a whole number from 1 to "
                          f"{MAX_WORKERS}, got {value!r}")
    return int(value)
