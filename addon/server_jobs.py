"""Background server jobs (generate, capture from video, render photoreal): one set of rules for
every kind of job, and the three kinds.

A kind of job (:class:`JobKind`) keeps its state in a scene property group with ``state`` (the
STATES below, plus a kind's own), ``stage``, ``progress``, ``status``, ``error``, ``job_id`` and
``active``; runs one job per scene under the runtime key ``"<kind>:<scene name>"``; is cancelled
the same way; applies the worker's events (addon/worker.py: "server", "submitted", "status",
"done", "cancelled", "error", "finished") by the same rules; and has one wait loop for scripts
(``wait=True``). The kinds differ only in their words and in what "done" does.
"""

import time

import bpy

from . import runtime
from .reports import notify
from .server_state import remember_server, set_server_state
from .ui import alert_box, wrapped

# The states every job has, in the order of the EnumProperty items (a saved file keeps the index).
STATES = ("IDLE", "UPLOADING", "QUEUED", "RUNNING", "CANCELLING", "DONE", "FAILED", "CANCELLED")
ACTIVE = {"UPLOADING", "QUEUED", "RUNNING", "CANCELLING"}
LABELS = {"IDLE": "Idle", "UPLOADING": "Uploading", "QUEUED": "Queued", "CANCELLING": "Cancelling",
          "DONE": "Done", "FAILED": "Failed", "CANCELLED": "Cancelled"}
SERVER_PROBLEMS = ("down", "auth", "not_talkrig", "timeout")  # errors that say the server is gone
WAIT_INTERVAL = 0.05  # seconds between event drains of wait()
STAGE_NAMES = {"decode": "reading the audio", "features": "listening to the voice",
               "words": "recognising words", "generate": "generating motion",
               "keyposes": "placing key poses", "postprocess": "finishing the motion"}


def state_items(running, descriptions, extra=()):
    """EnumProperty items of a kind's state: the STATES, ``running`` the label of RUNNING
    ("Rendering"), ``descriptions`` {state: tooltip}; extra: (index, item) states of this kind
    only, inserted at ``index``."""
    items = [(state, LABELS.get(state, running), descriptions[state]) for state in STATES]
    for index, item in extra:
        items.insert(index, item)
    return tuple(items)


class JobKind:
    """One kind of server job.

    prefix : the runtime key's prefix ("render"). settings : scene -> its property group.
    noun : what a cancel report calls it ("render"). doing : the running status ("rendering").
    """

    error_kinds = False  # the property group has ``error_kind`` (what kind of error it was)
    queued_text = "queued on the server"  # status once the server has the job

    def __init__(self, prefix, settings, noun, doing):
        self.prefix, self.settings, self.noun, self.doing = prefix, settings, noun, doing

    # --- running one ---------------------------------------------------------------------
    def key(self, scene):
        """The runtime key of ``scene``'s job (a scene or its name)."""
        return f"{self.prefix}:{getattr(scene, 'name', scene)}"

    def running(self, scene):
        return runtime.busy(self.key(scene))

    def start(self, scene, task, on_event):
        """Run ``task`` as ``scene``'s job; on_event(scene name, kind, payload) on the main
        thread (by name: undo replaces Blender's Python objects)."""
        name = scene.name
        runtime.start(self.key(scene), task, lambda kind, payload: on_event(name, kind, payload))

    def cancel(self, operator, scene):
        """Ask ``scene``'s job to stop; the panel, the status bar and a report line of
        ``operator`` say it is stopping."""
        settings = self.settings(scene)
        runtime.cancel(self.key(scene))
        settings.state = "CANCELLING"
        settings.status = "cancelling ..."
        runtime.show_progress("talkrig: cancelling ...")
        operator.report({"INFO"}, f"cancelling the {self.noun}")

    def cancel_all(self):
        """Stop every scene's job (the add-on is going away); True for each one stopped."""
        return [runtime.cancel(self.key(scene)) for scene in bpy.data.scenes]

    def wait(self, scene_name, timeout=0.0, waiting_for="job"):
        """Apply the job's events here until it has ended (for ``wait=True``; Ctrl+C or the
        timeout in seconds, 0: none, cancel it); returns why it was cut short, or ""."""
        key = self.key(scene_name)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        why = ""
        while runtime.busy(key):
            try:
                if deadline is not None and time.monotonic() > deadline:
                    runtime.cancel(key)
                    deadline, why = None, f"the {waiting_for} was not ready within {timeout:g} s"
                time.sleep(WAIT_INTERVAL)
                runtime.tick()
            except KeyboardInterrupt:
                runtime.cancel(key)
                why = "interrupted"
        return why

    # --- what it reports -----------------------------------------------------------------
    def fail(self, settings, message, kind="input"):
        settings.state = "FAILED"
        settings.error = message
        if self.error_kinds:
            settings.error_kind = kind
        settings.status = "failed"

    def on_event(self, scene_name, kind, payload, done):
        """Apply one event of the job to the scene (main thread).

        done(scene, settings, payload) : called for the "done" event; it sets the state and
        status.
        """
        scene = bpy.data.scenes.get(scene_name)
        if scene is None:  # the file was closed or the scene removed meanwhile
            if kind == "finished":
                runtime.show_progress(None)
            return
        settings = self.settings(scene)
        if kind == "server":
            remember_server(*payload)
            set_server_state("ok", f"server running at {payload[0]}")
            self.server_started(settings, payload[0])
        elif kind == "submitted":
            settings.job_id = payload
            if settings.state != "CANCELLING":
                settings.state = "QUEUED"
            settings.status = self.queued_text
        elif kind == "status":
            self.apply_status(settings, payload)
        elif kind == "done" and settings.state == "CANCELLING":  # the cancel came after the download
            self.cancelled(settings, self.not_loaded(payload))
        elif kind == "done":
            done(scene, settings, payload)
        elif kind == "cancelled":
            self.cancelled(settings)
        elif kind == "error":
            error_kind, message = payload
            self.fail(settings, message, error_kind)
            if error_kind in SERVER_PROBLEMS:
                set_server_state(error_kind, message)
            notify("ERROR", message)
        elif kind == "finished":
            if settings.active and settings.state != "BAKING":  # never leave the panel spinning
                self.fail(settings, "the job stopped without an answer from the server", "internal")
            if not settings.active:
                runtime.show_progress(None)
        if settings.active:
            runtime.show_progress(self.progress_text(settings))
        runtime.redraw()

    def apply_status(self, settings, status):
        settings.stage = status.get("stage") or ""
        settings.progress = max(settings.progress, float(status.get("progress") or 0.0))
        if status.get("cancel_requested") or settings.state == "CANCELLING":
            settings.state = "CANCELLING"
            settings.status = self.cancelling_text(settings)
        elif status.get("state") == "queued":
            settings.state = "QUEUED"
            settings.status = self.waiting_text(status)
        elif status.get("state") == "running":
            settings.state = "RUNNING"
            settings.status = self.running_text(settings, status)

    def cancelled(self, settings, detail=""):
        """The job ended cancelled: nothing of it is loaded. detail : what became of its result."""
        settings.state = "CANCELLED"
        settings.status = f"cancelled ({detail})" if detail else "cancelled"
        notify("INFO", self.cancelled_notice(detail))

    # --- its words (a kind may say them its own way) -----------------------------------------
    def server_started(self, settings, url):
        """A local server was started for the job."""

    def not_loaded(self, payload):
        saved = payload.get("path") or payload.get("folder")
        return f"the server had finished; {saved} was saved but not loaded"

    def cancelled_notice(self, detail):
        return f"talkrig: {self.doing} cancelled" + (f": {detail}" if detail else "")

    def cancelling_text(self, settings):
        return "cancelling"

    def waiting_text(self, status):
        return "queued"

    def running_text(self, settings, status):
        return f"{self.doing}: {settings.stage}"

    def progress_text(self, settings):
        return f"talkrig: {settings.status} ({settings.progress:.0%})"


class GenerationJobs(JobKind):
    """Generate: its state also has STARTING and BAKING, an error kind, and says each stage in
    words."""

    error_kinds = True
    queued_text = "waiting for the server..."

    def server_started(self, settings, url):
        settings.status = f"started a local server at {url}; uploading..."

    def not_loaded(self, payload):
        return "the server had finished; the take was not kept"

    def cancelled_notice(self, detail):
        return "talkrig: the job was cancelled" + (
            "; the server had finished, the take was not kept" if detail else "")

    def cancelling_text(self, settings):
        return f"cancelling ({STAGE_NAMES.get(settings.stage, settings.stage)})..."

    def waiting_text(self, status):
        position = status.get("queue_position")
        return "waiting for the server" + (
            f" (position {position + 1} in its queue)" if position is not None else "") + "..."

    def running_text(self, settings, status):
        return stage_text(status)

    def progress_text(self, settings):
        return f"talkrig: {settings.status}"


def stage_text(status):
    """A job status in words: "recognising words... 40%" (the stage's own progress)."""
    stage = status.get("stage") or ""
    text = STAGE_NAMES.get(stage, stage or "working")
    fraction = status.get("stage_progress")
    if isinstance(fraction, (int, float)):
        return f"{text}... {fraction:.0%}"
    return f"{text}..."


GENERATE = GenerationJobs("job", lambda scene: scene.talkrig.job, "talkrig job", "generating")
CAPTURE = JobKind("capture", lambda scene: scene.talkrig_capture, "capture", "capturing")
RENDER = JobKind("render", lambda scene: scene.talkrig_render, "render", "rendering")


def draw_controls(layout, key, settings, start, stop, icon):
    """The start button (or, while the job runs, Cancel and a progress bar) and how the last
    job ended. key : the job's runtime key; start, stop : operator idnames."""
    row = layout.row(align=True)
    if runtime.busy(key):
        row.operator(stop, icon="CANCEL")
        layout.progress(factor=settings.progress, type="BAR",
                        text=f"{settings.status} {settings.progress:.0%}")
        return
    row.operator(start, icon=icon)
    if settings.state in ("DONE", "CANCELLED") and settings.status:
        wrapped(layout, settings.status, icon="CHECKMARK" if settings.state == "DONE" else "CANCEL")
    if settings.error:
        alert_box(layout, settings.error)
