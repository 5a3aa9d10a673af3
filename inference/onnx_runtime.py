"""ONNX Runtime, imported for the whole process with its telemetry off.

From 1.31 ONNX Runtime on Linux keeps a telemetry device id in the temporary folder (``.ses``)
and may report events; talkrig runs on users' machines and servers, and does neither. The
switch is read once, when the module is first imported, so every import of it goes through
:func:`onnxruntime` (a user's own ORT_DISABLE_TELEMETRY is kept)."""

import os


def onnxruntime():
    """The onnxruntime module (ImportError where it is not installed)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    return ort
