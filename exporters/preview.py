"""A quick look at a bake: a Workbench render of the avatar speaking, with the speech muxed in.

Blender renders the frames and encodes them itself (H.264 in an MP4 with AAC audio from the
scene's sound strip), so no ffmpeg program is needed. The camera is placed automatically: in
front of the character (its facing comes from the retarget's axes), far enough back that the
whole body fits in every sampled frame of the take.

Without a size asked for, the frame is DEFAULT_HEIGHT pixels tall and as wide as the body needs
over the take: Workbench renders headless on the CPU at a near-constant cost per pixel (75 ns at
854x480 on a 2-core machine; 3 ms per frame besides), so the empty sides of a 16:9 frame were
most of a preview's wait. The Standard view transform skips the filmic curve's per-pixel work.
On two cores, two Blender processes render the earlier and the later frames at once
(:mod:`.split_render`): one process keeps only about 1.6 of them busy.
"""

import logging
import math
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Vector

from .atomic import atomic_path
from .console import quiet
from .errors import BakeError

log = logging.getLogger(__name__)

DEFAULT_HEIGHT = 480  # pixels, when no size is asked for
ASPECTS = (0.5, 16.0 / 9.0)  # the narrowest and widest frame a body-framed preview gets
FIELD_OF_VIEW = math.radians(30.0)  # vertical
MARGIN = 1.08  # room around the body
SAMPLED_FRAMES = 24
BACKGROUND = (0.62, 0.64, 0.67)


def render_preview(avatar, animation, path, size=None, with_audio=True, progress=None,
                   processes=2):
    """Render the take to ``path`` (.mp4); audio comes from the scene's sound strips.

    size : (width, height) in pixels (even numbers, as H.264 needs); None: DEFAULT_HEIGHT tall
        and as wide as the body needs (see the module's note).
    progress(fraction) : called after every rendered frame.
    processes : 2 (where it pays, see :func:`render_video`) or 1 Blender process rendering.
    """
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise BakeError(f"{path}: the preview is an .mp4 video")
    scene = bpy.context.scene
    points = _body_points(scene, avatar, animation)
    if size is None:
        right, up, _ = _view_axes(avatar, animation)
        aspect = float(np.clip(np.ptp(points @ right) / max(np.ptp(points @ up), 1e-6), *ASPECTS))
        size = (round(DEFAULT_HEIGHT * aspect), DEFAULT_HEIGHT)
    width, height = (int(v) + int(v) % 2 for v in size)
    _render_settings(scene, width, height, with_audio)
    frame_camera(scene, avatar, animation, width / height, points=points)
    total = animation.n_frames
    render_video(scene, path, animation, progress, "preview", processes)
    log.info("wrote preview %s (%dx%d, %d frames)", path, width, height, total)
    return path


def render_video(scene, path, animation, progress=None, label="video", processes=1):
    """Render the scene's frame range to ``path`` (written atomically), calling
    progress(fraction) after every frame; a failed render is a BakeError naming the file.

    processes : 2 renders the earlier and later frames in two Blender processes at once where
        that pays (:mod:`.split_render`), 1 in this process alone.
    """
    from .split_render import can_split, render_in_two

    shown = [0]

    def on_frames(done):  # never back: a failed second process's frames are rendered again
        shown[0] = max(shown[0], done)
        if progress is not None:
            progress(min(1.0, shown[0] / animation.n_frames))

    def render_range(target, on_done):
        _render_range(scene, target, on_done, path, label)

    with atomic_path(path) as temp:
        # absolute: Blender writes a bare relative name (no folder) nowhere it can be found
        temp = Path(temp).absolute()
        if processes > 1 and can_split(scene):
            render_in_two(scene, temp, on_frames, render_range)
        else:
            render_range(temp, on_frames)


def _render_range(scene, target, on_done, path, label):
    """The scene's frame range rendered into ``target`` here, on_done(frames done) after each
    frame; a failed render is a BakeError naming ``path`` (the file the user asked for)."""
    start = scene.frame_start

    def frame_done(scene, *_):
        on_done(scene.frame_current - start + 1)

    bpy.app.handlers.render_write.append(frame_done)
    try:
        scene.render.filepath = str(target)
        with quiet(f"{label} render"):
            bpy.ops.render.render(animation=True)
    except RuntimeError as exc:
        raise BakeError(f"{path}: the {label} render failed: {str(exc).strip()}") from None
    finally:
        bpy.app.handlers.render_write.remove(frame_done)


def _render_settings(scene, width, height, with_audio):
    render = scene.render
    render.engine = "BLENDER_WORKBENCH"
    render.resolution_x, render.resolution_y = width, height
    render.resolution_percentage = 100
    render.use_file_extension = False
    scene.display.render_aa = "OFF"  # several times faster; the shading stays smooth
    scene.view_settings.view_transform = "Standard"  # no filmic curve to work out per pixel
    scene.render.dither_intensity = 0.0  # its noise is finer than H.264 keeps: 40 % of the bits
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "SINGLE"
    shading.single_color = (0.8, 0.75, 0.7)
    shading.show_cavity = False
    shading.show_shadows = False
    world = bpy.data.worlds.new("talkrig preview")
    world.color = BACKGROUND
    scene.world = world
    mp4_output(render, with_audio)


def mp4_output(render, with_audio, quality="MEDIUM"):
    """Render settings for an MP4: H.264 (a key frame a second) and mono AAC from the scene's
    sound strips."""
    settings = render.image_settings
    settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    ffmpeg = render.ffmpeg
    ffmpeg.format = "MPEG4"
    ffmpeg.codec = "H264"
    ffmpeg.constant_rate_factor = quality
    ffmpeg.ffmpeg_preset = "REALTIME"
    ffmpeg.gopsize = max(1, int(round(render.fps / render.fps_base)))
    ffmpeg.audio_codec = "AAC" if with_audio else "NONE"
    ffmpeg.audio_channels = "MONO"
    ffmpeg.audio_mixrate = 48000
    ffmpeg.audio_bitrate = 128


def frame_camera(scene, avatar, animation, aspect, side=False, yaw=0.0, pitch=0.0, points=None,
                 fov=FIELD_OF_VIEW, attached=()):
    """Add a camera that sees the whole avatar over the whole take, from the front (or, with
    ``side``, from the avatar's left, where lean and knees show).

    yaw : radians the camera is moved round the avatar towards its left (from the front or
        the side). pitch : radians it is raised above the level view, looking down (negative:
        lowered, looking up). points : the body's points (:func:`_body_points`) when already read.
    fov : the lens's vertical field of view in radians (a wider one comes nearer).
    attached : objects moving with the bones beside the avatar's meshes (a head put in place of
        the mesh's own) that the camera must also see.
    """
    right, up, facing = _view_axes(avatar, animation, side, yaw, pitch)
    if points is None:
        points = _body_points(scene, avatar, animation, attached)
    x, y, z = points @ right, points @ up, points @ facing
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    tan_v = math.tan(fov / 2) / MARGIN
    tan_h = math.tan(fov / 2) * aspect / MARGIN
    depth = float(np.max(z + np.maximum(np.abs(x - cx) / tan_h, np.abs(y - cy) / tan_v)))
    location = right * cx + up * cy + facing * depth
    data = bpy.data.cameras.new("talkrig preview")
    data.sensor_fit = "VERTICAL"
    data.angle = fov
    data.clip_end = max(100.0, depth * 4)
    camera = bpy.data.objects.new("talkrig preview", data)
    scene.collection.objects.link(camera)
    camera.matrix_world = Matrix.LocRotScale(
        Vector(location), Matrix(np.column_stack([right, up, facing]).tolist()).to_quaternion(),
        None)
    scene.camera = camera
    return camera


def _view_axes(avatar, animation, side=False, yaw=0.0, pitch=0.0):
    """(right, up, facing) world unit vectors of a camera looking at the avatar from the front
    (or its left), moved round by ``yaw`` and raised by ``pitch`` (see :func:`frame_camera`)."""
    basis = np.array(avatar.armature.matrix_world.to_3x3().normalized())
    C = animation.plan.frame  # SMPL-X axes (x left, y up, z forward) -> armature axes
    up = _unit(basis @ C[:, 1])
    facing = basis @ C[:, 0 if side else 2]
    facing = _unit(facing - up * (facing @ up))
    left = np.cross(up, facing)
    facing = math.cos(yaw) * facing + math.sin(yaw) * left
    facing, up = (math.cos(pitch) * facing + math.sin(pitch) * up,
                  math.cos(pitch) * up - math.sin(pitch) * facing)
    return np.cross(-facing, up), up, facing


def _body_points(scene, avatar, animation, attached=()):
    """(N, 3) world points the camera must see: posed bone ends at sampled frames, the meshes'
    rest bounding boxes and the ``attached`` objects' bounding boxes where they are carried at
    those frames."""
    arm = avatar.armature
    frames = np.unique(np.linspace(animation.frame_start, animation.frame_end,
                                   SAMPLED_FRAMES).round().astype(int))
    current = scene.frame_current
    world = np.array(arm.matrix_world)
    points, carried = [], []
    for frame in frames:
        scene.frame_set(int(frame))
        for bone in arm.pose.bones:
            points.append(tuple(bone.head))
            points.append(tuple(bone.tail))
        carried += [tuple(obj.matrix_world @ Vector(corner)) for obj in attached
                    for corner in obj.bound_box]
    scene.frame_set(current)
    points = np.array(points)
    points = points @ world[:3, :3].T + world[:3, 3]
    if carried:
        points = np.concatenate([points, np.array(carried)])
    boxes = [np.array([tuple(obj.matrix_world @ Vector(corner)) for corner in obj.bound_box])
             for obj in avatar.meshes if obj.type == "MESH"]
    return np.concatenate([points] + boxes) if boxes else points


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v)
    if n < 1e-9:
        raise BakeError("cannot place the preview camera: the avatar has no clear up direction")
    return v / n
