"""Blinks and small eye saccades of a speaker.

Blinks: people blink about 15-20 times a minute while talking, with irregular gaps (never much
under a second), and mostly at the boundaries of what they say: at pauses and phrase ends. A
blink closes fast (~90 ms), stays shut briefly and opens more slowly (~180 ms); now and then it
is doubled or only half closes. Here pauses get a blink first (with a probability), then the
rest of the requested rate is filled with gamma-distributed gaps around them.

Saccades: the eyes hold a point for a fraction of a second to a few seconds, then jump a few
degrees (mostly sideways) in 30-60 ms, more often at phrase starts, and drift back toward the
listener.
"""

import numpy as np

from ....motion.runs import true_runs
from .coarticulation import frames_between

CLOSE, HOLD, OPEN = 0.09, 0.04, 0.18  # seconds of a blink's phases
BLINK = CLOSE + HOLD + OPEN
MIN_GAP = 0.9  # seconds between two blinks
PAUSE_BLINK = 0.7  # chance of a blink at a pause or phrase end
MIN_PAUSE = 0.25  # seconds of silence that count as a pause
GAMMA_SHAPE = 3.0  # irregular but not bursty gaps
DOUBLE, HALF = 0.06, 0.1  # chances of a double blink and of a half blink
DOUBLE_GAP = 0.08  # seconds from the end of a blink to its double

GAZE_HOLD = (0.6, 2.5)  # seconds a gaze point is held (log-uniform)
GAZE_JUMP = 0.07  # radians, typical size of a jump (about 4 degrees)
GAZE_MOVE = 0.045  # seconds a saccade takes
EYE_RANGE = 0.5  # radians of eye rotation that ARKit's eyeLook* = 1 stands for
STILL_EYES = 0.01  # radians: the generator's eyes count as still below this range


def pauses(speech, fps):
    """[(start, end)] seconds of the silences between speech (bool (T,) activity)."""
    silent = ~np.asarray(speech, bool)
    return [(a / fps, b / fps) for a, b in true_runs(silent) if (b - a) / fps >= MIN_PAUSE]


def blink_times(duration, rate, pause_list, rng):
    """(B,) seconds blinks start at: ``rate`` per minute on average, pauses first."""
    if rate <= 0 or duration <= 0:
        return np.zeros(0)
    at_pauses = [min(start + rng.uniform(0.05, 0.2), max(start, end - CLOSE))
                 for start, end in pause_list if rng.random() < PAUSE_BLINK]
    wanted = rate * duration / 60.0
    mean_gap = 60.0 / rate
    fill_share = max(wanted - len(at_pauses), 0.3 * wanted) / max(wanted, 1e-9)
    filled = []
    t = rng.uniform(0.2, 0.8) * mean_gap
    while t < duration - CLOSE:
        filled.append(t)
        t += rng.gamma(GAMMA_SHAPE, mean_gap / GAMMA_SHAPE / fill_share)
    kept = []  # (time, at a pause)
    for t, at_pause in sorted([(t, True) for t in at_pauses] + [(t, False) for t in filled]):
        if not kept or t - kept[-1][0] >= MIN_GAP:
            kept.append((t, at_pause))
        elif at_pause and not kept[-1][1] and (len(kept) < 2 or t - kept[-2][0] >= MIN_GAP):
            kept[-1] = (t, True)  # a pause blink wins over a filler just before it
    return np.array([t for t, _ in kept])


def blink_curve(times, starts, rng):
    """(T,) eyelid closure 0..1 at increasing ``times`` (seconds) for blinks starting at
    ``starts``. Each blink is worked out over the frames around it only (a closure is 0
    outside its blink), so a long take costs its length, not its length times its blinks."""
    times = np.asarray(times, np.float64)
    out = np.zeros(len(times))
    for start in starts:
        near = frames_between(times, start, start + 2.0 * BLINK + DOUBLE_GAP + 0.1)  # a double too
        depth = 0.6 if rng.random() < HALF else 1.0
        out[near] = np.maximum(out[near], depth * _blink_shape(times[near] - start))
        if rng.random() < DOUBLE:
            out[near] = np.maximum(out[near], _blink_shape(times[near] - start - (BLINK + DOUBLE_GAP)))
    return out


def _blink_shape(dt):
    """Closure of one blink at ``dt`` seconds after its start (0 outside the blink)."""
    closing = np.clip(dt / CLOSE, 0.0, 1.0)
    opening = np.clip((dt - CLOSE - HOLD) / OPEN, 0.0, 1.0)
    shape = np.where(dt < CLOSE, closing ** 2 * (3 - 2 * closing), 1.0 - opening ** 2 * (3 - 2 * opening))
    return np.where((dt >= 0) & (dt <= BLINK), shape, 0.0)


def saccades(times, phrase_starts, rng, amount=1.0):
    """(T, 2) eye yaw (positive: to the speaker's left) and pitch (positive: down), radians."""
    duration = times[-1] if len(times) else 0.0
    gaze = np.zeros(2)
    t = rng.uniform(*GAZE_HOLD) * 0.5
    keys = [(0.0, gaze.copy())]
    starts = list(np.sort(phrase_starts))
    while t < duration:
        # a phrase start soon after is a natural moment to look elsewhere
        if starts and 0 <= starts[0] - t < 0.4:
            t = starts.pop(0)
        while starts and starts[0] <= t:
            starts.pop(0)
        toward_centre = -0.5 * gaze
        jump = toward_centre + rng.normal(0.0, GAZE_JUMP, 2) * np.array([1.0, 0.4])
        gaze = np.clip(gaze + amount * jump, -0.25, 0.25)
        keys.append((t, keys[-1][1]))
        keys.append((t + GAZE_MOVE, gaze.copy()))
        t += GAZE_MOVE + np.exp(rng.uniform(*np.log(GAZE_HOLD)))
    key_t = np.array([k[0] for k in keys])
    key_v = np.array([k[1] for k in keys])
    return np.stack([np.interp(times, key_t, key_v[:, i]) for i in range(2)], axis=1)


def look_curves(yaw_left, pitch_left, yaw_right, pitch_right):
    """ARKit eyeLook* (0..1) from each eye's yaw (+ = to the speaker's left) and pitch (+ = down)."""
    def part(x):
        return np.clip(np.asarray(x, np.float64) / EYE_RANGE, 0.0, 1.0)

    return {
        "eyeLookOut_L": part(yaw_left), "eyeLookIn_L": part(-yaw_left),
        "eyeLookIn_R": part(yaw_right), "eyeLookOut_R": part(-yaw_right),
        "eyeLookDown_L": part(pitch_left), "eyeLookUp_L": part(-pitch_left),
        "eyeLookDown_R": part(pitch_right), "eyeLookUp_R": part(-pitch_right),
    }
