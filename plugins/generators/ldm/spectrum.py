"""Take out the latent-rate excess of a generated take: match the training speaker's motion
spectrum, attenuating only.

ldm decodes one latent every 4 frames (7.5 a second), and its motion carries far more velocity
power than the speaker's at 2-15 Hz (10-22x before the sampler's 2-frame smoothing, 1.6-4.3x
after, the most at 2-4 Hz), so it accelerates 1.2-1.45x as much as its angular speed would
say. A wider Gaussian takes out the slow motion's detail with it (the jerk drops far below
the speaker's before the acceleration comes down). Here the training speaker's spectrum is
stored per body part (``PARTS``) and per band (``BANDS``): the mean speed of his joints' motion
in that band over his frames of speech (statistics only). Each part of a take is then passed
through a zero-phase filter whose gain is min(1, speaker's / take's) per band, held over the
band's middle and log-linear across its edges, 1 below the slowest: only the bands where the
take moves more than he does are turned down, by as much as they exceed his. A part's gains
are measured after the parts above it were filtered, in ``PASSES`` rounds.

Measured on joint positions (root-relative), what the eye reads and where the excess shows: in
the 6-D rotation columns themselves the take has less fast motion than the speaker, whose
shoulder and elbow partly cancel at the wrist where a model's add up. Mean band speed rather
than power: matched on power (the same filter, Welch's estimate), the take's acceleration and
jerk came out 0.69-0.94x and 0.57-0.69x the speaker's, its fast motion being burstier than his
(measured on the second recording and the training half). numpy only.
"""

import numpy as np

from ....motion.bands import band_curve, padded_spectrum, zero_phase
from ....motion.rotations import sixd_to_matrix
from ....motion.skeleton import JOINT_INDEX, LEFT_HAND, RIGHT_HAND, neutral_skeleton, with_ancestors

# Hz; 6-10 holds the latent rate of a 4-frame stride at 30 fps (7.5 Hz) in its flat middle
BANDS = ((0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 10.0), (10.0, 15.0))
PASSES = 3  # rounds of matching every part
TRUNK = (0, 3, 6, 9, 12, 15)


def _arm(side):
    j = {n: JOINT_INDEX[f"{side}_{n}"] for n in ("collar", "shoulder", "elbow", "wrist")}
    return f"{side} arm", tuple(j.values()), (j["elbow"], j["wrist"]), ()


def _hand(side, joints):
    arm = tuple(JOINT_INDEX[f"{side}_{n}"] for n in ("collar", "shoulder", "elbow", "wrist"))
    return f"{side} hand", tuple(joints.tolist()), tuple(joints.tolist()), TRUNK + arm


# (name, joints whose rotations are filtered, joints whose positions are measured, joints held
# still while measuring), parents first. A whole arm is one part, measured at the elbow and the
# wrist with the trunk moving: a twist of the upper arm moves the wrist without moving the
# elbow, and the model's shoulder and elbow jitter add up at the wrist where the speaker's
# partly cancel. The fingers are measured with the arm held still.
PARTS = (("trunk", TRUNK, (12, 15), ()), _arm("left"), _arm("right"),
         _hand("left", LEFT_HAND), _hand("right", RIGHT_HAND))
# The joints a matched take asks the pipeline's jitter filter to spare: the trunk's and the
# arms', whose fast bands are now the speaker's (filtered again, the jerk fell to 0.66-0.71x his)
SPARED = tuple(sorted(set(TRUNK + PARTS[1][1] + PARTS[2][1])))


def band_amplitude(positions, speaking, fps=30.0):
    """(len(BANDS),) mean speed (m/s) of (T, W, 3) joint ``positions`` in each band (their
    velocity band-passed, zero phase), over the frames of speech (all frames without any);
    NaN for every band of a take too short to tell."""
    velocity = np.diff(np.asarray(positions, np.float64), axis=0) * fps
    n = len(velocity)
    if n < 4:
        return np.full(len(BANDS), np.nan)
    frames = np.asarray(speaking, bool)[1:n + 1]
    frames = frames if frames.any() else np.ones(n, bool)
    spectrum, freqs, pad, length = padded_spectrum(velocity, fps)
    out = np.zeros(len(BANDS))
    for k in range(len(BANDS)):
        mask = band_curve(BANDS, np.eye(len(BANDS))[k], freqs, 0.0)
        band = np.fft.irfft(spectrum * mask[:, None, None], n=length, axis=0)[pad:pad + n]
        out[k] = float(np.linalg.norm(band, axis=-1)[frames].mean())
    return out


def _part_positions(vectors, layout, part):
    """(T, W, 3) root-relative positions of ``part``'s watched joints, its still joints held
    at rest: forward kinematics down their chains only (a take is measured many times)."""
    _, _, watched, still = part
    skeleton = neutral_skeleton()
    parents, offsets = skeleton.parents, skeleton.offsets
    chain = with_ancestors(watched, parents).tolist()
    vectors = np.asarray(vectors, np.float64)
    slot = {j: k for k, j in enumerate(layout.joints)}
    rot, pos = {}, {}
    for j in chain:  # sorted: SMPL-X numbers every parent before its children
        if j in slot and j not in still:
            local = sixd_to_matrix(vectors[:, slot[j] * 6:(slot[j] + 1) * 6])
        else:
            local = np.broadcast_to(np.eye(3), (len(vectors), 3, 3))
        if j == 0:
            rot[j], pos[j] = local, np.broadcast_to(offsets[0], (len(vectors), 3))
        else:
            p = int(parents[j])
            rot[j] = rot[p] @ local
            pos[j] = pos[p] + rot[p] @ offsets[j]
    return np.stack([pos[j] for j in watched], axis=1)


def _part_speeds(vectors, layout, speaking, part, fps):
    """(len(BANDS),) mean speed per band of ``part``'s watched joints (root-relative)."""
    return band_amplitude(_part_positions(vectors, layout, part), speaking, fps)


def motion_spectrum(vectors, layout, speaking, fps=30.0):
    """{part: [mean speed per band, m/s]} of (T, D) pose ``vectors`` over the frames of
    speech: what :func:`match_spectrum` attenuates a take to (a model's ``motion_spectrum``).
    Parts without a band measured are left out."""
    out = {}
    for part in PARTS:
        if len(layout.joint_columns(part[1])):
            speeds = _part_speeds(vectors, layout, speaking, part, fps)
            if np.isfinite(speeds).any():
                out[part[0]] = [None if not np.isfinite(v) else float(v) for v in speeds]
    return out


def pooled_spectrum(rows):
    """One spectrum from [(motion_spectrum, weight)] (e.g. per training take, weighted by its
    frames of speech): the weighted mean per part and band."""
    out = {}
    for name in {part for spectrum, _ in rows for part in spectrum}:
        values = [(np.array([np.nan if p is None else p for p in s[name]]), w)
                  for s, w in rows if name in s]
        stack = np.array([v for v, _ in values])
        weights = np.array([w for _, w in values], np.float64)[:, None] * np.isfinite(stack)
        total = weights.sum(axis=0)
        mean = np.where(total > 0, np.nansum(np.nan_to_num(stack) * weights, axis=0)
                        / np.maximum(total, 1e-12), np.nan)
        out[name] = [None if not np.isfinite(p) else float(p) for p in mean]
    return out


def band_gains(take, target):
    """(len(BANDS),) min(1, target / take) per band; 1 where either is unknown or the take does
    not move."""
    take = np.asarray(take, np.float64)
    target = np.asarray([np.nan if p is None else p for p in target], np.float64)
    gains = np.ones(len(BANDS))
    ok = np.isfinite(take) & np.isfinite(target) & (take > 0)
    gains[ok] = np.minimum(1.0, np.maximum(target[ok], 0.0) / take[ok])
    return gains


def match_spectrum(vectors, layout, speaking, target, fps=30.0, strength=1.0):
    """(T, D) pose vectors with each part's bands above the ``target`` spectrum (a
    :func:`motion_spectrum`) attenuated to it, and {part: [gain per band]} (all 1: unchanged).

    Parts are matched parents first, each measured after the parts above it were filtered
    (their motion moves its joints too), and the whole is done ``PASSES`` times: a part's
    rotations are filtered, its joints' positions follow them only nearly in proportion.

    vectors : (T, D) pose vectors of ``layout``; speaking : (T,) bool; strength : 0..1, the
    power the gains are raised to (how much of the way to go).
    """
    out = np.array(vectors, np.float32, copy=True)
    applied = {}
    for _ in range(PASSES):
        for part in PARTS:
            name, columns = part[0], layout.joint_columns(part[1])
            if name not in target or len(columns) == 0:
                continue
            speeds = _part_speeds(out, layout, speaking, part, fps)
            gains = band_gains(speeds, target[name]) ** strength
            applied[name] = applied.get(name, np.ones(len(BANDS))) * gains
            if np.any(gains < 1.0):
                out[:, columns] = zero_phase(out[:, columns], gains, BANDS, fps)
    return out, {name: [float(g) for g in gains] for name, gains in applied.items()}
