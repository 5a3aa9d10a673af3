"""Decode any speech recording to 16 kHz mono float32, with errors a person can act on.

Every later stage (features, speech engines, generators) reads :class:`DecodedAudio`, so format,
channel count, sample rate and bit depth are dealt with once, here.
"""

import contextlib
import hashlib
import heapq
import logging
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from ...motion.audio_rates import MAX_SOURCE_RATE, rate_problem
from ...motion.errors import TalkrigError
from .containers import (
    AudioError, AudioFile, Promise, check_container, damaged, sniff, unfinished_wav,
)
from .native_output import native_stderr_off

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MIN_SECONDS = 0.5
MAX_SECONDS = 600.0
FORMATS = "wav, flac, ogg or mp3"

# What a file may ask the decoder to do, checked before decoding (a few hundred bytes of FLAC
# can declare minutes of many-channel audio at an absurd rate; the rates: motion.audio_rates).
MAX_CHANNELS = 8
MAX_SOURCE_SAMPLES = 192000 * 8 * 600  # rate x channels x seconds: ten minutes of 8 x 192 kHz
DITHER_SEED = 16  # the dither of speech engines' PCM (DecodedAudio.pcm16)
MAX_PEAK = 32768.0  # float samples belong in -1..1; int16 values stored as float still pass
# A mix-down this much quieter (in energy) than the first channel against the others: the
# channels cancel, one of them wired or exported with its polarity inverted.
CANCELLED = 100.0  # 20 dB
_BLOCK = 1 << 16  # frames decoded, mixed down and resampled at a time

# Loudness normalisation (see normalize_loudness).
TARGET_RMS = 0.1  # -20 dBFS over the active part of the recording
MAX_GAIN = 100.0  # +40 dB at most: near-silence stays near-silent
GATE_FRAME = 0.05  # seconds per loudness frame
_GATE_RELATIVE = 0.01  # frames quieter than -40 dB under the loudest frame are pauses
_GATE_ABSOLUTE = 1e-4  # and frames under -80 dBFS are silence


@dataclass
class DecodedAudio:
    """One recording, decoded.

    samples : (N,) float32 mono at ``sample_rate``, as recorded (not loudness-normalised;
        features normalise on their own, speech engines want the recorded level).
    sample_rate : always 16000 after :func:`decode_audio`.
    duration : seconds, N / sample_rate.
    name : file name or a label, used in messages.
    hash : sha1 of the decoded samples: the same sound has the same hash whether it came
        from a path, bytes or an array (the feature cache is keyed by it).
    source_rate, channels : what the input had before resampling and mix-down.
    """

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE
    duration: float = None
    name: str = "<audio>"
    hash: str = ""
    source_rate: int = 0
    channels: int = 1

    def __post_init__(self):
        self.samples = np.ascontiguousarray(self.samples, dtype=np.float32).reshape(-1)
        self.sample_rate = int(self.sample_rate)
        if self.duration is None:
            self.duration = len(self.samples) / float(self.sample_rate)
        if not self.hash:
            self.hash = samples_hash(self.samples, self.sample_rate)
        if not self.source_rate:
            self.source_rate = self.sample_rate

    def pcm16(self, dither=False):
        """The samples as 16-bit little-endian PCM bytes (what speech engines read); ``dither``
        as :func:`pcm16_bytes`, the same for every run over the same recording."""
        return pcm16_bytes(self.samples, np.random.default_rng(DITHER_SEED) if dither else None)


def pcm16_bytes(samples, dither=None):
    """Float samples as 16-bit little-endian PCM bytes. ``dither`` (a numpy Generator) adds one
    step to a random quarter of them, as pocketsphinx's own dither does, but drawn from a
    generator of ours: pocketsphinx draws from one it seeds from the clock and shares between
    decoders, so the same recording was heard as different words from run to run. Dither
    keeps digital silence, common in TTS voice-overs, from being heard as words."""
    values = np.round(np.clip(np.asarray(samples, np.float32), -1.0, 1.0) * 32767.0)
    if dither is not None:
        values = np.minimum(values + (dither.random(len(values)) < 0.25), 32767.0)
    return values.astype("<i2").tobytes()


def samples_hash(samples, sample_rate=SAMPLE_RATE):
    digest = hashlib.sha1(np.ascontiguousarray(samples, dtype=np.float32).data)  # no copy
    digest.update(str(int(sample_rate)).encode())
    return digest.hexdigest()


def decode_audio(source, max_seconds=MAX_SECONDS, name=None, sample_rate=None, progress=None):
    """Decode ``source`` to a :class:`DecodedAudio` at 16 kHz mono float32.

    source : a path (str or PathLike), the file's bytes, a binary file object, a numpy array
        of samples ((N,), (N, C) or (C, N) with C <= 8; integer arrays are scaled from their
        full range) taken at ``sample_rate`` (default 16000), such an array with its rate as a
        pair ((samples, rate) as soundfile and librosa return it, (rate, samples) as
        scipy.io.wavfile), or a DecodedAudio (returned after the length checks).
    max_seconds : longest accepted duration (default 10 minutes); None for no limit.
    name : label used in messages (default: the file name, "<bytes>" or "<array>").
    progress : progress(fraction) called after every decoded block with the share of the
        declared length decoded (0 while unknown); it may raise (e.g. JobCancelled) to stop a
        long decode, and that exception propagates.

    wav, flac, ogg and mp3 are read with soundfile (any bit depth: 8/16/24/32-bit integer and
    float); when it cannot read a file, librosa's audioread backends (ffmpeg, GStreamer), then
    PyAV (its own FFmpeg: m4a, webm, a video's soundtrack) are tried if installed, and their
    result is accepted only if it is as long as the file's header says. Stereo is mixed down to mono (the channels' difference when their mean cancels: one
    channel polarity-inverted) and any rate resampled to 16 kHz, block by block, so
    memory stays proportional to the 16 kHz result. Silence is valid audio. Loudness is *not*
    changed here (see :func:`normalize_loudness`, which the features apply), except that float
    audio peaking above full scale is scaled down to it, with a warning.

    Raises AudioError for an empty file, a file that is not audio, a truncated or damaged
    file, NaN/infinite or absurdly large samples, more than 8 channels, a rate below 4 kHz or
    above 384 kHz (``motion.audio_rates``: every surface refuses the same), and audio shorter
    than 0.5 s or longer than ``max_seconds``.
    """
    if isinstance(source, DecodedAudio):
        _check_length(source.name, source.duration, max_seconds)
        return source
    if isinstance(source, tuple):
        source, sample_rate = _samples_and_rate(source, name)
    if isinstance(source, np.ndarray):
        return audio_from_array(source, SAMPLE_RATE if sample_rate is None else sample_rate, name=name,
                                max_seconds=max_seconds, progress=progress)
    if isinstance(source, (bytes, bytearray, memoryview)):
        file = AudioFile.from_bytes(bytes(source), name or "<bytes>")
    elif hasattr(source, "read"):
        file = AudioFile.from_bytes(source.read(), name or getattr(source, "name", None) or "<stream>")
    elif isinstance(source, (str, os.PathLike)):
        file = AudioFile.from_path(source, name)
    else:
        raise AudioError(name or "<audio>", f"cannot read audio from a {type(source).__name__}; "
                                            "give a file path, the file's bytes or a numpy array")
    if file.size == 0:
        raise AudioError(file.label, "the file is empty (0 bytes)")
    return _decode_file(file, max_seconds, progress)


def _samples_and_rate(pair, name):
    """(samples, rate) of a pair as Python's audio libraries return one: (samples, rate) from
    soundfile and librosa, (rate, samples) from scipy.io.wavfile; AudioError for another tuple."""
    if len(pair) == 2:
        for samples, rate in (pair, pair[::-1]):
            if isinstance(samples, np.ndarray) and isinstance(rate, (int, float, np.integer, np.floating)) \
                    and not isinstance(rate, bool):
                return samples, float(rate)
    raise AudioError(name or "<audio>", "a tuple of audio must be (samples, sample rate) as soundfile and "
                                        "librosa return it, or (sample rate, samples) as scipy.io.wavfile")


def frames_first(array):
    """(N, C) samples of an array given channels-first, (C, N) with C <= MAX_CHANNELS as
    librosa lays them out; anything else as it is."""
    if array.ndim == 2 and array.shape[0] <= MAX_CHANNELS < array.shape[1]:
        return array.T
    return array


def audio_from_array(samples, sample_rate, name=None, max_seconds=MAX_SECONDS, progress=None):
    """A :class:`DecodedAudio` from samples already in memory (see :func:`decode_audio`)."""
    label = name or "<array>"
    array = np.asarray(samples)
    if array.size == 0:
        raise AudioError(label, "the audio holds no samples")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise AudioError(label, f"samples must be numbers, got dtype {array.dtype}")
    array = frames_first(array)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] > MAX_CHANNELS:
        raise AudioError(label, f"samples must have shape (N,) or (N, channels), got {array.shape}")
    if sample_rate is None or not np.isfinite(sample_rate) or sample_rate <= 0:
        raise AudioError(label, f"sample rate must be a positive number, got {sample_rate!r}")
    rate = int(round(sample_rate))
    mix = _Mixdown(label, rate, array.shape[1], len(array), max_seconds, progress)
    for start in range(0, len(array), _BLOCK):
        mix.add(to_float(array[start:start + _BLOCK]))
    return mix.finish()


def normalize_loudness(samples, sample_rate=SAMPLE_RATE, target_rms=TARGET_RMS):
    """Scale ``samples`` so their RMS loudness is ``target_rms`` (-20 dBFS); returns float32.

    Speech2Video (Liao et al., 2020) RMS-normalises the input speech before computing its audio
    features, so that recordings made at different levels (other microphones, other voices,
    TTS) drive the model alike. The level and the gating are talkrig's choices: the RMS is
    measured over the active part only (50 ms frames louder than -80 dBFS and within 40 dB of
    the loudest frame), so long pauses do not inflate the gain, and the gain is capped at
    +40 dB so a silent or near-silent recording stays (near) silent instead of turning noise
    into "speech". Peaks may exceed 1.0 afterwards; the features do not mind.
    """
    x = np.asarray(samples, dtype=np.float32)
    frame = max(1, int(round(GATE_FRAME * sample_rate)))
    n = (len(x) // frame) * frame
    if n == 0:
        energies = np.array([np.mean(np.square(x, dtype=np.float64))]) if len(x) else np.zeros(1)
    else:
        energies = np.mean(np.square(x[:n].reshape(-1, frame), dtype=np.float64), axis=1)
    gain = loudness_gain(energies, target_rms)
    if gain is None:
        return x.copy()  # silence: nothing to normalise
    return (x * np.float32(gain)).astype(np.float32)


def loudness_gain(energies, target_rms=TARGET_RMS):
    """The gain :func:`normalize_loudness` applies, from the mean squares of consecutive
    GATE_FRAME-long frames (N,); None when no frame is active (silence).

    Shared with live streams, which measure it on the audio heard so far.
    """
    rms = np.sqrt(np.asarray(energies, np.float64))
    active = rms >= _gate(rms.max(initial=0.0))
    if not active.any():
        return None
    level = np.sqrt(np.mean(np.square(rms[active])))
    return min(MAX_GAIN, target_rms / level)


def _gate(loudest):
    """The RMS a GATE_FRAME needs to count as active, given the loudest frame's."""
    return max(_GATE_ABSOLUTE, _GATE_RELATIVE * loudest)


class RunningLoudness:
    """:func:`loudness_gain` of every GATE_FRAME heard so far, kept up to date as frames come
    (a live stream): each frame is taken in and let go once, so an hour into a stream a new
    frame costs what the first did. Worked out anew on each chunk, as it was, the gate's pass
    over the whole stream took 3.4 ms a 40 ms chunk an hour in and doubled a stream's CPU by
    the third hour.

    The gate's threshold only rises (it follows the loudest frame), so a frame under it stays
    under: the active frames are a min-heap let go of from below as the threshold rises, with
    the sum of their mean squares beside it (summed anew whenever half of them have gone, so
    the running sum keeps its precision). The gain is loudness_gain's to some 1e-15.
    """

    def __init__(self, target_rms=TARGET_RMS):
        self.target_rms = target_rms
        self.loudest = 0.0
        self.active = []  # min-heap of the active frames' RMS
        self.total = 0.0  # the sum of their squares
        self.summed_over = 0  # how many were active when ``total`` was last summed anew

    def add(self, energies):
        """Take in the mean squares of the next frames (N,)."""
        for energy in np.asarray(energies, np.float64).reshape(-1).tolist():
            rms = math.sqrt(energy)
            self.loudest = max(self.loudest, rms)
            if rms >= _gate(self.loudest):
                heapq.heappush(self.active, rms)
                self.total += rms * rms
        threshold = _gate(self.loudest)
        while self.active and self.active[0] < threshold:
            rms = heapq.heappop(self.active)
            self.total -= rms * rms
        if len(self.active) < self.summed_over // 2:
            self.total, self.summed_over = math.fsum(r * r for r in self.active), len(self.active)
        self.summed_over = max(self.summed_over, len(self.active))

    def gain(self):
        """The gain for the frames so far; None while none is active (silence)."""
        if not self.active:
            return None
        return min(MAX_GAIN, self.target_rms / math.sqrt(self.total / len(self.active)))


def resample(samples, source_rate, target_rate=SAMPLE_RATE):
    """Resample a mono (N,) or (N, C) float32 signal with soxr's band-limited filter."""
    if int(source_rate) == int(target_rate):
        return samples
    import soxr

    return soxr.resample(samples, int(source_rate), int(target_rate)).astype(np.float32)


# --- internals -------------------------------------------------------------------------------


_SOUNDFILE_KINDS = ("wav", "flac", "ogg", "mp3", "aiff")


class _Unreadable(Exception):
    """A decoder could not read a file (or all of it); ``declared`` is what the file's header
    promised in seconds, when the decoder got that far."""

    def __init__(self, declared=None):
        super().__init__()
        self.declared = declared


def _decode_file(file, max_seconds, progress=None):
    """The one rule for every format and decoder: the container's own checks first, then
    libsndfile, then the audioread backends (ffmpeg, GStreamer) when libsndfile cannot read the
    file or comes up short; a result is accepted only if it holds the audio the file promises."""
    kind = sniff(file.head)
    if kind == "wav" and (repaired := unfinished_wav(file)) is not file:
        log.warning("%s: the wav header was never finished (it gives 0 bytes of audio); reading "
                    "the audio that follows it to the end of the file", file.label)
        file = repaired
    promise = check_container(kind, file)
    short = []  # results that fell short of the promise
    for read in (_read_soundfile, _read_audioread, _read_pyav):
        try:
            mix, declared = read(file, max_seconds, progress)
        except _Unreadable as failure:
            mix, declared = None, failure.declared
        promise = _larger(promise, declared)
        if mix is not None:
            if promise is None or promise.kept_by(mix.seconds):
                return mix.finish()
            short.append(mix)
    if short:
        got = max(mix.seconds for mix in short)
        if promise.whole:  # every frame is there: the decoder, not the file, stops early
            raise AudioError(file.label, f"only {got:.2f} s of the {promise.seconds:.2f} s this "
                                         f"{kind} file holds could be decoded here: install ffmpeg "
                                         "or convert it to wav or flac")
        raise damaged(file.label, kind, f"its header promises {promise.seconds:.2f} s of audio but "
                                        f"only {got:.2f} s could be decoded")
    if kind in _SOUNDFILE_KINDS or (kind and (_fallback_backends() or _pyav())):
        raise damaged(file.label, kind)
    if kind:
        raise AudioError(file.label, f"cannot decode {kind} audio here: install ffmpeg (for "
                                     f"audioread) or PyAV, or convert the file to {FORMATS}")
    raise AudioError(file.label, f"not an audio file (expected {FORMATS})")


def _larger(promise, declared):
    """What the file promises: the larger of its container's word and what a decoder read in its
    header, except that frames counted to the end of the file beat a decoder's estimate."""
    if declared and (promise is None or (not promise.whole
                                         and declared > promise.seconds + promise.slack)):
        return Promise(declared)
    return promise


def _read_soundfile(file, max_seconds, progress=None):
    """(_Mixdown holding the whole file, declared seconds or None) via libsndfile."""
    import soundfile as sf

    # libmpg123 prints notes ("Hit end of (available) data during resync") on a damaged mp3, and
    # libsndfile hands it any file whose first bytes name no format
    quiet = (native_stderr_off() if sniff(file.head) in ("mp3", "")
             else contextlib.nullcontext())
    with quiet:
        return _soundfile_mixdown(sf, file, max_seconds, progress)


def _soundfile_mixdown(sf, file, max_seconds, progress):
    try:
        f = sf.SoundFile(file.open())
    except Exception as exc:
        log.debug("soundfile could not open %s: %s", file.label, exc)
        raise _Unreadable() from None
    with f:
        declared = f.frames / f.samplerate if f.frames > 0 and f.samplerate > 0 else None
        mix = _Mixdown(file.label, f.samplerate, f.channels, max(f.frames, 0), max_seconds, progress)
        try:
            while len(block := f.read(_BLOCK, dtype="float32", always_2d=True)):
                mix.add(block)
        except TalkrigError:  # bad audio, or a cancel from progress
            raise
        except Exception as exc:
            log.debug("soundfile could not read %s past %d frames: %s", file.label, mix.frames, exc)
            raise _Unreadable(declared) from None
    return mix, declared


def _fallback_backends():
    """audioread's backends that can read what libsndfile cannot (ffmpeg, GStreamer), looked
    up now: a program put on PATH (or taken off) counts from the next file on."""
    try:
        with warnings.catch_warnings():  # audioread imports stdlib modules deprecated in 3.11
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioread
            from audioread.rawread import RawAudioFile
    except ImportError:
        return []
    return [b for b in audioread.available_backends(flush_cache=True) if b is not RawAudioFile]


def _read_audioread(file, max_seconds, progress=None):
    """(_Mixdown holding the whole file, declared seconds or None) via audioread's backends;
    _Unreadable when none is installed or none can read the file."""
    import tempfile

    backends = _fallback_backends()
    if not backends:
        raise _Unreadable()
    import audioread

    tmp = None
    try:
        path = file.path
        if path is None:  # audioread reads files only
            with tempfile.NamedTemporaryFile(suffix=os.path.splitext(file.label)[1] or ".audio",
                                             delete=False) as fh:
                fh.write(file.data)
                tmp = path = fh.name
        with audioread.audio_open(path, backends=backends) as f:
            rate, channels, declared = int(f.samplerate), int(f.channels), f.duration or None
            mix = _Mixdown(file.label, rate, channels, int((declared or 0) * rate), max_seconds,
                           progress)
            _add_pcm16(mix, f, channels)
    except TalkrigError:
        raise
    except Exception as exc:
        log.debug("audioread could not read %s: %s", file.label, exc)
        raise _Unreadable() from None
    finally:
        if tmp:
            os.unlink(tmp)
    return mix, declared


def _pyav():
    """The PyAV module when installed (the capture extra: a wheel with its own FFmpeg
    decoders), else None."""
    try:
        import av
    except ImportError:
        return None
    return av


def _read_pyav(file, max_seconds, progress=None):
    """(_Mixdown holding the whole file, declared seconds or None) via PyAV: AAC in m4a/mp4,
    Opus in webm, a video's soundtrack; _Unreadable when PyAV is missing or cannot read it."""
    import io

    av = _pyav()
    if av is None:
        raise _Unreadable()
    declared = None
    try:
        with av.open(file.path if file.path is not None else io.BytesIO(file.data)) as container:
            if not container.streams.audio:
                raise _Unreadable()
            stream = container.streams.audio[0]
            rate, channels = int(stream.rate), len(stream.layout.channels)
            if stream.duration and stream.time_base:
                declared = float(stream.duration * stream.time_base)
            elif container.duration:
                declared = container.duration / av.time_base
            mix = _Mixdown(file.label, rate, channels, int((declared or 0) * rate), max_seconds,
                           progress)
            packed = av.AudioResampler(format="flt", layout=stream.layout, rate=rate)
            for frame in container.decode(stream):
                for out in packed.resample(frame):
                    mix.add(out.to_ndarray().reshape(-1, channels))
            for out in packed.resample(None):
                mix.add(out.to_ndarray().reshape(-1, channels))
    except (TalkrigError, _Unreadable):
        raise
    except Exception as exc:
        log.debug("PyAV could not read %s: %s", file.label, exc)
        raise _Unreadable(declared) from None
    return mix, declared


def _add_pcm16(mix, buffers, channels):
    """Feed interleaved 16-bit PCM buffers (of any length) to ``mix`` in blocks of whole frames."""
    frame_bytes = 2 * channels
    pending, size = [], 0
    for buf in buffers:
        pending.append(bytes(buf))
        size += len(buf)
        if size >= _BLOCK * frame_bytes:
            data = b"".join(pending)
            whole = len(data) - len(data) % frame_bytes
            mix.add(_pcm16_block(data[:whole], channels))
            pending, size = [data[whole:]], len(data) - whole
    data = b"".join(pending)
    if len(data) >= frame_bytes:
        mix.add(_pcm16_block(data[:len(data) - len(data) % frame_bytes], channels))


def _pcm16_block(data, channels):
    return np.frombuffer(data, dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0


class _Mixdown:
    """Decoded blocks in, 16 kHz mono out.

    Each (n, C) float32 block is checked, mixed down and resampled as it arrives, so memory
    stays proportional to the 16 kHz mono result whatever the source's rate and channel count.
    What the source declares (rate, channels, frames; 0 frames: unknown) is checked against the
    limits before the first block is decoded, and the frames that arrive are checked again.
    Several channels are mixed two ways, their mean and the first against the others: when the
    mean is 20 dB quieter, the channels cancel (one is polarity-inverted) and the other is kept.
    """

    def __init__(self, label, rate, channels, frames, max_seconds, progress=None):
        self.label, self.rate, self.channels = label, int(rate), int(channels)
        self.max_seconds, self.declared, self.progress = max_seconds, frames, progress
        _check_source(label, self.rate, self.channels, frames, max_seconds)
        self.frames = self.bad = 0
        self.peak = 0.0
        self.parts = []
        self.stream = None
        mixes = 2 if self.channels > 1 else 1  # the mean; the first channel against the others
        self.energy = np.zeros(mixes)
        if self.rate != SAMPLE_RATE:
            import soxr

            self.stream = soxr.ResampleStream(self.rate, SAMPLE_RATE, mixes, dtype="float32")

    @property
    def seconds(self):
        """Duration of the source decoded so far."""
        return self.frames / self.rate

    def add(self, block):
        """One (n, channels) float32 block of the source."""
        self.frames += len(block)
        if self.max_seconds is not None and self.frames > (self.max_seconds + 1.0) * self.rate:
            raise AudioError(self.label, f"the audio goes on past the limit of "
                                         f"{_clock(self.max_seconds)} ({RAISE_LIMIT})")
        _check_size(self.label, self.rate, self.channels, self.frames)
        finite = np.isfinite(block)
        if not finite.all():
            self.bad += int(block.size - np.count_nonzero(finite))
            block = np.where(finite, block, np.float32(0.0))
        if len(block):
            self.peak = max(self.peak, float(np.max(np.abs(block))))
        if self.peak > MAX_PEAK:
            raise AudioError(self.label, f"the audio holds samples as large as {self.peak:.3g}, far "
                                         "outside -1..1 (a damaged float file?)")
        mixed = _mix_down(block)
        self.energy += np.einsum("ij,ij->j", mixed, mixed, dtype=np.float64)
        self.parts.append(self.stream.resample_chunk(mixed) if self.stream else mixed.copy())
        if self.progress is not None:
            self.progress(min(1.0, self.frames / self.declared) if self.declared > 0 else 0.0)

    def finish(self):
        """The DecodedAudio, once every block is in."""
        if self.bad:
            raise AudioError(self.label, f"the audio holds {self.bad} NaN or infinite samples "
                                         "(a damaged float file?)")
        if self.frames == 0:
            raise AudioError(self.label, "the file holds no audio samples")
        _check_length(self.label, self.frames / self.rate, self.max_seconds)
        if self.stream:
            self.parts.append(self.stream.resample_chunk(np.zeros((0, len(self.energy)), np.float32),
                                                         last=True))
        pick = 0
        if len(self.energy) > 1 and self.energy[0] * CANCELLED < self.energy[1]:
            log.warning("%s: the channels cancel out when mixed (one has its polarity inverted); "
                        "using their difference", self.label)
            pick = 1
        mono = np.ascontiguousarray(np.concatenate(self.parts)[:, pick])
        if self.peak > 1.001:
            log.warning("%s: the audio peaks at %.3g times full scale (%+.1f dB); scaled down to "
                        "full scale", self.label, self.peak, 20 * np.log10(self.peak))
            mono *= np.float32(1.0 / self.peak)
        return DecodedAudio(mono, SAMPLE_RATE, name=self.label, source_rate=self.rate,
                            channels=self.channels)


def _mix_down(block):
    """(n, 1) of a mono block, or (n, 2) of a multichannel one: the channels' mean, and half the
    first minus the others' mean (what is left when one channel is the others inverted)."""
    if block.shape[1] == 1:
        return np.ascontiguousarray(block, dtype=np.float32)
    rest = block[:, 1:].mean(axis=1)
    return np.ascontiguousarray(np.stack([block.mean(axis=1), 0.5 * (block[:, 0] - rest)], axis=1),
                                dtype=np.float32)


def _check_source(label, rate, channels, frames, max_seconds):
    """Refuse, before decoding, a source whose header asks for more than a recording can be."""
    if rate <= 0 or channels <= 0:
        raise damaged(label, "", f"its header gives {rate} Hz and {channels} channels")
    problem = rate_problem(rate)
    if rate > MAX_SOURCE_RATE:  # first: it is what makes such a file costly to decode
        raise AudioError(label, problem)
    if channels > MAX_CHANNELS:
        raise AudioError(label, f"the audio has {channels} channels; at most {MAX_CHANNELS} are "
                                "supported (mix it down to mono or stereo)")
    if frames > 0:
        _check_length(label, frames / rate, max_seconds)
        _check_size(label, rate, channels, frames)
    if problem:  # too low: after the length, which is what such a file claims
        raise AudioError(label, problem)


def _check_size(label, rate, channels, frames):
    if frames * channels > MAX_SOURCE_SAMPLES:
        raise AudioError(label, f"the audio is too large to decode: {_clock(frames / rate)} of "
                                f"{channels} channels at {rate} Hz; at most {MAX_SOURCE_SAMPLES:,} "
                                "samples (rate x channels x duration) are (mix it down or "
                                "resample it first)")


def to_float(array):
    """float32 samples of ``array``: floats as they are, integers scaled from their full range
    (unsigned ones centred on their middle value)."""
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(np.float32)
    info = np.iinfo(array.dtype)
    if info.min == 0:  # unsigned: centred on the middle value
        mid = (info.max + 1) / 2.0
        return ((array.astype(np.float64) - mid) / mid).astype(np.float32)
    return (array.astype(np.float64) / float(-info.min)).astype(np.float32)


# where a refusal for length says the limit is set (every command's option, the server's, Python's)
RAISE_LIMIT = "raise it with --max-audio-seconds, or max_audio_seconds in Python"


def _check_length(label, seconds, max_seconds):
    if seconds < MIN_SECONDS:
        raise AudioError(label, f"the audio is {seconds:.2f} s long; at least {MIN_SECONDS} s is needed")
    if max_seconds is not None and seconds > max_seconds:
        raise AudioError(label, f"the audio is {_clock(seconds)} long; the limit is "
                                f"{_clock(max_seconds)} ({RAISE_LIMIT})")


def _clock(seconds):
    """A duration as a person reads it: 3.0 s, 10:01.0, 10:00:22.0 (an hour and over)."""
    minutes, secs = divmod(float(seconds), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:04.1f}"
    return f"{minutes}:{secs:04.1f}" if minutes else f"{secs:.1f} s"
