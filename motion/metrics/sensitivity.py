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
from ..skeleton import BODY, JAW, UPPER_BODY
from .kinematics import joint_positions, joint_speed, require_same_rate

ENERGY_SMOOTHING = 0.25  # seconds: Gaussian sigma applied to speed and energy before correlating
SPREAD_LAG = 5.0  # seconds between the two moments ``motion_spread`` compares
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


def motion_spread(motion, lag=SPREAD_LAG, joints=BODY):
    """``pose_distance`` between a motion and itself ``lag`` seconds later, radians: how far
    apart two moments of one take are. The scale to read audio and seed distances against: a
    generator that follows its audio moves as far from its own take on other audio as two
    moments of that take are apart (the real take: 0.26 rad either way, ratio 1)."""
    shift = int(round(lag * motion.fps))
    if motion.n_frames <= shift:
        raise MotionValueError(f"a motion spread needs more than {lag:g} s of motion")
    return pose_distance(motion[:-shift], motion[shift:], joints)


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
    upper-body joint speed on silence / on speech, "silence_jaw_ratio": the same for the jaw's
    angular speed}, keys present for the motions given, and each distance over the speech
    motion's ``motion_spread`` ("silence_relative", "other_relative"; the real take's
    other-audio figure is about 1). A generator that ignores its audio scores ~0, ~0, ~1 and ~1
    (the real speaker's jaw moves 0.38 times as fast in his pauses as when he speaks).
    """
    out = {}
    spread = max(motion_spread(speech, joints=joints), 1e-9)
    if silence is not None:
        out["silence_distance"] = pose_distance(speech, silence, joints)
        for key, part in (("silence_speed_ratio", "body"), ("silence_jaw_ratio", "jaw")):
            out[key] = _step_speed(silence, part).mean() / max(_step_speed(speech, part).mean(), 1e-9)
        out["silence_relative"] = out["silence_distance"] / spread
    if other is not None:
        out["other_distance"] = pose_distance(speech, other, joints)
        out["other_relative"] = out["other_distance"] / spread
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


def pause_speed_ratio(motion, speech, part="body"):
    """Mean speed in pauses / mean speed during speech (below 1: calmer in pauses).

    speech : (T,) bool per frame (see ``speech_mask``). A step between frames t and t+1 counts
    as a pause step when both frames are pauses. part : "body" (upper-body joint speed, m/s)
    or "jaw" (the jaw's angular speed). Raises MotionValueError when the recording has no
    pause or no speech. (The real take 2_scott_0_1_1 scores about 1.05 for the body: this
    speaker keeps gesturing through his short pauses; and 0.38 for the jaw.)
    """
    speech = np.asarray(speech, dtype=bool).reshape(-1)
    if len(speech) < motion.n_frames:
        raise MotionValueError(f"speech mask has {len(speech)} frames, the motion {motion.n_frames}")
    speed = _step_speed(motion, part)
    pause = ~speech[:motion.n_frames]
    pause_step = pause[1:] & pause[:-1]
    speech_step = ~pause[1:] & ~pause[:-1]
    if not pause_step.any() or not speech_step.any():
        raise MotionValueError("a pause/speech speed ratio needs frames of both pause and speech")
    return float(speed[pause_step].mean() / max(speed[speech_step].mean(), 1e-9))


def _step_speed(motion, part):
    """(T-1,) speed between consecutive frames: mean upper-body joint speed (m/s, "body") or
    the jaw's angular speed (rad/s, "jaw")."""
    if part == "jaw":
        return geodesic_distance(motion.poses[1:, JAW], motion.poses[:-1, JAW]) * motion.fps
    if part != "body":
        raise MotionValueError(f"part must be 'body' or 'jaw', got {part!r}")
    return joint_speed(joint_positions(motion, UPPER_BODY), motion.fps).mean(axis=1)


def _smooth(values, sigma):
    """Gaussian smoothing (sigma in frames) with edge-repeating padding."""
    if sigma <= 0:
        return np.asarray(values, dtype=np.float64)
    r = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    return np.convolve(np.pad(values, r, mode="edge"), taps / taps.sum(), mode="valid")
