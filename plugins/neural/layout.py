"""The pose vector the neural generators predict, and its mapping to and from Motion.

A pose vector holds, per frame, the 6-D rotation (first two matrix columns, as
``motion.rotations.matrix_to_6d``) of every joint in the model's joint set, followed by the
expression coefficients. The eyes are left out of the default joint set: BEAT2 barely moves them
and no paper models them. Root translation is not predicted: the generators derive it from the
feet (``neural.grounding``).
"""

from dataclasses import dataclass

import numpy as np

from ...motion import Motion
from ...motion.rotations import axis_angle_to_6d, sixd_to_axis_angle
from ...motion.skeleton import EYES, JAW, NUM_JOINTS

DEFAULT_JOINTS = tuple(j for j in range(NUM_JOINTS) if j not in set(EYES.tolist()))
SIXD = 6


@dataclass(frozen=True)
class PoseLayout:
    """Which joints and how many expression coefficients a model predicts.

    joints : SMPL-X joint indices, in vector order.
    n_expressions : expression coefficients after the rotations (0 for none).
    """

    joints: tuple = DEFAULT_JOINTS
    n_expressions: int = 100

    @property
    def rot_dim(self):
        return len(self.joints) * SIXD

    @property
    def dim(self):
        return self.rot_dim + self.n_expressions

    def joint_columns(self, joint_indices):
        """Vector columns (int array) of the 6-D rotations of the given SMPL-X joints."""
        wanted = set(int(j) for j in np.atleast_1d(joint_indices))
        cols = [np.arange(k * SIXD, (k + 1) * SIXD) for k, j in enumerate(self.joints) if j in wanted]
        return np.concatenate(cols) if cols else np.zeros(0, np.int64)

    def part_columns(self):
        """{"body", "hands", "jaw", "expressions"} -> vector columns of that part.

        body: joints 0-21 (pelvis .. wrists); hands: 25-54; jaw: 22.
        """
        return {
            "body": self.joint_columns(range(0, 22)),
            "hands": self.joint_columns(range(25, 55)),
            "jaw": self.joint_columns([JAW]),
            "expressions": np.arange(self.rot_dim, self.dim),
        }

    def to_dict(self):
        return {"joints": list(self.joints), "n_expressions": int(self.n_expressions)}

    @classmethod
    def from_dict(cls, data):
        return cls(joints=tuple(int(j) for j in data["joints"]),
                   n_expressions=int(data["n_expressions"]))


def motion_to_vectors(motion, layout):
    """(T, layout.dim) float32 pose vectors of a Motion.

    Missing expression coefficients are filled with zeros, extra ones dropped.
    """
    rot = axis_angle_to_6d(motion.poses[:, list(layout.joints)]).reshape(motion.n_frames, -1)
    expr = np.zeros((motion.n_frames, layout.n_expressions), np.float32)
    k = min(layout.n_expressions, motion.n_expressions)
    expr[:, :k] = motion.expressions[:, :k]
    return np.concatenate([rot.astype(np.float32), expr], axis=1)


def vectors_to_motion(vectors, layout, fps, trans=None, betas=None, gender="neutral", only=None):
    """A Motion from (T, layout.dim) pose vectors.

    Joints outside the layout get zero rotation. trans: (3,) root position held for every frame
    (or (T, 3)); None for zero. only: the SMPL-X joints whose rotations are wanted (the others
    stay zero), e.g. ``skeleton.with_ancestors`` of the joints a measure places: the
    conversion is most of the cost of a measure on a few joints.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    n = vectors.shape[0]
    poses = np.zeros((n, NUM_JOINTS, 3), np.float32)
    sixd = vectors[:, :layout.rot_dim].reshape(n, len(layout.joints), SIXD)
    joints = list(layout.joints)
    if only is not None:
        wanted = set(int(j) for j in np.atleast_1d(only))
        keep = [k for k, j in enumerate(joints) if j in wanted]
        sixd, joints = sixd[:, keep], [joints[k] for k in keep]
    if joints:
        poses[:, joints] = sixd_to_axis_angle(sixd)
    trans = np.zeros(3) if trans is None else np.asarray(trans, dtype=np.float64)
    if trans.ndim == 1:
        trans = np.broadcast_to(trans, (n, 3))
    return Motion(
        poses=poses,
        trans=np.array(trans, dtype=np.float32),
        expressions=vectors[:, layout.rot_dim:].astype(np.float32),
        betas=np.zeros(0, np.float32) if betas is None else betas,
        fps=fps,
        gender=gender,
    )
