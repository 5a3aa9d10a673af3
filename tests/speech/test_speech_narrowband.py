"""Speech recorded narrower than 16 kHz (a telephone's 8 kHz, old dialogue at 11 kHz), as files
saved at that rate: heard as speech, its English words kept, the take moving as with the
wideband recording. Before, the bands left empty above 4 kHz made a whole real lecture look like
one held chord (none of it heard as speech: the body stood still, the jaw shut), and English
words were dropped as another language's."""

import logging

import numpy as np
import pytest
import soundfile

from support.shared_data import shared_file
from talkrig.inference.audio.decode import DecodedAudio, decode_audio, resample
from talkrig.inference.features.activity import bandwidth_hz, speech_activity
from talkrig.inference.features.compute import features_for
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.transcripts.textgrid import word_intervals

FPS = 30.0


def _saved_at(samples, rate, path):
    """The 16 kHz ``samples`` saved as a ``rate`` Hz WAV file, as a user has them."""
    soundfile.write(path, resample(np.asarray(samples, np.float32), 16000, rate), rate)
    return path


@pytest.fixture(scope="module")
def lecture():
    """30 s of the real lecture video's sound (a hall, CC BY)."""
    return decode_audio(str(shared_file("video_ccby", "physicsworks.webm"))).samples[:30 * 16000]


def test_the_bandwidth_a_recording_has_is_read_whatever_rate_it_was_saved_at(lecture, tmp_path):
    wide = bandwidth_hz(lecture)
    assert wide > 7000.0
    for rate, low, high in ((8000, 3000.0, 4200.0), (11025, 4800.0, 5800.0)):
        narrow = decode_audio(str(_saved_at(lecture, rate, tmp_path / f"{rate}.wav")))
        assert low < bandwidth_hz(narrow.samples) < high, rate


@pytest.mark.parametrize("rate", [8000, 11025])
def test_a_lecture_recorded_through_a_narrow_band_is_heard_as_speech_and_moves_the_take(lecture, rate,
                                                                                         tmp_path):
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

    wide = DecodedAudio(lecture, 16000, name="lecture.webm")
    narrow = decode_audio(str(_saved_at(lecture, rate, tmp_path / "narrow.wav")))
    heard = {name: speech_activity(features_for(audio, FPS)).mean() for name, audio in
             (("wide", wide), ("narrow", narrow))}
    assert heard["wide"] > 0.6
    assert abs(heard["narrow"] - heard["wide"]) < 0.05, heard  # the code before: 0.00 at 8 kHz

    options = GenerateOptions(backend="procedural", seed=0, speech="none")
    moves = {}
    for name, audio in (("wide", wide), ("narrow", narrow)):
        motion = generate(audio, options).motion
        wrists = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)[1][
            :, [J["left_wrist"], J["right_wrist"]]]
        moves[name] = (np.linalg.norm(np.diff(wrists, axis=0), axis=-1).mean() * motion.fps,
                       np.abs(motion.poses[:, J["jaw"]]).mean())
    (wrist_wide, jaw_wide), (wrist_narrow, jaw_narrow) = moves["wide"], moves["narrow"]
    assert wrist_narrow > 0.8 * wrist_wide, moves  # before: 0.08 m/s against 0.58
    assert jaw_narrow > 0.8 * jaw_wide, moves  # before: shut


def test_a_performer_streaming_through_a_telephones_band_moves_as_through_a_full_one(lecture):
    # a headset's 8 kHz microphone, streamed live: before, 0.38 m/s against 0.54
    from talkrig.inference.generation.generators import get_generator
    from talkrig.inference.live.driver import LiveStream
    from talkrig.motion import Motion
    from talkrig.motion.metrics.kinematics import joint_positions

    clip = lecture[:12 * 16000]
    speeds = []
    for samples in (clip, resample(resample(clip, 16000, 8000), 8000, 16000)):
        live = LiveStream(get_generator("procedural"), fps=FPS)
        parts = [live.feed(samples[i:i + 640]) for i in range(0, len(samples), 640)] + [live.finish()]
        motion = Motion.concatenate([p.motion for p in parts if p is not None])
        wrists = joint_positions(motion, [20, 21], world=False)
        speeds.append(np.linalg.norm(np.diff(wrists, axis=0), axis=-1).mean() * motion.fps)
    assert speeds[1] > 0.9 * speeds[0], speeds


def test_english_recorded_at_8_khz_keeps_its_words_with_a_notice(scott2_wav, scott2_textgrid, tmp_path,
                                                                caplog):
    clip = decode_audio(str(scott2_wav)).samples[:25 * 16000]
    audio = decode_audio(str(_saved_at(clip, 8000, tmp_path / "phone.wav")))
    with caplog.at_level(logging.WARNING):
        words = find_words(audio, "auto", None, {"workers": 1})
    assert len(words) >= 40  # the code before: none, taken for another language
    truth = np.array([start for start, end, _ in word_intervals(scott2_textgrid.read_text(encoding="utf-8"))
                      if end <= 25.0])
    onsets = np.array([w.start for w in words])
    assert np.median(np.abs(onsets[:, None] - truth[None]).min(axis=1)) < 0.05
    notices = [r.getMessage() for r in caplog.records if "kHz" in r.getMessage()]
    assert len(notices) == 1 and "\n" not in notices[0] and "--language" in notices[0], notices
