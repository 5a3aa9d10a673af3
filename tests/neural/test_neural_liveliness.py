"""Scaling a regressed take back up to the speaker's pace (``plugins.neural.liveliness``), on the
real take: its gestures shrunk as a model trained on little data shrinks them must come back
close to the real ones, part by part (an elbow does not stay stiff because the shoulder makes up
for it), posture, legs and pauses kept."""

import numpy as np
import pytest

from talkrig.motion.metrics.kinematics import central_speed, jerk, joint_positions, joint_speed
from talkrig.motion.rotations import sixd_to_matrix
from talkrig.plugins.neural.layout import PoseLayout, motion_to_vectors, vectors_to_motion
from talkrig.plugins.neural.liveliness import (FILTER_SPARED, GROUPS, JERK, MAX_FINE_GAIN, MAX_GAIN,
                                              MAX_PAUSE_RATIO, PAUSE, group_pace, lift_pauses, liven,
                                              speech_pace)
from talkrig.plugins.neural.smoothing import smooth_columns
from talkrig.plugins.neural.speedwarp import CONTRAST, PARTS, source_times, warp

LAYOUT = PoseLayout(n_expressions=0)
UPPER = LAYOUT.joint_columns(sorted({j for _, scaled, *_ in GROUPS for j in scaled}))
ARMS = [name for name, *_ in GROUPS if name != "trunk"]


@pytest.fixture(scope="module")
def take(scott_motion, scott_wav):
    """(vectors, speaking) of the real take's first 20 s."""
    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import features_for

    n = 600
    speaking = speech_activity(features_for(decode_audio(str(scott_wav)), 30.0))[:n]
    return motion_to_vectors(scott_motion[:n], LAYOUT), speaking


def shrunk(vectors, factor):
    """The take regressed toward a slow version of itself: upper-body gestures ``factor`` as
    large."""
    slow = smooth_columns(vectors, UPPER, 15.0)
    out = vectors.copy()
    out[:, UPPER] = slow[:, UPPER] + factor * (vectors[:, UPPER] - slow[:, UPPER])
    return out


def test_shrunk_gestures_come_back_to_the_speakers_pace(take):
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    names = {name for name, *_ in GROUPS}
    contrast = {joint + suffix for *_, watched in PARTS for joint, _ in watched for suffix in CONTRAST}
    assert set(target) == names | {name + JERK for name in names} | {name + PAUSE for name in names} | contrast
    assert min(target.values()) > 0
    small = shrunk(vectors, 0.35)
    before = speech_pace(small, LAYOUT, speaking)
    # The pelvis and spine carry more posture than gesture: the trunk loses less than the limbs.
    assert before["trunk"] < target["trunk"]
    assert all(before[k] < 0.6 * target[k] for k in ARMS)
    out, gains = liven(small, LAYOUT, speaking, target)
    assert gains["trunk"] > 1.0
    # Each part comes back by itself: the forearm and hand are not left to the shoulder.
    assert all(1.5 < gains[k] < MAX_GAIN for k in ARMS), gains
    after = speech_pace(out, LAYOUT, speaking)
    for name in names:
        assert after[name] == pytest.approx(target[name], rel=0.1)
    # The fine motion is brought toward the speaker's level too, measured by jerk (a gain of at
    # most MAX_FINE_GAIN: it is mostly a model's jitter).
    for name in ARMS:
        assert before[name + JERK] < after[name + JERK] < 1.1 * target[name + JERK]
        if gains[name + JERK] < MAX_FINE_GAIN:
            assert after[name + JERK] == pytest.approx(target[name + JERK], rel=0.25)
    # The gestures themselves come back, not just their speed: nearer the real take than before.
    error = np.abs(out[:, UPPER] - vectors[:, UPPER]).mean()
    assert error < 0.75 * np.abs(small[:, UPPER] - vectors[:, UPPER]).mean()
    # Legs, root and jaw are untouched.
    others = np.setdiff1d(np.arange(vectors.shape[1]), UPPER)
    np.testing.assert_array_equal(out[:, others], small[:, others])


def test_pauses_keep_their_calm_relative_to_speech(take):
    vectors, speaking = take
    small = shrunk(vectors, 0.35)
    out, _ = liven(small, LAYOUT, speaking, speech_pace(vectors, LAYOUT, speaking))

    def pause_ratio(v):
        """Speed of the elbows and wrists (as the eye sees them) in pauses over speech."""
        speed = joint_speed(joint_positions(vectors_to_motion(v, LAYOUT, 30.0), [18, 19, 20, 21]), 30.0)
        return speed[~speaking[1:]].mean() / speed[speaking[1:]].mean()

    assert pause_ratio(out) == pytest.approx(pause_ratio(small), rel=0.15)


def test_never_slows_gestures_and_leaves_silence_and_strength_zero_alone(take):
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    slower = {k: 0.5 * v for k, v in target.items()}
    out, gains = liven(vectors, LAYOUT, speaking, slower)
    assert {gains[name] for name, *_ in GROUPS} == {1.0}
    # Only fine motion jerkier than the speaker's is toned down, never the gestures.
    assert all(gains[name + JERK] < 1.0 for name in ARMS)
    slow = smooth_columns(vectors, UPPER, 1.5)
    assert np.abs(out - slow).mean() < np.abs(vectors - slow).mean()
    small = shrunk(vectors, 0.3)
    for silent, strength in ((np.zeros(len(speaking), bool), 1.0), (speaking, 0.0)):
        out, gains = liven(small, LAYOUT, silent, target, strength=strength)
        assert set(gains.values()) == {1.0}
        np.testing.assert_array_equal(out, small)
    small = shrunk(vectors, 0.35)
    _, half = liven(small, LAYOUT, speaking, target, strength=0.5)
    _, full = liven(small, LAYOUT, speaking, target)
    assert half["trunk"] == pytest.approx(1.0 + 0.5 * (full["trunk"] - 1.0))
    for name in ARMS:  # the limbs' gains also depend on how far the parts that carry them moved
        assert 1.0 < half[name] < full[name]
    _, capped = liven(shrunk(vectors, 0.05), LAYOUT, speaking, target)
    assert capped["right upper arm"] == MAX_GAIN


def test_a_model_whose_arm_parts_jitter_apart_gets_no_jerkier_wrists_than_the_speaker(take):
    """A model's shoulder and elbow jitter each on their own, where the speaker's work together
    and partly cancel at the wrist: matched part by part, the parts' jerks add up at the wrist."""
    vectors, speaking = take
    small = shrunk(vectors, 0.35)
    # Gestures shrunk, fine motion kept, the elbows' fine motion out of step with the shoulders'.
    fine = vectors[:, UPPER] - smooth_columns(vectors, UPPER, 1.5)[:, UPPER]
    small[:, UPPER] = smooth_columns(small, UPPER, 1.5)[:, UPPER] + fine
    elbows = LAYOUT.joint_columns([18, 19])
    elbow_fine = small[:, elbows] - smooth_columns(small, elbows, 1.5)[:, elbows]
    small[:, elbows] += np.roll(elbow_fine, 9, axis=0) - elbow_fine

    def wrist_jerk(v):
        """(2,) mean jerk of the wrists in speech (m/s^3), the trunk held still."""
        motion = vectors_to_motion(v, LAYOUT, 30.0)
        motion.poses[:, [0, 3, 6, 9]] = 0.0
        magnitude = np.linalg.norm(jerk(joint_positions(motion, [20, 21]), 30.0), axis=-1)
        return magnitude[speaking[:-3] & speaking[3:]].mean(axis=0)

    out, gains = liven(small, LAYOUT, speaking, speech_pace(vectors, LAYOUT, speaking))
    assert all(gains[name] > 1.5 for name in ARMS if "hand" not in name), gains
    assert np.all(wrist_jerk(out) < 1.1 * wrist_jerk(vectors)), wrist_jerk(out) / wrist_jerk(vectors)


def test_gestures_shrunk_to_a_fifth_still_come_back(take):
    """A model hedges most on the hands and, on speech far from its training data, on the whole
    arm: gestures at a fifth of the speaker's size need gains near 5 to move at his pace."""
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    out, gains = liven(shrunk(vectors, 0.2), LAYOUT, speaking, target)
    assert max(gains[name] for name in ARMS) > 4.5, gains
    after = speech_pace(out, LAYOUT, speaking)
    for name in ARMS:
        assert after[name] == pytest.approx(target[name], rel=0.1)


def test_a_trunk_that_sways_only_from_the_hips_comes_back(take):
    """A model may move its upper body through the pelvis alone, the spine, neck and head held
    at their posture: the trunk's gain must reach the pelvis, or nothing moves faster."""
    vectors, speaking = take
    pelvis, spine = LAYOUT.joint_columns([0]), LAYOUT.joint_columns([3, 6, 9, 12, 15])
    small = vectors.copy()
    slow = smooth_columns(vectors, np.concatenate([pelvis, spine]), 15.0)
    small[:, spine] = slow[:, spine]
    small[:, pelvis] = slow[:, pelvis] + 0.3 * (vectors[:, pelvis] - slow[:, pelvis])
    target = {name: value for name, value in speech_pace(small, LAYOUT, speaking).items()
              if name.startswith("trunk")}
    target["trunk"] *= 2.0
    out, gains = liven(small, LAYOUT, speaking, target)
    assert gains["trunk"] > 1.5, gains
    assert speech_pace(out, LAYOUT, speaking)["trunk"] == pytest.approx(target["trunk"], rel=0.1)
    assert np.abs(out[:, pelvis] - vectors[:, pelvis]).mean() < 0.7 * np.abs(small[:, pelvis] - vectors[:, pelvis]).mean()


def test_an_arm_whose_gestures_tremble_is_not_left_jerkier_than_the_speaker(take):
    """A model's arm gestures can carry a 3 Hz tremble the speaker's do not: with its fine motion
    removed the part is still jerkier than his, so its gesture band is narrowed (smoothed) until
    its jerk can come down to his, at his speed."""
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    small = shrunk(vectors, 0.35)
    elbows = LAYOUT.joint_columns([18, 19])
    tremble = 0.06 * np.sin(2.0 * np.pi * 3.0 * np.arange(len(small)) / 30.0)
    small[:, elbows] += tremble[:, None]
    out, gains = liven(small, LAYOUT, speaking, target)
    after = speech_pace(out, LAYOUT, speaking)
    for side in ("left", "right"):
        name = f"{side} forearm"
        assert after[name + JERK] < 1.15 * target[name + JERK], (after, target)
        assert after[name] == pytest.approx(target[name], rel=0.2)


def test_the_trunks_fine_motion_survives_the_pipelines_jitter_filter(scott_motion):
    """The jitter filter leaves the real speaker's trunk as it is (its fine motion is at his
    level) and cuts a trembling trunk's jerk to under half. A livened take asks the pipeline
    to spare them (its fine motion is matched to the speaker's already); a take with
    ``liveliness`` 0 or a backend without the scaling does not."""
    from talkrig.inference.generation.generators import get_generator
    from talkrig.inference.generation.postprocess import smooth_jitter

    trunk = list(FILTER_SPARED)
    real = scott_motion[:600]

    def trunk_jerk(motion):
        """Mean third difference of the trunk joints' rotation vectors (rad/frame^3)."""
        return np.linalg.norm(np.diff(motion.poses[:, trunk], 3, axis=0), axis=-1).mean()

    np.testing.assert_array_equal(smooth_jitter(real).poses[:, trunk], real.poses[:, trunk])
    shaky = real.copy()
    shaky.poses[:, trunk] += np.random.default_rng(0).normal(0.0, 0.01, (real.n_frames, len(trunk), 3))
    assert trunk_jerk(smooth_jitter(shaky)) < 0.6 * trunk_jerk(shaky)
    a2g = get_generator("a2g")
    spared = smooth_jitter(shaky, spare=a2g.jitter_spared({}))
    np.testing.assert_array_equal(spared.poses[:, trunk], shaky.poses[:, trunk])
    np.testing.assert_array_equal(spared.poses[:, [0, 13, 14]], smooth_jitter(shaky).poses[:, [0, 13, 14]])
    # the head and wrists too: the generator filters them itself before turning them finely
    assert set(a2g.jitter_spared({})) == set(trunk) | {15, 20, 21}
    assert a2g.jitter_spared({"liveliness": 0.0}) == ()
    procedural = get_generator("procedural")  # spares the head and arms it gives fine motion itself,
    spared = set(procedural.jitter_spared({}))  # and the joints its body layer fills with his quick turns
    assert {15, 16, 19, 20, 21} <= spared and {3, 6, 9, 12, 25, 54} <= spared
    assert not {0, 13, 14} & spared  # the pelvis and the collars, which carry everything above, stay filtered
    assert not {15, 16, 17, 18, 19} & set(procedural.jitter_spared({"idle": 0}))  # no fine motion of its own
    assert {3, 6, 9, 25} <= set(procedural.jitter_spared({"idle": 0}))


def test_an_arm_at_middling_speeds_is_re_timed_to_hold_and_strike(take):
    """A model that drifts where the speaker holds and strikes: its arms' timing is warped to
    the speaker's speed contrast, the poses at the window joins and the mean speed kept."""
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    arms = sorted({j for _, joints, _ in PARTS for j in joints})
    middling = smooth_columns(vectors, LAYOUT.joint_columns(arms), 8.0)
    out, gammas = warp(middling, LAYOUT, speaking, target)
    assert min(gammas.values()) > 0.0, gammas

    def speeds(v):
        """(T, 4) left and right elbow and wrist speed, m/s, as the eye sees them."""
        return central_speed(joint_positions(vectors_to_motion(v, LAYOUT, 30.0), [18, 19, 20, 21]), 30.0)

    def shape(v):
        """(3, 4) log of the speed's 10/50/97 % quantiles in speech over its mean."""
        inside = speeds(v)[speaking]
        return np.log(np.quantile(inside, [0.1, 0.5, 0.97], axis=0) / inside.mean(0))

    real, before, after = map(shape, (vectors, middling, out))
    # More holds and faster strokes, by the wrists' own median.
    assert np.all(after[0, 2:] - after[1, 2:] < before[0, 2:] - before[1, 2:])
    assert np.all(after[2, 2:] - after[1, 2:] > before[2, 2:] - before[1, 2:])
    assert np.sum((after - real) ** 2) < 0.7 * np.sum((before - real) ** 2)
    # The same poses, re-timed: the joins are where the wrists hold, never more than a window apart.
    motion = vectors_to_motion(middling, LAYOUT, 30.0)
    for name, joints, watched in PARTS:
        columns = LAYOUT.joint_columns(joints)
        speed = central_speed(joint_positions(motion, [j for _, j in watched]), 30.0).sum(axis=1)
        times = source_times(speed, gammas[name], speaking=speaking)
        assert np.all(np.diff(times) > 0.0) and np.abs(times - np.arange(len(times))).max() < 30
        joins = np.flatnonzero(np.isclose(times, np.round(times)) & (np.abs(times - np.arange(len(times))) < 1e-6))
        assert np.diff(joins).max() <= 30 + 2 * 8 and len(joins) >= len(times) // 45
        same = [sixd_to_matrix(v[joins][:, columns].reshape(len(joins), -1, 6)) for v in (out, middling)]
        np.testing.assert_allclose(*same, atol=1e-5)
    np.testing.assert_allclose(speeds(out).mean(0), speeds(middling).mean(0), rtol=0.03)
    others = np.setdiff1d(np.arange(LAYOUT.dim), LAYOUT.joint_columns(arms))
    np.testing.assert_array_equal(out[:, others], middling[:, others])


def test_a_model_without_the_speed_contrast_target_keeps_its_timing(take):
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    middling = smooth_columns(vectors, UPPER, 8.0)
    older = {k: v for k, v in target.items() if not any(k.endswith(s) for s in CONTRAST)}
    for targets, silent, strength in ((older, speaking, 1.0), (target, speaking, 0.0),
                                      (target, np.zeros(len(speaking), bool), 1.0)):
        out, gammas = warp(middling, LAYOUT, silent, targets, strength=strength)
        assert set(gammas.values()) == {0.0}
        np.testing.assert_array_equal(out, middling)


def stilled_in_pauses(vectors, speaking, factor):
    """The take with its upper-body gestures ``factor`` as large in pauses (faded in and out over
    a few frames), as a model falls still when it hears silence."""
    from scipy.ndimage import gaussian_filter1d

    slow = smooth_columns(vectors, UPPER, 15.0)
    weight = (1.0 - factor) * gaussian_filter1d((~speaking).astype(float), 3.0)[:, None]
    out = vectors.copy()
    out[:, UPPER] = vectors[:, UPPER] + weight * (slow[:, UPPER] - vectors[:, UPPER])
    return out


def pause_ratios(vectors, speaking):
    """{group: speed in pauses / speed in speech}, gestures only (fine motion removed)."""
    out = {}
    for group in GROUPS:
        smooth = smooth_columns(vectors, LAYOUT.joint_columns(group[1]), 1.5)
        out[group[0]] = group_pace(smooth, LAYOUT, ~speaking, group) / group_pace(smooth, LAYOUT, speaking, group)
    return out


def test_a_take_gone_still_in_pauses_moves_there_as_the_speaker_did(take):
    """A model that falls still in pauses gets its pause gestures back up to the speaker's share
    of his speed in speech, never above MAX_PAUSE_RATIO of it; speech is left alone."""
    vectors, speaking = take
    assert 30 < (~speaking).sum() < len(speaking) // 2
    target = speech_pace(vectors, LAYOUT, speaking)
    still = stilled_in_pauses(vectors, speaking, 0.2)
    before = pause_ratios(still, speaking)
    out, gains = liven(still, LAYOUT, speaking, target)
    after = pause_ratios(out, speaking)
    lifted = [name for name, *_ in GROUPS if before[name] < 0.8 * min(target[name + PAUSE], MAX_PAUSE_RATIO)]
    assert len(lifted) >= 4, (before, target)
    for name, *_ in GROUPS:
        wanted = min(target[name + PAUSE], MAX_PAUSE_RATIO)
        assert gains[name + PAUSE] >= 1.0
        assert after[name] < 1.15 * max(wanted, before[name]), (name, after, target)
        if name in lifted:
            assert after[name] == pytest.approx(wanted, rel=0.2), (name, before[name], after[name], wanted)
    # Frames of speech away from any pause keep the speech scaling alone.
    speech_only, _ = liven(still, LAYOUT, speaking, {k: v for k, v in target.items() if not k.endswith(PAUSE)})
    away = np.convolve(~speaking, np.ones(31), mode="same") == 0
    assert away.sum() > len(speaking) // 3
    np.testing.assert_allclose(out[away], speech_only[away], atol=1e-6)


def test_a_model_without_pause_targets_keeps_its_pauses(take):
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    still = stilled_in_pauses(vectors, speaking, 0.2)
    older = {k: v for k, v in target.items() if not k.endswith(PAUSE)}
    for targets, voiced, strength in ((older, speaking, 1.0), (target, speaking, 0.0),
                                      (target, np.ones(len(speaking), bool), 1.0)):
        out, gains = lift_pauses(still, LAYOUT, voiced, targets, strength=strength)
        assert set(gains.values()) == {1.0}
        np.testing.assert_array_equal(out, still)


def test_takes_of_a_few_frames_lift_their_pauses_without_an_error(take):
    """The pause rows were found with a convolution whose 'same' output outgrows a take of
    two frames (an index past its end)."""
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    for n in (1, 2, 3):
        voiced = np.arange(n) % 2 == 0
        out, gains = lift_pauses(vectors[:n], LAYOUT, voiced, target)
        assert out.shape == vectors[:n].shape and np.isfinite(out).all()


def test_gestures_only_keeps_the_fine_motion_and_the_same_gesture_gains(take):
    """``fine=False`` (ldm after its spectrum match): the gestures are scaled as with the fine
    motion matched too, the fine motion keeps gain 1 (matched, it would be raised)."""
    vectors, speaking = take
    target = speech_pace(vectors, LAYOUT, speaking)
    calm = vectors.copy()  # the fine motion halved: both gains have work to do
    calm[:, UPPER] = 0.5 * (smooth_columns(vectors, UPPER, 1.5)[:, UPPER] + vectors[:, UPPER])
    full, both = liven(calm, LAYOUT, speaking, target)
    kept, gestures = liven(calm, LAYOUT, speaking, target, fine=False)
    assert any(both[k] > 1.0 for k in both if k.endswith(JERK))
    assert all(gestures[k] == 1.0 for k in gestures if k.endswith(JERK))
    first = GROUPS[0][0]  # measured before any other group moved
    assert gestures[first] == both[first] != 1.0

    def fine_motion(v):
        return np.abs(np.diff(v[:, UPPER], n=3, axis=0)).mean()

    assert fine_motion(kept) < 0.9 * fine_motion(full)
