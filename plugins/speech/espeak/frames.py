"""What the aligner compares: cepstra and speech activity at 100 frames per second.

Both the recording and eSpeak NG's rendering of the script are described the same way: 5
mel-cepstral coefficients (c1-c5 of 40 Slaney mel bands, a 32 ms window; c0, the level, is
left out) with their differences, normalised per recording (mean and variance), so a voice's
loudness and microphone colour do not count; and whether each frame is speech
(:func:`..inference.activity.speech_activity`, music and laughter excluded). Five
coefficients, the coarse spectral envelope, beat 6-16 on the shared English recordings
(median onset error 30-40 ms against 40-90 ms with 12 or 16): finer detail tells eSpeak NG's
voice from a person's more than one phone from the next.
"""

from types import SimpleNamespace

import numpy as np

from ....inference.audio.decode import SAMPLE_RATE as RATE, resample
from ....inference.features.spectrum import MEL_FLOOR, dct_ortho, mel_filterbank, mel_power

FPS = 100
HOP = RATE // FPS
N_FFT = 512
N_MELS = 40
N_CEPSTRA = 5
DELTA_WEIGHT = 2.0  # the differences count twice: a phone's edges more than its middle
VOICE_FLOOR_DB = 30.0  # frames this far under the voice are no speech to the aligner


def frame_count(samples):
    return len(samples) // HOP + 1


def log_mel(samples):
    """(T, N_MELS) natural-log mel power of 16 kHz ``samples``, frame t centred on t * HOP."""
    x = np.asarray(samples, np.float32)
    centers = np.arange(frame_count(x)) * HOP
    power = mel_power(x, centers, N_FFT, mel_filterbank(RATE, N_FFT, N_MELS))
    return np.log(np.maximum(power, MEL_FLOOR))


def cepstra(mel):
    """(T, 2 * N_CEPSTRA) normalised cepstra and their differences from a log-mel (T, N_MELS)."""
    c = dct_ortho(mel, 1, N_CEPSTRA)
    delta = np.gradient(c, axis=0) if len(c) > 1 else np.zeros_like(c)
    x = np.concatenate([c, DELTA_WEIGHT * delta], axis=1)
    return ((x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)).astype(np.float32)


def activity(mel):
    """(T,) bool speech activity of a log-mel at FPS."""
    from ....inference.features.activity import speech_activity

    features = SimpleNamespace(mel=mel, fps=float(FPS), n_frames=len(mel), sample_rate=RATE)
    return speech_activity(features)


def voiced(mel, speech):
    """(T,) bool: the frames no more than VOICE_FLOOR_DB under the voice (the loudest band's
    95th percentile over the ``speech`` frames). A breath or the room before the first word,
    at 1-2 % of the voice's level, can pass for speech; a word does not start in it."""
    level = mel.max(axis=1)
    if not np.any(speech):
        return np.ones(len(mel), bool)
    voice = np.percentile(level[np.asarray(speech, bool)], 95)
    return level > voice - VOICE_FLOOR_DB / (10.0 * np.log10(np.e))


def at_rate(samples, rate):
    """``samples`` at 16 kHz."""
    return resample(np.asarray(samples, np.float32), rate, RATE)
