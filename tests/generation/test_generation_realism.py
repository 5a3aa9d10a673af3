"""Post-processing leaves real motion real: the speaker's own mocap through every stage, held
against the untouched take by the realism test (a classifier two-sample test, paired windows).

A stage that starts nailing feet down, smoothing away fine motion or clamping joints a real
speaker reaches again makes these fail: its output of real motion would be told from its input.
"""

import numpy as np
import pytest

from talkrig.inference.generation.feet import plant_feet
from talkrig.inference.generation.postprocess import clamp_joint_limits, postprocess, smooth_jitter
from talkrig.motion.metrics.realism import c2st

pytest.importorskip("sklearn")

CEILING = 0.6  # whole-body AUC: the take's own halves score about 0.5


@pytest.fixture(scope="module")
def real(scott_motion):
    return scott_motion[:720]  # 24 s: three 8 s blocks to hold out in turn


@pytest.mark.parametrize("stage", [clamp_joint_limits, smooth_jitter, plant_feet, postprocess],
                         ids=["limits", "jitter", "feet", "chain"])
def test_a_stage_leaves_the_speakers_motion_as_real_as_it_was(real, stage):
    result = c2st(real, stage(real), paired=True)
    assert result.score <= CEILING, result.giveaways[:3]
    assert max(part["score"] for part in result.parts.values()) <= CEILING


def test_the_test_catches_a_stage_that_nails_the_feet_down(real):
    # the old feet stage: the full solve on real feet (flat soles, fixed plants, steady legs)
    nailed = plant_feet(real, need=1.0)
    result = c2st(real, nailed, paired=True)
    assert result.parts["legs and feet"]["score"] > 0.8


def test_the_test_catches_a_filter_that_smooths_real_fine_motion_away(real):
    smoothed = smooth_jitter(real, need=1.0)
    assert c2st(real, smoothed, paired=True).score > 0.7
    assert not np.array_equal(smoothed.poses, real.poses)
