"""A take in the add-on: how it is named, where generated takes are kept, and baking one onto the
rig with the panel's settings (one undoable step: a new Action, never touching the existing
animation, face shape keys, and the voice-over as a sound strip in sync).

    take = bake_motion(context.scene, armature, motion, name="speech seed 7", frame_start=1,
                       settings=scene.talkrig, audio_path="speech.wav")

The motion is resampled to the scene's frame rate (rotations slerped) and keyed by
``blender.take.key_take`` with the armature's bone map and the panel's rig settings (one
``RetargetSettings``); the result is that take, a ``blender.take.KeyedTake``.

A generated take is retargeted in its job's thread as soon as it is downloaded, from what
Generate read of the rig (``rig_reading``, ``retarget_ahead``); on a rig keyed through its
controls, the hips are measured a tick before the bake and the legs solved from them in a thread
(``solve_legs_ahead``). The bake then only keys it, while the rig, its map, the settings and the
frame rate are still the ones it was read with.
"""

import logging
import tempfile
import threading
from pathlib import Path

import bpy

from . import ROOT_PACKAGE

log = logging.getLogger(__name__)

KEEP_TAKES = 200  # takes kept in the user folder; older ones are deleted
_AHEAD = {}  # {take file: blender.ahead.Ahead}: the latest take, retargeted in its job's thread


def takes_dir():
    """Where generated takes are kept: the extension's user folder (a temp folder otherwise)."""
    try:
        return Path(bpy.utils.extension_path_user(ROOT_PACKAGE, path="takes", create=True))
    except (ValueError, OSError):
        path = Path(tempfile.gettempdir()) / "talkrig-takes"
        path.mkdir(parents=True, exist_ok=True)
        return path


def prune_takes(folder, keep=KEEP_TAKES):
    takes = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in takes[keep:]:
        try:
            old.unlink()
        except OSError:
            pass


def retarget_settings(settings):
    """The panel's rig settings (``scene.talkrig``) as a RetargetSettings."""
    from ..motion.retarget.settings import RetargetSettings

    return RetargetSettings(constrained=settings.constrained.lower(),
                            root_motion=settings.root_motion,
                            root_target=settings.root_target.lower(),
                            plant_feet=settings.plant_feet)


def take_name(audio_name, seed):
    """How a take's Action is named: after the audio and the seed."""
    return f"{audio_name or 'talkrig'} seed {seed}"


def panel_map(obj):
    """rig -> the panel's BoneMap of ``obj``, a RetargetError naming what to map when an
    essential joint has no bone."""
    from .mapping import check_essential, current_map

    def map_bones(rig):
        bone_map = current_map(obj, rig)
        check_essential(bone_map, obj)
        return bone_map

    return map_bones


def rig_reading(scene, obj, settings):
    """What the job's thread needs to retarget the take onto ``obj`` (read at Generate, on the
    main thread): a ``blender.ahead.RigReading``. Raises RetargetError saying what to fix."""
    from ..blender.ahead import RigReading
    from ..blender.rig_io import check_animatable

    return RigReading.of(scene, check_animatable(obj), panel_map(obj), retarget_settings(settings))


def retarget_ahead(reading, heard=None):
    """A generation job's ``then`` (run in its thread): the downloaded take (only the part of
    the voice-over ``heard``, as ``voiceover.AudioSource.heard``) and the take retargeted from
    ``reading`` -> (JobOutput, Ahead or None)."""
    from ..motion.npz import read_npz

    def then(output):
        if heard is not None:
            output = heard_part(output, *heard[:2])
        try:
            return output, reading.retarget(read_npz(output.npz))
        except Exception:  # the bake retargets it again and reports what is wrong
            log.warning("the take was not retargeted in the job's thread", exc_info=True)
            return output, None

    return then


def heard_part(output, first, stop):
    """The JobOutput of the seconds [first, stop) of the voice-over: its take from ``first``
    on (frame 0 the take at ``first``) and the words said in them, timed from ``first``."""
    from dataclasses import replace

    from ..motion.npz import npz_bytes, read_npz
    from ..motion.resample import resample

    motion = read_npz(output.npz)
    part = resample(motion, motion.fps, first, stop)

    def moved(item):
        return dict(item, start=item["start"] - first, end=min(item["end"], stop) - first)

    words = [dict(moved(w), **({"phones": [moved(p) for p in w["phones"]]} if w.get("phones") else {}))
             for w in output.words if first <= w["start"] < stop]
    return replace(output, npz=npz_bytes(part), words=words, info=dict(output.info, n_frames=part.n_frames))


def keep_ahead(path, ahead):
    """Keep the retargeted take of the take file ``path`` (only the latest is kept)."""
    _AHEAD.clear()
    if ahead is not None:
        _AHEAD[str(path)] = ahead


def ahead_for(path):
    """The take file's take retargeted in its job's thread, or None."""
    return _AHEAD.get(str(path))


def solve_legs_ahead(scene, obj, path):
    """When the take file's take retargeted ahead still needs where the rig puts its hips (a
    rig keyed through its controls, feet planted): measure them now (main thread) and solve the
    legs from them in a thread, which leaves the finished take to the bake. Returns the thread,
    or None when there is nothing to do (or the rig has changed: the bake retargets then)."""
    from ..blender.evaluated import evaluated_heads
    from ..blender.rig_io import read_rig
    from ..blender.scene import scene_fps
    from ..motion.errors import TalkrigError

    ahead = ahead_for(path)
    if ahead is None or not ahead.first.hips or obj is None or obj.type != "ARMATURE":
        return None
    rig = read_rig(obj)
    try:
        bone_map = panel_map(obj)(rig)
    except TalkrigError:  # the bake says what to map
        return None
    if not ahead.reading.holds(rig, bone_map, retarget_settings(scene.talkrig), scene_fps(scene)):
        return None
    hips = evaluated_heads(obj, ahead.first.channels, ahead.first.hips)

    def solve():
        try:
            keep_ahead(path, ahead.with_hips(hips))
        except Exception:  # the bake solves them again and reports what is wrong
            log.warning("the take's legs were not solved in a thread", exc_info=True)

    thread = threading.Thread(target=solve, name="talkrig legs", daemon=True)
    thread.start()
    return thread


def bake_motion(scene, obj, motion, name, frame_start, settings, audio_path=None, ahead=None):
    """Put ``motion`` (SMPL-X Motion) on armature ``obj``; returns the KeyedTake.

    audio_path : when given (and settings.add_sound), the audio is added as a sound strip at
    ``frame_start`` unless the sequencer already plays that file there.
    ahead : the same take already retargeted (see ``blender.take.key_take``); its motion,
    resampled to the scene's rate in the job's thread, is keyed when that rate still holds.
    Raises TalkrigError (RetargetError, ...) with a message a person can act on.
    """
    from ..blender.rig_io import check_animatable
    from ..blender.scene import scene_fps
    from ..blender.take import key_take
    from ..motion.resample import resample

    fps = scene_fps(scene)
    if ahead is not None and abs(ahead.motion.fps - fps) < 1e-6:
        motion = ahead.motion
    elif abs(motion.fps - fps) > 1e-6:
        motion = resample(motion, fps)
    mode = settings.bake_mode.lower()
    active_before = obj.animation_data.action if obj.animation_data else None
    take = key_take(scene, check_animatable(obj), motion, panel_map(obj), name, frame_start, mode, fps,
                    retarget_settings(settings), ahead=ahead)
    if mode == "nla" and active_before is not None:
        take.warnings.append(f"the active action {active_before.name!r} still plays on top of "
                             "the new strip; set Bake As to Active Action to hear and see only "
                             "the take")
    if audio_path and settings.add_sound:
        from ..blender.strips import add_sound_strip

        take.sound_strip = add_sound_strip(scene, audio_path, frame_start, name)
    if settings.extend_scene and scene.frame_end < take.frame_end:
        scene.frame_end = take.frame_end
    return take


def describe(take, target):
    """One line for the status bar and the report (target: the armature or its name)."""
    text = (f"baked {take.n_frames} frames onto {getattr(target, 'name', target)} as "
            f"{take.action.name!r} "
            f"(frames {take.frame_start}-{take.frame_end})")
    if take.face:
        text += f", face on {', '.join(take.face)}"
    if take.mouth_cues is not None:
        text += ", mouth cues on the letter poses"
    return text
