"""The fingers' offsets: what ships, read both ways round, and the recipe that finds them."""

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


def test_the_recipe_finds_the_offsets_a_detector_reads_the_fingers_with(scott_motion, tmp_path):
    """`recipes/fit_finger_offsets.py` on a take filmed by the test support's detector (which
    reads every finger joint turned by the shipped offset): the offsets it writes come back to
    those, on the finger joints beyond the root (a root's twist is not seen in one segment's
    direction, and its reading shares the wrist's), where the offset is large enough to tell."""
    import importlib.util
    import sys
    from pathlib import Path

    from support.capture_support import landmarks_of
    from talkrig.motion import save_motion

    take = scott_motion[300:480]
    np.savez_compressed(tmp_path / "perfect_take.landmarks.npz", **landmarks_of(take).to_arrays())
    save_motion(take, tmp_path / "perfect_take.npz")
    (tmp_path / "perfect_take.mp4").write_bytes(b"")  # only its name is read: landmarks cached
    path = Path(__file__).resolve().parents[2] / "recipes" / "fit_finger_offsets.py"
    spec = importlib.util.spec_from_file_location("fit_finger_offsets", path)
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    out = tmp_path / "found.npz"
    argv = sys.argv
    sys.argv = ["fit_finger_offsets", "--videos", str(tmp_path), "--work", str(tmp_path),
                "--out", str(out)]
    try:
        assert recipe.main() == 0
    finally:
        sys.argv = argv
    found, shipped = finger_offsets.offsets(out), finger_offsets.offsets()
    for name in finger_offsets.JOINTS:
        size = np.degrees(np.arccos(np.clip((np.trace(shipped[f"left_{name}"]) - 1) / 2, -1, 1)))
        if name.endswith("1") or size < 20.0:
            continue
        apart = found[f"left_{name}"].T @ shipped[f"left_{name}"]
        assert np.degrees(np.arccos(np.clip((np.trace(apart) - 1) / 2, -1, 1))) < 12.0, name
