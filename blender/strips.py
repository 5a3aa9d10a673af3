"""The voice-over as a sound strip of the scene's sequencer."""

from pathlib import Path

import bpy


def add_sound_strip(scene, path, frame_start, name):
    """A sound strip playing ``path`` from ``frame_start`` (the existing one if already there)."""
    sed = scene.sequence_editor or scene.sequence_editor_create()
    wanted = Path(bpy.path.abspath(path)).resolve()
    for strip in sed.strips_all:
        if strip.type == "SOUND" and strip.sound is not None \
                and int(round(strip.frame_start)) == int(frame_start):
            try:
                if Path(bpy.path.abspath(strip.sound.filepath)).resolve() == wanted:
                    return strip.name
            except OSError:
                continue
    channel = 1 + max((s.channel for s in sed.strips_all), default=0)
    strip = sed.strips.new_sound(name, str(wanted), channel=min(channel, 128),
                                 frame_start=int(frame_start))
    return strip.name
