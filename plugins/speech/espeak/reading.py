"""One eSpeak NG reading in a process of its own: ``python reading.py LIBRARY DATA VOICE RATE
PITCH`` reads the text on stdin and writes one JSON line ({"rate", "words", "phones"}) then
the 16-bit samples to stdout.

eSpeak NG keeps state between readings in the same process that neither its seed nor
``espeak_Terminate`` resets: the same text read twice comes out tens of samples apart, and
the words placed by it a few milliseconds apart. A fresh process with fixed random seeds reads
it alike every time.
Only the standard library is imported, so a reading starts in a few tens of milliseconds.
"""

import ctypes
import json
import sys

SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: synthesise into the callback
PHONEME_EVENTS, PHONEME_IPA = 0x1, 0x2  # espeak_Initialize options
RATE, PITCH = 1, 3  # espeak_PARAMETER
CHARS_UTF8 = 1
WORD, PHONEME = 1, 7  # espeak_EVENT_TYPE
NO_VOICE = 3  # exit status: eSpeak NG has no such voice
SEED = 1


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


def read(library, data, voice, words_per_minute, pitch, text):
    """(rate, words, phones, samples as bytes) of ``text`` read by ``voice``."""
    lib = ctypes.CDLL(library)
    chunks, words, phones = [], [], []
    rate = lib.espeak_Initialize(SYNCHRONOUS, 0, data.encode(), PHONEME_EVENTS | PHONEME_IPA)
    if rate <= 0:
        sys.exit("the eSpeak NG library would not start")

    def collect(wav, count, events):
        k = 0
        while events[k].type != 0:
            event = events[k]
            at = max(0, int(round(event.audio_position * rate / 1000.0)))
            if event.type == WORD:
                words.append((event.text_position - 1, event.length, at))  # from 1
            elif event.type == PHONEME:
                label = event.id.string.split(b"\0")[0].decode("utf-8", "replace")
                phones.append((label, at))
            k += 1
        if count > 0:
            chunks.append(ctypes.string_at(wav, 2 * count))
        return 0

    callback = _CALLBACK(collect)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        sys.exit(NO_VOICE)
    # a voice's breath and jitter draw from eSpeak NG's generator (seeded from the clock) and
    # from libc's: fixed seeds, once the voice is set (setting it draws)
    lib.espeak_ng_SetRandSeed(ctypes.c_long(SEED))
    _seed_libc()
    lib.espeak_SetParameter(RATE, int(words_per_minute), 0)
    if pitch >= 0:
        lib.espeak_SetParameter(PITCH, int(pitch), 0)
    encoded = text.encode("utf-8") + b"\0"
    lib.espeak_Synth(encoded, len(encoded), 0, 1, 0, CHARS_UTF8, None, None)
    lib.espeak_Synchronize()
    lib.espeak_Terminate()
    return rate, words, phones, b"".join(chunks)


def _seed_libc():
    """Seed the C library's generator (libc here, msvcrt on Windows), where there is one."""
    try:
        libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
        libc.srand(ctypes.c_uint(SEED))
    except (OSError, AttributeError, TypeError):
        pass  # eSpeak NG's own generator is seeded: only its breath noise would vary


def main(argv):
    library, data, voice, words_per_minute, pitch = argv
    text = sys.stdin.buffer.read().decode("utf-8")
    rate, words, phones, samples = read(library, data, voice, int(words_per_minute), int(pitch), text)
    out = sys.stdout.buffer
    out.write(json.dumps({"rate": rate, "words": words, "phones": phones}).encode() + b"\n")
    out.write(samples)
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
