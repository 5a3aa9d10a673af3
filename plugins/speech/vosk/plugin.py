"""The `vosk` speech engine: Kaldi-based recognition with a model directory the user supplies.

Vosk models exist for many languages (https://alphacephei.com/vosk/models); the user unpacks
one and points talkrig at the folder with the "model" option or TALKRIG_VOSK_MODEL. A model is
loaded once per process and shared.
"""

import json
import logging
import os
import threading

from ....inference.audio.decode import SAMPLE_RATE
from ....inference.speech.kept_words import folder_stamp, release
from ....inference.speech.timing import SpeechError, SpeechPlugin
from ....inference.speech.words import Word

log = logging.getLogger(__name__)

ENV_VAR = "TALKRIG_VOSK_MODEL"
MODELS_PAGE = "https://alphacephei.com/vosk/models"
CHUNK_BYTES = 2 * (SAMPLE_RATE // 2)  # half a second of 16-bit audio per AcceptWaveform call

_models = {}
_models_lock = threading.Lock()


class VoskSpeech(SpeechPlugin):
    name = "vosk"
    description = ("Vosk (Kaldi) speech recognition with word times, in the language of the "
                   f"model you download from {MODELS_PAGE} (set {ENV_VAR} or the 'model' option).")
    recognizes = True
    needs_model = True
    options_schema = {
        "model": {"type": "string",
                  "description": f"folder of an unpacked Vosk model (default: ${ENV_VAR})"},
    }

    def unavailable(self, options=None):
        try:
            import vosk  # noqa: F401
        except ImportError as exc:
            return f"the vosk package is not installed ({exc}); pip install vosk"
        path = model_path(options)
        if not path:
            return f"no model: set {ENV_VAR} or the 'model' option to a model folder from {MODELS_PAGE}"
        return _model_problem(path)

    def fingerprint(self, options=None):
        """The vosk release and the model folder's files (a model replaced in place counts)."""
        version, path = release("vosk"), model_path(options)
        if not version or not path or not os.path.isdir(path):
            return None
        return f"{version} {folder_stamp(path)}"

    def words(self, audio, transcript=None, options=None, progress=None):
        reason = self.unavailable(options)
        if reason:
            raise SpeechError(f"vosk: {reason}")
        if transcript:
            log.info("vosk recognizes speech and does not use the transcript; "
                     "use the pocketsphinx engine to align a script")
        if audio.sample_rate != SAMPLE_RATE:
            raise SpeechError(f"{audio.name}: vosk is fed 16 kHz audio, got {audio.sample_rate} Hz")
        import vosk

        recognizer = vosk.KaldiRecognizer(load_model(model_path(options)), SAMPLE_RATE)
        recognizer.SetWords(True)
        pcm = audio.pcm16()
        results = []
        for i in range(0, len(pcm), CHUNK_BYTES):
            if recognizer.AcceptWaveform(pcm[i:i + CHUNK_BYTES]):
                results.append(recognizer.Result())
            if progress is not None:  # also where a cancelled job stops
                progress(min(1.0, (i + CHUNK_BYTES) / len(pcm)))
        results.append(recognizer.FinalResult())
        words = []
        for text in results:
            for item in json.loads(text).get("result", []):
                word = str(item.get("word", "")).strip()
                if not word or word[0] in "[<":  # [unk], <unk>, noise markers
                    continue
                words.append(Word(word, float(item["start"]), float(item["end"]),
                                  float(item.get("conf", 1.0))))
        return words


def model_path(options=None):
    """The model folder from the "model" option, else $TALKRIG_VOSK_MODEL, else ""."""
    path = (options or {}).get("model") or os.environ.get(ENV_VAR, "")
    return os.path.expanduser(str(path)) if path else ""


def _model_problem(path):
    if not os.path.isdir(path):
        return f"model folder {path} does not exist; download a model from {MODELS_PAGE} and unpack it"
    has_acoustic_model = any(os.path.isfile(os.path.join(path, p)) for p in ("am/final.mdl", "final.mdl"))
    if not has_acoustic_model:
        return (f"{path} is not a Vosk model folder (no am/final.mdl); point to the unpacked "
                f"folder of a model from {MODELS_PAGE}")
    return ""


def load_model(path):
    """The vosk.Model for ``path``, loaded once (a large model takes seconds and hundreds of MB)."""
    import vosk

    key = os.path.realpath(path)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            vosk.SetLogLevel(-1)
            try:
                model = vosk.Model(key)
            except Exception as exc:
                raise SpeechError(f"vosk could not load the model in {path} ({exc}); is it a complete "
                                  f"model from {MODELS_PAGE}?") from None
            _models[key] = model
    return model
