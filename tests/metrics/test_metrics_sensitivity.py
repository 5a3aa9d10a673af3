"""Audio sensitivity and seed diversity: known answers on synthetic motion, and the figures of
the real take that the generator tests read their thresholds against."""

import numpy as np
import pytest

from talkrig.motion import Motion, MotionValueError
from talkrig.motion.metrics.sensitivity import (
    audio_sensitivity,
    motion_spread,
    pause_speed_ratio,
    pose_distance,
    seed_diversity,
    speech_mask,
    speed_energy_correlation,
)


def held(n, angle, joint=18, axis=1):
    """n frames of one held pose: ``joint`` rotated by ``angle`` rad about ``axis``."""
    poses = np.zeros((n, 55, 3), np.float32)
    poses[:, joint, axis] = angle
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=30.0)


def waving(n, amplitude, fps=30.0):
    """The left elbow swinging by ``amplitude`` (per frame, (n,)) at 2 Hz."""
    poses = np.zeros((n, 55, 3), np.float32)
    t = np.arange(n) / fps
    poses[:, 18, 1] = np.asarray(amplitude) * np.sin(2 * np.pi * 2.0 * t)
    return Motion(poses=poses, trans=np.zeros((n, 3)), fps=fps)


def test_pose_distance_is_the_mean_joint_angle():
    # One of the 22 body joints is 0.5 rad away in every frame.
    assert pose_distance(held(40, 0.5), held(40, 0.0)) == pytest.approx(0.5 / 22, rel=1e-5)
    # Only the overlapping frames count: a longer recording is cut to the shorter one.
    assert pose_distance(held(40, 0.5), held(90, 0.0)) == pytest.approx(0.5 / 22, rel=1e-5)
    assert pose_distance(held(40, 0.5), held(40, 0.5)) == pytest.approx(0.0, abs=1e-6)


def test_pose_distance_refuses_other_rates_and_empty_motions():
    other = Motion(poses=np.zeros((10, 55, 3)), trans=np.zeros((10, 3)), fps=25.0)
    with pytest.raises(MotionValueError, match="frame rate"):
        pose_distance(held(10, 0.1), other)
    with pytest.raises(MotionValueError, match="at least one frame"):
        pose_distance(held(10, 0.1), held(10, 0.1)[:0])


def test_real_take_scale_two_stretches_differ_a_copy_does_not(scott_motion):
    half = scott_motion.n_frames // 2
    apart = pose_distance(scott_motion[:half], scott_motion[half:])
    assert 0.15 < apart < 0.4
    assert pose_distance(scott_motion, scott_motion.copy()) == pytest.approx(0.0, abs=1e-6)


def test_motion_spread_of_the_real_take_and_of_a_held_pose(scott_motion):
    assert 0.15 < motion_spread(scott_motion) < 0.4
    assert motion_spread(held(400, 0.3)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(MotionValueError, match="more than 5 s"):
        motion_spread(held(100, 0.3))


def test_seed_diversity_is_zero_for_one_take_and_the_mean_of_pairs():
    assert seed_diversity([held(30, 0.3)] * 3) == pytest.approx(0.0, abs=1e-6)
    # Pairs (0, 0.2), (0, 0.6), (0.2, 0.6): distances 0.2, 0.6, 0.4 on one of 22 joints.
    takes = [held(30, 0.0), held(30, 0.2), held(30, 0.6)]
    assert seed_diversity(takes) == pytest.approx(0.4 / 22, rel=1e-4)
    with pytest.raises(MotionValueError, match="at least 2"):
        seed_diversity([held(30, 0.0)])


def test_a_generator_that_ignores_the_audio_scores_nothing(scott_motion):
    same = scott_motion[:300]
    ignoring = audio_sensitivity(same, silence=same.copy(), other=same.copy())
    assert ignoring["silence_distance"] == pytest.approx(0.0, abs=1e-6)
    assert ignoring["other_distance"] == pytest.approx(0.0, abs=1e-6)
    assert ignoring["silence_speed_ratio"] == pytest.approx(1.0)
    assert ignoring["silence_jaw_ratio"] == pytest.approx(1.0)
    assert ignoring["other_relative"] == pytest.approx(0.0, abs=1e-5)
    # A speaker who rests in silence and moves otherwise on other words scores clearly.
    rest = Motion(poses=np.repeat(scott_motion.poses[:1], 300, 0), trans=np.zeros((300, 3)), fps=30.0)
    listening = audio_sensitivity(same, silence=rest, other=scott_motion[600:900])
    assert listening["silence_speed_ratio"] == pytest.approx(0.0, abs=1e-9)
    assert listening["silence_jaw_ratio"] == pytest.approx(0.0, abs=1e-9)
    assert listening["silence_distance"] > 0.05 and listening["other_distance"] > 0.15
    # Another stretch of the real take is about as far as two moments of it are apart.
    assert 0.7 < listening["other_relative"] < 1.4
    assert set(audio_sensitivity(same)) == set()


def test_speed_follows_loudness():
    n = 600
    t = np.arange(n) / 30.0
    loudness = 0.05 + (np.sin(2 * np.pi * t / 5.0) > 0)  # 2.5 s of speech, 2.5 s of quiet
    following = waving(n, 0.1 + 0.5 * (loudness > 0.5))
    assert speed_energy_correlation(following, loudness) > 0.8
    steady = waving(n, np.full(n, 0.4))
    assert abs(speed_energy_correlation(steady, loudness)) < 0.1
    assert speed_energy_correlation(held(n, 0.2), loudness) == 0.0
    with pytest.raises(MotionValueError, match="energy has"):
        speed_energy_correlation(following, loudness[:100])


def test_real_take_speed_barely_follows_loudness(scott_motion, scott_wav):
    """The real speaker's speed hardly follows his loudness over a phrase (he gestures through
    short pauses), so this figure is reported beside the real take's own, never required high."""
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for

    rms = features_for(decode_audio(str(scott_wav)), 30.0).rms
    assert abs(speed_energy_correlation(scott_motion, rms)) < 0.2


def test_speech_mask_bridges_gaps_between_words():
    words = [(0.5, 1.0), (1.1, 1.5), (3.0, 3.5)]  # a 0.1 s gap, then a 1.5 s pause
    mask = speech_mask(words, 150, 30.0)
    assert mask[15:45].all()  # 0.5-1.5 s, the short gap bridged
    assert not mask[46:89].any()  # the pause
    assert mask[90:105].all() and not mask[106:].any()
    assert not speech_mask(words, 150, 30.0, bridge=0.05)[31:33].any()


def test_pause_speed_ratio(scott_motion, scott_textgrid):
    from talkrig.plugins.neural.training.data import read_word_file

    words = [(w.start, w.end) for w in read_word_file(scott_textgrid) if w.word.strip()]
    speech = speech_mask(words, scott_motion.n_frames, scott_motion.fps)
    assert 0.8 < speech.mean() < 0.97
    # The real speaker keeps gesturing through his pauses, but his jaw calms.
    assert 0.85 < pause_speed_ratio(scott_motion, speech) < 1.3
    assert 0.2 < pause_speed_ratio(scott_motion, speech, part="jaw") < 0.55
    # The same motion frozen in every pause is far calmer there.
    poses = scott_motion.poses.copy()
    for i in range(1, len(poses)):
        if not speech[i]:
            poses[i] = poses[i - 1]
    calm = Motion(poses=poses, trans=scott_motion.trans, fps=30.0)
    assert pause_speed_ratio(calm, speech) < 0.05
    assert pause_speed_ratio(calm, speech, part="jaw") < 0.05
    with pytest.raises(MotionValueError, match="'body' or 'jaw'"):
        pause_speed_ratio(calm, speech, part="hands")
    with pytest.raises(MotionValueError, match="both pause and speech"):
        pause_speed_ratio(scott_motion, np.ones(scott_motion.n_frames, bool))
