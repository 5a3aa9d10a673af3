"""A take retargeted before it is keyed, away from Blender's main thread.

    reading = RigReading.of(scene, armature, map_bones, settings)  # main thread, at Generate
    ahead = reading.retarget(motion)                                # any thread: numpy only
    if ahead.first.hips:                                            # a rig keyed through its controls
        hips = evaluated_heads(armature, ahead.first.channels, ahead.first.hips)  # main thread
        ahead = ahead.with_hips(hips)                               # any thread
    take = key_take(..., ahead=ahead)                               # main thread, the bake

What Generate reads of the rig (its rest, the bone map, where the keys go, the rig settings and
the scene's frame rate) is all that retargeting needs, but for where Blender puts the hips of a
rig keyed through its controls: the add-on's job thread retargets the take as soon as it is
downloaded, and the bake only keys it (the add-on measures those hips a tick before the bake and
solves the legs from them in a thread too). ``key_take`` uses it only while
the rig, the bone map, the settings and the frame rate are still the ones it was made for, and
retargets on the main thread otherwise.
"""

from dataclasses import dataclass

import numpy as np

from ..motion.resample import resample
from .controls import FirstPass, first_pass, retarget_target, solved_legs
from .rig_io import read_rig
from .scene import scene_fps

_RIG_ARRAYS = ("parents", "heads", "tails", "matrices", "connected", "inherit_rotation", "deform")


@dataclass
class RigReading:
    """What retargeting needs of an armature, read on the main thread.

    rig : its Rig. bone_map : its BoneMap. target : the RetargetTarget (deform bones or
    controls). settings : the RetargetSettings. fps : the scene's frame rate.
    """

    rig: object
    bone_map: object
    target: object
    settings: object
    fps: float

    @classmethod
    def of(cls, scene, obj, map_bones, settings):
        """Read armature ``obj`` (map_bones : rig -> BoneMap, raising RetargetError to say
        what to map)."""
        rig = read_rig(obj)
        bone_map = map_bones(rig)
        return cls(rig, bone_map, retarget_target(obj, rig, bone_map, settings.constrained),
                   settings, scene_fps(scene))

    def retarget(self, motion):
        """``motion`` at the scene's frame rate, retargeted without Blender -> Ahead."""
        if abs(motion.fps - self.fps) > 1e-6:
            motion = resample(motion, self.fps)
        return Ahead(self, first_pass(motion, self.target, self.settings), motion)

    def holds(self, rig, bone_map, settings, fps):
        """Whether a rig read now, its map, settings and frame rate are still these."""
        return (self.settings == settings and abs(self.fps - fps) < 1e-9
                and self.bone_map.bones == bone_map.bones and _same_rig(self.rig, rig))


@dataclass
class Ahead:
    """A take retargeted from a RigReading: reading, its controls.FirstPass, and the motion
    (at the scene's frame rate) it was retargeted from."""

    reading: RigReading
    first: object
    motion: object

    def holds(self, rig, bone_map, settings, fps, motion):
        """Whether it is still the take of ``motion`` on the rig as it is now."""
        return (motion.n_frames == self.motion.n_frames
                and self.reading.holds(rig, bone_map, settings, fps))

    def with_hips(self, hips):
        """The take with its legs solved from ``hips`` (T, 2, 3), where Blender put the hip
        joints of the first pass (numpy only: any thread)."""
        reading = self.reading
        channels = solved_legs(self.motion, reading.target, reading.settings, hips)
        return Ahead(reading, FirstPass(channels, []), self.motion)


def _same_rig(a, b):
    return a.names == b.names and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in _RIG_ARRAYS)
