"""The fingers' offsets: what ships, read both ways round, and a fit that carries them."""

import numpy as np

from talkrig.inference.capture import finger_offsets
from talkrig.motion.rotations import axis_angle_to_matrix


def test_the_shipped_offsets_turn_each_finger_joint_of_both_hands_mirrored():
    offsets = finger_offsets.offsets()
    assert len(offsets) == 2 * len(finger_offsets.JOINTS)
    for name in finger_offsets.JOINTS:
        left, right = offsets[f"left_{name}"], offsets[f"right_{name}"]
        assert np.allclose(left @ left.T, np.eye(3), atol=1e-6)
        assert np.allclose(right, finger_offsets.MIRROR @ left @ finger_offsets.MIRROR)
        angle = np.degrees(np.arccos(np.clip((np.trace(left) - 1) / 2, -1, 1)))
        assert angle < 45.0  # a convention between two sets of points, not a pose


def test_offsets_written_are_read_back(tmp_path):
    rng = np.random.default_rng(0)
    left = {name: rng.normal(0, 0.3, 3) for name in finger_offsets.JOINTS}
    path = tmp_path / "offsets.npz"
    finger_offsets.save(path, left)
    read = finger_offsets.offsets(path)
    for name, aa in left.items():
        assert np.allclose(read[f"left_{name}"], axis_angle_to_matrix(aa), atol=1e-6)
    assert finger_offsets.offsets(tmp_path / "absent.npz") == {}
