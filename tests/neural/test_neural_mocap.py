"""A network's motion played through the training takes stored with its model (``neural.mocap``),
on the real take as those takes: no network needed to test the playing itself."""

from types import SimpleNamespace

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import compute_features
from talkrig.inference.generation.generators import GenerationRequest
from talkrig.motion.metrics.artifacts import max_jump
from talkrig.plugins.neural import mocap

UPPER = np.array([3, 6, 9, 12, 15, 16, 17, 18, 19, 20, 21])  # spine, neck, head, arms


@pytest.fixture(scope="module")
def stored(tmp_path_factory, scott_motion):
    """A model folder holding the real take as its training takes."""
    folder = tmp_path_factory.mktemp("model")
    mocap.write(folder, [scott_motion], ["2_scott_0_1_1"])
    return SimpleNamespace(folder=folder, metadata={})


@pytest.fixture(scope="module")
def request_20s(scott2_wav):
    audio = decode_audio(scott2_wav)
    features = compute_features(audio.samples[:21 * audio.sample_rate], audio.sample_rate, 30.0)
    return GenerationRequest(features, [], 600, 30.0, seed=0, options={})


def _sources(motion, real):
    """(T,) the take's frame whose upper body each frame's is exactly, -1 where none (a blend)."""
    index = {row.tobytes(): i for i, row in enumerate(real.poses[:, UPPER].round(5))}
    return np.array([index.get(row.tobytes(), -1) for row in motion.poses[:, UPPER].round(5)])


def test_a_motion_is_played_from_the_stretches_that_move_like_it(stored, request_20s, scott_motion):
    """Following the take's own stretches in another order, the played take is made of those
    stretches where they are followed closely (``follow`` 10: 57-88 % of frames within half a
    second of the frame followed over seeds 0-3, the upper body held near where the seed's legs
    play) and of the take's frames, but less of those where the network's path weighs little
    (0.5: 0-50 %): the path is what picks the frames. Joins blend."""
    source = np.r_[np.arange(700, 1000), np.arange(100, 400)]
    target = scott_motion[source]
    shares = {}
    for weight in (10.0, 0.5):
        for seed in range(4):
            asked = GenerationRequest(request_20s.features, [], 600, 30.0, seed=seed, options={})
            played = mocap.played(stored, asked, target, weight)
            frames = _sources(played, scott_motion)
            assert np.mean(frames >= 0) > 0.6  # the take's own frames, between blends
            assert max_jump(played) < 1.5 * max_jump(scott_motion)
            shares.setdefault(weight, []).append(np.mean(np.abs(frames - source) <= 15))
    print(shares)
    assert np.mean(shares[10.0]) >= 0.6 and np.mean(shares[10.0]) >= np.mean(shares[0.5]) + 0.3


def test_the_face_stays_the_networks_and_nothing_plays_without_takes(stored, request_20s, scott_motion,
                                                                     tmp_path, caplog):
    target = scott_motion[:600]
    target.poses[:, 22, 0] = np.linspace(0.0, 0.3, 600)  # a jaw of its own
    played = mocap.played(stored, request_20s, target, mocap.FOLLOW)
    np.testing.assert_array_equal(played.poses[:, 22], target.poses[:, 22])
    np.testing.assert_array_equal(played.expressions, target.expressions)
    bare = SimpleNamespace(folder=tmp_path, metadata={})  # a model trained before the takes were stored
    assert mocap.played(bare, request_20s, target, mocap.FOLLOW) is None
    (tmp_path / mocap.MOCAP).write_bytes(b"not an npz")  # a damaged file: the network's motion, no traceback
    with caplog.at_level("INFO", logger=mocap.__name__):
        assert mocap.played(bare, request_20s, target, mocap.FOLLOW) is None
    said = [r.getMessage() for r in caplog.records if r.name == mocap.__name__]
    assert len(said) == 1 and "cannot be read" in said[0] and "kept" in said[0]  # one line, naming the file
    assert mocap.played(stored, request_20s, target, 0.0) is None
    live = GenerationRequest(request_20s.features, [], 600, 30.0, seed=0, options={}, streaming=True)
    assert mocap.played(stored, live, target, mocap.FOLLOW) is None


def test_seeds_play_differently(stored, request_20s, scott_motion):
    target = scott_motion[200:800]
    first, again = (mocap.played(stored, request_20s, target, mocap.FOLLOW) for _ in range(2))
    np.testing.assert_array_equal(first.poses, again.poses)
    other = GenerationRequest(request_20s.features, [], 600, 30.0, seed=1, options={})
    assert np.abs(mocap.played(stored, other, target, mocap.FOLLOW).poses - first.poses).max() > 0.05
