"""A test head with ARKit's 52 blend shapes as shape keys that move real vertices (bpy module).

    head = build_face_head()             # a mesh object in the current scene, facing -Y
    gap = lip_gap(head, positions)       # metres between the lips for (N, 3) vertex positions

Made from simple parts in one mesh (skin, lips, a dark mouth between them, teeth, tongue,
eyes with lids, brows, nose), each shape key a displacement field over those parts: jawOpen
turns the chin, lower teeth and lower lip about the jaw's hinge by JAW_OPEN_RADIANS, mouthClose
brings the lips back together against it (ARKit's convention), eyeBlink slides the lid over the
eye, and so on. It is what talkrig's own tests, previews and benchmarks speak with, and a
quick way to see a face take without a character of your own.

Axes: Blender's, metres; the head faces -Y, the subject's left (ARKit ``_L``) is +X.
"""

import math

import numpy as np

from ..motion.facecurves import ARKIT_NAMES, JAW_OPEN_RADIANS

MOUTH_Z = -0.048  # height of the lip line
LIP_HALF_WIDTH = 0.026
UPPER_R, LOWER_R = 0.0045, 0.0052  # lip thickness (tube radius at the middle)
REST_GAP = 0.0003  # metres between the lips at rest
JAW_PIVOT = np.array([0.0, -0.005, -0.02])  # the jaw's hinge (the x axis through this point)
EYE_X, EYE_Z, EYE_R = 0.03, 0.02, 0.012
LID_R = 1.15 * EYE_R
LID_OPEN, LID_CLOSED = math.radians(70.0), math.radians(172.0)  # lid edge, from the top
SHELL = np.array([0.078, 0.092, 0.108])  # head ellipsoid radii (x, y, z)
LOOK = 0.5  # radians an eyeLook* of 1 turns the eye

PARTS = ("skin", "lip_upper", "lip_lower", "mouth", "teeth_upper", "teeth_lower", "tongue",
         "eye_L", "eye_R", "iris_L", "iris_R", "lid_L", "lid_R", "brow_L", "brow_R", "nose")
COLOURS = {"skin": (0.80, 0.62, 0.52), "lip": (0.66, 0.30, 0.30), "mouth": (0.07, 0.02, 0.02),
           "teeth": (0.95, 0.95, 0.90), "tongue": (0.80, 0.36, 0.40), "eye": (0.96, 0.96, 0.96),
           "iris": (0.12, 0.22, 0.42), "brow": (0.22, 0.15, 0.10)}
MARKERS = ("lip_upper_mid", "lip_lower_mid")  # vertex groups of the two lip points measured


def shell_front(x, z):
    """y of the head's front surface at (x, z) (negative: the face is toward -Y)."""
    inside = np.clip(1.0 - (x / SHELL[0]) ** 2 - (z / SHELL[2]) ** 2, 0.0, 1.0)
    return -SHELL[1] * np.sqrt(inside)


class _Builder:
    """Vertices, faces and a part label per vertex, added part by part."""

    def __init__(self):
        self.verts, self.faces, self.part = [], [], []

    def add(self, part, verts, faces):
        base = sum(len(v) for v in self.verts)
        self.verts.append(np.asarray(verts, np.float64))
        self.faces.extend([tuple(base + i for i in face) for face in faces])
        self.part.extend([PARTS.index(part)] * len(verts))
        return base

    def ellipsoid(self, part, centre, radii, segments=24, rings=16):
        phi = np.linspace(0.0, math.pi, rings + 1)[1:-1]
        theta = np.linspace(0.0, 2 * math.pi, segments, endpoint=False)
        p, t = np.meshgrid(phi, theta, indexing="ij")
        ring_verts = np.stack([np.sin(p) * np.cos(t), np.sin(p) * np.sin(t), np.cos(p)], -1).reshape(-1, 3)
        verts = np.concatenate([[[0, 0, 1]], ring_verts, [[0, 0, -1]]]) * radii + centre
        faces = [(0, 1 + (j + 1) % segments, 1 + j) for j in range(segments)]
        for i in range(rings - 2):
            for j in range(segments):
                a, b = 1 + i * segments + j, 1 + i * segments + (j + 1) % segments
                faces.append((a, b, b + segments, a + segments))
        last = len(verts) - 1
        faces += [(last, 1 + (rings - 2) * segments + j, 1 + (rings - 2) * segments + (j + 1) % segments)
                  for j in range(segments)]
        return self.add(part, verts, faces)

    def grid(self, part, points):
        """A quad grid from (U, V, 3) points."""
        nu, nv = points.shape[:2]
        faces = [(i * nv + j, i * nv + j + 1, (i + 1) * nv + j + 1, (i + 1) * nv + j)
                 for i in range(nu - 1) for j in range(nv - 1)]
        return self.add(part, points.reshape(-1, 3), faces)

    def tube(self, part, centres, radii, around=12, flatten=0.8):
        """A closed tube through (S, 3) centres running along x, with (S,) radii."""
        theta = 2 * math.pi * np.arange(around) / around
        ring = np.stack([np.zeros(around), -flatten * np.cos(theta), np.sin(theta)], -1)
        verts = (centres[:, None, :] + radii[:, None, None] * ring[None]).reshape(-1, 3)
        n = len(centres)
        faces = [(i * around + j, i * around + (j + 1) % around,
                  (i + 1) * around + (j + 1) % around, (i + 1) * around + j)
                 for i in range(n - 1) for j in range(around)]
        faces.append(tuple(range(around))[::-1])
        faces.append(tuple((n - 1) * around + j for j in range(around)))
        return self.add(part, verts, faces)

    def arrays(self):
        return np.concatenate(self.verts), self.faces, np.asarray(self.part)


def _lip_line(n=21):
    """(S,) x and (S, 3) points along the lip line on the face, and the lip radius profile."""
    x = np.linspace(-LIP_HALF_WIDTH, LIP_HALF_WIDTH, n)
    y = shell_front(x, MOUTH_Z) - 0.004
    profile = np.sqrt(np.clip(1.0 - (x / LIP_HALF_WIDTH) ** 2, 0.0, 1.0)) * 0.85 + 0.15
    return x, np.stack([x, y, np.full(n, MOUTH_Z)], -1), profile


def head_geometry():
    """(N, 3) vertices, faces, (N,) part index, {marker: vertex index}."""
    b = _Builder()
    b.ellipsoid("skin", np.zeros(3), SHELL, segments=48, rings=36)
    x, line, profile = _lip_line()
    mid = len(x) // 2
    upper_r, lower_r = UPPER_R * profile, LOWER_R * profile
    up = line + np.stack([0 * x, 0 * x, upper_r + REST_GAP / 2], -1)
    low = line - np.stack([0 * x, 0 * x, lower_r + REST_GAP / 2], -1)
    upper_base = b.tube("lip_upper", up, upper_r)
    lower_base = b.tube("lip_lower", low, lower_r)
    around = 12  # the tube ring's vertex 9 is its bottom, vertex 3 its top
    markers = {"lip_upper_mid": upper_base + mid * around + 9,
               "lip_lower_mid": lower_base + mid * around + 3}
    v = np.linspace(0.0, 1.0, 6)
    behind = line + np.array([0.0, 0.0025, 0.0])
    membrane = behind[:, None, :] + np.stack([0 * v, 0 * v, 0.5 * UPPER_R - v * 0.5 * (UPPER_R + LOWER_R)], -1)[None]
    b.grid("mouth", membrane)
    tx = np.linspace(-0.018, 0.018, 9)
    ty = shell_front(tx, MOUTH_Z) - 0.0025  # between the lips and the dark mouth behind them
    for part, z0, z1 in (("teeth_upper", MOUTH_Z + 0.0003, MOUTH_Z + 0.0045),
                         ("teeth_lower", MOUTH_Z - 0.0045, MOUTH_Z - 0.0003)):
        zz = np.linspace(z0, z1, 3)
        b.grid(part, np.stack(np.broadcast_arrays(tx[:, None], ty[:, None], zz[None, :]), -1))
    b.ellipsoid("tongue", np.array([0.0, shell_front(0.0, MOUTH_Z) + 0.006, MOUTH_Z - 0.003]),
                np.array([0.012, 0.008, 0.003]), segments=12, rings=8)
    for side, sx in (("L", 1.0), ("R", -1.0)):
        centre = _eye_centre(sx)
        b.ellipsoid(f"eye_{side}", centre, np.full(3, EYE_R), segments=20, rings=12)
        b.ellipsoid(f"iris_{side}", centre + np.array([0.0, -0.92 * EYE_R, 0.0]),
                    np.array([0.5 * EYE_R, 0.12 * EYE_R, 0.5 * EYE_R]), segments=12, rings=6)
        b.add(f"lid_{side}", *_lid(centre))
        bx = sx * np.linspace(0.013, 0.046, 9)
        bz = EYE_Z + 0.024 - 60.0 * (np.abs(bx) - 0.03) ** 2
        brow = np.stack([bx, shell_front(bx, bz) - 0.001, bz], -1)
        b.tube(f"brow_{side}", brow, np.full(len(bx), 0.0026), around=8, flatten=0.6)
    b.ellipsoid("nose", np.array([0.0, shell_front(0.0, -0.012) - 0.004, -0.012]),
                np.array([0.009, 0.012, 0.016]), segments=16, rings=10)
    verts, faces, part = b.arrays()
    return verts, faces, part, markers


def _eye_centre(sx):
    return np.array([sx * EYE_X, shell_front(sx * EYE_X, EYE_Z) + 0.005, EYE_Z])


def _lid(centre, segments=20, rings=8):
    """A spherical cap over the eye from the top down to the lid edge (open)."""
    phi = np.linspace(0.0, LID_OPEN, rings + 1)[1:]
    theta = np.linspace(0.0, 2 * math.pi, segments, endpoint=False)
    p, t = np.meshgrid(phi, theta, indexing="ij")
    ring_verts = np.stack([np.sin(p) * np.cos(t), np.sin(p) * np.sin(t), np.cos(p)], -1).reshape(-1, 3)
    verts = np.concatenate([[[0, 0, 1]], ring_verts]) * LID_R + centre
    faces = [(0, 1 + (j + 1) % segments, 1 + j) for j in range(segments)]
    for i in range(rings - 1):
        for j in range(segments):
            a, b = 1 + i * segments + j, 1 + i * segments + (j + 1) % segments
            faces.append((a, b, b + segments, a + segments))
    return verts, faces


def _rotate_x(points, pivot, angle):
    """Points turned by ``angle`` radians about the x axis through ``pivot``."""
    p = points - pivot
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([p[:, 0], c * p[:, 1] - s * p[:, 2], s * p[:, 1] + c * p[:, 2]], -1) + pivot


def _rotate(points, pivot, yaw, pitch):
    """Points turned about ``pivot``: yaw about z (+: toward +X), then pitch about x (+: down)."""
    p = points - pivot
    c, s = math.cos(yaw), math.sin(yaw)
    p = np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1], p[:, 2]], -1)
    return _rotate_x(p, np.zeros(3), pitch) + pivot


def _smooth(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def shape_deltas(verts, part):
    """{ARKit name: (N, 3) displacement} of every shape key (see the module doc)."""
    n = len(verts)
    x, y, z = verts[:, 0], verts[:, 1], verts[:, 2]
    is_ = {name: part == PARTS.index(name) for name in PARTS}
    lips = is_["lip_upper"] | is_["lip_lower"]
    mouth_parts = lips | is_["mouth"] | is_["teeth_upper"] | is_["teeth_lower"] | is_["tongue"]
    membrane_v = np.clip((MOUTH_Z + 0.5 * UPPER_R - z) / (0.5 * (UPPER_R + LOWER_R)), 0.0, 1.0)
    # how much each vertex follows the jaw
    jaw_w = np.zeros(n)
    skin = is_["skin"]
    jaw_w[skin] = _smooth((MOUTH_Z + 0.002 - z[skin]) / 0.018) * _smooth((0.03 - y[skin]) / 0.05)
    jaw_w[is_["lip_lower"] | is_["teeth_lower"] | is_["tongue"]] = 1.0
    jaw_w[is_["mouth"]] = membrane_v[is_["mouth"]]
    opened = _rotate_x(verts, JAW_PIVOT, JAW_OPEN_RADIANS) - verts
    d = {name: np.zeros((n, 3)) for name in ARKIT_NAMES}
    d["jawOpen"] = jaw_w[:, None] * opened
    # mouthClose: lower lip back up 60 %, upper lip down 40 % of the jaw's pull on the lower lip
    lower_pull = opened[is_["lip_lower"] & (np.abs(x) < 0.002)].mean(0)
    # (the teeth go with the lips here, so that closed lips always hide them)
    close_w = np.where(is_["lip_upper"] | is_["teeth_upper"], 0.4, 0.0) + \
        np.where(is_["lip_lower"] | is_["teeth_lower"], -0.6, 0.0)
    close_w[is_["mouth"]] = 0.4 - membrane_v[is_["mouth"]]
    d["mouthClose"] = close_w[:, None] * lower_pull
    d["jawForward"] = jaw_w[:, None] * [0.0, -0.006, 0.0]
    d["jawLeft"] = jaw_w[:, None] * [0.008, 0.0, 0.0]
    d["jawRight"] = jaw_w[:, None] * [-0.008, 0.0, 0.0]

    centre_w = np.where(lips, _smooth(1.0 - np.abs(x) / LIP_HALF_WIDTH), 0.0)
    up_w, low_w = is_["lip_upper"].astype(float), is_["lip_lower"].astype(float)
    d["mouthFunnel"] = mouth_parts[:, None] * np.stack(
        [-0.25 * x, -0.006 * centre_w, 0.003 * centre_w * up_w - 0.004 * centre_w * low_w], -1)
    narrow = -0.35 * x * np.abs(x) / LIP_HALF_WIDTH  # the corners come in, and what is behind them
    d["mouthPucker"] = mouth_parts[:, None] * np.stack(
        [narrow, -0.008 * _smooth(1.2 - np.abs(x) / LIP_HALF_WIDTH) * lips, 0.0 * x], -1)
    d["mouthLeft"] = mouth_parts[:, None] * [0.006, 0.0, 0.0]
    d["mouthRight"] = mouth_parts[:, None] * [-0.006, 0.0, 0.0]
    d["mouthRollLower"] = low_w[:, None] * [0.0, 0.0015, 0.5 * LOWER_R]
    d["mouthRollUpper"] = up_w[:, None] * [0.0, 0.004, -0.6 * UPPER_R]
    d["mouthShrugLower"] = low_w[:, None] * [0.0, -0.002, 0.003]
    d["mouthShrugUpper"] = up_w[:, None] * [0.0, -0.001, 0.003]
    cheek_near = skin & (np.abs(z - MOUTH_Z) < 0.03) & (y < -0.04)
    for side, sx in (("L", 1.0), ("R", -1.0)):
        half = lips & (sx * x > 0)
        corner = np.where(lips, _smooth(sx * x / LIP_HALF_WIDTH), 0.0)
        side_w = np.where(lips, _smooth(1.0 - np.abs(sx * x / LIP_HALF_WIDTH - 0.35) / 0.85), 0.0)
        d[f"mouthSmile_{side}"] = corner[:, None] * [sx * 0.003, 0.002, 0.006]
        d[f"mouthFrown_{side}"] = corner[:, None] * [0.0, 0.0, -0.005]
        d[f"mouthDimple_{side}"] = corner[:, None] * [sx * 0.002, 0.003, 0.0]
        d[f"mouthStretch_{side}"] = corner[:, None] * [sx * 0.006, 0.001, -0.002]
        d[f"mouthPress_{side}"] = (half * (0.001 * low_w - 0.001 * up_w))[:, None] * [0.0, 0.0, 1.0]
        d[f"mouthLowerDown_{side}"] = (side_w * low_w)[:, None] * [0.0, 0.0, -0.006]
        d[f"mouthUpperUp_{side}"] = (side_w * up_w)[:, None] * [0.0, -0.001, 0.005]
        cheek = cheek_near & (sx * x > 0.025)
        cheek_w = np.where(cheek, _smooth(1.0 - np.hypot(x - sx * 0.045, z - (MOUTH_Z + 0.012)) / 0.025), 0.0)
        d["cheekPuff"] += cheek_w[:, None] * [sx * 0.007, -0.003, 0.0]
        d[f"cheekSquint_{side}"] = cheek_w[:, None] * [0.0, -0.001, 0.004]
        nose_side = is_["nose"] & (sx * x > 0.002)
        d[f"noseSneer_{side}"] = nose_side[:, None] * [0.0, 0.0, 0.003]
        eye = is_[f"eye_{side}"] | is_[f"iris_{side}"]
        centre = _eye_centre(sx)
        for name, yaw, pitch in (("Out", sx * LOOK, 0.0), ("In", -sx * LOOK, 0.0),
                                 ("Up", 0.0, -LOOK), ("Down", 0.0, LOOK)):
            turned = _rotate(verts[eye], centre, yaw, pitch)
            d[f"eyeLook{name}_{side}"][eye] = turned - verts[eye]
        lid = is_[f"lid_{side}"]
        for name, edge in (("eyeBlink", LID_CLOSED), ("eyeWide", 0.75 * LID_OPEN),
                           ("eyeSquint", 1.25 * LID_OPEN)):
            d[f"{name}_{side}"][lid] = _slide_lid(verts[lid], centre, edge)
        brow = is_[f"brow_{side}"]
        inner = np.where(brow, _smooth(1.0 - (np.abs(x) - 0.013) / 0.02), 0.0)
        outer = np.where(brow, _smooth((np.abs(x) - 0.02) / 0.025), 0.0)
        d["browInnerUp"] += inner[:, None] * [0.0, 0.0, 0.008]
        d[f"browOuterUp_{side}"] = outer[:, None] * [0.0, 0.0, 0.008]
        d[f"browDown_{side}"] = brow[:, None] * [-sx * 0.002, 0.0, -0.005]
    d["tongueOut"] = is_["tongue"][:, None] * [0.0, -0.016, -0.002]
    return d


def _slide_lid(lid_verts, centre, edge):
    """Displacement that moves the lid's edge from LID_OPEN to ``edge`` (angle from the top),
    each vertex sliding along the lid's sphere in proportion."""
    p = lid_verts - centre
    r = np.linalg.norm(p, axis=1)
    phi = np.arccos(np.clip(p[:, 2] / np.maximum(r, 1e-12), -1.0, 1.0))
    theta = np.arctan2(p[:, 1], p[:, 0])
    new_phi = phi * (edge / LID_OPEN)
    moved = np.stack([np.sin(new_phi) * np.cos(theta), np.sin(new_phi) * np.sin(theta), np.cos(new_phi)], -1)
    return moved * r[:, None] + centre - lid_verts


def build_face_head(name="talkrig head", location=(0.0, 0.0, 0.0), collection=None):
    """A new mesh object with the test head and its 52 ARKit shape keys, linked to
    ``collection`` (default: the scene's); returns the object."""
    import bpy

    verts, faces, part, markers = head_geometry()
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(verts.tolist(), [], faces)
    mesh.update()
    _materials(mesh, part, faces)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    (collection or bpy.context.scene.collection).objects.link(obj)
    for marker, index in markers.items():
        obj.vertex_groups.new(name=marker).add([int(index)], 1.0, "REPLACE")
    obj.shape_key_add(name="Basis", from_mix=False)
    for key_name, delta in shape_deltas(verts, part).items():
        block = obj.shape_key_add(name=key_name, from_mix=False)
        block.data.foreach_set("co", (verts + delta).astype(np.float32).ravel())
        block.value = 0.0
    mesh.update()
    return obj


def _materials(mesh, part, faces):
    import bpy

    colour_of = {p: ("lip" if p.startswith("lip") else "teeth" if p.startswith("teeth")
                     else p.split("_")[0]) for p in PARTS}
    colour_of["lid_L"] = colour_of["lid_R"] = colour_of["nose"] = "skin"
    names = list(COLOURS)
    for key in names:
        mat = bpy.data.materials.get(f"talkrig head {key}") or bpy.data.materials.new(f"talkrig head {key}")
        mat.diffuse_color = (*COLOURS[key], 1.0)
        mesh.materials.append(mat)
    index = np.array([names.index(colour_of[PARTS[part[face[0]]]]) for face in faces], np.int32)
    mesh.polygons.foreach_set("material_index", index)


def marker_indices(obj):
    """(upper lip vertex, lower lip vertex) indices of the head's lip markers."""
    found = []
    for marker in MARKERS:
        group = obj.vertex_groups.get(marker)
        if group is None:
            raise KeyError(f"{obj.name} has no vertex group {marker!r}: not a talkrig test head")
        found.append(next(v.index for v in obj.data.vertices
                          if any(g.group == group.index for g in v.groups)))
    return tuple(found)


def lip_gap(obj, positions):
    """Metres between the lips (upper lip's lowest middle point above the lower lip's highest)
    for (N, 3) or (F, N, 3) vertex positions of the head; <= REST_GAP means closed."""
    upper, lower = marker_indices(obj)
    positions = np.asarray(positions)
    return positions[..., upper, 2] - positions[..., lower, 2]
