"""Generate and Cancel: send the voice-over to the server, follow the job, bake the take.

Generate checks everything a person can fix before anything is sent (a server that answers,
Blender's online access, armature, bone map, audio, options), then hands the network work to a
background thread. The job's events come back through the timer (addon/runtime.py) into the
scene's job state; the finished take is saved as an npz file and, when "Bake When Done" is on,
baked in one undo step.

Scripts run it headless with ``bpy.ops.talkrig.generate(wait=True)``: the operator returns
when the take is ready (and baked), {'FINISHED'}, or reports the error (a RuntimeError in
background mode).
"""

import logging
import random
import re
from pathlib import Path

import bpy

from ..motion.errors import TalkrigError
from . import runtime, takes, words_ahead
from .request_options import face_options, keypose_option, read_transcript
from .reports import notify
from .server_jobs import GENERATE
from .server_state import set_server_state

log = logging.getLogger(__name__)


def prepare(context):
    """Everything a job needs, checked: (armature, its RigReading, AudioSource, options);
    TalkrigError if not."""
    from ..blender.scene import scene_fps
    from . import voiceover
    from .backend_options import current_backend, missing_required, options_payload
    from .properties import target_armature

    scene = context.scene
    settings = scene.talkrig
    obj = target_armature(context)
    if obj is None:
        raise TalkrigError("no armature: select the character's armature (or set the panel's "
                           "Armature field) before generating")
    reading = takes.rig_reading(scene, obj, settings)
    source = voiceover.resolve(settings, scene)
    backend = current_backend(settings)
    missing = missing_required(settings)
    if missing:
        raise TalkrigError(f"backend {backend!r} needs {', '.join(missing)}: set it in the "
                           "panel's backend options")
    # the take made at the scene's rate, as Live makes it: the face is made at the rate it is
    # keyed at (made at 30 and resampled, a bilabial closure was missed at 24 fps, more at 12)
    options = {"backend": backend, "seed": int(settings.seed), "fps": scene_fps(scene),
               "speech": settings.speech or "auto", "keyposes": keypose_option(settings),
               "language": settings.language.strip() or "auto",
               "backend_options": options_payload(settings), **face_options(scene)}
    transcript = read_transcript(settings)
    if transcript:
        options["transcript"] = transcript
    else:  # a line trimmed out of a long recording: its own time, not the recording's
        source = voiceover.heard_only(source)
    return obj, reading, voiceover.uploadable(source), options  # last: it may write a converted copy


class TALKRIG_OT_generate(bpy.types.Operator):
    """Send the voice-over to the talkrig server and put the gestures it makes on the rig"""

    bl_idname = "talkrig.generate"
    bl_label = "Generate"

    wait: bpy.props.BoolProperty(
        name="Wait", options={"SKIP_SAVE"},
        description="Return only when the take is ready (and baked, with Bake When Done): for "
                    "scripts and headless Blender; the interface does not respond meanwhile")
    timeout: bpy.props.FloatProperty(
        name="Timeout", min=0.0, default=0.0, options={"SKIP_SAVE"}, unit="TIME_ABSOLUTE",
        description="With Wait: seconds after which the job is cancelled (0: no limit)")

    @classmethod
    def poll(cls, context):
        from .properties import target_armature

        settings = context.scene.talkrig
        if GENERATE.running(context.scene):
            cls.poll_message_set("A take is being generated: wait for it, or press Cancel")
            return False
        if settings.audio_source == "FILE" and not settings.audio_file.strip():
            cls.poll_message_set("Choose the voice-over file first")
            return False
        if settings.audio_source == "STRIP" and not settings.sound_strip:
            cls.poll_message_set("Choose the sound strip with the voice-over first")
            return False
        if target_armature(context) is None:
            cls.poll_message_set("Select the character's armature, or set the panel's Armature field")
            return False
        return True

    def execute(self, context):
        from . import preferences
        from .worker import Task, generate_job, preflight

        scene = context.scene
        settings = scene.talkrig
        job = settings.job
        conn = preferences.connection(context)
        problem = preflight(conn)  # before prepare(), which may write a converted copy
        if problem is not None:
            kind, message = problem
            GENERATE.fail(job, message, kind)
            set_server_state(kind, message)
            self.report({"ERROR"}, message)
            return {"CANCELLED"}
        try:
            obj, reading, source, options = prepare(context)
        except TalkrigError as exc:
            GENERATE.fail(job, str(exc), "input")
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        take = _take_fields(source, settings, obj)
        words_ahead.taken()
        _reset(job, take)
        filename = source.name + Path(source.path).suffix  # a converted copy keeps the name
        task = Task(generate_job(conn, source.path, options, filename=filename,
                                 temporary=source.temporary, then=takes.retarget_ahead(reading, source.heard)),
                    f"talkrig job {source.name}")
        GENERATE.start(scene, task, lambda name, kind, payload: on_job_event(name, kind, payload, take))
        job.status = f"uploading {source.name}..."
        runtime.show_progress(f"talkrig: {job.status}")
        if self.wait:
            return self._wait_for(scene.name)
        self.report({"INFO"}, f"generating gestures for {source.name} (seed {settings.seed})")
        return {"FINISHED"}

    def _wait_for(self, scene_name):
        """Apply the job's events here until it has ended (Ctrl+C or the timeout cancel it)."""
        why = GENERATE.wait(scene_name, self.timeout, waiting_for="take")
        scene = bpy.data.scenes.get(scene_name)
        job = scene.talkrig.job if scene is not None else None
        if job is not None and job.state == "DONE":
            if job.action:  # baked here, nested in this operator: Blender pushed no undo step for it
                bpy.ops.ed.undo_push(message=f"Bake talkrig take {job.action}")
            self.report({"INFO"}, f"talkrig: {job.status}")
            return {"FINISHED"}
        state = job.state.lower() if job is not None else "lost"
        message = (job.error if job is not None and job.error else
                   f"{why}; the job was {state}" if why else f"the job was {state}")
        self.report({"ERROR"}, message)
        return {"CANCELLED"}


def _take_fields(source, settings, obj):
    """What the bake needs to know about the take, kept outside Blender's data too: an undo
    while the job runs rolls the job's properties back, and they are set again from this."""
    return {"audio_path": source.original, "audio_name": source.name,
            "audio_from_strip": source.from_strip, "seed": settings.seed,
            "frame_start": (source.heard[2] if source.heard else source.frame_start) if source.from_strip
            else settings.frame_start,
            "armature": obj.name}


def _reset(job, take):
    job.state = "UPLOADING"
    job.stage = job.error = job.error_kind = job.job_id = job.action = job.result_file = ""
    job.notice = ""
    job.progress = 0.0
    job.words = 0
    for key, value in take.items():
        setattr(job, key, value)


def on_job_event(scene_name, kind, payload, take=None):
    """Apply one event of a generation job to the scene (main thread).

    take : the job's fields from :func:`_take_fields` (restored before baking).
    """
    if kind == "submitted" and take is not None:
        take["job_id"] = payload

    def done(scene, job, payload):
        for key, value in (take or {}).items():
            setattr(job, key, value)
        _finish(scene, job, *payload)

    GENERATE.on_event(scene_name, kind, payload, done)


def _finish(scene, job, output, ahead=None):
    """Save the take (and keep it retargeted: ``ahead``); bake it when the scene asks for it."""
    safe = re.sub(r"[^\w.-]+", "_", job.audio_name)[:60] or "take"
    path = takes.takes_dir() / f"{safe}-seed{job.seed}-{job.job_id[:8] or 'local'}.npz"
    output.save(path)
    takes.keep_ahead(path, ahead)
    takes.prune_takes(path.parent)
    job.result_file = str(path)
    job.words = len(output.words)
    job.progress = 1.0
    job.state = "DONE"
    job.status = f"take ready: {output.info.get('n_frames', '?')} frames, {job.words} words"
    notices = [str(n) for n in output.info.get("notices") or []]  # e.g. no words kept, and why
    job.notice = "; ".join(notices)
    for notice in notices:
        notify("WARNING", notice)
    if scene.talkrig.auto_bake:
        job.state = "BAKING"
        job.status = "baking..."
        name = scene.name
        runtime.later(GENERATE.key(scene), lambda: _bake_take(name))


def _bake_take(scene_name):
    """The bake that follows a finished job (on the tick after "baking..." was shown); on a rig
    keyed through its controls, once its legs are solved (see :func:`_legs_pending`)."""
    scene = bpy.data.scenes.get(scene_name)
    if scene is None:
        _legs.pop(scene_name, None)
        return
    job = scene.talkrig.job
    if job.state == "BAKING":
        if _legs_pending(scene, job):
            runtime.later(GENERATE.key(scene), lambda: _bake_take(scene_name))
            return
        job.state = "DONE"
        bake_now(scene, job)
    runtime.show_progress(None)
    runtime.redraw()


_legs = {}  # scene name -> the thread solving its take's legs from the hips measured


def _legs_pending(scene, job):
    """True while the take's legs are solved in a thread from the hips the rig's controls put
    where they are (measured here on the first call: a tick of its own before the keys')."""
    thread = _legs.get(scene.name)
    if thread is None:
        thread = takes.solve_legs_ahead(scene, bpy.data.objects.get(job.armature), job.result_file)
        if thread is None:
            return False
        _legs[scene.name] = thread
    if thread.is_alive():
        return True
    del _legs[scene.name]
    return False


def bake_now(scene, job):
    """Run the Bake operator for the job's armature as its own undo step."""
    window = next((w for w in bpy.context.window_manager.windows if w.scene == scene), None)
    window = window or next(iter(bpy.context.window_manager.windows), None)
    override = {"scene": scene}
    if window is not None:
        override.update(window=window, screen=window.screen)
    try:
        with bpy.context.temp_override(**override):
            result = bpy.ops.talkrig.bake("EXEC_DEFAULT", True, armature=job.armature)
    except RuntimeError as exc:  # an ERROR report raises when there is no UI to show it
        result = {"CANCELLED"}
        if not job.error:
            job.error, job.error_kind = str(exc).removeprefix("Error: ").strip(), "bake"
    if "FINISHED" not in result:
        job.status = "take ready, but not baked"


class TALKRIG_OT_cancel(bpy.types.Operator):
    """Stop generating: the server job is cancelled and nothing is baked"""

    bl_idname = "talkrig.cancel"
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context):
        if not GENERATE.running(context.scene):
            cls.poll_message_set("Nothing is being generated")
            return False
        return True

    def execute(self, context):
        GENERATE.cancel(self, context.scene)
        return {"FINISHED"}


class TALKRIG_OT_new_variation(bpy.types.Operator):
    """Pick a new random seed: the next Generate makes a different take of the same speech"""

    bl_idname = "talkrig.new_variation"
    bl_label = "New Variation"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        settings = context.scene.talkrig
        old = settings.seed
        while settings.seed == old:
            settings.seed = random.randint(0, 99999)
        return {"FINISHED"}


classes = (TALKRIG_OT_generate, TALKRIG_OT_cancel, TALKRIG_OT_new_variation)


def on_register():
    bpy.app.handlers.load_pre.append(_cancel_jobs)
    bpy.app.handlers.load_post.append(_forget_stale_jobs)


def on_unregister():
    for handlers, handler in ((bpy.app.handlers.load_pre, _cancel_jobs),
                              (bpy.app.handlers.load_post, _forget_stale_jobs)):
        if handler in handlers:
            handlers.remove(handler)
    runtime.stop_all()
    runtime.show_progress(None)


@bpy.app.handlers.persistent
def _cancel_jobs(*_args):
    """Another file is being opened: the running jobs' scenes go away, so stop the jobs."""
    for scene in bpy.data.scenes:
        if runtime.cancel(GENERATE.key(scene)):
            runtime.forget(GENERATE.key(scene))
    runtime.show_progress(None)


@bpy.app.handlers.persistent
def _forget_stale_jobs(*_args):
    """A file saved mid-job shows no job running when opened again."""
    for scene in bpy.data.scenes:
        job = scene.talkrig.job
        if job.active and not GENERATE.running(scene):
            job.state = "IDLE"
            job.status = ""
