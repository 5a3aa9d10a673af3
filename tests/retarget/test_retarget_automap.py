"""Bone maps: presets as data, automatic mapping from names and hierarchy, reports. numpy only."""

import dataclasses
import json
import os

import numpy as np
import pytest
from support.retarget_rigs import STYLES, build_rig, expected_map

from talkrig.motion.retarget import (
    FINGER_JOINTS,
    MAJOR_JOINTS,
    BoneMap,
    RetargetError,
    Rig,
    apply_preset,
    auto_map,
    list_presets,
    load_preset,
)
from talkrig.motion.retarget.names import parse


@pytest.mark.parametrize(
    "name, part, side, finger",
    [
        ("upper_arm.L", "upper_arm", "L", None),
        ("mixamorig:LeftForeArm", "forearm", "L", None),
        ("mixamorig1:RightUpLeg", "thigh", "R", None),
        ("mixamorig:RightLeg", "shin", "R", None),
        ("lowerarm_l", "forearm", "L", None),
        ("J_Bip_R_UpperArm", "upper_arm", "R", None),
        ("DEF-f_index.01.L", "finger", "L", "index"),
        ("LeftHandPinky2", "finger", "L", "pinky"),
        ("leftLittleProximal", "finger", "L", "pinky"),
        ("clavicle_r", "collar", "R", None),
        ("Shoulder_L", "collar", "L", None),
        ("calf_l", "shin", "L", None),
        ("ball_r", "toe", "R", None),
        ("Hips", "pelvis", None, None),
        ("spine_03", "spine", None, None),
        ("neck_01", "neck", None, None),
        ("Bip01 L UpperArm", "upper_arm", "L", None),
        ("Bip01 L Finger0", "finger", "L", "thumb"),  # 3ds Max Biped: thumb first, from 0
        ("Bip01 R Finger12", "finger", "R", "index"),
        ("Bip001 L Finger4", "finger", "L", "pinky"),
        ("finger3-1.L", "finger", "L", "middle"),  # MakeHuman: finger, then bone, from 1
        ("lMid1", "finger", "L", "middle"),  # DAZ
        ("MidSpine", "spine", None, None),
        ("CC_Base_JawRoot", "jaw", None, None),  # Character Creator's jaw
        ("arm_stretch.l", "upper_arm", "L", None),  # Auto-Rig Pro's deforming bones
        ("leg_stretch.r", "shin", "R", None),
        ("root.x", "pelvis", None, None),
        ("jawbone.x", "jaw", None, None),
        ("lShldrBend", "upper_arm", "L", None),
    ],
)
def test_names_are_read_across_naming_schemes(name, part, side, finger):
    parsed = parse(name)
    assert (parsed.part, parsed.side, parsed.finger) == (part, side, finger)
    assert not parsed.helper


@pytest.mark.parametrize("name", ["upperarm_twist_01_l", "ik_foot_l", "hand_ik.L", "ORG-spine",
                                  "MCH-upper_arm_parent.L", "HeadTop_End", "f_index.01_master.L",
                                  "VIS_upper_arm_ik_pole.L", "palm.01.L", "breast.L",
                                  "Bip01 L Finger0Nub", "root", "Armature|Root", "neck_stretch.x"])
def test_helper_bones_are_never_candidates(name):
    assert parse(name).helper


def test_presets_are_data_and_cover_the_body():
    assert set(list_presets()) >= {"smplx", "rigify_metarig", "rigify_generated", "mixamo",
                                   "ue5_mannequin", "vrm"}
    for name in list_presets():
        bones = load_preset(name)["bones"]
        missing = [j for j in MAJOR_JOINTS if j not in bones]
        assert not missing, f"{name} lacks {missing}"
        assert all(j in bones for j in FINGER_JOINTS), name


@pytest.mark.parametrize("style, preset", [("smplx", "smplx"), ("mixamo", "mixamo"),
                                           ("ue5", "ue5_mannequin"), ("rigify", "rigify_metarig"),
                                           ("vroid", "vrm"), ("generic", "auto"), ("biped", "auto"),
                                           ("daz", "auto"), ("character_creator", "auto"),
                                           ("auto_rig_pro", "auto")])
@pytest.mark.parametrize("use_presets", [True, False])
def test_auto_map_finds_every_named_joint(style, preset, use_presets):
    rig = build_rig(style)
    bone_map = auto_map(rig, use_presets=use_presets)
    assert bone_map.source == (preset if use_presets else "auto")
    expected = expected_map(style)
    wrong = {j: (bone_map.get(j), b) for j, b in expected.items() if bone_map.get(j) != b}
    assert not wrong
    assert not bone_map.missing_major
    assert all(0.5 <= c <= 1.0 for c in bone_map.confidence.values())


@pytest.mark.parametrize("style", ["rigify", "ue5", "generic", "biped", "daz", "auto_rig_pro"])
@pytest.mark.parametrize("prefix, suffix", [("Armature_", ""), ("Root_", ""), ("Hero_Body_", ""),
                                            ("", "_bind"), ("", "_jnt"), ("", ".001"), ("Armature_", "_bind")])
def test_words_on_every_bone_are_read_as_the_rigs(style, prefix, suffix):
    """The armature's or the character's name put before every bone's ("Armature_upper_arm.L",
    as some exporters write them), or a rigger's mark of deforming joints after it (Maya's
    "_bind", "_jnt"): not words of each bone's name ("armature", "root" and "bind" are helpers'
    words elsewhere: these rigs mapped nothing; an Auto-Rig Pro or Biped rig so named, part)."""
    rig = build_rig(style)
    rig = dataclasses.replace(rig, names=tuple(prefix + name + suffix for name in rig.names))
    bone_map = auto_map(rig, use_presets=False)
    expected = {j: prefix + b + suffix for j, b in expected_map(style).items()}
    assert {j: bone_map.get(j) for j in expected} == expected


@pytest.mark.parametrize("style", ["rigify", "ue5", "generic"])
def test_a_side_glued_before_a_capital_is_read(style):
    """"LForearm", "RHand", "LThumb1" (CMU's and some game rigs' names): the side's capital
    before the bone's word (these rigs mapped 6-30 of their joints)."""
    def glued(name):
        stem, dot, side = name.rpartition("." if "." in name else "_")
        if side not in ("L", "R", "l", "r"):
            return name
        return side.upper() + stem[0].upper() + stem[1:]
    rig = build_rig(style)
    rig = dataclasses.replace(rig, names=tuple(glued(name) for name in rig.names))
    bone_map = auto_map(rig, use_presets=False)
    expected = {j: glued(b) for j, b in expected_map(style).items()}
    assert {j: bone_map.get(j) for j in expected} == expected


def test_a_hip_joint_above_the_thigh_is_not_the_thigh():
    """CMU's skeleton: "LHipJoint" leads from the pelvis to "LeftUpLeg", the thigh."""
    rig = build_rig("mixamo")
    names, parents = list(rig.names), rig.parents.copy()
    heads, tails, matrices = rig.heads.copy(), rig.tails.copy(), rig.matrices.copy()
    for side in ("Left", "Right"):
        thigh = names.index(f"mixamorig:{side}UpLeg")
        names.append(f"{side[0]}HipJoint")
        parents = np.append(parents, parents[thigh])
        heads = np.vstack([heads, heads[parents[thigh]]])
        tails = np.vstack([tails, heads[thigh]])
        matrices = np.concatenate([matrices, matrices[thigh:thigh + 1]])
        parents[thigh] = len(names) - 1
    rig = Rig(names=tuple(names), parents=parents, heads=heads, tails=tails, matrices=matrices)
    bone_map = auto_map(rig, use_presets=False)
    assert bone_map.get("left_hip") == "mixamorig:LeftUpLeg" and bone_map.get("right_hip") == "mixamorig:RightUpLeg"
    assert {j: bone_map.get(j) for j in expected_map("mixamo")} == expected_map("mixamo")


def test_unmapped_joints_are_reported():
    bone_map = auto_map(build_rig("mixamo"))  # Mixamo rigs have no jaw
    assert bone_map.unmapped == ["jaw"]
    report = bone_map.report()
    assert "unmapped: jaw" in report
    assert "left_elbow" in report and "mixamorig:LeftForeArm" in report


def test_hierarchy_decides_what_names_cannot():
    # Rigify's metarig names its neck and head "spine.004".."spine.006": the chain decides.
    bone_map = auto_map(build_rig("rigify"), use_presets=False)
    assert bone_map.bones["neck"] == "spine.004" and bone_map.bones["head"] == "spine.006"
    assert bone_map.how["head"] == "hierarchy" and bone_map.confidence["head"] < 0.9
    # UE5's five spine bones: spine1, the one at SMPL-X's spine2 height, and the chest.
    ue = auto_map(build_rig("ue5"), use_presets=False)
    assert [ue.bones[j] for j in ("spine1", "spine2", "spine3")] == ["spine_01", "spine_03", "spine_05"]


@pytest.mark.parametrize("frame", ["blender", "ue"])
def test_sides_come_from_position_when_names_have_none(frame):
    rig = build_rig("generic", frame=frame)
    # Only the feet keep their side markers; arms and hands lose them.
    names = [n if n.startswith(("Ankle", "Toes")) else
             n.replace(".L", "").replace(".R", "_other") for n in rig.names]
    renamed = Rig(names, rig.parents, rig.heads, rig.tails, rig.matrices)
    bone_map = auto_map(renamed, use_presets=False)
    assert bone_map.bones["left_elbow"] == "LowerArm"
    assert bone_map.bones["right_elbow"] == "LowerArm_other"
    assert bone_map.bones["right_index3"] == "Index3_other"
    assert bone_map.confidence["left_elbow"] < 0.9


def test_a_rig_with_fewer_spine_bones_drives_spine3_with_its_chest():
    d_rig = build_rig("generic")
    keep = [i for i, n in enumerate(d_rig.names) if n != "Chest"]
    names = [d_rig.names[i] for i in keep]
    parents = [d_rig.names[d_rig.parents[i]] if d_rig.parents[i] >= 0 else None for i in keep]
    parents = ["Spine" if p == "Chest" else p for p in parents]
    rig = Rig.from_bones(names, parents, d_rig.heads[keep], d_rig.tails[keep])
    bone_map = auto_map(rig)
    assert bone_map.bones["spine1"] == "Spine" and bone_map.bones["spine3"] == "UpperChest"
    assert "spine2" in bone_map.unmapped


def test_a_bone_outside_its_chain_is_dropped_with_a_note():
    # Index fingers swapped between the hands: the preset's names now sit under the wrong hand.
    rig = build_rig("mixamo")
    names = list(rig.names)
    swap = {"mixamorig:LeftHandIndex1": "tmp", "mixamorig:RightHandIndex1": "mixamorig:LeftHandIndex1"}
    names = [swap.get(n, n) for n in names]
    names = ["mixamorig:RightHandIndex1" if n == "tmp" else n for n in names]
    swapped = Rig(names, rig.parents, rig.heads, rig.tails, rig.matrices)
    bone_map = auto_map(swapped)
    assert "left_index1" not in bone_map.bones and "right_index1" not in bone_map.bones
    assert any("dropped left_index1" in note for note in bone_map.notes)
    assert bone_map.bones["left_index2"] == "mixamorig:LeftHandIndex2"


def test_presets_match_names_loosely(tmp_path):
    rig = build_rig("mixamo")
    renamed = Rig([n.replace("mixamorig:", "mixamorig7:") for n in rig.names], rig.parents,
                  rig.heads, rig.tails, rig.matrices)
    bone_map = apply_preset(renamed, "mixamo")
    assert bone_map.bones["left_wrist"] == "mixamorig7:LeftHand"
    assert bone_map.confidence["left_wrist"] == 0.95
    path = tmp_path / "mine.json"
    bone_map.save(path)
    again = apply_preset(renamed, str(path))
    assert again.bones == bone_map.bones and again.confidence["left_wrist"] == 1.0


def test_bad_maps_and_presets_say_what_is_wrong(tmp_path):
    with pytest.raises(RetargetError, match="no bone map preset 'nope'"):
        load_preset("nope")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bones": {"elbow": "x"}}))
    with pytest.raises(RetargetError, match="'elbow' is not an SMPL-X joint"):
        load_preset(str(bad))
    bad.write_text("{not json")
    with pytest.raises(RetargetError, match="not a JSON bone map"):
        load_preset(str(bad))
    # hostile maps: deep nesting, names that are numbers or null, a pipe
    for text, message in (("[" * 100000 + "]" * 100000, "nested too deeply"),
                          ('{"bones": {"left_elbow": 5}}', "must map to a bone name"),
                          ('{"bones": {"left_elbow": null}}', "must map to a bone name"),
                          ('{"bones": {"left_elbow": [null, 3]}}', "must map to a bone name"),
                          ('{"bones": {"left_elbow": {"a": 1}}}', "must map to a bone name")):
        bad.write_text(text)
        with pytest.raises(RetargetError, match=message):
            load_preset(str(bad))
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pytest.raises(RetargetError, match="not a regular file"):
        load_preset(str(pipe))
    with pytest.raises(RetargetError, match="mapped to both"):
        BoneMap({"left_elbow": "a", "right_elbow": "a"})
    with pytest.raises(RetargetError, match="which rig 'mixamo' does not have"):
        BoneMap({"pelvis": "Hips"}).check(build_rig("mixamo"))


def test_every_style_in_the_test_suite_has_distinct_bone_names():
    for style in STYLES:
        rig = build_rig(style)
        assert len(set(rig.names)) == len(rig.names)
        assert np.isfinite(rig.matrices).all()
