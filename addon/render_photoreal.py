"""Render Photoreal: send the active take, seen through the scene camera, to the server's
renderer and put the video it makes into the sequencer beside the take's sound.

The take is the last generated one (``scene.talkrig.job``: its npz file, the armature it was
baked onto, its start frame and audio). The scene camera becomes a camera description
(``motion.camera.Camera`` as JSON): its pose and focal length in pixels at the render size,
and where the take's SMPL-X frame sits in the scene, fitted from the baked armature's posed
bones against the take's joints (any rig, any scale, wherever the armature stands). The
server draws the skeleton pass through that camera and renders it with the chosen renderer
(a trained renderer's folder, or the built-in ``skeleton`` renderer that shows the labels).
The upload, polling and download run in a background thread (addon/worker.py).

Scripts run it headless with ``bpy.ops.talkrig.render_photoreal(wait=True)``.
"""

import logging
from pathlib import Path

import bpy
import numpy as np

from ..motion.errors import TalkrigError
from . import runtime
from .reports import notify
from .server_jobs import ACTIVE, RENDER, draw_controls, state_items
from .ui import wrapped

log = logging.getLogger(__name__)

STATES = state_items("Rendering", {
    "IDLE": "Nothing rendered yet",
    "UPLOADING": "Sending the take to the server",
    "QUEUED": "Waiting for the server's render worker",
    "RUNNING": "The server is rendering the take",
    "CANCELLING": "Waiting for the server to stop",
    "DONE": "The video is in the sequencer",
    "FAILED": "The render failed; see the message",
    "CANCELLED": "The render was cancelled",
})
PLACEMENT_JOINTS = ("pelvis", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow",
                    "right_elbow", "left_wrist", "right_wrist", "left_knee", "right_knee",
                    "left_ankle", "right_ankle")
PLACEMENT_SAMPLES = 12  # frames of the take the placement is fitted on


def renderer_option(text):
    """The ``renderer`` sent for the Renderer field: "skeleton" when it is empty; a folder inside
    this machine's talkrig data folder as its path in there (the server confines renderer
    folders to its data folder); a relative path as typed (one inside a remote server's data
    folder). TalkrigError for a folder elsewhere on this machine, before anything is sent."""
    from ..userdirs import data_dir

    text = text.strip()
    if not text:
        return "skeleton"
    path = Path(bpy.path.abspath(text))
    if not path.is_absolute():
        return path.as_posix()
    root = data_dir().resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise TalkrigError(f"the renderer folder {path} is outside the server's data folder; the "
                           f"server takes renderers from there only: copy the folder into {root}") from None


class TalkrigRenderPhotoreal(bpy.types.PropertyGroup):
    """A scene's Render Photoreal settings and the state of its last render."""

    renderer: bpy.props.StringProperty(
        name="Renderer", subtype="DIR_PATH",
        description="Folder of a renderer trained with `talkrig train-renderer`, inside the "
                    "server's data folder (the server takes renderers from there only); for a "
                    "server on another machine, its path inside that folder. Empty: the skeleton "
                    "pass itself, no model needed")
    output: bpy.props.StringProperty(
        name="Video", subtype="FILE_PATH",
        description="Where the rendered video is saved (.mp4); empty: beside the take")
    state: bpy.props.EnumProperty(name="State", items=STATES, default="IDLE")
    stage: bpy.props.StringProperty()
    progress: bpy.props.FloatProperty(min=0.0, max=1.0, subtype="FACTOR")
    status: bpy.props.StringProperty()
    error: bpy.props.StringProperty()
    job_id: bpy.props.StringProperty()
    strip: bpy.props.StringProperty(description="The movie strip of the last render")

    @property
    def active(self):
        return self.state in ACTIVE


def scene_camera(scene, size=None):
    """The scene camera as a camera description dict (no world_from_motion yet).

    size : (width, height) of the render (default: the scene's output size).
    TalkrigError for a missing, orthographic or shifted camera.
    """
    obj = scene.camera
    if obj is None or obj.type != "CAMERA":
        raise TalkrigError("the scene has no camera: add one and make it the scene camera "
                           "(Ctrl+Numpad 0) to frame the character")
    data = obj.data
    if data.type != "PERSP":
        raise TalkrigError(f"camera {obj.name} is {data.type.lower()}: the renderer needs a "
                           "perspective camera")
    if abs(data.shift_x) > 1e-6 or abs(data.shift_y) > 1e-6:
        raise TalkrigError(f"camera {obj.name} has a lens shift: set Shift X/Y to 0")
    render = scene.render
    if size is None:
        scale = render.resolution_percentage / 100
        size = (int(render.resolution_x * scale), int(render.resolution_y * scale))
    width, height = (v - v % 2 for v in size)
    aspect_x, aspect_y = render.pixel_aspect_x, render.pixel_aspect_y
    if data.sensor_fit == "AUTO":
        horizontal, sensor = width * aspect_x >= height * aspect_y, data.sensor_width
    elif data.sensor_fit == "HORIZONTAL":
        horizontal, sensor = True, data.sensor_width
    else:
        horizontal, sensor = False, data.sensor_height
    focal = data.lens / sensor * (width if horizontal else height)
    location, rotation, _ = obj.matrix_world.decompose()  # no scale: a camera's is meaningless
    pose = np.eye(4)
    pose[:3, :3] = np.array(rotation.to_matrix())
    pose[:3, 3] = np.array(location)
    return {"width": width, "height": height, "focal": float(focal),
            "fps": scene.render.fps / scene.render.fps_base,
            "world_from_camera": pose.tolist()}


def take_placement(scene, arm, motion, frame_start):
    """(4, 4) similarity from the take's SMPL-X frame to the scene, and its RMS residual in
    metres: the take's joints against the posed bones they drive on ``arm``, over sampled
    frames of the baked take (the scene's frame is restored)."""
    from ..blender.rig_io import read_rig
    from ..motion.camera import similarity
    from ..motion.skeleton import JOINT_INDEX, neutral_skeleton
    from .mapping import current_map

    bone_map = current_map(arm, read_rig(arm))
    fps = scene.render.fps / scene.render.fps_base
    frames = np.unique(np.linspace(0, motion.n_frames - 1, PLACEMENT_SAMPLES).round().astype(int))
    joints = neutral_skeleton().forward_kinematics(motion.poses[frames], motion.trans[frames])[1]
    src, dst = [], []
    current = scene.frame_current
    try:
        for k, frame in enumerate(frames):
            scene.frame_set(int(round(frame_start + frame / motion.fps * fps)))
            world = np.array(arm.matrix_world)
            for name in PLACEMENT_JOINTS:
                bone = arm.pose.bones.get(bone_map.bones.get(name, ""))
                if bone is None:
                    continue
                src.append(joints[k, JOINT_INDEX[name]])
                dst.append((world @ np.append(np.array(bone.head), 1.0))[:3])
    finally:
        scene.frame_set(current)
    if len(src) < 4:
        raise TalkrigError(f"cannot place the take in the scene: {arm.name} has too few mapped "
                           "bones (map the shoulders, elbows and wrists)")
    return similarity(np.array(src), np.array(dst))


def prepare(context):
    """(npz path, audio path or None, options, output path) of the render, checked."""
    from ..motion import load_motion

    scene = context.scene
    job = scene.talkrig.job
    settings = scene.talkrig_render
    if not job.result_file or not Path(job.result_file).is_file():
        raise TalkrigError("no take to render: generate one first (its file is gone)"
                           if job.result_file else "no take to render: generate one first")
    arm = bpy.data.objects.get(job.armature)
    if arm is None or arm.type != "ARMATURE":
        raise TalkrigError(f"the take's armature {job.armature!r} is not in the file any more")
    if not job.action or job.action not in bpy.data.actions:
        raise TalkrigError(f"bake the take onto {arm.name} first (Bake): the render follows "
                           "the baked animation to find the character in the camera's view")
    camera = scene_camera(scene)
    motion = load_motion(job.result_file)
    placement, residual = take_placement(scene, arm, motion, job.frame_start)
    log.info("take placed in the scene: residual %.3f m", residual)
    camera["world_from_motion"] = placement.tolist()
    options = {"renderer": renderer_option(settings.renderer), "camera": camera, "fps": camera["fps"]}
    if settings.output.strip():
        out = Path(bpy.path.abspath(settings.output))
        if out.suffix.lower() != ".mp4":
            raise TalkrigError(f"the video {out.name} must be an .mp4 file")
    else:
        out = Path(job.result_file).with_name(Path(job.result_file).stem + "-render.mp4")
    audio = job.audio_path if job.audio_path and Path(job.audio_path).is_file() else None
    return job.result_file, audio, options, out


class TALKRIG_OT_render_photoreal(bpy.types.Operator):
    """Render the generated take through the scene camera on the talkrig server and put the
    video into the sequencer beside its sound"""

    bl_idname = "talkrig.render_photoreal"
    bl_label = "Render Photoreal"

    wait: bpy.props.BoolProperty(
        name="Wait", options={"SKIP_SAVE"},
        description="Return only when the video is in the sequencer: for scripts and headless "
                    "Blender")

    @classmethod
    def poll(cls, context):
        if RENDER.running(context.scene):
            cls.poll_message_set("A take is being rendered: wait for it, or press Cancel")
            return False
        if not context.scene.talkrig.job.result_file:
            cls.poll_message_set("Generate a take first")
            return False
        return True

    def execute(self, context):
        from . import preferences
        from .worker import Task, render_job

        scene = context.scene
        settings = scene.talkrig_render
        try:
            motion, audio, options, out = prepare(context)
        except TalkrigError as exc:
            RENDER.fail(settings, str(exc))
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        settings.state = "UPLOADING"
        settings.error = settings.stage = settings.job_id = ""
        settings.progress = 0.0
        settings.status = "sending the take ..."
        conn = preferences.connection(context)
        task = Task(render_job(conn, motion, options, out, audio=audio), "talkrig render")
        RENDER.start(scene, task, on_event)
        runtime.show_progress("talkrig: rendering ...")
        if self.wait:
            return self._wait_for(scene.name)
        self.report({"INFO"}, f"rendering the take into {out}")
        return {"FINISHED"}

    def _wait_for(self, scene_name):
        RENDER.wait(scene_name)
        settings = bpy.data.scenes[scene_name].talkrig_render
        if settings.state == "DONE":
            self.report({"INFO"}, f"talkrig: {settings.status}")
            return {"FINISHED"}
        self.report({"ERROR"}, settings.error or f"the render was {settings.state.lower()}")
        return {"CANCELLED"}


class TALKRIG_OT_cancel_render(bpy.types.Operator):
    """Stop rendering: the server job is cancelled and no video is written"""

    bl_idname = "talkrig.cancel_render"
    bl_label = "Cancel Render"

    @classmethod
    def poll(cls, context):
        if not RENDER.running(context.scene):
            cls.poll_message_set("No take is being rendered")
            return False
        return True

    def execute(self, context):
        RENDER.cancel(self, context.scene)
        return {"FINISHED"}


def add_movie_strip(scene, path, frame_start, sound_path=""):
    """A movie strip of ``path`` from ``frame_start``, on the channel above the take's sound
    strip (or above everything); an earlier strip of the same video is replaced."""
    sed = scene.sequence_editor_create()
    name = Path(path).stem
    old = sed.strips_all.get(name)
    if old is not None:
        sed.strips.remove(old)
    channel = 1 + max((s.channel for s in sed.strips_all), default=0)
    if sound_path:
        wanted = Path(sound_path).resolve()
        for strip in sed.strips_all:
            if strip.type == "SOUND" and strip.sound is not None and \
                    Path(bpy.path.abspath(strip.sound.filepath)).resolve() == wanted:
                free = {s.channel for s in sed.strips_all}
                channel = next(c for c in range(strip.channel + 1, 130) if c not in free)
                break
    strip = sed.strips.new_movie(name, str(path), channel=min(channel, 128),
                                 frame_start=int(frame_start))
    return strip.name


def on_event(scene_name, kind, payload):
    """Apply one event of a render job to the scene (main thread)."""

    def done(scene, settings, payload):
        job = scene.talkrig.job
        try:
            settings.strip = add_movie_strip(scene, payload["path"], job.frame_start,
                                             job.audio_path)
        except (RuntimeError, OSError) as exc:
            RENDER.fail(settings, f"the video was saved as {payload['path']} but could not be put "
                            f"in the sequencer: {exc}")
            notify("ERROR", settings.error)
            return
        settings.state = "DONE"
        settings.progress = 1.0
        settings.status = (f"{payload['n_frames']} frames by {payload['renderer']} in "
                           f"{payload['path']}, strip {settings.strip!r}")
        notify("INFO", f"talkrig: {settings.status}")

    RENDER.on_event(scene_name, kind, payload, done)


def draw(layout, context):
    """The Render Photoreal controls, for the panel."""
    settings = context.scene.talkrig_render
    col = layout.column()
    col.prop(settings, "renderer")
    col.prop(settings, "output")
    if context.scene.camera is None:
        wrapped(layout, "Add a scene camera to frame the character", icon="INFO")
    draw_controls(layout, RENDER.key(context.scene), settings, "talkrig.render_photoreal",
                  "talkrig.cancel_render", "RENDER_ANIMATION")


classes = (TalkrigRenderPhotoreal, TALKRIG_OT_render_photoreal, TALKRIG_OT_cancel_render)


def on_register():
    bpy.types.Scene.talkrig_render = bpy.props.PointerProperty(type=TalkrigRenderPhotoreal)


def on_unregister():
    RENDER.cancel_all()
    del bpy.types.Scene.talkrig_render
