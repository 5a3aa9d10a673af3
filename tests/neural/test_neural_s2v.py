"""Speech2Video: train a tiny model on the real take, export it, serve it without torch."""

import json

import numpy as np
import pytest

from support.neural_support import NETWORK, generate_in_subprocess, take_folder, train_tiny

TINY = {"hidden": 32, "window": 64, "batch": 4}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("s2v")
    data = take_folder(tmp)
    result, history, losses = train_tiny("s2v", data, tmp / "model", epochs=3, **TINY)
    return data, result, history, losses


def test_training_lowers_the_loss(trained):
    _, result, history, (before, after) = trained
    assert result.epochs == 3 and len(history) == 3
    assert after < before
    assert np.isfinite(result.val_loss)


def test_export_matches_torch_and_is_described(trained):
    result = trained[1]
    assert result.export_diff["model"] < 1e-4
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    assert meta["backend"] == "s2v"
    assert meta["input"]["kind"] == "mfcc" and meta["input"]["dim"] == 28
    assert meta["input"]["norm"]["kind"] == "recording" and meta["format_version"] == 2
    assert len(meta["input"]["mean"]) == 28 and min(meta["input"]["std"]) > 0
    assert meta["delay_frames"] == 6  # 200 ms at 30 fps
    assert meta["training"]["takes"] == ["2_scott_0_1_1"]
    assert meta["training"]["export_max_abs_diff"]["model"] < 1e-4
    assert (result.folder / "s2v.onnx").exists()


@pytest.fixture(scope="module")
def generated(trained):
    """(summary, arrays) of the trained plugin run on new audio (seed 0) in a fresh process."""
    return generate_in_subprocess("s2v", trained[1].folder)


def test_plugin_generates_from_new_audio_without_torch(generated):
    summary, arrays = generated
    assert summary["torch_imported"] is False
    assert summary["frames"] == summary["expected"] == 1860  # 62 s at 30 fps
    assert summary["finite"] and summary["expressions"] == 100
    # It moves: the arms are not frozen in one pose.
    assert arrays["poses"][:, 16:22].std(axis=0).max() > 1e-3


def test_generated_speaker_stands_with_planted_feet(trained, generated):
    from talkrig.plugins.neural.grounding import feet_point

    result = trained[1]
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    _, arrays = generate_in_subprocess("s2v", result.folder, seed=1, options=NETWORK)  # the network's own
    from talkrig.inference.generation.feet import plant_feet
    from talkrig.motion import Motion
    from talkrig.motion.metrics import foot_skate

    feet = feet_point(arrays["poses"]) + arrays["trans"]
    anchor = np.asarray(meta["feet_anchor"])
    # on the floor: the standing step raises the root against the rest of the take where a knee
    # bends past the speaker's (``standing.within_stance``), so the feet leave it only around
    # their median, until the pipeline's feet stage plants them on it
    assert np.median(feet[:, 1]) == pytest.approx(anchor[1], abs=0.01)
    assert np.abs(feet[:, 1] - anchor[1]).max() < 0.1
    # where the speaker stood on average; the root is smoothed (``grounding``, ``standing``), so
    # the feet swing about that place until the pipeline's feet stage plants them there; the
    # standing step sets them under the pelvis as the speaker's stand (a few centimetres)
    np.testing.assert_allclose(feet[:, [0, 2]].mean(axis=0), anchor[[0, 2]], atol=0.1)
    assert arrays["trans"][:, [0, 2]].std(axis=0).max() > 1e-4  # the hips move instead
    motion = Motion(poses=arrays["poses"], trans=arrays["trans"], fps=30.0)
    motion.contacts = np.ones((motion.n_frames, 2), np.float32)
    assert foot_skate(plant_feet(motion)) < 1e-3  # planted, the supporting foot stays put


def test_same_audio_gives_the_same_motion(trained, generated):
    """s2v is deterministic: another seed, in another process, gives the same motion."""
    _, first = generated
    _, second = generate_in_subprocess("s2v", trained[1].folder, seed=2)
    np.testing.assert_array_equal(first["poses"], second["poses"])


def test_the_network_plays_through_the_training_take_stored_with_it(trained, generated, scott_motion,
                                                                    tmp_path):
    """Training stores its takes beside the graphs; the default take is the speaker's own
    frames (``neural.mocap``) with the pipeline's filter sparing none of them, and ``follow`` 0
    or a model without the takes (trained before they were stored) gives the network's own."""
    import shutil

    from talkrig.inference.generation.generators import get_generator
    from talkrig.plugins.neural.mocap import MOCAP

    folder = trained[1].folder
    stored = np.load(folder / MOCAP)
    assert list(stored["names"]) == ["2_scott_0_1_1"] and stored["poses"].shape[0] == scott_motion.n_frames
    np.testing.assert_allclose(stored["poses"][:, :22], scott_motion.poses[:, :22], atol=1e-5)
    upper = [3, 6, 9, 12, 15, 16, 17, 18, 19, 20, 21]
    captured = {row.tobytes() for row in scott_motion.poses[:, upper].round(4)}
    _, played = generated
    share = np.mean([row.tobytes() in captured for row in played["poses"][:, upper].round(4)])
    assert share > 0.5, share
    s2v = get_generator("s2v")
    assert s2v.jitter_spared({"model": str(folder)}) == ()
    _, network = generate_in_subprocess("s2v", folder, seed=3, options=NETWORK)
    assert np.mean([row.tobytes() in captured for row in network["poses"][:, upper].round(4)]) < 0.01
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    (old / MOCAP).unlink()
    _, unplayed = generate_in_subprocess("s2v", old, seed=3)
    np.testing.assert_array_equal(unplayed["poses"], network["poses"])


def test_training_resumes_from_the_checkpoint(trained):
    data, result = trained[:2]
    resumed, history, _ = train_tiny("s2v", data, result.folder, epochs=4, **TINY)
    assert resumed.resumed_from == 3 and resumed.epochs == 4 and len(history) == 1


def test_text_variant_trains_on_word_timings_and_generates(tmp_path, scott2_textgrid):
    from talkrig.inference.speech.words import words_to_json
    from talkrig.plugins.neural.training.data import read_word_file

    result, _, (before, after) = train_tiny("s2v", take_folder(tmp_path), tmp_path / "model",
                                            epochs=4, input="text", **TINY)
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    assert meta["input"]["kind"] == "text" and "norm" not in meta["input"]
    assert after < before
    assert result.export_diff["model"] < 1e-4
    words = tmp_path / "words.json"
    words.write_text(json.dumps(words_to_json(read_word_file(scott2_textgrid))))
    summary, _ = generate_in_subprocess("s2v", result.folder, words_json=words)
    assert summary["torch_imported"] is False and summary["frames"] == 1860


def test_early_stopping_exports_the_best_weights_not_the_last(tmp_path, monkeypatch):
    """Validation falls to epoch 3 then rises: training stops at epoch 6 (patience 3) and the
    exported ONNX model computes what the epoch-3 weights compute."""
    import copy

    import onnxruntime
    import torch

    from talkrig.plugins.neural.training import loop

    scripted = iter([5.0, 4.0, 3.0, 3.5, 3.2, 3.9, 9.0, 9.0])
    states = {}

    def scripted_validation(trainer, batches):
        states[len(states) + 1] = copy.deepcopy(trainer.model.state_dict())
        return next(scripted)

    monkeypatch.setattr(loop, "validation_loss", scripted_validation)
    result, history, _ = train_tiny("s2v", take_folder(tmp_path), tmp_path / "model", epochs=20,
                                    val_every=1, patience=3, **TINY)
    assert result.stopped_early and result.epochs == 6 and len(history) == 6
    assert result.best_epoch == 3 and result.val_loss == 3.0
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    assert meta["training"]["best_epoch"] == 3 and meta["training"]["stopped_early"] is True

    checkpoint = loop.load_checkpoint(result.folder, "s2v")
    trainer = S2VTrainerFor(tmp_path, checkpoint)
    rng = np.random.default_rng(0)
    features = (checkpoint["stats"]["input_mean"] + checkpoint["stats"]["input_std"]
                * rng.standard_normal((1, 50, 28))).astype(np.float32)
    h = np.zeros((trainer.model.layers, 1, trainer.model.hidden), np.float32)
    session = onnxruntime.InferenceSession(str(result.folder / "s2v.onnx"))
    exported = session.run(None, {"features": features, "h0": h, "c0": h})[0]

    def difference(state):
        trainer.model.load_state_dict(state)
        trainer.model.eval()
        with torch.no_grad():
            out = trainer.model(torch.from_numpy(features), torch.from_numpy(h), torch.from_numpy(h))
        return float(np.abs(exported - out[0].numpy()).max())

    assert difference(states[3]) < 1e-4
    assert difference(states[6]) > 1e-3
    # Running the same command again trains no further: the run has ended.
    again, history, _ = train_tiny("s2v", take_folder(tmp_path), tmp_path / "model", epochs=20,
                                   val_every=1, patience=3, **TINY)
    assert again.epochs == 6 and history == [] and again.best_epoch == 3


def S2VTrainerFor(tmp_path, checkpoint):
    """A trainer with the checkpoint's configuration and statistics, to rebuild its network."""
    from talkrig.plugins.neural.training.data import load_dataset
    from talkrig.plugins.generators.s2v.train import S2VTrainer

    dataset = load_dataset(take_folder(tmp_path), "mfcc", val_split=0.1)
    return S2VTrainer(dataset, checkpoint["config"], checkpoint["stats"])


def test_training_stops_when_the_real_validation_loss_rises(tmp_path):
    """Unregularised and with a high learning rate, the LSTM memorises 40 s of speech within
    a few epochs: the loss on the held-out 4.5 s stops improving, training stops, and the
    exported weights are those of the lowest validation loss seen."""
    result, history, _ = train_tiny("s2v", take_folder(tmp_path), tmp_path / "model", epochs=30,
                                    val_every=1, patience=4, lr=0.01, dropout=0.0,
                                    input_noise=0.0, **TINY)
    vals = [h["val"] for h in history]
    assert result.stopped_early and result.epochs < 30
    assert result.val_loss == min(vals) == vals[result.best_epoch - 1]
    assert min(vals[result.best_epoch:]) > result.val_loss
    assert result.epochs - result.best_epoch == 4
    # Meanwhile the training loss kept falling: the network was memorising the take.
    assert history[-1]["total"] < history[result.best_epoch - 1]["total"]


@pytest.mark.parametrize("key, damage", [
    ("fps", lambda m: m.pop("fps")),
    ("fps", lambda m: m.update(fps="thirty")),
    ("input", lambda m: m.pop("input")),
    ("input", lambda m: m["input"].update(std=[1.0])),
    ("speech_pace", lambda m: m["speech_pace"].update({k: "fast" for k in m["speech_pace"]})),
    ("speech_pace", lambda m: m["speech_pace"].update({k: float("nan") for k in m["speech_pace"]})),
    ("delay_frames", lambda m: m.pop("delay_frames")),
    (None, lambda m: m.clear() or m.update(format="talkrig-model") and None),
])
def test_a_damaged_model_description_is_one_line(trained, tmp_path, key, damage):
    """A hand-edited or cut talkrig_model.json: the field it lost is named in one line (these
    were tracebacks in the middle of a generation)."""
    import shutil

    from talkrig.inference.features.compute import AudioFeatures
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.plugins.neural.modeldir import ModelError

    folder = tmp_path / "model"
    shutil.copytree(trained[1].folder, folder)
    path = folder / "talkrig_model.json"
    meta = json.loads(path.read_text())
    if key is None:
        meta = [meta]  # valid JSON, not a description
    else:
        damage(meta)
    path.write_text(json.dumps(meta))
    n = 60
    features = AudioFeatures(30.0, 16000, 2.0, np.zeros((n, 64), np.float32),
                             np.zeros((n, 28), np.float32), np.zeros(n), np.zeros(0), np.zeros(n),
                             np.zeros(n), np.zeros(n, bool))
    request = GenerationRequest(features=features, n_frames=n, fps=30.0,
                                options={"model": str(folder)})
    message = f"its '{key}' entry is missing or damaged" if key else "not a talkrig model description"
    with pytest.raises(ModelError, match=message):
        get_generator("s2v").generate(request)


def test_the_models_description_picked_instead_of_its_folder_is_its_folder(trained):
    """model=DIR/talkrig_model.json (what a file dialog lets one pick) was "no such folder"."""
    from talkrig.inference.generation.generators import get_generator

    folder = trained[1].folder
    generator = get_generator("s2v")
    for picked in (folder / "talkrig_model.json", folder / "s2v.onnx"):
        assert generator.model_folder({"model": str(picked)}) == folder.resolve()
    assert generator.generation_fps({"model": str(folder / "talkrig_model.json")}, 24.0) == 30.0
