"""The SMPL-X skeleton and forward kinematics."""

import numpy as np
import pytest

from talkrig.motion import (
    JOINT_NAMES,
    NUM_JOINTS,
    PARENTS,
    MotionValueError,
    Skeleton,
    neutral_skeleton,
)
from talkrig.motion.rotations import axis_angle_to_matrix


def reference_fk(skeleton, poses, trans):
    """Textbook FK, one joint at a time."""
    local = axis_angle_to_matrix(poses)
    offsets = skeleton.offsets
    rot = np.empty_like(local)
    pos = np.empty(poses.shape)
    rot[:, 0], pos[:, 0] = local[:, 0], offsets[0] + trans
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        rot[:, j] = rot[:, p] @ local[:, j]
        pos[:, j] = pos[:, p] + rot[:, p] @ offsets[j]
    return rot, pos


def test_tree_is_smplx():
    assert len(JOINT_NAMES) == len(PARENTS) == NUM_JOINTS == 55
    assert PARENTS[0] == -1 and np.all(PARENTS[1:] < np.arange(1, 55))
    assert JOINT_NAMES[PARENTS[JOINT_NAMES.index("left_wrist")]] == "left_elbow"
    assert JOINT_NAMES[PARENTS[JOINT_NAMES.index("jaw")]] == "head"
    assert JOINT_NAMES[PARENTS[JOINT_NAMES.index("right_thumb1")]] == "right_wrist"


def test_neutral_skeleton_is_a_human_t_pose():
    sk = neutral_skeleton()
    rest = sk.rest_positions
    assert 1.55 < sk.height < 1.8
    left, right = rest[JOINT_NAMES.index("left_wrist")], rest[JOINT_NAMES.index("right_wrist")]
    assert left[0] > 0.5 and right[0] < -0.5  # arms out sideways, body's left on +x
    assert abs(left[1] - rest[JOINT_NAMES.index("left_shoulder")][1]) < 0.05  # T-pose
    np.testing.assert_allclose(rest[:, 0] + rest[[_mirror(n) for n in JOINT_NAMES], 0], 0,
                               atol=1e-12)


def _mirror(name):
    if name.startswith("left"):
        return JOINT_NAMES.index("right" + name[4:])
    if name.startswith("right"):
        return JOINT_NAMES.index("left" + name[5:])
    return JOINT_NAMES.index(name)


def test_fk_matches_textbook_fk_on_real_motion(scott_motion):
    sk = neutral_skeleton()
    part = scott_motion[::10]
    rot, pos = sk.forward_kinematics(part.poses, part.trans)
    ref_rot, ref_pos = reference_fk(sk, part.poses.astype(np.float64), part.trans)
    np.testing.assert_allclose(rot, ref_rot, atol=1e-12)
    np.testing.assert_allclose(pos, ref_pos, atol=1e-12)
    rot2, pos2 = sk.forward_kinematics_matrices(axis_angle_to_matrix(part.poses), part.trans)
    np.testing.assert_allclose(pos2, pos, atol=1e-12)
    np.testing.assert_allclose(sk.joint_positions(part), pos, atol=1e-12)


def test_positions_of_a_few_joints_are_those_of_the_whole_body(scott_motion):
    """Measures on a few joints run forward kinematics on those and the joints above them only:
    the figures must be exactly the whole body's, for a skeleton of another shape too."""
    from talkrig.motion.metrics.kinematics import joint_positions
    from talkrig.motion.skeleton import with_ancestors

    assert with_ancestors([20, 15]).tolist() == [0, 3, 6, 9, 12, 13, 15, 16, 18, 20]
    part = scott_motion[::10]
    tall = Skeleton(rest_positions=neutral_skeleton().rest_positions * 1.1)
    for skeleton in (neutral_skeleton(), tall):
        for world in (False, True):
            whole = skeleton.forward_kinematics(part.poses, part.trans if world else None)[1]
            for joints in ([21, 20], [7, 8, 10, 11], list(range(22)), [15, 15, 3]):
                few = joint_positions(part, joints, world=world, skeleton=skeleton)
                np.testing.assert_array_equal(few, whole[:, joints])


def test_fk_keeps_bone_lengths_and_rest_pose(scott_motion):
    sk = neutral_skeleton()
    _, pos = sk.forward_kinematics(scott_motion.poses[:50], scott_motion.trans[:50])
    bones = np.linalg.norm(pos[:, 1:] - pos[:, PARENTS[1:]], axis=-1)
    np.testing.assert_allclose(bones, np.broadcast_to(np.linalg.norm(sk.offsets[1:], axis=-1),
                                                      bones.shape), atol=1e-12)
    rot, rest = sk.forward_kinematics(np.zeros((2, 55, 3)), np.array([[0, 0, 0], [1.0, 2, 3]]))
    np.testing.assert_allclose(rest[0], sk.rest_positions, atol=1e-12)
    np.testing.assert_allclose(rest[1], sk.rest_positions + [1, 2, 3], atol=1e-12)
    np.testing.assert_allclose(rot, np.broadcast_to(np.eye(3), rot.shape), atol=1e-12)


def test_elbow_bend_moves_only_the_forearm_chain():
    sk = neutral_skeleton()
    poses = np.zeros((1, 55, 3))
    elbow = JOINT_NAMES.index("left_elbow")
    poses[0, elbow] = [0, -np.pi / 2, 0]  # bend forward about y
    _, pos = sk.forward_kinematics(poses)
    wrist = JOINT_NAMES.index("left_wrist")
    forearm = sk.rest_positions[wrist] - sk.rest_positions[elbow]
    np.testing.assert_allclose(pos[0, wrist] - pos[0, elbow],
                               [forearm[2], forearm[1], forearm[0]] * np.array([-1, 1, 1]),
                               atol=1e-12)
    np.testing.assert_allclose(pos[0, :elbow], sk.rest_positions[:elbow], atol=1e-12)


def test_skeleton_validation():
    with pytest.raises(MotionValueError, match=r"rest_positions must have shape \(55, 3\)"):
        Skeleton(rest_positions=np.zeros((54, 3)))
    bad_parents = PARENTS.copy()
    bad_parents[5] = 9
    with pytest.raises(MotionValueError, match="parents must"):
        Skeleton(rest_positions=np.zeros((55, 3)), parents=bad_parents)
