"""A WAV whose recorder never finished its header (it crashed, or wrote to a stream): the RIFF
and data sizes are still 0, the audio follows. Players read it to the end; so does talkrig,
instead of calling it empty."""

import logging
import struct

import numpy as np
import pytest
import soundfile as sf

from talkrig.inference.audio.decode import AudioError, decode_audio


def wav_bytes(samples, rate, subtype, tmp_path):
    path = tmp_path / "whole.wav"
    sf.write(path, samples, rate, subtype=subtype)
    return bytearray(path.read_bytes())


def unfinish(data):
    """The same file as a recorder leaves it before closing: RIFF and data sizes 0."""
    data = bytearray(data)
    struct.pack_into("<I", data, 4, 0)
    struct.pack_into("<I", data, data.index(b"data") + 4, 0)
    return bytes(data)


@pytest.mark.parametrize("subtype,channels,rate", [("PCM_16", 1, 16000), ("PCM_24", 2, 48000),
                                                   ("FLOAT", 1, 22050)])
def test_the_audio_after_an_unfinished_header_is_read(subtype, channels, rate, tmp_path, caplog):
    rng = np.random.default_rng(1)
    samples = (0.3 * rng.standard_normal((int(1.5 * rate), channels))).astype(np.float32)
    data = unfinish(wav_bytes(samples, rate, subtype, tmp_path))
    path = tmp_path / "crashed.wav"
    path.write_bytes(data)
    whole = decode_audio(tmp_path / "whole.wav")
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        for source in (path, data):  # a file, or an upload's bytes
            got = decode_audio(source, name="crashed.wav")
            assert got.duration == pytest.approx(1.5, abs=0.01)
            assert np.allclose(got.samples, whole.samples, atol=1e-4)
    assert "header was never finished" in caplog.text


def test_a_finished_empty_wav_is_still_empty(tmp_path):
    """An empty data chunk followed by metadata, sizes all written: nothing to read."""
    data = wav_bytes(np.zeros((0, 1), np.float32), 16000, "PCM_16", tmp_path)
    info = b"INFO" + b"INAM" + struct.pack("<I", 6) + b"title\0"
    data += b"LIST" + struct.pack("<I", len(info)) + info
    struct.pack_into("<I", data, 4, len(data) - 8)
    with pytest.raises(AudioError, match="holds no audio samples"):
        decode_audio(bytes(data), name="empty.wav")


def test_an_unfinished_wav_longer_than_the_limit_is_refused_saying_how_to_raise_it(tmp_path):
    """Its header gives no length: the audio read is measured against the limit, and the
    refusal says how the limit is raised."""
    samples = np.zeros((5 * 16000, 1), np.float32)
    data = unfinish(wav_bytes(samples, 16000, "PCM_16", tmp_path))
    with pytest.raises(AudioError, match=r"the limit is 2\.0 s \(raise it with "
                                         r"--max-audio-seconds, or max_audio_seconds in Python\)"):
        decode_audio(data, name="crashed.wav", max_seconds=2.0)
    assert decode_audio(data, name="crashed.wav", max_seconds=6.0).duration == pytest.approx(5.0)
