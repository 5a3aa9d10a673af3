"""Jaw and mouth from speech energy (shared by the built-in generators: procedural, matching).

The jaw opens with the loudness envelope of the voice; in BEAT2's 100 expression coefficients
the mouth opening has a direction of its own (the coefficients that move with the jaw, fitted
against jaw opening on a real take: ``motion.mouth.mouth_direction``), which follows the same
envelope.
"""

import numpy as np

JAW_REST = 0.01  # radians: lips just apart
JAW_MAX = 0.17  # radians at loud open vowels


def mouth_opening(energy, frames):
    """Mouth opening 0..1 at ``frames`` from an energy track (T,) (~1 = loud speech)."""
    energy = np.asarray(energy, np.float64)
    last = len(energy) - 1
    lo, mid, hi = (np.clip(frames + d, 0, last) for d in (-1, 0, 1))
    e = 0.25 * energy[lo] + 0.5 * energy[mid] + 0.25 * energy[hi]
    return np.clip((e - 0.06) / 0.8, 0.0, 1.0) ** 0.7


def jaw_angle(mouth):
    """Jaw rotation about x (radians, positive opens) for a mouth opening 0..1."""
    return JAW_REST + JAW_MAX * np.asarray(mouth)

