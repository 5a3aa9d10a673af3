"""Rig description and Blender conventions, numpy only: rest matrices, rolls, rotation modes."""

import numpy as np
import pytest

from talkrig.motion.retarget import RetargetError, Rig, bone_matrix, bone_roll, deform_parents
from talkrig.motion.retarget.conventions import (
    quat_to_blender_axis_angle,
    quat_to_blender_euler,
    quat_to_rotation_mode,
)
from talkrig.motion.rotations import axis_angle_to_quat, quat_to_matrix


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def test_bone_matrix_points_y_along_the_bone_and_is_a_rotation():
    rng = np.random.default_rng(1)
    heads = rng.normal(size=(200, 3))
    tails = heads + rng.normal(size=(200, 3))
    tails[0] = heads[0] + [0, -2.0, 0]  # exactly along -Y: Blender's special case
    tails[1] = heads[1] + [1e-7, -1.0, 0]  # nearly along -Y
    rolls = rng.uniform(-np.pi, np.pi, 200)
    m = bone_matrix(heads, tails, rolls)
    d = (tails - heads) / np.linalg.norm(tails - heads, axis=1, keepdims=True)
    np.testing.assert_allclose(m[:, :, 1], d, atol=1e-6)
    np.testing.assert_allclose(m @ np.swapaxes(m, 1, 2), np.broadcast_to(np.eye(3), m.shape), atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-6)


def test_bone_matrix_matches_blenders_rules_for_simple_bones():
    # A bone pointing up +Z with no roll: X stays +X, Z turns to -Y (shortest arc from +Y).
    m = bone_matrix([0, 0, 0], [0, 0, 1], 0.0)
    np.testing.assert_allclose(m, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)
    # Roll turns X and Z about the bone, right-handed.
    rolled = bone_matrix([0, 0, 0], [0, 0, 1], np.pi / 2)
    np.testing.assert_allclose(rolled[:, 0], [0, 1, 0], atol=1e-12)
    # Exactly along -Y: a half turn about Z.
    np.testing.assert_allclose(bone_matrix([0, 0, 0], [0, -1, 0]), np.diag([-1.0, -1.0, 1.0]))


def test_bone_roll_recovers_the_roll():
    rng = np.random.default_rng(2)
    heads = rng.normal(size=(50, 3))
    tails = heads + rng.normal(size=(50, 3))
    rolls = rng.uniform(-np.pi + 1e-3, np.pi - 1e-3, 50)
    np.testing.assert_allclose(bone_roll(heads, tails, bone_matrix(heads, tails, rolls)), rolls,
                               atol=1e-9)


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_blender_euler_orders_rebuild_the_rotation(order):
    rng = np.random.default_rng(3)
    q = axis_angle_to_quat(rng.normal(scale=1.2, size=(100, 3)))
    angles = quat_to_blender_euler(q, order)
    elementary = {"X": _rx, "Y": _ry, "Z": _rz}
    for k in range(100):
        r = np.eye(3)
        for axis in order:  # the first letter applies first
            r = elementary[axis](angles[k, "XYZ".index(axis)]) @ r
        np.testing.assert_allclose(r, quat_to_matrix(q[k]), atol=1e-9)


def test_euler_curves_are_continuous_in_time():
    t = np.linspace(0, 4 * np.pi, 400)
    q = axis_angle_to_quat(np.stack([t, 0.3 * np.ones_like(t), np.zeros_like(t)], 1))
    angles = quat_to_blender_euler(q, "XYZ")
    assert np.abs(np.diff(angles, axis=0)).max() < 0.2


def test_axis_angle_mode_and_dispatch():
    q = axis_angle_to_quat(np.array([[0.0, 0.0, 0.5], [0.0, 0.0, 0.0]]))
    aa = quat_to_blender_axis_angle(q)
    np.testing.assert_allclose(aa[0], [0.5, 0, 0, 1], atol=1e-12)
    assert aa[1, 0] == 0.0
    assert quat_to_rotation_mode(q, "QUATERNION")[0] == "rotation_quaternion"
    assert quat_to_rotation_mode(q, "AXIS_ANGLE")[0] == "rotation_axis_angle"
    path, values = quat_to_rotation_mode(q, "ZXY")
    assert path == "rotation_euler" and values.shape == (2, 3)


def test_rig_rejects_bad_input_with_a_message():
    heads = np.zeros((2, 3))
    tails = heads + [0, 0, 1]
    with pytest.raises(RetargetError, match="duplicate"):
        Rig.from_bones(["a", "a"], [None, 0], heads, tails)
    with pytest.raises(RetargetError, match="parent bone 'x'"):
        Rig.from_bones(["a", "b"], [None, "x"], heads, tails)
    with pytest.raises(RetargetError, match="cycle"):
        Rig.from_bones(["a", "b"], [1, 0], heads, tails)
    with pytest.raises(RetargetError, match="heads"):
        Rig(["a", "b"], [-1, 0], np.zeros((3, 3)), tails, bone_matrix(heads, tails))
    rig = Rig.from_bones(["a", "b"], [None, "a"], heads, tails, name="r")
    with pytest.raises(RetargetError, match="rig 'r' has no bone named 'c'"):
        rig.index("c")
    assert rig.ancestors(1) == [0] and rig.children(0) == [1]


def test_deform_parents_chain_rigify_deform_bones_through_their_helpers():
    names = ["root", "ORG-spine", "DEF-spine", "ORG-shoulder.L", "DEF-shoulder.L",
             "DEF-upper_arm.L", "DEF-upper_arm.L.001", "handle"]
    parents = [None, "root", "root", "ORG-spine", "ORG-shoulder.L", "ORG-shoulder.L",
               "DEF-upper_arm.L", "root"]
    heads = np.arange(len(names) * 3, dtype=float).reshape(-1, 3)
    rig = Rig.from_bones(names, parents, heads, heads + [0, 0, 1])
    eff = deform_parents(rig)
    named = {rig.names[i]: (rig.names[p] if p >= 0 else None) for i, p in enumerate(eff)}
    assert named["DEF-shoulder.L"] == "DEF-spine"  # its own twin is skipped
    assert named["DEF-upper_arm.L"] == "DEF-shoulder.L"
    assert named["DEF-upper_arm.L.001"] == "DEF-upper_arm.L"
    assert named["DEF-spine"] == "root" and named["handle"] == "root"
