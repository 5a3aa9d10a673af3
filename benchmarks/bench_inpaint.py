"""Key-pose in-painting of the ldm generator: how close the key-posed joints come to the key
poses, and how smooth the motion stays once the pipeline's key-pose stage has set them.

On 2_scott_0_2_2.wav with its word timings and the bundled key-pose dictionary, each seed is
generated twice with a model trained on the first half of the take: plainly, and with
``inpaint=default`` (the sampler generates around the key poses). Printed per variant, as
medians over the seeds: the mean angle (rad) between the key-posed joints and their key pose
over every hold, before the key-pose stage; the same angle over the approach, the stretch as
long as the ramp just before it (free motion that no blend touches: lower means the sampler
leads into the pose); and the mean upper-body jerk (m/s^3) in the stretches the key-pose stage
changes (ramps and holds), after it, with the jerk elsewhere for scale.

    .venv/bin/python benchmarks/bench_inpaint.py [--model DIR] [--seeds N]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
AUDIO = DATA / "2_scott_0_2_2.wav"


def hold_frames(insertions, fps, n):
    """(frames inside the holds, frames inside ramps + holds) as boolean masks of length n."""
    hold, touched = np.zeros(n, bool), np.zeros(n, bool)
    for ins in insertions:
        a = int(round(ins.time * fps))
        b = a + max(1, int(round(ins.entry.duration * fps)))
        r = int(round(ins.entry.ramp * fps))
        hold[max(a, 0):min(b, n)] = True
        touched[max(a - r, 0):min(b + r, n)] = True
    return hold, touched


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="ldm model trained on the first half of the take")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.inference.generation.keyposes import KeyPoseDictionary, insert_keyposes
    from talkrig.motion.metrics.kinematics import jerk, joint_positions
    from talkrig.motion.rotations import geodesic_distance
    from talkrig.motion.skeleton import UPPER_BODY
    from talkrig.plugins.neural.modeldir import default_model_dir
    from talkrig.plugins.neural.training.data import read_word_file

    model = args.model or default_model_dir("ldm").parent / "bench" / "ldm-first-half"
    if not (Path(model) / "talkrig_model.json").exists():
        sys.exit(f"bench_inpaint: no ldm model in {model} (train one on the first half of the "
                 "take, or pass --model)")
    words = read_word_file(AUDIO.with_suffix(".TextGrid"))
    features = features_for(decode_audio(str(AUDIO)), 30.0)
    n = features.n_frames
    dictionary = KeyPoseDictionary.default()
    generator = get_generator("ldm")
    rows = {"plain": [], "in-painted": []}
    for seed in range(args.seeds):
        for variant, options in (("plain", {}), ("in-painted", {"inpaint": "default"})):
            motion = generator.generate(GenerationRequest(
                features=features, words=words, n_frames=n, fps=30.0, seed=seed,
                options=dict(options, model=str(model))))
            final, insertions = insert_keyposes(motion, words, dictionary, seed)
            hold, touched = hold_frames(insertions, 30.0, n)
            angles, approach = [], []
            for ins in insertions:
                a = int(round(ins.time * 30.0))
                frames = np.arange(a, min(n, a + max(1, int(round(ins.entry.duration * 30.0)))))
                target = ins.entry.frames[np.minimum(np.arange(len(frames)), len(ins.entry.frames) - 1)]
                angles.append(geodesic_distance(motion.poses[frames][:, ins.entry.joints],
                                                target).mean())
                r = max(1, int(round(ins.entry.ramp * 30.0)))
                before = np.arange(max(a - 2 * r, 0), max(a - r, 0))
                if len(before):
                    approach.append(geodesic_distance(motion.poses[before][:, ins.entry.joints],
                                                      ins.entry.frames[:1]).mean())
            j = np.linalg.norm(jerk(joint_positions(final, UPPER_BODY), 30.0), axis=-1).mean(-1)
            inside = touched[1:-2]
            rows[variant].append((float(np.mean(angles)), float(np.mean(approach)), float(j[inside].mean()),
                                  float(j[~inside].mean()), len(insertions), hold.sum()))
    print(f"ldm key-pose in-painting, {AUDIO.name}, {args.seeds} seeds, model {model}")
    for variant, values in rows.items():
        a, ap, ji, jo, k, h = np.median(np.array(values), axis=0)
        print(f"{variant:>11}: key-pose angle over holds {a:.3f} rad, over the approach "
              f"{ap:.3f} rad; jerk after the key-pose "
              f"stage {ji:.1f} m/s^3 where it acts, {jo:.1f} elsewhere ({k:.0f} key poses, "
              f"{h:.0f} held frames)")


if __name__ == "__main__":
    main()
