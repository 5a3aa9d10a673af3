"""A rig whose deform bones copy control bones and no controls preset fits (Auto-Rig Pro style:
``c_`` controls, deform bones with Copy Transforms): the take goes on the deform bones with their
constraints off for the take only, checked from Blender's evaluated bones."""

import numpy as np
import pytest
from support.retarget_checks import Anatomy, compare, measures, rig_track, smplx_tracks
from support.retarget_rigs import STYLES, rig_data
from support.retarget_scenes import make_armature, posed_points, rest_points

from talkrig.motion.retarget import auto_map

pytestmark = pytest.mark.blender

CLIP = slice(300, 420)


def controlled_rig(bpy):
    """Deform bones with the generic rig's names, each copying a ``c_`` control bone that sits
    in a control hierarchy of its own -> (object, Anatomy)."""
    data = rig_data("generic", upright_spine=True, proportions={"thigh": 1.1, "forearm": 0.95})
    controls = {"names": ["c_" + n for n in data["names"]],
                "parents": ["c_" + p if p else None for p in data["parents"]],
                **{k: data[k] for k in ("heads", "tails", "rolls")}}
    both = {k: data[k] + controls[k] if isinstance(data[k], list)
            else np.concatenate([data[k], controls[k]]) for k in controls}
    obj = make_armature(bpy, "arp_style", both)
    for name in controls["names"]:
        obj.data.bones[name].use_deform = False
    for name in data["names"]:
        c = obj.pose.bones[name].constraints.new("COPY_TRANSFORMS")
        c.target, c.subtarget = obj, "c_" + name
    names = STYLES["generic"]()

    def pair(joint):
        return (names[f"left_{joint}"], names[f"right_{joint}"])

    anatomy = Anatomy(names["pelvis"], names["spine3"], names["head"], pair("collar"),
                      pair("shoulder"), pair("elbow"), pair("wrist"), pair("hip"),
                      tuple((names[f"{s}_ankle"], names[f"{s}_foot"]) for s in ("left", "right")))
    return obj, anatomy


@pytest.fixture(scope="module")
def baked(bpy, scott_motion):
    from talkrig.blender.controls import retarget_onto
    from talkrig.blender.keyframes import write_action
    from talkrig.blender.rig_io import read_rig

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    obj, anatomy = controlled_rig(bpy)
    rig = read_rig(obj)
    motion = scott_motion[CLIP]
    bone_map = auto_map(rig)
    channels, target = retarget_onto(obj, motion, bone_map, rig)
    action = write_action(obj, channels, "take", mode="nla",
                          mute_constraints=target.mode == "deform")
    frames = list(range(1, motion.n_frames + 1))
    posed = posed_points(bpy, {"rig": obj}, frames)["rig"]
    return dict(obj=obj, anatomy=anatomy, motion=motion, bone_map=bone_map, target=target,
                action=action, posed=posed)


def test_the_deform_bones_are_mapped_and_keyed_with_their_constraints_off_for_the_take(baked):
    assert not [b for b in baked["bone_map"].bones.values() if b.startswith("c_")]
    assert baked["target"].mode == "deform"
    assert any("driven by constraints" in note for note in baked["target"].notes)
    muted = baked["action"]["talkrig_muted_constraints"].splitlines()
    assert f"{baked['bone_map'].bones['left_elbow']}/Copy Transforms" in muted
    # The rig itself keeps its constraints; only the take switches them off.
    pose = baked["obj"].pose.bones
    for line in muted[:3]:
        bone, name = line.split("/", 1)
        assert pose[bone].constraints[name].enabled


def test_the_take_shows_on_the_evaluated_deform_bones(baked):
    obj, anatomy = baked["obj"], baked["anatomy"]
    names = [pb.name for pb in obj.pose.bones]
    heads, tails, _ = baked["posed"]
    rest_heads, rest_tails, _ = rest_points(obj)
    rest = rig_track(rest_heads, rest_tails, names, anatomy)
    got = measures(rig_track(heads, tails, names, anatomy), rest)
    truth = measures(*smplx_tracks(baked["motion"], rest))
    result = compare(got, truth)
    for key in ("elbow_flexion", "shoulder_elevation", "head_pitch", "chest_pitch"):
        assert result[key][0] < 5.0, f"{key}: {result[key][0]:.1f} degrees off"
    assert got["travel"].max() == pytest.approx(truth["travel"].max(), rel=0.1, abs=0.02)
    assert got["foot_height"].min() > -0.02
