"""The realism test (motion/metrics/realism.py) on the real BEAT2 take: a statue is caught, the
take's own halves are not, a change to one part is caught in that part only, and the report
names the features that give a take away."""

import json

import numpy as np
import pytest

from talkrig.motion.errors import MotionValueError
from talkrig.motion.metrics.realism import (PARTS, REALISM_METRICS, c2st, feature_set, jittered, realism_lines,
                                            statue, window_features)

CLIP = 480  # frames: 16 s, two 8 s blocks (the least the test holds out)


@pytest.fixture(scope="module")
def clip(scott_motion):
    return scott_motion[:CLIP]


@pytest.fixture(scope="module")
def clip_features(clip):
    return feature_set(clip)


@pytest.fixture(scope="module")
def frozen_feet(clip, clip_features):
    """The clip with both feet joints (SMPL-X 10, 11) held at rest, against the clip (paired)."""
    still = clip.copy()
    still.poses[:, [10, 11]] = 0.0
    return c2st(clip_features, still)


def test_features_names_and_parts_line_up(clip, clip_features):
    features = clip_features
    assert features.values.shape == (len(features.blocks), len(features.names)) == (26, len(features.parts))
    assert len(set(features.names)) == len(features.names) and set(features.parts) == set(PARTS)
    assert np.all(np.isfinite(features.values))
    part = dict(zip(features.names, features.parts))
    assert part["left_foot angular speed mean"] == part["root horizontal speed mean"] == "legs and feet"
    assert part["wrists speed correlation"] == part["left_collar rot6d x.x mean"] == "arms"
    assert part["pelvis rot6d y.z std"] == part["trunk speed energy 4-8 Hz"] == "trunk and head"
    assert part["right_thumb3 angular acceleration std"] == "hands"
    assert not any(name.startswith(("jaw", "left_eye", "right_eye")) for name in features.names)
    assert list(np.bincount(features.blocks)) == [13, 13]  # no window across a block edge
    # a rotation's 6-D components of one joint move together with it: the elbow's own turn
    # changes its features, not the knee's
    bent = clip.copy()
    bent.poses[:, 18, 1] -= 0.3
    changed = np.abs(window_features(bent).values - features.values).max(axis=0) > 1e-6
    assert {n.split(" ")[0] for n, c in zip(features.names, changed) if c} >= {"left_elbow"}
    assert not any(c for n, c in zip(features.names, changed) if n.startswith("left_knee"))


def test_a_statue_is_caught_in_every_part(clip, clip_features):
    """Two statues (twice the real clip's windows: the other side is weighted down)."""
    still = statue(clip)
    result = c2st(clip_features, [still, still])
    assert result.generated_windows == 2 * result.real_windows
    assert result.score > 0.9 and all(p["score"] > 0.9 for p in result.parts.values())


def test_the_takes_own_halves_are_not_caught(scott_motion):
    half = scott_motion.n_frames // 2
    result = c2st(scott_motion[:half], scott_motion[half:], parts=())
    assert result.score < 0.75, realism_lines(result)


def test_copies_of_real_motion_held_out_together_are_not_caught(scott_motion):
    """The first half played four times (a few frames apart) against the second half: held out
    by block alone, each held-out window has a near twin the classifier learned as "other"
    (0.87); with the copies of one stretch held out together it is the halves' test again."""
    half = scott_motion.n_frames // 2
    offsets = np.array([0, 7, 14, 21])
    takes = [scott_motion[o:half] for o in offsets]
    windows = feature_set(takes)
    groups = (offsets[windows.takes] + windows.starts + 30) // 240  # the 8 s block each one plays
    assert c2st(scott_motion[half:], takes, parts=(), groups=groups).score < 0.65
    assert c2st(scott_motion[half:], takes, parts=()).score > 0.8
    with pytest.raises(MotionValueError, match="one label per generated window"):
        c2st(scott_motion[half:], takes, parts=(), groups=groups[:-1])


def test_frozen_feet_are_caught_in_the_legs_only(frozen_feet):
    parts = {p: s["score"] for p, s in frozen_feet.parts.items()}
    assert parts["legs and feet"] > 0.9 and frozen_feet.score > 0.9
    assert parts["arms"] < 0.65 and parts["hands"] < 0.65 and parts["trunk and head"] < 0.65
    top = frozen_feet.giveaways[0]
    assert top.part == "legs and feet" and top.name.split(" ")[0] in ("left_foot", "right_foot")
    assert top.auc > 0.9


def test_invisible_jitter_is_not_caught(scott_motion):
    """0.1 degree per frame, the whole take paired with itself: under the low-pass and the
    visibility floors (without the floors the trees catch it in the still fingers, 0.75)."""
    assert c2st(scott_motion, jittered(scott_motion), parts=()).score < 0.65


def test_the_report_names_what_gives_a_take_away(frozen_feet, clip_features):
    assert set(frozen_feet.metrics()) == set(REALISM_METRICS)
    assert len(frozen_feet.giveaways) == 5
    assert all(g.name in clip_features.names and 0.5 <= g.auc <= 1.0 for g in frozen_feet.giveaways)
    text = "\n".join(realism_lines(frozen_feet))
    assert frozen_feet.giveaways[0].name in text and "legs and feet" in text
    assert json.loads(json.dumps(frozen_feet.to_dict()))["giveaways"][0]["name"] == frozen_feet.giveaways[0].name


def test_too_short_a_take_is_refused(clip):
    with pytest.raises(MotionValueError, match="two 8 s blocks"):
        c2st(clip[:200], clip[200:400], parts=())
    with pytest.raises(MotionValueError, match="at least 2 s"):
        window_features(clip[:50])
