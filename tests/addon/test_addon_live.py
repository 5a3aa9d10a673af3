"""The Blender extension's Live toggle, headless: the installed extension, a real server it
started, a sound strip of real speech streamed in real time, the rig moving while it plays,
and the performance recorded into one new Action that one undo removes. The live timer is run
by hand (the bpy module has no event loop)."""

import importlib
import time

import numpy as np
import pytest
import soundfile as sf

from support.addon_support import action_curves, addon_with_server, draw_panels, fcurve_keys, fresh_scene
from support.audio_support import IMPLAUSIBLE, implausible_wav
from talkrig.motion import frame_count

pytestmark = [pytest.mark.blender, pytest.mark.slow]

SECONDS = 3.0
STRIP_START = 5


@pytest.fixture(scope="module")
def addon(tmp_path_factory):
    with addon_with_server(tmp_path_factory.mktemp("addon-live")) as running:
        yield running

def run_live(bpy, live, on_tick=None, timeout=60.0):
    """Run the live timer as Blender would, until the performance is over."""
    session = live.current()
    deadline = time.monotonic() + timeout
    while True:
        interval = session.tick()
        if on_tick is not None:
            on_tick()
        if interval is None:
            if bpy.app.timers.is_registered(session.timer):
                bpy.app.timers.unregister(session.timer)
            return session
        assert time.monotonic() < deadline, "the live performance did not end"
        time.sleep(interval)


def test_live_drives_the_rig_and_records_one_undoable_action(addon, avatar_glb, scott2_wav, tmp_path):
    bpy, module = addon
    live = module.addon.live
    from talkrig.scenes.facehead import build_face_head

    arm = fresh_scene(bpy, avatar_glb)
    scene = bpy.context.scene
    head = build_face_head()  # 52 ARKit shape keys, riding the rig
    head.parent = arm
    jaw_key = head.data.shape_keys.key_blocks["jawOpen"]
    speech, rate = sf.read(scott2_wav, dtype="float32")
    wav = tmp_path / "voice.wav"
    sf.write(wav, speech[: int(SECONDS * rate)], rate)
    sed = scene.sequence_editor_create()
    strip = sed.strips.new_sound("voice", str(wav), channel=1, frame_start=STRIP_START)
    settings = scene.talkrig
    settings.audio_source, settings.sound_strip, settings.seed = "STRIP", strip.name, 3
    bpy.ops.ed.undo_push(message="before live")
    before = set(bpy.data.actions.keys())

    assert bpy.ops.talkrig.live() == {"FINISHED"}
    assert live.running() and bpy.app.timers.is_registered(live.current().timer)
    forearm = arm.pose.bones["forearm.R"]
    seen, jaw = [], []
    session = run_live(bpy, live, lambda: (seen.append(tuple(forearm.rotation_quaternion)),
                                           jaw.append(jaw_key.value)))
    assert not session.error, session.error
    # the face moved with the voice: the jaw shape key opened and closed as frames arrived
    assert np.ptp(jaw) > 0.3 and len(set(np.round(jaw, 3))) > 10
    # the rig moved while the voice played, frame after frame
    moving = np.asarray(seen)
    assert len({tuple(np.round(q, 4)) for q in moving}) > 20
    assert np.ptp(moving, axis=0).max() > 0.02

    # the performance became one new Action over the strip's frames, at the scene's rate
    new = set(bpy.data.actions.keys()) - before
    assert session.action == "voice live seed 3" and len(session.face_actions) == 1
    assert new == {session.action, *session.face_actions}
    curves = action_curves(bpy.data.actions[session.action])
    n = frame_count(SECONDS, scene.render.fps)
    keys = fcurve_keys(curves[('pose.bones["forearm.R"].rotation_quaternion', 0)])
    assert len(keys) == n and keys[0, 0] == STRIP_START and keys[-1, 0] == STRIP_START + n - 1

    face = action_curves(bpy.data.actions[session.face_actions[0]])  # and the face was recorded
    jaw_keys = fcurve_keys(face[('key_blocks["jawOpen"].value', 0)])
    assert len(jaw_keys) == n and np.ptp(jaw_keys[:, 1]) > 0.3

    bpy.ops.ed.undo()  # one step takes the whole performance away
    assert session.action not in bpy.data.actions and session.face_actions[0] not in bpy.data.actions


def test_live_from_a_trimmed_strip_streams_the_part_it_lets_be_heard(addon, avatar_glb, scott2_wav,
                                                                    tmp_path):
    """A strip trimmed to 2.5 s of a 6 s recording: Live streams that part, and the recording
    covers the frames the strip is heard, from its first."""
    bpy, module = addon
    live = module.addon.live
    fresh_scene(bpy, avatar_glb)
    scene = bpy.context.scene
    speech, rate = sf.read(scott2_wav, dtype="float32")
    wav = tmp_path / "voice6.wav"
    sf.write(wav, speech[: 6 * rate], rate)
    strip = scene.sequence_editor_create().strips.new_sound("voice", str(wav), channel=1,
                                                            frame_start=STRIP_START)
    fps = scene.render.fps
    strip.frame_offset_start, strip.frame_offset_end = 2 * fps, int(1.5 * fps)
    settings = scene.talkrig
    settings.audio_source, settings.sound_strip, settings.seed = "STRIP", strip.name, 3
    assert bpy.ops.talkrig.live() == {"FINISHED"}
    session = run_live(bpy, live)
    assert not session.error, session.error
    keys = fcurve_keys(action_curves(bpy.data.actions[session.action])[
        ('pose.bones["forearm.R"].rotation_quaternion', 0)])
    assert keys[0, 0] == strip.frame_final_start == STRIP_START + 2 * fps
    assert len(keys) == frame_count(2.5, fps) == strip.frame_final_duration


def test_live_without_an_armature_says_what_to_do(addon):
    bpy, module = addon
    fresh_scene(bpy)
    with pytest.raises(RuntimeError, match="no armature"):
        bpy.ops.talkrig.live()
    assert not module.addon.live.running()


def test_live_from_the_microphone_says_what_to_install_when_it_cannot(addon, avatar_glb):
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    drawn = draw_panels(bpy, module)  # the panel offers the source and live key poses
    assert ("prop", "live_source", False) in drawn and ("prop", "live_keyposes", False) in drawn
    settings.live_source = "MIC"
    try:
        why = importlib.import_module(f"{module.__name__}.client.microphone").unavailable()
        if not why:
            pytest.skip("this machine has a microphone library: nothing to refuse")
        # the panel's audio is not needed, and not used: the microphone is the source
        settings.audio_source, settings.audio_file = "FILE", ""
        with pytest.raises(RuntimeError, match="Live from the microphone: .*sounddevice.*-m pip install "
                                               "sounddevice.*Live From: Audio"):
            bpy.ops.talkrig.live()
        assert not module.addon.live.running()
    finally:
        settings.live_source = "AUDIO"


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE))
def test_a_rate_no_voice_has_is_refused_before_it_is_streamed_or_sent(addon, avatar_glb, tmp_path, case):
    """Live and Generate read the voice-over's header first and refuse, in one line, what the
    server's decoder would (the audit's 2.4 KB wav at 2 Hz claiming ten minutes was generated)."""
    bpy, module = addon
    fresh_scene(bpy, avatar_glb)
    settings = bpy.context.scene.talkrig
    data, refusal = implausible_wav(case)
    odd = tmp_path / "odd.wav"
    odd.write_bytes(data)
    settings.live_source, settings.audio_source, settings.audio_file = "AUDIO", "FILE", str(odd)
    with pytest.raises(RuntimeError, match=f"odd.wav: {refusal}"):
        bpy.ops.talkrig.live()
    assert not module.addon.live.running()
    with pytest.raises(RuntimeError, match=f"odd.wav: {refusal}"):
        bpy.ops.talkrig.generate()
    assert settings.job.state == "FAILED" and settings.job.error.startswith(f"odd.wav: {refusal}")
    assert not module.addon.server_jobs.GENERATE.running(bpy.context.scene)
