"""Training time, final losses and inference speed of the neural generators (a2g, dr2, ldm, s2v).

Each backend is trained with its default settings on the 45 s BEAT2 take (2_scott_0_1_1, 10 %
held out for validation) under a time budget, exactly as `talkrig train` does, into
OUT/<backend> (default ~/.cache/talkrig/models/<backend>, where the generators look by
default; never inside the repository). Then the trained plugin generates motion for the other
recording (2_scott_0_2_2.wav, 62 s) in a separate process that never imports torch, and the
generation time is reported as a real-time factor (median over repeated runs, features
computed once beforehand).

With --first-half each backend is also trained on the first half of the take only, into
OUT/bench/<backend>-first-half: benchmarks/bench_quality.py scores those models on the unseen
second half.

    .venv/bin/python benchmarks/bench_training.py [--backends a2g dr2 s2v] [--minutes 10]
        [--threads 2] [--out DIR] [--first-half] [--repeats 5] [--json OUT]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "beat2_scott_train"
TAKE = "2_scott_0_1_1"
NEW_AUDIO = DATA / "2_scott_0_2_2.wav"
BACKENDS = ("s2v", "a2g", "dr2", "ldm")

_INFERENCE = textwrap.dedent("""
    import json, statistics, sys, time
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    backend, model, audio, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    decoded = decode_audio(audio)
    features = features_for(decoded, 30.0)
    generator = get_generator(backend)
    start = time.perf_counter()
    generator.generate(GenerationRequest(features=features, fps=30.0, options={"model": model}))
    first = time.perf_counter() - start  # includes loading the ONNX model
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        motion = generator.generate(GenerationRequest(features=features, fps=30.0, seed=seed,
                                                      options={"model": model}))
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(times), "first": first,
                      "duration": decoded.duration, "frames": motion.n_frames,
                      "torch_imported": "torch" in sys.modules}))
""")


def link_take(folder):
    """A training folder with links to the real take (the data is not copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".npz", ".wav", ".TextGrid"):
        link = folder / f"{TAKE}{suffix}"
        if not link.exists():
            link.symlink_to(DATA / f"{TAKE}{suffix}")
    return folder


def first_half(folder):
    """A training folder holding the first half of the take (motion + audio)."""
    import soundfile

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.motion import load_motion, save_motion

    folder.mkdir(parents=True, exist_ok=True)
    real = load_motion(DATA / f"{TAKE}.npz")
    half = real.n_frames // 2
    audio = decode_audio(DATA / f"{TAKE}.wav")
    cut = int(round(half / real.fps * audio.sample_rate))
    save_motion(real[:half], folder / f"{TAKE}_first_half.npz")
    soundfile.write(folder / f"{TAKE}_first_half.wav", audio.samples[:cut], audio.sample_rate)
    return folder


def train(backend, data, out, minutes, threads):
    """Train one backend like `talkrig train` (fresh); returns the TrainResult."""
    import torch

    from talkrig.plugins.neural.training.backends import trainer_class
    from talkrig.plugins.neural.training.data import load_dataset
    from talkrig.plugins.neural.training.loop import fit

    torch.set_num_threads(threads)
    trainer = trainer_class(backend)
    config = trainer.make_config()
    dataset = load_dataset(data, trainer.input_kind_for(config), val_split=0.1)
    last = [0.0]

    def progress(epoch, epochs, elapsed, losses):
        if elapsed - last[0] >= 60 or epoch == epochs:
            last[0] = elapsed
            print(f"  {backend} epoch {epoch}/{epochs} {elapsed:.0f} s total {losses['total']:.4g}"
                  f" val {losses['val'] if losses['val'] is not None else '-'}", flush=True)

    start = time.perf_counter()
    result = fit(trainer, dataset, out, config, epochs=config["epochs"], minutes=minutes,
                 progress=progress, fresh=True)
    result.wall = time.perf_counter() - start  # training + export + validation of the export
    return result


def inference(backend, model, repeats):
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    done = subprocess.run([sys.executable, "-c", _INFERENCE, backend, str(model), str(NEW_AUDIO),
                           str(repeats)], capture_output=True, text=True, env=env, timeout=1200)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    from talkrig.plugins.neural.modeldir import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget per training run")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    parser.add_argument("--out", type=Path, default=default_model_dir("x").parent,
                        help="models go to OUT/<backend> (default: the default model folder)")
    parser.add_argument("--first-half", action="store_true",
                        help="also train on the first half of the take (for bench_quality)")
    parser.add_argument("--repeats", type=int, default=5, help="timed generations per backend")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-training-") as tmp:
        full = link_take(Path(tmp) / "full")
        half = first_half(Path(tmp) / "half") if args.first_half else None
        for backend in args.backends:
            runs = [("45 s take", full, args.out / backend)]
            if half is not None:
                runs.append(("first 22.5 s", half, args.out / "bench" / f"{backend}-first-half"))
            for label, data, out in runs:
                print(f"training {backend} on the {label} -> {out}", flush=True)
                result = train(backend, data, out, args.minutes, args.threads)
                speed = inference(backend, out, args.repeats)
                rows.append({
                    "backend": backend, "data": label, "model": str(out),
                    "epochs": result.epochs, "steps": result.steps,
                    "train_seconds": round(result.seconds, 1), "wall_seconds": round(result.wall, 1),
                    "losses": {k: round(v, 4) for k, v in result.losses.items()},
                    "val_loss": None if result.val_loss is None else round(result.val_loss, 4),
                    "export_max_abs_diff": max(result.export_diff.values()),
                    "rtf": speed["seconds"] / speed["duration"],
                    "first_generation_seconds": round(speed["first"], 3),
                    "torch_imported": speed["torch_imported"],
                })
                r = rows[-1]
                print(f"  {backend} ({label}): {r['epochs']} epochs, {r['steps']} steps, training "
                      f"{r['train_seconds']:.0f} s (with export {r['wall_seconds']:.0f} s), "
                      f"final {r['losses']}, val {r['val_loss']}, export diff "
                      f"{r['export_max_abs_diff']:.1e}; generation of {speed['duration']:.0f} s: "
                      f"median {speed['seconds']:.3f} s over {args.repeats} runs, RTF {r['rtf']:.4f}"
                      f" (torch imported: {speed['torch_imported']})", flush=True)
    print("\n| backend | data | epochs | training s | total loss | val loss | export diff | RTF |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['data']} | {r['epochs']} | {r['train_seconds']:.0f} | "
              f"{r['losses']['total']:.4g} | {r['val_loss']} | {r['export_max_abs_diff']:.1e} | "
              f"{r['rtf']:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
