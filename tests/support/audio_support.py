"""Test sounds made on the spot: tones, encoded in any format libsndfile writes."""

import io

import numpy as np
import soundfile as sf


def tone(seconds=1.5, rate=16000, freq=220.0, amp=0.4, channels=1):
    """A sine: (N,) float32, or (N, 2) with the second channel at half level."""
    t = np.arange(int(seconds * rate)) / rate
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    if channels == 2:
        return np.stack([x, 0.5 * x], axis=1)
    return x


def encode(x, rate, fmt, subtype):
    """The bytes of ``x`` written as a ``fmt``/``subtype`` file (e.g. "FLAC", "PCM_16")."""
    buf = io.BytesIO()
    sf.write(buf, x, rate, format=fmt, subtype=subtype)
    return buf.getvalue()


def user_message(capsys, path):
    """What `talkrig words` prints when it refuses ``path`` (it must refuse it: exit code 2)."""
    from talkrig.cli import main

    assert main(["words", str(path), "--engine", "none"]) == 2
    return capsys.readouterr().err.strip()


# Recordings at sample rates no voice can have, which every surface refuses in one line: the
# audit's 2.4 KB wav at 2 Hz claiming ten minutes, and a second at 500 kHz.
IMPLAUSIBLE = {"2 Hz, ten minutes": (2, 600.0, "the sample rate is 2 Hz; speech needs at least 4000 Hz"),
               "500 kHz": (500000, 1.0, "the sample rate is 500000 Hz; at most 384000 Hz is supported")}


def implausible_wav(case):
    """(wav bytes, what the refusal says) of an IMPLAUSIBLE case: a valid 16-bit wav."""
    rate, seconds, refusal = IMPLAUSIBLE[case]
    return encode(tone(seconds, rate, freq=rate / 4.0), rate, "WAV", "PCM_16"), refusal
