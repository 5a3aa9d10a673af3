"""The `espeak` speech engine: a transcript in any language eSpeak NG speaks, timed without an
acoustic model of that language (:mod:`.alignment`)."""

from ....inference.audio.decode import SAMPLE_RATE
from ....inference.speech.kept_words import release
from ....inference.speech.languages import AUTO, ENGLISH, LanguageError, guess_language, normalise
from ....inference.speech.timing import SpeechError, SpeechPlugin
from . import voice



class EspeakSpeech(SpeechPlugin):
    name = "espeak"
    description = ("Times a plain-text transcript in any of eSpeak NG's ~100 languages: eSpeak NG "
                   "reads the script and its reading is warped onto the recording (no acoustic "
                   "model of the language needed). Words with their phones; no recognition "
                   "without a script.")
    aligns = True
    options_schema = {
        "language": {"type": "string",
                     "description": "the script's language as an eSpeak NG code (de, es, fr, ru, "
                                    "ja, cmn, ...); default: guessed from the script"},
    }

    def unavailable(self, options=None):
        return voice.available()

    def knows_language(self, language):
        """Whether eSpeak NG speaks ``language``; None when eSpeak NG cannot run here."""
        if voice.available():
            return None
        try:
            return voice.speaks(normalise(language))
        except LanguageError:
            return False

    def fingerprint(self, options=None):
        """The espeakng-loader release: the library and its voices come in its wheel."""
        return release("espeakng-loader")

    def words(self, audio, transcript=None, options=None, progress=None):
        from .alignment import align

        if audio.sample_rate != SAMPLE_RATE:
            raise SpeechError(f"{audio.name}: the espeak engine needs 16 kHz audio, "
                              f"got {audio.sample_rate} Hz")
        if not transcript or not str(transcript).strip():
            raise SpeechError("the espeak engine times a transcript and cannot recognise speech "
                              "without one: give the script")
        return align(audio, transcript, language_voice((options or {}).get("language"), transcript),
                     progress)


def language_voice(language, transcript=""):
    """The eSpeak NG voice for ``language`` ("auto": the script's own, else English);
    LanguageError when eSpeak NG does not speak it."""
    code = normalise(language)
    if code == AUTO:
        code = guess_language(transcript) or ENGLISH
    if not voice.speaks(code):
        raise LanguageError(f"eSpeak NG does not speak {code!r}: use one of its language codes "
                            "(de, es, fr, it, pt, ru, pl, ja, cmn, hi, ar, tr, fi, ...)")
    return code
