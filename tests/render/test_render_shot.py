"""A renderer's picture put back into its training shot (plugins/renderers/vid2vid/shot.py): where
it lies in a 1280x720 frame, scaled up without shifting, the person over the shot's own wall."""

import numpy as np

from talkrig.motion.skeleton_pass import fit_frame, fit_to_size
from talkrig.plugins.renderers.vid2vid.shot import Framing, composite, person_mask

SHOT, SIZE = (1280, 720), (256, 256)


def test_the_render_lies_in_the_middle_of_the_shot_where_the_labels_were_drawn():
    framing = Framing(SHOT, SIZE)
    points = np.array([[0.0, 0.0], [639.5, 359.5], [1279.0, 719.0], [400.0, 100.0]])
    assert np.allclose(framing.to_shot(fit_to_size(points, SHOT, SIZE)), points)
    assert framing.columns == (280, 1000)  # 720 x 720 in the middle of the frame


def test_a_picture_scales_up_without_shifting():
    """A ramp across the render stays the same ramp in the shot, and a frame scaled down by
    ``fit_frame`` and back up is the frame, blurred but not moved."""
    framing = Framing(SHOT, SIZE)
    x = np.arange(SIZE[0], dtype=np.float32) + 0.5
    ramp = np.repeat(np.repeat(x[None, :, None], SIZE[1], axis=0), 3, axis=2)
    first, stop = framing.columns
    up = framing.scale_up(ramp)
    assert up.shape == (720, stop - first, 3)
    expected = (np.arange(first, stop) + 0.5 - 640) * framing.scale + 128
    inner = (expected > 1) & (expected < SIZE[0] - 1)
    assert np.allclose(up[0, inner, 0], expected[inner], atol=1e-3)
    yy, xx = np.mgrid[0:720, 0:1280]
    frame = np.stack([128 + 100 * np.sin(xx / 90.0), 128 + 100 * np.cos(yy / 70.0),
                      np.full(xx.shape, 90.0)], -1).round().astype(np.uint8)
    back = framing.scale_up(fit_frame(frame, SIZE))
    assert np.abs(back[20:-20, 20:-20] - frame[20:-20, first + 20:stop - 20]).mean() < 1.5


def test_the_wall_comes_from_the_shot_and_the_person_from_the_picture():
    framing = Framing(SHOT, SIZE)
    rng = np.random.default_rng(0)
    plate = rng.integers(60, 200, (256, 256, 3)).astype(np.uint8)
    shot_plate = rng.integers(0, 255, (720, 1280, 3)).astype(np.uint8)
    assert np.array_equal(composite(plate, plate, shot_plate, framing), shot_plate)  # no one there
    picture = plate.copy()
    picture[100:180, 90:150] = (250, 20, 20)  # a red person
    mask = person_mask(picture, plate)
    assert mask[140, 120] == 1 and mask[20, 20] == 0 and 0 < mask[99, 120] < 1  # a soft outline
    shot = composite(picture, plate, shot_plate, framing)
    first, stop = framing.columns
    assert np.array_equal(shot[:, :first], shot_plate[:, :first])
    assert np.array_equal(shot[:50], shot_plate[:50])  # the wall above the person is the shot's
    body = framing.to_shot(np.array([120.0, 140.0])).round().astype(int)
    assert tuple(shot[body[1], body[0]]) == (250, 20, 20)


def test_a_mask_found_at_the_renderers_size_lands_where_the_render_shows_it():
    """What training masks the person out of the shot's wall with."""
    framing = Framing(SHOT, SIZE)
    mask = np.zeros((256, 256), bool)
    mask[64:128, 32:96] = True
    shot = framing.into_shot(mask)
    assert shot.shape == (720, 1280) and shot.dtype == bool
    rows, cols = np.nonzero(shot)
    (x0, y0), (x1, y1) = framing.to_shot(np.array([[32.0, 64.0], [96.0, 128.0]]))
    assert abs(rows.min() - y0) <= 1 and abs(rows.max() + 1 - y1) <= 1
    assert abs(cols.min() - x0) <= 1 and abs(cols.max() + 1 - x1) <= 1
    assert not shot[:, :framing.columns[0]].any() and not shot[:, framing.columns[1]:].any()
