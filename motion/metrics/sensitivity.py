"""Does the motion depend on the audio, and on the seed? Figures that catch a generator which
ignores its input (the same gestures for speech, silence and another recording) or its seed
(the same take for every seed).

Distances are joint-rotation angles (radians, the geodesic angle between two rotations),
averaged over frames and joints, on the overlapping frames of two motions at one frame rate.
A scale to read them against: two different stretches of one real speaker's take (the same
person, other words) are about 0.26 rad apart per body joint; a take and a copy of it are 0.
"""

import itertools

import numpy as np

from ..errors import MotionValueError
from ..rotations import geodesic_distance
from ..skeleton import BODY, UPPER_BODY
from .kinematics import joint_positions, joint_speed, require_same_rate

ENERGY_SMOOTHING = 0.25  # seconds: Gaussian sigma applied to speed and energy before correlating
PAUSE_BRIDGE = 0.3  # seconds: gaps between words shorter than this are still speech
ENERGY_FLOOR = 1e-4  # relative to the loudest frame: silence is this quiet, not -inf


def pose_distance(a, b, joints=BODY):
    """Mean rotation angle between two motions' joints, frame by frame, radians.

    a, b : Motion at one frame rate; only their first min(T_a, T_b) frames are compared (two
        recordings seldom have the same length).
    joints : indices into the 55 SMPL-X joints (default the 22 body joints).
    0 for identical motions; ~0.26 rad for two stretches of one real take.
    """
    require_same_rate(a, b, "a pose distance")
    n = min(a.n_frames, b.n_frames)
    if n == 0:
        raise MotionValueError("a pose distance needs at least one frame in both motions")
    idx = np.asarray(joints)
    return float(geodesic_distance(a.poses[:n, idx], b.poses[:n, idx]).mean())


def seed_diversity(samples, joints=BODY):
    """Mean pairwise ``pose_distance`` between takes generated with different seeds, radians.

    samples : two or more Motion of the same audio, one per seed. 0 when every seed gives the
    same take. (``variety.multimodality`` is the papers' figure for the same thing in metres of
    joint position, Audio2Gestures Eq. 16.)
    """
    samples = list(samples)
    if len(samples) < 2:
        raise MotionValueError(f"seed diversity needs at least 2 takes, got {len(samples)}")
    pairs = list(itertools.combinations(samples, 2))
    return float(np.mean([pose_distance(a, b, joints) for a, b in pairs]))


def audio_sensitivity(speech, silence=None, other=None, joints=BODY):
    """How much the motion changes with the audio, one seed throughout.

    speech : Motion generated for a recording of speech.
    silence : Motion generated, with the same seed, for silence of the same length (or None).
    other : Motion generated, with the same seed, for another recording (or None).

    Returns {"silence_distance": rad, "other_distance": rad, "silence_speed_ratio": mean
    upper-body joint speed on silence / on speech}, keys present for the motions given. A
    generator that ignores its audio scores ~0, ~0 and ~1.
    """
    out = {}
    if silence is not None:
        out["silence_distance"] = pose_distance(speech, silence, joints)
        out["silence_speed_ratio"] = _mean_speed(silence) / max(_mean_speed(speech), 1e-9)
    if other is not None:
        out["other_distance"] = pose_distance(speech, other, joints)
    return out


def speed_energy_correlation(motion, energy, smoothing=ENERGY_SMOOTHING, joints=UPPER_BODY):
    """Pearson correlation of motion speed with speech loudness over time, in [-1, 1].

    motion : Motion of T frames.
    energy : (T,) per-frame RMS of the audio (linear, e.g. ``AudioFeatures.rms``); compared in
        log units, floored at ``ENERGY_FLOOR`` of the loudest frame so silence stays finite.
    smoothing : Gaussian sigma in seconds applied to both curves (speed and loudness co-vary
        over syllables and phrases, not single frames).

    Speed is the mean over ``joints`` of root-relative joint speed between frames t and t+1,
    compared with the energy of frame t+1. Returns 0 when either curve is constant.
    """
    energy = np.asarray(energy, dtype=np.float64).reshape(-1)
    if motion.n_frames < 3:
        raise MotionValueError("a speed-energy correlation needs at least 3 frames")
    if len(energy) < motion.n_frames:
        raise MotionValueError(f"energy has {len(energy)} frames, the motion {motion.n_frames}")
    speed = joint_speed(joint_positions(motion, joints), motion.fps).mean(axis=1)
    floor = ENERGY_FLOOR * max(float(energy.max()), 1e-12)
    loud = np.log(np.maximum(energy[1:motion.n_frames], floor))
    sigma = smoothing * motion.fps
    x, y = _smooth(speed, sigma), _smooth(loud, sigma)
    if x.std() < 1e-12 or y.std() < 1e-12:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def speech_mask(intervals, n_frames, fps, bridge=PAUSE_BRIDGE):
    """(T,) bool: True where someone speaks, from (start, end) times in seconds (words, or any
    voice detector's segments). Gaps shorter than ``bridge`` seconds count as speech: a pause is
    a gap a listener notices, not the space between two words."""
    t = (np.arange(n_frames) + 0.5) / float(fps)
    spans = sorted((float(s), float(e)) for s, e in intervals if e > s)
    merged = []
    for s, e in spans:
        if merged and s - merged[-1][1] < bridge:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    mask = np.zeros(n_frames, bool)
    for s, e in merged:
        mask |= (t >= s) & (t < e)
    return mask


def pause_speed_ratio(motion, speech, joints=UPPER_BODY):
    """Mean joint speed in pauses / mean joint speed during speech (below 1: calmer in pauses).

    speech : (T,) bool per frame (see ``speech_mask``). A step between frames t and t+1 counts
    as a pause step when both frames are pauses. Raises MotionValueError when the recording has
    no pause or no speech. (The real take 2_scott_0_1_1 scores about 1.05: this speaker keeps
    moving through his short pauses.)
    """
    speech = np.asarray(speech, dtype=bool).reshape(-1)
    if len(speech) < motion.n_frames:
        raise MotionValueError(f"speech mask has {len(speech)} frames, the motion {motion.n_frames}")
    speed = joint_speed(joint_positions(motion, joints), motion.fps).mean(axis=1)
    pause = ~speech[:motion.n_frames]
    pause_step = pause[1:] & pause[:-1]
    speech_step = ~pause[1:] & ~pause[:-1]
    if not pause_step.any() or not speech_step.any():
        raise MotionValueError("a pause/speech speed ratio needs frames of both pause and speech")
    return float(speed[pause_step].mean() / max(speed[speech_step].mean(), 1e-9))


def _mean_speed(motion, joints=UPPER_BODY):
    return float(joint_speed(joint_positions(motion, joints), motion.fps).mean())


def _smooth(values, sigma):
    """Gaussian smoothing (sigma in frames) with edge-repeating padding."""
    if sigma <= 0:
        return np.asarray(values, dtype=np.float64)
    r = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    return np.convolve(np.pad(values, r, mode="edge"), taps / taps.sum(), mode="valid")
