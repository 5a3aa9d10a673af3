"""What a background server job (capture, render) reports, applied to the scene property group
that shows it: one set of rules for every kind of job.

The property group has ``state`` (IDLE, UPLOADING, QUEUED, RUNNING, CANCELLING, DONE, FAILED,
CANCELLED), ``stage``, ``progress``, ``status``, ``error``, ``job_id`` and ``active``.
"""

from . import runtime


def cancel(operator, key, settings, noun):
    """Ask the job under runtime ``key`` to stop; the panel, the status bar and a report line
    of ``operator`` say it is stopping. noun : what is stopped ("render")."""
    runtime.cancel(key)
    settings.state = "CANCELLING"
    settings.status = "cancelling ..."
    runtime.show_progress("talkrig: cancelling ...")
    operator.report({"INFO"}, f"cancelling the {noun}")


def fail(settings, message):
    settings.state = "FAILED"
    settings.error = message
    settings.status = "failed"


def cancelled(settings, doing, detail=""):
    """The job ended cancelled: nothing of it is loaded. detail : what became of its result."""
    from .generate import notify

    settings.state = "CANCELLED"
    settings.status = f"cancelled ({detail})" if detail else "cancelled"
    notify("INFO", f"talkrig: {doing} cancelled" + (f": {detail}" if detail else ""))


def apply_event(settings, kind, payload, done, doing):
    """Apply one event of the job (main thread).

    done(payload) : called for the "done" event; it sets the state and status.
    doing : what the job is doing, as the status shows it while running ("capturing").
    """
    from .generate import notify
    from .server_ops import remember_server, set_server_state

    if kind == "server":
        remember_server(*payload)
        set_server_state("ok", f"server running at {payload[0]}")
    elif kind == "submitted":
        settings.job_id = payload
        if settings.state != "CANCELLING":
            settings.state = "QUEUED"
        settings.status = "queued on the server"
    elif kind == "status":
        _apply_status(settings, payload, doing)
    elif kind == "done" and settings.state == "CANCELLING":  # the cancel came after the download
        saved = payload.get("path") or payload.get("folder")
        cancelled(settings, doing, f"the server had finished; {saved} was saved but not loaded")
    elif kind == "done":
        done(payload)
    elif kind == "cancelled":
        cancelled(settings, doing)
    elif kind == "error":
        error_kind, message = payload
        fail(settings, message)
        if error_kind in ("down", "auth", "not_talkrig", "timeout"):
            set_server_state(error_kind, message)
        notify("ERROR", message)
    elif kind == "finished":
        if settings.active:
            fail(settings, "the job stopped without an answer from the server")
        runtime.show_progress(None)
    if settings.active:
        runtime.show_progress(f"talkrig: {settings.status} ({settings.progress:.0%})")
    runtime.redraw()


def _apply_status(settings, status, doing):
    settings.stage = status.get("stage") or ""
    settings.progress = max(settings.progress, float(status.get("progress") or 0.0))
    if status.get("cancel_requested") or settings.state == "CANCELLING":
        settings.state = "CANCELLING"
        settings.status = "cancelling"
    elif status.get("state") == "queued":
        settings.state = "QUEUED"
        settings.status = "queued"
    elif status.get("state") == "running":
        settings.state = "RUNNING"
        settings.status = f"{doing}: {settings.stage}"


def draw_controls(layout, key, settings, start, stop, icon):
    """The start button (or, while the job runs, Cancel and a progress bar) and how the last
    job ended. start, stop : operator idnames."""
    from .panel import alert_box, wrapped

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
