"""eSpeak NG as a template speaker: a script spoken with the words' and phonemes' times.

The library and its ~100 languages come from the ``espeakng-loader`` wheel (the same build on
every machine, whether or not `espeak-ng` is installed). Synthesis runs in the calling
process through ctypes; eSpeak NG keeps global state, so calls are serialised by a lock.
"""

import ctypes
import functools
import threading
from dataclasses import dataclass

import numpy as np

from ...inference.speech import SpeechError

_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: synthesise into the callback
_PHONEME_EVENTS, _PHONEME_IPA = 0x1, 0x2  # espeak_Initialize options
_RATE, _PITCH = 1, 3  # espeak_PARAMETER
_CHARS_UTF8 = 1
_WORD, _PHONEME = 1, 7  # espeak_EVENT_TYPE
_LOCK = threading.Lock()


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Spoken:
    """A text as eSpeak NG said it.

    samples : (N,) float32 at ``rate`` Hz.
    words : [(first character, character count, start sample)] in text order (eSpeak NG
        counts the characters of the text, not its UTF-8 bytes). It joins some short words to
        a neighbour (English "of the"): those have no entry of their own.
    phones : [(IPA label, start sample)] in time order.
    """

    samples: np.ndarray
    rate: int
    words: list
    phones: list


@functools.lru_cache(maxsize=1)
def _library():
    try:
        import espeakng_loader
    except ImportError as exc:
        raise SpeechError(f"the espeakng-loader package is not installed ({exc}); "
                          "pip install espeakng-loader") from None
    return ctypes.CDLL(espeakng_loader.get_library_path()), espeakng_loader.get_data_path()


def available():
    """"" when eSpeak NG can speak here, else why not."""
    try:
        _library()
    except (SpeechError, OSError) as exc:
        return str(exc)
    return ""


@functools.lru_cache(maxsize=64)
def speaks(voice):
    """True when eSpeak NG has a voice (or language) called ``voice``."""
    lib, data = _library()
    with _LOCK:
        if lib.espeak_Initialize(_SYNCHRONOUS, 0, data.encode(), 0) <= 0:
            return False
        try:
            return lib.espeak_SetVoiceByName(voice.encode()) == 0
        finally:
            lib.espeak_Terminate()


def speak(text, voice, words_per_minute=175, pitch=None):
    """The :class:`Spoken` of ``text`` in eSpeak NG's ``voice`` ("de", "es", "fr+f2", ...)."""
    lib, data = _library()
    samples, words, phones = [], [], []
    offset = [0]
    encoded = text.encode("utf-8")

    def collect(wav, count, events):
        k = 0
        while events[k].type != 0:
            event = events[k]
            at = offset[0] + max(0, int(round(event.audio_position * rate / 1000.0)))
            if event.type == _WORD:
                words.append((event.text_position - 1, event.length, at))  # from 1
            elif event.type == _PHONEME:
                label = event.id.string.split(b"\0")[0].decode("utf-8", "replace")
                phones.append((label, at))
            k += 1
        if count > 0:
            samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = _CALLBACK(collect)
    with _LOCK:
        rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, data.encode(), _PHONEME_EVENTS | _PHONEME_IPA)
        if rate <= 0:
            raise SpeechError("the eSpeak NG library would not start")
        try:
            lib.espeak_SetSynthCallback(callback)
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechError(f"eSpeak NG has no voice or language {voice!r}")
            lib.espeak_SetParameter(_RATE, int(words_per_minute), 0)
            if pitch is not None:
                lib.espeak_SetParameter(_PITCH, int(pitch), 0)
            data_in = encoded + b"\0"
            lib.espeak_Synth(data_in, len(data_in), 0, 1, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
        finally:
            lib.espeak_Terminate()
    audio = np.concatenate(samples).astype(np.float32) / 32768.0 if samples else np.zeros(0, np.float32)
    return Spoken(audio, int(rate), words, phones)
