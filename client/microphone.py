"""The default microphone as 16 kHz mono 16-bit PCM chunks, through sounddevice (PortAudio).

sounddevice is optional: Blender's Python and many machines lack it or the PortAudio library,
so :func:`unavailable` says what to install before anything is started.
"""

import queue

from .live_client import SAMPLE_RATE as RATE

INSTALL = "pip install sounddevice (PortAudio comes with it on Windows and macOS; on Linux install libportaudio2)"


class MicrophoneError(Exception):
    """The microphone cannot be used; ``str(err)`` says what to install or fix."""


def unavailable():
    """Why the microphone cannot be used here ("" when it can)."""
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the package is there, PortAudio is not
        return f"the microphone needs the sounddevice package and the PortAudio library ({exc}): {INSTALL}"
    return ""


def microphone_chunks(chunk, seconds=None, should_stop=None):
    """PCM chunks of ``chunk`` samples from the default microphone as they are recorded (a
    generator), for ``seconds`` (None: until should_stop() is true). MicrophoneError when the
    microphone cannot be opened."""
    why = unavailable()
    if why:
        raise MicrophoneError(why)
    import sounddevice

    recorded = queue.Queue()
    count = None if seconds is None else int(seconds * RATE / chunk)
    try:
        with sounddevice.RawInputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=chunk,
                                        callback=lambda data, *_: recorded.put(bytes(data))):
            n = 0
            while (count is None or n < count) and not (should_stop is not None and should_stop()):
                try:
                    yield recorded.get(timeout=1.0)
                except queue.Empty:
                    continue
                n += 1
    except sounddevice.PortAudioError as exc:
        raise MicrophoneError(f"the microphone cannot be opened: {exc}") from None
