"""Blender data, shared by the add-on and the headless exporters: reading a rig, writing keys
as new Actions, face shape keys, the rig's mouth poses, its controls, sound strips, and
:func:`take.key_take`, the one way a take becomes animation on a rig.

Reads and writes Blender data only: no UI, no HTTP. Depends on :mod:`talkrig.motion` (the
retargeting maths) and bpy; nothing here is imported when the package is.
"""
