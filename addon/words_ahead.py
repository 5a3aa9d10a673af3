"""The voice-over's words asked for as soon as it is chosen: the server finds them while the
artist sets up the take, and Generate moments later skips the engine (a minute of speech
without a timed transcript is some 4 s of recognition, the take itself 0.6 s). Nothing shows in
the panel; a failure is only logged, and Generate reports its own.

Asked :data:`ASK_AFTER` seconds after the voice-over or its transcript changed (a script that
sets the file, then the transcript, sends one request), and only of a server on this machine
(nothing is sent over the network), when the take will need an engine and Generate has not been
pressed meanwhile (its job finds the words itself). Where no server answers yet, the local one
is started first, as Start Local Server does, if the preferences let Generate start it: Blender's
first Generate then finds the server up and the words found. A newer request cancels the one
before it.
"""

import logging
from pathlib import Path

import bpy

from ..motion.errors import TalkrigError

log = logging.getLogger(__name__)

ASK_AFTER = 0.3  # seconds
# the last request's Task; the scene whose change waits; the scene waiting for the server's start
_asked = {"task": None, "scene": None, "starting": None}


def voiceover_changed(settings, context):
    """Property update: the voice-over or its transcript changed; ask for its words shortly."""
    scene = getattr(settings, "id_data", None) or context.scene  # the scene the settings are of
    _asked["scene"] = scene.name
    if not bpy.app.timers.is_registered(_ask_now):
        bpy.app.timers.register(_ask_now, first_interval=ASK_AFTER)


def taken():
    """Generate was pressed: its own job finds the words (or waits for those asked for)."""
    _asked["scene"] = _asked["starting"] = None


def stop():
    """Ask nothing more, and cancel the last request if it still runs (the add-on unloading)."""
    _asked["scene"] = _asked["starting"] = None
    if bpy.app.timers.is_registered(_ask_now):
        bpy.app.timers.unregister(_ask_now)
    _cancel_last()


def last_request():
    """The Task of the last request (None before any): done once the server has the words."""
    return _asked["task"]


def _cancel_last():
    task, _asked["task"] = _asked["task"], None
    if task is not None and task.is_alive():
        task.cancel()


def ask(scene):
    """Send ``scene``'s chosen voice-over for its words (a ``words_only`` job) if worth it;
    returns the request's Task or None."""
    from . import preferences
    from .request_options import read_transcript
    from .voiceover import SERVER_FORMATS
    from .worker import Task, is_local, probe, words_job

    settings = scene.talkrig
    connection = preferences.connection()
    if not is_local(connection.url) or settings.audio_source != "FILE":
        return None
    if (settings.speech or "auto") == "none" or not settings.audio_file.strip():
        return None
    path = Path(bpy.path.abspath(settings.audio_file))
    if not path.is_file() or path.suffix.lower() not in SERVER_FORMATS:
        return None  # converting it is left to Generate
    try:
        transcript = read_transcript(settings)
    except TalkrigError:
        return None  # Generate says what is wrong with it
    options = {"speech": settings.speech or "auto",
               "language": settings.language.strip() or "auto", "words_only": True}
    if transcript:
        options["transcript"] = transcript
    if probe(connection.url, timeout=0.2) is False:  # nothing listens there yet
        _start_server(scene, connection)
        return None
    _cancel_last()  # a newer voice-over
    task = Task(words_job(connection, str(path), options), f"talkrig words of {path.name}")
    _asked["task"] = task
    task.start()
    return task


def _start_server(scene, connection):
    """Start the local server as Start Local Server does, then ask for ``scene``'s words (unless
    Generate was pressed meanwhile); nothing when it may not be started or is starting."""
    from . import runtime, server_ops
    from .server_state import set_server_state
    from .worker import Task, start_server_task

    if not connection.can_start_server or runtime.busy(server_ops.SERVER_TASK):
        return
    _asked["starting"] = scene.name
    set_server_state("starting", f"starting a local server at {connection.url} ...")
    runtime.start(server_ops.SERVER_TASK, Task(start_server_task(connection), "talkrig server start"),
                  _on_server_event)


def _on_server_event(kind, payload):
    """The server's start shows as Start Local Server's does, but a failure only in the
    server's state (Generate reports its own); once it answers, the words of the scene that
    waited for it are asked for."""
    from . import runtime, server_ops
    from .server_state import set_server_state

    if kind == "error":
        log.info("starting the local server for the voice-over's words failed: %s", payload[1])
        set_server_state(*payload)
        runtime.redraw()
        return
    server_ops.on_server_event(kind, payload)
    if kind == "server" and _asked["starting"] is not None:
        _asked["scene"], _asked["starting"] = _asked["starting"], None
        if not bpy.app.timers.is_registered(_ask_now):
            bpy.app.timers.register(_ask_now, first_interval=0.0)


def _ask_now():
    name, _asked["scene"] = _asked["scene"], None
    scene = bpy.data.scenes.get(name) if name else None
    if scene is not None:
        try:
            ask(scene)
        except Exception:  # noqa: BLE001 - never in the artist's way: Generate finds them itself
            log.debug("asking for the words ahead failed", exc_info=True)
    return None  # once
