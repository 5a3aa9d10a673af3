"""A video of a person performing a known take: the ground truth for capture from video.

    truth = render_character_video(motion, "speech.wav", "take.mp4", size=(1280, 720))
    truth.camera.project(neutral_skeleton().joint_positions(motion))   # true joints in pixels

The take is keyed on an avatar (the bundled one by default) dressed with skin, clothes and a
face whose mouth follows the jaw (:mod:`.character`), filmed from the front by a fixed camera
that keeps the whole body in view, rendered by Blender (Workbench, Eevee or Cycles) with the
speech muxed in (H.264 + AAC in an MP4). The camera, and the similarity that places the take's
SMPL-X frame in the scene, are written beside the video as ``NAME.camera.json``.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exporters.errors import BakeError
from ..motion.camera import Camera, similarity
from ..motion.skeleton import neutral_skeleton

log = logging.getLogger(__name__)

ENGINES = {"workbench": "BLENDER_WORKBENCH", "eevee": "BLENDER_EEVEE", "cycles": "CYCLES"}
FIELD_OF_VIEW = math.radians(30.0)  # vertical
BACKGROUND = (0.55, 0.57, 0.60)


@dataclass
class CharacterVideo:
    """What was rendered: the video, its camera (also saved as ``camera_path``)."""

    path: Path
    camera: Camera
    camera_path: Path
    n_frames: int


def camera_path_for(video):
    video = Path(video)
    return video.with_name(video.stem + ".camera.json")


def render_character_video(motion, audio, path, size=(1280, 720), engine="workbench",
                           avatar=None, progress=None, look=None, view=(0.0, 0.0),
                           background=BACKGROUND, light=0.0, scale=1.0, fov=FIELD_OF_VIEW):
    """Render ``motion`` performed by a dressed avatar to ``path`` (.mp4), ``audio`` muxed in.

    motion : Motion (its fps is the video's).
    audio : speech file for the sound track (None: a silent video).
    size : (width, height) pixels, even numbers.
    engine : "workbench" (fast), "eevee" or "cycles".
    avatar : rigged character file (None: the bundled CC0 avatar).
    progress(fraction) : called after every rendered frame.
    look : clothes, skin and hair (:func:`.character.dress`; None: the default person).
    view : (yaw, pitch) degrees: the camera moved round to the person's left, and raised
        above the level view looking down (negative: lowered, looking up).
    background : linear RGB of the world behind the person.
    light : degrees the studio light (Workbench) or the sun is turned about the vertical.
    scale : the person's size (1: the avatar's own 1.73 m).
    fov : the lens's vertical field of view in radians (a phone's main lens: about 55 degrees;
        the camera comes nearer to frame the person).
    """
    import bpy

    from ..exporters.animate import animate
    from ..exporters.preview import frame_camera, render_video
    from ..exporters.scene import add_sound, load_avatar
    from .character import dress

    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise BakeError(f"{path}: the character video is an .mp4")
    if engine not in ENGINES:
        raise BakeError(f"unknown render engine {engine!r}; choose one of {', '.join(ENGINES)}")
    width, height = (int(v) + int(v) % 2 for v in size)
    loaded = load_avatar(avatar)
    if scale != 1.0:
        loaded.armature.scale = [v * scale for v in loaded.armature.scale]
        bpy.context.view_layer.update()
    animation = animate(loaded, motion, name="performance")
    faces = dress(loaded, animation, motion, look)
    scene = bpy.context.scene
    if audio is not None:
        add_sound(scene, audio, animation.frame_start)
    _settings(scene, width, height, ENGINES[engine], audio is not None, background, light)
    # A scanned head stands above the avatar's own, which the framing reads; a face of parts
    # sits within it.
    camera = frame_camera(scene, loaded, animation, width / height,
                          yaw=math.radians(view[0]), pitch=math.radians(view[1]), fov=fov,
                          attached=faces if "scan" in (look or {}) else ())
    truth = Camera(width=width, height=height, focal=(height / 2) / math.tan(fov / 2),
                   world_from_camera=np.array(camera.matrix_world),
                   world_from_motion=_motion_placement(scene, loaded.armature, animation, motion),
                   fps=float(motion.fps))

    render_video(scene, path, animation, progress, "character video")
    cam_path = camera_path_for(path)
    truth.save(cam_path)
    log.info("rendered %s (%dx%d, %d frames, %s) and %s", path, width, height,
             animation.n_frames, engine, cam_path.name)
    return CharacterVideo(path=path, camera=truth, camera_path=cam_path,
                          n_frames=animation.n_frames)


def _settings(scene, width, height, engine, with_audio, background=BACKGROUND, light=0.0):
    render = scene.render
    render.engine = engine
    render.resolution_x, render.resolution_y = width, height
    render.resolution_percentage = 100
    render.use_file_extension = False
    if engine == "BLENDER_WORKBENCH":
        scene.display.render_aa = "OFF"
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "MATERIAL"
        shading.show_cavity = False
        shading.show_shadows = False
        shading.show_specular_highlight = False
        shading.studiolight_rotate_z = math.radians(light)
    elif engine == "CYCLES":
        scene.cycles.samples = 16
        scene.cycles.use_denoising = False
    world = scene.world or __import__("bpy").data.worlds.new("character video")
    world.color = background
    scene.world = world
    _lights(scene, background, light)
    from ..exporters.preview import mp4_output

    mp4_output(render, with_audio, quality="HIGH")


def _lights(scene, background=BACKGROUND, light=0.0):
    """A sun and a world colour, for the engines that light the scene (Eevee, Cycles)."""
    import bpy

    if any(obj.type == "LIGHT" for obj in scene.objects):
        return
    sun = bpy.data.lights.new("character video sun", "SUN")
    sun.energy = 3.0
    obj = bpy.data.objects.new("character video sun", sun)
    obj.rotation_euler = (math.radians(50), 0.0, math.radians(30 + light))
    scene.collection.objects.link(obj)
    if scene.world.use_nodes if hasattr(scene.world, "use_nodes") else False:
        node = scene.world.node_tree.nodes.get("Background")
        if node is not None:
            node.inputs["Color"].default_value = (*background, 1.0)


def _motion_placement(scene, arm, animation, motion, samples=12):
    """The similarity from the take's SMPL-X frame to the scene: the neutral skeleton's joints
    against the posed bones they drive, over sampled frames."""
    skeleton = neutral_skeleton()
    frames = np.unique(np.linspace(0, motion.n_frames - 1, samples).round().astype(int))
    joints = skeleton.forward_kinematics(motion.poses[frames], motion.trans[frames])[1]
    names = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
             "right_wrist", "left_knee", "right_knee", "left_ankle", "right_ankle", "neck")
    from ..motion.skeleton import JOINT_INDEX

    world = np.array(arm.matrix_world)
    src, dst = [], []
    current = scene.frame_current
    for k, frame in enumerate(frames):
        scene.frame_set(int(animation.frame_start + frame))
        for name in names:
            bone = animation.bone_map.bones.get(name)
            if bone is None or bone not in arm.pose.bones:
                continue
            head = world @ np.append(np.array(arm.pose.bones[bone].head), 1.0)
            src.append(joints[k, JOINT_INDEX[name]])
            dst.append(head[:3])
    scene.frame_set(current)
    if len(src) < 4:
        raise BakeError("cannot place the take in the scene: too few mapped bones")
    m, residual = similarity(np.array(src), np.array(dst))
    log.debug("take -> scene similarity: scale %.3f, residual %.3f m",
              np.cbrt(np.linalg.det(m[:3, :3])), residual)
    return m
