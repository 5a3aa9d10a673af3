"""Read a video's frames at a chosen frame rate and its sound as 16 kHz mono (PyAV).

PyAV carries its own FFmpeg decoders, so any common container (mp4, mov, mkv, webm, avi) and
codec (H.264, HEVC, VP8/9, AV1, ProRes, MJPEG; AAC, Opus, MP3, PCM) reads the same way without
an ffmpeg program. Frames are resampled in time by picking, for every output instant, the last
decoded frame at or before it (a 25 fps phone video gives a steady 30 fps take).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE
from .errors import CaptureError

log = logging.getLogger(__name__)


@dataclass
class VideoInfo:
    """What a video holds. duration : seconds of the video stream; fps : its average rate."""

    path: Path
    width: int
    height: int
    fps: float
    duration: float
    has_audio: bool
    video_codec: str = ""
    audio_codec: str = ""


def _open(path):
    import av

    path = Path(path)
    if not path.is_file():
        raise CaptureError(path, "no such file")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise CaptureError(path, f"not a video FFmpeg can read ({_reason(exc)})") from None


def _reason(exc):
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def probe(path):
    """A :class:`VideoInfo` for ``path``; CaptureError when it has no readable video stream."""
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            raise CaptureError(path, "holds no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            duration = (stream.frames / fps) if fps and stream.frames else 0.0
        audio = container.streams.audio
        return VideoInfo(path=path, width=stream.codec_context.width,
                         height=stream.codec_context.height, fps=fps, duration=duration,
                         has_audio=bool(audio), video_codec=stream.codec_context.name,
                         audio_codec=audio[0].codec_context.name if audio else "")


def iter_frames(path, fps=30.0, start=0.0, end=None):
    """Yield (index, time, rgb) at ``fps`` from ``start`` to ``end`` seconds (None: the end).

    rgb : (H, W, 3) uint8, the picture on screen at ``time`` (the last frame shown at or before
    it). ``index`` counts output frames from 0. Only pictures that are emitted are converted.
    Raises CaptureError naming the file and the time when the video is damaged.
    """
    import av

    path = Path(path)
    step = 1.0 / float(fps)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        shown_for = 1.0 / float(rate) if rate else step
        if start > 0:
            container.seek(int(max(0.0, start - 1.0) / stream.time_base), stream=stream,
                           backward=True, any_frame=False)
        index = 0
        held, held_rgb, t = None, None, None
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float(frame.pts * stream.time_base)
                while held is not None and start + index * step < t - 1e-6:
                    at = start + index * step
                    if end is not None and at >= end - 1e-9:
                        return
                    if held_rgb is None:
                        held_rgb = held.to_ndarray(format="rgb24")
                    yield index, at, held_rgb
                    index += 1
                held, held_rgb = frame, None
        except av.error.FFmpegError as exc:
            raise CaptureError(path, f"the video is damaged near {start + index * step:.1f} s "
                                     f"({_reason(exc)})") from None
        while held is not None:  # the last picture, for as long as it is shown
            at = start + index * step
            if at >= t + shown_for - 1e-6 or (end is not None and at >= end - 1e-9):
                return
            if held_rgb is None:
                held_rgb = held.to_ndarray(format="rgb24")
            yield index, at, held_rgb
            index += 1


def read_audio(path, start=0.0, end=None, sample_rate=SAMPLE_RATE):
    """(N,) float32 mono at ``sample_rate`` of the first audio stream between start and end.

    Every channel layout (stereo, 5.1) is mixed down by FFmpeg's resampler.
    Raises CaptureError when the video has no sound.
    """
    import av

    path = Path(path)
    with _open(path) as container:
        if not container.streams.audio:
            raise CaptureError(path, "has no sound track; capture needs the speech with the "
                                     "video (record with the phone's microphone on)")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks = []
        first = None
        try:
            for frame in container.decode(stream):
                if first is None and frame.pts is not None:
                    first = float(frame.pts * stream.time_base)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise CaptureError(path, f"the sound track is damaged ({_reason(exc)})") from None
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    offset = int(round((first or 0.0) * sample_rate))  # a track starting late: pad with silence
    if offset > 0:
        samples = np.concatenate([np.zeros(offset, np.float32), samples])
    lo = int(round(start * sample_rate))
    hi = None if end is None else int(round(end * sample_rate))
    return samples[lo:hi]


def prefetched(frames, depth=8):
    """Iterate ``frames`` (any iterator) with the next items decoded ahead in a thread: the
    decoder and the landmark detector release the GIL, so they overlap on two cores. An error
    in the decoder is raised where the item would have come."""
    import queue
    import threading

    items = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def fill():
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as exc:  # handed to the consumer
            items.put(exc)

    thread = threading.Thread(target=fill, name="talkrig-video-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
