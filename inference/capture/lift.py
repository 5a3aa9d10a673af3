"""Where each arm points in depth, learned from people filmed with a known truth.

The detector reads an arm well across the view and poorly along it: where a forearm points at
the camera its elbow and wrist pixels themselves drift (the forearm's image reads 1.3-1.7x its
true length there) and its metric body guesses the depth towards an average pose, so elbows
that bend most come out too straight; seen from above or below it also misplaces the upper
arm's depth. No single landmark fixes that, but together they carry more than each: both arms,
the trunk, the hand's own points, how all of them move over a third of a second, and what the
whole shot shows (how short each bone looks against its longest in the shot, and which way is
up, which gives the camera's height). A small network (the arm lifter) reads those, for one arm
at a time, and gives the direction of the upper arm and of the forearm in the camera's frame;
three such networks trained from different seeds are averaged. They are trained by
``recipes/train_arm_lifter.py`` on rendered people whose motion is known (nine, of several
builds, in short and long sleeves, a loose shirt and a jacket), filmed from 15 degrees below to
32 above (more of them near the front and from above, as a camera on a monitor films) through
a 30-degree lens and a phone's 60-degree one, whole and cut at the waist as a person films
themselves at a desk (in over half of the videos the
elbows unbend over stretches: generated takes seldom hold an arm straighter than 30 degrees,
people often do, and a lifter that never saw one bends it), and their weights ship with talkrig
(``arm_lifter_<detector>.npz``, numpy only at run time). What they learnt are one detector's
errors, so they read only landmarks of the detector they were trained on (MediaPipe
Holistic's); other landmarks are fitted as they come. Before both the forearms' depth reading
(:mod:`.depth`) and the lifter the elbows measured 12.8°, before the lifter 9.9°; figures in
benchmarks/JOURNAL.md, "A learned arm lifter".

Arms are read as left arms: a right arm is mirrored (the picture's x negated, the sides
swapped) on the way in and out, so both arms share one network.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from . import landmarks as L
from .depth import LENGTH_PERCENTILE

WEIGHTS = {"mediapipe": Path(__file__).with_name("arm_lifter_mediapipe.npz")}
CONTEXT = (-10, -5, 0, 5, 10)  # frames read around each frame
HAND_POINTS = (L.HAND_WRIST, 5, 9, 17)  # wrist, index, middle and little finger bases
TRUSTED = 0.5  # visibility of elbow and wrist from which the lifted arm is used
SIDES = {
    "left": dict(shoulder=L.LEFT_SHOULDER, elbow=L.LEFT_ELBOW, wrist=L.LEFT_WRIST,
                 other=L.RIGHT_SHOULDER, hip=L.LEFT_HIP, other_hip=L.RIGHT_HIP,
                 other_elbow=L.RIGHT_ELBOW, other_wrist=L.RIGHT_WRIST, hand=0),
    "right": dict(shoulder=L.RIGHT_SHOULDER, elbow=L.RIGHT_ELBOW, wrist=L.RIGHT_WRIST,
                  other=L.LEFT_SHOULDER, hip=L.RIGHT_HIP, other_hip=L.LEFT_HIP,
                  other_elbow=L.LEFT_ELBOW, other_wrist=L.LEFT_WRIST, hand=1),
}
MIRROR = {"left": 1.0, "right": -1.0}  # x of the picture and the camera frame


def frame_features(lm, side, metres_per_pixel):
    """(T, F) what one frame shows of one arm, as a left arm, in metres around its shoulder
    (NaN-free: an unseen part reads 0 with a flag)."""
    s = SIDES[side]
    flip = np.array([MIRROR[side], 1.0])
    mpp = np.nan_to_num(metres_per_pixel)[:, None]
    img = lm.body_image[..., :2]
    origin = img[:, s["shoulder"]]
    picture = [(img[:, s[k]] - origin) * mpp * flip
               for k in ("elbow", "wrist", "other", "hip", "other_hip", "other_elbow",
                         "other_wrist")]
    picture.append((img[:, L.NOSE] - origin) * mpp * flip)
    depth = [(lm.body_image[:, s[k], 2] - lm.body_image[:, s["shoulder"], 2]) * mpp[:, 0]
             for k in ("elbow", "wrist")]
    flip3 = np.array([MIRROR[side], 1.0, 1.0])
    world0 = lm.body_world[:, s["shoulder"]]
    world = [(lm.body_world[:, s[k]] - world0) * flip3
             for k in ("elbow", "wrist", "other", "hip", "other_hip")]
    vis = [np.nan_to_num(lm.visibility[:, s[k]]) for k in ("elbow", "wrist")]
    hand = lm.hands[:, s["hand"]]
    seen = np.isfinite(hand[:, 0, 0])
    base = img[:, s["wrist"]]
    hand_xy = [(hand[:, i, :2] - base) * mpp * flip for i in HAND_POINTS]
    hand_z = [(hand[:, i, 2] - hand[:, L.HAND_WRIST, 2]) * mpp[:, 0] for i in HAND_POINTS[1:]]
    hand_part = np.where(seen[:, None], np.concatenate(
        hand_xy + [np.stack(hand_z, axis=1)], axis=1), 0.0)
    out = np.concatenate(picture + [np.stack(depth, axis=1)] + world
                         + [np.stack(vis, axis=1), hand_part, seen[:, None].astype(float)],
                         axis=1)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def bone_ratios(lm, side, metres_per_pixel):
    """(T, 2) image length of the upper arm and the forearm as a share of that bone's longest
    in the shot (the percentile the forearm's depth step takes as its length; NaN where
    unknown), and those longest lengths (2,) m."""
    s = SIDES[side]
    ratios, longest = [], []
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist")):
        length = np.linalg.norm(lm.body_image[:, s[b], :2] - lm.body_image[:, s[a], :2],
                                axis=-1) * metres_per_pixel
        top = (np.nanpercentile(length, LENGTH_PERCENTILE) if np.any(np.isfinite(length))
               else np.nan)
        longest.append(top)
        ratios.append(length / max(np.nan_to_num(top), 1e-9))
    return np.stack(ratios, axis=1), np.array(longest)


def shot_features(lm, side, metres_per_pixel, up):
    """(T, 7) what the whole shot says about one arm, as a left arm: how foreshortened each
    bone looks this frame, how long each looks at most, and which way is up (the camera's
    height and tilt)."""
    ratios, longest = bone_ratios(lm, side, metres_per_pixel)
    up = np.zeros(3) if up is None else np.asarray(up) * np.array([MIRROR[side], 1.0, 1.0])
    n = len(ratios)
    out = np.concatenate([ratios, np.broadcast_to(longest, (n, 2)),
                          np.broadcast_to(up, (n, 3))], axis=1)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def arm_features(lm, side, metres_per_pixel, up, context=CONTEXT):
    """(T, F * len(context) + 7) the frame's features and its neighbours' (held at the ends),
    then the shot's (:func:`shot_features`; ``up`` in the capture frame, None if unknown)."""
    f = frame_features(lm, side, metres_per_pixel)
    n = len(f)
    idx = np.arange(n)
    parts = [f[np.clip(idx + k, 0, n - 1)] for k in context]
    parts.append(shot_features(lm, side, metres_per_pixel, up))
    return np.concatenate(parts, axis=1)


def unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


class ArmLifter:
    """The trained networks: normalised features -> two hidden layers -> two directions, the
    members' directions averaged."""

    def __init__(self, weights):
        self.mean, self.scale = weights["mean"], weights["scale"]
        self.context = tuple(int(k) for k in weights.get("context", CONTEXT))
        self.members = []
        for m in range(int(weights.get("members", 1))):
            prefix = f"m{m}_" if m else ""
            count = sum(1 for k in weights if k.startswith(prefix + "w")
                        and k[len(prefix) + 1:].isdigit())
            self.members.append([(weights[f"{prefix}w{k}"], weights[f"{prefix}b{k}"])
                                 for k in range(count)])

    @classmethod
    def load(cls, path):
        with np.load(path) as data:
            return cls({k: data[k].astype(np.float64) for k in data.files})

    def directions(self, features):
        """(T, 2, 3) unit upper arm and forearm of a left arm in the capture frame."""
        x = (features - self.mean) / self.scale
        total = 0.0
        for layers in self.members:
            h = x
            for k, (w, b) in enumerate(layers):
                h = h @ w + b
                if k < len(layers) - 1:
                    h = np.maximum(h, 0.0)
            total = total + unit(h.reshape(-1, 2, 3))
        return unit(total)


@lru_cache(maxsize=None)
def default_lifter(detector):
    """talkrig's lifter for landmarks of ``detector`` (a registry name), or None."""
    path = WEIGHTS.get(detector)
    return ArmLifter.load(path) if path is not None and path.exists() else None


def lift_arms(lm, metres_per_pixel, up, lifter=None, onto=None):
    """A copy of ``onto`` (default ``lm``) whose elbows and wrists (metric body) sit where the
    lifter reading ``lm`` puts them, in frames where the detector saw that arm; elsewhere they
    are left as they were.
    up : the shot's up direction in the capture frame (``ik.shot_up``; None if unknown).
    lifter : an :class:`ArmLifter`, None for talkrig's own for the detector that saw ``lm``,
    False for none."""
    onto = lm if onto is None else onto
    if lifter is None:
        lifter = default_lifter(lm.detector)
    if not lifter:
        return onto
    out = onto.select(slice(None))
    world = onto.body_world.copy()
    to_camera = np.array([1.0, -1.0, -1.0])  # capture frame -> camera axes (its own inverse)
    for side, s in SIDES.items():
        conf = np.minimum(lm.visibility[:, s["elbow"]], lm.visibility[:, s["wrist"]])
        use = lm.body_seen & (np.nan_to_num(conf) >= TRUSTED)
        if not np.any(use):
            continue
        features = arm_features(lm, side, metres_per_pixel, up, lifter.context)
        dirs = lifter.directions(features[use])
        dirs[..., 0] *= MIRROR[side]
        dirs = dirs * to_camera
        shoulder = lm.body_world[use, s["shoulder"]]
        upper = np.nanmedian(np.linalg.norm(
            lm.body_world[:, s["elbow"]] - lm.body_world[:, s["shoulder"]], axis=-1))
        fore = np.nanmedian(np.linalg.norm(
            lm.body_world[:, s["wrist"]] - lm.body_world[:, s["elbow"]], axis=-1))
        elbow = shoulder + upper * dirs[:, 0]
        world[use, s["elbow"]] = elbow
        world[use, s["wrist"]] = elbow + fore * dirs[:, 1]
    out.body_world = world
    return out
