"""Speech made at test time with eSpeak NG's library and voices from the espeakng-loader wheel (a
dev dependency): the same engine build on every machine, whether or not `espeak-ng` is installed."""

import ctypes

import numpy as np

_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: synthesise into the callback
_RATE = 1  # espeak_PARAMETER: words per minute
_CHARS_UTF8 = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.c_void_p)


def speak(text, voice="en", words_per_minute=150):
    """(samples (N,) float32, sample rate) of ``text`` spoken by eSpeak NG's ``voice``."""
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0:
        raise RuntimeError("the eSpeak NG library would not start")
    chunks = []

    def collect(wav, count, _events):
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = _CALLBACK(collect)  # kept alive until synthesis ends
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise RuntimeError(f"eSpeak NG has no voice {voice!r}")
    lib.espeak_SetParameter(_RATE, int(words_per_minute), 0)
    data = text.encode("utf-8") + b"\0"
    lib.espeak_Synth(data, len(data), 0, 1, 0, _CHARS_UTF8, None, None)
    lib.espeak_Synchronize()
    lib.espeak_Terminate()
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return samples, rate
