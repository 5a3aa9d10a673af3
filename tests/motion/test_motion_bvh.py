"""BVH of the SMPL-X skeleton: round trips on the real take, units, other writers' layouts,
and every kind of bad file."""

import re

import numpy as np
import pytest

from talkrig.motion import JOINT_NAMES, NUM_JOINTS, PARENTS, MotionFileError, load_motion, neutral_skeleton
from talkrig.motion.bvh import format_bvh, parse_bvh, read_bvh, read_bvh_skeleton, write_bvh
from talkrig.motion.rotations import axis_angle_to_matrix, geodesic_distance, matrix_to_euler


@pytest.fixture(scope="module")
def scott_bvh(scott_motion, tmp_path_factory):
    path = tmp_path_factory.mktemp("bvh") / "scott.bvh"
    write_bvh(scott_motion, path)
    return path


def test_npz_bvh_npz_round_trip_on_real_take(scott_motion, scott_bvh):
    back = load_motion(scott_bvh)
    assert back.n_frames == 1350 and back.fps == 30.0
    angle = geodesic_distance(scott_motion.poses, back.poses)
    assert angle.max() < 1e-4  # radians, every joint of every frame
    np.testing.assert_allclose(back.trans, scott_motion.trans, atol=1e-5)
    # BVH cannot hold expressions or body shape.
    assert back.n_expressions == 0 and back.betas.size == 0


def test_written_layout(scott_bvh):
    text = scott_bvh.read_text()
    head, motion = text.split("MOTION\n")
    assert head.startswith("HIERARCHY\nROOT pelvis\n")
    assert "CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation" in head
    assert head.count("CHANNELS 3 Zrotation Yrotation Xrotation") == 54
    assert all(f"JOINT {name}\n" in head for name in JOINT_NAMES[1:])
    lines = motion.splitlines()
    assert lines[0] == "Frames: 1350" and lines[1].startswith("Frame Time: 0.03333")
    assert len(lines) == 2 + 1350 and len(lines[2].split()) == 6 + 54 * 3


def test_written_curves_have_no_turn_jumps(scott_bvh):
    data = parse_bvh(scott_bvh.read_text())
    angles = data.values[:, 3:]  # degrees
    assert np.abs(np.diff(angles, axis=0)).max() < 180.0


def test_units_centimetres_and_auto_detection(scott_motion, tmp_path):
    part = scott_motion[:60]
    m_path, cm_path = tmp_path / "m.bvh", tmp_path / "cm.bvh"
    write_bvh(part, m_path, units="m")
    write_bvh(part, cm_path, units="cm")
    offsets_m = np.array(parse_bvh(m_path.read_text()).offsets)
    offsets_cm = np.array(parse_bvh(cm_path.read_text()).offsets)
    np.testing.assert_allclose(offsets_cm, offsets_m * 100, atol=1e-4)
    for path in (m_path, cm_path):
        back = read_bvh(path)  # units guessed from the skeleton's size
        np.testing.assert_allclose(back.trans, part.trans, atol=1e-5)
    # Units given explicitly win over the guess.
    np.testing.assert_allclose(read_bvh(cm_path, units="m").trans, part.trans * 100, atol=1e-3)
    with pytest.raises(MotionFileError, match="units must be one of"):
        read_bvh(cm_path, units="inch")


def test_skeleton_round_trips(scott_motion, tmp_path):
    rng = np.random.default_rng(0)
    skeleton = neutral_skeleton()
    custom = type(skeleton)(rest_positions=skeleton.rest_positions * 1.1 + rng.normal(scale=0.003,
                                                                                     size=(55, 3)))
    path = tmp_path / "custom.bvh"
    write_bvh(scott_motion[:5], path, skeleton=custom, units="cm")
    np.testing.assert_allclose(read_bvh_skeleton(path).rest_positions, custom.rest_positions,
                               atol=1e-6)


def foreign_bvh(motion, order="XYZ"):
    """BVH as another tool might write it: centimetres, the SMPL-X joints in a different
    hierarchy order, rotation order XYZ, root rotations listed before positions."""
    offsets = neutral_skeleton().offsets * 100
    lines = ["HIERARCHY"]
    file_order = []

    def joint(j, depth):
        pad = "  " * depth
        file_order.append(j)
        kind = "ROOT" if j == 0 else "JOINT"
        rot = " ".join(f"{a}rotation" for a in order)
        channels = (f"CHANNELS 6 {rot} Xposition Yposition Zposition" if j == 0
                    else f"CHANNELS 3 {rot}")
        lines.extend([f"{pad}{kind} {JOINT_NAMES[j]}", f"{pad}{{",
                      f"{pad}  OFFSET {' '.join(f'{v:.6f}' for v in offsets[j])}",
                      f"{pad}  {channels}"])
        children = [c for c in range(55) if PARENTS[c] == j][::-1]  # reversed child order
        for c in children:
            joint(c, depth + 1)
        if not children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 0 1", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    joint(0, 0)
    euler = np.degrees(matrix_to_euler(axis_angle_to_matrix(motion.poses[:, file_order]), order))
    root_pos = (motion.trans + neutral_skeleton().rest_positions[0]) * 100
    rows = np.concatenate([euler[:, 0], root_pos, euler[:, 1:].reshape(len(motion), -1)], axis=1)
    lines += ["MOTION", f"Frames: {len(motion)}", f"Frame Time: {1 / motion.fps:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def test_reads_other_writers_layouts(scott_motion, tmp_path):
    part = scott_motion[100:160]
    path = tmp_path / "foreign.bvh"
    path.write_text(foreign_bvh(part, "XYZ"))
    back = read_bvh(path)
    assert back.n_frames == 60 and back.fps == 30.0
    assert geodesic_distance(part.poses, back.poses).max() < 1e-4
    np.testing.assert_allclose(back.trans, part.trans, atol=1e-5)


def test_frame_rate_from_frame_time(scott_motion, tmp_path):
    for fps in (24.0, 25.0, 29.97, 60.0, 12.5):
        m = scott_motion[:10].copy()
        m.fps = fps
        path = tmp_path / f"r{fps}.bvh"
        write_bvh(m, path)
        assert read_bvh(path).fps == fps


@pytest.mark.parametrize("frame_time, fps", [("0.033333", 30.0), ("0.041667", 24.0), ("0.016667", 60.0),
                                              ("0.033367", 29.97), ("0.0417083", 23.976), ("0.04", 25.0)])
def test_a_frame_time_written_to_six_places_is_its_whole_or_ntsc_rate(scott_motion, tmp_path, frame_time, fps):
    """Blender and other tools write the frame time to six places: 0.033333 is 30 fps (it read
    as 30.0003 fps, a rate no scene has)."""
    text = format_bvh(scott_motion[:10])
    path = tmp_path / "six.bvh"
    path.write_text(re.sub(r"Frame Time: \S+", f"Frame Time: {frame_time}", text))
    assert read_bvh(path).fps == fps


def swap_text(text, old, new, count=1):
    assert old in text
    return text.replace(old, new, count)


@pytest.fixture(scope="module")
def small_text(scott_motion):
    return format_bvh(scott_motion[:4])


def bad_last_row(text, token):
    head, last = text.rstrip("\n").rsplit("\n", 1)
    values = last.split()
    values[7] = token
    return head + "\n" + " ".join(values) + "\n"


def other_skeleton():
    return """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 10 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.033333
0 90 0 0 0 0 0 0 0
0 90 0 0 0 0 0 0 0
"""


def test_a_joint_named_otherwise_reads_as_the_same_motion(small_text, scott_motion, tmp_path):
    """A SMPL-X file with a joint renamed (``LeftKnee``, ``right_hip_x``) is a humanoid its
    names still tell: read as the same motion (it was refused as not SMPL-X's skeleton)."""
    expected = load_motion_text(small_text, tmp_path / "plain.bvh")
    for old, new in (("JOINT left_knee", "JOINT LeftKnee"), ("JOINT right_hip", "JOINT right_hip_x")):
        renamed = load_motion_text(swap_text(small_text, old, new), tmp_path / "renamed.bvh")
        assert np.degrees(geodesic_distance(renamed.poses, expected.poses)).max() < 0.01
        assert np.abs(renamed.trans - expected.trans).max() < 0.04


def load_motion_text(text, path):
    path.write_text(text)
    return load_motion(path)


@pytest.mark.parametrize("make, message", [
    (lambda t: other_skeleton(),
     "not the SMPL-X 55-joint skeleton: it has 2 joints, and read as another humanoid's: no "
     "joint found for head, left_shoulder"),
    (lambda t: swap_text(t, "JOINT right_hip", "JOINT left_knee"), "it has 55 joints; missing 'right_hip'"),
    (lambda t: "ROOT x\n" + t, "must start with 'HIERARCHY'"),
    (lambda t: t[:-300], "the file is truncated: 'Frames: 4' x 168 channels needs 672 values"),
    (lambda t: t.split("MOTION")[0], "no MOTION section"),
    (lambda t: swap_text(t, "Frame Time: ", "Frame Time: abc"), "'Frame Time:' must be followed"),
    (lambda t: swap_text(t, "Frames: 4", "Frames: 0"), "holds no frames"),
    (lambda t: swap_text(t, "Frame Time: 0.0333333333", "Frame Time: -1"), "must be positive"),
    (lambda t: t.rstrip("\n") + " 1.0 2.0\n", "more than 'Frames: 4'"),
    (lambda t: bad_last_row(t, "zz"), "frame 4 holds 'zz', not a number"),
    (lambda t: swap_text(t, "OFFSET 0.000000 -0.350000 0.000000", "OFFSET 0 nan 0"),
     "OFFSET holds a NaN"),
    (lambda t: swap_text(t, "CHANNELS 3 Zrotation", "CHANNELS 3 Wrotation"), "bad CHANNELS list"),
    (lambda t: swap_text(t, "\t}\n}\nMOTION", "\t}\nMOTION"),
     "MOTION before the HIERARCHY is closed"),
    (lambda t: "", "must start with 'HIERARCHY'"),
])
def test_bad_bvh_files(small_text, tmp_path, make, message):
    path = tmp_path / "bad.bvh"
    path.write_text(make(small_text))
    with pytest.raises(MotionFileError, match=message) as err:
        load_motion(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_joint_under_wrong_parent(small_text, tmp_path):
    # Same 55 names, but the eyes swapped with two fingers of the left hand.
    text = small_text.replace("JOINT left_eye_smplhf", "JOINT TMP").replace(
        "JOINT left_thumb3", "JOINT left_eye_smplhf").replace("JOINT TMP", "JOINT left_thumb3")
    path = tmp_path / "swapped.bvh"
    path.write_text(text)
    with pytest.raises(MotionFileError, match="joint '.*' hangs under '.*', expected under"):
        read_bvh(path)


def test_binary_file_and_folder(tmp_path):
    path = tmp_path / "binary.bvh"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(MotionFileError, match="not a BVH file"):
        load_motion(path)
    folder = tmp_path / "folder.bvh"
    folder.mkdir()
    with pytest.raises(MotionFileError, match="is a folder"):
        load_motion(folder)


def test_braces_on_the_joint_line(small_text, scott_motion, tmp_path):
    path = tmp_path / "compact.bvh"
    path.write_text(re.sub(r"\n\t*\{\n", " {\n", small_text))
    assert "ROOT pelvis {" in path.read_text()
    back = read_bvh(path)
    assert geodesic_distance(back.poses, scott_motion.poses[:4]).max() < 1e-4


def test_block_without_opening_brace(small_text, tmp_path):
    path = tmp_path / "nobrace.bvh"
    path.write_text(small_text.replace("JOINT left_hip\n\t{\n", "JOINT left_hip\n", 1))
    with pytest.raises(MotionFileError, match=r"line 7: expected '\{' to open the block"):
        read_bvh(path)


CMU_NAMES = {"pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "spine1": "Spine",
             "left_knee": "LeftLeg", "right_knee": "RightLeg", "spine2": "Spine1", "spine3": "Spine2",
             "left_ankle": "LeftFoot", "right_ankle": "RightFoot", "left_foot": "LeftToeBase",
             "right_foot": "RightToeBase", "neck": "Neck", "head": "Head", "left_collar": "LeftShoulder",
             "right_collar": "RightShoulder", "left_shoulder": "LeftArm", "right_shoulder": "RightArm",
             "left_elbow": "LeftForeArm", "right_elbow": "RightForeArm", "left_wrist": "LeftHand",
             "right_wrist": "RightHand"}


@pytest.mark.parametrize("prefix", ["", "Character1_"])
def test_a_bvh_of_another_humanoid_skeleton_reads_as_its_smplx_motion(scott_motion, prefix):
    """The take's BVH in centimetres with its joints named as other tools name them (CMU's body
    names, the rest kept, every name behind the character's): read through the retargeting's
    way back, every joint turns as in the take and the body stays within 4 cm of where it
    travels (0.84 m; the floor is read under the End Sites, a little lower than SMPL-X's); it
    was refused as not SMPL-X's skeleton."""
    take = scott_motion[:300]

    def renamed(match):
        name = match.group(2)
        return match.group(1) + prefix + CMU_NAMES.get(name, f"{'Hand' if 'index' in name else ''}{name}")

    text = re.sub(r"^(\s*(?:ROOT|JOINT)\s+)(\S+)", renamed, format_bvh(take, units="cm"), flags=re.M)
    data = parse_bvh(text, "other.bvh")
    assert len(set(data.names) & set(JOINT_NAMES)) < NUM_JOINTS / 2
    from talkrig.motion.bvh import motion_from_bvh

    back = motion_from_bvh(data, "other.bvh")
    assert back.n_frames == take.n_frames and back.fps == take.fps
    assert np.degrees(geodesic_distance(back.poses, take.poses)).max() < 0.01
    assert np.abs(back.trans - take.trans).max() < 0.04
