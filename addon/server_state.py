"""Which server the add-on talks to, for every part of it: the local server this Blender session
started (to stop it), the URL that last answered (kept in the preferences), and the server's
state shown in every scene's panel."""

import bpy

from .preferences import get_preferences

_local = {"server": None}  # the LocalServer this Blender session started or reused


def local_server():
    """The LocalServer this Blender session started or reused, or None."""
    return _local["server"]


def stoppable_server():
    """The running local server the add-on started, in this session or, as its state file
    records, an earlier one (adopted here so Stop Local Server can end it); else None."""
    from ..client.server_process import LocalServer

    local = _local["server"]
    if local is None or not local.running:
        found = LocalServer()
        local = _local["server"] = found if found.adopt() else None
    return local


def forget_local_server():
    """The local server was stopped: the add-on no longer holds it."""
    _local["server"] = None


def remember_server(url, local):
    """A server answers at ``url``: keep it in the preferences (and the LocalServer to stop it)."""
    current = _local["server"]
    # keep the instance that started the process (it can wait for it) over one that found it
    if local is not None and not (current is not None and current.pid == local.pid
                                  and current.process is not None):
        _local["server"] = local
    prefs = get_preferences()
    if prefs is not None and prefs.server_url.rstrip("/") != url.rstrip("/"):
        prefs.server_url = url


def set_server_state(state, message=""):
    """Server state for every scene's panel: "ok", "starting", "down", "auth", ..."""
    for scene in bpy.data.scenes:
        scene.talkrig.server_state = state
        scene.talkrig.server_message = message
