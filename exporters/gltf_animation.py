"""A take's animation written into the glTF that Blender exported without it (bpy module).

Blender's glTF exporter samples every bone's three channels one key at a time in Python: 4.3 s
of the 4.9 s a minute of speech takes to bake to GLB. Here the scene is evaluated once a frame,
every pose bone's matrix read in one call, and the channels of all joints and frames worked out
at once with numpy, as the exporter works them out: each joint's transform relative to its
parent joint, a root joint's relative to the armature in the file's Y-up axes; rotations as unit
quaternions, w >= 0 at the first key and each key then on the side of the one before (Blender's
keep w >= 0, so they flip sign from key to key about half a turn from rest); a channel moving
less than 1e-4 kept as its first and last key; one animation named after the take's action,
times from 0 at the scene's true frame rate.

The face's shape keys are read at the same frames, as morph target weights of their meshes'
nodes (in each mesh's target order, ``extras.targetNames``). Used where the bones and the face
are all the take moves; a take that keys the rig's letter poses, or a file that is not laid out
as expected, is exported with Blender's own sampling (:func:`blender_must_sample`, ``export._gltf``).
"""

import json
import struct

import numpy as np

CONSTANT = 1e-4  # a channel whose every component moves less than this keeps two keys
FLOAT = 5126  # glTF componentType: 32-bit float
CHUNK = 512  # frames evaluated before their channels are worked out
# Blender's Z-up armature space to glTF's Y-up, as the exporter turns a root joint
Y_UP = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
GLB_MAGIC, JSON_CHUNK, BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942


def blender_must_sample(avatar, take):
    """Why Blender's exporter must sample the take (a sentence), or None where the take moves
    the armature's bones and the face's shape keys and nothing else moves: no letter poses, a
    body action whose every curve is a pose bone's, face actions of shape-key values only, no
    other object of the avatar, or other shape keys, animated or driven (Blender's exporter
    may write those too)."""
    from ..blender.keyframes import action_fcurves

    if take is None or take.action is None:
        return "no action"
    if take.mouth_cues is not None:
        return "the take keys the rig's letter poses"
    if not all(curve.data_path.startswith("pose.bones[") for curve in action_fcurves(take.action)):
        return "the take keys more than the bones"
    for name, action in (take.face or {}).items():
        if not all(_is_shape_key_value(curve.data_path) for curve in action_fcurves(action)):
            return f"the face action of {name} keys more than shape keys"
    for obj in avatar.objects:
        keys = getattr(getattr(obj, "data", None), "shape_keys", None)
        if obj is not avatar.armature and _animated(obj):
            return f"{obj.name} is animated"
        if obj.name not in (take.face or {}) and _animated(keys):
            return f"the shape keys of {obj.name} are animated"
    return None


def _is_shape_key_value(path):
    return path.startswith("key_blocks[") and path.endswith("].value")


def _animated(owner):
    """True where ``owner`` (an object, shape keys or None) has an action, NLA tracks or drivers."""
    anim = getattr(owner, "animation_data", None)
    return anim is not None and (anim.action is not None or len(anim.nla_tracks) > 0 or len(anim.drivers) > 0)


class Mirrored(ValueError):
    """A joint whose transform turns and mirrors: a rotation and positive scale cannot say it
    (Blender's exporter decomposes it its own way, which is left to it)."""


def joint_tracks(armature, frames, parents, shape_keys=(), chunk=None, progress=None):
    """Translation (F, J, 3), rotation (F, J, 4, x y z w, no sign flips from frame to frame)
    and scale (F, J, 3) of each joint at the scene ``frames`` (float32), ``parents`` as in
    :func:`joint_channels`, then the (F, K) values of each of ``shape_keys`` ((Key, (K,) indices
    of its key blocks) pairs). The scene is evaluated ``chunk`` frames at a time, so memory holds
    the tracks and one chunk's matrices (a 10-minute take on a 700-bone rig: 0.5 GB of tracks,
    where Blender's exporter built 38 million Python objects; default CHUNK); progress(fraction
    of the frames done) after each."""
    frames, chunk = np.asarray(frames), chunk or CHUNK
    out = [np.empty((len(frames), len(parents), width), np.float32) for width in (3, 4, 3)]
    out += [np.empty((len(frames), len(indices)), np.float32) for _, indices in shape_keys]
    previous = None
    for start in range(0, len(frames), chunk):
        matrices, weights = sample_scene(armature, frames[start:start + chunk], shape_keys)
        part = joint_channels(matrices, parents, previous)
        for track, values in zip(out, list(part) + weights):
            track[start:start + len(values)] = values
        previous = part[1][-1]
        if progress is not None:
            progress((start + len(matrices)) / len(frames))
    return out


def sample_scene(armature, frames, shape_keys=()):
    """(F, B, 4, 4) armature-space matrices of the B pose bones at each scene frame, and the
    (F, K) values of each of ``shape_keys`` (see :func:`joint_tracks`), as evaluated there."""
    import bpy

    scene = bpy.context.scene
    bones = armature.pose.bones
    flat = np.empty((len(frames), len(bones) * 16), np.float32)
    values = [np.empty((len(frames), len(key.key_blocks)), np.float32) for key, _ in shape_keys]
    for i, frame in enumerate(frames):
        scene.frame_set(int(frame))
        bones.foreach_get("matrix", flat[i])
        for (key, _), table in zip(shape_keys, values):
            key.key_blocks.foreach_get("value", table[i])
    matrices = flat.reshape(len(frames), len(bones), 4, 4).transpose(0, 1, 3, 2).astype(np.float64)
    return matrices, [table[:, indices] for (_, indices), table in zip(shape_keys, values)]


def joint_channels(matrices, parents, previous=None):
    """Translation (F, J, 3), rotation (F, J, 4, x y z w) and scale (F, J, 3) of each joint:
    ``matrices`` (F, J, 4, 4) in armature space, ``parents`` (J,) each joint's parent index
    or -1 for a root joint (turned to Y-up). ``previous`` (J, 4): the rotations of the frame
    before, whose sides the first frame's keep."""
    from ..motion.rotations import matrix_to_quat, quat_continuity

    parents = np.asarray(parents)
    local = np.empty_like(matrices)
    rooted = parents < 0
    local[:, rooted] = Y_UP @ matrices[:, rooted]
    if (~rooted).any():
        local[:, ~rooted] = relative(matrices[:, parents[~rooted]], matrices[:, ~rooted])
    basis = local[..., :3, :3]
    if np.any(np.linalg.det(basis) < 0.0):
        raise Mirrored("a joint's transform mirrors it (a negative scale)")
    scale = np.linalg.norm(basis, axis=-2)
    rotation = matrix_to_quat(basis / np.maximum(scale[..., None, :], 1e-12))[..., [1, 2, 3, 0]]
    if previous is None:
        rotation = quat_continuity(rotation)
    else:
        rotation = quat_continuity(np.concatenate([np.asarray(previous)[None], rotation]))[1:]
    return local[..., :3, 3], rotation, scale


def face_nodes(gltf, face):
    """[(node index, Key, (K,) key-block indices)] of the meshes the take's ``face`` ({object
    name: Action}) keys, each node's morph targets in its mesh's order (``extras.targetNames``,
    as Blender writes them); None where a mesh or one of its targets is not found once."""
    import bpy

    nodes, out = gltf.get("nodes", []), []
    for name in face:
        found = [i for i, node in enumerate(nodes) if node.get("name") == name and "mesh" in node]
        obj = bpy.data.objects.get(name)
        key = getattr(getattr(obj, "data", None), "shape_keys", None)
        if len(found) != 1 or key is None:
            return None
        targets = (gltf["meshes"][nodes[found[0]]["mesh"]].get("extras") or {}).get("targetNames")
        indices = [key.key_blocks.find(target) for target in targets or ()]
        if not indices or min(indices) < 0 or len(set(targets)) != len(targets):
            return None
        out.append((found[0], key, np.array(indices)))
    return out


def relative(parent, child):
    """``parent``^-1 @ ``child`` for (..., 4, 4) affine matrices (last row 0 0 0 1): the inverse
    of the 3x3 part from its columns' cross products, five times quicker than a general 4x4
    inverse over a take's joints and frames."""
    a = parent[..., :3, :3]
    c0, c1, c2 = a[..., :, 0], a[..., :, 1], a[..., :, 2]
    rows = np.stack([np.cross(c1, c2), np.cross(c2, c0), np.cross(c0, c1)], axis=-2)
    inverse = rows / np.sum(c0 * rows[..., 0, :], axis=-1)[..., None, None]
    out = np.zeros_like(child)
    out[..., :3, :3] = inverse @ child[..., :3, :3]
    out[..., :3, 3] = (inverse @ (child[..., :3, 3] - parent[..., :3, 3])[..., None])[..., 0]
    out[..., 3, 3] = 1.0
    return out


def joint_nodes(gltf, armature):
    """(node indices, parent positions) of the armature's bones in the glTF's nodes: the bone
    nodes under the armature's node, each in the order of ``armature.pose.bones``; None where
    the file does not hold every bone once, under the armature's node."""
    nodes = gltf.get("nodes", [])
    bone_names = [bone.name for bone in armature.pose.bones]
    wanted = set(bone_names)
    owners = [i for i, node in enumerate(nodes) if node.get("name") == armature.name and "mesh" not in node]
    if len(owners) != 1:
        return None
    found, parent_of = {}, {}
    stack = [(child, None) for child in nodes[owners[0]].get("children", [])]
    while stack:
        index, parent = stack.pop()
        node = nodes[index]
        name = node.get("name")
        if name not in wanted or "mesh" in node or name in found:
            continue
        found[name], parent_of[name] = index, parent
        stack.extend((child, name) for child in node.get("children", []))
    if set(found) != wanted:
        return None
    position = {name: k for k, name in enumerate(bone_names)}
    parents = [-1 if parent_of[name] is None else position[parent_of[name]] for name in bone_names]
    return [found[name] for name in bone_names], parents


def add_animation(gltf, blob, name, seconds, nodes, channels, weights=()):
    """``gltf`` (its JSON) and ``blob`` (its binary buffer, bytes) with one animation added:
    ``channels`` {path: (F, J, width) values} keyed on ``nodes`` (J,) at ``seconds`` (F,), and
    ``weights`` (node, (F, K) morph target weights) pairs. Returns the new binary buffer."""
    out = bytearray(blob)
    views, accessors = gltf.setdefault("bufferViews", []), gltf.setdefault("accessors", [])
    written = {}  # the same values are written once (a rig's many still scales and offsets)

    def accessor(values, kind, bounds=False):
        values = np.ascontiguousarray(values, np.float32)
        key = (values.tobytes(), kind, bounds)
        if key not in written:
            written[key] = _new_accessor(values, kind, bounds)
        return written[key]

    def _new_accessor(values, kind, bounds):
        out.extend(b"\0" * (-len(out) % 4))
        views.append({"buffer": 0, "byteOffset": len(out), "byteLength": values.nbytes})
        out.extend(values.tobytes())
        entry = {"bufferView": len(views) - 1, "componentType": FLOAT, "count": len(values), "type": kind}
        if bounds:
            entry["min"], entry["max"] = [float(values.min())], [float(values.max())]
        accessors.append(entry)
        return len(accessors) - 1

    seconds = np.asarray(seconds, np.float64)
    times = {len(seconds): accessor(seconds, "SCALAR", True)}
    if len(seconds) > 2:
        times[2] = accessor(seconds[[0, -1]], "SCALAR", True)
    samplers, targets = [], []
    keyed = [(node, path, values[:, j]) for j, node in enumerate(nodes) for path, values in channels.items()]
    for node, path, track in keyed + [(node, "weights", values) for node, values in weights]:
        if len(track) > 2 and np.ptp(track, axis=0).max() < CONSTANT:
            track = track[[0, -1]]
        kind = {3: "VEC3", 4: "VEC4"}[track.shape[1]] if path != "weights" else "SCALAR"
        samplers.append({"input": times[len(track)], "interpolation": "LINEAR",
                         "output": accessor(track.reshape(-1, 1) if kind == "SCALAR" else track, kind)})
        targets.append({"sampler": len(samplers) - 1, "target": {"node": node, "path": path}})
    gltf.setdefault("animations", []).append({"name": name, "channels": targets, "samplers": samplers})
    gltf["buffers"][0]["byteLength"] = len(out)
    _animations_after_nodes(gltf)
    return bytes(out)


def _animations_after_nodes(gltf):
    """Move "animations" to where Blender's exporter puts it (after the nodes and cameras), so
    the file reads as Blender's would."""
    keys = [key for key in gltf if key != "animations"]
    at = max((keys.index(key) + 1 for key in ("scenes", "nodes", "cameras") if key in keys), default=len(keys))
    ordered = {key: gltf[key] for key in keys[:at] + ["animations"] + keys[at:]}
    gltf.clear()
    gltf.update(ordered)


def read_glb(path):
    """(JSON dict, binary chunk bytes) of a .glb file."""
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2:
        raise ValueError(f"{path.name} is not a glTF 2.0 binary")
    chunks, offset = {}, 12
    while offset < length:
        size, kind = struct.unpack_from("<II", data, offset)
        chunks[kind] = data[offset + 8:offset + 8 + size]
        offset += 8 + size
    return json.loads(chunks[JSON_CHUNK]), chunks.get(BIN_CHUNK, b"")


def write_glb(path, gltf, blob):
    """Write ``gltf`` and its binary buffer ``blob`` as a .glb."""
    text = json.dumps(gltf, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    blob = bytes(blob) + b"\0" * (-len(blob) % 4)
    length = 12 + 8 + len(text) + 8 + len(blob)
    with open(path, "wb") as out:
        out.write(struct.pack("<III", GLB_MAGIC, 2, length))
        out.write(struct.pack("<II", len(text), JSON_CHUNK) + text)
        out.write(struct.pack("<II", len(blob), BIN_CHUNK) + blob)


def animate_file(path, armature, take, progress=None):
    """Add the take's animation to the glTF at ``path`` (.glb, or .gltf with its .bin beside
    it), progress(fraction) as its frames are evaluated. Returns False, leaving the file as it
    was, where its nodes are not the armature's or a joint is mirrored."""
    import bpy

    binary = path.suffix.lower() == ".glb"
    gltf, blob = read_glb(path) if binary else (json.loads(path.read_text(encoding="utf-8")), None)
    buffers = gltf.get("buffers", [])
    if len(buffers) != 1 or not (binary or "uri" in buffers[0]):
        return False
    if not binary:
        bin_path = path.with_name(buffers[0]["uri"])
        blob = bin_path.read_bytes()
    found, faces = joint_nodes(gltf, armature), face_nodes(gltf, take.face or {})
    if found is None or faces is None:
        return False
    nodes, parents = found
    render = bpy.context.scene.render
    frames = np.arange(take.frame_start, take.frame_end + 1)
    try:
        translation, rotation, scale, *weights = joint_tracks(
            armature, frames, parents, [(key, indices) for _, key, indices in faces], progress=progress)
    except Mirrored:
        return False
    seconds = (frames - frames[0]) / (render.fps / render.fps_base)
    blob = add_animation(gltf, blob, take.action.name, seconds, nodes,
                         {"translation": translation, "rotation": rotation, "scale": scale},
                         [(node, values) for (node, _, _), values in zip(faces, weights)])
    if binary:
        write_glb(path, gltf, blob)
    else:
        bin_path.write_bytes(blob)
        path.write_text(json.dumps(gltf, indent="\t", separators=(",", ":")) + "\n", encoding="utf-8")
    return True
