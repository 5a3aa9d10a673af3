"""Learn the procedural generator's posture numbers (plugins/generators/procedural/posture.json)
from the first half of the shared real take, and print them beside the take's own figures.

Only the first half (22.5 s) is read, so the held-out half stays unseen by the generator, as it
is by the matching library and the neural models. What is stored is numbers, never frames:

- the standing body: mean local rotations of the pelvis' tilt (its heading left out), spine,
  neck, head, legs and feet, the left and right sides pooled;
- the gesture space: mean and 12 x 12 covariance of an arm's collar, shoulder, elbow and wrist
  rotations (both arms pooled, the right one mirrored), for the real speaker and for the
  procedural generator itself (its finished output with the map off, on the first half's sound,
  3 seeds);
- stance and travel: stance width, the pelvis' sway about its slow drift, steps per minute and
  their median length, root travel.

    .venv/bin/python recipes/fit_posture.py [--check]

--check compares the file with a fresh fit instead of writing it (exit 1 when they differ).
"""

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
TAKE = "2_scott_0_1_1"
OUT = ROOT / "plugins" / "generators" / "procedural" / "posture.json"
SEEDS = 3
# joints of the standing body (SMPL-X): pelvis, spine1-3, neck, head, hips, knees, ankles, feet
STANDING = (0, 3, 6, 9, 12, 15, 1, 2, 4, 5, 7, 8, 10, 11)
PAIRS = ((1, 2), (4, 5), (7, 8), (10, 11))


def quat_mean(q):
    """(n, 4) -> (4,) the normalised mean of unit quaternions, signs made to agree first."""
    from talkrig.motion.rotations import quat_normalize

    q = q * np.where(np.sum(q * q[:1], axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return quat_normalize(q.mean(axis=0))


def standing_pose(motion):
    """{joint: axis-angle} mean standing body, symmetric; the pelvis keeps its tilt only."""
    from talkrig.motion.rotations import axis_angle_to_quat, quat_to_axis_angle
    from talkrig.plugins.generators.procedural.posture import mirror_quats

    q = axis_angle_to_quat(motion.poses.astype(np.float64))
    pose = {}
    for j in STANDING:
        pose[j] = quat_mean(q[:, j])
    for left, right in PAIRS:
        both = quat_mean(np.stack([pose[left], mirror_quats(pose[right])]))
        pose[left], pose[right] = both, mirror_quats(both)
    for j in (0, 3, 6, 9, 12, 15):  # the midline: no sideways bend or twist
        aa = quat_to_axis_angle(pose[j])
        pose[j] = axis_angle_to_quat(np.array([_pitch(aa) if j == 0 else aa[0], 0.0, 0.0]))
    return {j: quat_to_axis_angle(v).tolist() for j, v in pose.items()}


def _pitch(aa):
    """Forward tilt (radians about x) of a global orientation, its heading and roll left out."""
    from talkrig.motion.rotations import axis_angle_to_matrix

    up = axis_angle_to_matrix(np.asarray(aa))[:, 1]
    return float(np.arctan2(up[2], up[1]))


def arm_samples(motion):
    """(2n, 4, 4) quaternions of both arms (collar, shoulder, elbow, wrist), the right mirrored;
    motion : a Motion, or (n, 55, 4) quaternions."""
    from talkrig.motion.rotations import axis_angle_to_quat
    from talkrig.plugins.generators.procedural.poses import L_ARM, R_ARM
    from talkrig.plugins.generators.procedural.posture import mirror_quats

    q = motion if isinstance(motion, np.ndarray) else axis_angle_to_quat(motion.poses.astype(np.float64))
    return np.concatenate([q[:, list(L_ARM)], mirror_quats(q[:, list(R_ARM)])])


def arm_statistics(motions):
    """Mean (4, 4) and covariance (12, 12) of arm rotations about that mean."""
    from talkrig.plugins.generators.procedural.posture import tangent

    q = np.concatenate([arm_samples(m) for m in motions])
    mean = np.stack([quat_mean(q[:, k]) for k in range(q.shape[1])])
    d = tangent(q, mean).reshape(len(q), -1)
    return mean, np.cov(d, rowvar=False)


def stance_figures(motion):
    """Stance width, sway, steps per minute, step length and root travel of a real take."""
    from talkrig.motion.filters import uniform_filter1d

    from talkrig.inference.generation.feet import LEGS, plants, _LegSkeleton
    from talkrig.motion.contacts import detect_contacts, floor_height
    from talkrig.motion.metrics import root_travel
    from talkrig.motion.skeleton import neutral_skeleton

    rot, pos = _LegSkeleton(neutral_skeleton()).forward_kinematics(motion.poses, motion.trans)
    ankles = pos[:, [LEGS[0][2], LEGS[1][2]]]
    contacts = detect_contacts(ankles, motion.fps) > 0.5
    floor = floor_height(contacts, ankles)
    steps, lengths = 0, []
    for leg in range(2):
        plan = plants(contacts[:, leg], ankles[:, leg], rot[:, LEGS[leg][2]], motion.fps, floor)
        for a, b in zip(plan, plan[1:]):
            steps += 1
            lengths.append(float(np.linalg.norm((b[2] - a[2])[[0, 2]])))
    xz = motion.trans[:, [0, 2]].astype(np.float64)
    slow = uniform_filter1d(xz, int(4 * motion.fps), axis=0, mode="nearest")
    return {
        "stance_width": float(np.linalg.norm((ankles[:, 0] - ankles[:, 1])[:, [0, 2]], axis=-1).mean()),
        "sway": float(np.sqrt(np.mean(np.sum((xz - slow) ** 2, axis=-1)))),
        "steps_per_minute": steps / (motion.duration / 60.0),
        "step_length": float(np.median(lengths)) if lengths else 0.0,
        "root_travel": root_travel(motion),
    }


def procedural_arms(audio, data):
    """Arm statistics of the procedural generator's own output with the map off (3 seeds),
    standing in the body just fitted (``data``)."""
    from talkrig.inference.generation.pipeline import GenerateOptions, generate

    with posture_file(data):
        motions = [generate(audio, GenerateOptions(backend="procedural", seed=s, speech="none",
                                                   backend_options={"gesture_space": 0.0})).motion
                   for s in range(SEEDS)]
    return arm_statistics(motions)


@contextlib.contextmanager
def posture_file(data):
    """The procedural generator reading ``data`` from a temporary posture file while the block
    runs, the shipped posture.json again afterwards: the fit never writes the shipped file to
    render with (``--check`` writes nothing at all)."""
    from talkrig.plugins.generators.procedural import posture

    shipped = posture.DATA
    with tempfile.TemporaryDirectory(prefix="talkrig-posture-") as tmp:
        posture.DATA = Path(tmp) / OUT.name
        posture.DATA.write_text(json.dumps(data) + "\n", encoding="utf-8")
        posture.learned.cache_clear()
        try:
            yield posture.DATA
        finally:
            posture.DATA = shipped
            posture.learned.cache_clear()


def fit():
    from talkrig.inference.audio.decode import DecodedAudio, decode_audio
    from talkrig.motion import load_motion

    real = load_motion(DATA / f"{TAKE}.npz")
    first = real[:real.n_frames // 2]
    sound = decode_audio(DATA / f"{TAKE}.wav")
    cut = int(round(first.duration * sound.sample_rate))
    audio = DecodedAudio(samples=sound.samples[:cut], sample_rate=sound.sample_rate, name="first half")
    pose = standing_pose(first)
    real_mean, real_cov = arm_statistics([first])
    data = {
        "source": f"BEAT2 {TAKE}, first {first.duration:.1f} s (statistics only)",
        "standing_joints": list(pose),
        "standing_pose": [np.round(v, 4).tolist() for v in pose.values()],
        "arm_real_mean": np.round(real_mean, 5).tolist(),
        "arm_real_cov": np.round(real_cov, 6).tolist(),
        **{k: round(v, 4) for k, v in stance_figures(first).items()},
    }
    source_mean, source_cov = procedural_arms(audio, data)
    data["arm_source_mean"] = np.round(source_mean, 5).tolist()
    data["arm_source_cov"] = np.round(source_cov, 6).tolist()
    return data, real


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file, write nothing")
    args = parser.parse_args(argv)
    data, real = fit()
    text = "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.items()) + "\n}\n"
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("posture.json matches a fresh fit" if same else "posture.json differs from a fresh fit")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    half = real[real.n_frames // 2:]
    print(f"wrote {OUT.relative_to(ROOT)}")
    print("figure            first half  second half (unseen)")
    theirs = stance_figures(half)
    for key in ("stance_width", "sway", "steps_per_minute", "step_length", "root_travel"):
        print(f"{key:17s} {data[key]:10.3f}  {theirs[key]:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
