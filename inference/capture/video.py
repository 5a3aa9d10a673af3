"""Read a video's frames at a chosen frame rate and its sound as 16 kHz mono (PyAV).

PyAV carries its own FFmpeg decoders, so any common container (mp4, mov, mkv, webm, avi) and
codec (H.264, HEVC, VP8/9, AV1, ProRes, MJPEG; AAC, Opus, MP3, PCM) reads the same way without
an ffmpeg program. Frames are resampled in time by picking, for every output instant, the last
decoded frame at or before it (a 25 fps phone video gives a steady 30 fps take). Pictures come
upright, as a player shows them: a phone stores an upright video on its side with a display
rotation.
"""

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...motion.files import not_a_file
from ..audio.decode import SAMPLE_RATE
from .errors import CaptureError

log = logging.getLogger(__name__)

# The largest picture read (4K UHD, either way up): a frame's RGB copy, the decoder's own and the
# few frames decoded ahead stay within a few hundred MB. Checked on the header before anything
# is decoded and again on every decoded frame (a header can lie).
MAX_FRAME_PIXELS = 3840 * 2160
MAX_FRAME_SIDE = 4096


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
    if not_a_file(path):
        raise CaptureError(path, not_a_file(path))
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise CaptureError(path, f"not a video FFmpeg can read ({_reason(exc)})") from None


def _reason(exc):
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def probe(path):
    """A :class:`VideoInfo` for ``path``; CaptureError when it has no readable video stream.
    Width and height are the picture's as shown (:func:`upright`)."""
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            raise CaptureError(path, "holds no video stream")
        stream = container.streams.video[0]
        turned = _quarter_turns(container, stream) % 2 == 1
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1e6
        else:
            duration = (stream.frames / fps) if fps and stream.frames else 0.0
        audio = container.streams.audio
        width, height = stream.codec_context.width, stream.codec_context.height
        check_frame_size(path, width, height)
        if turned:
            width, height = height, width
        return VideoInfo(path=path, width=width, height=height, fps=fps, duration=duration,
                         has_audio=bool(audio), video_codec=stream.codec_context.name,
                         audio_codec=audio[0].codec_context.name if audio else "")


def upright(frame):
    """(H, W, 3) uint8 RGB of a decoded frame as a player shows it: turned (and mirrored) as its
    display matrix says. A phone filming upright stores its pictures on their side and says so
    there; read as stored, the speaker lay on their side and capture read nothing sensible (an
    upright held-out video stored so: shoulders 80.6 / 29.5 degrees off, 3.7 / 3.2 read
    upright)."""
    rgb = frame.to_ndarray(format="rgb24")
    turn = _display_turn(frame)
    return np.ascontiguousarray(_turned(rgb, *turn)) if turn != (0, False) else rgb


def _display_turn(frame):
    """(quarter turns counter-clockwise, mirrored first) that show ``frame`` as its display
    matrix says; (0, False) without one."""
    for data in frame.side_data:
        if data.type.name == "DISPLAYMATRIX":
            m = np.frombuffer(bytes(data), dtype="<i4")[:9].reshape(3, 3)
            return _turn_of(int(np.sign(m[0, 0])), int(np.sign(m[0, 1])),
                            int(np.sign(m[1, 0])), int(np.sign(m[1, 1])))
    return 0, False


@lru_cache(maxsize=16)
def _turn_of(a, b, c, d):
    """The one of the picture's eight turns and mirror images that moves its pixels as a display
    matrix with these signs does: a pixel's right neighbour goes (a, b) from it (x right, y
    down), the one below it (c, d). FFmpeg's frame.rotation alone reads a mirror image as half
    a turn."""
    grid = np.arange(9).reshape(3, 3)
    for mirrored in (False, True):
        for quarter in range(4):
            moved = _turned(grid, quarter, mirrored)
            centre, right, below = (np.argwhere(moved == v)[0] for v in (4, 5, 7))
            if tuple(right - centre) == (b, a) and tuple(below - centre) == (d, c):
                return quarter, mirrored
    return 0, False


def _turned(picture, quarter, mirrored):
    return np.rot90(np.fliplr(picture) if mirrored else picture, quarter)


def _quarter_turns(container, stream):
    """Quarter turns (counter-clockwise) of the first picture's display matrix (0 when no
    picture decodes: the reading fails later with its reason)."""
    import av

    try:
        for frame in container.decode(stream):
            return _display_turn(frame)[0]
    except av.error.FFmpegError:
        return 0
    return 0


def check_frame_size(path, width, height):
    """CaptureError for pictures larger than capture reads (or with no size at all)."""
    if not width or not height:
        raise CaptureError(path, "its video stream declares no picture size")
    if width * height > MAX_FRAME_PIXELS or max(width, height) > MAX_FRAME_SIDE:
        raise CaptureError(path, f"its pictures are {width}x{height}; capture reads at most 3840x2160 "
                                 "(4K) pictures: scale the video down first (ffmpeg -vf scale=1920:-2)")


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
                check_frame_size(path, frame.width, frame.height)
                t = float(frame.pts * stream.time_base)
                while held is not None and start + index * step < t - 1e-6:
                    at = start + index * step
                    if end is not None and at >= end - 1e-9:
                        return
                    if held_rgb is None:
                        held_rgb = upright(held)
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
                held_rgb = upright(held)
            yield index, at, held_rgb
            index += 1


def read_audio(path, start=0.0, end=None, sample_rate=SAMPLE_RATE):
    """(N,) float32 mono at ``sample_rate`` of the first audio stream between start and end.

    Every channel layout (stereo, 5.1) is mixed down by FFmpeg's resampler. Only the span asked
    for is kept and decoding stops at its end, so a track hours longer than the picture (or
    one that claims to start hours late) costs no more memory than the span.
    Raises CaptureError when the video has no sound.
    """
    import av

    path = Path(path)
    lo = int(round(start * sample_rate))
    hi = None if end is None else max(lo, int(round(end * sample_rate)))
    with _open(path) as container:
        if not container.streams.audio:
            raise CaptureError(path, "has no sound track; capture needs the speech with the "
                                     "video (record with the phone's microphone on)")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        kept = _Span(lo, hi)
        try:
            for frame in container.decode(stream):
                if kept.position is None:  # a track starting late: silence before it
                    kept.position = int(round(float((frame.pts or 0) * stream.time_base) * sample_rate))
                for out in resampler.resample(frame):
                    kept.add(out.to_ndarray().reshape(-1))
                if kept.full:
                    break
            else:
                for out in resampler.resample(None):
                    kept.add(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise CaptureError(path, f"the sound track is damaged ({_reason(exc)})") from None
    return kept.samples()


class _Span:
    """Samples [lo, hi) of a track (hi None: to its end), gathered as it is decoded."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.position = None  # sample index of the next decoded sample
        self.chunks = []

    @property
    def full(self):
        return self.hi is not None and self.position is not None and self.position >= self.hi

    def add(self, x):
        a, b = self.position, self.position + len(x)
        self.position = b
        if not self.chunks and a > self.lo:  # silence before the track starts
            self.chunks.append(np.zeros((a if self.hi is None else min(a, self.hi)) - self.lo, np.float32))
        first, last = max(a, self.lo), b if self.hi is None else min(b, self.hi)
        if last > first:
            self.chunks.append(np.asarray(x[first - a:last - a], np.float32))

    def samples(self):
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)


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
