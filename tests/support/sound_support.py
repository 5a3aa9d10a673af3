"""Sounds that are not speech, made at test time: a melody, held chords, plucked chords with a
drum, laughter and noise beds, and mixes of them before or under speech (numpy and scipy only,
so benchmarks can use them on older checkouts too)."""

import numpy as np
from scipy.signal import lfilter

RATE = 16000


def melody(seconds, rate=RATE):
    """A plucked melody: one note every 0.4 s with four harmonics, decaying."""
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    notes = (262, 294, 330, 349, 392, 440, 494, 523, 494, 440, 392, 349)
    for k in range(int(np.ceil(seconds / 0.4))):
        part = (t >= k * 0.4) & (t < (k + 1) * 0.4)
        f = notes[k % len(notes)]
        for h in (1, 2, 3, 4):
            out[part] += np.sin(2 * np.pi * f * h * t[part]) / h * np.exp(-3 * (t[part] - k * 0.4))
    return _level(out)


def chords(seconds, rate=RATE):
    """Held organ chords, one a second, with a soft pad: music with no beat at all."""
    t = np.arange(int(seconds * rate)) / rate
    out = np.zeros_like(t)
    progression = ((220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 311.1))
    for k in range(int(np.ceil(seconds))):
        part = (t >= k) & (t < k + 1)
        for f in progression[k % len(progression)]:
            for h in (1, 2, 3, 5):
                out[part] += np.sin(2 * np.pi * f * h * t[part]) / h ** 1.5
    return _level(out)


def plucked_chords(seconds, rate=RATE):
    """Plucked chords, two a second, with a noisy drum on the beat (0.15 peak)."""
    t = np.arange(int(seconds * rate)) / rate
    music = np.zeros_like(t)
    chords = ((220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6))
    for k, chord in enumerate(chords * int(seconds)):
        part = (t >= k * 0.5) & (t < (k + 1) * 0.5)
        for f in chord:
            for h in (1, 2, 3):
                music[part] += np.sin(2 * np.pi * f * h * t[part]) / (h * 6)
        music[part] *= np.exp(-4 * (t[part] - k * 0.5))  # a plucked, rhythmic envelope
    music += 0.3 * np.sign(np.sin(2 * np.pi * 2 * t)) * np.exp(-30 * (t % 0.5)) * \
        np.random.default_rng(1).standard_normal(len(t))  # a drum on the beat
    return (0.15 * music / np.max(np.abs(music))).astype(np.float32)


def laughter(seconds, seed=0, rate=RATE):
    """"Ha-ha-ha": breathy voiced bursts, 4-5 a second, the same open vowel every time."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 240 + 60 * np.sin(2 * np.pi * 0.4 * t) + 20 * rng.standard_normal() 
    pulses = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / rate)) * 0.5
    source = 0.6 * pulses + 0.5 * rng.standard_normal(len(t))
    voiced = source
    for formant, width in ((800, 120), (1250, 150), (2600, 250)):  # the vowel "a"
        voiced = _resonator(voiced, formant, width, rate)
    rate_hz = rng.uniform(4.0, 5.0)
    envelope = np.clip(np.sin(2 * np.pi * rate_hz * t), 0, None) ** 1.5
    envelope *= np.clip(1.2 - t / seconds, 0.3, 1.0)  # a laugh fades
    return _level(voiced * envelope)


def laugh_bouts(seconds, seed=0, rate=RATE):
    """Laughter as people laugh: bouts of 3-8 breathy bursts (each 60-140 ms, 170-260 ms
    apart, jittered), one vowel a bout ("ha", "he", "ho"), falling in pitch, with breaths
    between the bouts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    vowels = (((800, 120), (1250, 150), (2600, 250)), ((500, 100), (1900, 150), (2600, 250)),
              ((550, 100), (900, 120), (2500, 250)))
    at = rng.uniform(0.0, 0.2)
    while at < seconds:
        formants = vowels[rng.integers(len(vowels))]
        f0 = rng.uniform(180, 320)
        gap = rng.uniform(0.17, 0.26)
        for _ in range(rng.integers(3, 9)):
            length = int(rng.uniform(0.06, 0.14) * rate)
            t = np.arange(length) / rate
            pitch = f0 * (1.0 - 0.15 * t / t[-1])
            pulses = np.sign(np.sin(2 * np.pi * np.cumsum(pitch) / rate))
            burst = 0.6 * pulses + 0.5 * rng.standard_normal(length)
            for formant, width in formants:
                burst = _resonator(burst, formant, width, rate)
            burst *= np.sin(np.pi * t / t[-1]) * rng.uniform(0.6, 1.0)
            k = int(at * rate)
            if k >= n:
                break
            out[k:k + length] += burst[:n - k]
            at += gap * rng.uniform(0.85, 1.15)
            f0 *= 0.97
        at += rng.uniform(0.3, 0.7)  # a breath
    return _level(out)


def drum_loop(seconds, bpm=110.0, seed=0, rate=RATE):
    """A drum kit on a one-bar pattern of eighth notes: kick (a falling sine), snare (a noise
    burst with a tone), closed hi-hat (short high noise), with a little timing and level play."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    eighth = 30.0 / bpm
    kick, snare, hat = (1, 0, 0, 0, 1, 1, 0, 0), (0, 0, 1, 0, 0, 0, 1, 0), (1,) * 8
    for k in range(int(seconds / eighth) + 1):
        at = int((k * eighth + rng.normal(0.0, 0.005)) * rate)
        step = k % 8
        for hit, make in ((kick[step], _kick), (snare[step], _snare), (hat[step], _hat)):
            if hit and 0 <= at < n:
                sound = make(rng, rate) * rng.uniform(0.8, 1.0)
                out[at:at + len(sound)] += sound[:n - at]
    return _level(out)


def _kick(rng, rate):
    t = np.arange(int(0.25 * rate)) / rate
    return np.sin(2 * np.pi * (50 + 90 * np.exp(-25 * t)) * t) * np.exp(-12 * t)


def _snare(rng, rate):
    t = np.arange(int(0.2 * rate)) / rate
    return (0.7 * rng.standard_normal(len(t)) + 0.4 * np.sin(2 * np.pi * 190 * t)) * np.exp(-18 * t)


def _hat(rng, rate):
    t = np.arange(int(0.06 * rate)) / rate
    return 0.3 * np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-60 * t)


def noise_bed(seconds, seed=0, rate=RATE):
    """Brown-ish noise (a fan, traffic)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(seconds * rate))
    return _level(np.convolve(white, np.ones(8) / 8, mode="same"))


def mix(speech, sound, at=0.0, level_db=0.0, rate=RATE):
    """``sound`` put into ``speech`` from ``at`` seconds on (added, or before the speech when
    at < 0: the speech then starts after it), at ``level_db`` against the speech's RMS."""
    speech = np.asarray(speech, np.float32)
    sounding = np.abs(speech) > 0.01
    scale = np.sqrt(np.mean(speech[sounding] ** 2)) if sounding.any() else 0.1
    sound = sound * scale * 10 ** (level_db / 20) / np.sqrt(np.mean(sound ** 2))
    if at < 0:
        out = np.concatenate([sound, speech])
    else:
        k = int(at * rate)
        out = np.concatenate([speech, np.zeros(max(0, k + len(sound) - len(speech)), np.float32)])
        out[k:k + len(sound)] += sound
    return (0.9 * out / np.max(np.abs(out))).astype(np.float32)


def _resonator(x, freq, bandwidth, rate):
    r = np.exp(-np.pi * bandwidth / rate)
    theta = 2 * np.pi * freq / rate
    return lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)


def _level(x):
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)
