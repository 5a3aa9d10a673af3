"""Learn the procedural generator's body layer (plugins/generators/procedural/body_layer.json)
from the shared take's first half: statistics only, no frames.

For each layer joint (trunk and head, collars, legs and feet, fingers, wrists): the speaker's
mean local rotation and the generator's (its own output with the layer off, seeds 0-2, on the
take's audio and words, through the whole pipeline with the bundled key poses: change those and
fit again), and per frequency band the covariance of each one's turn about its mean.
The file holds both means, each joint's map of the generator's turns onto his (the least change
that gives his covariance, stretches at most 1), per band the square root of the covariance
the mapped generator lacks, and his fingers' size per band (see procedural/body_layer.py).

    .venv/bin/python recipes/fit_body_layer.py [--check]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
TAKE = "2_scott_0_1_1"
OUT = ROOT / "plugins" / "generators" / "procedural" / "body_layer.json"
SEEDS = 3
LEGS = (1, 2, 4, 5, 7, 8, 10, 11)
FINGERS = tuple(range(25, 55))
TRUNK = (0, 3, 6, 9, 12, 15)
COLLARS = (13, 14)
# The pelvis, head and collars take the speaker's mean pose only: they carry the arms and the
# face, whose speeds, jerk and speed histogram the generator is calibrated to
# (bench_calibration.py); a fill under them moved those figures off the speaker's (tried: jerk
# 1.6x his with the trunk's fill up to 4.5 Hz, the speed histogram's distance 0.16-0.22 against
# 0.12 with it up to 0.6-2.2 Hz). The hips, knees and ankles too: the feet solve re-solves them
# after the layer, so a fill there only became extra leg motion (leg pose distance 0.29 -> 0.55,
# leg activity 0.99 -> 1.27x his). The neck (12) is filled: it carries only the head and moves
# no figure the generator is calibrated to; without it its sideways tilt spread half his and
# alone told the trunk from his (AUC 0.92).
MEAN_ONLY = (0, 15) + COLLARS + LEGS[:6]
# The spine is brought to his size (its gain) and filled only where its acceleration lies and
# its jerk does not (SPINE_BANDS): without it the chest accelerated half as much as his (AUC
# 0.97 alone); filled up to 3.2 Hz the upper body's jerk went to 1.24x his, up to 2.2 Hz 1.17x.
# Its three joints are filled together, with his covariance between them (spine_fill).
SPINE = (3, 6, 9)
SPINE_BANDS = (1.0, 2.2)  # Hz
# ...except the turns the leg solve keeps as they are: the knees' off the hinge (about y and z;
# the solve turns them about x only) and the thighs' twist about their own length (y). Without
# them the knees turn about one axis only, which alone told the legs from his (AUC 1.00).
OFF_HINGE = {4: [1, 2], 5: [1, 2], 1: [1], 2: [1]}
# The wrists keep the generator's pose and motion; they and the collars take his quick turns,
# which the authored strokes lack (half his at 1.5-3.2 Hz, and a window's acceleration with it).
# Hz, per joint: the collars carry the arms, whose jerk they raise (1.17 -> 1.21x his up to 2.2
# Hz, 1.24x up to 3.2 Hz; the elbows too and up to 4.5 Hz, 1.39x).
WRISTS = (20, 21)
QUICK = {13: (1.5, 2.2), 14: (1.5, 2.2), 20: (1.5, 3.2), 21: (1.5, 3.2)}
JOINTS = TRUNK + COLLARS + LEGS + FINGERS + WRISTS
# A real chest, collar, wrist and toe make their quick turns in bouts, not at a steady hum: their
# fill's power follows one slow log-normal envelope (BURST_BAND, BURST_DEPTH). At a steady hum
# a window's acceleration spread half his (spine2, spine3, the wrists) and the arms' accelerations
# told them from his (AUC 0.99 on those alone); with the toes in bouts the legs' part 0.91 ->
# 0.89 (the fingers in bouts: hands 0.84 -> 0.92, the neck: trunk 0.93 -> 0.94).
BURSTY = (6, 9) + tuple(QUICK) + (10, 11)
# A finger's fill moves only along each band's largest direction: his fingers' minor turns (the
# last pinky bone's sideways one) hold still in most windows and move with the big ones, and a
# fill about every axis moved every window of ours (their spread within a window told the hands
# from his, AUC 0.90); the main direction keeps his acceleration (0.85x his, 0.27x unfilled).
BURST_BAND = (0.2, 1.0)  # Hz
# The generator's fingers move by its hand shapes, slowly: 2.2x his turn at 0.1-0.3 Hz, a sixth
# of it at 1.5-3.2 Hz (layer off, the take's audio). Mapped on the whole spectrum, their map kept
# the slow excess (the total was not over his: 1.6x and 1.3x his at 0.1-0.6 Hz with the layer)
# and the fill put his quick turns on top. So a finger's map is fitted on the bands below 0.6 Hz
# only (the first SHAPE_BANDS), where the shapes move: they come down to his size there, and
# the fill brings his above.
SHAPE_BANDS = 3
BURST_DEPTH = 0.8
# Hz: up to 3.2 Hz, the posture and the sway a window's mean, spread and speed are made of; above
# it the speaker's joints move by mocap noise as much as by motion, and sinusoids there would
# raise the jerk figures past his.
BANDS = ((0.03, 0.1), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0), (1.0, 1.5), (1.5, 2.2), (2.2, 3.2))  # Hz
# After the layer the fingers still moved more than his in some bands (a joint's authored shapes
# at 0.1-0.5 Hz, 1.2-1.5x his on a quarter of their axes, where the map fitted over the three slow
# bands together leaves one band over and the fill tops up another): the whole take's fingers are
# brought down to his size band by band, attenuating only (``body_layer.quiet``). His root mean
# square per band and pose column (axis-angle) over the first half, in these bands (Hz; below
# the slowest, untouched).
QUIET = FINGERS
QUIET_BANDS = ((0.1, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0))


def mean_quats(motions, joints=JOINTS):
    """(J, 4) each joint's mean rotation over the takes (sign-aligned quaternions, normalised)."""
    from talkrig.motion.rotations import axis_angle_to_quat

    q = np.concatenate([axis_angle_to_quat(m.poses[:, list(joints)].astype(np.float64)) for m in motions])
    q = np.where(np.sum(q * q[:1], axis=-1, keepdims=True) < 0, -q, q)
    mean = q.mean(axis=0)
    return mean / np.linalg.norm(mean, axis=-1, keepdims=True)


def band_covariance(motions, mean, joints=JOINTS):
    """(J, B, 3, 3) the covariance of each joint's turn about ``mean`` per band, rad^2: a
    joint's axes move together (his last pinky bone turns about his hand's axis, which is none
    of its own three), so each band keeps the three axes' covariance, not only their RMS."""
    return np.einsum("jbajc->jbac", cross_covariance(motions, mean, joints))


def cross_covariance(motions, mean, joints):
    """(J, B, 3, J, 3) per band the covariance of every joint's turn about ``mean`` with every
    other's, rad^2 (the spine's joints turn against each other: one solve in mocap)."""
    from talkrig.motion.rotations import axis_angle_to_quat
    from talkrig.plugins.generators.procedural.posture import tangent

    cov = np.zeros((len(joints), len(BANDS), 3, len(joints), 3))
    for m in motions:
        d = tangent(axis_angle_to_quat(m.poses[:, list(joints)].astype(np.float64)), mean)  # (T, J, 3)
        d = d - d.mean(axis=0)
        spectrum = np.fft.rfft(d, axis=0)
        freqs = np.fft.rfftfreq(len(d), 1.0 / m.fps)
        for b, (lo, hi) in enumerate(BANDS):
            part = np.fft.irfft(np.where(((freqs >= lo) & (freqs < hi))[:, None, None], spectrum, 0), n=len(d), axis=0)
            cov[:, b] += np.einsum("tja,tkb->jakb", part, part) / len(d) / len(motions)
    return cov


def keep_heading(real_mean, generated_mean, joints=JOINTS):
    """``real_mean`` with the pelvis turned about the vertical (y) axis to the generator's
    heading: his tilt, the generator's facing (his facing in the capture room is no posture)."""
    from talkrig.motion.rotations import quat_conjugate, quat_multiply

    k = list(joints).index(0)
    offset = quat_multiply(real_mean[k], quat_conjugate(generated_mean[k]))
    w, y = offset[0], offset[2]
    twist = np.array([w, 0.0, y, 0.0]) / max(np.hypot(w, y), 1e-12)
    out = np.array(real_mean, copy=True)
    out[k] = quat_multiply(quat_conjugate(twist), real_mean[k])
    return out


def generated(audio):
    """The procedural generator's output with the layer off, seeds 0-2, on the take's audio
    and its words (as a user's take is made: the gestures follow the words; the generator's
    own statistics only: no motion of the second half is read)."""
    from talkrig.inference.generation.pipeline import GenerateOptions, generate

    words = (DATA / f"{TAKE}.TextGrid").read_text(encoding="utf-8")
    return [generate(audio, GenerateOptions(backend="procedural", seed=s, transcript=words,
                                            backend_options={"body_layer": 0.0})).motion
            for s in range(SEEDS)]


def _bands(joint):
    """The indices of the BANDS ``joint`` is filled in."""
    if joint in QUICK:
        low, high = QUICK[joint]
    elif joint in MEAN_ONLY:
        return []
    elif joint in SPINE:
        low, high = SPINE_BANDS
    else:
        low, high = BANDS[0][0], BANDS[-1][1]
    return [b for b, (lo, hi) in enumerate(BANDS) if lo >= low and hi <= high]


def principal(roots):
    """(B, 3, 3) symmetric square roots of covariances, each kept along its largest axis only."""
    w, v = np.linalg.eigh(roots)
    w[..., :2] = 0.0
    return np.einsum("bij,bj,bkj->bik", v, w, v)


def spine_fill(real, gen, real_mean, gen_mean, gain):
    """(B, 3S, 3S) the square root of the covariance the spine's joints lack per band, all
    together: in his take they turn against each other (spine2 about x against spine3, -0.5 to
    -0.7 at 1-3 Hz), so the chest's own turn is less than its joints' sum; filled joint by joint
    they would shake the chest, and everything on it, more than his."""
    from talkrig.motion.gaussian import psd_sqrt

    n = 3 * len(SPINE)
    real_x = cross_covariance(real, real_mean, SPINE).transpose(1, 0, 2, 3, 4).reshape(len(BANDS), n, n)
    gen_x = cross_covariance(gen, gen_mean, SPINE).transpose(1, 0, 2, 3, 4).reshape(len(BANDS), n, n)
    blocks = np.zeros((n, n))
    for k, g in enumerate(gain):
        blocks[3 * k:3 * k + 3, 3 * k:3 * k + 3] = g
    fill = psd_sqrt(real_x - blocks @ gen_x @ blocks.T)
    fill[[b for b in range(len(BANDS)) if b not in _bands(SPINE[0])]] = 0.0
    return fill


def band_rms_of(motion, joints):
    """(len(QUIET_BANDS), 3 x len(joints)) the root mean square of each pose column of
    ``joints`` (axis-angle x y z) per band over ``motion``."""
    from talkrig.motion.bands import band_rms

    return band_rms(motion.poses[:, list(joints)].reshape(motion.n_frames, -1), QUIET_BANDS, motion.fps)


def fit():
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.motion.gaussian import psd_sqrt, transport_map
    from talkrig.motion import load_motion
    real = load_motion(DATA / f"{TAKE}.npz")
    first = real[:real.n_frames // 2]
    gen = generated(decode_audio(DATA / f"{TAKE}.wav"))
    real_mean, gen_mean = mean_quats([first]), mean_quats(gen)
    real_cov, gen_cov = band_covariance([first], real_mean), band_covariance(gen, gen_mean)
    # the least change that carries the generator's turns onto his covariance, stretches cut at 1:
    # an authored motion larger than his is brought to his size and axes, a smaller one is kept
    # (the fill brings the rest), and a direction it never moves in (the toes') keeps gain 1
    gain = transport_map(gen_cov.sum(1) + 1e-10 * np.eye(3), real_cov.sum(1), max_gain=1.0)
    fingers = np.isin(JOINTS, FINGERS)  # mapped where their hand shapes move (SHAPE_BANDS)
    gain[fingers] = transport_map(gen_cov[fingers, :SHAPE_BANDS].sum(1) + 1e-10 * np.eye(3),
                                  real_cov[fingers, :SHAPE_BANDS].sum(1), max_gain=1.0)
    gain[np.isin(JOINTS, MEAN_ONLY + WRISTS)] = np.eye(3)  # their own motion kept whole
    kept = psd_sqrt(real_cov - np.einsum("jab,jkbc,jdc->jkad", gain, gen_cov, gain))  # (J, B, 3, 3)
    fill = np.zeros_like(kept)
    for row, joint in enumerate(JOINTS):
        fill[row, _bands(joint)] = kept[row, _bands(joint)]
        axes = OFF_HINGE.get(joint)
        if axes:  # the leg solve keeps these turns (see OFF_HINGE): fill only them
            only = (kept[row] @ kept[row])[np.ix_(range(len(BANDS)), axes, axes)]
            fill[row][np.ix_(range(len(BANDS)), axes, axes)] = psd_sqrt(only)
        if joint in FINGERS:
            fill[row] = principal(fill[row])
    spine = [JOINTS.index(j) for j in SPINE]
    coupled = spine_fill([first], gen, real_mean[spine], gen_mean[spine], gain[spine])
    fill[spine] = 0.0  # the spine's joints are filled together (coupled_fill)
    return {
        "source": f"BEAT2 {TAKE}, first {first.duration:.1f} s (statistics only)",
        "joints": list(JOINTS),
        "bands": [list(b) for b in BANDS],
        "real_mean": rounded(np.where(np.isin(JOINTS, WRISTS)[:, None], gen_mean,  # the wrists keep theirs
                                      keep_heading(real_mean, gen_mean)), 5),
        "generated_mean": rounded(gen_mean, 5),
        "gain": rounded(gain, 4),  # (J, 3, 3)
        "fill": rounded(fill, 5),  # (J, B, 3, 3)
        "coupled_joints": list(SPINE),
        "coupled_fill": rounded(coupled, 5),  # (B, 3S, 3S)
        "bursty": list(BURSTY),
        "burst_band": list(BURST_BAND),
        "burst_depth": BURST_DEPTH,
        "quiet_joints": list(QUIET),
        "quiet_bands": [list(b) for b in QUIET_BANDS],
        "quiet_band_rms": rounded(band_rms_of(first, QUIET), 5),  # (B, 3 x joints)
    }


def rounded(values, digits):
    """Nested lists of ``values`` rounded to ``digits``, with no negative zero: a value of
    -1e-9 in one fit and +1e-9 in the next is the same fit."""
    return (np.round(values, digits) + 0.0).tolist()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file, write nothing")
    args = parser.parse_args()
    from talkrig.plugins.generators.procedural import body_layer

    data = fit()
    text = "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n"
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("body_layer.json matches a fresh fit" if same else "body_layer.json differs from a fresh fit")
        sys.exit(0 if same else 1)
    OUT.write_text(text, encoding="utf-8")
    body_layer.learned.cache_clear()
    print(f"wrote {OUT.relative_to(ROOT)}: {len(JOINTS)} joints, {len(BANDS)} bands")


if __name__ == "__main__":
    main()
