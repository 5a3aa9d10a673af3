"""What an audio file's container says about itself, read from its bytes before any decoding.

Decoders differ in what they do with a cut-off file: libsndfile reads a truncated WAV or Ogg
without complaint and returns the part that is there. The container itself knows better (a WAV
data chunk states its size, an Ogg stream ends with a page flagged end-of-stream), so these
checks run first and give the same answer whichever decoder follows.
"""

import io
import os
import struct
from dataclasses import dataclass

from ...motion.errors import TalkrigError
from ...motion.files import not_a_file

HEAD_BYTES = 1 << 20  # enough of a file to sniff its format and walk its WAV chunks
TAIL_BYTES = 1 << 16  # holds the last Ogg page (at most 65 307 bytes)
MP3_WALK_BYTES = 1 << 26  # mp3 files up to 64 MB (an hour at 128 kbit/s) get their frames counted


class AudioError(TalkrigError):
    """An audio input is missing, empty, damaged, too short/long, or not audio at all."""

    def __init__(self, name, problem):
        self.name = str(name)
        self.problem = problem
        super().__init__(f"{self.name}: {problem}")


@dataclass
class AudioFile:
    """A file to decode: its label, size, first and last bytes; the bytes or the path to read."""

    label: str
    head: bytes
    tail: bytes
    size: int
    data: bytes = None
    path: str = None

    @classmethod
    def from_bytes(cls, data, label):
        return cls(label, data[:HEAD_BYTES], data[-TAIL_BYTES:], len(data), data=data)

    @classmethod
    def from_path(cls, path, name=None):
        path = os.fspath(path)
        label = name or os.path.basename(path) or path
        problem = not_a_file(path)
        if problem:
            raise AudioError(path, "is a folder, not an audio file" if problem.startswith("is a folder") else problem)
        try:
            with open(path, "rb") as fh:
                head = fh.read(HEAD_BYTES)
                size = os.fstat(fh.fileno()).st_size
                fh.seek(max(0, size - TAIL_BYTES))
                tail = fh.read()
        except OSError as exc:
            raise AudioError(label, f"cannot read the file ({exc.strerror or exc})") from None
        return cls(label, head, tail, size, path=path)

    def open(self):
        """What soundfile opens: the path, or the bytes as a file object."""
        return self.path if self.path is not None else io.BytesIO(self.data)

    def content(self):
        """All the file's bytes."""
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as fh:
            return fh.read()


@dataclass
class Promise:
    """How much audio a file says it holds.

    seconds : the duration its header (or its frames, counted) declares.
    slack : seconds a correct decoder may still come up short by (an mp3 frame, encoder delay).
    whole : the file was walked to its end and every frame is there, so a shorter result is the
        decoder's limit, not damage.
    """

    seconds: float
    slack: float = 0.0
    whole: bool = False

    def kept_by(self, seconds):
        return seconds >= self.seconds - max(0.05, 0.01 * self.seconds, self.slack)


def damaged(label, kind, detail=None):
    """The one error for a file whose container or data is broken or cut off."""
    what = f"the {kind} file" if kind else "the file"
    return AudioError(label, f"{what} is damaged or truncated" + (f": {detail}" if detail else
                                                                   " and cannot be decoded"))


def sniff(head):
    """The container a file's first bytes announce, or "" when they announce no audio format."""
    head = head[:12]
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0):
        return "mp3"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "mp4"
    return ""


def check_container(kind, file):
    """What the container of ``file`` (an AudioFile) promises: a Promise, or None when it does
    not say. Raises AudioError when its structure shows it is damaged or cut off."""
    if kind == "wav":
        return _check_wav(file.head, file.size, file.label)
    if kind == "ogg":
        _check_ogg_end(file.tail, file.label)
    elif kind == "mp3" and file.size <= MP3_WALK_BYTES:
        return _walk_mp3(file.content(), file.label)
    return None


def unfinished_wav(file):
    """``file`` with the sizes of its WAV header filled in when the recorder never wrote them
    (a RIFF and data chunk of 0 bytes with audio after them: a recording that crashed or was
    captured from a stream), so decoders read the audio that is there; else ``file`` itself.
    Such a file is read into memory."""
    if file.head[:4] != b"RIFF" or sniff(file.head) != "wav":
        return file
    if struct.unpack_from("<I", file.head, 4)[0] == file.size - 8:
        return file  # a finished header: an empty data chunk is empty
    for chunk, pos, length in _wav_chunks(file.head, "<"):
        if chunk == b"data":
            if length or file.size <= pos + 8:
                return file
            data = bytearray(file.content())
            payload = len(data) - (pos + 8)
            struct.pack_into("<I", data, 4, len(data) - 8)
            struct.pack_into("<I", data, pos + 4, payload)
            return AudioFile.from_bytes(bytes(data), file.label)
    return file


def _wav_chunks(head, order):
    """(chunk id, offset, declared length) of each RIFF chunk whose header is in ``head``."""
    pos = 12
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack_from(order + "I", head, pos + 4)[0]
        yield chunk, pos, length
        pos += 8 + length + (length & 1)


def _check_wav(head, size, label):
    """Walk the RIFF chunks: a format chunk that makes sense, then a data chunk that is all there."""
    order = ">" if head[:4] == b"RIFX" else "<"
    pos, fmt = 12, None
    for chunk, pos, length in _wav_chunks(head, order):
        if chunk == b"fmt ":
            fmt = _wav_format(head[pos + 8:pos + 8 + length], order, label)
        elif chunk == b"data":
            if fmt is None:
                raise damaged(label, "wav", "its audio data comes before any format chunk")
            available = max(0, size - (pos + 8))
            if length not in (0, 0xFFFFFFFF) and available < length:
                raise damaged(label, "wav", f"its header promises {length / fmt:.2f} s of audio but "
                                            f"only {available / fmt:.2f} s are there")
            return Promise(length / fmt) if length not in (0, 0xFFFFFFFF) else None
        pos += 8 + length + (length & 1)
    if pos + 8 <= size and len(head) < size:
        return None  # chunk headers beyond the bytes read: leave the check to the decoder
    if head[:4] != b"RF64":
        raise damaged(label, "wav", "it holds no audio data")
    return None


def _wav_format(body, order, label):
    """Bytes per second of audio from a WAV format chunk; AudioError when it cannot be right."""
    if len(body) < 16:
        raise damaged(label, "wav", "its header ends inside the format chunk")
    _tag, channels, rate, byte_rate, block_align, _bits = struct.unpack_from(order + "HHIIHH", body)
    if channels == 0:
        raise damaged(label, "wav", "its header gives 0 channels")
    if rate == 0:
        raise damaged(label, "wav", "its header gives a sample rate of 0 Hz")
    byte_rate = byte_rate or rate * block_align
    if byte_rate == 0:
        raise damaged(label, "wav", "its header gives 0 bytes per sample")
    return byte_rate


def _check_ogg_end(tail, label):
    """An Ogg file ends with a whole page flagged end-of-stream; a cut-off one does not."""
    pos = tail.rfind(b"OggS")
    while pos >= 0:  # the last page header whose page ends exactly where the file does
        if pos + 27 <= len(tail) and tail[pos + 4] == 0:  # stream structure version 0
            count = tail[pos + 26]
            segments = tail[pos + 27:pos + 27 + count]
            if len(segments) == count and pos + 27 + count + sum(segments) == len(tail):
                if tail[pos + 5] & 0x04:  # end-of-stream flag
                    return
                break
        pos = tail.rfind(b"OggS", 0, pos)
    raise damaged(label, "ogg", "it ends before its last page")


# MPEG audio layer III frame headers (ISO/IEC 11172-3 and 13818-3): bitrate in kbit/s by index
# for MPEG-1 and for MPEG-2/2.5, sample rates by version (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5).
_MP3_KBPS = {True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
             False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _walk_mp3(data, label):
    """Count an mp3 stream's frames to the end of the file: a Promise of its true duration.

    libsndfile stops at its own estimate in a VBR file without a Xing header, and neither it nor
    ffmpeg says when the last frame is cut off; the frame headers do. None when the stream is not
    one we can walk (free format, mixed rates, layers I/II): the decoders' word is taken then.
    """
    pos = _id3v2_end(data)
    end = len(data) - _trailing_tags_size(data)
    frames, rate, frame, xing = 0, None, None, None
    while pos + 4 <= end:
        frame = _mp3_frame(data[pos:pos + 4])
        if frame is None or (rate is not None and frame[2] != rate):
            return None
        length, count, rate = frame
        if pos + length > end:
            raise damaged(label, "mp3", "it ends inside its last frame")
        if frames == 0:
            xing = _xing_frames(data[pos:pos + length])
        frames, pos = frames + 1, pos + length
    if frame is None:
        return None
    if pos < end:
        raise damaged(label, "mp3", "it ends inside its last frame")
    count = frame[1]
    if xing is not None and xing > frames + 1:  # cut exactly between two frames
        raise damaged(label, "mp3", f"its header promises {xing * count / rate:.2f} s of audio but "
                                    f"only {frames * count / rate:.2f} s are there")
    # not output by a decoder: a Xing/LAME frame, the encoder's delay (LAME: 1105 samples) and
    # the padding of the last frame (under 2 frames)
    return Promise(frames * count / rate, slack=(4 * count + 1105) / rate, whole=True)


def _xing_frames(first_frame):
    """The frame count a Xing/Info header (in an mp3's first frame) declares, or None."""
    for tag in (b"Xing", b"Info"):
        at = first_frame.find(tag)
        if at >= 0 and len(first_frame) >= at + 12:
            flags = int.from_bytes(first_frame[at + 4:at + 8], "big")
            if flags & 1:
                return int.from_bytes(first_frame[at + 8:at + 12], "big")
    return None


def _mp3_frame(header):
    """(frame length in bytes, samples, sample rate) of a layer III frame header, else None."""
    b0, b1, b2 = header[0], header[1], header[2]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    kbps_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0 or version == 1 or layer != 1 \
            or kbps_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    rate = _MP3_RATES[version][rate_index]
    kbps = _MP3_KBPS[mpeg1][kbps_index]
    count = 1152 if mpeg1 else 576
    return count // 8 * kbps * 1000 // rate + padding, count, rate


def _id3v2_end(data):
    """Where the audio starts: after any ID3v2 tags at the front."""
    pos = 0
    while data[pos:pos + 3] == b"ID3" and len(data) >= pos + 10:
        size = 0
        for byte in data[pos + 6:pos + 10]:  # "syncsafe": 7 bits a byte
            size = (size << 7) | (byte & 0x7F)
        pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)
    return pos


def _trailing_tags_size(data):
    """Bytes of ID3v1 and APEv2 tags at the end of an mp3 file."""
    size = 0
    if data[-128:-125] == b"TAG":
        size += 128
    footer = data[len(data) - size - 32:len(data) - size]
    if footer[:8] == b"APETAGEX":
        tag = struct.unpack_from("<I", footer, 12)[0]
        flags = struct.unpack_from("<I", footer, 20)[0]
        size += tag + (32 if flags & 0x80000000 else 0)
    return size
