"""A head with a person's proportions, for person videos a landmark detector reads as it reads
people (bpy module).

The dressed avatar's own face (:func:`.character._face`) is boxes and spheres on a grey base
mesh: MediaPipe finds a face in it, but reads its turn from a shape no person has, so what
capture's head figures say of people could not be told from what they say of that face. This
head is ICT-FaceKit's face model (MIT; ``scenes/assets/``): light-stage scans' mean head,
varied by the model's first identity modes, its mouth opened by the model's own jawOpen shape.
It replaces the avatar's head: the faces its head bone moves are removed and this mesh is
parented to the bone, scaled to the avatar's head height.
"""

from pathlib import Path

import bpy
import bmesh
import numpy as np

from ..exporters.errors import AvatarError
from ..motion.mouth import JAW_OPEN_RADIANS, mouth_opening

ASSET = Path(__file__).resolve().parent / "assets" / "scan_head.npz"
HEAD_BOX_HEIGHT = 0.241  # metres: the bundled avatar's head, on which the model keeps its own size


def load_scan_head():
    with np.load(ASSET) as data:
        return {key: data[key] for key in data.files}


def shaped(data, identity):
    """(V, 3) vertices, metres, of the mean head moved by ``identity`` weights (one per kept
    mode; fewer: the rest 0)."""
    weights = np.zeros(len(data["identity"]))
    given = np.asarray(identity, np.float64)[: len(weights)]
    weights[: len(given)] = given
    return data["vertices"] + np.tensordot(weights, data["identity"].astype(np.float64), axes=1)


def add_scan_head(head, identity, material_of):
    """The scan head object, placed on ``head`` (the avatar's head box), with a jawOpen shape
    key (its parent is the caller's to set).

    material_of(part) : the bpy material of each part the asset names (skin, lips, brow, hair,
    eye_white, iris, mouth).
    """
    data = load_scan_head()
    verts = shaped(data, identity)
    scale = 2.0 * head.half[1] / HEAD_BOX_HEIGHT
    # the crown at the top of the box, the nose tip at its front
    front_top = head.centre + head.up * head.half[1] + head.forward * head.half[2]
    world = front_top + scale * _to_box(verts - [0.0, verts[:, 1].max(), verts[:, 2].max()], head)
    mesh = bpy.data.meshes.new("talkrig scan head")
    counts = data["counts"].astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    loops = data["loops"]
    faces = [tuple(loops[s:s + c])[::-1] for s, c in zip(starts, counts)]  # mirrored: flip winding
    mesh.from_pydata(world.tolist(), [], faces)
    for name in data["parts"]:
        mesh.materials.append(material_of(str(name)))
    mesh.polygons.foreach_set("material_index", data["part"].astype(np.int32))
    mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), bool))
    obj = bpy.data.objects.new("talkrig scan head", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    jaw = obj.shape_key_add(name="jawOpen")
    moved = world + scale * _to_box(data["jaw_open"].astype(np.float64), head)
    jaw.data.foreach_set("co", moved.astype(np.float32).ravel())
    return obj


def _to_box(offsets, head):
    """Model-axis offsets (V, 3) as world offsets in the head box's axes (unscaled): the model's
    x is the subject's left, the box's right its -x."""
    return (-offsets[:, :1] * head.right + offsets[:, 1:2] * head.up + offsets[:, 2:3] * head.forward)


def key_jaw(obj, motion, frame_start):
    """Key the jawOpen shape from the take's mouth opening (ARKit's jawOpen: 1 wide open)."""
    block = obj.data.shape_keys.key_blocks["jawOpen"]
    weights = np.clip(mouth_opening(motion) / JAW_OPEN_RADIANS, 0.0, 1.0)
    for i, w in enumerate(weights):
        block.value = float(w)
        block.keyframe_insert("value", frame=frame_start + i)


def remove_head_faces(avatar, head_bone):
    """Delete the avatar's faces whose vertices its head bone moves most (the scan head takes
    their place); their neck stays."""
    removed = 0
    for mesh in avatar.meshes:
        if mesh.type != "MESH" or head_bone not in mesh.vertex_groups:
            continue
        index = mesh.vertex_groups[head_bone].index
        on_head = np.array([bool(v.groups) and max(v.groups, key=lambda g: g.weight).group == index
                            for v in mesh.data.vertices])
        bm = bmesh.new()
        bm.from_mesh(mesh.data)
        bm.faces.ensure_lookup_table()
        gone = [f for f in bm.faces if all(on_head[v.index] for v in f.verts)]
        bmesh.ops.delete(bm, geom=gone, context="FACES")
        bm.to_mesh(mesh.data)
        bm.free()
        removed += len(gone)
    if not removed:
        raise AvatarError(avatar.path, f"no faces follow the head bone {head_bone!r} to replace")
    return removed
