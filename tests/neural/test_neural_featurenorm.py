"""Per-recording feature normalisation: a microphone's or a voice's offset per band does not
reach the network, in training and in generation, and models without it work as before."""

import json
import shutil

import numpy as np
import pytest

from support.neural_support import generate_in_subprocess, take_folder, train_tiny

TINY = {"hidden": 16, "window": 32, "batch": 4}


def spectrum(seed=0, n=400, bands=12):
    """(n, bands) log spectrum: speech frames varying around a level, silent frames at a floor."""
    rng = np.random.default_rng(seed)
    speaking = np.zeros(n, bool)
    speaking[40:180] = speaking[220:380] = True
    x = np.full((n, bands), -8.0) + 0.1 * rng.standard_normal((n, bands))
    x[speaking] = rng.normal(2.0, 1.5, (speaking.sum(), bands)) + np.linspace(0, 3, bands)
    return x.astype(np.float32), speaking


def test_a_channel_offset_and_gain_per_band_is_removed():
    from talkrig.plugins.neural.featurenorm import normalise, reference_level

    x, speaking = spectrum()
    reference = reference_level([spectrum(1)])
    rng = np.random.default_rng(5)
    offset = rng.normal(0, 2.0, x.shape[1]).astype(np.float32)
    gain = rng.uniform(0.5, 1.5, x.shape[1]).astype(np.float32)
    # Without the pull toward the training speaker's level (see the next test) exactly removed.
    same = normalise(x, speaking, reference, prior_frames=0)
    np.testing.assert_allclose(normalise(x + offset, speaking, reference, prior_frames=0), same, atol=1e-4)
    assert np.abs(normalise(x * gain, speaking, reference, prior_frames=0) - same).max() > 0.1  # mean only
    scaled = normalise(x, speaking, reference, "recording_std", prior_frames=0)
    np.testing.assert_allclose(normalise(x * gain + offset, speaking, reference, "recording_std",
                                         prior_frames=0), scaled, atol=1e-3)
    # The speech frames' level is the training speaker's.
    np.testing.assert_allclose(scaled[speaking].mean(0), reference[0], atol=1e-4)
    np.testing.assert_allclose(scaled[speaking].std(0), reference[1], rtol=1e-3)
    # Silence does not count: changing the silent frames leaves the speech frames as they were.
    quieter = x.copy()
    quieter[~speaking] -= 5.0
    np.testing.assert_allclose(normalise(quieter, speaking, reference)[speaking],
                               normalise(x, speaking, reference)[speaking], atol=1e-5)
    np.testing.assert_array_equal(normalise(x, speaking, reference, "none"), x)


def test_the_level_starts_at_the_training_speakers_and_moves_to_the_recordings():
    from talkrig.plugins.neural.featurenorm import PRIOR_FRAMES, normalise, reference_level

    x, speaking = spectrum()
    reference = reference_level([spectrum(1)])
    offset = np.float32(4.0)
    # No speech heard yet (a stream's first frames, or a silent recording): nothing is moved.
    np.testing.assert_allclose(normalise(x[:40] + offset, speaking[:40], reference), x[:40] + offset)
    # After n speech frames the offset left is PRIOR_FRAMES / (n + PRIOR_FRAMES) of it.
    for end in (60, 120, 400):
        n = speaking[:end].sum()
        out = normalise(x[:end] + offset, speaking[:end], reference)
        own = normalise(x[:end], speaking[:end], reference)
        np.testing.assert_allclose(out - own, offset * PRIOR_FRAMES / (n + PRIOR_FRAMES), atol=1e-4)
    # Training takes in which no speech is heard (silent or noise-only audio) still give a level:
    # that of all their frames.
    mean, std = reference_level([(x, np.zeros(len(x), bool))])
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(std, x.std(0), rtol=1e-3)


@pytest.fixture(scope="module")
def normalised(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("featurenorm")
    data = take_folder(tmp)
    result, _, _ = train_tiny("s2v", data, tmp / "model", epochs=1, feature_norm="recording_std", **TINY)
    return data, result.folder


def test_a_model_trained_with_it_stores_it_and_generates_without_torch(normalised):
    data, folder = normalised
    meta = json.loads((folder / "talkrig_model.json").read_text())
    norm = meta["input"]["norm"]
    assert norm["kind"] == "recording_std" and meta["config"]["feature_norm"] == "recording_std"
    assert len(norm["mean"]) == len(norm["std"]) == 28 and min(norm["std"]) > 0
    assert meta["format_version"] == 2
    summary, arrays = generate_in_subprocess("s2v", folder)
    assert summary["torch_imported"] is False
    assert summary["frames"] == summary["expected"] and summary["finite"]
    # Resuming normalises the features with the stored level, not a new one.
    train_tiny("s2v", data, folder, epochs=2, feature_norm="recording_std", **TINY)
    assert json.loads((folder / "talkrig_model.json").read_text())["input"]["norm"] == norm


def test_generation_hears_through_a_channel_offset(normalised, tmp_path):
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from talkrig.plugins.neural.modeldir import read_metadata, write_metadata

    _, folder = normalised
    features = features_for(decode_audio(str(folder.parent / "takes" / "2_scott_0_1_1.wav")), 30.0)
    shifted = type(features)(**{**vars(features), "mfcc": (features.mfcc * 1.3 + np.linspace(-20, 20, 28)).astype(np.float32)})
    generator = get_generator("s2v")
    frames = np.arange(0, 900)

    def inputs(model_dir, feats):
        request = GenerationRequest(features=feats, n_frames=900, fps=30.0, options={"model": str(model_dir)})
        return generator.inputs(generator.load(request), request, frames)

    # What reaches the network moves by a twentieth of the shift or less (in the model's input
    # std: 1400 speech frames against the 60 of the training speaker's level).
    std = np.asarray(read_metadata(folder, "s2v")["input"]["std"])
    moved = np.abs(inputs(folder, shifted) - inputs(folder, features)) / std
    assert moved.mean() < 0.05 * (np.abs(shifted.mfcc - features.mfcc)[frames] / std).mean()
    # The same model without the stored normalisation (as models trained before it, format 1)
    # is fed the features as they are.
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    meta = read_metadata(old, "s2v")
    del meta["input"]["norm"]
    write_metadata(old, meta)
    assert json.loads((old / "talkrig_model.json").read_text())["format_version"] == 1
    np.testing.assert_array_equal(inputs(old, shifted), shifted.mfcc[frames])


def test_a_damaged_normalisation_or_a_text_model_is_one_line(normalised, tmp_path):
    from talkrig.plugins.neural.modeldir import ModelError, read_metadata
    from talkrig.plugins.generators.s2v.train import S2VTrainer

    _, folder = normalised
    damaged = tmp_path / "damaged"
    shutil.copytree(folder, damaged)
    meta = json.loads((damaged / "talkrig_model.json").read_text())
    meta["input"]["norm"]["std"] = meta["input"]["norm"]["std"][:5]
    (damaged / "talkrig_model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="input normalisation"):
        read_metadata(damaged, "s2v")
    with pytest.raises(ModelError, match="driven by text"):
        S2VTrainer.make_config({"input": "text", "feature_norm": "recording"})
    with pytest.raises(ModelError, match="one of none, recording, recording_std"):
        S2VTrainer.make_config({"feature_norm": "always"})


def test_it_is_on_where_it_was_measured_to_help():
    from talkrig.plugins.neural.training.backends import trainer_class

    assert trainer_class("s2v").make_config()["feature_norm"] == "recording"
    assert trainer_class("s2v").make_config({"input": "text"})["feature_norm"] == "none"
    for backend in ("a2g", "dr2", "ldm"):
        assert trainer_class(backend).make_config()["feature_norm"] == "none"
    assert trainer_class("a2g").make_config({"feature_norm": "recording"})["feature_norm"] == "recording"


def test_a_model_trained_on_8khz_audio_hears_a_full_band_recording_within_its_range():
    """Mel bands above 4 kHz are silent in 8 kHz training audio (spread at the 1e-3 floor): a
    16 kHz recording's sound there reached the network ~10^4 training std out and a2g trained
    so flailed (7x its speed on the 8 kHz copy). Those bands are held at their training level;
    a full-band model's inputs are untouched."""
    import io
    from types import SimpleNamespace

    import soundfile as sf
    from scipy.signal import resample_poly

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.generators import GenerationRequest, get_generator
    from support.neural_support import TAKE
    from support.shared_data import shared_file

    samples, rate = sf.read(str(shared_file("beat2_scott_train", f"{TAKE}.wav")), dtype="float32")
    wide, narrow = io.BytesIO(), io.BytesIO()
    sf.write(wide, samples[:rate * 10], rate, format="WAV")
    sf.write(narrow, resample_poly(samples[:rate * 10], 8000, rate), 8000, format="WAV")
    full = features_for(decode_audio(wide.getvalue(), name="wide.wav"), 30.0)
    generator, frames = get_generator("a2g"), np.arange(300)

    def network_input(training):
        mel = training.mel
        stats = {"kind": "mel", "mean": mel.mean(0).tolist(), "std": np.maximum(mel.std(0), 1e-3).tolist()}
        model = SimpleNamespace(metadata={"input": stats}, folder="model")
        request = GenerationRequest(features=full, n_frames=full.n_frames, fps=30.0)
        return (generator.inputs(model, request, frames) - stats["mean"]) / stats["std"]

    z = network_input(features_for(decode_audio(narrow.getvalue(), name="narrow.wav"), 30.0))
    assert np.abs(z).max() < 20
    # Trained on the full band: every band is heard as it is.
    np.testing.assert_allclose(network_input(full), (full.mel[frames] - full.mel.mean(0))
                               / np.maximum(full.mel.std(0), 1e-3), atol=1e-4)
