"""Operators for the server: start or stop a local one, and fetch the backends' option schemas.

Both run in the background (addon/worker.py); results reach the scene's settings through
the timer in addon/runtime.py.
"""

import json
import logging

import bpy

from . import runtime
from .preferences import connection
from .reports import notify
from .server_state import (forget_local_server, remember_server, set_server_state,
                           stoppable_server)

log = logging.getLogger(__name__)

SERVER_TASK = "server"
BACKENDS_TASK = "backends"


class TALKRIG_OT_start_server(bpy.types.Operator):
    """Start a talkrig server on this machine with the Python set in the preferences (or reuse
    the one started before)"""

    bl_idname = "talkrig.start_server"
    bl_label = "Start Local Server"

    @classmethod
    def poll(cls, context):
        if runtime.busy(SERVER_TASK):
            cls.poll_message_set("The local server is starting")
            return False
        return True

    def execute(self, context):
        from .worker import Task, start_server_task

        conn = connection(context, auto_start=True)
        if not conn.python:
            self.report({"ERROR"}, "set the Python interpreter that has talkrig installed in "
                                   "Preferences > Add-ons > talkrig (or run `talkrig serve` yourself)")
            return {"CANCELLED"}
        set_server_state("starting", f"starting a local server at {conn.url} ...")
        runtime.start(SERVER_TASK, Task(start_server_task(conn), "talkrig server start"),
                      on_server_event)
        runtime.show_progress(f"talkrig: starting a local server at {conn.url} ...")
        self.report({"INFO"}, f"starting a local talkrig server at {conn.url}")
        return {"FINISHED"}


def on_server_event(kind, payload):
    """A local server's start, as the panel and status bar show it (also started for the
    voice-over's words: addon/words_ahead.py)."""
    if kind == "server":
        url, local = payload
        remember_server(url, local)
        set_server_state("ok", f"server running at {url}")
        refresh_backends()
    elif kind == "error":
        error_kind, message = payload
        set_server_state(error_kind, message)
        notify("ERROR", message)
    elif kind == "finished":
        runtime.show_progress(None)
    runtime.redraw()


class TALKRIG_OT_stop_server(bpy.types.Operator):
    """Stop the local talkrig server Blender started (in this session or an earlier one)"""

    bl_idname = "talkrig.stop_server"
    bl_label = "Stop Local Server"

    @classmethod
    def poll(cls, context):
        if stoppable_server() is None:
            cls.poll_message_set("No server started from Blender is running")
            return False
        return True

    def execute(self, context):
        local = stoppable_server()
        if local is None:
            self.report({"INFO"}, "no server started from Blender is running")
            return {"CANCELLED"}
        local.stop()
        forget_local_server()
        set_server_state("down", f"the local server at {local.url} was stopped")
        self.report({"INFO"}, f"stopped the local talkrig server at {local.url}")
        return {"FINISHED"}


def refresh_backends(scene_names=None):
    """Ask the server for its backends in the background (no-op while a request runs)."""
    from .worker import Task, fetch_backends_task

    if runtime.busy(BACKENDS_TASK):
        return False
    names = scene_names or [s.name for s in bpy.data.scenes]
    task = Task(fetch_backends_task(connection(auto_start=False)), "talkrig backends")
    runtime.start(BACKENDS_TASK, task, lambda kind, payload: _on_backends_event(names, kind, payload))
    return True


def _on_backends_event(scene_names, kind, payload):
    from .backend_options import sync_options

    if kind == "server":
        remember_server(*payload)
    elif kind == "backends":
        text = json.dumps(payload, sort_keys=True)
        for name in scene_names:
            scene = bpy.data.scenes.get(name)
            if scene is None:
                continue
            settings = scene.talkrig
            settings.backends_json = text
            sync_options(settings)
        set_server_state("ok", f"{len(payload.get('generators', []))} backends")
    elif kind == "error":
        set_server_state(*payload)
    runtime.redraw()


class TALKRIG_OT_refresh_backends(bpy.types.Operator):
    """Ask the server which backends it has and which options they take"""

    bl_idname = "talkrig.refresh_backends"
    bl_label = "Refresh Backends"

    @classmethod
    def poll(cls, context):
        if runtime.busy(BACKENDS_TASK):
            cls.poll_message_set("Already asking the server")
            return False
        return True

    def execute(self, context):
        refresh_backends([context.scene.name])
        return {"FINISHED"}


classes = (TALKRIG_OT_start_server, TALKRIG_OT_stop_server, TALKRIG_OT_refresh_backends)
