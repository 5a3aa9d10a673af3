"""Helpers of the bake tests: short speech clips, posed-bone comparisons, glTF/MP4 inspection."""

import json
import struct
from pathlib import Path

import numpy as np

from talkrig.exporters.bundled import SAMPLE_SPEECH


def cut_speech(path, seconds, offset=0.0):
    """Write ``seconds`` of the bundled speech sample starting at ``offset`` to ``path`` (wav)."""
    import soundfile

    samples, rate = soundfile.read(str(SAMPLE_SPEECH), dtype="float32")
    start = int(offset * rate)
    soundfile.write(str(path), samples[start:start + int(seconds * rate)], rate)
    return Path(path)


def armature(bpy):
    found = [obj for obj in bpy.context.scene.objects if obj.type == "ARMATURE"]
    assert len(found) == 1, [obj.name for obj in found]
    return found[0]


def posed_bones(bpy, arm, frames, world=True):
    """Bone names, (F, B, 3, 3) rotation of every bone from its rest (``W = P @ R^T``) and
    (F, B, 3) head positions at each frame; world space, or armature space.

    ``W`` does not depend on how an exporter or importer orients a bone's local axes (roll,
    primary axis), so it compares rigs across file formats.
    """
    scene = bpy.context.scene
    to = np.array(arm.matrix_world) if world else np.eye(4)
    rest = np.array([to @ np.array(bone.matrix_local) for bone in arm.data.bones])[:, :3, :3]
    rest /= np.linalg.norm(rest, axis=1, keepdims=True)
    names = [bone.name for bone in arm.data.bones]
    deltas, heads = [], []
    for frame in frames:
        scene.frame_set(int(frame))
        posed = np.array([to @ np.array(arm.pose.bones[n].matrix) for n in names])
        rot = posed[:, :3, :3] / np.linalg.norm(posed[:, :3, :3], axis=1, keepdims=True)
        deltas.append(rot @ np.swapaxes(rest, 1, 2))
        heads.append(posed[:, :3, 3])
    return names, np.array(deltas), np.array(heads)


def angle_between(a, b):
    """Angle in degrees between rotation matrices a and b (..., 3, 3)."""
    r = np.swapaxes(a, -1, -2) @ b
    cos = (np.trace(r, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def glb_document(path):
    """The JSON chunk of a .glb file (checking that the header's length is the file's)."""
    data = Path(path).read_bytes()
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert magic == b"glTF" and version == 2 and length == len(data)
    chunk_length, chunk_type = struct.unpack("<I4s", data[12:20])
    assert chunk_type == b"JSON"
    return json.loads(data[20:20 + chunk_length])


def animation_times(document, animation):
    """(key count, last key time in seconds) over all samplers of a glTF animation."""
    counts, ends = [], []
    for sampler in animation["samplers"]:
        accessor = document["accessors"][sampler["input"]]
        counts.append(accessor["count"])
        ends.append(accessor["max"][0])
    return max(counts), max(ends)
