"""Does generated motion move like real motion? Distances between motion statistics that need
no learned encoder, and the mean dynamics (speed, acceleration, jerk) to compare with a real take.

Unlike the ground-truth metrics these do not need the same audio: any real take of the same
kind of speech is a fair reference.
"""

import numpy as np

from ..errors import MotionValueError
from ..gaussian import psd_sqrt
from ..skeleton import UPPER_BODY
from .kinematics import DEFAULT_JOINTS, acceleration, angular_speed, jerk, joint_positions, joint_speed

KINETIC_WINDOW = 2.0  # seconds per window of kinetic statistics
KINETIC_HOP = 0.5  # seconds between window starts
DISTRIBUTION_JOINTS = UPPER_BODY
SPEED_BIN_WIDTH = 0.05  # m/s
SPEED_MAX = 3.0  # m/s; faster speeds fall into the last bin


def kinetic_features(motion, window=KINETIC_WINDOW, hop=KINETIC_HOP, joints=DISTRIBUTION_JOINTS, skeleton=None):
    """Per-window kinetic statistics, one row per window.

    For each window of ``window`` seconds (starting every ``hop`` seconds) and each joint: the
    mean and standard deviation of its speed (m/s) and the mean magnitude of its acceleration
    (m/s^2), from root-relative positions. This stands in for the learned motion encoder of the
    Frechet Gesture Distance (Yoon et al., 2020), much as the kinetic features of AIST++
    (Li et al., ICCV 2021) do for dance.

    Returns (W, 3 * J) float64.
    """
    n = int(round(window * motion.fps))
    step = max(1, int(round(hop * motion.fps)))
    if n < 4:
        raise MotionValueError(f"kinetic window must span at least 4 frames, got {window} s at {motion.fps} fps")
    if motion.n_frames < n:
        raise MotionValueError(
            f"kinetic features need at least {n} frames ({window} s), the motion has {motion.n_frames}"
        )
    p = joint_positions(motion, joints, skeleton=skeleton)
    rows = []
    for start in range(0, motion.n_frames - n + 1, step):
        w = p[start : start + n]
        speed = joint_speed(w, motion.fps)
        acc = np.linalg.norm(acceleration(w, motion.fps), axis=-1)
        rows.append(np.concatenate([speed.mean(0), speed.std(0), acc.mean(0)]))
    return np.asarray(rows)


def frechet_distance(features_a, features_b):
    """Frechet distance between Gaussians fitted to two sets of feature rows.

    FD = ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2) (Heusel et al. 2017,
    the formula of FID and FGD). 0 for identical sets. features_* : (N, D), N >= 2.
    """
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise MotionValueError(f"Frechet distance needs two (N, D) feature sets, got {a.shape} and {b.shape}")
    if a.shape[0] < 2 or b.shape[0] < 2:
        raise MotionValueError("Frechet distance needs at least 2 feature rows on each side")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    root_a = psd_sqrt(cov_a)
    cross = psd_sqrt(root_a @ cov_b @ root_a)
    value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(cross))
    return max(value, 0.0)


def frechet_kinetic_distance(generated, reference, **options):
    """Frechet distance between the kinetic features of generated and real motion.

    See ``kinetic_features`` (options are passed on) and ``frechet_distance``. Lower is closer
    to the real take's movement statistics; 0 for a copy of it.
    """
    return frechet_distance(kinetic_features(generated, **options), kinetic_features(reference, **options))


def speed_histograms(motion, joints=DISTRIBUTION_JOINTS, bin_width=SPEED_BIN_WIDTH, max_speed=SPEED_MAX, skeleton=None):
    """(J, B) normalised histograms of each joint's speed over the take.

    Fixed bins of ``bin_width`` m/s from 0 to ``max_speed``; faster frames count in the last bin,
    so histograms of different motions always share bins.
    """
    edges = np.arange(0.0, max_speed + bin_width / 2, bin_width)
    speed = joint_speed(joint_positions(motion, joints, skeleton=skeleton), motion.fps)
    if speed.shape[0] == 0:
        raise MotionValueError("a speed histogram needs at least 2 frames")
    speed = np.minimum(speed, edges[-1] - 1e-9)
    hist = np.stack([np.histogram(speed[:, j], bins=edges)[0] for j in range(speed.shape[1])])
    return hist / hist.sum(axis=1, keepdims=True)


def hellinger_distance(p, q):
    """Hellinger distance sqrt(1 - sum sqrt(p q)) between discrete distributions, in [0, 1].

    p, q : (..., B) histograms (normalised here). 0 for identical, 1 for disjoint histograms.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    bc = np.sum(np.sqrt(p * q), axis=-1)
    return np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))


def speed_hellinger(generated, reference, **options):
    """Hellinger distance between joint-speed histograms, averaged over joints, in [0, 1].

    The GENEA Challenge numerical evaluation (Kucherenko et al., 2021) compares histograms of
    joint speed of generated and natural motion with the Hellinger distance; so does this, per
    upper-body joint (see ``speed_histograms``), then averages. 0 for a copy of the reference.
    """
    return float(np.mean(hellinger_distance(speed_histograms(generated, **options),
                                            speed_histograms(reference, **options))))


def mean_speed(motion, joints=DEFAULT_JOINTS, skeleton=None):
    """Mean joint speed, m/s (root-relative positions)."""
    return float(joint_speed(joint_positions(motion, joints, skeleton=skeleton), motion.fps).mean())


def mean_acceleration(motion, joints=DEFAULT_JOINTS, skeleton=None):
    """Mean magnitude of joint acceleration, m/s^2 (root-relative positions).

    With ``mean_jerk``, the dynamics the GENEA numerical evaluation reports next to the speed
    histograms: a jittery generator shows far more acceleration and jerk than real motion.
    """
    p = joint_positions(motion, joints, skeleton=skeleton)
    return float(np.linalg.norm(acceleration(p, motion.fps), axis=-1).mean())


def mean_jerk(motion, joints=DEFAULT_JOINTS, skeleton=None):
    """Mean magnitude of joint jerk (third derivative of position), m/s^3."""
    p = joint_positions(motion, joints, skeleton=skeleton)
    if p.shape[0] < 4:
        raise MotionValueError("mean jerk needs at least 4 frames")
    return float(np.linalg.norm(jerk(p, motion.fps), axis=-1).mean())


def mean_angular_speed(motion, joints=DISTRIBUTION_JOINTS):
    """Mean rotation speed of the upper-body joints in their parents' frames, rad/s.

    Unlike joint positions, local rotations measure each joint's own activity: a wrist that
    turns while the arm is still counts, a hand carried by a turning torso does not.
    """
    if motion.n_frames < 2:
        raise MotionValueError("angular speed needs at least 2 frames")
    return float(angular_speed(motion, joints).mean())
