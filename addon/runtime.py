"""The main-thread side of background work: running tasks, the timer that drains their events,
and progress in the status bar.

    runtime.start("job:Scene", task, on_event)   # on_event(kind, payload) runs on the main thread
    runtime.later("job:Scene", function)         # run on the next tick, after the UI has redrawn
    runtime.tick()                               # the bpy.app.timers callback (0.1 s while busy)

Blender runs :func:`tick` from its event loop. Without one (the bpy module, headless), call
``tick()`` yourself until it returns None.
"""

import logging

import bpy

log = logging.getLogger(__name__)

INTERVAL = 0.1  # seconds between drains while something runs
FOLLOW_UP = 0.02  # seconds before a tick with work left for it (see later): Blender redraws the
# panel and status bar in between, and the work (a take's keys) waits no longer than that

_tasks = {}  # key -> (Task, on_event)
_later = {}  # key -> function for the next tick


def start(key, task, on_event):
    """Start ``task`` under ``key`` (one task per key) and make sure the timer runs."""
    if busy(key):
        raise RuntimeError(f"a talkrig task is already running for {key}")
    _tasks[key] = (task, on_event)
    task.start()
    _run_timer()


def later(key, function):
    """Call ``function()`` on the next tick: the panel and status bar are redrawn first, so a
    message set now ("baking ...") shows while it runs. ``key`` stays busy until then."""
    _later[key] = function
    _run_timer()


def _run_timer():
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=INTERVAL, persistent=True)


def busy(key):
    """True while the task under ``key`` has not delivered its last event (or has work left
    for the next tick)."""
    return key in _tasks or key in _later


def task(key):
    entry = _tasks.get(key)
    return entry[0] if entry else None


def cancel(key):
    """Ask the task under ``key`` to stop; False if none runs."""
    entry = _tasks.get(key)
    if entry is None:
        return False
    entry[0].cancel()
    return True


def forget(key):
    """Stop delivering the events of the task under ``key`` (it may still be winding down)."""
    _tasks.pop(key, None)
    _later.pop(key, None)


def tick():
    """Run what was left for this tick, deliver queued events to their handlers; the interval
    until the next call, or None."""
    due = list(_later.items())
    _later.clear()
    for key, function in due:
        try:
            function()
        except Exception:  # the function reports its own errors
            log.exception("talkrig: the follow-up of %s failed", key)
    for key in list(_tasks):
        task_, on_event = _tasks[key]
        for kind, payload in task_.drain():
            if kind == "finished":
                _tasks.pop(key, None)
            try:
                on_event(kind, payload)
            except Exception:  # keep draining the others; the handler reports its own errors
                log.exception("talkrig: handling %s of %s failed", kind, key)
    if _later:
        return FOLLOW_UP
    return INTERVAL if _tasks else None


def stop_all():
    """Cancel every task and forget them (the add-on is being disabled)."""
    for task_, _ in list(_tasks.values()):
        task_.cancel()
    _tasks.clear()
    _later.clear()
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)


def show_progress(text):
    """Text in the status bar of every window (None restores the normal status bar)."""
    wm = bpy.context.window_manager
    for window in getattr(wm, "windows", ()):
        workspace = window.workspace
        if workspace is not None:
            workspace.status_text_set(text)


def redraw():
    """Redraw the 3D viewports' sidebars so the panel shows the latest state."""
    wm = bpy.context.window_manager
    for window in getattr(wm, "windows", ()):
        screen = window.screen
        for area in screen.areas if screen else ():
            if area.type in ("VIEW_3D", "PREFERENCES"):
                area.tag_redraw()
