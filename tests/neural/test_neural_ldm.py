"""Latent motion diffusion: train a tiny model on the real take, resume it, export it, and
sample it window by window with onnxruntime, without torch."""

import json

import numpy as np
import pytest

from support.neural_support import NETWORK, NEW_AUDIO, SHARED, TAKE, generate_in_subprocess, take_folder, train_tiny

TINY = {"channels": 16, "latent": 8, "blocks": 2, "window": 32, "batch": 4, "minutes": 0.02,
        "ema": 0.1, "select_every": 0}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ldm")
    data, out = take_folder(tmp), tmp / "model"
    first, history, _ = train_tiny("ldm", data, out, epochs=3, **TINY)
    # Without an epoch count the backend's own time budget ends the run (1.2 s here; its
    # default epoch count would take minutes).
    resumed, _, _ = train_tiny("ldm", data, out, epochs=None, **TINY)
    return first, history, resumed


def test_training_lowers_the_reconstruction_and_resumes(trained):
    first, history, resumed = trained
    assert first.epochs == 3 and len(history) == 3
    assert history[-1]["recon"] < history[0]["recon"]
    for term in ("recon", "moments", "diffusion", "velocity"):
        assert np.isfinite(first.losses[term])
    assert np.isfinite(first.val_loss)
    assert resumed.resumed_from == 3 and 3 < resumed.epochs < 20
    from talkrig.plugins.generators.ldm.train import LDMTrainer

    assert LDMTrainer.DEFAULTS["minutes"] <= 9  # a minute of mocap within 10 min, export included
    assert resumed.steps > first.steps


def test_export_matches_torch(trained):
    result = trained[2]
    assert set(result.export_diff) == {"encode", "decode", "denoise"}
    assert max(result.export_diff.values()) < 1e-4
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    assert meta["backend"] == "ldm" and meta["window"] == 32 and meta["context"] == 4
    assert meta["stride"] == 4 and meta["latent"] == 8
    from talkrig.inference.generation.generators import get_generator

    options = {o["name"]: o["default"] for o in get_generator("ldm").describe()["options"]}
    assert options["steps"] <= 10


def test_the_weight_average_is_exported_and_carried_through_a_resume(trained):
    import onnxruntime
    import torch

    from talkrig.plugins.generators.ldm.model import DecodeGraph, LatentDiffusion
    from talkrig.plugins.neural.training.loop import load_checkpoint

    resumed = trained[2]
    ckpt = load_checkpoint(resumed.folder, "ldm")
    assert ckpt["ema"]["steps"] == resumed.steps  # both runs' steps are in the average
    stats, c = ckpt["stats"], ckpt["config"]
    model = LatentDiffusion(*(torch.from_numpy(np.asarray(stats[k], np.float32)) for k in
                              ("input_mean", "input_std", "pose_mean", "pose_std")),
                            channels=c["channels"], latent=c["latent"], blocks=c["blocks"]).eval()
    latents = np.random.default_rng(0).standard_normal((1, 6, c["latent"])).astype(np.float32)
    session = onnxruntime.InferenceSession(str(resumed.folder / "ldm_decode.onnx"))
    (exported,) = session.run(None, {"latents": latents})

    def decoded(weights):
        model.load_state_dict(weights, strict=False)
        with torch.no_grad():
            return DecodeGraph(model)(torch.from_numpy(latents)).numpy()

    assert np.abs(exported - decoded(ckpt["ema"]["weights"])).max() < 1e-4
    assert np.abs(exported - decoded(ckpt["model"])).max() > 1e-3  # not the last weights


def test_sampling_without_torch_seeds_and_seams(trained):
    folder = trained[2].folder
    summary, first = generate_in_subprocess("ldm", folder, seed=0)
    assert summary["torch_imported"] is False
    assert summary["frames"] == summary["expected"] == 1860 and summary["finite"]
    _, again = generate_in_subprocess("ldm", folder, seed=0)
    _, other = generate_in_subprocess("ldm", folder, seed=1)
    np.testing.assert_array_equal(first["poses"], again["poses"])
    assert np.abs(first["poses"] - other["poses"]).max() > 1e-3
    # Windows join without jumps: no step at a join is far above the typical step.
    steps = np.abs(np.diff(first["poses"], axis=0)).max(axis=(1, 2))
    joins = np.arange(32, 1860, 32) - 1
    assert steps[joins].max() <= 4 * np.percentile(steps, 99) + 1e-6


def _request(n_frames, **kw):
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest

    features = features_for(decode_audio(str(NEW_AUDIO), max_seconds=None), 30.0)
    return GenerationRequest(features=features, n_frames=n_frames, fps=30.0, **kw)


def test_initial_pose_starts_the_motion(trained, scott_motion):
    from talkrig.inference.generation.generators import get_generator
    from talkrig.motion.rotations import geodesic_distance

    pose = scott_motion.poses[700]
    motion = get_generator("ldm").generate(_request(
        200, initial_pose=pose, options={"model": str(trained[2].folder), "steps": 4}))
    assert motion.n_frames == 200
    assert geodesic_distance(motion.poses[0, :22], pose[:22]).max() < 1e-3


@pytest.mark.parametrize("options, message", [
    ({"inpaint": "default"}, "places key poses on words"),
    ({"inpaint": "/nonexistent/poses.json"}, "ldm option 'inpaint'"),
])
def test_inpainting_needs_words_and_a_dictionary(trained, options, message):
    from talkrig.inference.generation.generators import get_generator
    from talkrig.inference.registry import PluginError
    from talkrig.inference.speech.words import Word

    words = [Word("hello", 0.5, 0.9)] if "nonexistent" in options["inpaint"] else []
    with pytest.raises(PluginError, match=message):
        get_generator("ldm").generate(_request(
            60, words=words, options=dict(options, model=str(trained[2].folder))))


def test_inpainting_holds_the_key_pose_and_leaves_the_motion_before_it(trained, tmp_path):
    from talkrig.inference.generation.generators import get_generator
    from talkrig.inference.speech.words import Word
    from talkrig.motion.rotations import geodesic_distance

    dictionary = tmp_path / "poses.json"
    dictionary.write_text(json.dumps({"version": 1, "entries": [
        {"words": ["hello"], "probability": 1.0, "hold": 0.4,
         "pose": {"right_shoulder": [0.0, 0.0, 1.2], "right_elbow": [0.0, 1.8, 0.0]}}]}))
    words = [Word("well", 0.4, 0.8), Word("hello", 3.0, 3.4)]
    folder = str(trained[2].folder)

    def generate(**options):  # the sampler alone unless asked: the spectrum match, the legs' and the
        # fine turning's gains (``liveliness``) and the play through the training take see the whole take
        return get_generator("ldm").generate(_request(160, words=words, seed=2, options=dict(
            {"spectrum": 0.0, "liveliness": 0.0, **NETWORK}, **options, model=folder, steps=4)))

    plain, inpainted = generate(), generate(inpaint=str(dictionary))
    # 32-frame windows see 16 frames before them: the window at frame 64 is the first whose
    # span reaches the key pose at frame 90.
    np.testing.assert_array_equal(plain.poses[:64], inpainted.poses[:64])
    assert np.abs(plain.poses[90:102] - inpainted.poses[90:102]).max() > 1e-4
    # Over the hold (3.0-3.4 s) the key-posed joints are the key pose, also after the take's
    # spectrum is matched to the speaker's and played through the training take.
    key = np.array([[0.0, 0.0, 1.2], [0.0, 1.8, 0.0]])
    for motion in (inpainted, generate(inpaint=str(dictionary), spectrum=1.0),
                   generate(inpaint=str(dictionary), follow=5.0)):
        hold = motion.poses[91:102][:, [17, 19]]
        assert geodesic_distance(hold, np.broadcast_to(key, hold.shape)).max() < 1e-3
    assert geodesic_distance(plain.poses[91:102][:, [17, 19]],
                             np.broadcast_to(key, hold.shape)).min() > 0.1


def test_kinetic_term_trains_the_denoiser_only(tmp_path):
    """The cost on how the motion decoded from the denoiser's clean latents moves reaches the
    denoiser, never the autoencoder (whose reconstruction alone shapes it)."""
    import torch

    from talkrig.plugins.neural.training.backends import trainer_class
    from talkrig.plugins.neural.training.data import load_dataset

    cls = trainer_class("ldm")
    only = {k: 0.0 for k in cls.DEFAULTS if k.startswith("w_")}
    config = cls.make_config({**TINY, **only, "w_kinetic": 1.0})
    dataset = load_dataset(take_folder(tmp_path), cls.input_kind_for(config), val_split=0.1)
    stats = dict(zip(("input_mean", "input_std"), dataset.input_stats()))
    stats.update(zip(("pose_mean", "pose_std"), dataset.pose_stats()))
    torch.manual_seed(0)
    trainer = cls(dataset, config, stats)
    rng = np.random.default_rng(0)
    terms = trainer.losses(trainer.sample(rng), rng)
    assert float(terms["kinetic"]) > 0 and terms["total"].item() == pytest.approx(float(terms["kinetic"]))
    terms["total"].backward()

    def moved(module):
        return max(float(p.grad.abs().max()) if p.grad is not None else 0.0 for p in module.parameters())

    assert moved(trainer.model.denoiser) > 0
    assert moved(trainer.model.autoencoder) == 0



@pytest.mark.slow
def test_two_stages_freeze_the_autoencoder_and_a_resume_keeps_the_stage(tmp_path, scott_motion):
    """With ``ae_epochs`` the autoencoder trains alone, then stays fixed while the denoiser
    learns on its latents, also across resumes; a stride-2 model samples at its own rate."""
    import soundfile

    from talkrig.inference.generation.generators import get_generator
    from talkrig.motion import save_motion
    from talkrig.plugins.neural.training.loop import load_checkpoint

    data, out = tmp_path / "takes", tmp_path / "model"  # the take's first 15 s
    data.mkdir()
    save_motion(scott_motion[:450], data / "cut.npz")
    samples, rate = soundfile.read(str(SHARED / f"{TAKE}.wav"))
    soundfile.write(str(data / "cut.wav"), samples[:15 * rate], rate)
    config = dict(TINY, ema=0.0, ae_epochs=1, stride=2)

    def run(epochs):
        _, history, _ = train_tiny("ldm", data, out, epochs=epochs, **config)
        weights = load_checkpoint(out, "ldm")["model"]
        return [set(h) - {"total", "val"} for h in history], weights

    first, before = run(2)  # the autoencoder's epoch, then the denoiser's
    assert first == [{"recon", "moments"}, {"diffusion", "velocity", "kinetic"}]
    resumed, after = run(3)  # resumes inside the second stage
    assert resumed == [{"diffusion", "velocity", "kinetic"}]
    parts = {name: [k for k in before if k.startswith(name)] for name in ("autoencoder.", "denoiser.")}
    assert all(bool((before[k] == after[k]).all()) for k in parts["autoencoder."])
    assert not all(bool((before[k] == after[k]).all()) for k in parts["denoiser."])

    meta = json.loads((out / "talkrig_model.json").read_text())
    assert meta["stride"] == 2 and meta["config"]["ae_epochs"] == 1
    motion = get_generator("ldm").generate(_request(70, options={"model": str(out), "steps": 2}))
    assert motion.n_frames == 70 and np.isfinite(motion.poses).all()


def _cut_take(tmp_path, scott_motion, seconds=15):
    """A training folder with the take's first ``seconds`` (motion and audio)."""
    import soundfile

    from talkrig.motion import save_motion

    data = tmp_path / "takes"
    data.mkdir()
    save_motion(scott_motion[:30 * seconds], data / "cut.npz")
    samples, rate = soundfile.read(str(SHARED / f"{TAKE}.wav"))
    soundfile.write(str(data / "cut.wav"), samples[:seconds * rate], rate)
    return data


@pytest.mark.parametrize("feature_norm", ["none", "recording"])
def test_the_sample_score_fails_a_model_that_barely_moves(tmp_path, scott_motion, feature_norm):
    """An untrained denoiser's motion hardly moves: the score says so in every figure and the
    diversity constraint fails; the score is the worst |ln ratio|, and the same on a rerun. A
    model trained on per-recording normalised features is scored on them as training saw them."""
    import torch

    from talkrig.plugins.neural.training.backends import trainer_class
    from talkrig.plugins.neural.training.data import load_dataset

    cls = trainer_class("ldm")
    config = cls.make_config({**TINY, "select_seconds": 6.0, "feature_norm": feature_norm})
    dataset = load_dataset(_cut_take(tmp_path, scott_motion), "mel", val_split=0.1)
    stats = {}
    if feature_norm != "none":
        stats.update(zip(("norm_mean", "norm_std"), dataset.normalise_inputs(feature_norm)))
    stats.update(zip(("input_mean", "input_std"), dataset.input_stats()))
    stats.update(zip(("pose_mean", "pose_std"), dataset.pose_stats()))
    torch.manual_seed(0)
    trainer = cls(dataset, config, stats)
    trainer.model.eval()
    score = trainer.selection_score()
    assert not score["ok"] and score["diversity"] < 0.8
    ratios = [score[k] for k in ("angular_speed", "acceleration", "jerk")]
    assert max(ratios) < 0.5
    assert score["score"] == pytest.approx(max(abs(np.log(r)) for r in ratios))
    assert trainer.selection_score() == score  # fixed audio and seeds: deterministic


def test_the_best_scoring_weights_are_exported_and_a_resume_keeps_them(tmp_path, scott_motion,
                                                                       monkeypatch):
    """Scores every epoch: the weights of the best-ranked score (constraints met first, then the
    lowest) are exported, not the last ones, also when a resume scores worse; every score is
    in the model's metadata."""
    import onnxruntime
    import torch

    from talkrig.plugins.generators.ldm.model import DecodeGraph
    from talkrig.plugins.generators.ldm.train import LDMTrainer
    from talkrig.plugins.neural.training.data import load_dataset
    from talkrig.plugins.neural.training.loop import fit, load_checkpoint

    data, out = _cut_take(tmp_path, scott_motion), tmp_path / "model"
    scripted = iter([(3.0, True), (1.0, True), (2.0, True), (1.5, True), (0.5, False)])
    seen = []  # (weights, score) per evaluation
    real_score = LDMTrainer.selection_score

    def scripted_score(self):
        figures = real_score(self)  # the real sampling runs; the ranking is scripted
        value, ok = next(scripted)
        seen.append((self.model, {k: v.clone() for k, v in self.model.state_dict().items()}))
        return dict(figures, score=value, ok=ok)

    monkeypatch.setattr(LDMTrainer, "selection_score", scripted_score)
    config = LDMTrainer.make_config(dict(TINY, select_every=1, select_seconds=5.0, select_seeds=1,
                                         batch=16))
    dataset = load_dataset(data, "mel", val_split=0.1)
    shown = []

    def interrupt_after_three(epoch, epochs, elapsed, losses):
        shown.append(losses.get("score"))
        if epoch == 3:
            raise KeyboardInterrupt  # Ctrl-C: the run saves its state and stops

    torch.set_num_threads(1)
    with pytest.raises(KeyboardInterrupt):
        fit(LDMTrainer, dataset, out, config, epochs=5, progress=interrupt_after_three)
    assert shown == [3.0, 1.0, 2.0]  # each score in the progress line of its epoch
    assert load_checkpoint(out, "ldm")["best"]["epoch"] == 2
    resumed = fit(LDMTrainer, dataset, out, config, epochs=5)
    assert resumed.resumed_from == 3 and resumed.best_epoch == 2  # 0.5 failed its constraint
    meta = json.loads((out / "talkrig_model.json").read_text())
    assert [s["epoch"] for s in meta["training"]["sample_scores"]] == [1, 2, 3, 4, 5]
    assert meta["training"]["best_epoch"] == 2

    model, kept = seen[1][0], seen[1][1]
    last = seen[-1][1]
    latents = np.random.default_rng(0).standard_normal((1, 6, 8)).astype(np.float32)
    (exported,) = onnxruntime.InferenceSession(str(out / "ldm_decode.onnx")).run(
        None, {"latents": latents})

    def decoded(weights):
        model.load_state_dict(weights)
        with torch.no_grad():
            return DecodeGraph(model.eval())(torch.from_numpy(latents)).numpy()

    assert np.abs(exported - decoded(kept)).max() < 1e-4
    assert np.abs(exported - decoded(last)).max() > 1e-3


def test_a_sample_score_that_cannot_run_is_said(tmp_path, scott_motion, caplog):
    """``select_seconds`` below the score's shortest piece, or takes too short to give one, left
    the score off without a word (training exported its last weights as if scored)."""
    import logging

    import torch

    from talkrig.plugins.neural.modeldir import ModelError
    from talkrig.plugins.neural.training.backends import trainer_class
    from talkrig.plugins.neural.training.data import load_dataset

    cls = trainer_class("ldm")
    for seconds in (0, 3.5):
        with pytest.raises(ModelError, match="'select_seconds' must be >= 4 .* while select_every is on"):
            cls.make_config({**TINY, "select_every": 5, "select_seconds": seconds})
    assert cls.make_config({**TINY, "select_seconds": 0})["select_every"] == 0  # off: not checked
    config = cls.make_config({**TINY, "select_every": 1, "select_seconds": 4.0})
    dataset = load_dataset(_cut_take(tmp_path, scott_motion, seconds=3), "mel", val_split=0.1)
    stats = dict(zip(("input_mean", "input_std"), dataset.input_stats()))
    stats.update(zip(("pose_mean", "pose_std"), dataset.pose_stats()))
    torch.manual_seed(0)
    trainer = cls(dataset, config, stats)
    with caplog.at_level(logging.WARNING):
        assert trainer.selection_score() is None
    assert "no take holds 4 s of audio with motion to sample" in caplog.text


def _ripple_take(motion, frames=900, hz=7.5, amplitude=0.08):
    """(vectors, layout, ripple-free vectors): ``frames`` of the real take with a ``hz`` ripple
    of ``amplitude`` rad added to both elbows' bend, the latent rate of a 4-frame stride."""
    from talkrig.motion.skeleton import JOINT_INDEX
    from talkrig.plugins.neural.layout import PoseLayout, motion_to_vectors

    layout = PoseLayout()
    take = motion[:frames]
    rippled = take[:frames]
    rippled.poses = take.poses.copy()
    t = np.arange(frames) / take.fps
    for side in ("left", "right"):
        rippled.poses[:, JOINT_INDEX[f"{side}_elbow"], 1] += amplitude * np.sin(2 * np.pi * hz * t)
    return motion_to_vectors(rippled, layout), layout, motion_to_vectors(take, layout)


def test_a_ripple_at_the_latent_rate_is_taken_out_and_the_slow_motion_kept(scott_motion):
    from talkrig.plugins.generators.ldm.spectrum import BANDS, match_spectrum, motion_spectrum

    rippled, layout, clean = _ripple_take(scott_motion)
    speaking = np.ones(len(clean), bool)
    target = motion_spectrum(clean, layout, speaking)["left arm"]  # the speaker's own
    fast = [k for k, (lo, hi) in enumerate(BANDS) if lo <= 7.5 < hi][0]
    slow = [k for k, (lo, hi) in enumerate(BANDS) if hi <= 4.0]
    assert motion_spectrum(rippled, layout, speaking)["left arm"][fast] > 2 * target[fast]
    matched, gains = match_spectrum(rippled, layout, speaking, {"left arm": target})
    after = motion_spectrum(matched, layout, speaking)["left arm"]
    assert after[fast] < 1.25 * target[fast]
    assert min(gains["left arm"]) < 0.5 and min(gains["left arm"][k] for k in slow) > 0.99
    # Gestures slower than 4 Hz keep their speed (a Gaussian that took the ripple out would
    # halve it at 2-4 Hz), and the speaker's own take is left as it is.
    assert all(after[k] > 0.95 * target[k] for k in slow)
    same, gains = match_spectrum(clean, layout, speaking, {"left arm": target})
    assert all(g == 1.0 for g in gains["left arm"])
    np.testing.assert_allclose(same, clean, atol=1e-6)


def test_the_model_stores_the_speakers_spectrum_and_old_models_keep_their_path(trained, tmp_path):
    import shutil

    from talkrig.inference.generation.generators import get_generator
    from talkrig.plugins.generators.ldm.spectrum import BANDS

    folder = trained[2].folder
    meta = json.loads((folder / "talkrig_model.json").read_text())
    spectrum = meta["motion_spectrum"]
    assert {"trunk", "left arm", "right arm", "left hand", "right hand"} <= set(spectrum)
    assert all(len(bands) == len(BANDS) for bands in spectrum.values())
    assert spectrum["left arm"][0] > spectrum["left arm"][-1] > 0  # slow > fast

    def take(model, **options):
        return get_generator("ldm").generate(_request(300, seed=3, options=dict(
            model=str(model), steps=2, **NETWORK, **options))).poses

    from talkrig.motion.fineturn import LEAVES

    matched, plain = take(folder), take(folder, spectrum=0.0)  # on by default
    assert np.abs(matched - plain).max() > 1e-3
    ldm = get_generator("ldm")
    assert ldm.jitter_spared({"model": str(folder), "spectrum": 0.0, **NETWORK}) == LEAVES  # fine turning only
    assert {12, 15, 18, 21} <= set(ldm.jitter_spared({"model": str(folder), **NETWORK}))
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    del meta["motion_spectrum"]
    (old / "talkrig_model.json").write_text(json.dumps(meta))
    np.testing.assert_array_equal(take(old, spectrum=1.0), plain)  # as it always was
    assert ldm.jitter_spared({"model": str(old), "spectrum": 1.0, **NETWORK}) == LEAVES


def test_seeds_stand_differently(trained):
    """Each seed keeps half of how far the speaker's posture at one moment of his training
    stood from his average (``stance``); 0 leaves them standing alike."""
    from support.neural_support import stance_spreads

    spread, alike = stance_spreads("ldm", trained[2].folder)
    assert spread >= 0.05 and spread > 1.5 * alike
