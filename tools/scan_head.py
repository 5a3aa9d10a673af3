"""Build scenes/assets/scan_head.npz from a checkout of ICT-FaceKit (MIT; github.com/ICT-VGL/ICT-FaceKit).

    .venv/bin/python tools/scan_head.py PATH/TO/ICT-FaceKit [--modes 6]

The person videos' heads (scenes/scan_head.py) are ICT's face model: a head with a person's
proportions from light-stage scans, varied by its first identity modes, which a landmark
detector reads as it reads people. Kept: the face, the head and neck down to under the chin,
the eyeballs and the mouth's inside; each face of the mesh labelled with what it shows (skin,
lips, brows, hair, the eyes' whites and irises, the mouth) from the model's 68 landmarks.
Coordinates are metres in the model's axes (x to the subject's left, y up, z forward).
"""

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "scenes" / "assets" / "scan_head.npz"
# Vertex ranges of ICT's mesh (its README's table).
FACE, HEAD, MOUTH = (0, 9409), (9409, 11248), (11248, 13294)
SCLERA = ((21451, 22221), (23021, 23791))
IRIS = ((22221, 23021), (23791, 24591))
KEEP_ABOVE = -11.0  # cm: the neck under the chin; below it the mesh flares to the shoulders
# Its Multi-PIE 68-point landmarks (0-indexed vertices), from the same README.
LANDMARKS_68 = (
    1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088,
    3443, 268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140,
    2075, 1147, 4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725,
    3732, 5708, 5695, 2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533,
    6216, 6207, 6470, 5517, 5966)
PARTS = ("skin", "lips", "brow", "hair", "eye_white", "iris", "mouth")
BROW_HALF_WIDTH = 0.5  # cm either side of the brow's landmark line
IRIS_RADIUS = 0.6  # cm: the dark disc about the front of each eyeball


def read_obj(path):
    """(vertices (V, 3), faces [list of 0-based vertex indices])."""
    verts, faces = [], []
    for line in open(path):
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("f "):
            faces.append([int(p.split("/")[0]) - 1 for p in line.split()[1:]])
    return np.array(verts), faces


def inside(points, polygon):
    """(N,) whether each 2D point lies inside the closed 2D polygon (even-odd rule)."""
    x, y = points[:, 0:1], points[:, 1:2]
    a, b = polygon, np.roll(polygon, -1, axis=0)
    crosses = (a[:, 1] > y) != (b[:, 1] > y)
    at = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / np.where(b[:, 1] == a[:, 1], 1e-12, b[:, 1] - a[:, 1])
    return (np.sum(crosses & (x < at), axis=1) % 2) == 1


def segment_distance(points, line):
    """(N,) 2D distance from each point to the polyline ``line`` (K, 2)."""
    best = np.full(len(points), np.inf)
    for a, b in zip(line[:-1], line[1:]):
        ab = b - a
        t = np.clip(((points - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    return best


def labels(verts, faces, first_face_part):
    """Each kept face's part (index into PARTS)."""
    lm = verts[list(LANDMARKS_68)]
    centre = np.array([verts[f].mean(axis=0) for f in faces])
    front = centre[:, 2] > 2.0
    part = np.zeros(len(faces), np.int8)
    skin_surface = np.array([p in ("face", "head") for p in first_face_part])
    hair = skin_surface & ((centre[:, 1] > 8.5) | ((centre[:, 2] < -1.0) & (centre[:, 1] > -1.0))
                           | ((np.abs(centre[:, 0]) > 6.8) & (centre[:, 1] > 5.5) & (centre[:, 2] < 5.0)))
    part[hair] = PARTS.index("hair")
    lips = skin_surface & front & inside(centre[:, :2], lm[48:60, :2]) & (centre[:, 2] > lm[48:60, 2].min() - 1.0)
    part[lips] = PARTS.index("lips")
    brows = np.zeros(len(faces), bool)
    for brow in (lm[17:22, :2], lm[22:27, :2]):
        brows |= segment_distance(centre[:, :2], brow) < BROW_HALF_WIDTH
    part[skin_surface & front & brows] = PARTS.index("brow")
    for name in ("eye_white", "iris", "mouth"):
        part[np.array([p == name for p in first_face_part])] = PARTS.index(name)
    white = part == PARTS.index("eye_white")
    for side in (centre[:, 0] > 0, centre[:, 0] < 0):
        eye = white & side
        apex = centre[eye][np.argmax(centre[eye, 2])]
        near = np.linalg.norm(centre[:, :2] - apex[:2], axis=1) < IRIS_RADIUS
        part[eye & near & (centre[:, 2] > apex[2] - 1.0)] = PARTS.index("iris")
    return part


def region(index):
    """What ICT's vertex ``index`` belongs to."""
    if index < FACE[1]:
        return "face"
    if index < HEAD[1]:
        return "head"
    if index < MOUTH[1]:
        return "mouth"
    if any(a <= index < b for a, b in SCLERA):
        return "eye_white"
    if any(a <= index < b for a, b in IRIS):
        return "iris"
    return None


def build(root, modes):
    folder = Path(root) / "FaceXModel"
    verts, faces = read_obj(folder / "generic_neutral_mesh.obj")
    region_of = [region(i) for i in range(len(verts))]
    keep_vertex = np.array([r is not None for r in region_of]) & (verts[:, 1] > KEEP_ABOVE)
    kept_faces = [f for f in faces if keep_vertex[f].all()]
    face_part = [region_of[f[0]] for f in kept_faces]
    part = labels(verts, kept_faces, face_part)
    used = np.unique(np.concatenate([np.array(f) for f in kept_faces]))
    new_index = np.full(len(verts), -1)
    new_index[used] = np.arange(len(used))
    counts = np.array([len(f) for f in kept_faces], np.int8)
    loops = np.concatenate([new_index[f] for f in kept_faces]).astype(np.int32)
    identity = np.stack([read_obj(folder / f"identity{k:03d}.obj")[0][used] - verts[used]
                         for k in range(modes)])
    jaw = read_obj(folder / "jawOpen.obj")[0][used] - verts[used]
    return {
        "vertices": (verts[used] / 100.0).astype(np.float32),
        "loops": loops, "counts": counts, "part": part, "parts": np.array(PARTS),
        "identity": (identity / 100.0).astype(np.float16),
        "jaw_open": (jaw / 100.0).astype(np.float16),
        "source": np.array(f"ICT-FaceKit (MIT): generic_neutral_mesh, identity000-{modes - 1:03d}, jawOpen"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="a checkout of ICT-FaceKit")
    parser.add_argument("--modes", type=int, default=6, help="identity modes kept (default 6)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(args.root, args.modes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **data)
    shares = np.bincount(data["part"], minlength=len(PARTS)) / len(data["part"])
    print(f"{args.out}: {len(data['vertices'])} vertices, {len(data['counts'])} faces, "
          + ", ".join(f"{p} {s:.1%}" for p, s in zip(PARTS, shares))
          + f"; {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
