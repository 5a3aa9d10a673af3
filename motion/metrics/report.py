"""All metrics of one motion in one call: what `talkrig eval`, the quality benchmark and the
generators' own quality checks print.
"""

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import MotionValueError
from .accuracy import l1_error, pck
from .artifacts import foot_sliding, frozen_fraction, joint_limit_violations, max_jump
from .beats import beat_consistency
from .distribution import (
    DISTRIBUTION_JOINTS,
    frechet_kinetic_distance,
    mean_acceleration,
    mean_angular_speed,
    mean_jerk,
    mean_speed,
    speed_hellinger,
)
from .feet import foot_pops, longest_lift
from .phrasing import longest_idle_speech
from .posture import posture_report, stance_spread
from .sensitivity import pause_speed_ratio, seed_diversity, speed_energy_correlation
from .variety import diversity, l1_div, multimodality

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricInfo:
    """How to read one metric: its unit, which way is better, and a short label."""

    label: str
    unit: str
    better: str  # "higher", "lower", or "reference" (closer to the real take's own value)
    needs: str = ""  # "", "audio", "reference", "ground truth" or "samples"
    # the baseline row a generator must beat for this figure to mean anything: "static" (a
    # static mean pose), "shifted" (the real motion on the wrong audio) or ""
    baseline: str = ""


METRICS = {
    "l1": MetricInfo("L1 joint error", "m", "lower", "ground truth", "static"),
    "pck": MetricInfo("PCK @ 2 cm", "fraction", "higher", "ground truth", "static"),
    "beat_consistency": MetricInfo("beat consistency", "0..1", "higher", "audio", "shifted"),
    "diversity": MetricInfo("diversity (50-frame clips)", "m", "reference"),
    "multimodality": MetricInfo("multimodality (seeds)", "m", "higher", "samples"),
    "seed_diversity": MetricInfo("seed diversity (pose angle)", "rad", "higher", "samples"),
    "stance_spread": MetricInfo("stance apart across seeds (mean pose)", "rad", "higher", "samples"),
    "l1div": MetricInfo("L1div", "m", "reference"),
    "fkd": MetricInfo("Frechet kinetic distance", "", "lower", "reference", "static"),
    "speed_hellinger": MetricInfo("speed histogram Hellinger", "0..1", "lower", "reference", "static"),
    "mean_speed": MetricInfo("mean joint speed (upper body)", "m/s", "reference"),
    "angular_speed": MetricInfo("angular speed (upper body)", "rad/s", "reference"),
    "mean_acceleration": MetricInfo("mean acceleration (upper body)", "m/s^2", "reference"),
    "mean_jerk": MetricInfo("mean jerk (upper body)", "m/s^3", "reference"),
    "angular_speed_ratio": MetricInfo("angular speed / real", "ratio", "reference", "reference"),
    "acceleration_ratio": MetricInfo("acceleration / real", "ratio", "reference", "reference"),
    "jerk_ratio": MetricInfo("jerk / real", "ratio", "reference", "reference"),
    "pause_speed_ratio": MetricInfo("speed in pauses / in speech", "ratio", "lower", "audio"),
    "pause_jaw_ratio": MetricInfo("jaw speed in pauses / in speech", "ratio", "lower", "audio"),
    "longest_idle_speech": MetricInfo("longest speech without a stroke", "s", "lower", "audio"),
    "speed_energy_correlation": MetricInfo("speed-loudness correlation", "r", "higher", "audio"),
    "silence_distance": MetricInfo("pose change on silence (same seed)", "rad", "higher", "audio"),
    "other_distance": MetricInfo("pose change on other speech (same seed)", "rad", "higher", "audio"),
    "silence_speed_ratio": MetricInfo("speed on silence / on speech", "ratio", "lower", "audio"),
    "silence_jaw_ratio": MetricInfo("jaw speed on silence / on speech", "ratio", "lower", "audio"),
    "silence_relative": MetricInfo("pose change on silence / own spread", "ratio", "higher", "audio"),
    "other_relative": MetricInfo("pose change on other speech / own spread", "ratio", "higher", "audio"),
    "pose_fd_body": MetricInfo("pose distance, body", "", "lower", "reference", "static"),
    "pose_fd_arms": MetricInfo("pose distance, arms", "", "lower", "reference", "static"),
    "pose_fd_legs": MetricInfo("pose distance, legs", "", "lower", "reference", "static"),
    "pose_fd_spine": MetricInfo("pose distance, spine and head", "", "lower", "reference", "static"),
    "leg_activity": MetricInfo("leg activity (hips, knees, ankles)", "rad/s", "reference"),
    "leg_activity_ratio": MetricInfo("leg activity / real", "ratio", "reference", "reference"),
    "root_travel": MetricInfo("horizontal root travel", "m/s", "reference"),
    "root_travel_ratio": MetricInfo("root travel / real", "ratio", "reference", "reference"),
    "knee_flexion": MetricInfo("knee flexion, median", "rad", "reference"),
    "knee_flexion_p95": MetricInfo("knee flexion, 95th percentile", "rad", "reference"),
    "pelvis_offset": MetricInfo("pelvis ahead of the ankles, median", "m", "reference"),
    "pelvis_offset_p95": MetricInfo("pelvis off the ankles, 95th percentile", "m", "reference"),
    "foot_skate": MetricInfo("foot skate (supporting foot)", "m/s", "lower"),
    "foot_skate_ratio": MetricInfo("foot skate / real", "ratio", "lower", "reference"),
    "angular_jerk": MetricInfo("angular jerk (upper body, global)", "rad/s^3", "reference"),
    "angular_jerk_ratio": MetricInfo("angular jerk / real", "ratio", "reference", "reference"),
    "root_jolt": MetricInfo("root jolt (largest speed change in a frame)", "m/s^2", "lower"),
    "root_jolt_ratio": MetricInfo("root jolt / real", "ratio", "lower", "reference"),
    "foot_pops": MetricInfo("foot pops", "1/min", "lower"),
    "longest_lift": MetricInfo("longest foot lift", "s", "reference"),
    "foot_sliding": MetricInfo("foot sliding", "m/s", "lower"),
    "joint_limit_violations": MetricInfo("joint-limit violations", "fraction", "lower"),
    "frozen_fraction": MetricInfo("frozen frames", "fraction", "lower"),
    "max_jump": MetricInfo("max frame-to-frame jump", "m", "lower"),
}


def _try(name, func, *args, **kwargs):
    """func(...) as a float, or None when the motion is too short for that metric."""
    try:
        return float(func(*args, **kwargs))
    except MotionValueError as exc:
        log.debug("metric %s skipped: %s", name, exc)
        return None


def quality_report(motion, reference=None, ground_truth=None, onset_times=None, samples=None,
                   speaking=None, energy=None, skeleton=None):
    """Every metric that applies, as {name: float}; see ``METRICS`` for units and direction.

    motion : the Motion to score.
    reference : a real take (any audio) for the distribution metrics and the ratios.
    ground_truth : the real take of the SAME audio, for L1 and PCK, compared on the frames both
        have (see ``accuracy.aligned_positions``).
    onset_times : (N,) audio onsets in seconds, for beat consistency.
    samples : other Motions generated for the same audio (with other seeds), for multimodality
        and seed diversity; ``motion`` itself is counted as one of them.
    speaking : (T,) bool, someone speaks in the frame: for the pause/speech speed ratio.
    energy : (T,) audio RMS per frame: for the speed-loudness correlation.

    Metrics a short motion cannot support (e.g. diversity under 100 frames) are left out.
    """
    kw = {"skeleton": skeleton}
    # Dynamics are compared on the upper body, where the gestures are: a real speaker may walk
    # about the stage, while generated speakers stand with planted feet by design.
    upper = {"skeleton": skeleton, "joints": DISTRIBUTION_JOINTS}
    out = {}
    if ground_truth is not None:
        out["l1"] = l1_error(motion, ground_truth, **kw)
        out["pck"] = pck(motion, ground_truth, **kw)
    if onset_times is not None:
        out["beat_consistency"] = beat_consistency(motion, onset_times, **kw)
    out["diversity"] = _try("diversity", diversity, motion, **kw)
    if samples:
        out["multimodality"] = _try("multimodality", multimodality, [motion, *samples], **kw)
        out["seed_diversity"] = _try("seed_diversity", seed_diversity, [motion, *samples])
        out["stance_spread"] = _try("stance_spread", stance_spread, [motion, *samples])
    out["l1div"] = l1_div(motion, **kw)
    if reference is not None:
        out["fkd"] = _try("fkd", frechet_kinetic_distance, motion, reference, **kw)
        out["speed_hellinger"] = _try("speed_hellinger", speed_hellinger, motion, reference, **kw)
    out["mean_speed"] = _try("mean_speed", mean_speed, motion, **upper)
    out["angular_speed"] = _try("angular_speed", mean_angular_speed, motion)
    out["mean_acceleration"] = _try("mean_acceleration", mean_acceleration, motion, **upper)
    out["mean_jerk"] = _try("mean_jerk", mean_jerk, motion, **upper)
    if reference is not None:
        for name, own, func, fkw in (("angular_speed_ratio", "angular_speed", mean_angular_speed, {}),
                                     ("acceleration_ratio", "mean_acceleration", mean_acceleration, upper),
                                     ("jerk_ratio", "mean_jerk", mean_jerk, upper)):
            real = _try(name, func, reference, **fkw)
            out[name] = out[own] / real if real and out[own] is not None else None
    if motion.n_frames >= 2 and (reference is None or reference.n_frames >= 2):
        out.update(posture_report(motion, reference, skeleton))
    if speaking is not None:
        out["pause_speed_ratio"] = _try("pause_speed_ratio", pause_speed_ratio, motion, speaking)
        out["pause_jaw_ratio"] = _try("pause_jaw_ratio", pause_speed_ratio, motion, speaking, part="jaw")
        out["longest_idle_speech"] = _try("longest_idle_speech", longest_idle_speech, motion, speaking)
    if energy is not None:
        out["speed_energy_correlation"] = _try("speed_energy_correlation", speed_energy_correlation,
                                               motion, energy)
    out["foot_pops"] = _try("foot_pops", foot_pops, motion, **kw)
    out["longest_lift"] = _try("longest_lift", longest_lift, motion, **kw)
    out["foot_sliding"] = _try("foot_sliding", foot_sliding, motion, **kw)
    out["joint_limit_violations"] = _try("joint_limit_violations", joint_limit_violations, motion)
    out["frozen_fraction"] = _try("frozen_fraction", frozen_fraction, motion, **kw)
    out["max_jump"] = _try("max_jump", max_jump, motion, **kw)
    return {k: v for k, v in out.items() if v is not None}


def mean_reports(reports):
    """Average a list of quality reports key by key (NaN-aware); keys missing anywhere are kept
    from the reports that have them."""
    keys = []
    for report in reports:
        keys.extend(k for k in report if k not in keys)
    out = {}
    for key in keys:
        values = [r[key] for r in reports if key in r]
        finite = [v for v in values if np.isfinite(v)]
        out[key] = float(np.mean(finite)) if finite else float("nan")
    return out
