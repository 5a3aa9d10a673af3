"""The live driver on real speech: every frame once and in order, causal, as smooth and as
lively as the offline take of the same generator."""

import os

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.generators import Generator, get_generator
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.generation.postprocess import LIMITED, clamp_joint_limits
from talkrig.inference.registry import PluginError
from talkrig.inference.live.driver import LOOKAHEAD, LiveStream, can_stream
from talkrig.motion import Motion
from talkrig.motion.container import frame_count
from talkrig.motion.metrics.artifacts import largest_jolt, max_jump
from talkrig.motion.metrics.kinematics import joint_positions
from talkrig.motion.metrics.posture import root_travel
from talkrig.motion.rotations import axis_angle_to_quat, geodesic_distance

FPS = 30.0
SECONDS = 8.0
CHUNK = 640  # 40 ms at 16 kHz
WRISTS = [20, 21]


@pytest.fixture(scope="module")
def voice(scott2_wav):
    return decode_audio(scott2_wav).samples[: int(SECONDS * 16000)]


@pytest.fixture(scope="module")
def other_voices(scott2_wav):
    """The two 8 s that follow ``voice`` in the same recording."""
    samples = decode_audio(scott2_wav).samples
    return [samples[int(k * SECONDS * 16000):int((k + 1) * SECONDS * 16000)] for k in (1, 2)]


@pytest.fixture(scope="module")
def library(tmp_path_factory, scott_npz, scott_wav):
    folder = tmp_path_factory.mktemp("mocap")
    os.symlink(scott_npz, folder / "take1.npz")
    os.symlink(scott_wav, folder / "take1.wav")
    return str(folder)


def stream(name, samples, options=None, chunk=CHUNK, seed=0):
    """All frames of a live run (``name``: a generator's, or a Generator), checked to arrive
    once each and in order."""
    live = LiveStream(name if isinstance(name, Generator) else get_generator(name), options, FPS, seed)
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


def root_path(motion):
    """Metres the root travels over the floor."""
    return root_travel(motion) * (motion.n_frames - 1) / motion.fps


@pytest.mark.parametrize("name", ["procedural", "matching"])
def test_live_motion_is_as_smooth_and_lively_as_offline(name, voice, other_voices, library, scott_motion):
    options = {"library": library} if name == "matching" else None
    live, take = stream(name, voice, options), offline(name, voice, options)
    # no jumps between calls: no joint moves further in a frame than the offline take's worst
    # or the real speaker's (live matching plays his own fastest frames: 0.105 m, while offline
    # its segments, picked near its legs' frames, may not), nor turns faster than his body
    # joints ever do (0.34 rad in a frame)
    assert max_jump(live) <= max(1.1 * max_jump(take), 1.05 * max_jump(scott_motion))
    real_worst = float(geodesic_distance(scott_motion.poses[1:, :22], scott_motion.poses[:-1, :22]).max())
    assert largest_turn(live) <= max(1.1 * largest_turn(take), real_worst)
    # no seam: where a generator's joins come only with its plans (stream_continuous), a body
    # joint's step changes from one frame to the next about as much as offline (the fingers are
    # left out: offline, the jitter filter smooths them; live leaves them). A stream without its
    # joins faded: 12x; joins looked for on every call: 1.7x; on this clip the largest is a
    # stroke of the generator's own that starts the frame after a join, 1.4x; on five other
    # clips 0.6-1.2x (benchmarks/bench_live_joins.py). Matching joins its segments within a plan
    # itself, as offline; when the driver looked for its joins on every call instead, each fast
    # gesture looked like one: 1.9x here, 3-5x with a 22 s library, its wrists 0.6x as fast.
    assert getattr(get_generator(name), "stream_continuous", False)
    assert largest_jolt(live) <= 1.5 * largest_jolt(take)
    # the same kind of motion, not a frozen or frantic one (the median over three clips: on one
    # clip matching's ratio swings 0.58-0.90 with the stretches its library plays), and the body
    # stays where it stands offline (plans that disagreed about the stance slid it 4.4x as far)
    ratios = [wrist_speed(live) / wrist_speed(take)]
    ratios += [wrist_speed(stream(name, v, options)) / wrist_speed(offline(name, v, options)) for v in other_voices]
    assert 0.6 <= np.median(ratios) <= 1.6, ratios
    assert root_path(live) <= 1.5 * root_path(take) + 0.05


class Rerooting(Generator):
    """Walks 1 cm a frame; at frame 30 its elbow and root jump (a join the stream fades), and
    from frame 34 on it stands its root on the frames already shown, as matching's new segments
    do, its poses carrying on smoothly."""

    name = "rerooting"
    streaming = True

    def generate_window(self, request, window):
        frames = np.arange(window.start, window.stop)
        poses = np.zeros((len(frames), 55, 3), np.float32)
        poses[frames >= 30, 18, 2] = 0.4
        walked = np.c_[0.01 * frames, np.full(len(frames), 0.9), np.zeros(len(frames))]
        walked[frames >= 30, 2] += 0.15
        if window.start >= 34 and window.previous is not None:
            last = window.previous.trans[-1].astype(np.float64)
            walked = last + np.outer(np.arange(1, len(frames) + 1), [0.01, 0.0, 0.0])
        return Motion(poses=poses, trans=walked.astype(np.float32), fps=request.fps)


def test_a_root_stood_on_the_frames_shown_does_not_jump(voice):
    """The join at frame 30 is faded out over the next frames, root and all; a generator that
    then stands its root on what was shown gets no second share of that fade (it had: a 13 cm
    jump in live matching, 3 s into a stream)."""
    motion = stream(Rerooting(), voice[:3 * 16000], chunk=320)
    steps = np.linalg.norm(np.diff(motion.trans.astype(np.float64), axis=0), axis=-1)
    assert steps.max() < 0.03, np.round(steps[25:45], 3)


def test_frames_sent_never_change_with_later_audio(voice):
    """Causal: what was handed out after 6 s of audio is the same whatever follows."""
    cut = 6 * 16000
    other = np.concatenate([voice[:cut], 0.3 * np.sin(np.arange(len(voice) - cut) * 0.05).astype(np.float32)])
    a, b = stream("procedural", voice), stream("procedural", other)
    sent = int(np.floor((cut / 16000 - LOOKAHEAD) * FPS)) + 1
    assert np.array_equal(a.poses[:sent], b.poses[:sent])
    assert not np.array_equal(a.poses[sent:], b.poses[sent:])


def test_a_streams_level_is_the_offline_gates_over_what_was_heard(voice):
    """Chunk by chunk, a stream's loudness gain is the offline gate's over every whole gate
    frame heard so far: through near-silence, speech, a part eight times louder (the gate's
    threshold rises and lets quieter frames go) and the speech again."""
    from talkrig.inference.audio.decode import GATE_FRAME, SAMPLE_RATE, loudness_gain
    from talkrig.inference.live.features import LiveFeatures

    speech = voice[:8 * SAMPLE_RATE]
    hiss = np.random.default_rng(0).normal(0.0, 1e-4, 2 * SAMPLE_RATE).astype(np.float32)
    audio = np.concatenate([hiss, speech, 8.0 * speech[:3 * SAMPLE_RATE], speech])
    gate = int(round(GATE_FRAME * SAMPLE_RATE))
    live, heard, checked = LiveFeatures(30.0), 0, 0
    for size in np.resize([640, 37, 1600, 800], len(audio) // 600):
        live.add(audio[heard:heard + size])
        heard = min(len(audio), heard + size)
        whole = heard // gate * gate
        if not whole:
            continue
        energies = np.mean(np.square(audio[:whole].reshape(-1, gate), dtype=np.float64), axis=1)
        expected = loudness_gain(energies)
        if expected is not None:
            assert live.gain == pytest.approx(expected, rel=1e-12)
            checked += 1
    assert checked > 400 and live.gain < 0.5 * loudness_gain(energies[:len(energies) // 2])


def test_streaming_is_a_declared_capability():
    assert can_stream(get_generator("procedural")) and can_stream(get_generator("matching"))

    class Offline(Generator):
        name = "offline-only"

    with pytest.raises(PluginError, match="cannot stream"):
        LiveStream(Offline())


def test_a_stream_takes_its_generator_by_name_as_generate_does():
    live = LiveStream("procedural", fps=FPS)
    assert live.generator is get_generator("procedural")
    heard = [live.feed(np.zeros(1600, np.float32)) for _ in range(20)]  # 2 s
    sent = sum(f.motion.n_frames for f in heard if f is not None) + live.finish().motion.n_frames
    assert sent == round(2.0 * FPS)
    with pytest.raises(PluginError, match="unknown generator 'nope'; available: .*procedural"):
        LiveStream("nope")


class NewPose(Generator):
    """Holds one pose, then from its second plan on another one: every join is a fade."""

    name = "new-pose"
    streaming = True

    def __init__(self, first, then):
        self.poses = (first, then)

    def generate_window(self, request, window):
        motion = Motion.rest(window.n_frames, request.fps)
        motion.poses[:] = self.poses[min(window.index, 1)]
        return motion


def bent_elbows(rng):
    """Two (55, 3) poses with both elbows bent 2.4-3.1 rad, flexing (hinge component > 0),
    whose shortest arc between them crosses a half turn."""
    while True:
        poses = np.zeros((2, 55, 3), np.float32)
        for joint, sign in ((18, -1.0), (19, 1.0)):  # left, right elbow: flexion about -y, +y
            axes = rng.normal(size=(2, 3))
            axes[:, 1] = sign * np.abs(axes[:, 1])
            poses[:, joint] = axes / np.linalg.norm(axes, axis=-1, keepdims=True) * rng.uniform(2.4, 3.1, (2, 1))
        q = axis_angle_to_quat(poses[:, 18:20])
        if np.sum(q[0] * q[1], axis=-1).min() < -0.1:
            return poses


def test_a_fade_between_poses_near_a_half_turn_moves_the_wrists_smoothly(voice):
    """Elbows bent near pi: the shortest arc between two such poses can cross a half turn, where
    the rotation vector flips and the joint limits snap the forearm across in one frame. The
    fade moves the (limited) wrists a small part of the way each frame, never most of it."""
    rng = np.random.default_rng(7)
    audio = voice[: 7 * 16000]  # a fade of up to a full turn takes 5 s
    mirror = np.array([1.0, -1.0, 1.0], np.float32)
    across = np.zeros((2, 55, 3), np.float32)  # 2.4 rad to 3.1 rad about an axis 106 degrees away
    across[:, 19] = [[1.92, 1.44, 0.0], [-2.48, 1.86, 0.0]]
    across[:, 18] = across[:, 19] * mirror
    for first, then in [across, bent_elbows(rng), bent_elbows(rng)]:
        live = LiveStream(NewPose(first, then), fps=FPS)
        parts = [live.feed(audio[i:i + CHUNK]) for i in range(0, len(audio), CHUNK)] + [live.finish()]
        motion = Motion.concatenate([p.motion for p in parts if p is not None])
        wrists = joint_positions(motion, WRISTS, world=False)
        steps = np.linalg.norm(np.diff(wrists, axis=0), axis=-1).max(axis=0)  # (2,) metres
        ends = Motion.rest(2, FPS)
        ends.poses[:] = [first, then]
        ends = joint_positions(clamp_joint_limits(ends), WRISTS, world=False)
        implied = np.linalg.norm(ends[1] - ends[0], axis=-1)  # (2,) where the limits put them
        assert np.all(steps <= 0.1 * implied + 0.005), (steps, implied)
        # and the fade arrives: the last frames show the new pose within its limits
        assert np.allclose(wrists[-1], ends[1], atol=0.01)




class Turning(Generator):
    """Bends the right elbow at one speed, then, from its second plan on, from another place at
    another speed: one join, where both the place and the speed change."""

    name = "turning"
    streaming = True
    stream_continuous = True

    def generate_window(self, request, window):
        motion = Motion.rest(window.n_frames, request.fps)
        frames = np.arange(window.start, window.stop)
        angle = 0.8 + 0.01 * frames if window.index == 0 else 1.2 - 0.01 * frames
        motion.poses[:, 19, 1] = angle
        return motion


def test_a_join_carries_the_speed_over_as_well_as_the_place(voice):
    """A join that only faded the place out went on at the new plan's speed at once (a hand at
    0.05 m per frame went on at 0.02): the speed eases from the old to the new too."""
    live = LiveStream(Turning(), fps=FPS)
    audio = voice[: 3 * 16000]
    parts = [live.feed(audio[i:i + CHUNK]) for i in range(0, len(audio), CHUNK)] + [live.finish()]
    angle = Motion.concatenate([p.motion for p in parts if p is not None]).poses[:, 19, 1]
    step = np.diff(angle.astype(np.float64))
    assert np.allclose(step[:10], 0.01, atol=1e-5)  # the first plan's speed
    assert np.allclose(step[-10:], -0.01, atol=1e-5)  # the second's, once the join has eased out
    # the speed changes by 0.02 rad per frame in all; never by more than half of it in one frame
    assert np.abs(np.diff(step)).max() < 0.01
    assert np.abs(angle[-1] - (1.2 - 0.01 * (len(angle) - 1))) < 1e-4  # and it arrives


def peak_angles(motion):
    """(55,) the largest angle each joint turns to in a take, radians."""
    return np.linalg.norm(motion.poses, axis=-1).max(axis=0)


class Recording:
    """A generator that keeps every frame it hands the live driver (its own motion, before joins)."""

    def __init__(self, inner):
        self.inner, self.frames = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def generate_window(self, request, window):
        part = self.inner.generate_window(request, window)
        self.frames.append(part.poses.copy())
        return part


@pytest.mark.parametrize("recording", ["scott2_wav", "mfa_wav"])
def test_live_limbs_stay_in_the_range_the_offline_take_keeps(recording, request):
    """A new plan every half second starts a fade while the last one still runs: each must
    continue the generator's own motion, not the fade's, and never bend a limb beyond the
    range the generator moves it in (a live elbow once folded to a half turn, 3.1 rad, while
    the generator's own frames, live and offline, stayed below 2.2). Several seeds, one frame
    per call and bursts of audio."""
    samples = decode_audio(request.getfixturevalue(recording)).samples[: 14 * 16000]
    rng = np.random.default_rng(5)
    for seed in (0, 1, 2):
        for chunk in (CHUNK, None):
            generator = Recording(get_generator("procedural"))
            live = LiveStream(generator, None, FPS, seed)
            parts, i = [], 0
            while i < len(samples):
                n = chunk or CHUNK * int(rng.integers(1, 25))
                parts.append(live.feed(samples[i:i + n]))
                i += n
            motion = Motion.concatenate([p.motion for p in parts + [live.finish()] if p is not None])
            peaks = peak_angles(motion)
            # no limited joint turns further than the generator itself turned it in this stream
            own = np.linalg.norm(np.concatenate(generator.frames), axis=-1).max(axis=0)
            assert np.all(peaks[LIMITED] <= own[LIMITED] + 1e-4), (seed, chunk, np.flatnonzero(peaks > own + 1e-4))
            assert largest_turn(motion) < 1.0, (seed, chunk)  # nor flips across a half turn


def test_a_stream_takes_samples_as_a_sound_card_or_a_file_hands_them_over(voice):
    """16-bit integers, 16-bit PCM bytes and (N, 2) stereo chunks give the float stream's
    frames (stereo read as one channel was twice as long, integers were taken as floats of
    thousands); what is no audio is a TalkrigError."""
    from talkrig.motion.errors import TalkrigError

    pcm = np.round(voice[: 4 * 16000] * 32767).astype(np.int16)

    def frames(chunks):
        live = LiveStream(get_generator("procedural"), None, FPS, 0)
        parts = [live.feed(chunk) for chunk in chunks] + [live.finish()]
        return Motion.concatenate([p.motion for p in parts if p is not None])

    cut = [slice(i, i + CHUNK) for i in range(0, len(pcm), CHUNK)]
    floats = frames([pcm[k] / np.float32(32768) for k in cut])
    assert floats.n_frames == frame_count(4.0, FPS)
    for given in ([pcm[k] for k in cut], [pcm[k].tobytes() for k in cut],
                  [np.stack([pcm[k], pcm[k]], axis=1) for k in cut]):
        np.testing.assert_allclose(frames(given).poses, floats.poses, atol=1e-5)
    live = LiveStream(get_generator("procedural"), None, FPS, 0)
    for wrong in (b"\x00" * 7, "speech", np.zeros((2, 2, 100))):
        with pytest.raises(TalkrigError):
            live.feed(wrong)
