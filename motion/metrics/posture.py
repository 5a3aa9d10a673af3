"""Where the body is, not only how fast it moves: posture distance per body part, leg activity,
root travel, foot skate, and the angular jerk of the upper body.

A generator can move at a person's speed and still stand unlike one (upright, straight-legged,
feet fixed, wrists high). These figures compare *poses*:

- ``pose_frechet`` is the Frechet distance (the FID/FGD formula) between Gaussians fitted to
  per-frame features of the local joint rotations: the continuous 6-D form (the first two
  columns of each rotation matrix; Zhou et al., CVPR 2019) of every joint of a body part,
  global orientation left out, so where the speaker faces does not count. Against the shared
  take, its second half scores 1.10 (body) against its first; its mean pose held still 1.91.
- ``leg_activity``: mean local rotation speed of hips, knees and ankles, rad/s.
- ``root_travel``: horizontal path length of the root per second, m/s.
- ``foot_skate``: mean horizontal speed of the supporting foot (the lower ankle in each
  frame), m/s: a standing person's weight-bearing foot barely moves.
- ``stance_spread``: across takes made with different seeds, how far apart their mean
  upper-body poses stand (the mean angle between the per-joint mean rotations): seeds that
  differ only frame by frame but stand alike score ~0.
- ``sagittal_posture``: how the body stands seen from the side, per frame: the knees' flexion
  (both knees) and the pelvis's horizontal offset from the middle of the ankles along the
  body's facing direction (+ forward), as medians and 95th percentiles. A body that sits back
  on bent knees with its pelvis pushed out reads high on both where the speed figures see
  nothing.
- ``angular_jerk``: mean magnitude of the third time derivative of the upper body's global
  joint orientations (the angular velocity's second derivative), rad/s^3. The position jerk of
  ``distribution.mean_jerk`` is root-relative and dominated by the hands' paths; this one sees
  the fine turning of every upper-body segment, which smoothing removes first.
"""

import numpy as np

from ..errors import MotionValueError
from ..rotations import axis_angle_to_matrix, matrix_to_6d, matrix_to_axis_angle
from ..skeleton import JOINT_INDEX, UPPER_BODY, neutral_skeleton
from .distribution import frechet_distance
from .kinematics import angular_speed, joint_positions

# Body parts of the pose distance (SMPL-X joint indices; the global orientation is left out).
POSTURE_PARTS = {
    "body": np.arange(1, 22),
    "arms": np.array([13, 14, 16, 17, 18, 19, 20, 21]),  # collars, shoulders, elbows, wrists
    "legs": np.array([1, 2, 4, 5, 7, 8]),  # hips, knees, ankles
    "spine": np.array([3, 6, 9, 12, 15]),  # spine1-3, neck, head
}
LEG_JOINTS = POSTURE_PARTS["legs"]
ANKLES = np.array([JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]])
KNEES = np.array([JOINT_INDEX["left_knee"], JOINT_INDEX["right_knee"]])
FORWARD = np.array([0.0, 0.0, 1.0])  # the body's facing direction in the pelvis's own frame


def pose_features(motion, joints):
    """(T, 6 J) the 6-D local rotations of ``joints`` in every frame."""
    poses = np.asarray(motion.poses, dtype=np.float64)[:, np.asarray(joints)]
    return matrix_to_6d(axis_angle_to_matrix(poses)).reshape(len(poses), -1)


def pose_frechet(generated, reference, part="body"):
    """Frechet distance between the per-frame pose features of two motions' ``part`` (a key of
    POSTURE_PARTS). 0 for a copy; a still pose scores the reference's whole spread."""
    if part not in POSTURE_PARTS:
        raise MotionValueError(f"unknown body part {part!r}; one of {', '.join(POSTURE_PARTS)}")
    joints = POSTURE_PARTS[part]
    return frechet_distance(pose_features(generated, joints), pose_features(reference, joints))


def leg_activity(motion):
    """Mean rotation speed of hips, knees and ankles in their parents' frames, rad/s."""
    if motion.n_frames < 2:
        raise MotionValueError("leg activity needs at least 2 frames")
    return float(angular_speed(motion, LEG_JOINTS).mean())


def root_travel(motion):
    """Horizontal path length of the root per second, m/s (0 for a speaker rooted to the spot)."""
    if motion.n_frames < 2:
        raise MotionValueError("root travel needs at least 2 frames")
    xz = np.asarray(motion.trans, dtype=np.float64)[:, [0, 2]]
    return float(np.linalg.norm(np.diff(xz, axis=0), axis=-1).sum() / ((motion.n_frames - 1) / motion.fps))


def root_jolt(motion):
    """The root's largest change of horizontal speed within one frame, m/s^2: the whole body
    shifting at once (a join that kept the place but not the speed), which a mean hides."""
    if motion.n_frames < 3:
        raise MotionValueError("root jolt needs at least 3 frames")
    xz = np.asarray(motion.trans, dtype=np.float64)[:, [0, 2]]
    return float(np.linalg.norm(np.diff(xz, 2, axis=0), axis=-1).max() * motion.fps ** 2)


def foot_skate(motion, skeleton=None):
    """Mean horizontal speed of the supporting foot, m/s: in each frame step the ankle that is
    lower at its start (the one the weight is on), world positions, each ankle's height taken
    from its own floor (``contacts.foot_floors``, the feet stage's rule: a speaker's ankles need
    not rest at one height, and a foot stepping low from the lower floor is not the one bearing
    the weight)."""
    from ..contacts import detect_contacts, foot_floors

    if motion.n_frames < 2:
        raise MotionValueError("foot skate needs at least 2 frames")
    p = joint_positions(motion, ANKLES, world=True, skeleton=skeleton)  # (T, 2, 3)
    floors = foot_floors(np.asarray(detect_contacts(p, motion.fps)) > 0.5, p)
    lowest = min([f for f in floors if f is not None], default=float(p[..., 1].min()))
    floor = np.array([lowest if f is None else f for f in floors])  # a foot never down: in the air
    support = np.argmin(p[:-1, :, 1] - floor, axis=1)
    step = np.linalg.norm(np.diff(p[..., [0, 2]], axis=0), axis=-1)  # (T-1, 2)
    return float(step[np.arange(len(step)), support].mean() * motion.fps)


def knee_flexion(motion):
    """(T, 2) the left and right knee's bend in every frame, radians (the angle of its local
    rotation: 0 for a straight leg)."""
    return np.linalg.norm(np.asarray(motion.poses, dtype=np.float64)[:, KNEES], axis=-1)


def pelvis_offset(motion, skeleton=None, facing=False):
    """(T,) how far the pelvis stands ahead of the middle of the two ankles, metres, along the
    body's horizontal facing direction (the pelvis's forward axis, flattened): + forward, -
    back. With ``facing``, also that direction per frame ((T, 2) unit x, z)."""
    skeleton = skeleton or neutral_skeleton()
    rot, pos = skeleton.forward_kinematics(motion.poses, motion.trans)
    ahead = (rot[:, 0] @ FORWARD)[:, [0, 2]]
    length = np.linalg.norm(ahead, axis=-1, keepdims=True)
    if np.any(length < 1e-6):
        raise MotionValueError("the pelvis faces straight up or down: no facing direction")
    ahead = ahead / length
    offset = np.sum((pos[:, 0] - pos[:, ANKLES].mean(axis=1))[:, [0, 2]] * ahead, axis=-1)
    return (offset, ahead) if facing else offset


def stance_range(motions, skeleton=None):
    """How a speaker stands over his feet in real ``motions``: the median ``pelvis_offset`` (m)
    and ``pelvis_range`` (its 2.5th and 97.5th percentiles, m: he leans back further than
    forwards) over the frames in which both feet are on the floor (steps left out: a generated
    speaker stands on both), the median ``knee_flexion`` and ``knee_flexion_p95`` of the
    straighter knee over all frames (radians: the leg the weight is on, which stays so in a
    step; the other one may rest bent). {} without frames on both feet."""
    from ..contacts import detect_contacts
    from .kinematics import joint_positions

    offsets, knees = [], []
    for motion in motions:
        if motion.n_frames < 2:
            continue
        ankles = joint_positions(motion, ANKLES, world=True, skeleton=skeleton)
        both = np.all(detect_contacts(ankles, motion.fps) > 0.5, axis=1)
        offsets.append(pelvis_offset(motion, skeleton)[both])
        knees.append(knee_flexion(motion).min(axis=1))
    offsets, knees = np.concatenate(offsets or [[]]), np.concatenate(knees or [[]])
    if not len(offsets):
        return {}
    low, middle, high = (float(v) for v in np.percentile(offsets, [2.5, 50.0, 97.5]))
    return {"pelvis_offset": middle, "pelvis_range": [low, high],
            "knee_flexion": float(np.median(knees)), "knee_flexion_p95": float(np.percentile(knees, 95))}


def sagittal_posture(motion, skeleton=None):
    """How the body stands seen from the side, {name: float}: ``knee_flexion`` and
    ``knee_flexion_p95`` (median and 95th percentile over frames and both knees, radians),
    ``pelvis_offset`` (median of :func:`pelvis_offset`, metres, + forward) and
    ``pelvis_offset_p95`` (95th percentile of its size, either way)."""
    if motion.n_frames < 1:
        raise MotionValueError("sagittal posture needs at least 1 frame")
    knees = knee_flexion(motion).ravel()
    offset = pelvis_offset(motion, skeleton)
    return {"knee_flexion": float(np.median(knees)), "knee_flexion_p95": float(np.percentile(knees, 95)),
            "pelvis_offset": float(np.median(offset)), "pelvis_offset_p95": float(np.percentile(np.abs(offset), 95))}


def angular_jerk(motion, joints=UPPER_BODY, skeleton=None):
    """Mean magnitude of the angular jerk of ``joints``' global orientations, rad/s^3.

    The angular velocity of each joint between frames t and t+1 is the rotation vector of
    R(t+1) R(t)^T times the frame rate (world frame); its second difference times fps^2 is the
    jerk. Global orientations include the pelvis' turn: the body a viewer sees turning."""
    if motion.n_frames < 4:
        raise MotionValueError("angular jerk needs at least 4 frames")
    skeleton = skeleton or neutral_skeleton()
    rot = np.ascontiguousarray(skeleton.forward_kinematics(motion.poses)[0][:, np.asarray(joints)])
    step = rot[1:] @ np.swapaxes(rot[:-1], -1, -2)
    omega = matrix_to_axis_angle(step) * float(motion.fps)  # (T-1, J, 3)
    second = np.diff(omega, n=2, axis=0) * float(motion.fps) ** 2
    return float(np.linalg.norm(second, axis=-1).mean())


def mean_rotations(motion, joints=UPPER_BODY):
    """(J, 3, 3) each joint's mean local rotation over the take (the chordal mean: the average
    rotation matrix projected back onto the rotations)."""
    mean = axis_angle_to_matrix(np.asarray(motion.poses, dtype=np.float64)[:, np.asarray(joints)]).mean(axis=0)
    u, _, vt = np.linalg.svd(mean)
    u[:, :, -1] *= np.sign(np.linalg.det(u @ vt))[:, None]
    return u @ vt


def stance_spread(samples, joints=UPPER_BODY):
    """Mean pairwise angle, radians, between the mean upper-body poses (:func:`mean_rotations`,
    averaged over ``joints``) of takes made with different seeds."""
    samples = list(samples)
    if len(samples) < 2:
        raise MotionValueError(f"stance spread needs at least 2 takes, got {len(samples)}")
    means = [mean_rotations(m, joints) for m in samples]
    angles = []
    for i in range(len(means)):
        for k in range(i + 1, len(means)):
            relative = np.swapaxes(means[i], -1, -2) @ means[k]
            cos = (np.trace(relative, axis1=-2, axis2=-1) - 1.0) / 2.0
            angles.append(np.arccos(np.clip(cos, -1.0, 1.0)).mean())
    return float(np.mean(angles))


def posture_report(motion, reference=None, skeleton=None):
    """The posture figures of ``motion`` (and, with a real ``reference``, its pose distances and
    the ratios to the reference's own figures) as {name: float}."""
    out = {"leg_activity": leg_activity(motion), "root_travel": root_travel(motion),
           "foot_skate": foot_skate(motion, skeleton), **sagittal_posture(motion, skeleton)}
    if motion.n_frames >= 4:
        out["angular_jerk"] = angular_jerk(motion, skeleton=skeleton)
        out["root_jolt"] = root_jolt(motion)
    if reference is None:
        return out
    for part in POSTURE_PARTS:
        out[f"pose_fd_{part}"] = pose_frechet(motion, reference, part)
    real = {"leg_activity": leg_activity(reference), "root_travel": root_travel(reference),
            "foot_skate": foot_skate(reference, skeleton)}
    if "angular_jerk" in out and reference.n_frames >= 4:
        real["angular_jerk"] = angular_jerk(reference, skeleton=skeleton)
        real["root_jolt"] = root_jolt(reference)
    for key, value in real.items():
        out[f"{key}_ratio"] = out[key] / value if value > 0 else float("nan")
    return out
