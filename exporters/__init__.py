"""Headless bake, export and batch bake with the bpy module (Blender as a Python module).

``bake.py`` runs a whole bake (generate or read motion -> avatar -> keys -> files, with stage
timings); ``scene.py`` loads an avatar, ``animate.py`` retargets and keys it, ``export.py``
writes FBX/glTF/BVH/.blend, ``preview.py`` renders the video; ``manifest.py``, ``batch.py`` and
``workers.py`` bake many clips in worker processes; ``atomic.py`` makes every file appear whole;
``facehead.py`` builds the ARKit test head (a head mesh with the 52 blend shapes).
Importing this package, ``bake``, ``manifest`` or ``batch`` needs no bpy; the others import it.
``assets/`` holds the bundled avatar (CC0) and speech sample (MIT) with their licenses.
"""
