"""Damaged, truncated, hostile and absurd audio: one clear line, whichever decoders are installed.

The ``decoders`` fixture runs a test with a real ffmpeg on PATH (audioread's fallback) and
without, so a machine's installed programs cannot change what a user sees.
"""

import logging
import struct
import subprocess
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from support.audio_support import IMPLAUSIBLE, encode, implausible_wav, tone, user_message
from support.tools_on_path import ffmpeg_exe

from talkrig.inference.audio.decode import AudioError, decode_audio

FORMATS = [("wav", "WAV", "PCM_16"), ("flac", "FLAC", "PCM_16"), ("ogg", "OGG", "VORBIS"),
           ("opus", "OGG", "OPUS"), ("mp3", "MP3", "MPEG_LAYER_III")]


@pytest.mark.parametrize("suffix,fmt,subtype", FORMATS)
def test_truncated_files_give_one_line_with_and_without_ffmpeg(decoders, suffix, fmt, subtype,
                                                                tmp_path, capsys):
    data = encode(tone(3.0), 16000, fmt, subtype)
    kind = {"opus": "ogg"}.get(suffix, suffix)
    whole = tmp_path / f"whole.{suffix}"
    whole.write_bytes(data)
    assert decode_audio(whole).duration == pytest.approx(3.0, abs=0.06)
    for fraction in (0.3, 0.6, 0.9):
        path = tmp_path / f"cut.{suffix}"
        path.write_bytes(data[:int(len(data) * fraction)])
        message = user_message(capsys, path)
        assert message.startswith(f"talkrig words: error: cut.{suffix}: the {kind} file is "
                                  "damaged or truncated"), (decoders, fraction, message)
        assert "\n" not in message
    with pytest.raises(AudioError, match="damaged or truncated"):  # bytes, as the server has them
        decode_audio(data[:len(data) // 2], name=f"upload.{suffix}")


def test_ffmpeg_result_is_accepted_only_when_complete(decoders, tmp_path):
    """AAC in MP4 is beyond libsndfile: ffmpeg decodes it when installed, and a cut-off one is
    refused against the duration its header declares instead of becoming a shorter take."""
    m4a = tmp_path / "speech.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=2",
                    "-c:a", "aac", "-movflags", "+faststart", str(m4a)], check=True)
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(m4a.read_bytes()[:int(m4a.stat().st_size * 0.6)])
    if decoders == "no ffmpeg":
        for path in (m4a, cut):
            with pytest.raises(AudioError, match="cannot decode mp4 audio here: install ffmpeg"):
                decode_audio(path)
        return
    audio = decode_audio(m4a)
    assert audio.duration == pytest.approx(2.0, abs=0.06) and audio.source_rate == 44100
    with pytest.raises(AudioError, match=r"cut.m4a: the mp4 file is damaged or truncated: its "
                                         r"header promises 2.\d\d s of audio but only 1.\d\d s"):
        decode_audio(cut)


@pytest.mark.parametrize("encoding", [
    ["-b:a", "64k"], ["-q:a", "4"], ["-q:a", "4", "-write_xing", "0"],
    ["-b:a", "32k", "-ar", "16000", "-write_id3v1", "1", "-metadata", "title=take 1"],
], ids=["cbr", "vbr", "vbr without xing header", "16 kHz with id3v1"])
def test_mp3_files_from_another_encoder(decoders, encoding, tmp_path):
    """ffmpeg's LAME files: tags at either end, VBR, and VBR without a Xing header, which
    libsndfile reads only up to its own estimate of the length (a third of this file)."""
    path = tmp_path / "take.mp3"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=8",
                    "-f", "lavfi", "-i", "anoisesrc=d=8:a=0.2", "-filter_complex", "amix=inputs=2",
                    "-c:a", "libmp3lame", *encoding, str(path)], check=True)
    if decoders == "no ffmpeg" and "-write_xing" in encoding:
        with pytest.raises(AudioError, match=r"take.mp3: only [0-7].\d\d s of the 8.\d\d s this mp3 "
                                             r"file holds could be decoded here: install ffmpeg"):
            decode_audio(path)
    else:
        assert decode_audio(path).duration == pytest.approx(8.0, abs=0.06)
    data = path.read_bytes()
    third = len(data) * 2 // 3
    accepted = []
    for end in range(third, third + 420):  # every byte of two or more frames
        try:
            decode_audio(data[:end], name="cut.mp3")
            accepted.append(end)
        except AudioError as exc:
            if "damaged or truncated" not in str(exc):
                assert decoders == "no ffmpeg" and "install ffmpeg" in str(exc)
                accepted.append(end)
    if "-write_xing" in encoding:  # nothing says how long it was: a cut between frames passes
        assert 1 <= len(accepted) <= 4
    else:
        assert accepted == []  # the Xing header counts the frames


@pytest.mark.parametrize("suffix,fmt,subtype", FORMATS)
def test_randomly_damaged_files_never_raise_anything_else(suffix, fmt, subtype, monkeypatch,
                                                         tmp_path):
    """Cuts and flipped bytes anywhere: a DecodedAudio or an AudioError, never another exception."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no fallback decoder: libsndfile and our checks
    data = np.frombuffer(encode(tone(1.5), 16000, fmt, subtype), np.uint8)
    rng = np.random.default_rng(len(data))
    for _ in range(25):
        damaged = data[:rng.integers(1, len(data) + 1)].copy()
        spots = rng.integers(0, len(damaged), size=rng.integers(0, 6))
        damaged[spots] = rng.integers(0, 256, size=len(spots))
        try:
            decode_audio(damaged.tobytes(), name=f"x.{suffix}")
        except AudioError:
            pass


def wav_bytes_with(**fields):
    """A 1 s 16-bit mono WAV with fields of its format chunk replaced (channels, rate)."""
    data = bytearray(encode(tone(1.0), 16000, "WAV", "PCM_16"))
    offsets = {"channels": (22, "<H"), "rate": (24, "<I")}
    for name, value in fields.items():
        offset, fmt = offsets[name]
        struct.pack_into(fmt, data, offset, value)
    return bytes(data)


@pytest.mark.parametrize("data,problem", [
    (wav_bytes_with()[:30], "its header ends inside the format chunk"),
    (wav_bytes_with()[:12], "it holds no audio data"),
    (wav_bytes_with(rate=0), "its header gives a sample rate of 0 Hz"),
    (wav_bytes_with(channels=0), "its header gives 0 channels"),
], ids=["30-byte header", "no chunks", "rate 0", "0 channels"])
def test_broken_wav_headers(data, problem, tmp_path, capsys):
    path = tmp_path / "take.wav"
    path.write_bytes(data)
    assert user_message(capsys, path) == ("talkrig words: error: take.wav: the wav file is damaged "
                                          f"or truncated: {problem}")


def flac_declaring(rate, channels, seconds):
    """A few hundred bytes of FLAC whose header declares ``seconds`` of audio (a decompression
    bomb: libsndfile would decode all of it)."""
    data = bytearray(encode(np.zeros((int(0.01 * rate), channels), np.float32), rate, "FLAC", "PCM_16"))
    packed = int.from_bytes(data[18:26], "big")  # rate(20) channels(3) bits(5) total samples(36)
    total = int(seconds * rate)
    data[18:26] = ((packed >> 36 << 36) | total).to_bytes(8, "big")
    return bytes(data)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = flac_declaring(655350, 8, 60.0)  # the audit's file: 1.26 GB of float samples
    assert len(bomb) < 1000 and sf.info(_write(tmp_path / "bomb.flac", bomb)).frames == 655350 * 60
    tracemalloc.start()
    try:
        with pytest.raises(AudioError, match="bomb.flac: the sample rate is 655350 Hz; at most "
                                             "384000 Hz is supported"):
            decode_audio(tmp_path / "bomb.flac")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5e6
    huge = flac_declaring(192000, 8, 660.0)  # no duration limit: the size limit still holds
    with pytest.raises(AudioError, match=r"too large to decode: 11:00.0 of 8 channels at 192000 Hz"):
        decode_audio(huge, name="huge.flac", max_seconds=None)
    with pytest.raises(AudioError, match="the audio has 9 channels; at most 8"):
        decode_audio(encode(np.zeros((16000, 9), np.float32), 16000, "WAV", "PCM_16"))


def _write(path, data):
    path.write_bytes(data)
    return path


def test_high_rate_many_channel_audio_decodes_in_memory_proportional_to_the_result(tmp_path):
    path = tmp_path / "octo.flac"
    x = tone(1.0, 96000, freq=220.0)
    with sf.SoundFile(path, "w", 96000, 8, format="FLAC", subtype="PCM_16") as f:
        for _ in range(20):
            f.write(np.repeat(x[:, None], 8, axis=1))
    tracemalloc.start()
    try:
        audio = decode_audio(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    whole = 20 * 96000 * 8 * 4  # the file as float32 samples: 61 MB
    assert (audio.duration, audio.channels, audio.source_rate) == (20.0, 8, 96000)
    assert peak < whole / 5 and peak < 10 * audio.samples.nbytes
    expected = tone(20.0, 16000, freq=220.0)
    assert np.max(np.abs(audio.samples[1000:-1000] - expected[1000:-1000])) < 0.01


def test_absurd_float_amplitudes_are_refused(tmp_path, capsys):
    path = tmp_path / "loud.wav"
    sf.write(path, tone(1.0) * np.float32(1e30), 16000, subtype="FLOAT")
    assert user_message(capsys, path) == ("talkrig words: error: loud.wav: the audio holds samples "
                                          "as large as 4e+29, far outside -1..1 (a damaged float "
                                          "file?)")
    x = tone(1.0)
    x[::100] = np.inf  # what 1e39 becomes in float32
    sf.write(path, x, 16000, subtype="FLOAT")
    assert "NaN or infinite samples" in user_message(capsys, path)


@pytest.mark.parametrize("gain", [4.0, 32767.0])
def test_float_audio_above_full_scale_is_scaled_down_with_a_warning(gain, tmp_path, caplog):
    """A hot float mix, or 16-bit values stored as float: the shape is kept, the peak is 1."""
    path = tmp_path / "hot.wav"
    x = tone(1.0)
    sf.write(path, x * np.float32(gain), 16000, subtype="FLOAT")
    with caplog.at_level(logging.WARNING, logger="talkrig.inference.audio.decode"):
        audio = decode_audio(path)
    assert np.max(np.abs(audio.samples)) == pytest.approx(1.0, abs=1e-4)
    assert np.allclose(audio.samples, x / 0.4, atol=1e-3)
    assert f"hot.wav: the audio peaks at {gain * 0.4:.3g} times full scale" in caplog.text


def test_pyav_decodes_what_libsndfile_cannot_without_ffmpeg(tmp_path, monkeypatch):
    """With the capture extra installed, PyAV's own FFmpeg reads AAC in m4a, Opus in webm and a
    video's soundtrack, with no ffmpeg program on the machine; a cut-off m4a is still refused."""
    pytest.importorskip("av")
    from support.tools_on_path import only_these_tools

    made = {}
    for name, args in {
        "speech.m4a": ["-f", "lavfi", "-i", "sine=frequency=220:duration=2", "-c:a", "aac"],
        "speech.webm": ["-f", "lavfi", "-i", "sine=frequency=220:duration=2", "-c:a", "libopus"],
        "talk.mp4": ["-f", "lavfi", "-i", "testsrc=duration=2:size=64x64:rate=10", "-f", "lavfi",
                     "-i", "sine=frequency=220:duration=2", "-c:v", "mpeg4", "-c:a", "aac"],
    }.items():
        made[name] = tmp_path / name
        subprocess.run([ffmpeg_exe(), "-v", "error", *args, str(made[name])], check=True)
    only_these_tools(monkeypatch, tmp_path / "bin", {})  # no ffmpeg from here on
    for path in made.values():
        audio = decode_audio(path)
        assert audio.duration == pytest.approx(2.0, abs=0.1), path.name
        assert np.abs(audio.samples).max() > 0.1
    data = made["speech.m4a"].read_bytes()
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(data[:int(len(data) * 0.6)])
    with pytest.raises(AudioError, match="cut.m4a: the mp4 file is damaged or truncated"):
        decode_audio(cut)


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE))
def test_a_rate_no_voice_has_is_refused_in_one_line(case, tmp_path, capsys):
    data, refusal = implausible_wav(case)
    if case.startswith("2 Hz"):
        assert len(data) < 2500 and sf.info(_write(tmp_path / "x.wav", data)).duration == 600.0
    path = _write(tmp_path / "odd.wav", data)
    assert user_message(capsys, path) == f"talkrig words: error: odd.wav: {refusal}" + (
        " (a damaged header, or resample the recording to 16 kHz or more)" if "needs" in refusal
        else " (resample the recording to 48 kHz)")
    with pytest.raises(AudioError, match=f"upload.wav: {refusal}"):  # bytes, as the server has them
        decode_audio(data, name="upload.wav")
    rate = IMPLAUSIBLE[case][0]
    with pytest.raises(AudioError, match=refusal):  # samples in memory, as the Python API takes them
        decode_audio(np.zeros(max(rate, 1200), np.float32), sample_rate=rate)


def test_the_lowest_and_highest_plausible_rates_decode():
    for rate in (4000, 384000):
        assert decode_audio(encode(tone(1.0, rate, freq=440.0), rate, "WAV", "PCM_16")).duration == \
            pytest.approx(1.0, abs=1e-3)
