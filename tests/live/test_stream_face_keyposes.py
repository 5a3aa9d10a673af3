"""Live frames with a face and with key poses: the face as the offline face stage makes it from
the voice (causal, no jumps between runs of frames), and key poses that start at the next frame
not yet sent once their word was heard (frames already sent never change)."""

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.face import resolve_face
from talkrig.inference.generation.generators import get_generator
from talkrig.inference.generation.keyposes import KeyPoseDictionary
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.live.driver import LiveStream
from talkrig.inference.live.face import LiveFace
from talkrig.motion import Motion
from talkrig.motion.facecurves import JAW_OPEN_RADIANS
from talkrig.motion.rotations import geodesic_distance
from talkrig.motion.skeleton import JOINT_INDEX
from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

FPS = 30.0
CHUNK = 640  # 40 ms
RATE = 16000


@pytest.fixture(scope="module")
def voice(scott2_wav):
    return decode_audio(scott2_wav).samples[: 6 * RATE]


@pytest.fixture(scope="module")
def with_face(voice):
    return run(voice, face=live_face())


def live_face():
    model, options = resolve_face("phones", {})
    return LiveFace(model, options, seed=0)


def run(samples, **extras):
    """(Motion of every frame, [(global start, frames fed so far)]) of a live procedural run."""
    live = LiveStream(get_generator("procedural"), {}, FPS, 0, **extras)
    parts = []
    for i in range(0, len(samples), CHUNK):
        got = live.feed(samples[i:i + CHUNK])
        if got is not None:
            parts.append(got.motion)
    parts.append(live.finish().motion)
    return Motion.concatenate(parts)


def test_live_frames_carry_the_face_the_offline_stage_makes(voice, with_face):
    motion = with_face
    take = generate(voice, GenerateOptions(backend="procedural", speech="none", calm=0.0)).motion
    assert motion.face_names == take.face_names and "jawOpen" in motion.face_names
    jaw, jaw_offline = motion.face_curve("jawOpen"), take.face_curve("jawOpen")
    # the mouth follows the same voice, from less of it (the offline face sees what comes next)
    assert np.corrcoef(jaw, jaw_offline)[0, 1] > 0.7
    assert np.allclose(motion.poses[:, 22, 0], JAW_OPEN_RADIANS * jaw, atol=0.01)  # the jaw bone too
    # no jump where one run of frames meets the next: the mouth moves at most twice as fast as offline
    mouth = [k for k, name in enumerate(motion.face_names) if name.startswith(("jaw", "mouth", "viseme_"))]
    step, step_offline = (np.abs(np.diff(m.face_curves[:, mouth], axis=0)).max(axis=0) for m in (motion, take))
    assert np.all(step <= 2.0 * step_offline + 0.05), np.array(motion.face_names)[mouth][step > 2.0 * step_offline + 0.05]
    assert 0.0 <= motion.face_curves.min() and motion.face_curves.max() <= 1.0
    # the mouth stays shut while the stream has heard only silence (the take starts with 1.3 s)
    assert jaw[:30].max() < 0.02


def test_the_face_sent_never_changes_with_later_audio(voice, with_face, scott_wav):
    other = decode_audio(scott_wav).samples[10 * RATE:12 * RATE]
    a = with_face
    b = run(np.concatenate([voice[:4 * RATE], other]), face=live_face())
    sent = int((4.0 - 0.07) * FPS)  # frames handed out before the audio parted
    assert np.array_equal(a.face_curves[:sent], b.face_curves[:sent])
    assert not np.array_equal(a.face_curves[sent + 20:sent + 50], b.face_curves[sent + 20:sent + 50])


def test_the_music_test_runs_twice_a_second_and_the_mouth_is_the_same(voice, with_face, monkeypatch):
    """Run on every call, the music test was half of a stream's face; every MUSIC_REFRESH
    seconds (its answer carried on between) the mouth opens as it did."""
    from talkrig.inference.live import face as live_face_module

    calls, test = [], live_face_module.not_speech
    monkeypatch.setattr(live_face_module, "not_speech", lambda features: calls.append(1) or test(features))
    monkeypatch.setattr(live_face_module, "MUSIC_REFRESH", 0.0)
    every_call = run(voice, face=live_face())
    per_call = len(calls)
    calls.clear()
    monkeypatch.setattr(live_face_module, "MUSIC_REFRESH", 0.5)
    refreshed = run(voice, face=live_face())
    assert len(calls) <= 6 / 0.5 + 4 < per_call / 5, (len(calls), per_call)
    jaw, jaw_every = refreshed.face_curve("jawOpen"), every_call.face_curve("jawOpen")
    assert np.abs(jaw - jaw_every).max() < 0.05 and np.array_equal(refreshed.face_curves, with_face.face_curves)


class HeardWords:
    """Reports each reference word of a TextGrid in the chunk where its end is heard plus
    ``delay`` seconds (a spotter hears a word once it is spoken), with the spotter's interface."""

    def __init__(self, words, delay=0.15):
        self.words, self.delay, self.heard = list(words), delay, 0

    def feed(self, samples):
        self.heard += len(samples)
        now = self.heard / RATE
        found = [w for w in self.words if w.end + self.delay <= now]
        self.words = [w for w in self.words if w.end + self.delay > now]
        return found


ARM = {"right_shoulder": [0.0, 0.0, 1.2], "right_elbow": [0.0, 1.5, 0.0]}


def test_a_heard_word_strikes_its_pose_from_the_next_frame_on(voice, scott2_textgrid):
    words = [w for w in read_words(read_transcript_file(scott2_textgrid), str(scott2_textgrid)) if w.end < 4.5]
    word = next(w for w in words if w.start > 2.0 and len(w.word) > 3)
    dictionary = KeyPoseDictionary.from_dict({"version": 1, "entries": [
        {"words": [word.word.lower()], "probability": 1.0, "hold": 0.5, "ramp": 0.3, "pose": ARM}]})
    plain = run(voice)
    posed = run(voice, keyposes=dictionary, spotter=HeardWords(words))
    heard = int(np.ceil((word.end + 0.15) * FPS))  # the frames sent by the chunk that heard it
    changed = np.flatnonzero(np.abs(posed.poses - plain.poses).max(axis=(1, 2)) > 1e-6)
    assert changed.size and heard - 3 <= changed[0] <= heard + 3  # from the next unsent frame, not before
    on = changed[0] + int(0.3 * FPS) + 1  # after the ramp the arm holds the pose
    joints = [JOINT_INDEX[j] for j in ARM]
    target = np.asarray(list(ARM.values()), np.float32)
    assert geodesic_distance(posed.poses[on:on + 10, joints], target[None].repeat(10, 0)).max() < 1e-3
    back = changed[-1] + 1  # then hands the arm back to the generator's own motion
    assert back <= on + int((0.5 + 0.3) * FPS) + 2
    assert np.array_equal(posed.poses[back:], plain.poses[back:])
