"""The SMPL-X 55-joint skeleton: names, parents, a built-in neutral rest pose, and FK.

The built-in rest skeleton is authored here from human body proportions (a 1.72 m neutral
adult in SMPL-X's T-pose: facing +z, y up, the body's left side on +x, metres). It is placed in
the SMPL-X model frame, where the pelvis sits about 0.35 m below the origin, so the ``trans`` of
BEAT2/AMASS files puts it on the floor exactly as the SMPL-X body model would. For the exact
skeleton of a particular body shape, load the user's own model files (see ``inference.smplx_model``).
"""

from dataclasses import dataclass, field

import numpy as np

from .errors import MotionValueError
from .rotations import axis_angle_to_matrix_components

JOINT_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "jaw", "left_eye_smplhf", "right_eye_smplhf",
    "left_index1", "left_index2", "left_index3", "left_middle1", "left_middle2", "left_middle3",
    "left_pinky1", "left_pinky2", "left_pinky3", "left_ring1", "left_ring2", "left_ring3",
    "left_thumb1", "left_thumb2", "left_thumb3",
    "right_index1", "right_index2", "right_index3", "right_middle1", "right_middle2",
    "right_middle3", "right_pinky1", "right_pinky2", "right_pinky3", "right_ring1",
    "right_ring2", "right_ring3", "right_thumb1", "right_thumb2", "right_thumb3",
)

PARENTS = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15]
    + [20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38]
    + [21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53],
    dtype=np.int64,
)

NUM_JOINTS = 55
NUM_BODY_JOINTS = 22  # pelvis .. right_wrist
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}

# Named index groups used across the project.
BODY = np.arange(0, 22)
JAW = 22
EYES = np.array([23, 24])
LEFT_HAND = np.arange(25, 40)
RIGHT_HAND = np.arange(40, 55)
HANDS = np.arange(25, 55)
UPPER_BODY = np.array([3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
LOWER_BODY = np.array([1, 2, 4, 5, 7, 8, 10, 11])
FEET = np.array([7, 8, 10, 11])  # ankles and toes
WRISTS = np.array([20, 21])
FINGERS = ("thumb", "index", "middle", "ring", "pinky")  # each hand's, as the joints name them

def with_ancestors(joints, parents=PARENTS):
    """(K,) sorted joint indices: ``joints`` and every joint above them, what forward
    kinematics to ``joints`` reads."""
    found = set()
    for j in np.atleast_1d(joints).tolist():
        while j >= 0 and j not in found:
            found.add(j)
            j = int(parents[j])
    return np.array(sorted(found), np.int64)


# How far the soles of the built-in skeleton are below the SMPL-X model origin (metres).
FLOOR_OFFSET = 1.30


def _mirror(position):
    x, y, z = position
    return (-x, y, z)


def _neutral_rest_positions():
    """Joint positions (55, 3) of the built-in neutral T-pose, soles at y = 0."""
    left = {
        "hip": (0.060, 0.860, -0.010),
        "knee": (0.110, 0.480, 0.000),
        "ankle": (0.075, 0.075, -0.040),
        "foot": (0.120, 0.015, 0.085),
        "collar": (0.045, 1.330, -0.005),
        "shoulder": (0.175, 1.390, -0.020),
        "elbow": (0.435, 1.375, -0.030),
        "wrist": (0.680, 1.380, -0.030),
        "eye": (0.031, 1.630, 0.085),
    }
    # Finger chains relative to the left wrist: base knuckle, then two phalanx lengths along +x
    # (the palm faces down in the T-pose). Thumb points forward and out.
    fingers = {
        "index": ((0.088, -0.005, 0.025), (0.035, 0.0, 0.0), (0.022, 0.0, 0.0)),
        "middle": ((0.093, -0.002, 0.003), (0.038, 0.0, 0.0), (0.025, 0.0, 0.0)),
        "pinky": ((0.077, -0.012, -0.040), (0.024, 0.0, 0.0), (0.018, 0.0, 0.0)),
        "ring": ((0.087, -0.006, -0.020), (0.034, 0.0, 0.0), (0.024, 0.0, 0.0)),
        "thumb": ((0.028, -0.015, 0.028), (0.026, -0.006, 0.018), (0.022, -0.004, 0.012)),
    }
    pos = {
        "pelvis": (0.0, 0.950, 0.000),
        "spine1": (0.0, 1.060, -0.015),
        "spine2": (0.0, 1.190, -0.020),
        "spine3": (0.0, 1.245, 0.000),
        "neck": (0.0, 1.410, -0.025),
        "head": (0.0, 1.570, 0.000),
        "jaw": (0.0, 1.555, 0.010),
    }
    for part, p in left.items():
        name = "left_eye_smplhf" if part == "eye" else f"left_{part}"
        pos[name] = p
        pos[name.replace("left", "right")] = _mirror(p)
    wrist = np.array(left["wrist"])
    for finger, steps in fingers.items():
        p = wrist.copy()
        for k, step in enumerate(steps, start=1):
            p = p + np.array(step)
            pos[f"left_{finger}{k}"] = tuple(p)
            pos[f"right_{finger}{k}"] = _mirror(p)
    return np.array([pos[name] for name in JOINT_NAMES], dtype=np.float64)


@dataclass(frozen=True)
class Skeleton:
    """A 55-joint SMPL-X skeleton: rest joint positions in the SMPL-X model frame.

    rest_positions : (55, 3) metres, T-pose, y up.
    """

    rest_positions: np.ndarray
    parents: np.ndarray = field(default_factory=PARENTS.copy)
    names: tuple = JOINT_NAMES

    def __post_init__(self):
        rest = np.asarray(self.rest_positions, dtype=np.float64)
        parents = np.asarray(self.parents, dtype=np.int64)
        if rest.ndim != 2 or rest.shape[1] != 3 or rest.shape[0] != parents.shape[0]:
            raise MotionValueError(
                f"rest_positions must have shape ({parents.shape[0]}, 3), got {rest.shape}"
            )
        later = parents[1:] >= np.arange(1, len(parents))
        if parents[0] != -1 or np.any(parents[1:] < 0) or np.any(later):
            raise MotionValueError(
                "parents must start with -1 and list every parent before its child"
            )
        if not np.all(np.isfinite(rest)):
            raise MotionValueError("rest_positions holds a NaN or infinite value")
        rest, parents = rest.copy(), parents.copy()  # own read-only copies: truly immutable
        rest.setflags(write=False)
        parents.setflags(write=False)
        object.__setattr__(self, "rest_positions", rest)
        object.__setattr__(self, "parents", parents)

    @classmethod
    def neutral(cls):
        """The built-in neutral skeleton (about 1.72 m tall, pelvis 0.95 m above the soles)."""
        rest = _neutral_rest_positions()
        rest[:, 1] -= FLOOR_OFFSET
        return cls(rest_positions=rest)

    @property
    def offsets(self):
        """(55, 3) each joint's rest position relative to its parent (root: absolute)."""
        off = self.rest_positions.copy()
        off[1:] -= self.rest_positions[self.parents[1:]]
        return off

    @property
    def height(self):
        return float(np.ptp(self.rest_positions[:, 1]))

    def forward_kinematics(self, poses, trans=None):
        """Global joint rotations and positions for every frame.

        Parameters
        ----------
        poses : (T, J, 3) axis-angle, local to each joint's parent.
        trans : (T, 3) metres, or None for zero.

        Returns
        -------
        rotations : (T, J, 3, 3) global rotation of each joint.
        positions : (T, J, 3) world position of each joint, metres.
            Both are views of joint/component-major arrays (not C-contiguous); copy them with
            ``np.ascontiguousarray`` where a flat buffer is needed.
        """
        poses = np.asarray(poses, dtype=np.float64)
        local = axis_angle_to_matrix_components(np.moveaxis(poses, 1, 0))  # (3, 3, J, T)
        return self._chain(local, trans)

    def forward_kinematics_matrices(self, local, trans=None):
        """As :meth:`forward_kinematics`, from (T, J, 3, 3) local rotation matrices."""
        local = np.asarray(local, dtype=np.float64)
        return self._chain(np.ascontiguousarray(np.transpose(local, (2, 3, 1, 0))), trans)

    def _chain(self, local, trans):
        """FK on component-major local rotations (3, 3, J, T).

        Joints are processed a tree level at a time (all joints at depth d together: about ten
        steps instead of 54), and each 3x3 product is written out over contiguous (joints,
        frames) blocks, which numpy vectorises far better than millions of tiny matmuls.
        """
        n = local.shape[-1]
        offsets = self.offsets
        rot = np.empty_like(local)  # (3, 3, J, T)
        pos = np.empty((3, len(self.parents), n))  # (3, J, T)
        rot[:, :, 0] = local[:, :, 0]
        pos[:, 0] = offsets[0][:, None]
        if trans is not None:
            pos[:, 0] += np.asarray(trans, dtype=np.float64).T
        for joints, parents in _levels(self.parents):
            a = rot[:, :, parents]  # (3, 3, k, T) parents' global rotations
            b = local[:, :, joints]
            acc = a[:, 0, None] * b[None, 0]  # accumulate in place: fewer big temporaries
            acc += a[:, 1, None] * b[None, 1]
            acc += a[:, 2, None] * b[None, 2]
            rot[:, :, joints] = acc
            off = offsets[joints].T[:, :, None]  # (3, k, 1)
            at = pos[:, parents]
            at += a[:, 0] * off[0]
            at += a[:, 1] * off[1]
            at += a[:, 2] * off[2]
            pos[:, joints] = at
        return np.transpose(rot, (3, 2, 0, 1)), np.transpose(pos, (2, 1, 0))

    def joint_positions(self, motion):
        """(T, 55, 3) world joint positions of a Motion."""
        return self.forward_kinematics(motion.poses, motion.trans)[1]


_LEVEL_CACHE = {}


def _levels(parents):
    """[(joints, their parents), ...] for tree depth 1, 2, ... (cached per parent table)."""
    key = tuple(int(p) for p in parents)
    if key not in _LEVEL_CACHE:
        depth = np.zeros(len(key), np.int64)
        for j in range(1, len(key)):
            depth[j] = depth[key[j]] + 1
        levels = []
        for d in range(1, int(depth.max(initial=0)) + 1):
            joints = np.flatnonzero(depth == d)
            levels.append((joints, np.asarray(key)[joints]))
        _LEVEL_CACHE[key] = levels
    return _LEVEL_CACHE[key]


def neutral_skeleton():
    """The built-in skeleton, shared (it is immutable)."""
    return _NEUTRAL


_NEUTRAL = Skeleton.neutral()
