"""Audio features at the motion frame rate: the input every generator receives.

Every feature is sampled at the motion frames: frame t is centred on t / fps seconds (sample
round(t * sample_rate / fps)), so a non-integer hop such as 533.33 samples at 16 kHz / 30 fps
never drifts and T == motion.container.frame_count(duration, fps) exactly.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ...motion.errors import TalkrigError
from ..audio.decode import SAMPLE_RATE
from ..cache import LruCache
N_MELS = 64
N_FFT = 1024  # 64 ms window: wider than the 33 ms hop at 30 fps, so no sample is skipped
N_MFCC = 13
CACHE_SIZE = 8  # recordings whose features stay in memory (a minute of audio is ~1 MB)


@dataclass
class AudioFeatures:
    """Features of one decoded recording, T frames at the motion frame rate.

    T == motion.container.frame_count(duration, fps); hop = sample_rate / fps samples.

    mel : (T, 64) float32 log-mel spectrogram (Audio2Gestures input).
    mfcc : (T, 28) float32: 13 MFCC + log mean energy, plus their first differences
        (Speech2Video input).
    onset_strength : (T,) float32 onset envelope, >= 0.
    onset_times : (N,) float64 detected onsets, seconds.
    rms : (T,) float32 RMS energy of the loudness-normalised signal.
    f0 : (T,) float32 pitch in Hz, 0 where unvoiced.
    voiced : (T,) bool.
    voice : (T,) float32 probability that someone speaks (the learned detector,
        features.voice), or None without ONNX Runtime.
    music : (T,) bool frames of music, laughter or a beat (activity.music_frames) where the
        caller knows them already (a live stream refreshes them every half second), or None:
        worked out from the other tracks when asked.
    """

    fps: float
    sample_rate: int
    duration: float
    mel: np.ndarray
    mfcc: np.ndarray
    onset_strength: np.ndarray
    onset_times: np.ndarray
    rms: np.ndarray
    f0: np.ndarray
    voiced: np.ndarray
    audio_hash: str = ""
    voice: np.ndarray | None = None
    music: np.ndarray | None = None

    @property
    def n_frames(self):
        return self.mel.shape[0]


def compute_features(samples, sample_rate=SAMPLE_RATE, fps=30.0, normalize=True, voice=True):
    """All features of a recording at ``fps`` frames per second, as an :class:`AudioFeatures`.

    samples : (N,) float mono signal at any level: it is loudness-normalised first
        (audio.normalize_loudness) and resampled to 16 kHz when ``sample_rate`` differs.
    normalize : False when the caller has set the level already (a live stream applies the
        gain measured on everything heard so far, not on the piece it passes here).
    voice : False to leave the voice detector's track out (a live stream runs the detector
        itself, its state carried from piece to piece).

    mel: ln of the power of 64 Slaney mel bands (0-8 kHz) of a 1024-point Hann window centred
    on each frame, floored at 1e-10. mfcc: the Speech2Video vector: the first 13 DCT-II
    (orthonormal) coefficients of the 10*log10 mel power, then ln of the mean energy over the
    frame's own hop, then the first differences (central, per frame) of those 14 values.
    onset_strength / onset_times: spectral flux, see inference/features/onsets.py. rms: RMS of the
    normalised signal over each frame's hop. f0 / voiced: YIN with a voicing rule, see
    inference/features/pitch.py. Silence gives finite features: floor values, no onsets, no voicing.
    """
    from ...motion.container import check_fps, frame_count
    from ..audio.decode import normalize_loudness, resample
    from .voice import voice_probability

    fps = check_fps(fps)
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size == 0:
        raise TalkrigError("cannot compute audio features of an empty signal")
    if not np.isfinite(x).all():
        raise TalkrigError("cannot compute audio features: the signal holds NaN or infinite samples")
    duration = len(x) / float(sample_rate)
    if int(sample_rate) != SAMPLE_RATE:
        x = resample(x, sample_rate, SAMPLE_RATE)
    sr = SAMPLE_RATE
    if normalize:
        x = normalize_loudness(x, sr)
    n_frames = frame_count(duration, fps)
    if not voice:
        return _spectral_features(x, sr, fps, n_frames, duration)
    with ThreadPoolExecutor(1) as pool:  # the voice detector runs in ONNX Runtime, free of the GIL
        heard = pool.submit(voice_probability, x, fps, n_frames)
        features = _spectral_features(x, sr, fps, n_frames, duration)
    features.voice = heard.result()
    return features


def _spectral_features(x, sr, fps, n_frames, duration):
    """AudioFeatures but the voice detector's track, of the 16 kHz loudness-set signal ``x``."""
    from ..audio.decode import resample
    from .onsets import ONSET_HOP, ONSET_RATE, onset_envelope, pool_envelope
    from .pitch import PITCH_RATE, pitch_track
    from .spectrum import MEL_FLOOR, dct_ortho, hop_rms, mel_filterbank, mel_power

    centers = np.round(np.arange(n_frames) * (sr / fps)).astype(np.int64)
    power = np.maximum(mel_power(x, centers, N_FFT, mel_filterbank(sr, N_FFT, N_MELS)), MEL_FLOOR)

    rms = hop_rms(x, n_frames, sr / fps)
    log_energy = np.log(np.square(rms) + MEL_FLOOR)
    cepstrum = dct_ortho(10.0 * np.log10(power), 0, N_MFCC)
    static = np.concatenate([cepstrum, log_energy[:, None]], axis=1)
    delta = np.gradient(static, axis=0) if n_frames > 1 else np.zeros_like(static)

    low = resample(x, sr, ONSET_RATE)  # onsets and pitch need no more than 4 kHz of band
    envelope, onset_times = onset_envelope(low, ONSET_RATE)
    f0, voiced = pitch_track(low if PITCH_RATE == ONSET_RATE else resample(x, sr, PITCH_RATE), fps, n_frames)
    return AudioFeatures(
        fps=fps,
        sample_rate=sr,
        duration=duration,
        mel=np.log(power).astype(np.float32),
        mfcc=np.concatenate([static, delta], axis=1).astype(np.float32),
        onset_strength=pool_envelope(envelope, n_frames, fps, ONSET_RATE / ONSET_HOP).astype(np.float32),
        onset_times=onset_times.astype(np.float64),
        rms=rms.astype(np.float32),
        f0=f0.astype(np.float32),
        voiced=np.asarray(voiced, dtype=bool),
    )


_cache = LruCache(CACHE_SIZE)


def features_for(audio, fps=30.0):
    """Features of a DecodedAudio, cached by (audio hash, fps) so a re-run does not recompute.

    The cache holds the last CACHE_SIZE results in memory; the returned arrays are read-only
    because they are shared between calls (copy before changing them in place).
    """
    key = (audio.hash, float(fps))
    hit = _cache.get(key)
    if hit is not None:
        return hit
    features = compute_features(audio.samples, audio.sample_rate, fps)
    features.audio_hash = audio.hash
    for value in vars(features).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    _cache.put(key, features)
    return features


def clear_feature_cache():
    """Forget every cached feature set (tests, or to free memory)."""
    _cache.clear()
