"""Put SMPL-X motion on a loaded avatar: bone map, retarget, keys as a new Action (bpy module).

The retargeting maths is :mod:`talkrig.motion.retarget`; reading the armature and writing the
keys (body, face shape keys, mouth cues) is ``blender.take.key_take``, the sequence the add-on's
bake runs too, so a headless bake and a bake in Blender's UI give the same animation.
"""

import logging
from pathlib import Path

import bpy

from ..blender.take import key_take
from ..motion.retarget import RetargetError, apply_preset, auto_map, list_presets
from .scene import set_frame_rate

log = logging.getLogger(__name__)

MAP_HELP = "'auto', a preset name or a bone map .json file"


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


def animate(avatar, motion, bone_map=None, name="talkrig", frame_start=1, settings=None):
    """Retarget ``motion`` onto ``avatar`` and key it as a new Action named ``name``; the face
    curves, jaw and expressions drive the face shape keys talkrig recognises (see
    ``blender/facekeys.py``) and the mouth cues the avatar's letter poses (``blender/mouthposes.py``).

    settings : how the take goes on the rig, a ``motion.retarget.RetargetSettings`` (None: the
    defaults). The scene's frame rate becomes the motion's, so every frame lands on a whole
    scene frame, and the scene's frame range becomes the take's. Returns the
    ``blender.take.KeyedTake``.
    """
    arm = avatar.armature
    scene = bpy.context.scene
    set_frame_rate(scene, motion.fps)
    # Recognised face shape keys (ARKit jawOpen..., SMPL-X Exp000...) on NLA tracks of the same
    # name, so glTF merges them with the body into one animation.
    take = key_take(scene, arm, motion, lambda rig: resolve_bone_map(rig, bone_map), name,
                    frame_start, "nla", motion.fps, settings, face_after_action=False)
    scene.frame_start, scene.frame_end = frame_start, take.frame_end
    scene.frame_set(frame_start)
    log.info("keyed %d frames on %d bones of %s as %r (%s bone map, %d joints); %s",
             take.n_frames, len(take.channels.bone_names), arm.name, take.action.name,
             take.plan.bone_map.source, len(take.plan.bone_map), take.channels.root_note)
    return take
