"""What the neural generators share: the pose vector layout, text encodings, model folders,
errors a user can cause, and the `talkrig train` command."""

import json

import numpy as np
import pytest

from support.neural_support import NEW_AUDIO, take_folder


def test_pose_vectors_round_trip_a_real_take(scott_motion):
    from talkrig.motion.rotations import geodesic_distance
    from talkrig.plugins.neural.layout import PoseLayout, motion_to_vectors, vectors_to_motion

    layout = PoseLayout()
    clip = scott_motion[:200]
    vectors = motion_to_vectors(clip, layout)
    assert vectors.shape == (200, 53 * 6 + 100)
    back = vectors_to_motion(vectors, layout, fps=30.0, trans=clip.trans[0])
    joints = list(layout.joints)
    assert geodesic_distance(back.poses[:, joints], clip.poses[:, joints]).max() < 1e-4
    np.testing.assert_allclose(back.expressions, clip.expressions, atol=1e-6)
    assert np.all(back.poses[:, [23, 24]] == 0)  # eyes are not modelled
    parts = layout.part_columns()
    assert len(parts["body"]) == 22 * 6 and len(parts["hands"]) == 30 * 6 and len(parts["jaw"]) == 6


def test_text_encoding_follows_the_words():
    from talkrig.inference.speech.words import Word
    from talkrig.plugins.neural.textcode import N_CHARS, TEXT_DIM, text_frames, word_code

    words = [Word("hello", 1.0, 1.5), Word("world", 2.0, 2.5)]
    codes = text_frames(words, 90, 30.0)
    assert codes.shape == (90, TEXT_DIM)
    assert codes[0, N_CHARS] == 1.0  # silence before the first word
    assert codes[30, "abcdefghijklmnopqrstuvwxyz".index("h")] == 1.0
    assert codes[44, "abcdefghijklmnopqrstuvwxyz".index("o")] == 1.0
    np.testing.assert_array_equal(codes[31, N_CHARS + 3:], word_code("Hello"))
    assert not np.array_equal(word_code("hello"), word_code("world"))


@pytest.mark.parametrize("backend", ["a2g", "dr2", "ldm", "s2v"])
def test_missing_model_says_how_to_train_one(backend, tmp_path, monkeypatch):
    from talkrig.inference.features.compute import AudioFeatures
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.motion.errors import TalkrigError

    monkeypatch.setenv("TALKRIG_MODELS", str(tmp_path / "models"))
    generator = get_generator(backend)
    info = generator.describe()
    assert info["capabilities"]["needs_model"] is True
    assert info["model"]["found"] is False
    assert info["model"]["default_dir"] == str(tmp_path / "models" / backend)
    n = 30
    features = AudioFeatures(30.0, 16000, 1.0, np.zeros((n, 64), np.float32),
                             np.zeros((n, 28), np.float32), np.zeros(n), np.zeros(0), np.zeros(n),
                             np.zeros(n), np.zeros(n, bool))
    with pytest.raises(TalkrigError, match=f"talkrig train --backend {backend}"):
        generator.generate(GenerationRequest(features=features, n_frames=n, fps=30.0))


def test_a_model_of_another_backend_is_refused(tmp_path):
    from talkrig.plugins.neural.modeldir import ModelError, read_metadata, write_metadata

    write_metadata(tmp_path, {"backend": "s2v"})
    with pytest.raises(ModelError, match="'s2v' model, not a 'dr2' model"):
        read_metadata(tmp_path, "dr2")


def test_train_command_trains_exports_and_reports(tmp_path, capsys):
    from talkrig.cli import main

    data = take_folder(tmp_path)
    out = tmp_path / "model"
    code = main(["train", "--backend", "s2v", "--data", str(data), "--epochs", "1", "--threads", "1",
                 "--set", "hidden=16", "--set", "window=32", "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "trained 1 epochs" in printed and "max abs difference" in printed
    meta = json.loads((out / "talkrig_model.json").read_text())
    assert meta["config"]["hidden"] == 16 and meta["training"]["epochs"] == 1
    assert (out / "checkpoint.pt").exists() and (out / "s2v.onnx").exists()
    # A model made at 30 fps serves any rate asked for (a 24 fps scene): the pipeline generates
    # at the model's rate and resamples.
    import soundfile as sf

    from talkrig.motion.container import frame_count
    from talkrig.motion.files import load_motion

    samples, rate = sf.read(NEW_AUDIO, dtype="float32")
    clip = tmp_path / "clip.wav"
    sf.write(clip, samples[int(2 * rate):int(5.1 * rate)], rate)
    motion_file = tmp_path / "clip_24.npz"
    assert main(["generate", str(clip), "--backend", "s2v", "--option", f"model={out}", "--fps", "24",
                 "--transcript", "none", "--quiet", "-o", str(motion_file)]) == 0
    motion = load_motion(motion_file)
    assert motion.fps == 24 and motion.n_frames == frame_count(3.1, 24)
    # Resuming with another setting kept the checkpoint's without a word (a model without the
    # feature normalisation asked for); now it says so before training.
    capsys.readouterr()
    assert main(["train", "--backend", "s2v", "--data", str(data), "--epochs", "2", "--threads", "1",
                 "--set", "hidden=16", "--set", "window=32", "--set", "feature_norm=none",
                 "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert "trained with other settings (feature_norm 'recording' there, 'none' asked)" in error
    assert "--fresh" in error and json.loads((out / "talkrig_model.json").read_text())["training"]["epochs"] == 1


@pytest.mark.parametrize("args, message", [
    (["--data", "{tmp}/nowhere"], "no such folder"),
    (["--data", "{data}", "--set", "colour=blue"], "unknown s2v setting 'colour'"),
    (["--data", "{data}", "--set", "hidden=big"], "must be an integer"),
    (["--data", "{data}", "--epochs", "0"], "--epochs must be at least 1"),
    (["--data", "{empty}"], "no .npz or .bvh motion files"),
])
def test_train_command_reports_bad_input_in_one_line(tmp_path, capsys, args, message):
    from talkrig.cli import main

    data = take_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path, data=data, empty=tmp_path / "empty") for a in args]
    code = main(["train", "--backend", "s2v", "-o", str(tmp_path / "out")] + args)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("value", ["0.5", "-1"])
def test_a_weight_average_out_of_range_is_one_line_before_training(tmp_path, capsys, value):
    from talkrig.cli import main

    code = main(["train", "--backend", "ldm", "--data", str(take_folder(tmp_path)), "--set",
                 f"ema={value}", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "ldm setting 'ema'" in err and "sigma_rel must be in (0, 0.289)" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("backend, setting, message", [
    ("a2g", "lr=-1", "a2g setting 'lr' must be > 0, got -1.0"),
    ("a2g", "window=3", "a2g setting 'window' must be >= 4, got 3"),
    ("a2g", "channels=0", "a2g setting 'channels' must be >= 1, got 0"),
    ("a2g", "noise_frames=-2", "a2g setting 'noise_frames' must be >= 0, got -2.0"),
    ("dr2", "batch=0", "dr2 setting 'batch' must be >= 1, got 0"),
    ("dr2", "window=30", "dr2 setting 'window' must be a multiple of 4, >= 4, got 30"),
    ("dr2", "sigma_min=0.5", "dr2 setting 'sigma_min' must not exceed 'sigma_max' (0.3), got 0.5"),
    ("dr2", "lr=nan", "dr2 setting 'lr' must be a finite number, got 'nan'"),
    ("s2v", "epochs=0", "s2v setting 'epochs' must be >= 1, got 0"),
    ("s2v", "dropout=1", "s2v setting 'dropout' must be in [0, 1), got 1.0"),
    ("s2v", "input=video", "s2v setting 'input' must be one of audio, text, got 'video'"),
    ("s2v", "normalised_loss=maybe", "s2v setting 'normalised_loss' must be true or false"),
    ("s2v", "w_diff=-1", "s2v setting 'w_diff' must be >= 0, got -1.0"),
    ("ldm", "minutes=-5", "ldm setting 'minutes' must be > 0, got -5.0"),
    ("ldm", "p_uncond=1.5", "ldm setting 'p_uncond' must be in [0, 1], got 1.5"),
    ("ldm", "w_speed=-1", "ldm setting 'w_speed' must be >= 0, got -1.0"),
    ("ldm", "context=0", "ldm setting 'context' must be >= 1, got 0"),
    ("ldm", "clip=0", "ldm setting 'clip' must be > 0, got 0.0"),
    ("ldm", "window=6", "ldm setting 'window' must be a multiple of the stride 4, >= 8, got 6"),
    ("ldm", "stride=3", "ldm setting 'stride' must be one of 2, 4, got 3"),
    ("ldm", "prediction=eps", "ldm setting 'prediction' must be one of sample, v, got 'eps'"),
])
def test_a_setting_out_of_range_is_one_line_before_the_data_is_read(tmp_path, capsys, backend,
                                                                     setting, message):
    from talkrig.cli import main

    # no data folder at all: the setting must be refused before the data is looked at
    code = main(["train", "--backend", backend, "--data", str(tmp_path / "nowhere"), "--set",
                 setting, "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "reading takes" not in captured.out and not (tmp_path / "out").exists()


def test_every_default_setting_is_within_its_range():
    from talkrig.plugins.neural.training.backends import TRAINERS, trainer_class
    from talkrig.plugins.neural.training.loop import COMMON
    from talkrig.plugins.renderers.vid2vid.train import DEFAULTS, make_config

    for backend in TRAINERS:
        cls = trainer_class(backend)
        assert cls.make_config() == {**COMMON, **cls.DEFAULTS}
    assert make_config() == DEFAULTS


@pytest.mark.parametrize("backend, settings", [
    ("a2g", ["window=4", "batch=1", "w_speed=0", "rho=0", "noise_frames=0", "code_frames=0",
             "feature_norm=recording_std"]),
    ("dr2", ["window=4", "sigma_min=0.3", "w_kinetic=0", "noise_frames=1", "lr=1e-9"]),
    ("s2v", ["dropout=0", "delay_ms=0", "patience=0", "smooth_lower_frames=0", "input=text",
             "normalised_loss=off", "seed=4294967295", "feature_norm=none"]),
    ("ldm", ["p_uncond=1", "p_no_context=0", "p_inpaint=1", "w_latent=0", "minutes=0.01",
             "ema=0", "stride=2", "window=4", "prediction=sample"]),
])
def test_settings_at_the_ends_of_their_ranges_are_taken(tmp_path, capsys, backend, settings):
    from talkrig.cli import main

    args = [a for s in settings for a in ("--set", s)]
    code = main(["train", "--backend", backend, "--data", str(tmp_path / "nowhere"), *args,
                 "-o", str(tmp_path / "out")])
    assert code == 2  # only for want of data: the settings were taken
    assert "no such folder" in capsys.readouterr().err


def test_takes_without_audio_are_motion_only_data(tmp_path, scott_motion):
    from talkrig.motion import save_motion
    from talkrig.plugins.neural.training.data import WindowSampler, load_dataset

    data = take_folder(tmp_path)
    save_motion(scott_motion[:300], data / "motion_only.npz")
    dataset = load_dataset(data, "mel", val_split=0.1)
    summary = dataset.summary()
    assert len(dataset.takes) == 2 and summary["paired_takes"] == 1
    assert summary["frames"] == 1350 + 300
    only = next(t for t in dataset.takes if t.name == "motion_only")
    assert only.inputs is None
    # Paired windows come from the take with audio only; unpaired ones from both (DR²).
    paired = WindowSampler(dataset, dataset.train, 64)
    unpaired = WindowSampler(dataset, dataset.train, 64, paired=False)
    assert {i for i, *_ in paired.ranges} == {dataset.takes.index(t) for t in dataset.takes
                                              if t.inputs is not None}
    assert len(unpaired.ranges) == 2


def test_training_does_not_replace_another_backends_model(tmp_path, capsys):
    """An output folder holding an exported s2v model (no checkpoint: copied, shared): a dr2
    training wrote its own description over it without a word."""
    from talkrig.cli import main
    from talkrig.plugins.neural.modeldir import write_metadata

    out = tmp_path / "mine"
    out.mkdir()
    kept = write_metadata(out, {"backend": "s2v", "fps": 30.0}).read_text()
    code = main(["train", "--backend", "dr2", "--data", str(take_folder(tmp_path)), "--epochs", "1",
                 "-o", str(out)])
    assert code == 2
    assert "holds a trained 's2v' model" in capsys.readouterr().err
    assert (out / "talkrig_model.json").read_text() == kept and not (out / "checkpoint.pt").exists()


def test_train_command_needs_audio_beside_the_motion(tmp_path, capsys):
    from talkrig.cli import main

    data = tmp_path / "motion_only"
    data.mkdir()
    (data / "take.npz").symlink_to(take_folder(tmp_path) / "2_scott_0_1_1.npz")
    code = main(["train", "--backend", "dr2", "--data", str(data), "-o", str(tmp_path / "out")])
    assert code == 2
    assert "no take has matching audio" in capsys.readouterr().err


def test_weight_average_follows_the_power_profile_and_gives_the_weights_back():
    import torch

    from talkrig.plugins.neural.training.ema import WeightAverage, gamma_of

    assert gamma_of(0.10) == pytest.approx(6.94, abs=0.01)  # EDM2's pairing of sigma_rel and gamma
    with pytest.raises(ValueError, match="sigma_rel"):
        gamma_of(0.3)
    model = torch.nn.Linear(1, 1)
    average = WeightAverage(model, 0.10)
    rng = np.random.default_rng(0)
    steps = np.arange(1, 801)
    values = steps / 800 + 0.2 * rng.standard_normal(800)  # drifting, noisy weights
    for value in values:
        with torch.no_grad():
            model.weight.fill_(float(value))
        average.update(model)
    # The average weighs step tau by about tau^gamma: the late weights, with their noise averaged.
    profile = steps ** average.gamma
    expected = float((profile * values).sum() / profile.sum())
    averaged = float(average.weights["weight"])
    assert averaged == pytest.approx(expected, abs=0.01)
    assert abs(averaged - float(values[-1])) > 0.05  # not the last weights
    with average.applied(model):
        assert model.weight.item() == averaged
    assert model.weight.item() == float(np.float32(values[-1]))


@pytest.mark.parametrize("text", [False, True])
def test_a_training_folder_without_speech_is_one_line(tmp_path, scott_motion, text):
    """Takes whose audio is digital silence (or whose word timings hold no word): the model it
    made moved wildly on any speech (its inputs divided by a spread of 0). Refused."""
    import soundfile as sf

    from talkrig.motion import save_motion
    from talkrig.plugins.neural.training.data import TrainingDataError, load_dataset

    save_motion(scott_motion[:90], tmp_path / "take.npz")
    sf.write(tmp_path / "take.wav", np.zeros(16000 * 3, np.float32), 16000)
    (tmp_path / "take.json").write_text(json.dumps({"words": []}))
    with pytest.raises(TrainingDataError, match="no word is said" if text else "no speech is heard"):
        load_dataset(tmp_path, "text" if text else "mel")


class Planted:
    """A pickle that runs code when read: it would create ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_planted_checkpoint_is_refused_and_never_run(tmp_path, capsys):
    """Resuming reads the output folder's checkpoint.pt as data only: a pickle there that
    names code is refused in one line, and its code never runs (model and renderer trainings
    read it the same way)."""
    import torch

    from talkrig.cli import main
    from talkrig.plugins.neural.modeldir import ModelError
    from talkrig.plugins.neural.training.loop import load_checkpoint

    out, marker = tmp_path / "model", tmp_path / "ran"
    out.mkdir()
    data = take_folder(tmp_path)
    for payload in (Planted(marker), {"backend": "s2v", "config": {"hidden": Planted(marker)}}):
        torch.save(payload, out / "checkpoint.pt")
        code = main(["train", "--backend", "s2v", "--data", str(data), "--epochs", "1", "-o", str(out)])
        err = capsys.readouterr().err.strip()
        assert not marker.exists()
        last = err.splitlines()[-1]  # after the progress bar
        assert code == 2 and "Traceback" not in err and "not a checkpoint talkrig wrote" in last, err
        assert last.startswith("talkrig train: error:")
        for backend in ("s2v", "vid2vid"):
            with pytest.raises(ModelError, match="not a checkpoint talkrig wrote"):
                load_checkpoint(out, backend)
    assert not marker.exists()


def test_training_progress_in_a_log_is_plain_lines(tmp_path, capsys):
    """Written to a file (not a terminal), progress is one line per tenth of the way with the
    latest losses, never a bar's redraws."""
    from talkrig.cli import main

    assert main(["train", "--backend", "s2v", "--data", str(take_folder(tmp_path)), "--epochs", "3",
                 "--threads", "1", "--set", "hidden=16", "--set", "window=32", "-o", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err
    lines = [line for line in err.splitlines() if line.startswith("train s2v:")]
    assert [line.split(" (")[0] for line in lines] == [f"train s2v: {n}/3 epoch" for n in (1, 2, 3)]
    assert "total " in lines[-1] and "val " in lines[-1]  # the losses


def test_training_takes_may_be_bvh_files_beside_their_speech(tmp_path, scott_motion):
    """A training folder's takes: NAME.npz, or NAME.bvh (any humanoid skeleton; it held only
    .npz); a take kept as both is one take, its npz."""
    from talkrig.motion.bvh import write_bvh
    from talkrig.motion.files import save_motion
    from talkrig.plugins.neural.training.data import find_takes

    take = scott_motion[:60]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_bvh(take, tmp_path / "a" / "take.bvh")
    (tmp_path / "a" / "take.wav").write_bytes(b"")
    save_motion(take, tmp_path / "b" / "both.npz")
    write_bvh(take, tmp_path / "b" / "both.bvh")
    found = [(p.relative_to(tmp_path).as_posix(), audio is not None) for p, audio, _ in find_takes(tmp_path)]
    assert found == [("a/take.bvh", True), ("b/both.npz", False)]
