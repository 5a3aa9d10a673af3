"""How much a rendered picture draws where the person is not: edge energy outside the person's
own silhouette (numpy and scipy only).

A warp that carries pixels from a source in another pose leaves a second outline of a head or an
arm beside the real one, or streaks of the wall between the legs. None of it is the person, so
it lies outside the silhouette the take's joints give, where a real video shows only the wall
(and what a sleeve or a shadow adds past the bones). The measure is the mean gradient magnitude
of the picture less its plate over the pixels farther than ``MARGIN`` of the body's size from
every bone; held beside the real video's own, it says how much more than a real picture the
renderer draws there.
"""

import numpy as np

MARGIN = 0.12  # of the body's scale (``warp.body_scale``): clothes and hair past the bones


def outside_person(joints, size):
    """(H, W) bool: the pixels farther than MARGIN of the body's scale from every part's capsule
    (``warp.part_masks``) of the (55, 2) joints; all of them when the person is not found."""
    from scipy.ndimage import distance_transform_edt

    from .warp import body_scale, part_masks

    joints = np.asarray(joints, np.float64)
    if not np.isfinite(joints).any():
        return np.ones(size[::-1], bool)
    inside = part_masks(joints, size).sum(axis=0) > 0.02
    return distance_transform_edt(~inside) > MARGIN * body_scale(joints)


def edge_energy(picture, plate, where):
    """Mean gradient magnitude (levels per pixel, Sobel, channels summed) of ``picture`` less
    ``plate`` (both (H, W, 3) uint8) over the pixels ``where`` (H, W) is True."""
    from scipy.ndimage import sobel

    change = np.asarray(picture, np.float32) - np.asarray(plate, np.float32)
    magnitude = np.zeros(change.shape[:2], np.float32)
    for c in range(change.shape[2]):
        magnitude += np.hypot(sobel(change[..., c], axis=0), sobel(change[..., c], axis=1)) / 8.0
    return float(magnitude[where].mean()) if where.any() else 0.0


def ghost_energy(pictures, plate, joints):
    """Mean :func:`edge_energy` of pictures (N, H, W, 3) outside the person each one's joints
    (N, 55, 2) place: compare a render's with the real video's of the same frames."""
    size = (pictures.shape[2], pictures.shape[1])
    return float(np.mean([edge_energy(p, plate, outside_person(j, size)) for p, j in zip(pictures, joints)]))
