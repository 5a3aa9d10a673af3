"""Where a sound strip's voice-over plays: the take of a strip starts where Blender plays the
sound's first sample (moved by the strip's start, hold offset and sound offset), and a strip
trimmed by its handles is taken as the part it lets be heard. Checked against Blender itself:
clicks at known times in a sound, mixed down through strips moved and trimmed every way."""

import wave

import numpy as np
import pytest

pytestmark = [pytest.mark.blender]

FPS = 25
RATE = 16000
CLICKS = (1.0, 2.0, 3.0, 4.0)  # seconds into the sound
HEIGHTS = (2000, 5000, 12500, 31000)  # told apart at any gain of the mix from 0.53 to 1.3 (0.71 here)


@pytest.fixture(scope="module")
def clicks(tmp_path_factory):
    samples = np.zeros(6 * RATE, np.int16)
    for k, t in enumerate(CLICKS):
        samples[int(t * RATE):int(t * RATE) + 40] = HEIGHTS[k]
    path = tmp_path_factory.mktemp("strips") / "clicks.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


def heard_clicks(bpy, scene, path):
    """{click: the scene frame Blender plays it at} in the scene's mixdown."""
    bpy.ops.sound.mixdown(filepath=str(path), container="WAV", codec="PCM", format="S16",
                          mixrate=RATE, accuracy=256)
    with wave.open(str(path)) as mixed:
        samples = np.frombuffer(mixed.readframes(mixed.getnframes()), np.int16)
        samples = samples.reshape(-1, mixed.getnchannels())[:, 0].astype(np.int64)
    onsets = np.flatnonzero((samples[1:] > 800) & (samples[:-1] <= 800)) + 1
    which = [int(np.searchsorted(HEIGHTS, samples[i] * 1.9)) - 1 for i in onsets]
    return {k: scene.frame_start + i / RATE * FPS for k, i in zip(which, onsets)}


@pytest.mark.parametrize("moved", [
    {},
    {"frame_offset_start": 30, "frame_offset_end": 20},  # trimmed by its handles
    {"sound_offset": 0.5},
    {"animation_offset_start": 30},
    {"animation_offset_start": 12, "frame_offset_start": 20, "sound_offset": 0.2},
])
def test_the_take_starts_where_blender_plays_the_sound_and_covers_what_the_strip_lets_be_heard(
        bpy, clicks, tmp_path, moved):
    from talkrig.addon.voiceover import strip_timing

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = FPS, 1, 250
    strip = scene.sequence_editor_create().strips.new_sound("voice", str(clicks), 1, 11)
    for name, value in moved.items():
        setattr(strip, name, value)
    zero, heard = strip_timing(strip, scene)
    played = heard_clicks(bpy, scene, tmp_path / "mixed.wav")
    assert played, "no click heard"
    for k, frame in played.items():
        assert abs(frame - (zero + CLICKS[k] * FPS)) < 0.05  # where talkrig puts that moment
    if heard is None:
        assert set(played) == set(range(len(CLICKS)))
        return
    first, stop, first_frame = heard
    assert first_frame >= strip.frame_final_start and first_frame == pytest.approx(zero + first * FPS)
    assert stop * FPS + zero == pytest.approx(strip.frame_final_end)
    assert set(played) == {k for k, t in enumerate(CLICKS) if first <= t < stop}
