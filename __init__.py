"""talkrig: turn a voice-over into full-body SMPL-X gesture animation on your own rig.

This file is both the root of the ``talkrig`` Python package and the entry point of the
Blender extension. It imports nothing heavy: ``import talkrig`` works without bpy, torch or
onnxruntime, and Blender only loads the add-on modules when it calls :func:`register`.

The Python API (docs/python.md) is loaded lazily (PEP 562): each name in ``__all__`` is
imported from the module named in ``_API`` the first time it is read, so a bare
``import talkrig`` imports no numpy, bpy or torch::

    import talkrig

    result = talkrig.generate("speech.wav", backend="procedural", seed=0)
    talkrig.save_motion(result.motion, "take.npz")
    talkrig.bake(talkrig.BakeJob("take.npz", ["take.glb"]))  # .glb needs bpy
"""

__version__ = "0.1.0"

# public name -> the module that defines it (full dotted paths: a module that moves is found
# and renamed here by a search for its path). Read lazily by __getattr__ below.
_API = {
    "generate": "talkrig.api",
    "GenerateOptions": "talkrig.inference.generation.pipeline",
    "bake": "talkrig.exporters.bake",
    "BakeJob": "talkrig.exporters.bake",
    "capture_video": "talkrig.api",
    "render_motion": "talkrig.api",
    "LiveStream": "talkrig.inference.live.driver",
    "Motion": "talkrig.motion.container",
    "load_motion": "talkrig.motion.files",
    "save_motion": "talkrig.motion.files",
    "list_generators": "talkrig.inference.generation.generators",
    "Client": "talkrig.client.http_client",
    "TalkrigError": "talkrig.motion.errors",
}

__all__ = list(_API)


def __getattr__(name):
    """The public name ``name``, imported on first use (PEP 562) and kept in the module."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    # relative to this package's own name: Blender imports it as bl_ext.<repository>.talkrig
    value = getattr(import_module(__name__ + module[len("talkrig"):]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


def register():
    """Blender extension entry: register the add-on's classes (imports bpy lazily)."""
    from . import addon

    addon.register()


def unregister():
    """Blender extension exit: unregister everything :func:`register` added."""
    from . import addon

    addon.unregister()
