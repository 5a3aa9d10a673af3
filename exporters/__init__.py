"""Headless bake, export and batch bake with the bpy module (Blender as a Python module).

``bake.py`` runs a whole bake (generate or read motion -> avatar -> keys -> files, with stage
timings); ``scene.py`` loads an avatar, ``animate.py`` retargets and keys it, ``export.py``
writes FBX/glTF/BVH/.blend, ``preview.py`` renders the video (``split_render.py``: in two
processes at once); ``manifest.py``, ``batch.py`` and ``workers.py`` bake many clips in worker
processes; ``atomic.py`` makes every file appear whole.
The test scenes (the ARKit test head, the dressed avatar, its video) are in :mod:`talkrig.scenes`.
Importing this package, ``bake``, ``manifest`` or ``batch`` needs no bpy; the others import it.
``assets/`` holds the bundled avatar (CC0) and speech sample (MIT) with their licenses.
"""
