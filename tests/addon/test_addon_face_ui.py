"""The extension's Face section, headless with the installed zip: the face keys it finds on the
character, the face-only bake of a selected mesh (one undo step), and the face controls that
go with each job."""

import numpy as np
import pytest
import soundfile as sf

from support.addon_support import FakeLayout, action_curves, fcurve_keys, fresh_scene, install, uninstall

pytestmark = [pytest.mark.blender]


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    import bpy

    module = install(bpy, tmp_path_factory.mktemp("addon_face") / "dist")
    yield bpy, module
    uninstall(bpy)


@pytest.fixture(scope="module")
def face_take(tmp_path_factory, scott_wav, scott_textgrid):
    """A take of the first 6 s of the real speech with its face, as the server returns it."""
    import json

    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.inference.speech.timing import find_words
    from talkrig.inference.speech.words import words_to_json
    from talkrig.motion import save_motion

    folder = tmp_path_factory.mktemp("face_take")
    samples, rate = sf.read(str(scott_wav), dtype="float32")
    words = [w for w in find_words(str(scott_wav), "transcript", scott_textgrid.read_text()) if w.end <= 6]
    options = GenerateOptions(transcript=json.dumps(words_to_json(words)),
                              speech_options={"transcript_name": "words.json"})
    result = generate(samples[: 6 * rate], options)
    return save_motion(result.motion, folder / "take.npz"), result.motion


def draw_face_panel(bpy, module):
    log = []
    fake = type("FakePanel", (), {})()
    fake.layout = FakeLayout(bpy, log)
    module.addon.face_ui.TALKRIG_PT_face.draw(fake, bpy.context)
    return log


def select(bpy, obj):
    for other in bpy.context.scene.objects:
        other.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj


def test_face_only_bake_keys_the_selected_head_in_one_undo_step(addon, face_take):
    from talkrig.scenes.facehead import build_face_head

    bpy, module = addon
    path, motion = face_take
    fresh_scene(bpy)
    scene = bpy.context.scene
    assert scene.render.fps == 24  # the take is 30 fps: the face is resampled to the scene
    head = build_face_head()
    select(bpy, head)
    labels = [text for kind, text, _ in draw_face_panel(bpy, module) if kind == "label"]
    assert "ARKit 52/52, visemes 0, VRM 0, Exp 0" in labels
    assert not bpy.ops.talkrig.bake_face.poll()  # nothing generated yet
    job = scene.talkrig.job
    job.result_file, job.audio_name, job.seed, job.frame_start = str(path), "clip", 4, 5
    assert bpy.ops.talkrig.bake_face.poll()
    bpy.ops.ed.undo_push(message="before the face")

    assert bpy.ops.talkrig.bake_face("EXEC_DEFAULT", True) == {"FINISHED"}  # as the button does
    action = head.data.shape_keys.animation_data.nla_tracks[0].strips[0].action
    assert action.name == "clip seed 4 face"
    curves = action_curves(action)
    assert len(curves) == 52
    jaw = fcurve_keys(curves[('key_blocks["jawOpen"].value', 0)])
    assert len(jaw) == 144 and jaw[0, 0] == 5  # 6 s at 24 fps, from the take's start frame
    resampled = np.interp(np.arange(144) / 24, np.arange(motion.n_frames) / 30, motion.face_curve("jawOpen"))
    np.testing.assert_allclose(jaw[:, 1], resampled, atol=1e-3)

    head_name, action = head.name, None  # undo reloads Blender data: look it up again after
    assert bpy.ops.ed.undo() == {"FINISHED"}
    head = bpy.data.objects[head_name]
    assert "clip seed 4 face" not in bpy.data.actions
    anim = head.data.shape_keys.animation_data
    assert anim is None or not len(anim.nla_tracks)
    assert bpy.ops.ed.redo() == {"FINISHED"}
    assert "clip seed 4 face" in bpy.data.actions


def test_viseme_and_vrm_keys_are_found_and_driven(addon, face_take):
    bpy, module = addon
    path, motion = face_take
    fresh_scene(bpy)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.object
    names = ("Basis", "vrc.v_aa", "viseme_PP", "aa", "Fcl_MTH_O", "Exp000", "mouth stuff")
    for name in names:
        block = cube.shape_key_add(name=name)
        block.data[0].co.z += 0.1
    labels = [text for kind, text, _ in draw_face_panel(bpy, module) if kind == "label"]
    assert "ARKit 0/52, visemes 2, VRM 2, Exp 1" in labels
    job = bpy.context.scene.talkrig.job
    job.result_file = str(path)
    assert bpy.ops.talkrig.bake_face() == {"FINISHED"}
    action = cube.data.shape_keys.animation_data.nla_tracks[0].strips[0].action
    driven = {path for path, _ in action_curves(action)}
    assert driven == {f'key_blocks["{n}"].value' for n in names[1:6]}
    closed = fcurve_keys(action_curves(action)[('key_blocks["viseme_PP"].value', 0)])[:, 1]
    assert closed.max() > 0.5  # the p, b and m of the speech


def test_a_mesh_without_face_keys_says_why(addon):
    bpy, module = addon
    fresh_scene(bpy)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.object
    cube.shape_key_add(name="Basis")
    cube.shape_key_add(name="Wobble")
    assert not bpy.ops.talkrig.bake_face.poll()
    labels = [text for kind, text, _ in draw_face_panel(bpy, module) if kind == "label"]
    assert "ARKit 0/52, visemes 0, VRM 0, Exp 0" in labels


def test_face_controls_go_with_the_job(addon):
    bpy, module = addon
    fresh_scene(bpy)
    scene = bpy.context.scene
    face = scene.talkrig_face
    face.mouth_strength, face.blink_rate, face.expressions = 0.7, 30.0, "blend"
    options = module.addon.request_options.face_options(scene)
    assert options["face"] == "phones"
    assert options["face_options"]["mouth_strength"] == pytest.approx(0.7)
    assert options["face_options"]["blink_rate"] == 30.0 and options["face_options"]["expressions"] == "blend"
    # the server accepts exactly these options
    from talkrig.inference.generation.face import resolve_face

    resolve_face(options["face"], options["face_options"])
    face.enabled = False
    assert module.addon.request_options.face_options(scene) == {"face": "none"}
