"""Words with phones -> a gap-free sequence of mouth segments (viseme, mouth shape, times)."""

from dataclasses import dataclass

import numpy as np

from ....motion.facecurves import MOUTH_SHAPES, VISEMES
from .pronounce import pronounce, spread
from .visemes import TRANSPARENT, phone_targets, strip_stress

MIN_GAP = 0.001  # seconds: shorter gaps between phones are not silences
TRANSPARENT_DOMINANCE = 0.4  # an h shows the next phone's mouth, weakly


@dataclass
class Segments:
    """N mouth segments covering [0, duration] in order.

    phone : (N,) ARPAbet phone each came from ("" for silence).
    start, end : (N,) seconds.
    viseme : (N,) index into motion.facecurves.VISEMES.
    shape : (N,) index into motion.facecurves.MOUTH_SHAPES.
    jaw_scale : (N,) how far this phone opens the jaw relative to its viseme (schwa less).
    strength : (N,) dominance multiplier (1, or less for an h).
    from_words : how many words had their own phones; how many were pronounced here.
    """

    phone: list
    start: np.ndarray
    end: np.ndarray
    viseme: np.ndarray
    shape: np.ndarray
    jaw_scale: np.ndarray
    strength: np.ndarray
    from_words: tuple = (0, 0)

    def __len__(self):
        return len(self.phone)

    @property
    def spoken(self):
        """(N,) True where the segment is a phone, not a silence."""
        return np.array([bool(p) for p in self.phone], dtype=bool)


def timed_phones(words):
    """[(phone, start, end)] of every word, sorted and without overlaps; the words' own phones
    when they have them, else a dictionary pronunciation spread over the word.

    Returns (phones, (words with phones, words pronounced here)).
    """
    rows, own, guessed = [], 0, 0
    for word in words:
        if word.phones:
            own += 1
            rows.extend((strip_stress(p.phone), float(p.start), float(p.end)) for p in word.phones)
        else:
            guessed += 1
            rows.extend(spread(pronounce(word.word), word.start, word.end))
    rows = [r for r in rows if r[0] and r[2] >= r[1]]
    rows.sort(key=lambda r: (r[1], r[2]))
    for i in range(len(rows) - 1):
        if rows[i][2] > rows[i + 1][1]:
            rows[i] = (rows[i][0], rows[i][1], max(rows[i][1], rows[i + 1][1]))
    return rows, (own, guessed)


def build_segments(words, duration):
    """The Segments of ``words`` (list of Word) over ``duration`` seconds."""
    rows, counts = timed_phones(words)
    return segments_from_rows(rows, duration, counts)


def segments_from_rows(rows, duration, counts=(0, 0), loudness=None):
    """The Segments of timed phones ``rows`` [(phone, start, end)], sorted, not overlapping.

    loudness : optional (N,) jaw multipliers, one per row (audio-driven mouths open wider when
    the voice is louder).
    """
    parts = []  # (phone, start, end, viseme, shape, jaw scale, strength)
    t = 0.0
    for i, (phone, start, end) in enumerate(rows):
        if start - t > MIN_GAP:
            parts.append(("", t, start, "sil", "X", 1.0, 1.0))
        strength = 1.0
        source = phone
        if phone == TRANSPARENT:
            follows = i + 1 < len(rows) and rows[i + 1][1] - end < 0.05
            source = rows[i + 1][0] if follows else "AH"
            strength = TRANSPARENT_DOMINANCE
        targets = phone_targets(source)
        if phone == TRANSPARENT:
            targets = targets[:1]  # the h shows the start of the vowel after it
        s = start
        total = sum(share for _, _, share, _ in targets)
        louder = 1.0 if loudness is None else float(loudness[i])
        for viseme, shape, share, jaw_scale in targets:
            e = s + (end - start) * share / total
            parts.append((phone, s, e, viseme, shape, jaw_scale * louder, strength))
            s = e
        t = max(t, end)
    if duration - t > MIN_GAP or not parts:
        parts.append(("", t, max(duration, t), "sil", "X", 1.0, 1.0))
    vis = {v: i for i, v in enumerate(VISEMES)}
    shp = {s: i for i, s in enumerate(MOUTH_SHAPES)}
    return Segments(
        phone=[p[0] for p in parts],
        start=np.array([p[1] for p in parts], np.float64),
        end=np.array([p[2] for p in parts], np.float64),
        viseme=np.array([vis[p[3]] for p in parts], np.int64),
        shape=np.array([shp[p[4]] for p in parts], np.int64),
        jaw_scale=np.array([p[5] for p in parts], np.float64),
        strength=np.array([p[6] for p in parts], np.float64),
        from_words=counts,
    )
