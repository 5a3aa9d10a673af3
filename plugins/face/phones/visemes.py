"""Phones to visemes: which mouth each ARPAbet phone makes, and how strongly it holds it.

Every phone belongs to one of the 15 Oculus/VRChat visemes and to one of the nine Rhubarb mouth
shapes, and has a target for each mouth articulator (ARTICULATORS, all 0..1). How much a
segment imposes its target on its neighbours is its dominance (Cohen & Massaro's coarticulation
model), given per articulator group: a p/b/m dominates lip closure and an f/v the lower lip so
strongly that neighbours never wash them out, while a t/k/n barely cares what the lips do and
takes their rounding from the vowels around it (the rounded lips of "k" in "coo").

Where the jaw targets come from: the jaw targets (``jaw`` in ``VISEME_TARGETS``) were set against
real capture (BEAT2 take 2_scott_0_1_1, first half; on the held-out half the jaw correlates 0.46
with the capture, the energy-only jaw 0.28).
"""

import functools

import numpy as np

from ....motion.facecurves import BILABIALS, LABIODENTALS, ROUNDED, VOWELS

ARTICULATORS = ("jaw", "close", "pucker", "funnel", "stretch", "tuck", "upper", "lower", "tongue")
GROUPS = {"jaw": ("jaw",), "lips": ("close", "tuck"), "round": ("pucker", "funnel", "stretch"),
          "other": ("upper", "lower", "tongue")}
A = {name: i for i, name in enumerate(ARTICULATORS)}

# viseme: (articulator targets, dominance of groups jaw / lips / round / other)
VISEME_TARGETS = {
    "sil": (dict(jaw=0.0), (0.6, 0.4, 0.4, 0.4)),
    "PP": (dict(jaw=0.0, close=1.0), (1.0, 40.0, 0.3, 1.0)),
    "FF": (dict(jaw=0.02, stretch=0.1, tuck=1.0, upper=0.35), (1.0, 40.0, 0.5, 2.0)),
    "TH": (dict(jaw=0.06, stretch=0.15, upper=0.1, lower=0.1, tongue=0.6), (1.2, 0.5, 0.5, 2.0)),
    "DD": (dict(jaw=0.19, stretch=0.1, upper=0.05, lower=0.1, tongue=0.1), (1.2, 0.4, 0.3, 0.6)),
    "kk": (dict(jaw=0.3, stretch=0.05, lower=0.1), (0.8, 0.3, 0.2, 0.3)),
    "CH": (dict(jaw=0.05, pucker=0.45, funnel=0.7, upper=0.25, lower=0.15), (1.2, 0.5, 6.0, 1.5)),
    "SS": (dict(jaw=0.1, stretch=0.35, upper=0.15, lower=0.1), (2.5, 0.5, 0.6, 1.0)),
    "nn": (dict(jaw=0.13, stretch=0.1, lower=0.05, tongue=0.25), (0.8, 0.3, 0.3, 0.5)),
    "RR": (dict(jaw=0.2, pucker=0.3, funnel=0.45, upper=0.1), (1.0, 0.4, 3.0, 0.5)),
    "aa": (dict(jaw=0.55, funnel=0.05, stretch=0.05, upper=0.15, lower=0.35), (2.0, 0.5, 0.8, 1.0)),
    "E": (dict(jaw=0.55, stretch=0.4, upper=0.15, lower=0.25), (1.8, 0.5, 1.0, 1.0)),
    "ih": (dict(jaw=0.4, stretch=0.55, upper=0.1, lower=0.1), (1.5, 0.5, 1.5, 1.0)),
    "oh": (dict(jaw=0.48, pucker=0.25, funnel=0.65, upper=0.1, lower=0.15), (1.8, 0.5, 3.0, 1.0)),
    "ou": (dict(jaw=0.33, pucker=0.9, funnel=0.4, upper=0.05), (1.2, 0.5, 6.0, 1.0)),
}

# ARPAbet (no stress digits) -> [(viseme, Rhubarb shape, share of the phone's time, jaw scale)].
# Diphthongs are two targets; HH takes the mouth of the phone after it (see segments.py).
PHONES = {
    "P": [("PP", "A")], "B": [("PP", "A")], "M": [("PP", "A")],
    "F": [("FF", "G")], "V": [("FF", "G")],
    "TH": [("TH", "B")], "DH": [("TH", "B")],
    "T": [("DD", "B")], "D": [("DD", "B")],
    "K": [("kk", "B")], "G": [("kk", "B")], "NG": [("kk", "B")],
    "CH": [("CH", "B")], "JH": [("CH", "B")], "SH": [("CH", "B")], "ZH": [("CH", "B")],
    "S": [("SS", "B")], "Z": [("SS", "B")],
    "N": [("nn", "B")], "L": [("nn", "H")],
    "R": [("RR", "E")], "ER": [("RR", "E")],
    "Y": [("ih", "B")], "W": [("ou", "F")],
    "AA": [("aa", "D")], "AE": [("E", "C", 1.0, 1.1)], "AH": [("aa", "C", 1.0, 0.65)],
    "AO": [("oh", "E")], "EH": [("E", "C")], "IH": [("ih", "C")], "IY": [("ih", "B", 1.0, 0.8)],
    "UH": [("ou", "F", 1.0, 1.2)], "UW": [("ou", "F")],
    "AW": [("aa", "D", 0.6), ("ou", "F", 0.4)], "AY": [("aa", "D", 0.6), ("ih", "B", 0.4)],
    "EY": [("E", "C", 0.6), ("ih", "B", 0.4)], "OW": [("oh", "E", 0.6), ("ou", "F", 0.4)],
    "OY": [("oh", "E", 0.6), ("ih", "B", 0.4)],
}
TRANSPARENT = "HH"  # no mouth of its own: it shows the next phone's

# Reach of a segment's dominance outside its own time: seconds before (anticipation) and after
# (carry-over) per group, the e-folding distance of exp(-distance / reach). Lip rounding is
# anticipated far ahead; a closure is a sharp event.
REACH = {"jaw": (0.05, 0.05), "lips": (0.012, 0.012), "round": (0.12, 0.06), "other": (0.04, 0.04)}


@functools.lru_cache(maxsize=1)
def viseme_table():
    """(V, P) articulator targets and (V, P) dominance, in motion.facecurves.VISEMES order."""
    from ....motion.facecurves import VISEMES

    targets = np.zeros((len(VISEMES), len(ARTICULATORS)))
    dominance = np.zeros_like(targets)
    for v, name in enumerate(VISEMES):
        values, groups = VISEME_TARGETS[name]
        for key, value in values.items():
            targets[v, A[key]] = value
        for alpha, group in zip(groups, GROUPS):
            for key in GROUPS[group]:
                dominance[v, A[key]] = alpha
    return targets, dominance


@functools.lru_cache(maxsize=256)
def phone_targets(phone):
    """[(viseme, shape, share, jaw scale)] for an ARPAbet phone (stress digits ignored);
    unknown symbols (noise, spoken noise) are silence."""
    parts = PHONES.get(strip_stress(phone), [("sil", "X")])
    return tuple((p[0], p[1], p[2] if len(p) > 2 else 1.0, p[3] if len(p) > 3 else 1.0) for p in parts)


def strip_stress(phone):
    """"AH0" -> "AH", "aa1" -> "AA"."""
    return str(phone).strip().upper().rstrip("012")
