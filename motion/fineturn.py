"""Fine turning: the few thousandths of a radian a living body turns at 3-8 Hz.

A person's head, wrists and arm bones never hold still: they turn by a few thousandths of a
radian, several times a second. Smooth generated motion (key tracks, a network's output, a
smoothing filter) lacks it, so its upper body's angular jerk (``metrics.posture.angular_jerk``)
comes out at half the speaker's while its position jerk, which the hands' paths dominate, is
his. The channels here are only turns that move no other joint of the upper body: the head's,
the wrists' and the arm bones' twists about their own length (the trunk's smallest tremor would
shake every joint above it, and the position figures with it).
"""

import numpy as np

from .filters import gaussian_filter1d
from .metrics.posture import angular_jerk
from .rotations import axis_angle_to_quat, quat_multiply, quat_to_axis_angle
from .skeleton import JOINT_INDEX
from .solve import solve_rising

BAND = (3.0, 8.0)  # Hz
HEAD, TWIST, WRIST = 0.0045, 0.006, 0.006  # radians RMS of each channel at gain 1
# (joint, axis, radians RMS): the head about all three axes, per side the upper arm's and the
# forearm's twist about their length (x) and the wrist about all three.
CHANNELS = [(JOINT_INDEX["head"], a, HEAD) for a in range(3)]
for _side in ("left", "right"):
    CHANNELS += [(JOINT_INDEX[f"{_side}_shoulder"], 0, TWIST), (JOINT_INDEX[f"{_side}_elbow"], 0, TWIST)]
    CHANNELS += [(JOINT_INDEX[f"{_side}_wrist"], a, WRIST) for a in range(3)]
JOINTS = tuple(sorted({int(c[0]) for c in CHANNELS}))
AXES = np.array([c[1] for c in CHANNELS])
AMPS = np.array([c[2] for c in CHANNELS])
SLOTS = np.array([JOINTS.index(c[0]) for c in CHANNELS])
# The channels that move none of the body's 22 joints (the hands, fingers and face hang below
# them): turning them leaves every position figure of the body as it was.
LEAVES = (JOINT_INDEX["head"], JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"])
MAX_GAIN = 4.0  # the channels' amplitude is never raised past this (0.018-0.024 rad RMS)


def turn_quats(q, channels):
    """Turn ``q`` (n, 55, 4) in place by ``channels`` (n, len(CHANNELS)) radians, each about its
    joint's own axis (so a twist is about the bone itself and moves no joint below it)."""
    turn = np.zeros((len(q), len(JOINTS), 3))
    turn[:, SLOTS, AXES] = channels
    joints = list(JOINTS)
    q[:, joints] = quat_multiply(q[:, joints], axis_angle_to_quat(turn))


def band_noise(rng, n, fps, band=BAND):
    """(n, len(CHANNELS)) noise in the ``band`` (Hz), unit RMS per channel, times AMPS: the
    difference of two Gaussian low-passes of white noise."""
    white = rng.standard_normal((n, len(CHANNELS)))
    low, high = (fps / (2.0 * np.pi * f) for f in band)  # Gaussian sigma in frames of each edge
    noise = gaussian_filter1d(white, high, axis=0, mode="wrap") - gaussian_filter1d(white, low, axis=0, mode="wrap")
    rms = np.sqrt(np.mean(noise ** 2, axis=0))
    return noise / np.maximum(rms, 1e-12) * AMPS


def with_fine_turning(motion, target, rng, measure=None, joints=JOINTS, max_gain=MAX_GAIN):
    """(copy of ``motion`` with fine turning added, gain): the gain (0..``max_gain``) of
    :func:`band_noise` that brings the upper body's angular jerk to ``target`` rad/s^3.

    measure : motion -> the motion the jerk is read on (default itself), e.g. what later
    filtering will make of it. joints : the channels of these joints turn (e.g. LEAVES), the
    others not. Gain 0 (the motion unchanged) when it is as jerky already.
    """
    measure = measure or (lambda m: m)
    if motion.n_frames < 4 or not target or target <= 0.0:
        return motion, 0.0
    noise = band_noise(rng, motion.n_frames, motion.fps)
    noise[:, ~np.isin([c[0] for c in CHANNELS], joints)] = 0.0
    q = axis_angle_to_quat(np.asarray(motion.poses, np.float64))

    def turned(gain):
        out = motion.copy()
        moved = q.copy()
        turn_quats(moved, gain * noise)
        out.poses = quat_to_axis_angle(moved).astype(np.float32)
        return out

    def jerk_at(gain):
        return angular_jerk(measure(turned(gain)))

    gain = solve_rising(jerk_at, target, 0.0, max_gain)
    return (motion, 0.0) if gain == 0.0 else (turned(gain), gain)

