"""The Blender extension's whole user flow, headless: the built zip installed with Blender's own
installer, a real `talkrig serve` started by the add-on, the CC0 avatar, Generate on 62 s of real
speech, the bake checked key by key, one undo removing it, Cancel, and the errors a user can act
on. Timers are pumped by hand (the bpy module has no event loop)."""

import importlib
import os
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from support.addon_support import (
    FakeLayout,
    action_curves,
    addon_with_server,
    draw_panels,
    draw_preferences,
    fcurve_keys,
    fresh_scene,
    preferences,
    pump,
)
from talkrig.client.http_client import Client, read_token
from talkrig.client.server_process import free_port
from talkrig.motion import frame_count

pytestmark = [pytest.mark.blender, pytest.mark.slow]

FRAME_START = 10
SEED = 7


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    """(bpy, the add-on's module) with a local server the add-on started on a free port; the
    server's token and data live in a temporary config folder."""
    with addon_with_server(tmp_path_factory.mktemp("addon")) as running:
        yield running


def submodule(module, name):
    """The installed extension's module ``name`` ("blender.take"), imported if it was not yet."""
    return importlib.import_module(f"{module.__name__}.{name}")


def threads_of(monkeypatch, module, name, owners):
    """A list that gets, for every call of the extension's function ``name`` (as each module of
    ``owners`` calls it), whether it ran on Blender's main thread."""
    on_main = []
    for owner in owners:
        def counted(*args, real=getattr(submodule(module, owner), name)):
            on_main.append(threading.current_thread() is threading.main_thread())
            return real(*args)
        monkeypatch.setattr(submodule(module, owner), name, counted)
    return on_main


def take_keys(bpy, settings):
    """{(data path, index): (K, 2) keys} of the job's body Action."""
    return {k: fcurve_keys(fc) for k, fc in action_curves(bpy.data.actions[settings.job.action]).items()}


def baked_again_on_the_main_thread(bpy, module, settings, generated):
    """Bake to Rig with the take retargeted ahead forgotten: the same keys as ``generated``."""
    module.addon.takes.keep_ahead(settings.job.result_file, None)
    assert bpy.ops.talkrig.bake() == {"FINISHED"}
    again = take_keys(bpy, settings)
    assert again.keys() == generated.keys()
    for key, values in generated.items():
        np.testing.assert_array_equal(again[key], values, err_msg=str(key))


def job_done(bpy, module):
    return lambda: not module.addon.server_jobs.GENERATE.running(bpy.context.scene)


def setup_take(bpy, settings, audio, transcript=None):
    settings.audio_source = "FILE"
    settings.audio_file = str(audio)
    if transcript is not None:
        settings.transcript_source = "FILE"
        settings.transcript_file = str(transcript)
    settings.seed = SEED
    settings.frame_start = FRAME_START


def take_of_speech(bpy, avatar_glb, wav, path, seconds):
    """(armature, scene settings) of a fresh scene set to generate from the first ``seconds``
    of ``wav`` (written to ``path``), without speech recognition."""
    arm = fresh_scene(bpy, avatar_glb)
    samples, rate = sf.read(str(wav), dtype="float32")
    sf.write(str(path), samples[: seconds * rate], rate, subtype="PCM_16")
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, path)
    settings.speech = "none"
    return arm, settings


def add_jaw_and_face(bpy, arm):
    """Give the avatar what many production rigs have: a jaw bone and ARKit/SMPL-X shape keys."""
    from mathutils import Vector

    bpy.ops.object.mode_set(mode="EDIT")
    head = arm.data.edit_bones["spine.005"]
    jaw = arm.data.edit_bones.new("jaw")
    jaw.head = head.head + (head.tail - head.head) * 0.35
    jaw.tail = jaw.head + Vector((0.0, -0.08, -0.03))
    jaw.parent = head
    bpy.ops.object.mode_set(mode="OBJECT")
    mesh = next(o for o in bpy.context.scene.objects if o.type == "MESH" and o.parent == arm)
    for name in ("Basis", "jawOpen", "mouthLowerDown_L", "Exp000", "browInnerUp"):
        mesh.shape_key_add(name=name)
    return mesh


def add_old_animation(bpy, arm):
    """An existing action on the armature: the bake must leave it exactly as it is."""
    bone = arm.pose.bones["hand.L"]
    for frame, angle in ((1, 0.0), (40, 0.7)):
        bone.rotation_quaternion = (np.cos(angle / 2), np.sin(angle / 2), 0.0, 0.0)
        bone.keyframe_insert("rotation_quaternion", frame=frame)
    bone.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
    action = arm.animation_data.action
    return action.name, {key: fcurve_keys(fc) for key, fc in action_curves(action).items()}


def test_work_left_for_the_next_tick_follows_soon_after_the_redraw(addon):
    """A take's keys are baked on the tick after its result came (the panel says "baking..."
    in between); that tick comes after a short follow-up, not a whole timer interval."""
    bpy, module = addon
    runtime = module.addon.runtime
    worker = importlib.import_module(module.addon.__name__ + ".worker")
    ran = []
    task = worker.Task(lambda emit, cancelled: emit("done", None))
    runtime.start("test:follow-up", task, lambda kind, payload: kind == "done" and runtime.later(
        "test:follow-up", lambda: ran.append("baked")))
    task.join(5)
    assert runtime.tick() == runtime.FOLLOW_UP < runtime.INTERVAL and not ran  # redrawn first
    assert runtime.tick() is None and ran == ["baked"]


def test_generate_bakes_the_take_as_one_undoable_step(addon, avatar_glb, scott2_wav,
                                                      scott2_textgrid):
    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    mesh = add_jaw_and_face(bpy, arm)
    old_name, old_keys = add_old_animation(bpy, arm)
    scene = bpy.context.scene
    settings = scene.talkrig
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    assert scene.render.fps == 24  # not the motion's 30 fps: the bake must resample
    bpy.ops.ed.undo_push(message="before talkrig")

    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    assert bpy.app.timers.is_registered(module.addon.runtime.tick)  # results come via a timer
    job = settings.job
    assert job.state == "UPLOADING"
    states, progress, statuses = [], [], []
    pump(bpy, module, lambda: (states.append(job.state), progress.append(job.progress),
                               statuses.append(job.status)) and job_done(bpy, module)())
    assert job.state == "DONE", job.error
    assert "RUNNING" in states and progress == sorted(progress) and progress[-1] == 1.0
    # what the panel and status bar said on the way: stages in words, with their own progress
    assert statuses[0] == "uploading 2_scott_0_2_2..."
    stages = [s for s in statuses if s.endswith("%") and s.split("...")[0] in (
        "reading the audio", "listening to the voice", "recognising words", "generating motion",
        "placing key poses", "finishing the motion")]
    assert stages, statuses
    assert states[statuses.index("baking...")] == "BAKING"  # shown before the bake runs
    assert job.words > 50  # the TextGrid's words came back
    drawn = draw_panels(bpy, module)
    assert ("operator", "talkrig.generate", False) in drawn  # ready for another take
    assert ("operator", "talkrig.bake", False) in drawn  # the take can be baked again
    assert any(kind == "label" and text.startswith("baked 1488 frames") for kind, text, _ in drawn)

    # A new action named after the audio and the seed, on an NLA track, keyed over the audio.
    take = "2_scott_0_2_2 seed 7"
    action = bpy.data.actions[take]
    assert job.action == take and action.users >= 1
    anim = arm.animation_data
    assert [s.action.name for t in anim.nla_tracks for s in t.strips] == [take]
    duration = sf.info(str(scott2_wav)).duration
    n = frame_count(duration, 24)
    curves = action_curves(action)
    bone_map = {item.joint: item.bone for item in arm.talkrig_rig.bones if item.bone}
    assert len(bone_map) == 53 and bone_map["jaw"] == "jaw"  # 52 body/hand bones and the jaw
    for joint, bone in bone_map.items():
        keys = fcurve_keys(curves[(f'pose.bones["{bone}"].rotation_quaternion', 0)])
        assert len(keys) == n, joint
        assert keys[0, 0] == FRAME_START and keys[-1, 0] == FRAME_START + n - 1
        assert np.all(np.diff(keys[:, 0]) == 1.0)  # one key per scene frame
    elbow = np.stack([fcurve_keys(curves[('pose.bones["forearm.R"].rotation_quaternion', i)])[:, 1]
                      for i in range(4)], axis=1)
    assert elbow.std(axis=0).max() > 0.02  # the arm gestures
    jaw = fcurve_keys(curves[('pose.bones["jaw"].rotation_quaternion', 1)])[:, 1]
    assert np.ptp(jaw) > 0.02  # the jaw moves with speech

    # Face: recognised shape keys get their own action, the others are left alone.
    face = bpy.data.actions[mesh.data.shape_keys.animation_data.nla_tracks[0].strips[0].action.name]
    assert face.name == f"{take} face"  # not numbered like a second take ("... seed 7.001")
    face_curves = {path for path, _ in action_curves(face)}
    assert face_curves == {'key_blocks["jawOpen"].value', 'key_blocks["mouthLowerDown_L"].value',
                           'key_blocks["Exp000"].value', 'key_blocks["browInnerUp"].value'}
    brows = fcurve_keys(action_curves(face)[('key_blocks["browInnerUp"].value', 0)])[:, 1]
    assert 0.0 < np.mean(brows > 0.05) < 0.5  # raised on some words, not all the time
    jaw_open = fcurve_keys(action_curves(face)[('key_blocks["jawOpen"].value', 0)])
    assert len(jaw_open) == n and 0.0 <= jaw_open[:, 1].min() and jaw_open[:, 1].max() <= 1.0
    assert jaw_open[:, 1].max() > 0.2  # the mouth opens
    # the ARKit value follows the jaw bone (both come from the jaw's opening)
    assert np.corrcoef(jaw_open[:, 1], np.abs(jaw))[0, 1] > 0.5

    # The voice-over plays from the same frame, and the scene covers the take.
    strips = [s for s in scene.sequence_editor.strips_all if s.type == "SOUND"]
    assert len(strips) == 1 and strips[0].frame_start == FRAME_START
    assert os.path.samefile(bpy.path.abspath(strips[0].sound.filepath), scott2_wav)
    assert scene.frame_end == FRAME_START + n - 1

    # The old animation is untouched and still the active action.
    assert anim.action.name == old_name
    assert {k: fcurve_keys(fc) for k, fc in action_curves(anim.action).items()}.keys() == old_keys.keys()
    for key, fc in action_curves(anim.action).items():
        np.testing.assert_array_equal(fcurve_keys(fc), old_keys[key])

    # One undo step takes all of it away; redo brings it back.
    arm_name, face_name = arm.name, face.name
    assert bpy.ops.ed.undo() == {"FINISHED"}  # Blender data is reloaded: look everything up again
    arm, scene = bpy.data.objects[arm_name], bpy.context.scene
    assert take not in bpy.data.actions and face_name not in bpy.data.actions
    assert len(arm.animation_data.nla_tracks) == 0
    assert scene.sequence_editor is None or not len(scene.sequence_editor.strips_all)
    assert arm.animation_data.action.name == old_name
    for key, fc in action_curves(arm.animation_data.action).items():
        np.testing.assert_array_equal(fcurve_keys(fc), old_keys[key])
    assert bpy.ops.ed.redo() == {"FINISHED"}
    assert take in bpy.data.actions


def test_a_second_take_never_overwrites_the_first(addon, avatar_glb, scott2_wav, scott2_textgrid):
    """Generating again with the same audio and seed adds another action; Active Action mode
    makes it the active one and keeps the previous one."""
    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    settings.bake_mode = "ASSIGN"
    for _ in range(2):
        assert bpy.ops.talkrig.generate() == {"FINISHED"}
        pump(bpy, module, job_done(bpy, module))
        assert settings.job.state == "DONE", settings.job.error
    names = sorted(a.name for a in bpy.data.actions)
    assert names == ["2_scott_0_2_2 seed 7", "2_scott_0_2_2 seed 7.001"]
    assert arm.animation_data.action.name == "2_scott_0_2_2 seed 7.001"
    assert bpy.data.actions["2_scott_0_2_2 seed 7"].use_fake_user  # kept when the file is saved
    # the sound strip is not added twice for the same audio at the same frame
    assert len(bpy.context.scene.sequence_editor.strips_all) == 1


def test_undo_while_generating_does_not_lose_the_take(addon, avatar_glb, scott2_wav,
                                                      scott2_textgrid):
    """Ctrl+Z during a job reloads Blender's data (the job's properties roll back): the take
    still arrives and is baked with the right name at the right frame."""
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    bpy.ops.ed.undo_push(message="set up")
    bpy.context.scene.frame_current = 33
    bpy.ops.ed.undo_push(message="moved the playhead")
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    assert bpy.ops.ed.undo() == {"FINISHED"}
    settings = bpy.context.scene.talkrig  # the old Python objects are gone
    assert settings.job.state == "IDLE"  # rolled back with the rest of the file
    pump(bpy, module, job_done(bpy, module))
    job = settings.job
    assert job.state == "DONE", job.error
    assert job.action == "2_scott_0_2_2 seed 7" and job.frame_start == FRAME_START
    keys = fcurve_keys(action_curves(bpy.data.actions[job.action])[
        ('pose.bones["spine"].rotation_quaternion', 0)])
    assert keys[0, 0] == FRAME_START and len(job.job_id) > 8


def test_a_sound_strip_is_the_audio_and_sets_the_start(addon, avatar_glb, scott2_wav,
                                                       scott2_textgrid, tmp_path):
    """A voice-over already in the sequencer (here in a container the server does not read, so
    Blender's audio library converts it) animates from the strip's own start frame."""
    import shutil

    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    scene = bpy.context.scene
    clip = tmp_path / "voice.m4a"
    shutil.copy(scott2_wav, clip)
    strip = scene.sequence_editor_create().strips.new_sound("voice", str(clip), channel=2,
                                                            frame_start=50)
    settings = scene.talkrig
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    settings.audio_source, settings.sound_strip = "STRIP", strip.name
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    job = settings.job
    assert job.state == "DONE", job.error
    assert job.frame_start == 50 and job.audio_name == "voice"
    from talkrig.motion import load_motion  # made at the scene's rate: its face keyed as made
    assert load_motion(job.result_file).fps == scene.render.fps == 24
    action = bpy.data.actions["voice seed 7"]
    keys = fcurve_keys(action_curves(action)[('pose.bones["spine"].rotation_quaternion', 0)])
    assert keys[0, 0] == 50 and len(keys) == frame_count(62.0, 24)
    assert [s.name for s in scene.sequence_editor.strips_all] == ["voice"]  # not added twice
    assert arm.animation_data.nla_tracks[0].strips[0].frame_start == 50


def test_a_trimmed_sound_strip_is_taken_as_the_part_it_lets_be_heard(addon, avatar_glb, scott2_wav,
                                                                   scott2_textgrid, tmp_path, monkeypatch):
    """A strip trimmed in the sequencer to a stretch of a longer recording: the take is keyed
    from the first frame the strip is heard to its last; it was the whole recording keyed past
    the strip's ends. With a transcript (of the whole recording) it is the whole recording's
    take there (the same motion at the same frames, travelling from where the rig stands as
    every take does, its legs solved again); without one only the part is sent, a second of
    the recording on either side, and the take is made in the part's time."""
    import json

    from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    scene = bpy.context.scene
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    wav = tmp_path / "voice20.wav"
    sf.write(str(wav), samples[: 20 * rate], rate, subtype="PCM_16")
    words = tmp_path / "voice20.json"  # the reference words of those 20 s
    words.write_text(json.dumps([w.to_dict() for w in read_words(read_transcript_file(scott2_textgrid),
                                                                  "x.TextGrid") if w.end <= 20.0]))
    strip = scene.sequence_editor_create().strips.new_sound("voice", str(wav), channel=2, frame_start=50)
    settings = scene.talkrig
    setup_take(bpy, settings, wav, words)
    settings.audio_source, settings.sound_strip = "STRIP", strip.name
    sent = []
    real_job = module.addon.worker.generate_job

    def recorded(connection, path, *args, **kwargs):
        sent.append(sf.info(path).duration)
        return real_job(connection, path, *args, **kwargs)

    monkeypatch.setattr(module.addon.worker, "generate_job", recorded)

    def generated():
        assert bpy.ops.talkrig.generate() == {"FINISHED"}
        pump(bpy, module, job_done(bpy, module))
        assert settings.job.state == "DONE", settings.job.error
        return settings.job.frame_start, take_keys(bpy, settings)

    start, whole = generated()
    strip.frame_offset_start, strip.frame_offset_end = 24 * 5, 24 * 6  # 5 s to 14 s of 20
    first, last = int(strip.frame_final_start), int(strip.frame_final_end) - 1
    assert ("label", f"The strip's part heard: frames {first}-{last}") in [
        (kind, text) for kind, text, *_ in draw_panels(bpy, module)]
    part_start, part = generated()
    assert start == 50 and part_start == first == 50 + 120
    for key, keys in part.items():
        assert keys[0, 0] == first and keys[-1, 0] == last, key
        same = whole[key][first - start:last - start + 1]
        np.testing.assert_array_equal(same[:, 0], keys[:, 0])
        if key[0].endswith("location"):  # the travel from the take's first frame
            keys, same = keys - keys[0], same - same[0]
        legs = any(bone in key[0] for bone in ("thigh", "shin", "foot", "toe", "spine\"].location"))
        # the legs (and the hips' height) are solved again for the part: near, not the same
        np.testing.assert_allclose(keys[:, 1], same[:, 1], atol=0.1 if legs else 1e-5, err_msg=str(key))
    settings.transcript_source = "NONE"
    _, alone = generated()
    assert sent == pytest.approx([20.0, 20.0, 11.0], abs=0.01)  # the part, a second either side
    key = ('pose.bones["spine"].rotation_quaternion', 0)
    assert alone[key][0, 0] == first and alone[key][-1, 0] == last


def test_cancel_stops_the_server_job(addon, avatar_glb, scott2_wav, tmp_path):
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    long_wav = tmp_path / "long_speech.wav"
    sf.write(str(long_wav), np.tile(samples, 5), rate, subtype="PCM_16")  # about 5 minutes
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, long_wav)
    settings.speech = "none"
    actions_before = len(bpy.data.actions)

    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    job = settings.job
    with pytest.raises(RuntimeError, match="A take is being generated"):
        bpy.ops.talkrig.generate()  # disabled while a job runs, and says why
    pump(bpy, module, lambda: job.state == "RUNNING")
    drawn = draw_panels(bpy, module)
    assert ("operator", "talkrig.cancel", False) in drawn
    assert ("operator", "talkrig.generate", False) not in drawn
    assert [entry for entry in drawn if entry[0] == "progress"]  # progress bar + status text
    assert bpy.ops.talkrig.cancel() == {"FINISHED"}
    assert job.state == "CANCELLING"
    pump(bpy, module, job_done(bpy, module))
    assert job.state == "CANCELLED" and job.progress < 1.0
    prefs = preferences(bpy)
    server = Client(prefs.server_url, token=read_token(), timeout=10)
    assert server.status(job.job_id)["state"] == "cancelled"
    assert len(bpy.data.actions) == actions_before and not job.result_file
    with pytest.raises(RuntimeError, match="Nothing is being generated"):
        bpy.ops.talkrig.cancel()


def test_cancel_after_the_server_finished_keeps_no_take(addon, avatar_glb, scott2_wav, tmp_path):
    """Cancel pressed once the take is downloaded but not yet delivered to the scene: no take
    file, no action, and the job says cancelled."""
    bpy, module = addon
    _, settings = take_of_speech(bpy, avatar_glb, scott2_wav, tmp_path / "short_speech.wav", 2)
    actions_before = len(bpy.data.actions)
    runtime, key = module.addon.runtime, module.addon.server_jobs.GENERATE.key(bpy.context.scene)

    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    job = settings.job
    deadline = time.monotonic() + 120
    while runtime.task(key) is None or runtime.task(key).is_alive():  # downloaded, not delivered
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert bpy.ops.talkrig.cancel() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert job.state == "CANCELLED" and "not kept" in job.status, (job.state, job.status)
    assert len(bpy.data.actions) == actions_before and not job.result_file


def test_generate_starts_the_local_server_when_none_answers(addon, avatar_glb, scott2_wav,
                                                            scott2_textgrid):
    """With "Start Local Server When Needed" on, a dead URL is no dead end: the add-on starts
    (here: finds again) its local server and points the preferences at it."""
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    prefs = preferences(bpy)
    running = prefs.server_url
    prefs.server_url = f"http://127.0.0.1:{free_port()}"
    prefs.auto_start = True
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state == "DONE", settings.job.error
    assert prefs.server_url == running


def test_a_refused_token_is_shown_with_what_to_do(addon, avatar_glb, scott2_wav):
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    prefs = preferences(bpy)
    prefs.token = "not-the-token"
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav)
    try:
        assert bpy.ops.talkrig.generate() == {"FINISHED"}
        pump(bpy, module, job_done(bpy, module))
    finally:
        prefs.token = ""
    job = settings.job
    assert job.state == "FAILED"
    drawn = draw_panels(bpy, module)
    assert job.error_kind == "auth" and "rejected the token" in job.error
    assert settings.server_state == "auth"
    assert ("operator", "preferences.addon_show", True) in drawn  # where to fix the token
    assert any(kind == "label" and alert for kind, _, alert in drawn)  # the message, in red
    assert not bpy.data.actions


@pytest.mark.parametrize("problem, needle", [
    ("auto-start off", "turn on Start Local Server When Needed in Preferences > Add-ons > talkrig"),
    ("no python", "no Python is set to start one: set Python in Preferences > Add-ons > talkrig"),
    ("another machine", "start `talkrig serve` on that machine"),
    ("online access off", "turn on Allow Online Access in Preferences > System > Network"),
])
def test_generate_fails_at_once_when_no_server_can_answer(addon, avatar_glb, scott2_wav, tmp_path,
                                                         monkeypatch, problem, needle):
    """Nothing is sent, no job starts: the operator itself says which setting to change."""
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    prefs = preferences(bpy)
    system = bpy.context.preferences.system
    saved = prefs.server_url, prefs.auto_start, prefs.python_path, system.use_online_access
    prefs.server_url = f"http://127.0.0.1:{free_port()}"
    if problem == "auto-start off":
        prefs.auto_start = False
    elif problem == "no python":
        prefs.python_path = ""
        monkeypatch.setenv("PATH", str(tmp_path))  # no `talkrig` command to find one by
    else:
        prefs.server_url = f"http://0.0.0.0:{free_port()}"  # not loopback: another machine
        system.use_online_access = problem == "another machine"
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav)
    try:
        with pytest.raises(RuntimeError, match=needle.replace("`", ".")):
            bpy.ops.talkrig.generate()
    finally:
        prefs.server_url, prefs.auto_start, prefs.python_path, system.use_online_access = saved
    job = settings.job
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)  # no job was started
    assert job.state == "FAILED" and needle in job.error
    drawn = draw_panels(bpy, module)
    assert any(kind == "label" and alert for kind, _, alert in drawn)  # the message, in red
    if problem == "online access off":
        assert job.error_kind == settings.server_state == "offline"
        assert ("operator", "screen.userpref_show", True) in drawn
    else:
        assert job.error_kind == settings.server_state == "down"
        assert ("operator", "preferences.addon_show", True) in drawn
    assert not bpy.data.actions


def test_refresh_does_not_reach_another_machine_while_online_access_is_off(addon):
    bpy, module = addon
    fresh_scene(bpy)
    prefs = preferences(bpy)
    saved = prefs.server_url
    prefs.server_url = "http://192.0.2.7:8765"  # a documentation address: must not be contacted
    settings = bpy.context.scene.talkrig
    try:
        assert bpy.ops.talkrig.refresh_backends() == {"FINISHED"}
        pump(bpy, module, lambda: not module.addon.runtime.busy("backends"), timeout=5)
    finally:
        prefs.server_url = saved
    assert settings.server_state == "offline" and "Allow Online Access" in settings.server_message
    assert ("operator", "screen.userpref_show", True) in draw_panels(bpy, module)


def test_scripts_generate_headless_with_wait(addon, avatar_glb, scott2_wav, scott2_textgrid, tmp_path):
    """bpy.ops.talkrig.generate(wait=True): returns once the take is baked, or raises with why."""
    bpy, module = addon
    arm, settings = take_of_speech(bpy, avatar_glb, scott2_wav, tmp_path / "twelve_seconds.wav", 12)
    bpy.ops.ed.undo_push(message="before talkrig")
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)
    job = settings.job
    assert job.state == "DONE" and job.action == "twelve_seconds seed 7"
    assert arm.animation_data.nla_tracks[0].strips[0].action.name == job.action
    # the bake is one undo step, as from the button (it ran nested in Generate, which has none)
    arm_name, take = arm.name, job.action
    assert bpy.ops.ed.undo() == {"FINISHED"}
    anim = bpy.data.objects[arm_name].animation_data
    assert take not in bpy.data.actions and (anim is None or not anim.nla_tracks)
    assert bpy.ops.ed.redo() == {"FINISHED"}
    assert take in bpy.data.actions
    settings = bpy.context.scene.talkrig  # Blender data was reloaded

    prefs = preferences(bpy)
    prefs.token = "not-the-token"
    try:
        with pytest.raises(RuntimeError, match="rejected the token"):
            bpy.ops.talkrig.generate(wait=True)
    finally:
        prefs.token = ""
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)

    long_wav = tmp_path / "long.wav"
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    sf.write(str(long_wav), np.tile(samples, 5), rate, subtype="PCM_16")
    settings.audio_file = str(long_wav)
    with pytest.raises(RuntimeError, match="not ready within 0.5 s; the job was cancelled"):
        bpy.ops.talkrig.generate(wait=True, timeout=0.5)
    assert settings.job.state == "CANCELLED"
    if settings.job.job_id:  # the upload was through when the time was up: the server stopped it
        server = Client(prefs.server_url, token=read_token(), timeout=10)
        assert server.status(settings.job.job_id)["state"] == "cancelled"


def test_the_take_is_retargeted_in_the_jobs_thread_and_the_bake_only_keys_it(
        addon, avatar_glb, scott2_wav, tmp_path, monkeypatch):
    """Retargeting (numpy) runs in the job's thread as soon as the take is downloaded, from what
    Generate read of the rig; the bake on Blender's main thread only keys it, with the keys a
    bake that retargets gives. A scene changed meanwhile (its frame rate) is retargeted again."""
    bpy, module = addon
    arm, settings = take_of_speech(bpy, avatar_glb, scott2_wav, tmp_path / "ten.wav", 10)
    on_main = threads_of(monkeypatch, module, "first_pass", ("blender.ahead", "blender.take"))
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert on_main == [False]  # once, in the job's thread
    generated = take_keys(bpy, settings)
    assert bpy.ops.talkrig.bake() == {"FINISHED"}  # baked again: still the same rig and scene
    assert on_main == [False]
    bpy.context.scene.render.fps = 30
    assert bpy.ops.talkrig.bake() == {"FINISHED"}
    assert on_main == [False, True]  # not the frame rate it was retargeted for
    assert len(next(iter(take_keys(bpy, settings).values()))) == frame_count(10.0, 30)
    bpy.context.scene.render.fps = 24
    baked_again_on_the_main_thread(bpy, module, settings, generated)
    assert on_main == [False, True, True]


def test_a_rigify_rigs_legs_are_solved_in_a_thread_from_where_its_controls_put_the_hips(
        addon, scott2_wav, tmp_path, monkeypatch):
    """On a generated Rigify rig (keys on its controls, feet planted) Blender measures the hips
    a tick before the bake and the legs are solved from them in a thread: no main-thread tick
    does both. The keys are those of a bake that does it all on the main thread."""
    from support.retarget_scenes import save_rigify

    bpy, module = addon
    fresh_scene(bpy)
    save_rigify(bpy, tmp_path / "rigify.blend")
    bpy.data.objects.remove(bpy.data.objects["metarig"])
    rig = bpy.data.objects["rig"]
    bpy.context.view_layer.objects.active = rig
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    sf.write(str(tmp_path / "eight.wav"), samples[: 8 * rate], rate, subtype="PCM_16")
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, tmp_path / "eight.wav")
    settings.speech = "none"
    on_main = threads_of(monkeypatch, module, "solved_legs", ("blender.ahead", "blender.controls"))
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert on_main == [False]
    generated = take_keys(bpy, settings)
    assert ('pose.bones["thigh_fk.L"].rotation_quaternion', 0) in generated  # on its controls
    baked_again_on_the_main_thread(bpy, module, settings, generated)
    assert on_main == [False, True]


def test_the_voiceovers_words_are_asked_for_as_soon_as_it_is_chosen(addon, avatar_glb, scott2_wav,
                                                                    tmp_path):
    """Choosing the voice-over sends it to the local server for its words (a words-only job,
    shown nowhere) a moment later; Generate then finds them kept and skips the engine. Pressed
    before that moment, Generate's own job finds them and nothing is asked."""
    bpy, module = addon
    ahead = module.addon.words_ahead
    fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    clip = tmp_path / "chosen.wav"
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    sf.write(str(clip), samples[: 12 * rate], rate, subtype="PCM_16")
    settings.audio_source, settings.audio_file = "FILE", str(clip)
    assert bpy.app.timers.is_registered(ahead._ask_now) and ahead.last_request() is None
    fire(bpy, ahead._ask_now)  # as Blender's event loop does ASK_AFTER seconds later
    request = ahead.last_request()
    pump(bpy, module, lambda: not request.is_alive(), timeout=120)
    log = module.addon.server_state.local_server().log_file
    assert "finding words in chosen.wav with pocketsphinx" in log.read_text()
    settings.seed = SEED
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert "words in chosen.wav found by pocketsphinx a moment ago" in log.read_text()
    assert settings.job.words > 10

    other = tmp_path / "other.wav"  # another voice-over, and Generate pressed at once
    sf.write(str(other), samples[12 * rate: 24 * rate], rate, subtype="PCM_16")
    settings.audio_file = str(other)
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    fire(bpy, ahead._ask_now)
    assert ahead.last_request() is request  # nothing more asked
    assert "finding words in other.wav with pocketsphinx" in log.read_text()


def test_a_voiceover_chosen_before_any_server_runs_starts_one_for_its_words(addon, avatar_glb,
                                                                          scott2_wav, tmp_path):
    """Blender's first voice-over of a session: no server answers yet, so choosing it starts the
    local server (as Start Local Server does) and then asks for its words, and Generate finds
    them. Pressed while that server is still starting, Generate waits for it rather than start a
    second one on the same port."""
    bpy, module = addon
    ahead, state, runtime = module.addon.words_ahead, module.addon.server_state, module.addon.runtime
    samples, rate = sf.read(str(scott2_wav), dtype="float32")

    def choose_with_no_server(name, seconds):
        assert bpy.ops.talkrig.stop_server() == {"FINISHED"}
        fresh_scene(bpy, avatar_glb)
        clip = tmp_path / name
        sf.write(str(clip), samples[seconds * rate: (seconds + 10) * rate], rate, subtype="PCM_16")
        settings = bpy.context.scene.talkrig
        settings.audio_source, settings.audio_file = "FILE", str(clip)
        settings.seed = SEED
        before = ahead.last_request()
        fire(bpy, ahead._ask_now)
        assert runtime.busy("server") and ahead.last_request() is before  # starting, not asked
        return settings, before

    settings, before = choose_with_no_server("first.wav", 0)
    pump(bpy, module, lambda: bpy.app.timers.is_registered(ahead._ask_now))  # the server answers
    assert settings.server_state == "ok", settings.server_message
    fire(bpy, ahead._ask_now)
    request = ahead.last_request()
    assert request is not before
    pump(bpy, module, lambda: not request.is_alive(), timeout=120)
    log = state.local_server().log_file
    assert "finding words in first.wav with pocketsphinx" in log.read_text()
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}
    assert "words in first.wav found by pocketsphinx a moment ago" in log.read_text()

    starts = log.read_text().count("server-start")
    settings, _ = choose_with_no_server("second.wav", 20)
    assert bpy.ops.talkrig.generate(wait=True) == {"FINISHED"}, settings.job.error
    pump(bpy, module, lambda: not runtime.busy("server"))
    assert settings.server_state == "ok" and settings.job.words > 10
    assert not bpy.app.timers.is_registered(ahead._ask_now)  # Generate found its own words
    assert state.local_server().running
    assert log.read_text().count("server-start") == starts + 1  # one server, started once


def fire(bpy, timer):
    """Run a registered timer once, as Blender's event loop would (the bpy module has none)."""
    if bpy.app.timers.is_registered(timer) and timer() is None:
        bpy.app.timers.unregister(timer)


def test_preferences_say_where_the_token_comes_from(addon):
    bpy, module = addon
    prefs = preferences(bpy)
    token_file = os.path.join(os.environ["XDG_CONFIG_HOME"], "talkrig", "token")
    assert module.addon.preferences.token_path(prefs) == module.client.http_client.default_token_file()
    assert str(module.client.http_client.default_token_file()) == token_file  # where the server wrote it
    assert module.addon.preferences.resolve_token(prefs) == read_token(token_file)
    drawn = draw_preferences(bpy, prefs)
    assert ("label", f"Token found in {token_file}", False) in drawn
    assert {("operator", "talkrig.start_server", False),
            ("operator", "talkrig.stop_server", False)} <= set(drawn)
    prefs.token = "typed"
    try:
        assert module.addon.preferences.resolve_token(prefs) == "typed"
    finally:
        prefs.token = ""


def test_stop_local_server_finds_the_server_an_earlier_session_started(addon):
    bpy, module = addon
    state = module.addon.server_state
    started = state.local_server()
    state._local["server"] = None  # a new Blender session: only the state file knows the server
    try:
        assert bpy.ops.talkrig.stop_server.poll()
        found = state.local_server()
        assert found.pid == started.pid and found.url == started.url and found.running
    finally:
        state._local["server"] = started


def test_mistakes_are_reported_before_anything_is_sent(addon, avatar_glb, scott2_wav, tmp_path):
    bpy, module = addon
    fresh_scene(bpy)
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, scott2_wav)
    with pytest.raises(RuntimeError, match="Select the character's armature"):
        bpy.ops.talkrig.generate()  # nothing to animate: the button is disabled and says why

    arm = fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    notes = tmp_path / "notes.txt"
    notes.write_text("not a recording\n")
    setup_take(bpy, settings, notes)
    with pytest.raises(RuntimeError, match="unsupported audio: notes.txt"):
        bpy.ops.talkrig.generate()
    assert settings.job.state == "FAILED" and "unsupported audio" in settings.job.error

    pipe = tmp_path / "voice.wav"  # a pipe would block Blender for ever, a device never end
    os.mkfifo(pipe)
    setup_take(bpy, settings, pipe)
    with pytest.raises(RuntimeError, match="voice.wav is not a regular file"):
        bpy.ops.talkrig.generate()
    script = tmp_path / "script.txt"
    os.mkfifo(script)
    setup_take(bpy, settings, scott2_wav, transcript=script)
    with pytest.raises(RuntimeError, match="transcript file .*script.txt: is not a regular file"):
        bpy.ops.talkrig.generate()
    with open(script.with_name("book.txt"), "wb") as fh:
        fh.truncate(9 << 20)
    settings.transcript_file = str(script.with_name("book.txt"))
    with pytest.raises(RuntimeError, match="book.txt: is over 8 MB"):
        bpy.ops.talkrig.generate()
    settings.transcript_source = "NONE"

    setup_take(bpy, settings, scott2_wav)
    assert bpy.ops.talkrig.map_bones() == {"FINISHED"}
    rows = arm.talkrig_rig.bones
    rows["left_wrist"].bone = ""
    assert arm.talkrig_rig.source == "manual"
    with pytest.raises(RuntimeError, match="no bone for left_wrist"):
        bpy.ops.talkrig.generate()
    assert "left_wrist" in settings.job.error
    drawn = draw_panels(bpy, module)
    assert ("label", "Map these before generating: left_wrist", True) in drawn
    ui_list = module.addon.panel.TALKRIG_UL_bone_map
    for joint, red in (("left_wrist", True), ("right_wrist", False), ("jaw", False)):
        row = FakeLayout(bpy)
        ui_list.draw_item(None, bpy.context, row, arm.talkrig_rig, rows[joint], 0, None, "", 0)
        assert row.log[0] == ("label", joint, red) and row.log[1][:2] == ("prop_search", "bone")
    only_unmapped = type("List", (), {"filter_name": "", "bitflag_filter_item": 1,
                                      "show_unmapped": True})()
    flags, _ = ui_list.filter_items(only_unmapped, bpy.context, arm.talkrig_rig, "bones")
    assert [r.joint for r, f in zip(rows, flags) if f] == [
        "left_wrist", "jaw", "left_eye_smplhf", "right_eye_smplhf"]
    rows["left_wrist"].bone = "no such bone"
    with pytest.raises(RuntimeError, match="'no such bone', which rig 'metarig' does not have"):
        bpy.ops.talkrig.generate()
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)


def test_a_linked_armature_is_refused_its_keys_would_not_be_saved(addon, avatar_glb, scott2_wav, tmp_path):
    """A character linked from another .blend takes keys in memory, and opened again the file
    has lost them: Generate and Bake say to make a library override, before anything is sent.
    Onto the override the take is generated (its map made at Generate: it keeps no rows), and
    the file opened again still plays it."""
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    library = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library), copy=True)
    fresh_scene(bpy)
    with bpy.data.libraries.load(str(library), link=True) as (theirs, ours):
        ours.objects = list(theirs.objects)
    for obj in ours.objects:
        bpy.context.scene.collection.objects.link(obj)
    arm = next(obj for obj in ours.objects if obj.type == "ARMATURE")
    bpy.context.view_layer.objects.active = arm
    settings = bpy.context.scene.talkrig
    voice = tmp_path / "voice8.wav"
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    sf.write(str(voice), samples[: 8 * rate], rate, subtype="PCM_16")
    setup_take(bpy, settings, voice)
    with pytest.raises(RuntimeError, match="is linked from .*character.blend.*library override"):
        bpy.ops.talkrig.generate()
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)
    assert arm.animation_data is None
    scene = bpy.context.scene
    override = arm.override_hierarchy_create(scene, bpy.context.view_layer, do_fully_editable=True)
    bpy.context.view_layer.objects.active = override
    assert bpy.ops.talkrig.map_bones() == {"FINISHED"}  # it keeps no rows: mapped at Generate
    assert ("label", "A library override: mapped automatically at each Generate", False) in draw_panels(bpy, module)
    settings.speech = "none"
    assert bpy.ops.talkrig.generate(wait=True, timeout=300) == {"FINISHED"}, settings.job.error
    action = settings.job.action
    shot = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    bpy.ops.wm.open_mainfile(filepath=str(shot))
    kept = next(obj for obj in bpy.data.objects if obj.type == "ARMATURE" and obj.library is None)
    assert kept.override_library is not None
    assert [strip.action.name for track in kept.animation_data.nla_tracks for strip in track.strips] == [action]


def test_backend_options_come_from_the_servers_schema(addon, avatar_glb, scott2_wav,
                                                      scott2_textgrid):
    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    assert bpy.ops.talkrig.refresh_backends() == {"FINISHED"}
    pump(bpy, module, lambda: bool(settings.backends_json))
    options = settings.backend_options
    assert settings.backend_choice == "procedural"
    assert {o.name: o.type for o in options} == {
        "energy": "float", "gesture_rate": "float", "head": "float", "idle": "float",
        "gesture_space": "float", "body_layer": "float", "dominant_hand": "choice", "expressions": "bool"}
    assert module.addon.backend_options.options_payload(settings) == {}  # defaults not sent
    options["energy"].float_value = 7.0
    assert options["energy"].float_value == 2.0  # clamped to the schema's maximum
    options["energy"].float_value = 0.0  # "0 keeps the hands at rest"
    options["dominant_hand"].choice_value = "left"
    assert module.addon.backend_options.options_payload(settings) == {
        "energy": 0.0, "dominant_hand": "left"}

    settings.backend = "matching"  # needs a mocap library: the panel says so before sending
    assert [o.name for o in options if o.required] == ["library"]
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    with pytest.raises(RuntimeError, match="backend 'matching' needs library"):
        bpy.ops.talkrig.generate()

    settings.backend = "procedural"
    assert options["energy"].float_value == 0.0  # the values set before are kept
    settings.keyposes = "NONE"  # key poses move the arms whatever the energy
    arm_motion = {}
    for energy in (1.0, 0.0):  # the default, then "0 keeps the hands at rest"
        options["energy"].float_value = energy
        assert bpy.ops.talkrig.generate() == {"FINISHED"}
        pump(bpy, module, job_done(bpy, module))
        assert settings.job.state == "DONE", settings.job.error
        curves = action_curves(bpy.data.actions[settings.job.action])
        elbow = np.stack([fcurve_keys(curves[('pose.bones["forearm.R"].rotation_quaternion', i)])[:, 1]
                          for i in range(4)], axis=1)
        arm_motion[energy] = np.abs(np.diff(elbow, axis=0)).sum()
    assert arm_motion[0.0] < 0.5 * arm_motion[1.0]  # the option reached the generator


def test_a_captured_key_pose_is_struck_on_its_word(addon, avatar_glb, scott2_wav, scott2_textgrid,
                                                  tmp_path):
    """Pose the rig, capture it for "the" into a dictionary that already has entries, generate
    with that dictionary: the take reaches the captured arm pose where "the" is said."""
    from talkrig.inference.generation.keyposes import KeyPoseDictionary
    from talkrig.motion.npz import read_npz
    from talkrig.motion.skeleton import JOINT_INDEX

    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    dictionary = tmp_path / "my_poses.json"
    dictionary.write_text('{"version": 1, "entries": [\n'
                          ' {"words": ["the", "a"], "pose": {"head": [0.3, 0, 0]}},\n'
                          ' {"words": ["no"], "pose": {"head": [0, 0.4, 0]}}]}\n')
    settings.keypose_file = str(dictionary)
    with pytest.raises(RuntimeError, match="no mapped bone is posed"):
        bpy.ops.talkrig.capture_keypose(word="the")

    shoulder, elbow = arm.pose.bones["upper_arm.R"], arm.pose.bones["forearm.R"]
    shoulder.rotation_quaternion = (np.cos(0.4), 0.0, 0.0, np.sin(0.4))  # 46 deg about the bone z
    elbow.rotation_quaternion = (np.cos(0.6), np.sin(0.6), 0.0, 0.0)  # bent 69 deg
    assert bpy.ops.talkrig.capture_keypose(word="The ", probability=1.0, hold=0.4) == {"FINISHED"}
    data = KeyPoseDictionary.load(dictionary)  # the server's own reader accepts the file
    assert [e.words for e in data.entries] == [("a",), ("no",), ("the",)]
    entry = data.match("the")
    names = {n for n, i in JOINT_INDEX.items() if i in entry.joints}
    assert names == {"right_shoulder", "right_elbow"} and entry.hold == 0.4
    captured = entry.frames[0]
    # the elbow bend survives the inverse retarget (plus the avatar's slightly bent rest)
    assert abs(np.linalg.norm(captured[list(entry.joints).index(JOINT_INDEX["right_elbow"])])
               - 1.2) < 0.1

    shoulder.rotation_quaternion = elbow.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
    setup_take(bpy, settings, scott2_wav, scott2_textgrid)
    settings.keyposes = "FILE"
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state == "DONE", settings.job.error
    take = read_npz(settings.job.result_file)
    prefs = preferences(bpy)
    words = Client(prefs.server_url, token=read_token(), timeout=10).result(settings.job.job_id).words
    starts = [w["start"] for w in words if w["word"].lower() == "the"]
    assert len(starts) >= 10
    elbow_at_word = take.poses[[int(round(t * take.fps)) for t in starts], JOINT_INDEX["right_elbow"]]
    target = captured[list(entry.joints).index(JOINT_INDEX["right_elbow"])]
    reached = np.linalg.norm(elbow_at_word - target, axis=1) < 0.15
    assert reached.mean() > 0.8, np.linalg.norm(elbow_at_word - target, axis=1)


def test_a_motion_file_bakes_at_the_scene_frame_rate(addon, avatar_glb, scott_npz, scott_motion):
    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    with pytest.raises(RuntimeError, match="Nothing to bake yet: press Generate first"):
        bpy.ops.talkrig.bake()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1.0
    assert bpy.ops.talkrig.bake_file(filepath=str(scott_npz), frame_start=101) == {"FINISHED"}
    action = bpy.data.actions["2_scott_0_1_1"]
    n = frame_count(scott_motion.duration, 25)  # 45 s at 25 fps: 1125 frames
    keys = fcurve_keys(action_curves(action)[('pose.bones["upper_arm.L"].rotation_quaternion', 0)])
    assert len(keys) == n == 1125 and keys[0, 0] == 101 and keys[-1, 0] == 101 + n - 1
    assert [s.action.name for t in arm.animation_data.nla_tracks for s in t.strips] == [action.name]
    assert scene.sequence_editor is None or not len(scene.sequence_editor.strips_all)  # no audio


def test_bone_map_report_and_root_motion_on_the_object(addon, avatar_glb, scott_npz):
    bpy, module = addon
    arm = fresh_scene(bpy, avatar_glb)
    assert bpy.ops.talkrig.bone_map_report() == {"FINISHED"}
    report = bpy.data.texts["talkrig bone map"].as_string().splitlines()
    assert report[0].startswith("bone map (rigify_metarig) of rig")
    assert any(line.split()[:4] == ["left_shoulder", "->", "upper_arm.L", "1.00"] for line in report)
    assert report[-1] == "root motion on the pelvis bone 'spine'"
    settings = bpy.context.scene.talkrig
    settings.root_target = "OBJECT"
    start = arm.location.copy()
    assert bpy.ops.talkrig.bake_file(filepath=str(scott_npz), frame_start=1) == {"FINISHED"}
    curves = action_curves(bpy.data.actions["2_scott_0_1_1"])
    travel = np.stack([fcurve_keys(curves[("location", k)])[:, 1] for k in range(3)], axis=1)
    np.testing.assert_allclose(travel[0], start, atol=1e-5)
    assert np.ptp(travel[:, :2], axis=0).max() > 0.3  # the actor walks about; the object follows
    np.testing.assert_allclose(travel[:, 2], start.z, atol=1e-5)  # along the floor only
    settings.root_target = "AUTO"


def test_a_german_script_from_the_panel_is_timed_with_its_language(addon, avatar_glb, tmp_path):
    """The panel's Language goes with the job: a German script comes back with all its words."""
    from support import language_support as ls

    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    case = ls.revoiced("de", 0)
    wav, script = tmp_path / "deutsch.wav", tmp_path / "deutsch.txt"
    sf.write(str(wav), case.audio.samples, 16000, subtype="PCM_16")
    script.write_text(" ".join(case.tokens), encoding="utf-8")
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, wav, script)
    settings.language = "de"
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state == "DONE", settings.job.error
    assert settings.job.words == len(case.tokens)
    settings.language = "German!"  # what the panel sends is the server's to check
    bpy.ops.talkrig.generate()
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state != "DONE" and "language" in settings.job.error


def test_speech_not_judged_english_is_named_in_the_panel_with_what_to_set(addon, avatar_glb,
                                                                         tmp_path):
    """Without a script, English the recogniser is as unsure of as of another language (here
    eSpeak NG's voice) keeps no words: the panel says why and to set the language to en, and set, the words are kept."""
    from support import language_support as ls

    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    wav = tmp_path / "robot.wav"
    sf.write(str(wav), ls.revoiced("en", 1, seed=1).audio.samples, 16000, subtype="PCM_16")
    settings = bpy.context.scene.talkrig
    setup_take(bpy, settings, wav)
    settings.language = "auto"
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state == "DONE" and settings.job.words == 0, settings.job.error
    assert "does not sound like English" in settings.job.notice
    assert "set the language to en" in settings.job.notice
    layout = FakeLayout(bpy)
    module.addon.panel.draw_job(layout, bpy.context)
    shown = " ".join(entry[1] for entry in layout.log if entry[0] == "label")
    assert "does not sound like English" in " ".join(shown.split())
    settings.language = "en"
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, job_done(bpy, module))
    assert settings.job.state == "DONE" and settings.job.words >= 8
    assert settings.job.notice == ""


def test_disabling_the_addon_leaves_nothing_behind(addon, avatar_glb, scott2_wav):
    """Runs last: disabling mid-job stops the job's timer and removes every class, property
    and handler the add-on added."""
    from support.addon_support import PACKAGE

    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    setup_take(bpy, bpy.context.scene.talkrig, scott2_wav)
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    tick = module.addon.runtime.tick
    classes = module.addon.classes()
    assert bpy.app.timers.is_registered(tick)
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    assert not bpy.app.timers.is_registered(tick)
    assert not any(cls.is_registered for cls in classes)
    assert not hasattr(bpy.types.Scene, "talkrig") and not hasattr(bpy.types.Object, "talkrig_rig")
    assert not any("talkrig" in getattr(h, "__module__", "") for h in bpy.app.handlers.load_post)
    assert not hasattr(bpy.ops.talkrig, "generate") or "generate" not in dir(bpy.ops.talkrig)
