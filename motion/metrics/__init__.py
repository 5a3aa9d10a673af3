"""Motion-quality metrics, numpy only: how good generated gesture motion is, in numbers.

Every function takes ``Motion`` objects (joint positions come from forward kinematics on the
built-in neutral skeleton, root-relative unless said otherwise) and returns a float in the
units its docstring states (metres, seconds, fractions). Each docstring cites where the metric
is defined.

Public functions
----------------
Against the ground truth of the same audio (accuracy.py):
    l1_error(generated, ground_truth)         Audio2Gestures Eq. 13, metres
    pck(generated, ground_truth, threshold)   Audio2Gestures Eq. 14, delta = 0.2 dm = 0.02 m
Variety (variety.py):
    diversity(motion, clip=50)                Audio2Gestures Eq. 15, metres
    multimodality(samples)                    Audio2Gestures Eq. 16, metres
    l1_div(motion)                            BEAT / EMAGE L1div, metres
Rhythm (beats.py):
    beat_consistency(motion, onset_times)     BEAT / EMAGE BC, sigma = 0.3 s, in [0, 1]
    motion_beats(motion)                      per-joint beat times (speed minima), seconds
    local_minima(values, order)               the beat detector's minimum finder
Distribution against a real take (distribution.py):
    frechet_kinetic_distance(generated, reference)   Frechet distance of kinetic features
    kinetic_features(motion)                  per-window speed/acceleration statistics
    frechet_distance(features_a, features_b)  the FID/FGD formula on any feature rows
    speed_hellinger(generated, reference)     GENEA speed-histogram Hellinger distance
    speed_histograms(motion), hellinger_distance(p, q)
    mean_speed(motion), mean_acceleration(motion), mean_jerk(motion)
    mean_angular_speed(motion)                upper-body local rotation speed, rad/s
Artefacts (artifacts.py):
    foot_sliding(motion)                      planted-foot horizontal speed, m/s
    joint_limit_violations(motion)            fraction of hinge joints bent out of range
    frozen_fraction(motion)                   fraction of frames with no body motion
    max_jump(motion)                          largest frame-to-frame joint jump, metres
Gesturing through speech (phrasing.py):
    longest_idle_speech(motion, speaking)     longest speech without a hand stroke, seconds
Feet (feet.py):
    foot_pops(motion), foot_pop_count(motion) a planted foot jumping > 5 cm in a frame, per minute
    longest_lift(motion)                      longest time a foot stays off the floor, seconds
    ankle_jerk(motion)                        ankles' jerk against the pelvis (shaking legs), m/s^3
Posture (posture.py): where the body is, against a real take
    pose_frechet(generated, reference, part)  Frechet distance of 6-D local rotations per part
    leg_activity(motion), root_travel(motion) hips/knees/ankles rad/s; horizontal root m/s
    foot_skate(motion)                        horizontal speed of the supporting foot, m/s
    root_jolt(motion)                         the root's largest speed change in a frame, m/s^2
    angular_jerk(motion)                      upper body's global orientations, rad/s^3
    sagittal_posture(motion)                  side view: knee flexion, pelvis ahead of the ankles
    stance_spread(samples)                    mean upper-body pose apart across seeds, rad
    posture_report(motion, reference)         all of them, with ratios to the reference
Audio and seed dependence (sensitivity.py):
    pose_distance(a, b)                       mean joint-rotation angle frame by frame, rad
    seed_diversity(samples)                   mean pairwise pose distance across seeds, rad
    audio_sensitivity(speech, silence, other) same seed, other audio: distances and speed ratio
    speed_energy_correlation(motion, energy)  Pearson r of joint speed and log loudness
    speech_mask(intervals, n_frames, fps), pause_speed_ratio(motion, speech)
Realism against a real take (realism.py; scikit-learn, the `eval` extra):
    c2st(real, generated)                     classifier two-sample test: ROC AUC, 0.5 = cannot tell
                                              real from generated windows, 1.0 = always; per part,
                                              with the features that give a take away
    calibration(real)                         floor, statue, time-reversed, ... rows of the test
    window_features(motion)                   the test's per-window features (named, by part)
Everything at once (report.py):
    quality_report(motion, reference=None, ground_truth=None, onset_times=None, samples=None)
    mean_reports(reports), METRICS (unit, direction and label of every report key)
Kinematics (kinematics.py):
    joint_positions(motion, joints, world), joint_speed, velocity, acceleration, jerk,
    angular_speed(motion, joints)             local joint rotation speed, rad/s
"""

from .accuracy import PCK_THRESHOLD, l1_error, pck
from .artifacts import foot_sliding, frozen_fraction, joint_limit_violations, max_jump
from .beats import BEAT_SIGMA, beat_consistency, local_minima, motion_beats
from .distribution import (
    frechet_distance,
    frechet_kinetic_distance,
    hellinger_distance,
    kinetic_features,
    mean_acceleration,
    mean_angular_speed,
    mean_jerk,
    mean_speed,
    speed_hellinger,
    speed_histograms,
)
from .feet import ankle_jerk, foot_pop_count, foot_pops, longest_lift
from .phrasing import longest_idle_speech
from .posture import (POSTURE_PARTS, angular_jerk, foot_skate, leg_activity, pose_features, pose_frechet,
                      posture_report, root_jolt, root_travel, sagittal_posture, stance_spread)
from .kinematics import (DEFAULT_JOINTS, acceleration, angular_speed, jerk, joint_positions, joint_speed,
                         velocity)
from .realism import REALISM_METRICS, c2st, calibration, window_features
from .report import METRICS, MetricInfo, mean_reports, quality_report
from .sensitivity import (
    audio_sensitivity,
    pause_speed_ratio,
    pose_distance,
    seed_diversity,
    speech_mask,
    speed_energy_correlation,
)
from .variety import diversity, l1_div, multimodality

__all__ = [
    "PCK_THRESHOLD", "l1_error", "pck",
    "diversity", "multimodality", "l1_div",
    "BEAT_SIGMA", "beat_consistency", "motion_beats", "local_minima",
    "frechet_kinetic_distance", "kinetic_features", "frechet_distance",
    "speed_hellinger", "speed_histograms", "hellinger_distance",
    "mean_speed", "mean_acceleration", "mean_jerk", "mean_angular_speed",
    "foot_pops", "foot_pop_count", "longest_lift", "ankle_jerk", "angular_speed", "longest_idle_speech",
    "foot_sliding", "joint_limit_violations", "frozen_fraction", "max_jump",
    "POSTURE_PARTS", "pose_features", "pose_frechet", "leg_activity", "root_travel", "root_jolt", "foot_skate",
    "angular_jerk", "posture_report", "sagittal_posture", "stance_spread",
    "pose_distance", "seed_diversity", "audio_sensitivity", "speed_energy_correlation",
    "speech_mask", "pause_speed_ratio",
    "quality_report", "mean_reports", "METRICS", "MetricInfo",
    "c2st", "calibration", "window_features", "REALISM_METRICS",
    "DEFAULT_JOINTS", "joint_positions", "joint_speed", "velocity", "acceleration", "jerk",
]
