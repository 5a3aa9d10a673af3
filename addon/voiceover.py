"""Where the voice-over comes from: a file, or a sound strip of the scene's sequencer.

The server decodes wav, flac, ogg and mp3. Other formats Blender can play (a sound strip from
an .m4a or a video, say) are converted to a 16 kHz mono wav with Blender's audio library first.
A recording at a sample rate no voice can have is refused before anything is sent or streamed,
by the rule the server's decoder applies (``motion.audio_rates``).
"""

import logging
import math
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import bpy

from ..client.live_client import SAMPLE_RATE
from ..motion.audio_rates import rate_problem
from ..motion.errors import TalkrigError
from ..motion.files import not_a_file

log = logging.getLogger(__name__)

SERVER_FORMATS = (".wav", ".flac", ".ogg", ".oga", ".mp3")
HEARD_MARGIN = 1.0  # seconds of a trimmed strip's recording sent on either side of its part


class AudioSourceError(TalkrigError):
    """No usable audio: nothing chosen, a missing file, or a format nobody can read."""


@dataclass
class AudioSource:
    """The audio to send.

    path : file on disk (the original, or a converted copy). name : the take's name (file stem).
    original : the file the user chose (what a sound strip should play).
    frame_start : scene frame of the audio's first sample when it is a strip, else None.
    from_strip : True when the audio is already in the sequencer.
    temporary : ``path`` is a temporary copy, to delete once it is sent.
    heard : a strip trimmed in the sequencer: (first, stop) seconds of the file it lets be heard
        and the scene frame where ``first`` plays; None where the whole file is heard.
    """

    path: str
    name: str
    original: str
    frame_start: int | None = None
    from_strip: bool = False
    temporary: bool = False
    heard: tuple | None = None


def resolve(settings, scene):
    """The AudioSource the panel points at; AudioSourceError saying what to fix."""
    source = _chosen(settings, scene)
    try:
        check_rate(source.path, Path(source.original).name)
    except AudioSourceError:
        if source.temporary:
            os.unlink(source.path)
        raise
    return source


def _chosen(settings, scene):
    if settings.audio_source == "STRIP":
        return _from_strip(settings.sound_strip, scene)
    if not settings.audio_file.strip():
        raise AudioSourceError("no audio chosen: pick the voice-over file (or a sound strip) in "
                               "the talkrig panel")
    path = Path(bpy.path.abspath(settings.audio_file))
    _check_file(path)
    return AudioSource(str(path), path.stem, str(path))


def check_rate(path, name=None):
    """AudioSourceError when the recording's header gives a sample rate no voice can have (read
    by Blender's audio library: the header only). A file that library cannot open is left to
    the server's decoder, which applies the same rule."""
    import aud

    try:
        rate = aud.Sound(str(path)).specs[0]
    except (aud.error, OSError, ValueError, TypeError):
        return
    problem = rate_problem(int(round(rate)))
    if problem:
        raise AudioSourceError(f"{name or Path(path).name}: {problem}")


def _from_strip(name, scene):
    sed = scene.sequence_editor
    strip = sed.strips_all.get(name) if (sed is not None and name) else None
    if strip is None:
        raise AudioSourceError(f"no sound strip {name!r} in scene {scene.name!r}: choose one in "
                               "the talkrig panel" if name else
                               "no sound strip chosen: pick one in the talkrig panel")
    if strip.type != "SOUND" or strip.sound is None:
        raise AudioSourceError(f"strip {name!r} is not a sound strip")
    sound = strip.sound
    zero, heard = strip_timing(strip, scene)
    frame = int(round(zero))
    if sound.packed_file is not None:
        stem = Path(sound.filepath).stem or sound.name
        suffix = Path(sound.filepath).suffix.lower() or ".wav"
        fd, tmp = tempfile.mkstemp(prefix="talkrig-", suffix=suffix)
        with os.fdopen(fd, "wb") as handle:
            handle.write(sound.packed_file.data)
        return AudioSource(tmp, stem, sound.filepath, frame, True, temporary=True, heard=heard)
    path = Path(bpy.path.abspath(sound.filepath, library=sound.library))
    _check_file(path)
    return AudioSource(str(path), path.stem, str(path), frame, True, heard=heard)


def strip_timing(strip, scene):
    """(scene frame at which the sound's first sample plays, the part heard) of a sound strip:
    its sound is moved by the strip's start, hold offset and sound offset, and heard between
    its handles. The part heard is (first, stop) seconds of the sound and the whole scene frame
    where ``first`` plays (the first the strip lets be heard), or None when the handles leave
    the whole sound (a strip trimmed to one line of a longer recording: the take is that line,
    keyed where it plays, not the whole recording keyed past the strip's ends)."""
    from ..blender.scene import scene_fps

    fps = scene_fps(scene)
    zero = strip.frame_start - strip.animation_offset_start + strip.sound_offset * fps
    first_frame = max(int(strip.frame_final_start), math.ceil(zero - 1e-6))
    first = (first_frame - zero) / fps
    stop = (strip.frame_final_end - zero) / fps
    length = (strip.frame_duration + strip.animation_offset_start + strip.animation_offset_end) / fps
    if first <= 0.5 / fps and stop >= length - 0.5 / fps:
        return zero, None
    return zero, (first, max(first, stop), first_frame)


def heard_only(source, margin=HEARD_MARGIN):
    """``source`` cut to the part its trimmed strip lets be heard, ``margin`` seconds of the
    recording kept on either side (the take's context), as a temporary 16 kHz wav: a line
    trimmed out of a long recording is generated in the line's time, not the recording's. Only
    without a transcript: a script or a timed transcript is of the whole recording."""
    if source.heard is None:
        return source
    first, stop, first_frame = source.heard
    try:
        pcm = read_16k(source.path)
    finally:
        if source.temporary:
            os.unlink(source.path)
    cut = max(0.0, first - margin)
    end = min(len(pcm) / SAMPLE_RATE, stop + margin)
    fd, tmp = tempfile.mkstemp(prefix="talkrig-", suffix=".wav")
    os.close(fd)
    _write_wav(tmp, pcm[int(round(cut * SAMPLE_RATE)):int(round(end * SAMPLE_RATE))])
    return AudioSource(tmp, source.name, source.original, source.frame_start, source.from_strip,
                       temporary=True, heard=(first - cut, stop - cut, first_frame))


def _check_file(path):
    if not path.exists():
        raise AudioSourceError(f"audio file {path} does not exist")
    if path.is_dir():
        raise AudioSourceError(f"audio file {path} is a folder; choose a sound file")
    if not_a_file(path):  # a pipe would block Blender, a device never ends
        raise AudioSourceError(f"audio file {path} {not_a_file(path)}; choose a sound file")
    if path.stat().st_size == 0:
        raise AudioSourceError(f"audio file {path} is empty")


def uploadable(source):
    """``source`` itself if the server reads its format, else a converted wav copy."""
    if Path(source.path).suffix.lower() in SERVER_FORMATS:
        return source
    converted = convert_to_wav(source.path)
    if source.temporary:
        os.unlink(source.path)
    return AudioSource(converted, source.name, source.original, source.frame_start,
                       source.from_strip, temporary=True)


def convert_to_wav(path):
    """A 16 kHz mono 16-bit wav copy of any sound Blender can read; AudioSourceError if none."""
    pcm = read_16k(path)
    fd, tmp = tempfile.mkstemp(prefix="talkrig-", suffix=".wav")
    os.close(fd)
    _write_wav(tmp, pcm)
    return tmp


def _write_wav(path, pcm):
    """A 16 kHz mono 16-bit wav of ``pcm`` (int16 samples) at ``path``."""
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def read_16k(path):
    """(N,) little-endian int16 samples at 16 kHz mono of any sound Blender can read, read with
    Blender's audio library; AudioSourceError if it cannot."""
    import aud
    import numpy as np

    name = Path(path).name
    unsupported = (f"unsupported audio: {name} is not a sound file talkrig can read; use "
                   "wav, flac, ogg or mp3")
    try:
        sound = aud.Sound(str(path))
        if sound.length <= 0:  # reading the length first: aud raises here, not in data()
            raise AudioSourceError(unsupported)
        samples = sound.rechannel(1).resample(SAMPLE_RATE, True).data()
    except (aud.error, OSError, ValueError, TypeError) as exc:
        log.info("cannot convert %s with Blender's audio library: %s", path, exc)
        raise AudioSourceError(unsupported) from None
    return (np.clip(samples[:, 0], -1.0, 1.0) * 32767.0).astype("<i2")
