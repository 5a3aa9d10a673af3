"""Helpers shared by the neural generator tests: a training folder over the real take, tiny
training runs, and generation in a separate process that must not import torch."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support.shared_data import SHARED_DATA, shared_file

SHARED = SHARED_DATA / "beat2_scott_train"
TAKE = "2_scott_0_1_1"
NEW_AUDIO = SHARED / "2_scott_0_2_2.wav"


# The network's own motion, not played through the training takes stored with the model
# (``neural.mocap``): what the tests of the network's stance, liveliness and standing read.
NETWORK = {"follow": 0.0}

def take_folder(tmp):
    """A folder holding links to the real take (npz + wav + TextGrid): the data is not copied."""
    folder = Path(tmp) / "takes"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".npz", ".wav", ".TextGrid"):
        source = shared_file("beat2_scott_train", TAKE + suffix)
        link = folder / source.name
        if not link.exists():
            link.symlink_to(source)
    return folder


def train_tiny(backend, data, out, epochs=3, **overrides):
    """Train ``backend`` briefly with torch on one thread.

    Returns (TrainResult, per-epoch losses, (loss before, loss after)): the last pair is the
    total loss of the same fixed training batches with the initial and the trained weights.
    """
    import torch

    from talkrig.plugins.neural.training.backends import trainer_class
    from talkrig.plugins.neural.training.data import load_dataset
    from talkrig.plugins.neural.training.loop import fit, load_checkpoint

    torch.set_num_threads(1)
    trainer = trainer_class(backend)
    config = trainer.make_config(overrides)
    dataset = load_dataset(data, trainer.input_kind_for(config), val_split=0.1)
    history = []
    resuming = load_checkpoint(out, backend) is not None
    before = None if resuming else _fixed_loss(trainer, dataset, config, None)
    result = fit(trainer, dataset, out, config, epochs=epochs,
                 progress=lambda e, n, t, losses: history.append(losses))
    after = _fixed_loss(trainer, dataset, config, load_checkpoint(out, backend))
    return result, history, (before, after)


def _fixed_loss(trainer_cls, dataset, config, checkpoint):
    """Mean total loss over four fixed training batches (weights from ``checkpoint`` or fresh)."""
    import numpy as np
    import torch

    if checkpoint is None:
        mean, std = dataset.input_stats()
        pose_mean, pose_std = dataset.pose_stats()
        stats = {"input_mean": mean, "input_std": std, "pose_mean": pose_mean, "pose_std": pose_std}
    else:
        stats = checkpoint["stats"]
    torch.manual_seed(config["seed"])
    trainer = trainer_cls(dataset, config, stats)
    if checkpoint is not None:
        trainer.model.load_state_dict(checkpoint["model"])
    trainer.model.eval()
    rng = np.random.default_rng(123)
    torch.manual_seed(123)
    with torch.no_grad():
        totals = [float(trainer.losses(trainer.sample(rng), rng)["total"]) for _ in range(4)]
    return float(np.mean(totals))


_GENERATE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.motion import frame_count
    backend, model, audio, seed, options = sys.argv[1:6]
    decoded = decode_audio(audio)
    features = features_for(decoded, 30.0)
    n = frame_count(decoded.duration, 30.0)
    opts = dict(json.loads(options), model=model)
    generator = get_generator(backend)
    words = []
    if len(sys.argv) > 6:
        from talkrig.inference.speech.words import words_from_json
        words = words_from_json(json.loads(open(sys.argv[6]).read()))
    motion = generator.generate(GenerationRequest(features=features, words=words, n_frames=n,
                                                  fps=30.0, seed=int(seed), options=opts))
    np.savez(model + f"/generated_{seed}.npz", poses=motion.poses, expressions=motion.expressions,
             trans=motion.trans)
    print(json.dumps({"frames": motion.n_frames, "expected": n, "fps": motion.fps,
                      "finite": bool(np.isfinite(motion.poses).all()),
                      "expressions": motion.n_expressions,
                      "torch_imported": "torch" in sys.modules}))
""")


def generate_in_subprocess(backend, model_dir, audio=NEW_AUDIO, seed=0, options=None, words_json=None):
    """Generate from ``audio`` with the installed plugin in a fresh interpreter; returns the
    JSON summary it prints (frames, expected, finite, torch_imported, ...) and the motion arrays."""
    import numpy as np

    args = [sys.executable, "-c", _GENERATE, backend, str(model_dir), str(audio), str(seed),
            json.dumps(options or {})]
    if words_json:
        args.append(str(words_json))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    arrays = dict(np.load(Path(model_dir) / f"generated_{seed}.npz"))
    return summary, arrays


def listening_figures(backend, model_dir, seeds=3, frames=600, options=None):
    """How a trained plugin's motion depends on its audio and its seed, generated in-process.

    The same seeds on the real take's audio, on another recording of the speaker and on
    digital silence (first ``frames`` frames each). Returns the mean over seeds of
    ``audio_sensitivity`` (take vs other recording, take vs silence) plus "seed_relative":
    the seed diversity on the take's audio over the motion's own spread. ``options``: the
    backend's, besides the model.
    """
    import numpy as np

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features, features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.motion.metrics.sensitivity import audio_sensitivity, motion_spread, seed_diversity

    generator = get_generator(backend)
    speech = features_for(decode_audio(str(SHARED / (TAKE + ".wav"))), 30.0)
    other = features_for(decode_audio(str(NEW_AUDIO)), 30.0)
    silence = compute_features(np.zeros(16000 * (frames // 30 + 1), np.float32), 16000, 30.0)

    def take(features, seed):
        return generator.generate(GenerationRequest(
            features=features, n_frames=frames, fps=30.0, seed=seed,
            options={"model": str(model_dir), **(options or {})}))

    on_speech = [take(speech, s) for s in range(seeds)]
    rows = [audio_sensitivity(on_speech[s], silence=take(silence, s), other=take(other, s))
            for s in range(seeds)]
    figures = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    spread = np.mean([motion_spread(m) for m in on_speech])
    figures["seed_relative"] = seed_diversity(on_speech) / spread
    return figures


def assert_listens(figures, fraction=0.25, calm_in_silence=True):
    """The checks a generator that follows its audio and its seed passes, with thresholds read
    from the real take: seed for seed, other speech gives motion at least ``fraction`` as far
    from the first as another stretch of the real take is; on silence the body calms (below 0.8
    of its speed on speech) and the jaw moves at most twice as fast, relative to speech, as the
    real speaker's jaw in his pauses; and takes of different seeds are at least ``fraction`` as
    far apart as two moments of one take. A generator that ignores its audio or its seed scores
    about 0 on those two. ``calm_in_silence=False`` leaves out the body's calm on silence (for a
    generator whose pauses are calmed by the pipeline only)."""
    from talkrig.motion import load_motion
    from talkrig.motion.metrics.sensitivity import (motion_spread, pause_speed_ratio, pose_distance,
                                                    speech_mask)
    from talkrig.plugins.neural.training.data import read_word_file

    real = load_motion(SHARED / (TAKE + ".npz"))
    words = read_word_file(SHARED / (TAKE + ".TextGrid"))
    first, later = real[:600], real[675:1275]
    real_other = pose_distance(first, later) / motion_spread(first)
    mask = speech_mask([(w.start, w.end) for w in words if w.word.strip()], real.n_frames, real.fps)
    real_jaw = pause_speed_ratio(real, mask, part="jaw")
    assert figures["other_relative"] > fraction * real_other, figures
    if calm_in_silence:
        assert figures["silence_speed_ratio"] < 0.8, figures
    assert figures["silence_jaw_ratio"] < 2 * real_jaw, figures
    assert figures["seed_relative"] > fraction, figures


def stance_spreads(backend, folder, seconds=12, seeds=3):
    """(spread, spread with ``stance`` 0): how far apart three seeds of a model stand through
    the whole pipeline (``metrics.stance_spread``, radians of mean upper-body pose)."""
    from talkrig.inference.audio.decode import DecodedAudio, decode_audio
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.metrics import stance_spread

    decoded = decode_audio(str(NEW_AUDIO))
    audio = DecodedAudio(samples=decoded.samples[:seconds * decoded.sample_rate],
                         sample_rate=decoded.sample_rate, name="clip")

    def spread(**options):
        return stance_spread([generate(audio, GenerateOptions(
            backend=backend, seed=seed, speech="none",
            backend_options=dict(model=str(folder), **NETWORK, **options))).motion for seed in range(seeds)])

    return spread(), spread(stance=0.0)
