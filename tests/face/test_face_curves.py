"""The face-curve table in the Motion and the npz, shape-key name matching, and the 2D mouth-cue
track (motion/facecurves.py, motion/mouthcues.py; numpy only)."""

import json

import numpy as np
import pytest

from talkrig.motion import Motion, MotionFileError, MotionValueError, load_motion, resample, save_motion
from talkrig.motion.facecurves import (
    ARKIT_NAMES,
    FACE_CURVE_NAMES,
    MOUTH_SHAPE_CURVES,
    VISEME_CURVES,
    curve_table,
    match_face_key,
    vrm_weights,
)
from talkrig.motion.mouthcues import cues_to_tsv, mouth_cues, write_mouth_cues
from talkrig.motion.npz import motion_to_arrays, read_npz


def face_motion(n=60, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    names = ("jawOpen", "eyeBlink_L", "viseme_PP")
    return Motion(poses=rng.normal(0, 0.1, (n, 55, 3)), trans=np.zeros((n, 3)),
                  expressions=np.zeros((n, 100)), fps=fps,
                  face_curves=rng.uniform(0, 1, (n, len(names))), face_names=names)


def test_arkit_has_its_52_shapes_once_each():
    assert len(ARKIT_NAMES) == 52 == len(set(ARKIT_NAMES))
    assert len(FACE_CURVE_NAMES) == 52 + 15 + 9 == len(set(FACE_CURVE_NAMES))
    # every ARKit name is recognised as itself, and spelled with Left/Right too
    for name in ARKIT_NAMES:
        assert match_face_key(name) == ("arkit", name)
        long = name.replace("_L", "Left").replace("_R", "Right")
        assert match_face_key(long.upper()) == ("arkit", name)


def test_the_face_table_travels_with_the_frames():
    motion = face_motion()
    assert motion.has_face and motion.face_curve("eyeBlink_L").shape == (60,)
    assert motion.face_curve("browInnerUp") is None
    part = motion[10:20]
    np.testing.assert_array_equal(part.face_curves, motion.face_curves[10:20])
    both = Motion.concatenate([motion, motion.copy()])
    assert both.face_names == motion.face_names and both.face_curves.shape == (120, 3)
    # joined with a take that has no face: the table is dropped rather than made up
    bare = Motion(poses=motion.poses, trans=motion.trans, expressions=motion.expressions)
    assert not Motion.concatenate([motion, bare]).has_face
    slow = resample(motion, 24.0)
    assert slow.face_names == motion.face_names and slow.n_frames == 48
    # frame 24 at 24 fps is frame 30 at 30 fps (1 s)
    assert slow.face_curve("jawOpen")[24] == pytest.approx(motion.face_curve("jawOpen")[30], abs=1e-6)


def test_a_face_table_that_does_not_fit_is_refused():
    motion = face_motion()
    with pytest.raises(MotionValueError, match="face_curves must have shape"):
        Motion(poses=motion.poses, trans=motion.trans, face_curves=np.zeros((60, 2)),
               face_names=("jawOpen", "mouthClose", "tongueOut"))
    with pytest.raises(MotionValueError, match="same name twice"):
        Motion(poses=motion.poses, trans=motion.trans, face_curves=np.zeros((60, 2)),
               face_names=("jawOpen", "jawOpen"))
    curves = motion.face_curves.copy()
    curves[3, 1] = np.nan
    with pytest.raises(MotionValueError, match="face_curves holds a NaN"):
        Motion(poses=motion.poses, trans=motion.trans, face_curves=curves, face_names=motion.face_names)


def test_npz_keeps_the_face_and_stays_a_beat2_file(tmp_path):
    motion = face_motion()
    path = tmp_path / "take.npz"
    save_motion(motion, path)
    back = load_motion(path)
    assert back.face_names == motion.face_names
    np.testing.assert_allclose(back.face_curves, motion.face_curves, atol=1e-7)
    with np.load(path) as data:  # what a BEAT2 reader sees: its keys, unchanged
        assert {"poses", "trans", "expressions", "betas", "mocap_frame_rate"} <= set(data.files)
        assert data["poses"].shape == (60, 165)
    plain = Motion(poses=motion.poses, trans=motion.trans)
    assert "face_curves" not in motion_to_arrays(plain)  # old takes are written as before


def test_a_damaged_face_table_names_the_key(tmp_path):
    arrays = motion_to_arrays(face_motion())
    half = dict(arrays)
    del half["face_curve_names"]
    np.savez(tmp_path / "half.npz", **half)
    with pytest.raises(MotionFileError, match="'face_curve_names' is missing"):
        read_npz(tmp_path / "half.npz")
    short = dict(arrays, face_curves=arrays["face_curves"][:, :2])
    np.savez(tmp_path / "short.npz", **short)
    with pytest.raises(MotionFileError, match=r"'face_curves' has shape \(60, 2\)"):
        read_npz(tmp_path / "short.npz")


def test_vrm_vowels_come_from_the_visemes():
    weights = np.zeros((3, 15))
    weights[0, VISEME_CURVES.index("viseme_aa")] = 1.0
    weights[1, VISEME_CURVES.index("viseme_ou")] = 1.0
    weights[2, VISEME_CURVES.index("viseme_PP")] = 1.0
    vrm = vrm_weights(weights)
    assert vrm[0].argmax() == 0 and vrm[0, 0] == 1.0  # aa
    assert vrm[1].argmax() == 2  # ou
    assert vrm[2].max() == 0.0  # closed lips: no vowel


def cue_motion(shapes_per_frame, fps=30.0):
    """A motion whose mouthCue_* weights pick ``shapes_per_frame`` (a string of letters)."""
    n = len(shapes_per_frame)
    curves = {name: np.full(n, 0.05) for name in MOUTH_SHAPE_CURVES}
    for i, letter in enumerate(shapes_per_frame):
        curves[f"mouthCue_{letter}"][i] = 0.9
    names, table = curve_table(curves, n)
    return Motion(poses=np.zeros((n, 55, 3)), trans=np.zeros((n, 3)), fps=fps,
                  face_curves=table, face_names=names)


def test_mouth_cues_fold_flicker_but_never_a_closure():
    # X rest, a one-frame C flicker inside D, a one-frame A (a quick "b"), F, a one-frame X
    motion = cue_motion("XXXXDDCDDDADDFFFFX")
    cues = mouth_cues(motion)
    assert [c.value for c in cues] == ["X", "D", "A", "D", "F"]
    assert cues[0].start == 0.0 and cues[-1].end == pytest.approx(motion.duration, abs=1e-4)
    assert all(a.end == b.start for a, b in zip(cues, cues[1:]))  # no gaps
    assert cues[2].start == pytest.approx(10 / 30, abs=1e-4) and cues[2].end == pytest.approx(11 / 30, abs=1e-4)


def test_mouth_cues_in_rhubarb_layouts(tmp_path):
    motion = cue_motion("XXAAAGGGDDDD")
    write_mouth_cues(motion, tmp_path / "cues.json", sound_file="line.wav")
    data = json.loads((tmp_path / "cues.json").read_text())
    assert data["metadata"] == {"soundFile": "line.wav", "duration": 0.4}
    assert [c["value"] for c in data["mouthCues"]] == ["X", "A", "G", "D"]
    assert set(data["mouthCues"][0]) == {"start", "end", "value"}
    write_mouth_cues(motion, tmp_path / "cues.tsv")
    lines = (tmp_path / "cues.tsv").read_text().splitlines()
    assert lines == ["0.000\tX", "0.067\tA", "0.167\tG", "0.267\tD", "0.400\tX"]
    assert cues_to_tsv([], 1.5) == "1.500\tX\n"
    with pytest.raises(MotionValueError, match=".json or .tsv"):
        write_mouth_cues(motion, tmp_path / "cues.txt")
    with pytest.raises(MotionValueError, match="no mouth-shape curves"):
        mouth_cues(Motion(poses=np.zeros((4, 55, 3)), trans=np.zeros((4, 3))))
