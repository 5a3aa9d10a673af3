"""The live driver on real speech: every frame once and in order, causal, as smooth and as
lively as the offline take of the same generator."""

import os

import numpy as np
import pytest

from talkrig.inference.audio import decode_audio
from talkrig.inference.generators import Generator, get_generator
from talkrig.inference.pipeline import GenerateOptions, generate
from talkrig.inference.registry import PluginError
from talkrig.inference.stream import LOOKAHEAD, LiveStream, can_stream
from talkrig.motion import Motion
from talkrig.motion.container import frame_count
from talkrig.motion.metrics.artifacts import max_jump
from talkrig.motion.metrics.kinematics import joint_positions
from talkrig.motion.rotations import geodesic_distance

FPS = 30.0
SECONDS = 8.0
CHUNK = 640  # 40 ms at 16 kHz
WRISTS = [20, 21]


@pytest.fixture(scope="module")
def voice(scott2_wav):
    return decode_audio(scott2_wav).samples[: int(SECONDS * 16000)]


@pytest.fixture(scope="module")
def library(tmp_path_factory, scott_npz, scott_wav):
    folder = tmp_path_factory.mktemp("mocap")
    os.symlink(scott_npz, folder / "take1.npz")
    os.symlink(scott_wav, folder / "take1.wav")
    return str(folder)


def stream(name, samples, options=None, chunk=CHUNK, seed=0):
    """All frames of a live run, checked to arrive once each and in order."""
    live = LiveStream(get_generator(name), options, FPS, seed)
    parts, fed = [], 0
    for i in range(0, len(samples), chunk):
        fed += len(samples[i:i + chunk])
        got = live.feed(samples[i:i + chunk])
        if got is not None:
            # no frame waits for audio more than the look-ahead after it
            assert got.times[-1] <= fed / 16000 - LOOKAHEAD + 1e-9
            parts.append(got)
    parts.append(live.finish())
    starts = [p.start for p in parts]
    assert starts == list(np.cumsum([0] + [p.motion.n_frames for p in parts[:-1]]))
    motion = Motion.concatenate([p.motion for p in parts])
    assert motion.n_frames == frame_count(len(samples) / 16000, FPS)
    return motion


def offline(name, samples, options=None):
    opts = GenerateOptions(backend=name, speech="none", backend_options=options or {}, calm=0.0)
    return generate(samples, opts).motion


def wrist_speed(motion):
    p = joint_positions(motion, WRISTS, world=False)
    return float(np.mean(np.linalg.norm(np.diff(p, axis=0), axis=-1)) * motion.fps)


def largest_turn(motion):
    return float(geodesic_distance(motion.poses[1:], motion.poses[:-1]).max())


@pytest.mark.parametrize("name", ["procedural", "matching"])
def test_live_motion_is_as_smooth_and_lively_as_offline(name, voice, library):
    options = {"library": library} if name == "matching" else None
    live, take = stream(name, voice, options), offline(name, voice, options)
    # no jumps between calls: no joint moves further in a frame than the offline take's worst
    assert max_jump(live) <= 1.1 * max_jump(take)
    assert largest_turn(live) <= 1.1 * largest_turn(take)
    # the same kind of motion, not a frozen or frantic one
    assert 0.6 <= wrist_speed(live) / wrist_speed(take) <= 1.6


def test_frames_sent_never_change_with_later_audio(voice):
    """Causal: what was handed out after 6 s of audio is the same whatever follows."""
    cut = 6 * 16000
    other = np.concatenate([voice[:cut], 0.3 * np.sin(np.arange(len(voice) - cut) * 0.05).astype(np.float32)])
    a, b = stream("procedural", voice), stream("procedural", other)
    sent = int(np.floor((cut / 16000 - LOOKAHEAD) * FPS)) + 1
    assert np.array_equal(a.poses[:sent], b.poses[:sent])
    assert not np.array_equal(a.poses[sent:], b.poses[sent:])


def test_streaming_is_a_declared_capability():
    assert can_stream(get_generator("procedural")) and can_stream(get_generator("matching"))

    class Offline(Generator):
        name = "offline-only"

    with pytest.raises(PluginError, match="cannot stream"):
        LiveStream(Offline())
