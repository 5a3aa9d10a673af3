"""The Blender UI of talkrig: preferences, panel, operators, background jobs and live mode.

It talks to the server through :mod:`talkrig.client` and keys takes onto rigs through
:mod:`talkrig.blender`. Nothing here imports bpy when the package is imported.
:func:`register` imports the modules that define Blender classes, listed in ``MODULES``; each
has a ``classes`` tuple, registered in order and unregistered in reverse. A module may also
define ``on_register()`` (run after its classes are registered: properties on Blender types,
handlers) and ``on_unregister()`` (run before its classes go). To add UI, write a module with a
``classes`` tuple and list it here.

Feature modules (one part of the panel each: generate, bake, keypose_capture, capture_video,
render_photoreal, live, face_ui, server_ops) never import one another; what they share is in
small modules: ui.py (layout helpers, panel classes), reports.py (messages from background
work), server_jobs.py (the one model of a server job), server_state.py (which server, its
state), request_options.py (options from the panel sent with a request), takes.py (naming,
keeping and baking a take). panel.py draws the sections and may call into the features.
Modules without Blender classes: worker.py (background threads), keypose_file.py (key-pose
dictionaries), runtime.py and voiceover.py (bpy, nothing registered), words_ahead.py (the
voice-over's words asked for as soon as it is chosen) and the shared ones above.
"""

import importlib

# The extension's root package: "talkrig" when installed with pip, "bl_ext.<repo>.talkrig" when
# Blender loads the extension. Blender keys add-on preferences by it.
ROOT_PACKAGE = __package__.rpartition(".")[0] or __package__

# Modules defining Blender classes, in registration order.
MODULES = ("preferences", "backend_options", "properties", "mapping", "reports", "server_ops",
           "generate", "bake", "keypose_capture", "capture_video", "render_photoreal", "live", "panel", "face_ui")


def _modules():
    return [importlib.import_module(f".{name}", __package__) for name in MODULES]


def classes():
    """Every Blender class of the add-on, in registration order."""
    found = []
    for module in _modules():
        found.extend(module.classes)
    return tuple(found)


def register():
    import bpy

    for module in _modules():
        for cls in module.classes:
            bpy.utils.register_class(cls)
        if hasattr(module, "on_register"):
            module.on_register()


def unregister():
    import bpy

    for module in reversed(_modules()):
        if hasattr(module, "on_unregister"):
            module.on_unregister()
        for cls in reversed(module.classes):
            if getattr(cls, "is_registered", False):
                bpy.utils.unregister_class(cls)
