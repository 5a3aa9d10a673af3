"""What an audio file's container says about itself, read from its bytes before any decoding.

Decoders differ in what they do with a cut-off file: libsndfile reads a truncated WAV or Ogg
without complaint and returns the part that is there. The container itself knows better (a WAV
data chunk states its size, an Ogg stream ends with a page flagged end-of-stream), so these
checks run first and give the same answer whichever decoder follows.
"""

import struct

from ..motion.errors import TalkrigError

HEAD_BYTES = 1 << 20  # enough of a file to sniff its format and walk its WAV chunks
TAIL_BYTES = 1 << 16  # holds the last Ogg page (at most 65 307 bytes)


class AudioError(TalkrigError):
    """An audio input is missing, empty, damaged, too short/long, or not audio at all."""

    def __init__(self, name, problem):
        self.name = str(name)
        self.problem = problem
        super().__init__(f"{self.name}: {problem}")


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


def check_container(kind, head, tail, size, label):
    """Raise AudioError when the container shows the file is damaged or cut off.

    head, tail : the file's first HEAD_BYTES and last TAIL_BYTES (or fewer) bytes.
    size : the file's length in bytes.
    """
    if kind == "wav":
        _check_wav(head, size, label)
    elif kind == "ogg":
        _check_ogg_end(tail, label)


def _check_wav(head, size, label):
    """Walk the RIFF chunks: a format chunk that makes sense, then a data chunk that is all there."""
    order = ">" if head[:4] == b"RIFX" else "<"
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack_from(order + "I", head, pos + 4)[0]
        if chunk == b"fmt ":
            fmt = _wav_format(head[pos + 8:pos + 8 + length], order, label)
        elif chunk == b"data":
            if fmt is None:
                raise damaged(label, "wav", "its audio data comes before any format chunk")
            available = max(0, size - (pos + 8))
            if length not in (0, 0xFFFFFFFF) and available < length:
                raise damaged(label, "wav", f"its header promises {length / fmt:.2f} s of audio but "
                                            f"only {available / fmt:.2f} s are there")
            return
        pos += 8 + length + (length & 1)
    if pos + 8 <= size and len(head) < size:
        return  # chunk headers beyond the bytes read: leave the check to the decoder
    if head[:4] != b"RF64":
        raise damaged(label, "wav", "it holds no audio data")


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
