"""Joint positions and their time derivatives: the raw material of every motion metric.

Positions come from forward kinematics on the built-in neutral skeleton (or one you pass), so
metrics of different motions are measured on the same body and differ only by their poses.
Derivatives are finite differences in physical units (metres per second, per second squared,
per second cubed), so figures at different frame rates can be compared.
"""

import numpy as np

from ..errors import MotionValueError
from ..skeleton import BODY, Skeleton, neutral_skeleton, with_ancestors

# The joints the paper metrics use unless told otherwise: the 22 body joints (pelvis ... wrists).
DEFAULT_JOINTS = BODY


def joint_positions(motion, joints=None, world=False, skeleton=None):
    """Joint positions of a Motion by forward kinematics, metres.

    Parameters
    ----------
    motion : Motion
    joints : index array into the 55 SMPL-X joints, or None for all 55.
    world : include the root translation ``trans`` (True: where the body is in the room, for
        foot contact; False: the pose only, so a speaker standing one step to the left is not
        counted as a different gesture).
    skeleton : motion.skeleton.Skeleton, default the built-in neutral one.

    Returns
    -------
    (T, J, 3) float64
    """
    skeleton = skeleton or neutral_skeleton()
    trans = motion.trans if world else None
    if joints is None:
        return skeleton.forward_kinematics(motion.poses, trans)[1]
    # Only the joints asked for and those above them: the same products, a fraction of the work.
    joints = np.arange(len(skeleton.parents))[np.asarray(joints)]
    chain = with_ancestors(joints, skeleton.parents)
    positions = _part(skeleton, chain).forward_kinematics(motion.poses[:, chain], trans)[1]
    return positions[:, np.searchsorted(chain, joints)]


def _part(skeleton, chain):
    """The Skeleton of the joints ``chain`` (sorted, closed under parents) alone."""
    slot = {int(j): k for k, j in enumerate(chain)}
    parents = [-1 if skeleton.parents[j] < 0 else slot[int(skeleton.parents[j])] for j in chain]
    return Skeleton(rest_positions=skeleton.rest_positions[chain], parents=np.array(parents),
                    names=tuple(skeleton.names[j] for j in chain))


def velocity(positions, fps):
    """(T, ...) -> (T-1, ...) forward differences times fps (units per second)."""
    return np.diff(np.asarray(positions, dtype=np.float64), axis=0) * float(fps)


def acceleration(positions, fps):
    """(T, ...) -> (T-2, ...) second differences times fps**2 (units per second squared)."""
    return np.diff(np.asarray(positions, dtype=np.float64), n=2, axis=0) * float(fps) ** 2


def jerk(positions, fps):
    """(T, ...) -> (T-3, ...) third differences times fps**3 (units per second cubed)."""
    return np.diff(np.asarray(positions, dtype=np.float64), n=3, axis=0) * float(fps) ** 3


def joint_speed(positions, fps):
    """(T, J, 3) -> (T-1, J) speed of each joint, units per second."""
    return np.linalg.norm(velocity(positions, fps), axis=-1)


def central_speed(positions, fps):
    """(T, J, 3) -> (T, J) speed by central differences (one-sided at both ends).

    Same length as the motion, so a speed minimum at index i is the frame i itself.
    """
    p = np.asarray(positions, dtype=np.float64)
    if p.shape[0] < 2:
        return np.zeros(p.shape[:2])
    return np.linalg.norm(np.gradient(p, axis=0), axis=-1) * float(fps)


def angular_speed(motion, joints=None):
    """(T-1, J) rotation speed of each joint in its parent's frame, radians per second.

    The geodesic angle between a joint's local rotations in consecutive frames times the frame
    rate: how fast the joint itself turns, whatever the body around it does.
    joints : index array into the 55 SMPL-X joints, or None for all 55.
    """
    from ..rotations import geodesic_distance

    poses = np.asarray(motion.poses, dtype=np.float64)
    if joints is not None:
        poses = poses[:, np.asarray(joints)]
    return geodesic_distance(poses[:-1], poses[1:]) * float(motion.fps)


def require_same_rate(a, b, what):
    """Raise MotionValueError when two motions are at different frame rates."""
    if a.fps != b.fps:
        raise MotionValueError(f"{what} compares motions at one frame rate, got {a.fps} and {b.fps} fps")
