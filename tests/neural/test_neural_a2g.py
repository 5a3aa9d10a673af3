"""Audio2Gestures: train a tiny cVAE on the real take, export it, serve it without torch."""

import json

import numpy as np
import pytest

from support.neural_support import (NETWORK, SHARED, TAKE, assert_listens, generate_in_subprocess, listening_figures,
                            take_folder, train_tiny)

TINY = {"channels": 16, "window": 64, "batch": 4}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a2g")
    result, _, losses = train_tiny("a2g", take_folder(tmp), tmp / "model", epochs=4, **TINY)
    return result, losses


def test_training_lowers_the_loss(trained):
    result, (before, after) = trained
    assert result.epochs == 4
    assert after < before
    # Every loss of the paper is part of the objective.
    for term in ("motion", "audio", "kl", "align", "relaxed", "bicycle", "diversity"):
        assert np.isfinite(result.losses[term])


def test_export_matches_torch(trained):
    result = trained[0]
    assert set(result.export_diff) == {"generate", "encode"}
    assert max(result.export_diff.values()) < 1e-4
    meta = json.loads((result.folder / "talkrig_model.json").read_text())
    assert meta["backend"] == "a2g" and meta["input"]["kind"] == "mel"
    assert meta["input"]["dim"] == 64 and meta["code"] == 16 and meta["window"] == 64
    assert "norm" not in meta["input"] and meta["format_version"] == 1  # as before the option


def test_plugin_generates_diverse_motion_without_torch(trained):
    result = trained[0]
    summary, first = generate_in_subprocess("a2g", result.folder, seed=0)
    assert summary["torch_imported"] is False
    assert summary["frames"] == summary["expected"] == 1860 and summary["finite"]
    _, again = generate_in_subprocess("a2g", result.folder, seed=0)
    _, other = generate_in_subprocess("a2g", result.folder, seed=1)
    np.testing.assert_array_equal(first["poses"], again["poses"])
    assert np.abs(first["poses"] - other["poses"]).max() > 1e-5


def test_timeline_clip_changes_only_its_time_range(trained):
    result = trained[0]
    clip = SHARED / (TAKE + ".npz")
    # liveliness 0: its one gain per take would carry a change anywhere to the whole take (and
    # so would the play through the training take, planned over the whole take: the network's own)
    _, plain = generate_in_subprocess("a2g", result.folder, seed=3, options={"liveliness": 0.0, **NETWORK})
    _, placed = generate_in_subprocess("a2g", result.folder, seed=3,
                                       options={"clip": str(clip), "clip_at": 30.0,
                                                "liveliness": 0.0, **NETWORK})
    start = 30 * 30
    assert np.abs(plain["poses"][start:] - placed["poses"][start:]).max() > 1e-5
    # Windows that end well before the clip (64 frames each, 16 frames of context) are untouched.
    np.testing.assert_array_equal(plain["poses"][:start - 160], placed["poses"][:start - 160])


def test_motion_follows_the_audio_and_the_seed(trained):
    """A model that ignores its audio (the same motion for speech, silence and another
    recording) or its seed fails this: see ``assert_listens``."""
    assert_listens(listening_figures("a2g", trained[0].folder, options=NETWORK))


def test_seeds_stand_differently(trained):
    """Each seed keeps half of how far the speaker's posture at one moment of his training
    stood from his average (``stance``); 0 leaves them standing alike."""
    from support.neural_support import stance_spreads

    spread, alike = stance_spreads("a2g", trained[0].folder)
    assert spread >= 0.05 and spread > 1.5 * alike
