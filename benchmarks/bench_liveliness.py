"""Done-criteria misses of the learned generators (their liveliness scaling) on the three unseen
recordings and on variations of them, with per-joint figures to find where a miss comes from.

A change to ``plugins/neural/liveliness.py`` is kept only if it lowers the misses on the three
recordings without raising them on the variations or for any backend. Recordings: the take's
held-out second half, the second recording, the lecture sound (--lecture WAV). Variations: the
second recording with white noise at 10 dB SNR, 30 s of the lecture from 60 s, and two espeak-ng
voices speaking sentences with 0.5-2.5 s pauses (`bench_phrasing.espeak_recordings`). Each
model's ``speech_pace`` is used as stored: write it again after changing how it is measured.

Per take: angular-speed and jerk ratios to the real take, speed Hellinger, Frechet kinetic
distance, foot pops, pause/speech speed, the misses (0.8-1.25, <= 0.12, 0/min, < 1), and per
upper-body joint the position-jerk and rotation-speed ratios (--joints), and the ankles' jerk
against the pelvis after the whole pipeline (shaking legs over planted feet, m/s^3, beside the
real take's held-out half: ``motion.metrics.ankle_jerk``). Means over --seeds seeds (one for a
deterministic generator).

    .venv/bin/python benchmarks/bench_liveliness.py [--model a2g=DIR --model dr2=DIR --model s2v=DIR ...]
        [--lecture physicsworks.wav] [--seeds 3] [--joints] [--json OUT]

Without --model, the first-half models `bench_training.py --first-half` writes are used; a
backend without one is skipped.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
BACKENDS = ("a2g", "dr2", "s2v")
FIGURES = ("angular_speed_ratio", "jerk_ratio", "speed_hellinger", "fkd", "foot_pops", "pause_speed_ratio")


def recordings(lecture):
    """[(name, DecodedAudio, is a variation)] of the unseen recordings and their variations."""
    from bench_phrasing import degrade, espeak_recordings

    from talkrig.inference.audio.decode import DecodedAudio, decode_audio

    def audio(name, samples, variation):
        return name, DecodedAudio(samples=np.asarray(samples, np.float32), sample_rate=16000, name=name), variation

    take = decode_audio(DATA / "2_scott_0_1_1.wav").samples
    second = decode_audio(DATA / "2_scott_0_2_2.wav").samples
    half = int(round(22.5 * 16000))  # the take's 45 s: its first half is the training data
    out = [audio("held-out half", take[half:], False), audio("second recording", second, False)]
    talk = decode_audio(lecture).samples if lecture else None
    if talk is not None:
        out.append(audio("lecture", talk, False))
    rng = np.random.default_rng(11)
    out.append(audio("second recording, hiss 10 dB", degrade(second.astype(np.float64), "hiss10", rng), True))
    if talk is not None:
        out.append(audio("lecture 60-90 s", talk[60 * 16000:90 * 16000], True))
    with tempfile.TemporaryDirectory() as tmp:
        voices = espeak_recordings(tmp)
    out += [audio(name, samples, True) for name, samples, _ in voices[:1] + voices[-1:]]
    return out


def misses(figures):
    """How many done criteria ``figures`` (a dict of FIGURES) miss."""
    return sum((not 0.8 <= figures["angular_speed_ratio"] <= 1.25, not 0.8 <= figures["jerk_ratio"] <= 1.25,
                figures["speed_hellinger"] > 0.12, figures["foot_pops"] > 0, figures["pause_speed_ratio"] >= 1))


def per_joint(motion, real):
    """(J,) position-jerk and (J,) rotation-speed ratios of the upper-body joints to ``real``."""
    from talkrig.motion.metrics.distribution import DISTRIBUTION_JOINTS
    from talkrig.motion.metrics.kinematics import angular_speed, jerk, joint_positions

    def both(m):
        p = joint_positions(m, DISTRIBUTION_JOINTS)
        return np.linalg.norm(jerk(p, m.fps), axis=-1).mean(axis=0), angular_speed(m, DISTRIBUTION_JOINTS).mean(axis=0)

    (j, a), (rj, ra) = both(motion), both(real)
    return j / rj, a / ra


def first_half_models(given):
    """[(label, backend, model folder)] from --model NAME=DIR items (a backend given twice is
    labelled NAME:FOLDER-NAME, to compare two models of it), else the first-half models that exist."""
    from talkrig.plugins.neural.modeldir import default_model_dir

    if given:
        pairs = [item.split("=", 1) for item in given]
        names = [name for name, _ in pairs]
        return [(name if names.count(name) == 1 else f"{name}:{Path(folder).name}", name, folder)
                for name, folder in pairs]
    models = []
    for name in BACKENDS:
        folder = default_model_dir(name).parent / "bench" / f"{name}-first-half"
        if folder.is_dir():
            models.append((name, name, str(folder)))
        else:
            print(f"skipped {name}: no model trained on the first half in {folder} "
                  "(run benchmarks/bench_training.py --first-half, or pass --model)")
    return models


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], metavar="NAME=DIR",
                        help="a model trained on the take's first half")
    parser.add_argument("--lecture", metavar="WAV", help="the lecture video's sound, decoded")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--joints", action="store_true", help="also print per-joint ratios")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args()

    from talkrig.inference.evaluate import audio_context
    from talkrig.inference.generation.generators import describe_generator, get_generator
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion import load_motion
    from talkrig.motion.metrics import ankle_jerk
    from talkrig.motion.metrics.report import quality_report
    from talkrig.motion.skeleton import JOINT_NAMES, UPPER_BODY

    real = load_motion(DATA / "2_scott_0_1_1.npz")
    rows, totals = [], {}
    real_ankle = ankle_jerk(real[real.n_frames // 2:])
    print(f"real take, held-out half: ankle jerk against the pelvis {real_ankle:.1f} m/s^3")
    for label, name, folder in first_half_models(args.model):
        stochastic = describe_generator(get_generator(name))["capabilities"].get("stochastic", True)
        for title, audio, variation in recordings(args.lecture):
            context = audio_context(audio, real.fps)
            reports, joints, ankles = [], [], []
            for seed in range(args.seeds if stochastic else 1):
                motion = generate(audio, GenerateOptions(backend=name, seed=seed, speech="none",
                                                         backend_options={"model": folder})).motion
                reports.append(quality_report(motion, reference=real, **context.report_kwargs(motion.n_frames)))
                joints.append(per_joint(motion, real))
                ankles.append(ankle_jerk(motion))
            figures = {k: float(np.mean([r[k] for r in reports])) for k in FIGURES}
            row = {"backend": label, "recording": title, "variation": variation, **figures,
                   "misses": misses(figures), "ankle_jerk": float(np.mean(ankles)), "joint_jerk": np.mean([j for j, _ in joints], axis=0).tolist(),
                   "joint_angular": np.mean([a for _, a in joints], axis=0).tolist()}
            rows.append(row)
            key = (label, "variations" if variation else "recordings")
            totals[key] = totals.get(key, 0) + row["misses"]
            print(f"{label:4s} {title:32s} " + " ".join(f"{k.split('_')[0]} {figures[k]:.3f}" for k in FIGURES)
                  + f"  ankle {row['ankle_jerk']:.1f}  misses {row['misses']}", flush=True)
            if args.joints:
                print("      joints " + " ".join(JOINT_NAMES[j] for j in UPPER_BODY))
                print("      jerk   " + " ".join(f"{x:.2f}" for x in row["joint_jerk"]))
                print("      turn   " + " ".join(f"{x:.2f}" for x in row["joint_angular"]))
    for (name, kind), count in sorted(totals.items()):
        print(f"{name}: {count} misses on the {kind}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
