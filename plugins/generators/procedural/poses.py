"""The procedural generator's pose repertoire, authored in SMPL-X joint space.

SMPL-X's zero pose is a T-pose (arms straight out sideways, palms down) and every local joint
frame is aligned with the body there: x = the body's left, y = up, z = forward. Arms and hands
are authored for the left side and mirrored to the right, which maps an axis-angle (x, y, z)
to (x, -y, -z). For the left arm the upper arm points along +x: the shoulder lowers it by a
negative rotation about z and brings it forward by a negative rotation about y; the elbow flexes
about its local y (negative); upper arm and forearm twist about their own x. Left fingers point
along +x with the palm toward -y: they curl by negative rotations about z and spread about y.

:func:`arm` builds an arm from intuitive parameters (upper-arm direction, elbow flexion, twists,
wrist flexion); :func:`hand` a hand shape from per-finger curl and spread. Angles are radians.
The values were checked with forward kinematics (hand heights, palm directions, thumb-to-index
distance) and against the ranges of real SMPL-X mocap of a standing speaker.
"""

from functools import lru_cache

import numpy as np

from ....motion.rotations import (
    axis_angle_to_quat, quat_angle, quat_multiply, quat_to_axis_angle, quat_to_matrix,
)

from .joints import (
    HEAD, L_ANKLE, L_ARM, L_COLLAR, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_SIDE, L_WRIST, NECK,
    PELVIS, R_ANKLE, R_ARM, R_HIP, R_KNEE, R_SIDE, SPINE1, SPINE2, SPINE3,
)

FINGER_ORDER = ("index", "middle", "pinky", "ring", "thumb")

_AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}


def compose(*rotations):
    """Axis-angle of the product of ("x"|"y"|"z", angle) rotations, outermost first."""
    q = np.array([1.0, 0, 0, 0])
    for axis, angle in rotations:
        q = quat_multiply(q, axis_angle_to_quat(_AXES[axis] * angle))
    return quat_to_axis_angle(q)


def swing(direction, twist=0.0):
    """Rotation carrying +x onto ``direction`` by the shortest arc, after a twist about +x."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    x = _AXES["x"]
    axis = np.cross(x, d)
    s, c = np.linalg.norm(axis), float(np.dot(x, d))
    aa = np.zeros(3) if s < 1e-9 else axis / s * np.arctan2(s, c)
    q = quat_multiply(axis_angle_to_quat(aa), axis_angle_to_quat(x * twist))
    return quat_to_axis_angle(q)


def direction(down, forward, out=1.0):
    """A unit upper-arm direction for the left arm: ``down`` and ``forward`` against ``out``."""
    d = np.array([out, -down, forward], dtype=np.float64)
    return d / np.linalg.norm(d)


def arm(upper, twist=0.0, elbow=0.3, forearm=0.0, wrist_flex=0.0, wrist_dev=0.0,
        collar=(0.0, -0.15, -0.2)):
    """Left arm as {joint: axis-angle}: collar, shoulder, elbow, wrist.

    upper : direction of the upper arm in the body frame (see :func:`direction`).
    twist : upper-arm twist about its own axis (positive turns the elbow point down/back).
    elbow : flexion, 0 = straight, ~1.6 = forearm at a right angle.
    forearm : forearm twist; negative turns the left palm up (supination), positive down.
    wrist_flex : toward the palm positive; wrist_dev : toward the thumb positive.
    """
    collar = np.asarray(collar, dtype=np.float64)
    d_local = quat_to_matrix(axis_angle_to_quat(collar)).T @ np.asarray(upper, dtype=np.float64)
    return {
        L_COLLAR: collar,
        L_SHOULDER: swing(d_local, twist),
        L_ELBOW: compose(("y", -elbow), ("x", forearm)),
        L_WRIST: compose(("z", -wrist_flex), ("y", -wrist_dev)),
    }


# Relaxed left hand (index, middle, pinky, ring, thumb x 3 joints): a gentle curl with the
# fingers drawn together, in the range real mocap shows for a resting hand.
_RELAXED = np.array([
    [0.03, 0.25, -0.15], [0.02, -0.15, -0.40], [0.10, -0.07, -0.16],
    [-0.02, -0.03, -0.50], [0.07, 0.0, -0.30], [-0.06, -0.10, -0.08],
    [-0.18, -0.45, -0.30], [-0.06, 0.12, -0.38], [-0.30, 0.15, 0.0],
    [0.07, -0.24, -0.36], [-0.24, -0.09, -0.42], [-0.17, -0.05, -0.10],
    [0.28, 0.35, 0.19], [-0.34, 0.08, -0.22], [0.50, 0.22, 0.22],
])
_CURL = np.array([1.3, 1.45, 0.85])  # full-fist flexion per phalanx beyond relaxed (rad)


def hand(curl=(0.0, 0.0, 0.0, 0.0), spread=0.0, thumb=(0.0, 0.0), relax=1.0):
    """Left hand shape (15, 3) around the relaxed hand.

    curl : per finger (index, middle, pinky, ring), -1 = fully straight (relaxed curl
        removed), 0 = relaxed, 1 = fist.
    spread : -1 fingers together .. 1 fingers fanned out.
    thumb : (flex toward the palm, abduction away from the index), each -1..1.
    relax : scale of the relaxed base pose (0 = the flat zero pose).
    """
    out = _RELAXED.copy() * relax
    for f, c in enumerate(curl):
        rows = slice(3 * f, 3 * f + 3)
        if c < 0:
            out[rows] *= 1.0 + c  # straighten toward flat
        else:
            out[rows, 2] -= c * _CURL
    # fan: index forward (-y rotation), pinky back (+y), ring a little
    fan = np.array([-0.22, 0.0, 0.32, 0.12]) * spread
    for f in range(4):
        out[3 * f, 1] += fan[f]
    flex, abduct = thumb
    out[12] += np.array([0.0, 0.0, -0.35]) * flex + np.array([0.0, -0.35, 0.0]) * abduct
    out[13] += np.array([0.0, 0.0, -0.45]) * flex
    out[14] += np.array([0.0, 0.0, -0.50]) * flex
    return out


def mirror(aa):
    """Axis-angle(s) of the left side -> the right side (x, y, z) -> (x, -y, -z)."""
    aa = np.array(aa, dtype=np.float64, copy=True)
    aa[..., 1:] *= -1.0
    return aa


_COLLAR = (0.0, -0.12, -0.1)


def _arm(down, forward, out=1.0, twist=0.0, elbow=0.3, forearm=0.0, wrist_flex=0.0):
    return arm(direction(down, forward, out), twist=twist, elbow=elbow, forearm=forearm,
               wrist_flex=wrist_flex, collar=_COLLAR)


# name -> (left arm joints, left hand shape). Heights relative to the pelvis are for the
# built-in 1.72 m skeleton; "both" says the pose is usually made with both hands.
REPERTOIRE = {
    # arms hanging nearly straight, palms facing the thighs, fingers relaxed (shoulder ~75 degrees
    # down). The gesture-space map reads a forearm turn partly as bend: with 0.3 rad of bend and
    # -0.3 of turn the hanging arms came out bent 34-38 degrees at their straightest (the speaker's:
    # 23-31 degrees over 2 s, in both halves of his take), the arms' realism 0.93; now 21-24, 0.90
    "rest": (_arm(4.2, 0.3, elbow=0.1, forearm=0.0), hand()),
    # gesture space: forearms forward at belly height, palms facing each other
    "ready": (_arm(2.2, 0.6, elbow=1.35, forearm=-0.7, wrist_flex=0.1),
              hand(curl=(0.1, 0.2, 0.3, 0.3))),
    # palm up, fingers open: offering, presenting
    "open_palm": (_arm(1.9, 0.7, elbow=1.45, forearm=-1.75, wrist_flex=-0.25),
                  hand(curl=(-0.6, -0.6, -0.4, -0.5), spread=0.5, thumb=(-0.3, 0.6))),
    # flat hand, palm down: calming, levelling
    "palm_down": (_arm(2.0, 0.7, elbow=1.4, forearm=0.9),
                  hand(curl=(-0.7, -0.7, -0.6, -0.6), spread=0.2)),
    # thumb on index (precision grip): exactness, a specific point
    "precision": (_arm(1.9, 0.6, elbow=1.8, forearm=-0.9, wrist_flex=0.1),
                  hand(curl=(0.45, 0.6, 0.9, 0.8), thumb=(0.8, 0.0))),
    # index pointing ahead and a little down, elbow bent: "you", "there", "this one"
    "point": (_arm(1.36, 1.51, 0.67, twist=-0.08, elbow=0.8, forearm=0.01, wrist_flex=-0.38),
              hand(curl=(-1.0, 1.0, 1.0, 1.0), thumb=(0.7, -0.2))),
    # palm up, forearm reaching toward the listener: offering, presenting an idea
    "offer": (_arm(1.92, 1.24, 0.43, twist=-0.49, elbow=0.91, forearm=-1.76, wrist_flex=0.23),
              hand(curl=(-0.4, -0.3, -0.1, -0.2), spread=0.3, thumb=(-0.2, 0.5))),
    # cupped hands facing each other at the chest, holding something: "this idea", "the whole"
    "container": (_arm(2.17, 0.89, 0.74, twist=0.04, elbow=1.67, forearm=-0.31, wrist_flex=-0.47),
                  hand(curl=(0.3, 0.35, 0.45, 0.4), spread=0.2, thumb=(0.2, 0.3))),
    # flat hand sweeping out to the side at the waist, palm down: "all of it", "across"
    "sweep": (_arm(1.83, 0.45, 1.5, twist=-0.14, elbow=0.58, forearm=0.54, wrist_flex=-0.6),
              hand(curl=(-0.7, -0.7, -0.6, -0.6), spread=0.3)),
    # self-adaptor: hands pressed together in front of the belly, palms facing
    "clasp": (_arm(2.29, 0.51, 0.19, twist=0.44, elbow=1.22, forearm=-0.41, wrist_flex=-0.6),
              hand(curl=(0.35, 0.4, 0.5, 0.45), thumb=(0.3, 0.1))),
    # arms open wide, palms up and forward
    "spread": (_arm(1.0, 0.6, 1.4, elbow=0.8, forearm=-1.8, wrist_flex=-0.3),
               hand(curl=(-0.7, -0.7, -0.5, -0.6), spread=1.0, thumb=(-0.4, 0.8))),
    # palms facing each other, flat: framing, "this part"
    "vertical": (_arm(2.0, 0.9, elbow=1.45, forearm=-0.9),
                 hand(curl=(-0.6, -0.6, -0.5, -0.5), spread=-0.3)),
    # loose fist: emphasis
    "fist": (_arm(2.0, 0.6, elbow=1.55, forearm=-0.6), hand(curl=(1, 1, 1, 1), thumb=(0.8, -0.3))),
    # hand flat on the chest: "I", "me"
    "chest": (_arm(2.33, 0.3, 0.3, twist=0.27, elbow=2.07, forearm=-0.72, wrist_flex=0.59),
              hand(curl=(-0.5, -0.5, -0.3, -0.4))),
    # hands close together in front: "small", "a little"
    "small": (_arm(2.4, 1.0, 0.7, elbow=1.5, forearm=-1.0),
              hand(curl=(-0.2, -0.1, 0.1, 0.0), spread=-0.5)),
    # forearm raised in front of the chest, index pointing up: "up", "high" (the hand stays
    # below the shoulder: higher, with the palm out, it reads as an oath)
    "up": (_arm(1.925, 1.188, 0.784, twist=-0.257, elbow=1.759, forearm=-0.302, wrist_flex=-0.355),
           hand(curl=(-1.0, 0.9, 1.0, 1.0), thumb=(0.6, -0.2))),
    # arm low, palm pressing down: "down", "low"
    "down": (_arm(3.0, 0.8, elbow=0.7, forearm=0.9, wrist_flex=-0.35),
             hand(curl=(-0.7, -0.7, -0.6, -0.6), spread=0.3)),
}

# Gestures the beat planner draws from, with how often (one-handed, two-handed weights):
# beats with every palm orientation (up, down, facing each other, precision grip, fist),
# deictics (pointing ahead, to oneself) and metaphorics (offering, holding, sweeping, big, small).
BEAT_GESTURES = {
    "ready": (1.0, 1.0),
    "open_palm": (0.6, 0.6),
    "offer": (0.7, 0.4),
    "palm_down": (0.6, 0.5),
    "precision": (0.7, 0.2),
    "vertical": (0.3, 0.7),
    "container": (0.1, 0.6),
    "fist": (0.3, 0.2),
    "spread": (0.0, 0.4),
    "sweep": (0.35, 0.25),
    "point": (0.3, 0.0),
    "chest": (0.15, 0.0),
    "small": (0.0, 0.2),
}
# What the hands do in a long pause instead of hanging at rest (self-adaptors), with weights.
ADAPTORS = {"rest": 1.0, "clasp": 0.8}


def side_pose(name, side):
    """(19, 3) axis-angle for one side's arm + finger joints, and the joint indices (19,).

    side : "left" or "right". Joint order: collar, shoulder, elbow, wrist, 15 finger joints.
    """
    values, joints = _side_pose(name, side)
    return values.copy(), joints.copy()


@lru_cache(maxsize=None)
def side_quats(name, side):
    """(19, 4) :func:`side_pose`'s rotations as quaternions (read only: one array for every use)."""
    quats = axis_angle_to_quat(_side_pose(name, side)[0])
    quats.flags.writeable = False
    return quats


@lru_cache(maxsize=None)
def _side_pose(name, side):
    joints, shape = REPERTOIRE[name]
    values = np.concatenate([np.array([joints[j] for j in L_ARM]), shape])
    if side == "left":
        return values, np.array(L_SIDE)
    return mirror(values), np.array(R_SIDE)


def standing_pose():
    """(55, 3) the relaxed standing body: arms at rest, upright spine, feet a little wider than
    the hips and turned out, knees soft (the pelvis sits a few centimetres lower than with
    straight legs; see :func:`root_height`)."""
    pose = np.zeros((55, 3))
    pose[SPINE1] = (0.06, 0.0, 0.0)
    pose[SPINE2] = (0.02, 0.0, 0.0)
    pose[SPINE3] = (0.02, 0.0, 0.0)
    pose[NECK] = (0.08, 0.0, 0.0)
    pose[HEAD] = (-0.1, 0.0, 0.0)
    pose[PELVIS] = (0.04, 0.0, 0.0)  # tipped forward a little, as the knees bend
    pose[L_HIP] = compose(("x", -0.14), ("z", 0.05), ("y", 0.06))  # thigh forward, out, toes out
    pose[R_HIP] = compose(("x", -0.14), ("z", -0.05), ("y", -0.06))
    pose[L_KNEE] = (0.22, 0.0, 0.0)
    pose[R_KNEE] = (0.22, 0.0, 0.0)
    pose[L_ANKLE] = compose(("x", -0.08), ("z", -0.05))  # soles back to flat on the floor
    pose[R_ANKLE] = compose(("x", -0.08), ("z", 0.05))
    for side in ("left", "right"):
        values, joints = side_pose("rest", side)
        pose[joints] = values
    from .posture import standing_joints

    for joint, value in standing_joints().items():  # the real speaker's mean stance
        pose[joint] = value
    return pose


@lru_cache(maxsize=None)
def root_height():
    """Root height (m) that puts the standing pose's ankles where straight legs have them."""
    from ....motion.skeleton import FLOOR_OFFSET, neutral_skeleton

    skeleton = neutral_skeleton()
    straight = np.zeros((1, 55, 3))
    bent = standing_pose()[None]
    ankles = [L_ANKLE, R_ANKLE]
    low = skeleton.forward_kinematics(straight)[1][0, ankles, 1].mean()
    now = skeleton.forward_kinematics(bent)[1][0, ankles, 1].mean()
    return FLOOR_OFFSET + float(low - now)


@lru_cache(maxsize=None)
def _arm_chain(side):
    """What arm-chain forward kinematics needs: the standing chest's global rotation and
    position at the collar's parent, and the collar->shoulder->elbow->wrist offsets."""
    from ....motion.skeleton import neutral_skeleton

    skeleton = neutral_skeleton()
    arm = L_ARM if side == "left" else R_ARM
    rot, pos = skeleton.forward_kinematics(standing_pose()[None])
    parent = skeleton.parents[arm[0]]
    offsets = np.array([skeleton.offsets[j] for j in arm])
    return np.ascontiguousarray(rot[0, parent]), np.ascontiguousarray(pos[0, parent]), offsets


def hand_placement(arm_quats, side):
    """Where an arm pose puts the hand: (wrist height above the shoulder, its distance out to
    the side beyond the shoulder, both metres; palm normal (3,) in the body frame: x left,
    y up, z forward).

    arm_quats : (>= 4, 4) quaternions of collar, shoulder, elbow, wrist (a side pose's first
    rows), with the body standing upright.
    """
    from ....motion.rotations import quat_to_matrix

    chest_rot, chest_pos, offsets = _arm_chain(side)
    turns = quat_to_matrix(np.asarray(arm_quats[:4], np.float64))  # one call for the chain's four
    rot, pos = chest_rot, chest_pos
    joint_pos = []
    for k in range(4):
        pos = pos + rot @ offsets[k]
        rot = rot @ turns[k]
        joint_pos.append(pos)
    palm = rot @ np.array([0.0, -1.0, 0.0])  # the palm faces -y in the T-pose, either side
    outward = 1.0 if side == "left" else -1.0
    return (float(joint_pos[3][1] - joint_pos[1][1]),
            float(outward * (joint_pos[3][0] - joint_pos[1][0])), palm)


PLAUSIBLE_ELBOW = 2.2  # radians


def plausible(arm_quats, side):
    """False for arm poses a speaker would not make while beating: an elbow bent past
    PLAUSIBLE_ELBOW (the strokes layered on top need room before the joint's limit), the hand
    above the shoulder, or raised to the chest or higher in front of the body with the palm
    turned to the listener (an oath, a stop sign; arms opened wide to the sides may show the
    palms). arm_quats : (J, 4) collar, shoulder, elbow, wrist, fingers."""
    if quat_angle(arm_quats[2]) > PLAUSIBLE_ELBOW:
        return False
    height, out, palm = hand_placement(arm_quats, side)
    if height > -0.03:
        return False
    return not (palm[2] > 0.6 and height > -0.3 and out < 0.2)
