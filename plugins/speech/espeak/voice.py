"""eSpeak NG as a template speaker: a script spoken with the words' and phonemes' times.

The library and its ~100 languages come from the ``espeakng-loader`` wheel (the same build on
every machine, whether or not `espeak-ng` is installed). Each reading runs in a process of its
own (:mod:`.reading`): eSpeak NG keeps state between readings that would make the same text
sound slightly different each time. Looking up a voice runs here through ctypes, under a lock.
"""

import ctypes
import functools
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ....inference.speech.timing import SpeechError
from .reading import NO_VOICE, SYNCHRONOUS
_LOCK = threading.Lock()


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


READING_SECONDS = 30.0  # a reading's time limit: this much ...
READING_CHARS_PER_SECOND = 200.0  # ... and a second per this many characters (it reads ~20x that)


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
        if lib.espeak_Initialize(SYNCHRONOUS, 0, data.encode(), 0) <= 0:
            return False
        try:
            return lib.espeak_SetVoiceByName(voice.encode()) == 0
        finally:
            lib.espeak_Terminate()


def speak(text, voice, words_per_minute=175, pitch=None):
    """The :class:`Spoken` of ``text`` in eSpeak NG's ``voice`` ("de", "es", "fr+f2", ...),
    read in a process of its own (:mod:`.reading`) so the same text always sounds the same."""
    import espeakng_loader  # _library() has told when it is missing

    _library()
    command = [sys.executable, str(Path(__file__).with_name("reading.py")),
               espeakng_loader.get_library_path(), espeakng_loader.get_data_path(), voice,
               str(int(words_per_minute)), str(-1 if pitch is None else int(pitch))]
    limit = READING_SECONDS + len(text) / READING_CHARS_PER_SECOND
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        raise SpeechError(f"eSpeak NG did not finish reading the script within {limit:.0f} s") from None
    if done.returncode == NO_VOICE:
        raise SpeechError(f"eSpeak NG has no voice or language {voice!r}")
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SpeechError(f"eSpeak NG failed to read the script ({said[-1] if said else done.returncode})")
    header, _, samples = done.stdout.partition(b"\n")
    head = json.loads(header)
    audio = np.frombuffer(samples, np.int16).astype(np.float32) / 32768.0
    return Spoken(audio, int(head["rate"]), [tuple(w) for w in head["words"]],
                  [tuple(p) for p in head["phones"]])
