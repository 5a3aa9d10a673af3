"""Put SMPL-X motion on a loaded avatar: bone map, retarget, keys as a new Action (bpy module).

The retargeting maths is :mod:`talkrig.motion.retarget`; reading the armature and writing the
keys (body, face shape keys, mouth cues) is ``blender.take.key_take``, the sequence the add-on's
bake runs too, so a headless bake and a bake in Blender's UI give the same animation.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import bpy

from ..blender.take import key_take
from ..motion.retarget import RetargetError, apply_preset, auto_map, list_presets
from .scene import set_frame_rate

log = logging.getLogger(__name__)

MAP_HELP = "'auto', a preset name or a bone map .json file"


@dataclass
class Animation:
    """A take keyed onto an avatar.

    action : the new bpy Action (on an NLA strip of the armature).
    frame_start, frame_end : first and last scene frame of the take (inclusive).
    fps : frames per second (the scene is set to it).
    plan : the RetargetPlan used (its ``frame`` turns SMPL-X axes into armature axes).
    rig_motion : the keyed channels (RigMotion).
    face : {mesh name: Action} of the shape keys keyed from the face curves, jaw and
        expressions.
    mouth_cues : the Action keying the avatar's letter poses (A-H, X) from the mouth cues, or
        None when it has none.
    bone_map : the armature's bone map (its deform bones, even when the controls were keyed).
    notes : where the keys and the travel went, in words.
    """

    action: object
    frame_start: int
    frame_end: int
    fps: float
    plan: object
    rig_motion: object
    face: dict = None
    mouth_cues: object = None
    bone_map: object = None
    notes: list = None

    @property
    def n_frames(self):
        return self.frame_end - self.frame_start + 1


def resolve_bone_map(rig, spec=None):
    """A BoneMap for ``rig`` from ``spec``: None/"auto", a built-in preset name or a .json file."""
    spec = (str(spec).strip() if spec is not None else "") or "auto"
    if spec == "auto":
        bone_map = auto_map(rig)
    elif spec in list_presets():
        bone_map = apply_preset(rig, spec)
    elif Path(spec).suffix.lower() == ".json":
        if not Path(spec).is_file():
            raise RetargetError(f"--map {spec}: no such bone map file")
        bone_map = apply_preset(rig, spec)
    else:
        raise RetargetError(f"--map {spec!r} is not {MAP_HELP}; presets: "
                            f"{', '.join(list_presets())}")
    if bone_map.missing_major:
        log.warning("bone map %s leaves major joints unmapped on %s: %s", bone_map.source,
                    rig.name, ", ".join(bone_map.missing_major))
    return bone_map


def animate(avatar, motion, bone_map=None, name="talkrig", frame_start=1, root_motion="relative",
            root_target="auto", constrained="auto", plant_feet=True):
    """Retarget ``motion`` onto ``avatar`` and key it as a new Action named ``name``; the face
    curves, jaw and expressions drive the face shape keys talkrig recognises (see
    ``blender/facekeys.py``) and the mouth cues the avatar's letter poses (``blender/mouthposes.py``).

    root_target, plant_feet : see ``motion.retarget.retarget``; constrained : where the keys
    go on a rig whose deform bones follow constraints (``blender.controls``).
    The scene's frame rate becomes the motion's, so every frame lands on a whole scene frame,
    and the scene's frame range becomes the take's. Returns an :class:`Animation`.
    """
    arm = avatar.armature
    scene = bpy.context.scene
    set_frame_rate(scene, motion.fps)
    # Recognised face shape keys (ARKit jawOpen..., SMPL-X Exp000...) on NLA tracks of the same
    # name, so glTF merges them with the body into one animation.
    take = key_take(scene, arm, motion, lambda rig: resolve_bone_map(rig, bone_map), name,
                    frame_start, "nla", motion.fps, constrained=constrained,
                    root_motion=root_motion, root_target=root_target, plant_feet=plant_feet,
                    face_after_action=False)
    action, channels, plan = take.action, take.channels, take.target.plan
    frame_end = frame_start + motion.n_frames - 1
    scene.frame_start, scene.frame_end = frame_start, frame_end
    scene.frame_set(frame_start)
    log.info("keyed %d frames on %d bones of %s as %r (%s bone map, %d joints); %s",
             motion.n_frames, len(channels.bone_names), arm.name, action.name,
             plan.bone_map.source, len(plan.bone_map), channels.root_note)
    return Animation(action=action, frame_start=frame_start, frame_end=frame_end,
                     fps=float(motion.fps), plan=plan, rig_motion=channels,
                     mouth_cues=take.mouth_cues, bone_map=take.bone_map, face=take.face,
                     notes=take.target.notes + [channels.root_note])
