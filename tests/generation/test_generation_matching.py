"""Motion matching over a real mocap library (the BEAT2 take, linked, never copied)."""

import os

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import compute_features
from talkrig.inference.generation.generators import GenerationRequest, check_options, get_generator
from talkrig.inference.registry import PluginError
from talkrig.motion.metrics.artifacts import frozen_fraction, max_jump
from talkrig.motion.rotations import geodesic_distance
from talkrig.plugins.generators.matching import library as library_mod

FPS = 30.0


@pytest.fixture(scope="module")
def library(tmp_path_factory, scott_npz, scott_wav):
    folder = tmp_path_factory.mktemp("mocap")
    os.symlink(scott_npz, folder / "take1.npz")
    os.symlink(scott_wav, folder / "take1.wav")
    return folder


@pytest.fixture(scope="module")
def speech(scott2_wav):
    audio = decode_audio(scott2_wav)
    return compute_features(audio.samples[: 30 * 16000], audio.sample_rate, FPS)


@pytest.fixture(scope="module")
def matching():
    return get_generator("matching")


def run(gen, features, library, seed=0, **options):
    opts = check_options(gen, {"library": str(library), **options})
    return gen.generate(GenerationRequest(features, [], features.n_frames, FPS, seed=seed, options=opts))


def test_motion_is_real_mocap_stitched_smoothly(matching, speech, library, scott_motion):
    motion = run(matching, speech, library, seed=1)
    assert motion.n_frames == speech.n_frames and motion.fps == FPS
    # most frames are library frames as they were captured (the jaw follows the new speech)
    body = np.arange(22)
    lib = {row.tobytes() for row in scott_motion.poses[:, body].round(5)}
    exact = np.mean([row.tobytes() in lib for row in motion.poses[:, body].round(5)])
    assert exact > 0.4
    assert frozen_fraction(motion) == 0.0
    assert max_jump(motion) < 1.5 * max_jump(scott_motion)  # transitions blend, no seams


def test_seeded_and_varied(matching, speech, library):
    a, b, c = (run(matching, speech, library, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.poses, b.poses)
    assert geodesic_distance(a.poses[:, 16:22], c.poses[:, 16:22]).mean() > 0.05


def test_jaw_follows_the_new_speech(matching, speech, library):
    motion = run(matching, speech, library)
    assert np.corrcoef(motion.poses[:, 22, 0], speech.rms)[0, 1] > 0.6


def test_leave_one_out_and_bad_libraries(matching, speech, library, tmp_path, scott_npz):
    with pytest.raises(PluginError, match="nothing left to match"):
        run(matching, speech, library, exclude="take1")
    with pytest.raises(PluginError, match="no take named 'take9'.*take1"):
        run(matching, speech, library, exclude="take9")
    with pytest.raises(PluginError, match="does not exist"):
        run(matching, speech, tmp_path / "missing")
    os.symlink(scott_npz, tmp_path / "lonely.npz")  # motion without its audio
    with pytest.raises(PluginError, match="holds no takes.*lonely.npz"):
        run(matching, speech, tmp_path)


def test_index_is_cached_per_library_and_rebuilt_when_it_changes(library, tmp_path, scott_npz, scott_wav):
    first = library_mod.load_library(library, FPS)
    assert library_mod.load_library(library, FPS) is first
    other = tmp_path / "lib2"
    other.mkdir()
    os.symlink(scott_npz, other / "a.npz")
    wav = other / "a.wav"
    os.symlink(scott_wav, wav)
    built = library_mod.load_library(other, FPS)
    assert built is not first and built.takes[0].name == "a"
    os.symlink(scott_npz, other / "b.npz")
    os.symlink(scott_wav, other / "b.wav")  # a new take: the index is rebuilt with it
    rebuilt = library_mod.load_library(other, FPS)
    assert rebuilt is not built and [t.name for t in rebuilt.takes] == ["a", "b"]
    assert rebuilt.n_frames == 2 * built.n_frames


def test_first_segment_is_chosen_by_the_audio_not_the_library_start(matching, scott2_wav, library, scott_motion):
    """Nothing has played before the first segment, so no library frame gets the bonus for
    playing on (frame 0 once got it and opened most takes)."""
    audio = decode_audio(scott2_wav)
    firsts = []
    for offset in (5, 10):  # mid-speech openings, unlike the library's own start
        features = compute_features(audio.samples[offset * 16000:(offset + 3) * 16000], audio.sample_rate, FPS)
        for seed in (0, 1):
            first = run(matching, features, library, seed=seed).poses[0, :22]
            firsts.append(int(np.abs(scott_motion.poses[:, :22] - first).max(axis=(1, 2)).argmin()))
    assert firsts.count(0) <= 1, firsts


def test_keeps_the_library_root_travel_from_where_the_rig_stands(matching, speech, library, scott_motion):
    """By default the body travels as the speaker did (root=library), starting where the rig
    stands, with no jump in the root where segments join; through the feet stage the foot
    bearing the weight does not slide. root=planted keeps the character on the spot."""
    from talkrig.inference.generation.postprocess import postprocess
    from talkrig.motion.metrics import foot_pop_count, foot_skate, leg_activity, root_travel

    motion = run(matching, speech, library, seed=2)
    assert np.allclose(motion.trans[0, [0, 2]], 0.0, atol=1e-6)
    step = np.linalg.norm(np.diff(motion.trans[:, [0, 2]], axis=0), axis=-1)
    real_step = np.linalg.norm(np.diff(scott_motion.trans[:, [0, 2]], axis=0), axis=-1)
    assert step.max() < 2.0 * real_step.max()  # continuous across the joins
    assert root_travel(motion) > 0.5 * root_travel(scott_motion)
    assert leg_activity(motion) > 0.6 * leg_activity(scott_motion)
    finished = postprocess(motion)
    assert foot_skate(finished) <= 1.5 * foot_skate(scott_motion) and foot_pop_count(finished) == 0
    planted = run(matching, speech, library, seed=2, root="planted")
    assert root_travel(planted) == 0.0
