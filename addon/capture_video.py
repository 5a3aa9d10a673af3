"""Capture From Video: send a video of a speaker to the server and put the takes it fits
(SMPL-X npz + speech wav per usable shot) into a library folder.

The server does the work (landmarks and the fit need its Python packages); the upload, polling
and unpacking run in a background thread (addon/worker.py) and the panel follows the job's
stage and progress through the timer (addon/runtime.py). The library folder is what the
``matching`` backend's library option and ``talkrig train --data`` read.
"""

import logging
from pathlib import Path

import bpy

from ..motion.errors import TalkrigError
from ..motion.lens import check_lens
from . import runtime
from .reports import notify
from .server_jobs import ACTIVE, CAPTURE, draw_controls, state_items

log = logging.getLogger(__name__)

STATES = state_items("Capturing", {
    "IDLE": "Nothing captured yet",
    "UPLOADING": "Sending the video to the server",
    "QUEUED": "Waiting for the server's capture worker",
    "RUNNING": "The server is fitting the speaker's motion",
    "CANCELLING": "Waiting for the server to stop",
    "DONE": "The takes are in the library folder",
    "FAILED": "The capture failed; see the message",
    "CANCELLED": "The capture was cancelled",
})
VIDEO_TYPES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".mpg", ".mpeg", ".wmv")


class TalkrigCaptureVideo(bpy.types.PropertyGroup):
    """A scene's Capture From Video settings and the state of its last capture."""

    video: bpy.props.StringProperty(name="Video", subtype="FILE_PATH",
                                    description="A video of the speaker talking, with sound")
    library: bpy.props.StringProperty(name="Library", subtype="DIR_PATH",
                                      description="Folder the takes are written to (created); "
                                                  "use it as a matching library or to train")
    start: bpy.props.FloatProperty(name="Start", min=0.0, default=0.0, unit="TIME_ABSOLUTE",
                                   description="Seconds into the video where capture starts")
    end: bpy.props.FloatProperty(name="End", min=0.0, default=0.0, unit="TIME_ABSOLUTE",
                                 description="Seconds into the video where capture ends "
                                             "(0: the end of the video)")
    lens: bpy.props.FloatProperty(name="Lens", min=0.0, max=800.0, default=0.0, precision=0,
                                  subtype="DISTANCE_CAMERA", unit="CAMERA",
                                  description="The camera's focal length, 35 mm equivalent, as "
                                              "the phone states it (a main camera 24-28 mm); 0: "
                                              "read from the video, loosely")
    state: bpy.props.EnumProperty(name="State", items=STATES, default="IDLE")
    stage: bpy.props.StringProperty()
    progress: bpy.props.FloatProperty(min=0.0, max=1.0, subtype="FACTOR")
    status: bpy.props.StringProperty()
    error: bpy.props.StringProperty()
    job_id: bpy.props.StringProperty()

    @property
    def active(self):
        return self.state in ACTIVE


def check_inputs(capture):
    """(video Path, library Path, options) or ValueError with what to fix."""
    if not capture.video.strip():
        raise ValueError("choose the video to capture first")
    video = Path(bpy.path.abspath(capture.video))
    if not video.is_file():
        raise ValueError(f"video {video} does not exist")
    if video.suffix.lower() not in VIDEO_TYPES:
        raise ValueError(f"{video.name} does not look like a video (expected "
                         f"{', '.join(VIDEO_TYPES)})")
    if not capture.library.strip():
        raise ValueError("choose the library folder the takes go to")
    library = Path(bpy.path.abspath(capture.library))
    if library.exists() and not library.is_dir():
        raise ValueError(f"library {library} is a file, not a folder")
    if capture.end and capture.end <= capture.start:
        raise ValueError(f"End ({capture.end:g} s) must come after Start ({capture.start:g} s)")
    options = {"start": float(capture.start), "name": video.stem}
    if capture.end:
        options["end"] = float(capture.end)
    if capture.lens:
        try:
            options["lens"] = check_lens(capture.lens)
        except TalkrigError as exc:
            raise ValueError(str(exc)) from None
    return video, library, options


class TALKRIG_OT_capture_video(bpy.types.Operator):
    """Send a video of the speaker to the talkrig server and write the motion it captures
    (SMPL-X takes with their speech) into the library folder"""

    bl_idname = "talkrig.capture_video"
    bl_label = "Capture From Video"

    @classmethod
    def poll(cls, context):
        capture = context.scene.talkrig_capture
        if CAPTURE.running(context.scene):
            cls.poll_message_set("A video is being captured: wait for it, or press Cancel")
            return False
        if not capture.video.strip():
            cls.poll_message_set("Choose the video first")
            return False
        if not capture.library.strip():
            cls.poll_message_set("Choose the library folder for the takes first")
            return False
        return True

    def execute(self, context):
        from . import preferences
        from .worker import Task, capture_video_job

        scene = context.scene
        capture = scene.talkrig_capture
        try:
            video, library, options = check_inputs(capture)
        except ValueError as exc:
            CAPTURE.fail(capture, str(exc))
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        capture.state = "UPLOADING"
        capture.error = capture.stage = capture.job_id = ""
        capture.progress = 0.0
        capture.status = f"sending {video.name} ..."
        conn = preferences.connection(context)
        task = Task(capture_video_job(conn, video, options, library), f"talkrig capture {video.name}")
        CAPTURE.start(scene, task, on_event)
        runtime.show_progress(f"talkrig: capturing {video.name} ...")
        self.report({"INFO"}, f"capturing {video.name} into {library}")
        return {"FINISHED"}


class TALKRIG_OT_cancel_capture(bpy.types.Operator):
    """Stop capturing: the server job is cancelled and no takes are written"""

    bl_idname = "talkrig.cancel_capture"
    bl_label = "Cancel Capture"

    @classmethod
    def poll(cls, context):
        if not CAPTURE.running(context.scene):
            cls.poll_message_set("No video is being captured")
            return False
        return True

    def execute(self, context):
        CAPTURE.cancel(self, context.scene)
        return {"FINISHED"}


def on_event(scene_name, kind, payload):
    """Apply one event of a capture job to the scene (main thread)."""

    def done(scene, capture, payload):
        capture.state = "DONE"
        capture.progress = 1.0
        skipped = [s for s in payload["shots"] if s.get("skipped")]
        capture.status = (f"{len(payload['takes'])} take(s) in {payload['folder']}"
                          + (f"; {len(skipped)} shot(s) skipped" if skipped else ""))
        notify("INFO", f"talkrig: {capture.status}")

    CAPTURE.on_event(scene_name, kind, payload, done)


def draw(layout, context):
    """The Capture From Video controls, for the panel."""
    capture = context.scene.talkrig_capture
    col = layout.column()
    col.prop(capture, "video")
    col.prop(capture, "library")
    row = col.row(align=True)
    row.prop(capture, "start")
    row.prop(capture, "end")
    col.prop(capture, "lens")
    draw_controls(layout, CAPTURE.key(context.scene), capture, "talkrig.capture_video",
                  "talkrig.cancel_capture", "FILE_MOVIE")


classes = (TalkrigCaptureVideo, TALKRIG_OT_capture_video, TALKRIG_OT_cancel_capture)


def on_register():
    bpy.types.Scene.talkrig_capture = bpy.props.PointerProperty(type=TalkrigCaptureVideo)


def on_unregister():
    CAPTURE.cancel_all()
    del bpy.types.Scene.talkrig_capture
