"""The take's glTF animation sampled by talkrig (exporters/gltf_animation.py) is the one Blender's
own exporter samples: the same file around it, the same channels with the same keys, values
equal to float precision, times in true seconds; and a file it cannot read is sampled by Blender."""

import logging
from pathlib import Path

import numpy as np
import pytest

from support.bake_support import cut_speech
from support.face_support import head_on_avatar
from support.retarget_scenes import OBJECT, PRODUCTION, append_objects, make_armature
from support.retarget_rigs import rig_data

from talkrig.exporters import export as export_module
from talkrig.exporters import gltf_animation
from talkrig.exporters.bake import BakeJob, bake
from talkrig.exporters.gltf_animation import read_glb
from talkrig.inference.generation.pipeline import GenerateOptions

pytestmark = pytest.mark.blender

SECONDS = 4.0


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return cut_speech(tmp_path_factory.mktemp("speech") / "speech.wav", SECONDS, offset=2.0)


@pytest.fixture(scope="module")
def connected_rig(bpy, tmp_path_factory):
    """A rig unlike the bundled avatar's: a root bone on the floor, Y-up bone data on an object
    turned upright and scaled 100 (tests/support/retarget_scenes.py), saved as a .blend."""
    bpy.ops.wm.read_homefile(use_empty=True)
    rotation, scale = OBJECT["connected"]
    make_armature(bpy, "connected", rig_data(**PRODUCTION["connected"]), rotation=rotation, scale=scale)
    path = tmp_path_factory.mktemp("rig") / "connected.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


@pytest.fixture(scope="module")
def rigify_rig(bpy, rigify_blend, tmp_path_factory):
    """A generated Rigify rig alone in a .blend: deform bones moved by constraints."""
    bpy.ops.wm.read_homefile(use_empty=True)
    append_objects(bpy, rigify_blend, ["rig"])
    path = tmp_path_factory.mktemp("rigify") / "rigify.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


def both_exports(monkeypatch, speech, folder, avatar=None, fps=30.0):
    """The bake's .glb and Blender's own export of the same keyed scene (its animation sampled
    by Blender), as (JSON, binary chunk) pairs."""
    ours, blenders = folder / "ours.glb", folder / "blenders.glb"
    export = export_module.export

    def then_blenders(avatar, take, *args, **kwargs):
        assert gltf_animation.blender_must_sample(avatar, take) is None  # talkrig samples "ours"
        written = export(avatar, take, *args, **kwargs)
        export_module.gltf_file(blenders, True, animations=True)
        # evaluated a few frames at a time, the tracks are the same: no sign flip at a seam
        frames, parents = np.arange(take.frame_start, take.frame_end + 1), joint_parents(avatar.armature)
        for whole, pieces in zip(gltf_animation.joint_tracks(avatar.armature, frames, parents),
                                 gltf_animation.joint_tracks(avatar.armature, frames, parents, chunk=7)):
            assert np.array_equal(whole, pieces)
        return written

    monkeypatch.setattr(export_module, "export", then_blenders)
    fallbacks = []
    monkeypatch.setattr(export_module.log, "info", lambda *a: fallbacks.append(a[0] % a[1:]))
    bake(BakeJob(speech, [ours], avatar=avatar, options=GenerateOptions(speech="none", fps=fps)))
    assert not [line for line in fallbacks if "Blender samples" in line]  # talkrig sampled "ours"
    return read_glb(ours), read_glb(blenders)


def joint_parents(armature):
    names = [bone.name for bone in armature.pose.bones]
    return [names.index(b.parent.name) if b.parent else -1 for b in armature.pose.bones]


def channels(document, blob):
    """{(node name, path): (times (K,), values (K, width))} of the file's one animation."""
    (animation,) = document["animations"]
    out = {}
    for channel in animation["channels"]:
        sampler = animation["samplers"][channel["sampler"]]
        name = document["nodes"][channel["target"]["node"]]["name"]
        out[name, channel["target"]["path"]] = (values(document, blob, sampler["input"])[:, 0],
                                                values(document, blob, sampler["output"]))
    return out


def values(document, blob, index):
    accessor = document["accessors"][index]
    view = document["bufferViews"][accessor["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    return np.frombuffer(blob, np.float32, accessor["count"] * width, start).reshape(-1, width)


def assert_same_animation(ours, blenders, tolerance):
    """The same channels, each with as many keys, the same values (a rotation and its negative
    are one rotation); returns our channels."""
    (document, blob), (theirs, their_blob) = ours, blenders
    assert document["nodes"] == theirs["nodes"] and document.get("meshes") == theirs.get("meshes")
    strip = [{k: v for k, v in skin.items() if k != "inverseBindMatrices"} for skin in document.get("skins", [])]
    assert strip == [{k: v for k, v in s.items() if k != "inverseBindMatrices"} for s in theirs.get("skins", [])]
    assert [a["name"] for a in document["animations"]] == [a["name"] for a in theirs["animations"]]
    mine, reference = channels(document, blob), channels(theirs, their_blob)
    assert set(mine) == set(reference)
    moving = 0
    for key, (_, expected) in reference.items():
        got = mine[key][1]
        if len(got) == 2 < len(expected) and key[1] == "rotation":
            # still, but Blender's w >= 0 flips its sign from key to key where w is about 0
            got = got[[0] * len(expected)]
        assert len(got) == len(expected), key  # a still channel: its first and last key, both
        moving += len(got) > 2
        error = np.abs(got - expected).max(axis=1)
        if key[1] == "rotation":
            error = np.minimum(error, np.abs(got + expected).max(axis=1))
        assert error.max() < tolerance, key
    assert moving >= 10  # the arms, spine and head turn
    return mine


def test_the_bundled_avatar_gets_blenders_animation_in_true_seconds(bpy, speech, tmp_path, monkeypatch):
    """At 29.97 fps: Blender's exporter times keys by fps * fps_base (frame k at k / 30.03 s),
    talkrig by the scene's true rate (k / 29.97 s, the sound's)."""
    ours, blenders = both_exports(monkeypatch, speech, tmp_path, fps=29.97)
    mine = assert_same_animation(ours, blenders, tolerance=2e-5)
    times, _ = max(mine.values(), key=lambda channel: len(channel[0]))
    n = round(SECONDS * 29.97)
    assert np.allclose(times, np.arange(n) * 1.001 / 30.0, atol=1e-6)
    theirs, _ = max(channels(*blenders).values(), key=lambda channel: len(channel[0]))
    assert theirs[-1] == pytest.approx((n - 1) / (30.0 * 1.001), abs=1e-5)


def test_a_scaled_upright_rig_gets_blenders_animation(bpy, speech, connected_rig, tmp_path, monkeypatch):
    """A root bone under an armature object turned and scaled 100: the root joint's channels are
    in the armature's own units and axes, as Blender writes them."""
    ours, blenders = both_exports(monkeypatch, speech, tmp_path, avatar=connected_rig)
    mine = assert_same_animation(ours, blenders, tolerance=2e-4)  # offsets in hundredths
    assert len(mine["root", "translation"][0]) > 2  # the root travels


def test_a_rigify_rig_gets_blenders_animation(bpy, speech, rigify_rig, tmp_path, monkeypatch):
    """Its 700 bones evaluated with their constraints, as Blender's sampling sees them."""
    ours, blenders = both_exports(monkeypatch, speech, tmp_path, avatar=rigify_rig)
    mine = assert_same_animation(ours, blenders, tolerance=2e-5)
    assert len(mine["DEF-forearm.L", "rotation"][0]) > 2  # moved through its constraints


def test_a_face_gets_blenders_morph_weights(bpy, speech, avatar_glb, tmp_path, monkeypatch):
    """The test head's 52 ARKit shape keys, keyed by the take, on a mesh riding the head bone:
    its weights channel as Blender samples it (every target in the mesh's order)."""
    avatar = head_on_avatar(bpy, avatar_glb, tmp_path / "avatar.blend")
    ours, blenders = both_exports(monkeypatch, speech, tmp_path, avatar=avatar)
    mine = assert_same_animation(ours, blenders, tolerance=2e-5)
    times, weights = mine["talkrig head", "weights"]
    assert len(times) == round(SECONDS * 30) and weights.size == len(times) * 52
    assert np.ptp(weights.reshape(len(times), 52), axis=0).max() > 0.3  # the mouth moves


def test_a_file_not_laid_out_as_expected_is_sampled_by_blender(bpy, speech, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(gltf_animation, "joint_nodes", lambda gltf, armature: None)
    path = tmp_path / "take.glb"
    with caplog.at_level(logging.INFO, logger="talkrig.exporters.export"):
        bake(BakeJob(speech, [path], options=GenerateOptions(speech="none")))
    assert any("Blender samples the take" in r.getMessage() for r in caplog.records)
    document, blob = read_glb(path)
    counts = {len(times) for times, _ in channels(document, blob).values()}
    assert counts == {2, round(SECONDS * 30)}
    assert not list(Path(tmp_path).glob(".*"))  # nothing left beside it


def test_an_avatar_whose_mesh_is_animated_is_sampled_by_blender(bpy, speech, avatar_glb, tmp_path, caplog):
    """A mesh with an action of its own: Blender's exporter writes it as a second animation, so
    the take is left to Blender's exporter."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(avatar_glb))
    mesh = max((o for o in bpy.data.objects if o.type == "MESH"), key=lambda o: len(o.data.vertices))
    name = mesh.name
    for frame, x in ((1, 0.0), (40, 0.5)):
        mesh.location.x = x
        mesh.keyframe_insert("location", frame=frame)
    avatar = tmp_path / "keyed.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(avatar))
    path = tmp_path / "take.glb"
    with caplog.at_level(logging.INFO, logger="talkrig.exporters.export"):
        bake(BakeJob(speech, [path], avatar=avatar, options=GenerateOptions(speech="none")))
    assert any(f"{name} is animated" in r.getMessage() for r in caplog.records)
    document, _ = read_glb(path)
    assert len(document["animations"]) == 2  # the take, and the mesh's own


def test_a_vrm_avatar_is_read_as_the_gltf_it_is(bpy, speech, avatar_glb, tmp_path):
    """A VRM avatar (VRoid Studio's, a VTuber's) is a glTF file named .vrm, its bones named
    J_Bip_...: baked as any glTF avatar, every joint mapped by name."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(avatar_glb))
    arm = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    names = {"spine": "J_Bip_C_Hips", "spine.001": "J_Bip_C_Spine", "spine.002": "J_Bip_C_Chest",
             "spine.003": "J_Bip_C_UpperChest", "spine.004": "J_Bip_C_Neck", "spine.005": "J_Bip_C_Head"}
    for side in "LR":
        for ours, theirs in (("shoulder", "Shoulder"), ("upper_arm", "UpperArm"), ("forearm", "LowerArm"),
                             ("hand", "Hand"), ("thigh", "UpperLeg"), ("shin", "LowerLeg"), ("foot", "Foot"),
                             ("toe", "ToeBase")):
            names[f"{ours}.{side}"] = f"J_Bip_{side}_{theirs}"
        for ours, theirs in (("thumb", "Thumb"), ("f_index", "Index"), ("f_middle", "Middle"),
                             ("f_ring", "Ring"), ("f_pinky", "Little")):
            names.update({f"{ours}.0{k}.{side}": f"J_Bip_{side}_{theirs}{k}" for k in (1, 2, 3)})
    for bone in arm.data.bones:
        bone.name = names.get(bone.name, bone.name)
    exported = tmp_path / "vroid.glb"
    bpy.ops.export_scene.gltf(filepath=str(exported))
    avatar = exported.rename(tmp_path / "vroid.vrm")
    report = bake(BakeJob(speech, [tmp_path / "take.glb"], avatar=avatar, options=GenerateOptions(speech="none")))
    assert report.bone_map.source == "vrm" and len(report.bone_map) == 52
    document, _ = read_glb(tmp_path / "take.glb")
    assert [a["name"] for a in document["animations"]] == ["take"]


def test_an_avatar_with_other_actions_exports_the_take_alone(bpy, speech, avatar_glb, tmp_path):
    """Another action of the armature saved in the avatar's file (Blender's exporter, with one
    armature, writes every such action as one more animation): the file holds the take alone."""
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(avatar_glb))
    arm = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    bone = arm.pose.bones[5]
    bone.rotation_mode = "QUATERNION"
    for frame, turn in ((1, (1.0, 0.0, 0.0, 0.0)), (20, (0.9, 0.1, 0.0, 0.0))):
        bone.rotation_quaternion = turn
        bone.keyframe_insert("rotation_quaternion", frame=frame)
    arm.animation_data.action.name, arm.animation_data.action.use_fake_user = "Idle", True
    arm.animation_data.action = None
    avatar = tmp_path / "idle.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(avatar))
    path = tmp_path / "take.glb"
    bake(BakeJob(speech, [path], avatar=avatar, options=GenerateOptions(speech="none")))
    document, _ = read_glb(path)
    assert [a["name"] for a in document["animations"]] == ["take"]


def test_a_failure_of_the_sampling_costs_time_not_the_file(bpy, speech, tmp_path, monkeypatch, caplog):
    """An error while talkrig samples the take (a file unlike any seen): one warning, and the file
    exported again with Blender's sampling."""
    def broken(*args):
        raise KeyError("extras")

    monkeypatch.setattr(export_module, "animate_file", broken)
    path = tmp_path / "take.gltf"
    with caplog.at_level(logging.INFO, logger="talkrig.exporters.export"):
        bake(BakeJob(speech, [path], options=GenerateOptions(speech="none")))
    lines = [r.getMessage() for r in caplog.records]
    assert any("talkrig could not sample the take (KeyError" in line for line in lines)
    assert any("Blender samples the take (talkrig's sampling failed: KeyError)" in line for line in lines)
    import json

    document = json.loads(path.read_text())
    assert [a["name"] for a in document["animations"]] == ["take"]
    assert (tmp_path / document["buffers"][0]["uri"]).is_file()


def test_the_export_shows_its_progress(bpy, speech, tmp_path, monkeypatch):
    """The bake's export stage rises as the frames are sampled (a 10-minute take's GLB takes
    some 9 s), never going back."""
    monkeypatch.setattr(gltf_animation, "CHUNK", 32)  # 120 frames: four pieces
    shown = []
    bake(BakeJob(speech, [tmp_path / "take.glb"], options=GenerateOptions(speech="none")),
         progress=lambda stage, fraction: stage == "export" and shown.append(fraction))
    assert shown == sorted(shown) and shown[-1] == 1.0
    assert len({f for f in shown if 0.0 < f < 1.0}) >= 3


def test_a_mirrored_joint_is_left_to_blender():
    """A joint scaled by -1 on one axis: no rotation and positive scale say it, so the file is
    sampled by Blender (export._gltf falls back) rather than written wrong."""
    turned = np.tile(np.eye(4), (2, 2, 1, 1))
    turned[:, 1, 0, 0] = -1.0
    with pytest.raises(gltf_animation.Mirrored):
        gltf_animation.joint_channels(turned, [-1, 0])
    gltf_animation.joint_channels(np.tile(np.eye(4), (2, 2, 1, 1)), [-1, 0])  # unmirrored: fine
