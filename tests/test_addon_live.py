"""The Blender extension's Live toggle, headless: the installed extension, a real server it
started, a sound strip of real speech streamed in real time, the rig moving while it plays,
and the performance recorded into one new Action that one undo removes. The live timer is run
by hand (the bpy module has no event loop)."""

import time

import numpy as np
import pytest
import soundfile as sf

from addon_support import action_curves, addon_with_server, fcurve_keys, fresh_scene
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
    arm = fresh_scene(bpy, avatar_glb)
    scene = bpy.context.scene
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
    seen = []
    session = run_live(bpy, live, lambda: seen.append(tuple(forearm.rotation_quaternion)))
    assert not session.error, session.error
    # the rig moved while the voice played, frame after frame
    moving = np.asarray(seen)
    assert len({tuple(np.round(q, 4)) for q in moving}) > 20
    assert np.ptp(moving, axis=0).max() > 0.02

    # the performance became one new Action over the strip's frames, at the scene's rate
    new = set(bpy.data.actions.keys()) - before
    assert new == {session.action} == {"voice live seed 3"}
    curves = action_curves(bpy.data.actions[session.action])
    n = frame_count(SECONDS, scene.render.fps)
    keys = fcurve_keys(curves[('pose.bones["forearm.R"].rotation_quaternion', 0)])
    assert len(keys) == n and keys[0, 0] == STRIP_START and keys[-1, 0] == STRIP_START + n - 1

    bpy.ops.ed.undo()  # one step takes the whole performance away
    assert session.action not in bpy.data.actions


def test_live_without_an_armature_says_what_to_do(addon):
    bpy, module = addon
    fresh_scene(bpy)
    with pytest.raises(RuntimeError, match="no armature"):
        bpy.ops.talkrig.live()
    assert not module.addon.live.running()
