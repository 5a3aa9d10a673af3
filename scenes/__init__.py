"""Scenes made here for talkrig's own tests, benchmarks and examples (bpy module): the ARKit test
head (``facehead.py``: a head mesh with the 52 blend shapes), the bundled avatar dressed as a
person a camera can see (``character.py``), and a video of it performing a known take, the
ground truth for capture from video (``character_video.py``). Built on the exporters; never in
the Blender extension.
"""
