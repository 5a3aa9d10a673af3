"""The real speaker's body under the authored motion: each joint's mean pose and fine motion,
learned as numbers (body_layer.json, written by recipes/fit_body_layer.py from the shared
take's first half; no frames are stored).

The authored tracks drive what a gesture is made of (the arms' strokes, the head's nods, the
breath, the weight shifts). What they leave out is what a viewer, and a classifier, reads a
body by at once: a real speaker never holds the textbook pose (his spine leans a little to one
side, his knees turn a few degrees off their hinge) and his toes and fingers never hold still.
Every layer joint takes his mean pose; the toes, fingers and neck also his motion, the spine
his size and his motion where its acceleration lies (1-2.2 Hz; the pelvis, head, collars and
legs keep the generator's, see the recipe for why). For each joint the layer

- turns the generator's mean pose onto the speaker's and scales its motion about that mean
  down where it moves more than his: q' = m_real exp(g * log(m_gen^-1 q)), g per axis the
  ratio of his RMS to the generator's, at most 1 (an authored thumb that swings three times
  as far as his is brought to his size; the authored timing stays); and
- adds, per axis and frequency band, the motion his joint has and the generator's lacks: the
  RMS of each band is sqrt(max(real^2 - (g generated)^2, 0)), as a sum of seeded sinusoids in
  the band (``SmoothNoise``), so a window's spread, speed and acceleration are his too.

Both statistics are measured in the joint's own frame about its mean (log(m^-1 q)), the
generator's on its own output with the layer off, so the layer fills exactly the difference.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ....motion.rotations import (
    axis_angle_to_quat, quat_conjugate, quat_multiply, quat_slerp, quat_to_axis_angle,
)
from .tracks import SmoothNoise

DATA = Path(__file__).with_name("body_layer.json")
COMPONENTS = 3  # sinusoids per band and channel


@lru_cache(maxsize=None)
def learned():
    """{"joints": (J,), "bands": (B, 2) Hz, "real_mean", "generated_mean": (J, 4) quats,
    "gain": (J, 3), "fill": (J, 3, B) rad RMS}, or None where no layer has been fitted."""
    if not DATA.exists():
        return None
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    out = {k: np.asarray(v, np.float64) for k, v in raw.items() if k != "source"}
    out["joints"] = out["joints"].astype(int)
    return out


@dataclass
class BodyLayer:
    """The layer of one take: the learned numbers and the take's own seeded noise per band."""

    joints: np.ndarray  # (J,)
    real_mean: np.ndarray  # (J, 4)
    generated_mean: np.ndarray  # (J, 4)
    gain: np.ndarray  # (J, 3)
    fill: np.ndarray  # (J, 3, B)
    noises: list  # B SmoothNoise of J * 3 channels
    amount: float

    def apply(self, q, t):
        """Lay the speaker's body under ``q`` (n, 55, 4) at times ``t`` (n,), in place."""
        joints = list(self.joints)
        turn = np.zeros((len(t), len(joints) * 3))
        for band, noise in enumerate(self.noises):
            fill = self.fill[:, :, band].reshape(-1)
            filled = np.flatnonzero(fill)  # most joints fill few bands: sample only those
            turn[:, filled] += noise.sample(t, filled) * fill[filled]
        turn = turn.reshape(len(t), len(joints), 3)
        about = quat_to_axis_angle(quat_multiply(quat_conjugate(self.generated_mean)[None], q[:, joints]))
        mine = quat_multiply(self.real_mean[None], axis_angle_to_quat(self.gain * about + turn))
        q[:, joints] = mine if self.amount >= 1.0 else quat_slerp(q[:, joints], mine, self.amount)


def make_layer(rng, amount=1.0):
    """The layer for one take (its noise seeded from ``rng``), or None with ``amount`` 0 or no
    learned numbers."""
    data = learned() if amount > 0 else None
    if data is None:
        return None
    n = len(data["joints"]) * 3
    noises = [SmoothNoise(rng, n, low=lo, high=hi, components=COMPONENTS) for lo, hi in data["bands"]]
    return BodyLayer(joints=data["joints"], real_mean=data["real_mean"], generated_mean=data["generated_mean"],
                     gain=data["gain"], fill=data["fill"], noises=noises, amount=float(amount))
