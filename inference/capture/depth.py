"""How far each forearm points towards or away from the camera, from the image.

The detector's metric body is its own, coarser guess beside its image points: where a forearm
points at the camera the two disagree and the elbow comes out too straight (by 6-11 degrees on
rendered takes). So each forearm is rebuilt from the image: across the view from the elbow and
wrist pixels, and in depth from its length: a forearm of length L whose image is d metres long
reaches sqrt(L² - d²) towards or away from the camera. That reading is exact when the forearm
points along the view and useless when it lies across it (a small error in d swings the square
root), so it is fused, frame by frame, with the detector's depth as a prior (which also gives
the sign), each weighted by its variance; a motion term then smooths the depth.

The forearm is used because the elbow and wrist landmarks sit on the joints. The shoulder
landmark sits on the top of the shoulder, not on the joint, which makes the upper arm's image
length a poor ruler (measured: it made the elbows worse).
"""

import numpy as np

from . import landmarks as L
from .smooth import smooth_series

FOREARMS = ((L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST))
LENGTH_PERCENTILE = 90  # the forearm's length: this percentile of its image length in a shot
IMAGE_SIGMA = 0.03  # m, error of a landmark in the image plane
LENGTH_SIGMA = 0.1  # error of the fitted length, share of the length
PRIOR_SIGMA = 0.2  # error of the detector's depth, share of the length
MOTION_WEIGHT = 8.0  # inter-frame term on the depth (a wrist's depth jumps no more than its truth)
TRUSTED = 0.5  # visibility from which a frame measures the length


def forearm_length(image_length, world_length, trusted):
    """The forearm's length (m) in one shot: a long image length is a forearm across the view;
    the detector's metric length guards a shot where it never is.

    image_length, world_length : (T,) metres; trusted : (T,) bool.
    """
    ok = trusted & np.isfinite(image_length) & np.isfinite(world_length)
    if not np.any(ok):
        return None
    return max(np.percentile(image_length[ok], LENGTH_PERCENTILE),
               np.percentile(world_length[ok], LENGTH_PERCENTILE))


def fuse_depth(across, length, prior):
    """(T,) depth (m) of a bone of ``length`` m whose image is ``across`` (T,) m long, fused
    with the ``prior`` depth (T,) m, whose sign it takes."""
    reach = np.sign(prior) * np.sqrt(np.maximum(length ** 2 - across ** 2, 0.0))
    # Variance of the square root's reading: d(reach) = (across·d(across) + L·dL) / reach.
    var_reach = (((across * IMAGE_SIGMA) ** 2 + (length * LENGTH_SIGMA * length) ** 2)
                 / np.maximum(reach ** 2, (0.05 * length) ** 2))
    var_prior = (PRIOR_SIGMA * length) ** 2
    return (reach / var_reach + prior / var_prior) / (1.0 / var_reach + 1.0 / var_prior)


def deepen_forearms(lm, metres_per_pixel):
    """A copy of ``lm`` whose wrists (metric body) sit at the depth the image reads.

    metres_per_pixel : (T,) scale of the body in each frame (NaN where unknown); the image is
    read as a scaled orthographic view (the lens is unknown; a hand near a wide lens looks a
    little longer than it is).
    """
    out = lm.select(slice(None))
    world = lm.body_world.copy()
    for elbow, wrist in FOREARMS:
        across = ((lm.body_image[:, wrist, :2] - lm.body_image[:, elbow, :2])
                  * metres_per_pixel[:, None])
        bone = lm.body_world[:, wrist] - lm.body_world[:, elbow]
        world_length = np.linalg.norm(bone, axis=-1)
        conf = np.minimum(lm.visibility[:, elbow], lm.visibility[:, wrist])
        across_length = np.linalg.norm(across, axis=-1)
        length = forearm_length(across_length, world_length, conf >= TRUSTED)
        if length is None:
            continue
        prior = length * bone[:, 2] / np.where(world_length > 1e-9, world_length, np.nan)
        depth = fuse_depth(across_length, length, prior)
        ok = np.isfinite(depth)
        if not np.any(ok):
            continue
        depth = smooth_series(np.where(ok, depth, 0.0)[:, None], np.where(ok, conf, 0.0),
                              MOTION_WEIGHT)[:, 0]
        moved = np.concatenate([across, depth[:, None]], axis=-1)
        world[ok, wrist] = lm.body_world[ok, elbow] + moved[ok]
    out.body_world = world
    return out
