"""Real speech baked onto the bundled avatar, every export re-imported with Blender's importers:
same bones, same frame count and rate, and the posed bones equal to what was baked."""

import types

import numpy as np
import pytest

from support.bake_support import (
    angle_between,
    animation_times,
    armature,
    cut_speech,
    glb_document,
    posed_bones,
)

pytestmark = pytest.mark.blender

SECONDS = 8.0
FPS = 30
N_FRAMES = int(SECONDS * FPS)
SAMPLES = [1, 2, 57, 133, N_FRAMES]  # scene frames of the bake (the take starts at frame 1)
MAX_DEGREES = 0.5
MAX_METRES = 1e-3


@pytest.fixture(scope="module")
def baked(bpy, tmp_path_factory):
    """One bake to every format, plus FBX for Unity and Unreal, and the baked poses."""
    from talkrig.exporters.bake import BakeJob, bake
    from talkrig.inference.generation.pipeline import GenerateOptions

    folder = tmp_path_factory.mktemp("bake")
    speech = cut_speech(folder / "speech.wav", SECONDS, offset=3.0)
    options = GenerateOptions(speech="none", seed=3)
    outputs = [folder / f"take.{ext}" for ext in ("fbx", "glb", "gltf", "bvh", "npz", "blend")]
    result = bake(BakeJob(speech, outputs, options=options))
    for target in ("unity", "unreal"):
        bake(BakeJob(speech, [folder / f"{target}.fbx"], options=options, fbx_target=target,
                     name="take"))
    arm = armature(bpy)
    names, world, heads = posed_bones(bpy, arm, SAMPLES)
    _, local, local_heads = posed_bones(bpy, arm, SAMPLES, world=False)
    deform = [b.name for b in arm.data.bones if b.use_deform]
    return types.SimpleNamespace(folder=folder, result=result, names=names, world=world,
                                 heads=heads, local=local, local_heads=local_heads,
                                 deform=deform, speech=speech)


def reimported(bpy, names, frames, world=True):
    arm = armature(bpy)
    got_names, deltas, heads = posed_bones(bpy, arm, frames, world=world)
    order = [got_names.index(n) for n in names]
    return arm, deltas[:, order], heads[:, order]


def assert_same_pose(baked_deltas, baked_heads, deltas, heads, names):
    errors = angle_between(baked_deltas, deltas)
    worst = np.unravel_index(errors.argmax(), errors.shape)
    assert errors.max() < MAX_DEGREES, (names[worst[1]], SAMPLES[worst[0]], errors.max())
    assert np.abs(baked_heads - heads).max() < MAX_METRES


def test_bake_reports_frames_and_stages(baked):
    result = baked.result
    assert result.n_frames == N_FRAMES and result.fps == FPS
    assert {"generate", "load avatar", "retarget+keys", "export"} <= set(result.timings)
    assert len(result.bone_map) >= 50  # the bundled avatar maps every body and finger joint


def test_npz_is_the_smplx_motion(baked):
    from talkrig.motion import load_motion

    motion = load_motion(baked.folder / "take.npz")
    assert motion.n_frames == N_FRAMES and motion.fps == FPS
    assert np.ptp(motion.poses[:, 16:22], axis=0).max() > 0.05  # arms move


def test_fbx_reimports_as_baked(bpy, baked):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(baked.folder / "take.fbx"))
    arm, deltas, heads = reimported(bpy, baked.names, SAMPLES)
    assert sorted(b.name for b in arm.data.bones) == sorted(baked.names)  # no leaf bones
    assert [o.type for o in bpy.context.scene.objects if o.type != "ARMATURE"] == ["MESH"]
    scene = bpy.context.scene
    assert scene.render.fps == FPS and scene.render.fps_base == pytest.approx(1.0)
    action = arm.animation_data.action
    assert action.name.endswith("take")
    # The take starts at time 0; Blender's importer puts time 0 at frame 1.
    assert tuple(action.frame_range) == (1.0, float(N_FRAMES))
    assert_same_pose(baked.world, baked.heads, deltas, heads, baked.names)


@pytest.mark.parametrize("target", ["unity", "unreal"])
def test_fbx_targets_keep_the_motion(bpy, baked, target):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(baked.folder / f"{target}.fbx"))
    arm = armature(bpy)
    names = baked.deform  # deform bones only (the bundled avatar's are all deform bones)
    assert sorted(b.name for b in arm.data.bones) == sorted(names)
    _, deltas, heads = reimported(bpy, names, SAMPLES)
    keep = [baked.names.index(n) for n in names]
    assert_same_pose(baked.world[:, keep], baked.heads[:, keep], deltas, heads, names)


@pytest.mark.parametrize("target", ["unity", "unreal"])
def test_game_engine_fbx_keys_the_deform_bones_only(bpy, tmp_path, target):
    """A rig with control and mechanism bones (Rigify's ORG-, MCH-, IK controls) sends a game
    engine the bones that move the mesh, not every helper keyed on every frame."""
    from talkrig.exporters.bake import BakeJob, bake
    from talkrig.exporters.scene import load_avatar
    from talkrig.motion import Motion, save_motion

    avatar = load_avatar()
    arm = avatar.armature
    deform = sorted(b.name for b in arm.data.bones)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for name, parent in (("MCH-hand_ik.L", "hand.L"), ("hand_ik.L", None), ("ORG-spine", "spine")):
        bone = arm.data.edit_bones.new(name)
        bone.head, bone.tail = (0.3, 0.0, 1.0), (0.3, 0.0, 1.1)
        bone.parent = arm.data.edit_bones[parent] if parent else None
        bone.use_deform = False
    bpy.ops.object.mode_set(mode="OBJECT")
    rig = tmp_path / "rig.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(rig), copy=True)
    save_motion(Motion.rest(6, 30.0), tmp_path / "take.npz")
    out = tmp_path / f"{target}.fbx"
    bake(BakeJob(tmp_path / "take.npz", [out], avatar=rig, fbx_target=target))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(out))
    assert sorted(b.name for b in armature(bpy).data.bones) == deform


@pytest.mark.parametrize("suffix", ["glb", "gltf"])
def test_gltf_reimports_as_baked(bpy, baked, suffix):
    path = baked.folder / f"take.{suffix}"
    if suffix == "glb":
        document = glb_document(path)
    else:
        import json

        document = json.loads(path.read_text())
        assert (baked.folder / document["buffers"][0]["uri"]).is_file()
    assert [a["name"] for a in document["animations"]] == ["take"]  # one named animation
    count, end = animation_times(document, document["animations"][0])
    assert count == N_FRAMES and end == pytest.approx((N_FRAMES - 1) / FPS, abs=1e-4)
    assert len(document["meshes"]) == 1 and len(document["skins"]) == 1  # no stray helpers

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = FPS  # glTF stores seconds; frames follow the scene's rate
    bpy.ops.import_scene.gltf(filepath=str(path))
    arm = armature(bpy)
    assert sorted(b.name for b in arm.data.bones) == sorted(baked.names)
    action = arm.animation_data.action
    assert action.name == "take"
    assert tuple(action.frame_range) == (0.0, float(N_FRAMES - 1))  # time 0 is frame 0 here
    _, deltas, heads = reimported(bpy, baked.names, [f - 1 for f in SAMPLES])
    assert_same_pose(baked.world, baked.heads, deltas, heads, baked.names)


def test_bvh_reimports_as_baked(bpy, baked):
    path = baked.folder / "take.bvh"
    text = path.read_text()
    assert f"Frames: {N_FRAMES}" in text
    frame_time = float(text.split("Frame Time:")[1].split()[0])
    assert 1.0 / frame_time == pytest.approx(FPS, abs=0.01)

    bpy.ops.wm.read_factory_settings(use_empty=True)
    # The BVH holds the armature's own space (Blender's Z up): import it without axis change.
    bpy.ops.import_anim.bvh(filepath=str(path), axis_forward="Y", axis_up="Z",
                            rotate_mode="NATIVE", update_scene_fps=True,
                            update_scene_duration=True)
    scene = bpy.context.scene
    assert scene.render.fps / scene.render.fps_base == pytest.approx(FPS, abs=0.01)
    arm, deltas, heads = reimported(bpy, baked.names, SAMPLES, world=False)
    assert sorted(b.name for b in arm.data.bones) == sorted(baked.names)
    assert tuple(arm.animation_data.action.frame_range) == (1.0, float(N_FRAMES))
    assert_same_pose(baked.local, baked.local_heads, deltas, heads, baked.names)


def test_the_rigs_bvh_reads_back_as_the_take(baked):
    """The BVH of the avatar's rig (Blender's bone names, Z up, a joint per bone) is read as
    SMPL-X motion (it was refused: not SMPL-X's skeleton): the upper body where the take has
    it, the feet within the few centimetres the rig's leg solve moves them, at the take's rate."""
    from talkrig.motion import load_motion
    from talkrig.motion.metrics.kinematics import joint_positions
    from talkrig.motion.skeleton import JOINT_INDEX

    take, back = load_motion(baked.folder / "take.npz"), load_motion(baked.folder / "take.bvh")
    assert back.n_frames == take.n_frames and back.fps == take.fps == FPS
    gap = np.linalg.norm(joint_positions(back) - joint_positions(take), axis=-1)
    upper = [JOINT_INDEX[j] for j in ("head", "left_elbow", "right_elbow", "left_wrist", "right_wrist")]
    feet = [JOINT_INDEX[j] for j in ("left_ankle", "right_ankle")]
    assert gap[:, upper].max() < 0.01 and gap[:, feet].max() < 0.05


def test_blend_holds_the_take_and_the_speech(bpy, baked):
    bpy.ops.wm.open_mainfile(filepath=str(baked.folder / "take.blend"), load_ui=False)
    scene = bpy.context.scene
    assert scene.render.fps == FPS and (scene.frame_start, scene.frame_end) == (1, N_FRAMES)
    arm = armature(bpy)
    strips = [s for track in arm.animation_data.nla_tracks for s in track.strips]
    assert [s.action.name for s in strips] == ["take"]
    sounds = [s for s in scene.sequence_editor.strips if s.type == "SOUND"]
    assert len(sounds) == 1 and sounds[0].sound.packed_file is not None
    _, deltas, heads = reimported(bpy, baked.names, SAMPLES)
    assert_same_pose(baked.world, baked.heads, deltas, heads, baked.names)


def test_face_shape_keys_follow_the_jaw(bpy, baked, tmp_path):
    """An avatar (.blend) with an ARKit jawOpen shape key: the bake keys it from the motion's
    jaw and expressions, and both FBX and glTF carry it in the one take."""
    from talkrig.blender.facekeys import shape_key_tracks
    from talkrig.exporters.bake import BakeJob, bake
    from talkrig.exporters.scene import load_avatar
    from talkrig.inference.generation.pipeline import GenerateOptions
    from talkrig.motion import load_motion

    mesh = load_avatar().meshes[0]
    mesh.shape_key_add(name="Basis")
    mesh.shape_key_add(name="jawOpen")
    avatar = tmp_path / "face.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(avatar))
    outputs = [tmp_path / "face.glb", tmp_path / "face.fbx"]
    bake(BakeJob(baked.speech, outputs, avatar=avatar,
                 options=GenerateOptions(speech="none", seed=3)))

    document = glb_document(tmp_path / "face.glb")
    assert [a["name"] for a in document["animations"]] == ["face"]
    paths = {c["target"]["path"] for c in document["animations"][0]["channels"]}
    assert {"rotation", "weights"} <= paths  # body and face in one animation

    motion = load_motion(baked.folder / "take.npz")  # the same speech and seed
    expected = shape_key_tracks(motion, ["jawOpen"])["jawOpen"]
    assert np.ptp(expected) > 0.1  # the jaw moves with the speech
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(tmp_path / "face.fbx"))
    block = [o for o in bpy.context.scene.objects if o.type == "MESH"][0].data.shape_keys
    got = []
    for frame in SAMPLES:
        bpy.context.scene.frame_set(frame)
        got.append(block.key_blocks["jawOpen"].value)
    assert np.allclose(got, expected[np.array(SAMPLES) - 1], atol=1e-3)
