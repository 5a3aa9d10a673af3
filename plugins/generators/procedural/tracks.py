"""Time functions the procedural generator is made of: eased key tracks, pulses and smooth noise.

Every function here is a pure function of time, so a window of frames can be synthesized on its
own and windows join exactly.
"""

import numpy as np

from ....motion.easing import minimum_jerk
from ....motion.rotations import quat_continuity, quat_slerp

EASE_SMOOTH = 0  # minimum jerk: starts and stops gently
EASE_STROKE = 1  # velocity peaks late and stops at the key: a gesture stroke landing on a beat


def ease(u, kind):
    """Eased progress for EASE_SMOOTH / EASE_STROKE (arrays broadcast).

    A stroke is minimum jerk on a time warped by w(u) = u (0.6 + 0.4 u): the warp is smooth,
    so the move still starts and ends with zero velocity and acceleration, but its speed peaks
    later, as a stroke that accelerates into its landing does.
    """
    u = np.clip(u, 0.0, 1.0)
    return np.where(kind == EASE_STROKE, minimum_jerk(u * (0.6 + 0.4 * u)), minimum_jerk(u))


class KeyTrack:
    """Values at key times, eased from each key to the next; held before the first/after the last.

    times : (K,) increasing seconds. values : (K, J, 4) unit quaternions (``quats=True``, slerped)
    or (K, D) floats (interpolated). eases : (K,) kind of the segment starting at each key.
    """

    def __init__(self, times, values, eases=None, quats=False):
        self.times = np.asarray(times, np.float64)
        values = np.asarray(values, np.float64)
        self.values = quat_continuity(values, axis=0) if quats and len(values) > 1 else values
        self.eases = np.zeros(len(self.times), np.int64) if eases is None else np.asarray(eases, np.int64)
        self.quats = quats
        if len(self.times) == 0:
            raise ValueError("a key track needs at least one key")
        if np.any(np.diff(self.times) <= 0):
            raise ValueError("key times must increase")

    def sample(self, t):
        """Values at times t (n,) -> (n, J, 4) or (n, D)."""
        t = np.asarray(t, np.float64)
        k = len(self.times)
        i = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, k - 1)
        j = np.minimum(i + 1, k - 1)
        span = np.where(j > i, self.times[j] - self.times[i], 1.0)
        u = np.where(j > i, (t - self.times[i]) / span, 0.0)
        s = ease(u, self.eases[i])
        a, b = self.values[i], self.values[j]
        if self.quats:
            return quat_slerp(a, b, s[:, None])
        return a + (b - a) * s.reshape((-1,) + (1,) * (a.ndim - 1))


class Keys:
    """Builder of a KeyTrack: move to a value, arriving at a time, from wherever the track is."""

    def __init__(self, value, start=0.0):
        self.times = [float(start)]
        self.values = [np.asarray(value, np.float64)]
        self.eases = [EASE_SMOOTH]

    @property
    def last_time(self):
        return self.times[-1]

    @property
    def last_value(self):
        return self.values[-1]

    def move(self, start, arrive, value, kind=EASE_SMOOTH, min_duration=0.12):
        """Hold the current value until ``start``, then ease to ``value`` arriving at ``arrive``.

        Returns the arrival time actually used (a move never starts before the previous key).
        """
        start = max(float(start), self.last_time)
        if start > self.last_time + 1e-3:
            self.times.append(start)
            self.values.append(self.last_value)
            self.eases.append(EASE_SMOOTH)
        arrive = max(float(arrive), start + min_duration)
        self.eases[-1] = kind
        self.times.append(arrive)
        self.values.append(np.asarray(value, np.float64))
        self.eases.append(EASE_SMOOTH)
        return arrive

    def track(self, quats=False):
        return KeyTrack(self.times, self.values, self.eases, quats=quats)


def beat_pulse(t, beats, amplitudes, lift=0.26, strike=0.2, rebound=0.3, overshoot=0.08):
    """Sum of beat strokes: rise over ``lift`` s, strike down over ``strike`` s to land at each
    beat (velocity ~0 exactly at the beat), small rebound afterwards. (n,) for t (n,).
    """
    t = np.asarray(t, np.float64)
    out = np.zeros(len(t))
    if len(beats) == 0:
        return out
    lo = np.searchsorted(beats, t[0] - rebound - 1e-9) if len(t) else 0
    hi = np.searchsorted(beats, t[-1] + lift + strike + 1e-9) if len(t) else 0
    for b, a in zip(beats[lo:hi], amplitudes[lo:hi]):
        d = t - b
        up = (d >= -(lift + strike)) & (d < -strike)
        down = (d >= -strike) & (d < 0)
        after = (d >= 0) & (d < rebound)
        out[up] += a * minimum_jerk((d[up] + lift + strike) / lift)
        out[down] += a * (1.0 - minimum_jerk((d[down] + strike) / strike))
        # a dip below rest and back: the hand settles after the hit (sin^4: no jolt at the ends)
        out[after] -= a * overshoot * np.sin(np.pi * d[after] / rebound) ** 4
    return out


def beat_loop(t, beats, amplitudes, length=0.4):
    """Sum of sin^4 bumps ending at each beat (zero velocity and acceleration at both ends): a sideways component of the stroke that is still
    moving at the top of the lift and stops with the hit, so the hand's path is a small loop
    whose only full stop is on the beat. (n,) for t (n,)."""
    t = np.asarray(t, np.float64)
    out = np.zeros(len(t))
    if len(beats) == 0 or len(t) == 0:
        return out
    lo = np.searchsorted(beats, t[0] - 1e-9)
    hi = np.searchsorted(beats, t[-1] + length + 1e-9)
    for b, a in zip(beats[lo:hi], amplitudes[lo:hi]):
        d = t - (b - length)
        inside = (d >= 0) & (d < length)
        out[inside] += a * np.sin(np.pi * d[inside] / length) ** 4
    return out


def dip(t, times, amplitudes, down=0.16, up=0.35):
    """Sum of dips arriving at each time (a head nod): ease to the amplitude, then back."""
    t = np.asarray(t, np.float64)
    out = np.zeros(len(t))
    if len(times) == 0:
        return out
    lo = np.searchsorted(times, t[0] - up - 1e-9) if len(t) else 0
    hi = np.searchsorted(times, t[-1] + down + 1e-9) if len(t) else 0
    for c, a in zip(times[lo:hi], amplitudes[lo:hi]):
        d = t - c
        before = (d >= -down) & (d < 0)
        after = (d >= 0) & (d < up)
        out[before] += a * minimum_jerk((d[before] + down) / down)
        out[after] += a * (1.0 - minimum_jerk(d[after] / up))
    return out


class SmoothNoise:
    """Band-limited noise per channel: a sum of sinusoids with seeded frequencies and phases.

    channels : number of independent signals; each has unit-ish RMS (about 1/sqrt(2) per
    component, normalised to RMS 1).
    """

    def __init__(self, rng, channels, low=0.07, high=0.45, components=3):
        # one frequency in each of ``components`` equal parts of the band: a channel's speed
        # (amplitude x frequency) then varies little from seed to seed, as a person's does
        strata = (np.arange(components)[:, None] + rng.uniform(0.0, 1.0, (components, channels))) / components
        self.freqs = low + (high - low) * strata
        self.phases = rng.uniform(0.0, 2.0 * np.pi, (components, channels))
        weights = rng.uniform(0.5, 1.0, (components, channels))
        self.weights = weights / np.sqrt(0.5 * np.sum(weights ** 2, axis=0, keepdims=True))
        self._phase_turns = self.phases / (2.0 * np.pi)
        self._weights32 = self.weights.astype(np.float32)

    def sample(self, t, columns=None):
        """(n, channels) at times t (n,); (n, len(columns)) of those channels only."""
        t = np.asarray(t, np.float64)[:, None, None]
        pick = slice(None) if columns is None else columns
        # the phase in turns, wrapped in float64 (exact however long the take), then its sine in
        # float32: 4x faster, within 5e-7 of the float64 sine (the motion is stored as float32);
        # worked in place, the (n, components, channels) arrays of a body's bands are the cost
        turns = self.freqs[:, pick] * t
        turns += self._phase_turns[:, pick]
        turns -= np.floor(turns)
        turns *= 2.0 * np.pi
        sines = np.sin(turns.astype(np.float32))
        return np.einsum("nkc,kc->nc", sines, self._weights32[:, pick]).astype(np.float64)
