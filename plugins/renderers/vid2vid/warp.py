"""Warp real pixels of the person into a new pose (numpy only): the first half of the renderer.

A target pose is painted from a few source frames of the person (``SourceBank``: frames of the
training video chosen to cover the pose space, with their 2D joints), each body part moved by
the 2D transform its bone makes from the source pose to the target pose (Balakrishnan et al.
2018, "Synthesizing images of humans in unseen poses": part-wise warps of a source image,
composited; here the part masks come from the skeleton, not learnt). The refinement network
then corrects only what warping cannot do (occlusion, disocclusion, shading, seams).

Parts are soft capsules round their bone in the source frame (radii in body scales, see
``skeleton_pass.body_scale``), each losing what a part painted after it covers there (the torso
loses the arms lying over it) and, given the background plate, less the pixels that look like
the plate there (a capsule is wider than a thin arm: it would carry the wall); over the body
behind them the arms and hands carry only their capsule's core (``IN_FRONT``: the margin there
is shirt, which they would take along as a dark blob beside the moved limb). The torso, the
legs and the face carry their whole outline, though (``BEHIND``): where an arm or a hand lay
over them in the source, their own colours are filled in from beside (:func:`fill_holes`), so
an arm moved away shows shirt, not the wall or the hand left behind. A part's transform: a limb
rotates with its bone, stretches along it by the bone's change of length (foreshortening) and
across it by the change of body scale; the torso follows the affine map of shoulders and
pelvis; head and hands rotate and scale with their bone. Per part the nearest sources by that
part's joints are layered nearest first, each filling what the ones before left uncovered (the
frontal reference last), and the parts are laid over the background plate torso first, hands
last. Pixel convention as ``skeleton_pass``: a point (x, y) lies in column floor(x), row
floor(y).

Why the face's detail comes from the warp (:func:`face_detail`): the face's finest detail
(eyes, brows, mouth: a few pixels) is taken from the warp, not the network: unsure where
exactly they lie, the network learns to smooth them away the longer it trains, and a renderer
trained for thousands of steps painted a blank face that capture read as the back of a head.
"""

from dataclasses import dataclass

import numpy as np

from ....motion.skeleton import JOINT_INDEX
from ....motion.skeleton_pass import body_scale

_J = JOINT_INDEX

# (name, bone start, bone end, radius in body scales, how it moves, pose group), painted in
# this order (farther first): torso and legs, head, upper arms, forearms, hands.
PARTS = (
    ("torso", "spine3", "pelvis", 1.15, "torso", "torso"),
    ("left_thigh", "left_hip", "left_knee", 0.75, "limb", "left_leg"),
    ("right_thigh", "right_hip", "right_knee", 0.75, "limb", "right_leg"),
    ("left_shin", "left_knee", "left_ankle", 0.55, "limb", "left_leg"),
    ("right_shin", "right_knee", "right_ankle", 0.55, "limb", "right_leg"),
    ("head", "neck", "head", 1.05, "rigid", "head"),
    ("left_upper_arm", "left_shoulder", "left_elbow", 0.5, "limb", "left_arm"),
    ("right_upper_arm", "right_shoulder", "right_elbow", 0.5, "limb", "right_arm"),
    ("left_forearm", "left_elbow", "left_wrist", 0.42, "limb", "left_arm"),
    ("right_forearm", "right_elbow", "right_wrist", 0.42, "limb", "right_arm"),
    ("left_hand", "left_wrist", "left_middle3", 0.5, "rigid", "left_arm"),
    ("right_hand", "right_wrist", "right_middle3", 0.5, "rigid", "right_arm"),
)
PART_NAMES = tuple(p[0] for p in PARTS)
HEAD_EXTENT = 1.2  # the head capsule reaches this many body scales past the head joint (hair)
SHOULDER_RADIUS = 0.6  # the torso's capsule across the shoulders, in body scales
FEATHER = 0.25  # soft edge of a part mask, in body scales
FOREGROUND = (8.0, 24.0)  # a source pixel this far from the plate (0-255, largest channel) is
# background (below the first) or the person (above the second): a part carries only the person
BEHIND = ("torso", "left_leg", "right_leg", "head")  # pose groups the arms lie in front of
CHIN = 0.45  # the head fills in what lay over it beyond this share of the neck-to-head bone
IN_FRONT = 0.6  # over the body behind it, an arm or hand carries this share of its radius
FILL_REACH = 0.15  # first window filling a part where a later part lay over it, in body scales
PLATE_FILL = 0.02  # first window filling the wall behind the person, in picture sides
SOURCES_PER_PART = 2  # nearest sources layered per part (the frontal reference comes after)

# Joints that say how alike two poses are, per pose group (each taken relative to its root).
GROUPS = {
    "torso": ("spine3", ("neck", "left_shoulder", "right_shoulder", "pelvis", "left_hip",
                         "right_hip", "head")),
    "head": ("neck", ("head", "left_eye_smplhf", "right_eye_smplhf", "jaw")),
    "left_arm": ("left_shoulder", ("left_elbow", "left_wrist", "left_middle3", "left_thumb3")),
    "right_arm": ("right_shoulder", ("right_elbow", "right_wrist", "right_middle3",
                                     "right_thumb3")),
    "left_leg": ("left_hip", ("left_knee", "left_ankle")),
    "right_leg": ("right_hip", ("right_knee", "right_ankle")),
}
POSE_JOINTS = ("spine3", "neck", "head", "left_shoulder", "right_shoulder", "left_elbow",
               "right_elbow", "left_wrist", "right_wrist", "left_middle3", "right_middle3")
MAX_STRETCH = 3.0  # a bone's change of length, capped both ways (a bone seen end-on)


def pose_features(joints):
    """Normalised 2D skeletons (N, 2 * len(POSE_JOINTS)): joints relative to the chest, in
    shoulder widths, so a pose is compared whatever its place and size in the picture.

    joints : (N, 55, 2) pixels (NaN rows for unseen joints: they count as the chest)."""
    j = np.asarray(joints, np.float64)
    idx = [_J[n] for n in POSE_JOINTS]
    root = j[:, _J["spine3"]][:, None]
    width = np.linalg.norm(j[:, _J["left_shoulder"]] - j[:, _J["right_shoulder"]], axis=1)
    width = np.where(np.isfinite(width) & (width > 1e-6), width, 1.0)[:, None, None]
    return np.nan_to_num((j[:, idx] - root) / width).reshape(len(j), -1)


def group_features(joints, group):
    """(N, k) features of one pose group: its joints relative to its root, in body scales."""
    root, names = GROUPS[group]
    j = np.asarray(joints, np.float64)
    scale = np.array([body_scale(x) if np.isfinite(x).any() else 1.0 for x in j])
    rel = (j[:, [_J[n] for n in names]] - j[:, _J[root]][:, None]) / scale[:, None, None]
    return np.nan_to_num(rel, nan=1e3).reshape(len(j), -1)


def pose_distances(a, b):
    """(len(a), len(b)) Euclidean distances between pose features."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T
    return np.sqrt(np.maximum(d2, 0.0))


def select_bank(joints, count, first):
    """Indices of ``count`` frames covering the pose space: farthest-point sampling on
    :func:`pose_features`, starting from frame ``first`` (the frontal reference). Frames whose
    joints are not all seen are never picked (unless none is)."""
    feats = pose_features(joints)
    usable = np.isfinite(np.asarray(joints)[:, [_J[n] for n in POSE_JOINTS]]).all(axis=(1, 2))
    if not usable.any():
        usable[:] = True
    picks = [int(first)]
    nearest = np.linalg.norm(feats - feats[first], axis=1)
    nearest[~usable] = -1.0
    while len(picks) < min(count, int(usable.sum())):
        k = int(np.argmax(nearest))
        if nearest[k] <= 0.0:
            break
        picks.append(k)
        nearest = np.minimum(nearest, np.linalg.norm(feats - feats[k], axis=1))
        nearest[~usable] = -1.0
    return np.asarray(picks, np.int64)


def _capsule(xs, ys, a, b, radius, feather):
    """Soft capsule (h, w) float32 on the pixel-centre grids xs (1, w), ys (h, 1)."""
    d = b - a
    length2 = float(d @ d)
    t = 0.0 if length2 < 1e-9 else np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2,
                                           0.0, 1.0)
    dist = np.sqrt((xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2)
    return np.clip((radius - dist) / feather + 0.5, 0.0, 1.0).astype(np.float32)


def _bone(joints, part):
    _, a, b, _, _, _ = part
    return joints[_J[a]], joints[_J[b]]


def part_masks(joints, size, whole=False):
    """Soft masks (P, H, W) float32 of the body parts of a pose (order of ``PARTS``), each
    less what a later part covers. joints : (55, 2) pixels; size : (width, height).
    whole : also return the masks before any part covers another, as a second array."""
    w, h = size
    xs = (np.arange(w) + 0.5)[None, :]
    ys = (np.arange(h) + 0.5)[:, None]
    j = np.asarray(joints, np.float64)
    scale = body_scale(j)
    feather = FEATHER * scale
    masks = np.zeros((len(PARTS), h, w), np.float32)
    for k, part in enumerate(PARTS):
        a, b = _bone(j, part)
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            continue
        radius = part[3] * scale
        if part[0] == "head":
            up = b - a
            up = up / max(np.linalg.norm(up), 1e-6)
            b = b + up * HEAD_EXTENT * scale * 0.5
        masks[k] = _capsule(xs, ys, a, b, radius, feather)
        if part[0] == "torso":
            ls, rs = j[_J["left_shoulder"]], j[_J["right_shoulder"]]
            if np.isfinite(ls).all() and np.isfinite(rs).all():
                masks[k] = np.maximum(masks[k], _capsule(xs, ys, ls, rs,
                                                         SHOULDER_RADIUS * scale, feather))
    full = masks.copy() if whole else None
    covered = np.zeros((h, w), np.float32)
    for k in range(len(PARTS) - 1, -1, -1):  # a part keeps what no later part covers
        masks[k] *= 1.0 - covered
        covered += masks[k]
    return (masks, full) if whole else masks


def fill_holes(image, weight, reach, levels=4):
    """(H, W, C) float32: ``image`` where ``weight`` (H, W, in [0, 1]) is 1, elsewhere the
    weighted mean of what is seen around (normalised convolution with box windows ``reach``
    pixels either side, doubling ``levels`` times; the seen mean where nothing is seen even
    then). The hidden parts of a picture get the colours beside them: the wall behind a
    person who never leaves it, the shirt under an arm."""
    from scipy.ndimage import uniform_filter

    image = np.asarray(image, np.float32)
    weight = np.clip(np.asarray(weight, np.float32), 0.0, 1.0)
    if weight.sum() < 1e-3:
        return image.copy()
    seen = np.concatenate([image * weight[..., None], weight[..., None]], -1)
    filled = np.zeros_like(image)
    found = np.zeros(weight.shape, np.float32)  # how much of each pixel the fill has settled
    for level in range(levels):
        size = 2 * int(round(reach * 2.0 ** level)) + 1
        mean = uniform_filter(seen, size=(size, size, 1), mode="nearest")
        w = mean[..., -1]
        take = np.clip(w / 0.05, 0.0, 1.0) * (1.0 - found)  # enough seen within reach
        filled += mean[..., :-1] / np.maximum(w, 1e-6)[..., None] * take[..., None]
        found += take
    mean = (image * weight[..., None]).sum((0, 1)) / weight.sum()
    filled += mean * (1.0 - found)[..., None]
    return image * weight[..., None] + filled * (1.0 - weight)[..., None]


def _above(joints, size, start, end, at, soft=0.15):
    """(H, W) float32 weight of the pixels lying beyond ``at`` of the way along the bone
    start -> end (soft over ``soft`` of its length); 0 everywhere for an unseen bone."""
    w, h = size
    a, b = joints[_J[start]], joints[_J[end]]
    d = b - a
    length2 = float(d @ d) if np.isfinite(d).all() else 0.0
    if length2 < 1e-9:
        return np.zeros((h, w), np.float32)
    xs = (np.arange(w) + 0.5)[None, :]
    ys = (np.arange(h) + 0.5)[:, None]
    t = ((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / length2
    return np.clip((t - at) / soft + 0.5, 0.0, 1.0).astype(np.float32)


def _in_front(joints, part, mine, body):
    """(H, W) float32: how much of an arm's or hand's capsule (``mine``) it carries from a
    source. Over the body behind it (``body``: the torso's, legs' and head's capsules) only the
    core of its radius (``IN_FRONT``): a capsule is wider than the limb, and there its margin is
    shirt, which the limb took along wherever it moved (a dark blob beside a raised hand, a
    second sleeve). What it does not carry the body behind fills from beside, as for the rest of
    the limb. Worked out over the capsule's box only (a bank builds it for every part of every
    source)."""
    j = np.asarray(joints, np.float64)
    a, b = _bone(j, part)
    out = np.ones(mine.shape, np.float32)
    box = _mask_box(mine)
    if box is None or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return out
    x0, y0, x1, y1 = box
    scale = body_scale(j)
    core = _capsule((np.arange(x0, x1) + 0.5)[None, :], (np.arange(y0, y1) + 0.5)[:, None], a, b,
                    IN_FRONT * part[3] * scale, FEATHER * scale)
    behind = body[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = 1.0 - behind + behind * core
    return out


def _frame(a, b):
    """Unit vector along a->b, its normal and the length."""
    d = b - a
    length = float(np.linalg.norm(d))
    u = d / length if length > 1e-6 else np.array([0.0, 1.0])
    return np.array([[u[0], -u[1]], [u[1], u[0]]]), length


def part_transform(part, source, target):
    """The 2x3 affine map from target pixels to source pixels of one part (None when its bone
    is not seen in either pose). source, target : (55, 2) pixels."""
    a_s, b_s = _bone(source, part)
    a_t, b_t = _bone(target, part)
    if not all(np.isfinite(p).all() for p in (a_s, b_s, a_t, b_t)):
        return None
    ratio = body_scale(target) / body_scale(source)
    if part[4] == "torso":
        names = ("left_shoulder", "right_shoulder", "pelvis")
        src = np.array([source[_J[n]] for n in names])
        dst = np.array([target[_J[n]] for n in names])
        if np.isfinite(src).all() and np.isfinite(dst).all():
            m = np.linalg.lstsq(np.c_[dst, np.ones(3)], src, rcond=None)[0].T
            lin = m[:, :2]
            det = np.linalg.det(lin)
            # a sound map keeps orientation and scales by what the body scale says, roughly
            if det > 0 and 0.25 < det * ratio ** 2 < 4.0:
                return m
    r_s, len_s = _frame(a_s, b_s)
    r_t, len_t = _frame(a_t, b_t)
    across = 1.0 / ratio
    along = across
    if part[4] == "limb" and len_s > 1e-6 and len_t > 1e-6:
        along = float(np.clip(len_s / len_t, 1.0 / MAX_STRETCH, MAX_STRETCH))
    lin = r_s @ np.diag([along, across]) @ r_t.T
    return np.c_[lin, a_s - lin @ a_t]


def _sample(image, xs, ys):
    """Bilinear samples (h, w, C) of image (H, W, C) float32 at pixel points xs, ys (h, w);
    points off the image give 0."""
    H, W = image.shape[:2]
    fx, fy = xs - 0.5, ys - 0.5
    x0, y0 = np.floor(fx).astype(np.int64), np.floor(fy).astype(np.int64)
    wx, wy = (fx - x0)[..., None], (fy - y0)[..., None]
    out = 0.0
    for dy, wgt_y in ((0, 1 - wy), (1, wy)):
        for dx, wgt_x in ((0, 1 - wx), (1, wx)):
            yy, xx = y0 + dy, x0 + dx
            inside = ((yy >= 0) & (yy < H) & (xx >= 0) & (xx < W))[..., None]
            value = image[np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)]
            out = out + np.where(inside, value, 0.0) * (wgt_y * wgt_x)
    return out.astype(np.float32)


def _target_box(m, box, size):
    """The target-pixel box (x0, y0, x1, y1) where the source box lands, or None off-image."""
    lin, off = m[:, :2], m[:, 2]
    try:
        inv = np.linalg.inv(lin)
    except np.linalg.LinAlgError:
        return None
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    pts = (corners - off) @ inv.T
    w, h = size
    bx0, by0 = np.floor(pts.min(0)).astype(int) - 1
    bx1, by1 = np.ceil(pts.max(0)).astype(int) + 1
    bx0, by0, bx1, by1 = max(bx0, 0), max(by0, 0), min(bx1, w), min(by1, h)
    if bx0 >= bx1 or by0 >= by1:
        return None
    return bx0, by0, bx1, by1


@dataclass
class SourceBank:
    """Source frames of the person: frames (K, H, W, 3) uint8, joints (K, 55, 2) pixels;
    ``reference`` is the row of the frontal reference; ``plate`` (H, W, 3) uint8 the background
    (None: part masks are the capsules alone). Masks and pose features are derived."""

    frames: np.ndarray
    joints: np.ndarray
    reference: int = 0
    plate: np.ndarray = None

    def __post_init__(self):
        h, w = self.frames.shape[1:3]
        self.size = (w, h)
        self._parts = [self._crops(frame, joints)
                       for frame, joints in zip(self.frames, self.joints)]
        self._groups = {g: group_features(self.joints, g) for g in GROUPS}

    def _crops(self, frame, joints):
        """Per part None or (crop, box) of one source: the crop premultiplied RGBA and, fifth,
        the part's capsule (what the source knows of the part, person or wall; see
        :func:`_stack`), over the capsule's box. The body behind
        the arms (torso, legs and the head, ``BEHIND``) takes its whole capsule, not only what
        the arms leave it: where an arm or a hand lay over it, its own colours are filled in
        from beside (``fill_holes``), so moving the arm away shows shirt or face, not the wall
        or the hands left behind. The head's capsule reaches down over the chest, so it takes
        only what lies above its chin (``CHIN``) that way."""
        person = np.ones(frame.shape[:2], np.float32) if self.plate is None else \
            foreground(frame, self.plate)
        own, whole = part_masks(joints, self.size, whole=True)
        reach = FILL_REACH * body_scale(joints)
        body = np.clip(sum(m for m, part in zip(whole, PARTS) if part[5] in BEHIND), 0.0, 1.0)
        crops = []
        for part, mine, capsule in zip(PARTS, own, whole):
            carried = None
            if part[5] not in BEHIND:
                capsule = mine
                carried = mine * person * _in_front(joints, part, mine, body)
            elif part[0] == "head":
                chin_up = _above(joints, self.size, "neck", "head", CHIN)
                capsule = np.maximum(mine, capsule * chin_up)
            carried = capsule * person if carried is None else carried
            box = _mask_box(capsule) if (carried > 1e-3).any() else None  # what it knows, if any of it is the person
            if box is None:
                crops.append(None)
                continue
            x0, y0, x1, y1 = (int(v) for v in box)
            cut = np.s_[y0:y1, x0:x1]
            m = carried[cut][..., None]
            rgb = frame[cut].astype(np.float32)
            shown = mine[cut] / np.maximum(capsule[cut], 1e-6)  # the share no later part took
            if part[5] in BEHIND and (shown[capsule[cut] > 1e-3] < 0.99).any():
                rgb = fill_holes(rgb, np.clip(shown, 0.0, 1.0) * person[cut], reach)
            crops.append((np.concatenate([rgb * m, m, capsule[cut][..., None]], -1), box))
        return crops

    def group_distances(self, joints):
        """{pose group: (K,) distances of the sources to a target pose (55, 2)}."""
        return {g: np.linalg.norm(feats - group_features(joints[None], g)[0], axis=1)
                for g, feats in self._groups.items()}

    def nearest(self, joints, exclude=None):
        """{pose group: source rows nearest first} for a target pose (55, 2). exclude : (K,)
        bool of rows not to use (e.g. frames near the target in time while training)."""
        out = {}
        for g, d in self.group_distances(joints).items():
            if exclude is not None:
                d = np.where(exclude, np.inf, d)
            order = [int(k) for k in np.argsort(d, kind="stable") if np.isfinite(d[k])]
            rows = order[:SOURCES_PER_PART]
            if self.reference not in rows and (exclude is None or not exclude[self.reference]):
                rows.append(self.reference)
            out[g] = rows or [self.reference]
        return out

    def warp(self, target, plate, exclude=None, sources=None, fading=None):
        """(picture (H, W, 3) uint8, coverage (H, W) float32 in [0, 1]): the parts of the
        nearest sources moved to the target pose (55, 2) and laid over ``plate``.
        sources : {group: rows} to use instead of :meth:`nearest`.
        fading : {group: (rows, weight)}: sources a group is fading out from; its parts are
        mixed, ``weight`` of them with 1 - weight of ``sources`` (a switch without popping)."""
        target = np.asarray(target, np.float64)
        sources = sources or self.nearest(target, exclude)
        canvas = np.asarray(plate, np.float32).copy()
        cover = np.zeros(canvas.shape[:2], np.float32)
        for p, part in enumerate(PARTS):
            layers = self._layers(p, part, sources[part[5]], target)
            rows, weight = (fading or {}).get(part[5], ((), 0.0))
            old = self._layers(p, part, rows, target) if weight > 0 else []
            if not layers and not old:
                continue
            boxes = np.array([t for _, _, t in layers + old])
            x0, y0 = boxes[:, :2].min(0)
            x1, y1 = boxes[:, 2:].max(0)
            gx = (np.arange(x0, x1) + 0.5)[None, :]
            gy = (np.arange(y0, y1) + 0.5)[:, None]
            acc = _stack(layers, gx, gy)
            if old:
                acc = acc * (1.0 - weight) + _stack(old, gx, gy) * weight
            alpha = acc[..., 3:4]
            region = canvas[y0:y1, x0:x1]
            canvas[y0:y1, x0:x1] = region * (1.0 - alpha) + acc[..., :3]
            cover[y0:y1, x0:x1] += alpha[..., 0] * (1.0 - cover[y0:y1, x0:x1])
        return np.clip(canvas + 0.5, 0, 255).astype(np.uint8), np.clip(cover, 0.0, 1.0)

    def _layers(self, p, part, rows, target):
        """[(crop, source-to-target transform, target box)] of part ``p`` from ``rows``."""
        layers = []
        for row in rows:
            crop = self._parts[row][p]
            m = None if crop is None else part_transform(part, self.joints[row], target)
            t_box = None if m is None else _target_box(m, crop[1], self.size)
            if t_box is not None:
                layers.append((crop, m, t_box))
        return layers


def _stack(layers, gx, gy):
    """(h, w, 4) premultiplied RGBA of ``layers`` sampled on the grid gx, gy: the nearest
    source first, the others filling only what it does not know (outside its part's capsule).
    Where the nearest source saw the wall inside the capsule, the wall stays: a farther source
    filling there drew its own hand beside the nearest's (a second outline)."""
    acc = np.zeros((gy.shape[0], gx.shape[1], 4), np.float32)
    known = np.zeros((gy.shape[0], gx.shape[1], 1), np.float32)
    for (crop, src_box), m, _ in layers:
        sx = m[0, 0] * gx + m[0, 1] * gy + (m[0, 2] - src_box[0])
        sy = m[1, 0] * gx + m[1, 1] * gy + (m[1, 2] - src_box[1])
        sample = _sample(crop, sx, sy)
        acc += sample[..., :4] * (1.0 - known)
        known += sample[..., 4:5] * (1.0 - known)
    return acc


def foreground(frame, plate):
    """(H, W) float32 in [0, 1]: how surely each pixel of ``frame`` shows the person rather
    than the plate (the largest channel difference, widened by a pixel so edges stay whole)."""
    diff = np.abs(frame.astype(np.int16) - plate.astype(np.int16)).max(axis=2).astype(np.float32)
    padded = np.pad(diff, 1, mode="edge")
    h, w = diff.shape
    widened = np.max([padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)
    lo, hi = FOREGROUND
    return np.clip((widened - lo) / (hi - lo), 0.0, 1.0)


def _mask_box(mask, threshold=1e-3):
    """(x0, y0, x1, y1) pixel bounds of a mask's support, or None when empty."""
    ys, xs = np.nonzero(mask > threshold)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() + 1), int(ys.max() + 1)


FACE_RADIUS = 0.7  # the face's disk round the eyes' midpoint, in body scales
FACE_DOWN = 0.2  # the disk's centre lies this far below the eyes, towards the mouth
FACE_DETAIL = 0.12  # the finest detail (Gaussian sigma, body scales) the warp gives the face


def face_mask(joints, size, scale):
    """((h, w) float32 soft disk over the face, (x0, y0, x1, y1) box) of a pose's (55, 2)
    pixel joints whose body scale is ``scale``, or None when its eyes are not both in the
    label."""
    j = np.asarray(joints, np.float64)
    eyes = j[[_J["left_eye_smplhf"], _J["right_eye_smplhf"]]]
    neck = j[_J["neck"]]
    if not (np.isfinite(eyes).all() and np.isfinite(neck).all()):
        return None
    mid = eyes.mean(axis=0)
    down = neck - mid
    centre = mid + down / max(np.linalg.norm(down), 1e-6) * FACE_DOWN * scale
    reach = (FACE_RADIUS + FEATHER) * scale
    w, h = size
    x0, y0 = max(int(centre[0] - reach), 0), max(int(centre[1] - reach), 0)
    x1, y1 = min(int(centre[0] + reach) + 1, w), min(int(centre[1] + reach) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    xs = (np.arange(x0, x1) + 0.5)[None, :]
    ys = (np.arange(y0, y1) + 0.5)[:, None]
    return _capsule(xs, ys, centre, centre, FACE_RADIUS * scale, FEATHER * scale), (x0, y0, x1, y1)


def face_detail(picture, warped, joints):
    """``picture`` (H, W, 3) uint8 whose face carries the fine detail of ``warped`` (the warp
    it was refined from) in place of its own: eyes, brows and mouth are a few pixels the
    refinement network, unsure where they lie, learns to smooth away the longer it trains
    (after thousands of steps the face is blank, and a landmark detector reads the person as
    facing away); the warp moved them there from real frames."""
    from scipy.ndimage import gaussian_filter

    scale = body_scale(np.asarray(joints, np.float64))
    found = face_mask(joints, (picture.shape[1], picture.shape[0]), scale)
    if found is None:
        return picture
    mask, (x0, y0, x1, y1) = found
    sigma = (FACE_DETAIL * scale, FACE_DETAIL * scale, 0)
    out = picture[y0:y1, x0:x1].astype(np.float32)
    src = warped[y0:y1, x0:x1].astype(np.float32)
    detail = (src - gaussian_filter(src, sigma)) - (out - gaussian_filter(out, sigma))
    result = picture.copy()
    result[y0:y1, x0:x1] = np.clip(out + mask[..., None] * detail + 0.5, 0, 255).astype(np.uint8)
    return result


def person_masks(joints, size):
    """(N, H, W) bool: where each pose's part capsules (:func:`part_masks`) lie in a picture of
    ``size``; nowhere for a pose not found (NaN joints)."""
    return np.stack([part_masks(j, size).sum(axis=0) > 0.02 if np.isfinite(j).any()
                     else np.zeros(size[::-1], bool) for j in joints])


def background_plate(frames, max_frames=240, rows=16, joints=None, person=None):
    """The per-pixel median (H, W, 3) uint8 of up to ``max_frames`` evenly spaced frames
    (N, H, W, 3): the still wall.

    joints : (N, 55, 2) pixels of the frames, or None. Given, each pixel's median is taken
    only over the frames where it lies outside the person's part capsules (``warp.part_masks``),
    so the wall behind where the person usually stands is seen, not the person blurred there
    (the warped parts are laid over this plate, and a ghost torso on it shows wherever the
    torso moved away); a pixel the person never leaves is filled from the wall seen around it
    (``warp.fill_holes``): the median of all frames there would paint the person into the
    plate, and the parts that look like the plate would not be carried. Rows are taken a few
    at a time to keep the float copy small.
    person : (N, H, W) bool masks of the person in the frames (:func:`person_masks`), in
    place of ``joints``'.
    """
    pick = np.linspace(0, len(frames) - 1, min(len(frames), max_frames)).astype(int)
    chosen = frames[pick]
    if person is not None:
        person = np.asarray(person, bool)[pick]
    elif joints is not None:
        person = person_masks(joints[pick], (frames.shape[2], frames.shape[1]))
    out, seen = [], np.ones(frames.shape[1:3], bool)
    for y in range(0, frames.shape[1], rows):
        band = chosen[:, y:y + rows].astype(np.float32)
        whole = np.median(band, axis=0)
        if person is not None:
            hidden = person[:, y:y + rows]
            seen[y:y + rows] = clear_here = (~hidden).any(axis=0)
            band[hidden] = np.nan
            with np.errstate(all="ignore"):
                clear = np.nanmedian(band[:, clear_here], axis=0) if clear_here.any() else None
            if clear is not None:
                whole[clear_here] = clear
        out.append(whole)
    plate = np.concatenate(out)
    if seen.any() and not seen.all():
        plate = fill_holes(plate, seen, PLATE_FILL * max(plate.shape[:2]), levels=6)
    return np.clip(np.round(plate), 0, 255).astype(np.uint8)
