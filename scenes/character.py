"""Dress an avatar as a person a camera can see: skin, clothes, and a face whose mouth opens
with the take's jaw (bpy module).

The bundled avatar is a grey base mesh with no face. A landmark detector looking at a render
needs what it looks for in a real video: skin-coloured hands and face, a shirt and trousers
that separate the limbs from the torso, eyes, brows, nose, hair, and a mouth whose opening
follows the jaw. Faces of the mesh get a material from the bone that moves them most; the
face parts are small meshes parented to the head bone; the mouth's opening is keyed per frame
from the take's mouth measure, jaw and expressions (the avatar has no jaw bone).
"""

import logging
import math

import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..motion.mouth import mouth_opening
from ..exporters.errors import AvatarError

log = logging.getLogger(__name__)

# Base colours (linear RGB).
COLOURS = {
    "skin": (0.80, 0.52, 0.38),
    "shirt": (0.10, 0.28, 0.55),
    "trousers": (0.12, 0.12, 0.16),
    "shoes": (0.09, 0.05, 0.03),
    "hair": (0.07, 0.04, 0.02),
    "eye_white": (0.92, 0.92, 0.90),
    "iris": (0.05, 0.04, 0.03),
    "brow": (0.06, 0.035, 0.02),
    "lips": (0.55, 0.18, 0.16),
    "mouth": (0.10, 0.02, 0.02),
}

# SMPL-X joint -> clothing of the faces that joint's bone moves most. Joints not listed
# (hands, fingers, head, neck, forearms) are skin.
CLOTHING = {
    "pelvis": "trousers", "left_hip": "trousers", "right_hip": "trousers",
    "left_knee": "trousers", "right_knee": "trousers",
    "left_ankle": "shoes", "right_ankle": "shoes", "left_foot": "shoes", "right_foot": "shoes",
    "spine1": "shirt", "spine2": "shirt", "spine3": "shirt",
    "left_collar": "shirt", "right_collar": "shirt",
    "left_shoulder": "shirt", "right_shoulder": "shirt",
}

# The shirt's reach per sleeve length: the forearms are skin under short sleeves.
SLEEVES = {"short": {}, "long": {"left_elbow": "shirt", "right_elbow": "shirt"}}
SLEEVE_JOINTS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow")
# Share of ``girth`` each part's surface is moved out by: the trunk in full, the upper limbs
# less, the forearms and shins least; the head, neck, hands and feet keep their size (what the
# landmark detector reads first).
BUILD = {"pelvis": 1.0, "spine1": 1.0, "spine2": 1.0, "spine3": 1.0, "left_collar": 0.8,
         "right_collar": 0.8, "left_shoulder": 0.6, "right_shoulder": 0.6, "left_hip": 0.6,
         "right_hip": 0.6, "left_elbow": 0.35, "right_elbow": 0.35, "left_knee": 0.35,
         "right_knee": 0.35}

MOUTH_CLOSED = 0.0015  # metres of lip gap with the jaw at rest
JAW_LENGTH = 0.085  # metres from the jaw hinge to the lower lip: gap = length * sin(angle)


def dress(avatar, animation, motion, look=None):
    """Materials, subdivision and a keyed face on ``avatar`` animated by ``animation``.

    motion : the Motion that was keyed (its jaw opens the mouth frame by frame).
    look : how this person looks (None: the default colours), a dict of
        ``colours`` ({part: linear RGB} over COLOURS), ``hair`` (False: bald), ``stripes``
        ((linear RGB, period in metres): a shirt with horizontal bands of that colour),
        ``girth`` (metres the trunk's surface is moved out along its normals, the limbs' by
        less, the head, hands and feet not at all: a heavier build; negative: a slimmer one),
        ``loose`` (metres the shirt stands off the body besides: a loose top or a jacket) and
        ``sleeves`` ("short", the default, or "long": the shirt down to the wrists) and
        ``scan`` (identity weights: the head a scanned person's, :mod:`.scan_head`, in place
        of the avatar's own with a face of parts).
    Returns the face objects added.
    """
    look = dict(look or {})
    unknown = set(look) - {"colours", "hair", "stripes", "girth", "loose", "sleeves", "scan"}
    if unknown:
        raise AvatarError(avatar.path, f"unknown look settings: {', '.join(sorted(unknown))}")
    if look.get("sleeves", "short") not in SLEEVES:
        raise AvatarError(avatar.path, f"sleeves are {' or '.join(SLEEVES)}, not {look['sleeves']!r}")
    colours = {**COLOURS, **look.get("colours", {})}
    clothing = {**CLOTHING, **SLEEVES[look.get("sleeves", "short")]}
    arm = avatar.armature
    joint_of_bone = _joints_of_bones(arm, animation.bone_map)
    for mesh in avatar.meshes:
        if mesh.type == "MESH":
            weights = _group_weights(mesh)
            _reshape(mesh, weights, joint_of_bone, clothing, float(look.get("girth", 0.0)),
                     float(look.get("loose", 0.0)))
            _clothe(mesh, weights, joint_of_bone, colours, look.get("stripes"), clothing)
    head_bone = animation.bone_map.bones.get("head")
    if head_bone is None or head_bone not in arm.data.bones:
        raise AvatarError(avatar.path, "the bone map has no head bone to hang a face on")
    # Build the face on the rest pose, where the mesh's stored vertices are where they show.
    arm.data.pose_position = "REST"
    bpy.context.view_layer.update()
    try:
        head = _head_box(avatar, arm, head_bone, animation)
        if "scan" in look:
            return [_scan_head(avatar, head, arm, head_bone, look, colours, motion,
                               animation.frame_start)]
        parts = _face(head, arm, head_bone, look.get("hair", True))
    finally:
        arm.data.pose_position = "POSE"
        bpy.context.view_layer.update()
    for name, colour in colours.items():  # the face parts' materials, in this look's colours
        material(f"talkrig {name}", colour)
    _key_mouth(parts["mouth"], parts["lower_lip"], motion, animation.frame_start, head)
    return list(parts.values())


def _scan_head(avatar, head, arm, head_bone, look, colours, motion, frame_start):
    """The avatar's head replaced by a scanned person's (:mod:`.scan_head`), keyed to speak;
    each of its parts in the look's colour of the same name."""
    from . import scan_head

    bald = not look.get("hair", True)

    def material_of(part):
        part = "skin" if bald and part == "hair" else part
        return material(f"talkrig {part}", colours[part])

    scan_head.remove_head_faces(avatar, head_bone)
    obj = scan_head.add_scan_head(head, look["scan"], material_of)
    _parent_to_bone(obj, arm, head_bone)
    scan_head.key_jaw(obj, motion, frame_start)
    return obj


def _joints_of_bones(arm, bone_map):
    """{bone: SMPL-X joint} for every bone: its own joint, else its nearest mapped ancestor's."""
    mapped = {bone: joint for joint, bone in bone_map.bones.items()}
    out = {}
    for bone in arm.data.bones:
        b = bone
        while b is not None and b.name not in mapped:
            b = b.parent
        if b is not None:
            out[bone.name] = mapped[b.name]
    return out


def material(name, colour, roughness=0.6):
    """A material that looks the same in Workbench (its display colour) and Eevee/Cycles."""
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    colour = tuple(colour)[:3]
    mat.diffuse_color = (*colour, 1.0)
    mat.roughness = roughness
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (*colour, 1.0)
        bsdf.inputs["Roughness"].default_value = roughness
    return mat


def _group_weights(mesh):
    """(V, G) each vertex's weight in each vertex group of ``mesh``."""
    weights = np.zeros((len(mesh.data.vertices), len(mesh.vertex_groups)))
    for v in mesh.data.vertices:
        for g in v.groups:
            weights[v.index, g.group] += g.weight
    return weights


def _reshape(mesh, weights, joint_of_bone, clothing, girth, loose):
    """Move the rest mesh's surface out along its normals: ``girth`` metres times each part's
    BUILD share, and ``loose`` metres more where the shirt is (half on the sleeves), blended by
    the skin ``weights`` (:func:`_group_weights`) so no seam opens between parts."""
    if not girth and not loose:
        return
    shares = []
    for group in mesh.vertex_groups:
        joint = joint_of_bone.get(group.name)
        off = loose * (0.5 if joint in SLEEVE_JOINTS else 1.0) if clothing.get(joint) == "shirt" else 0.0
        shares.append(girth * BUILD.get(joint, 0.0) + off)
    total = weights.sum(axis=1)
    amount = np.divide(weights @ np.asarray(shares), total, out=np.zeros_like(total), where=total > 0)
    n = len(mesh.data.vertices)
    co, normal = np.zeros(3 * n), np.zeros(3 * n)
    mesh.data.vertices.foreach_get("co", co)
    mesh.data.vertices.foreach_get("normal", normal)
    co = co.reshape(n, 3) + amount[:, None] * normal.reshape(n, 3)
    mesh.data.vertices.foreach_set("co", co.reshape(-1))
    mesh.data.update()


def _clothe(mesh, weights, joint_of_bone, colours=COLOURS, stripes=None, clothing=CLOTHING):
    """One material per face, from the joint whose bone weighs most on the face's vertices
    (``weights``: :func:`_group_weights`; ``clothing``: joint -> part); with ``stripes``
    (colour, period), every other band of the shirt (by rest height) in that colour."""
    names = ["skin", "shirt", "trousers", "shoes"]
    mesh.data.materials.clear()
    for name in names:
        mesh.data.materials.append(material(f"talkrig {name}", colours[name]))
    if stripes is not None:
        mesh.data.materials.append(material("talkrig shirt band", stripes[0]))
    slot_of_group = np.zeros((len(mesh.vertex_groups), len(names)))
    for group in mesh.vertex_groups:
        slot_of_group[group.index, names.index(clothing.get(joint_of_bone.get(group.name), "skin"))] = 1.0
    slot_weight = weights @ slot_of_group
    for poly in mesh.data.polygons:
        weight = slot_weight[list(poly.vertices)].sum(axis=0)
        poly.material_index = int(np.argmax(weight))
        if stripes is not None and poly.material_index == names.index("shirt"):
            height = np.array(mesh.matrix_world @ poly.center)[2]
            if int(np.floor(height / stripes[1])) % 2:
                poly.material_index = len(names)
        poly.use_smooth = True
    if not any(m.type == "SUBSURF" for m in mesh.modifiers):
        sub = mesh.modifiers.new("talkrig smooth", "SUBSURF")
        sub.levels = sub.render_levels = 1


class _HeadBox:
    """Where the face goes, in world space at the first frame: centre, axes, half sizes."""

    def __init__(self, centre, right, up, forward, half):
        self.centre, self.right, self.up, self.forward = centre, right, up, forward
        self.half = half  # (half width, half height, half depth)

    def point(self, x, y, z):
        """World point at (x, y, z) fractions of the half sizes along right, up, forward."""
        return (self.centre + self.right * x * self.half[0] + self.up * y * self.half[1]
                + self.forward * z * self.half[2])

    def basis(self):
        """(3, 3) columns: the part's local x (right), y (forward), z (up) in world space."""
        return np.column_stack([self.right, self.forward, self.up])


def _head_box(avatar, arm, head_bone, animation):
    """The head's extent in the rest pose, from the mesh vertices its bone moves most."""
    points = []
    for mesh in avatar.meshes:
        if mesh.type != "MESH" or head_bone not in mesh.vertex_groups:
            continue
        index = mesh.vertex_groups[head_bone].index
        co = [v.co for v in mesh.data.vertices
              if v.groups and max(v.groups, key=lambda g: g.weight).group == index]
        if co:
            world = np.array(mesh.matrix_world)
            points.append(np.array(co) @ world[:3, :3].T + world[:3, 3])
    if sum(len(p) for p in points) < 8:
        raise AvatarError(avatar.path, f"no mesh vertices follow the head bone {head_bone!r}")
    points = np.concatenate(points)
    # The character's axes in the rest pose: SMPL-X's (x left, y up, z forward) in the world.
    axes = np.array(arm.matrix_world)[:3, :3] @ animation.plan.frame
    axes /= np.linalg.norm(axes, axis=0)
    basis = np.column_stack([-axes[:, 0], axes[:, 1], axes[:, 2]])  # right, up, forward
    local = points @ basis
    lo, hi = local.min(axis=0), local.max(axis=0)
    return _HeadBox(basis @ ((lo + hi) / 2), basis[:, 0], basis[:, 1], basis[:, 2], (hi - lo) / 2)


def _face(head, arm, head_bone, hair=True):
    """Eyes, irises, brows, nose, lips, mouth and (unless ``hair`` is False) hair, parented to
    the head bone."""
    w, h, d = head.half
    parts = {}
    eye_r = 0.16 * w
    for side, x in (("left", -0.38), ("right", 0.38)):
        eye = head.point(x, 0.18, 0.80)
        parts[f"{side}_eye"] = _sphere(f"{side} eye", eye, (eye_r, eye_r * 0.7, eye_r * 0.75),
                                       head, "eye_white")
        parts[f"{side}_iris"] = _sphere(f"{side} iris", eye + head.forward * eye_r * 0.55,
                                        (eye_r * 0.5, eye_r * 0.3, eye_r * 0.5), head, "iris")
        parts[f"{side}_brow"] = _box(f"{side} brow", head.point(x, 0.36, 0.86),
                                     (eye_r * 1.5, eye_r * 0.3, eye_r * 0.22), head, "brow")
    parts["nose"] = _box("nose", head.point(0.0, -0.02, 0.98), (0.09 * w, 0.14 * d, 0.16 * h),
                         head, "skin")
    parts["upper_lip"] = _box("upper lip", head.point(0.0, -0.38, 0.86),
                              (0.30 * w, 0.06 * d, 0.030 * h), head, "lips")
    # The mouth's top sits under the upper lip; the lower lip just under the closed mouth.
    lip_h = 0.030 * h
    top = -0.38 * h - lip_h
    parts["mouth"] = _box("mouth", head.centre + head.up * (top - MOUTH_CLOSED / 2)
                          + head.forward * 0.84 * d, (0.27 * w, 0.05 * d, 1.0), head, "mouth")
    parts["lower_lip"] = _box("lower lip", head.centre + head.up * (top - MOUTH_CLOSED - lip_h)
                              + head.forward * 0.86 * d, (0.28 * w, 0.06 * d, lip_h), head,
                              "lips")
    if hair:
        parts["hair"] = _sphere("hair", head.point(0.0, 0.42, -0.12),
                                (1.06 * w, 1.05 * d, 0.62 * h), head, "hair")
    for obj in parts.values():
        _parent_to_bone(obj, arm, head_bone)
    return parts


def _new_object(name, mesh, location, head, colour):
    obj = bpy.data.objects.new(f"talkrig {name}", mesh)
    bpy.context.scene.collection.objects.link(obj)
    rotation = Matrix(head.basis().tolist()).to_quaternion()
    obj.matrix_world = Matrix.LocRotScale(Vector(location), rotation, None)
    obj.data.materials.append(material(f"talkrig {colour}", COLOURS[colour]))
    return obj


def _sphere(name, location, radii, head, colour):
    """A UV sphere with radii (right, forward, up) in metres."""
    mesh = bpy.data.meshes.new(f"talkrig {name}")
    verts, faces = _uv_sphere(12, 8)
    mesh.from_pydata((verts * np.asarray(radii)).tolist(), [], faces)
    for poly in mesh.polygons:
        poly.use_smooth = True
    return _new_object(name, mesh, location, head, colour)


def _box(name, location, half, head, colour):
    """A box with half sizes (right, forward, up) in metres; ``up`` 1.0 is scaled later."""
    mesh = bpy.data.meshes.new(f"talkrig {name}")
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    mesh.from_pydata((corners * np.asarray(half)).tolist(), [], faces)
    return _new_object(name, mesh, location, head, colour)


def _uv_sphere(segments, rings):
    verts = [(0.0, 0.0, -1.0)]
    for r in range(1, rings):
        theta = math.pi * r / rings - math.pi / 2
        for s in range(segments):
            phi = 2 * math.pi * s / segments
            verts.append((math.cos(theta) * math.cos(phi), math.cos(theta) * math.sin(phi),
                          math.sin(theta)))
    verts.append((0.0, 0.0, 1.0))
    top = len(verts) - 1
    faces = []
    for s in range(segments):
        faces.append((0, 1 + (s + 1) % segments, 1 + s))
    for r in range(rings - 2):
        a, b = 1 + r * segments, 1 + (r + 1) * segments
        for s in range(segments):
            t = (s + 1) % segments
            faces.append((a + s, a + t, b + t, b + s))
    last = 1 + (rings - 2) * segments
    for s in range(segments):
        faces.append((last + s, last + (s + 1) % segments, top))
    return np.array(verts), faces


def _parent_to_bone(obj, arm, bone_name):
    """Parent ``obj`` to a bone, keeping its current world placement."""
    world = obj.matrix_world.copy()
    obj.parent = arm
    obj.parent_type = "BONE"
    obj.parent_bone = bone_name
    bpy.context.view_layer.update()
    obj.matrix_world = world


def _key_mouth(mouth, lower_lip, motion, frame_start, head):
    """Key the mouth's opening from the jaw: its top stays under the upper lip, its height is
    the lip gap, and the lower lip drops by the same gap."""
    gap = MOUTH_CLOSED + JAW_LENGTH * np.sin(mouth_opening(motion))  # (T,) metres
    for obj, drop, scaled in ((mouth, 0.5, True), (lower_lip, 1.0, False)):
        down = _parent_direction(obj, -head.up)
        start = np.array(obj.location)
        for i, g in enumerate(gap):
            frame = frame_start + i
            obj.location = tuple(start + down * (g - MOUTH_CLOSED) * drop)
            obj.keyframe_insert("location", frame=frame)
            if scaled:
                obj.scale = (1.0, 1.0, g / 2)
                obj.keyframe_insert("scale", index=2, frame=frame)


def _parent_direction(obj, direction):
    """A world direction expressed in ``obj``'s parent space (for keying its location)."""
    parent_world = np.array(obj.matrix_world) @ np.linalg.inv(np.array(obj.matrix_basis))
    return np.linalg.inv(parent_world[:3, :3]) @ np.asarray(direction)
