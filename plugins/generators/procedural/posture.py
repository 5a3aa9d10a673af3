"""The speaker's posture, learned as numbers from real mocap (posture.json, written by
recipes/fit_posture.py from the shared take's first half; no frames are stored).

- The standing body: mean local rotations of the pelvis' tilt, spine, neck, head, legs and
  feet (left and right pooled, so the body is symmetric).
- The gesture space: each arm's (collar, shoulder, elbow, wrist) rotations are carried from
  the procedural repertoire's own distribution (mean and 12 x 12 covariance of the rotations
  about that mean, measured on its output) onto the real speaker's by the optimal-transport
  map between the two Gaussians: the smallest change of every pose that gives the arms the
  speaker's mean posture and spread. Where the authored poses hold the wrists high and close in
  with the palms turned up, the speaker's hang lower, wider and turned in; the map moves them
  there and keeps the order of the gestures (a higher pose stays higher).
- Stance and travel: the speaker's median step length (the generator's steps are a share of
  it), beside his stance width, sway, steps per minute and root travel for reference.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ....motion.rotations import (
    axis_angle_to_quat, quat_conjugate, quat_multiply, quat_to_axis_angle,
)
from ....motion.gaussian import transport_map
from .joints import L_ARM, R_ARM

DATA = Path(__file__).with_name("posture.json")
ARM_ROWS = 4  # collar, shoulder, elbow, wrist: the first rows of a side pose
MAX_GAIN = 1.3  # the gesture-space map stretches no direction of the arms' motion further


@lru_cache(maxsize=None)
def learned():
    """The posture numbers as a dict of numpy arrays and floats."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {k: np.asarray(v, np.float64) if isinstance(v, list) else v for k, v in raw.items()}


def mirror_quats(q):
    """Quaternions of the left side <-> the right side: (w, x, y, z) -> (w, x, -y, -z)."""
    q = np.array(q, np.float64, copy=True)
    q[..., 2:] *= -1.0
    return q


def tangent(q, mean):
    """(n, J, 3) rotation vectors of q (n, J, 4) about ``mean`` (J, 4): log(mean^-1 q)."""
    return quat_to_axis_angle(quat_multiply(quat_conjugate(mean)[None], q))


def transport(source_cov, target_cov, max_gain=MAX_GAIN):
    """The optimal-transport map from ``source_cov`` to ``target_cov`` (``gaussian.transport_map``),
    its gains capped at ``max_gain``: a direction the repertoire barely uses is not blown up
    into fast, large moves (an elbow would turn further in a frame than the speaker's ever do)."""
    return transport_map(source_cov, target_cov, max_gain)


@lru_cache(maxsize=None)
def _arm_map():
    data = learned()
    return data["arm_source_mean"], data["arm_real_mean"], transport(data["arm_source_cov"], data["arm_real_cov"])


def to_gesture_space(q, amount=1.0):
    """Arm poses (n, 55, 4) carried into the real speaker's gesture space, a copy, ``amount``
    0 leaving them, 1 mapping them all the way."""
    from ....motion.rotations import quat_slerp

    out = np.array(q, copy=True)
    if amount <= 0:
        return out
    source, real, matrix = _arm_map()
    for joints, right in ((L_ARM, False), (R_ARM, True)):
        arm = out[:, list(joints)]
        if right:
            arm = mirror_quats(arm)
        d = tangent(arm, source).reshape(len(arm), -1)
        mapped = quat_multiply(real[None], axis_angle_to_quat((d @ matrix.T).reshape(len(arm), ARM_ROWS, 3)))
        if amount < 1:
            mapped = quat_slerp(arm, mapped, amount)
        out[:, list(joints)] = mirror_quats(mapped) if right else mapped
    return out


def standing_joints():
    """{joint: axis-angle (3,)} of the learned standing body (pelvis tilt, spine, neck, head,
    legs, feet)."""
    data = learned()
    return {int(j): np.asarray(v) for j, v in zip(data["standing_joints"], data["standing_pose"])}
