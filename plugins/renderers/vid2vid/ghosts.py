"""How much a rendered picture paints where the real video shows only the wall: the second
outlines a warp leaves (numpy and scipy only).

A warp that carries pixels from sources in other poses leaves a second hand beside the real one,
a sliver of arm beside the arm, streaks between the legs. On a frame whose real picture is known
(a held-out frame of the training video) none of that is the person: it lies where the real frame
shows the wall. The measure counts the pixels there (a pixel away from the real person's outline)
that the picture paints more than ``STRAY_LEVEL`` away from the plate, as a share of the person's
own area: the real video scores 0, the plate 0, pictures of another pose (nearest-pose retrieval)
a sixth of the person on a rendered test video.

Tried first and left: edge energy outside the silhouette the skeleton gives (part capsules and a
margin). The capsules of the hands are wide enough to hold the second hands, and a real video's
sharp sleeves and hair outside them outweighed a soft render's ghosts: it scored a visibly
ghosted renderer 0.12x the real video's.
"""

import numpy as np

STRAY_LEVEL = 12  # levels (0-255) from the plate: paint a viewer sees on the wall


def stray_paint(pictures, real, plate):
    """Mean over frames of the pixels ``pictures`` (N, H, W, 3) paint where the ``real`` frames
    show the wall (``warp.foreground`` of the real frame against ``plate``, grown by a pixel),
    as a share of the real person's area."""
    from scipy.ndimage import binary_dilation

    from .warp import foreground

    plate = np.asarray(plate, np.int16)
    shares = []
    for picture, truth in zip(pictures, real):
        person = foreground(truth, plate) > 0
        wall = ~binary_dilation(person)
        painted = np.abs(np.asarray(picture, np.int16) - plate).max(axis=-1) > STRAY_LEVEL
        shares.append((painted & wall).sum() / max(int(person.sum()), 1))
    return float(np.mean(shares)) if shares else 0.0
