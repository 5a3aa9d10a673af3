"""The real speaker's body under the authored motion: each joint's mean pose and fine motion,
learned as numbers (body_layer.json, written by recipes/fit_body_layer.py from the shared
take's first half; no frames are stored).

The authored tracks drive what a gesture is made of (the arms' strokes, the head's nods, the
breath, the weight shifts). What they leave out is what a viewer, and a classifier, reads a
body by at once: a real speaker never holds the textbook pose (his spine leans a little to one
side, his knees turn a few degrees off their hinge) and his toes and fingers never hold still.
Every layer joint but the wrists takes his mean pose; the toes, fingers and neck also his
motion, the spine his size and his motion where its acceleration lies (1-2.2 Hz; its three
joints filled together, turning against each other as his do), the collars
and wrists his quick turns (1.5-3.2 Hz; the pelvis, head and legs keep the generator's motion,
see the recipe for why). For each joint the layer

- turns the generator's mean pose onto the speaker's and maps its motion about that mean onto
  his axes and size where it moves more than his: q' = m_real exp(G log(m_gen^-1 q)), G the
  least change that gives the generator's covariance his, its stretches cut at 1 (an authored
  thumb that swings three times as far as his, or about another axis, is brought to his; the
  authored timing stays); and
- adds, per frequency band, the motion his joint has and the mapped generator's lacks: a band's
  covariance is his minus G's image of the generator's, drawn as seeded sinusoids in the band
  (``SmoothNoise``) through its square root, so a window's spread, speed and acceleration are
  his too and his axes move together as his do. The chest's, collars', wrists' and toes' fill
  comes in bursts (a slow log-normal envelope of mean power about 1), as his quick turns do.

Both statistics are measured in the joint's own frame about its mean (log(m^-1 q)), the
generator's on its own output with the layer off, so the layer fills exactly the difference.
Over a whole take, the fingers are then brought down to his size band by band where they still
move more (:func:`quiet`).
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ....motion.bands import attenuate_to
from ....motion.rotations import axis_angle_to_quat, quat_multiply, quat_slerp
from .posture import tangent
from .tracks import SmoothNoise

DATA = Path(__file__).with_name("body_layer.json")
COMPONENTS = 3  # sinusoids per band and channel


@lru_cache(maxsize=None)
def learned():
    """{"joints": (J,), "bands": (B, 2) Hz, "real_mean", "generated_mean": (J, 4) quats,
    "gain": (J, 3, 3), "fill": (J, B, 3, 3) rad}, or None where no layer has been fitted."""
    if not DATA.exists():
        return None
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    out = {k: np.asarray(v, np.float64) for k, v in raw.items() if k != "source"}
    for key in ("joints", "bursty", "coupled_joints", "quiet_joints"):
        out[key] = out[key].astype(int)
    return out


def filled_joints():
    """The joints whose fine motion the layer fills (a band of his or the spine's coupled fill),
    () with no learned numbers: the pipeline's jitter filter spares them (see the generator)."""
    data = learned()
    if data is None:
        return ()
    filled = np.any(data["fill"] != 0.0, axis=(1, 2, 3))
    return tuple(sorted(set(data["joints"][filled].tolist()) | set(data["coupled_joints"].tolist())))


@dataclass
class BodyLayer:
    """The layer of one take: the learned numbers and the take's own seeded noise per band."""

    joints: np.ndarray  # (J,)
    real_mean: np.ndarray  # (J, 4)
    generated_mean: np.ndarray  # (J, 4)
    gain: np.ndarray  # (J, 3, 3)
    fill: np.ndarray  # (J, B, 3, 3)
    coupled: np.ndarray  # (S,) rows of the joints filled together (the spine's)
    coupled_fill: np.ndarray  # (B, 3S, 3S)
    noises: list  # B SmoothNoise of J * 3 channels
    amount: float
    bursty: np.ndarray  # (K,) rows of the joints whose fill comes in bursts
    bursts: SmoothNoise  # one channel: the bursts' slow envelope
    depth: float  # its log-normal spread

    def apply(self, q, t):
        """Lay the speaker's body under ``q`` (n, 55, 4) at times ``t`` (n,), in place."""
        joints = list(self.joints)
        turn = np.zeros((len(joints), len(t), 3))  # joint-major: the rows below are contiguous
        for band, noise in enumerate(self.noises):
            filled = np.flatnonzero(np.any(self.fill[:, band] != 0.0, axis=(1, 2)))  # most joints fill most bands
            columns = (3 * filled[:, None] + np.arange(3)).reshape(-1)
            unit = noise.sample(t, columns).reshape(len(t), len(filled), 3).transpose(1, 0, 2)
            turn[filled] += _transformed(self.fill[filled, band], unit)
            if self.coupled_fill[band].any():
                columns = (3 * self.coupled[:, None] + np.arange(3)).reshape(-1)
                unit = noise.sample(t, columns) @ self.coupled_fill[band].T
                turn[self.coupled] += unit.reshape(len(t), len(self.coupled), 3).transpose(1, 0, 2)
        turn[self.bursty] *= self.envelope(t)[None, :, None]
        kept = _transformed(self.gain, tangent(q[:, joints], self.generated_mean).transpose(1, 0, 2))
        mine = quat_multiply(self.real_mean[None], axis_angle_to_quat((kept + turn).transpose(1, 0, 2)))
        q[:, joints] = mine if self.amount >= 1.0 else quat_slerp(q[:, joints], mine, self.amount)

    def envelope(self, t):
        """(n,) the bursts' gain at times t: log-normal about a mean power of about 1, so the
        quick turns come in bouts, as his do, at his RMS."""
        return np.exp(self.depth * self.bursts.sample(t)[:, 0] - self.depth ** 2)


def _transformed(matrices, vectors):
    """(J, n, 3) each joint's matrix (J, 3, 3) times its vectors (J, n, 3): one (n, 3) x (3, 3)
    product per joint (ten times faster than einsum over the frames)."""
    return vectors @ np.swapaxes(matrices, 1, 2)


def make_layer(rng, amount=1.0):
    """The layer for one take (its noise seeded from ``rng``), or None with ``amount`` 0 or no
    learned numbers."""
    data = learned() if amount > 0 else None
    if data is None:
        return None
    n = len(data["joints"]) * 3
    noises = [SmoothNoise(rng, n, low=lo, high=hi, components=COMPONENTS) for lo, hi in data["bands"]]
    low, high = data["burst_band"]
    return BodyLayer(joints=data["joints"], real_mean=data["real_mean"], generated_mean=data["generated_mean"],
                     gain=data["gain"], fill=data["fill"], noises=noises, amount=float(amount),
                     coupled=np.array([list(data["joints"]).index(j) for j in data["coupled_joints"]]),
                     coupled_fill=data["coupled_fill"],
                     bursty=np.flatnonzero(np.isin(data["joints"], data["bursty"])),
                     bursts=SmoothNoise(rng, 1, low=low, high=high), depth=float(data["burst_depth"]))


def quiet(poses, fps, amount=1.0):
    """A whole take (``poses`` (T, 55, 3) axis-angle, in place) whose quieted joints (the
    fingers) are brought down to the speaker's size band by band, attenuating only: each pose
    column's band is scaled by min(1, his RMS / the take's) to the power ``amount`` (zero
    phase; below the slowest band and where he moves more, untouched). Over the layer, the
    authored hand shapes still moved 1.2-1.5x his at 0.1-0.5 Hz on a quarter of the fingers'
    axes (the map is fitted on the slow bands together, the fill tops up the others), and the
    realism test told the whole body by them (0.88 -> 0.86, three seed triplets alike). A whole
    take's spectrum: the live driver's windows keep the layer's fingers."""
    data = learned() if amount > 0 else None
    if data is None:
        return poses
    joints = list(data["quiet_joints"])
    columns = poses[:, joints].reshape(len(poses), -1)
    quieted = attenuate_to(columns, data["quiet_band_rms"], [tuple(b) for b in data["quiet_bands"]],
                           fps, amount)
    poses[:, joints] = quieted.reshape(len(poses), len(joints), 3)
    return poses
