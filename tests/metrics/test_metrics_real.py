"""The real mocap take scored by every metric: its own scores are the reference every generator
is compared with, so they must be finite and sensible."""

import numpy as np
import pytest

from talkrig.motion import Motion
from talkrig.motion.metrics import METRICS, frechet_kinetic_distance, quality_report, speed_hellinger


@pytest.fixture(scope="module")
def onsets(scott_wav):
    import librosa
    import soundfile

    samples, rate = soundfile.read(str(scott_wav), dtype="float32")
    return librosa.onset.onset_detect(y=samples, sr=rate, hop_length=512, units="time")


@pytest.fixture(scope="module")
def speech(scott_wav, scott_motion):
    """(speaking mask, RMS energy) of the take's own audio at its frames."""
    from talkrig.inference.evaluate import audio_context

    context = audio_context(scott_wav, scott_motion.fps)
    return context.speaking[:scott_motion.n_frames], context.energy[:scott_motion.n_frames]


@pytest.fixture(scope="module")
def real_report(scott_motion, onsets, speech):
    return quality_report(scott_motion, reference=scott_motion, ground_truth=scott_motion,
                          onset_times=onsets, speaking=speech[0], energy=speech[1])


def test_every_metric_but_those_of_other_takes_is_reported_and_known(real_report):
    # seeds and the same seed on other audio need a generator
    others = {"multimodality", "seed_diversity", "stance_spread", "silence_distance", "other_distance", "silence_speed_ratio",
              "silence_jaw_ratio", "silence_relative", "other_relative"}
    assert set(real_report) == set(METRICS) - others
    assert all(np.isfinite(v) for v in real_report.values())


def test_the_real_take_matches_itself(real_report):
    assert real_report["l1"] == pytest.approx(0.0, abs=1e-12)
    assert real_report["pck"] == 1.0
    assert real_report["fkd"] == pytest.approx(0.0, abs=1e-9)
    assert real_report["speed_hellinger"] == pytest.approx(0.0, abs=1e-12)
    assert real_report["acceleration_ratio"] == pytest.approx(1.0)
    assert real_report["jerk_ratio"] == pytest.approx(1.0)
    assert real_report["angular_speed_ratio"] == pytest.approx(1.0)
    assert real_report["foot_pops"] == 0.0  # a real speaker's planted feet never jump


def test_the_real_take_moves_like_a_person(real_report):
    assert 0.5 < real_report["beat_consistency"] < 1.0
    assert 0.05 < real_report["diversity"] < 1.0  # metres between 50-frame clips
    assert 0.03 < real_report["l1div"] < 1.0
    assert 0.05 < real_report["mean_speed"] < 1.0  # m/s
    assert real_report["frozen_fraction"] == 0.0
    assert real_report["joint_limit_violations"] == 0.0
    assert real_report["foot_sliding"] < 0.05  # m/s; the speaker steps, he does not glide
    assert 0.01 < real_report["max_jump"] < 0.2  # m per frame


def test_other_real_motion_is_closer_than_a_frozen_pose(scott_motion):
    first, second = scott_motion[:600], scott_motion[700:1300]
    frozen = Motion(poses=np.repeat(first.poses[:1], 600, 0), trans=np.repeat(first.trans[:1], 600, 0))
    assert frechet_kinetic_distance(second, first) < frechet_kinetic_distance(frozen, first)
    assert speed_hellinger(second, first) < 0.3 < speed_hellinger(frozen, first)
    report = quality_report(frozen, reference=first)
    assert report["diversity"] == pytest.approx(0.0, abs=1e-12)
    assert report["frozen_fraction"] == 1.0


def test_report_leaves_out_what_it_cannot_measure(scott_motion):
    report = quality_report(scott_motion[:90])
    for key in ("l1", "pck", "beat_consistency", "fkd", "multimodality", "diversity"):
        assert key not in report
    assert "l1div" in report and "max_jump" in report
