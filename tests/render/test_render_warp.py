"""Warping the person to a new pose (numpy): a part goes where its bone goes, the source bank
covers the poses, training frames are warped from sources away from them in time, and poses far
from all others are held out."""

import numpy as np
import pytest

from support.render_support import front_camera
from talkrig.motion.skeleton import JOINT_INDEX as J
from talkrig.motion.skeleton_pass import body_scale, draw_stick, project_take
from talkrig.plugins.renderers.vid2vid.pairs import Pairs, hold_out_poses, warp_pairs
from talkrig.plugins.renderers.vid2vid.renderer import FADE_FRAMES, _fades, fade_weights
from talkrig.plugins.renderers.vid2vid.warp import (
    GROUPS, PARTS, SourceBank, face_detail, part_masks, part_transform, pose_features, select_bank,
)

SIZE = (128, 128)
GREY = np.array([90, 90, 90], np.uint8)
RED = (230, 20, 20)
BLUE = (20, 40, 230)
LEFT_HAND = [k for name, k in J.items() if name.startswith("left_") and any(
    f in name for f in ("wrist", "thumb", "index", "middle", "ring", "pinky"))]


@pytest.fixture(scope="module")
def poses(scott_motion):
    """(T, 55, 2) pixels of 60 frames of the real take through a camera in front."""
    motion = scott_motion[300:360]
    return project_take(motion, front_camera(motion, *SIZE), SIZE)


def _rotated_forearm(joints, degrees):
    """The pose with the left forearm and hand turned about the elbow in the picture."""
    out = joints.copy()
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    elbow = joints[J["left_elbow"]]
    out[LEFT_HAND] = (joints[LEFT_HAND] - elbow) @ rot.T + elbow
    return out


def _source_picture(joints):
    """A grey wall with the left forearm drawn as a red capsule."""
    picture = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    draw_stick(picture, joints[J["left_elbow"]], joints[J["left_wrist"]], 3.0, RED)
    return picture


def _on_segment(a, b, fractions=(0.4, 0.6, 0.8)):
    return [np.floor(a + f * (b - a)).astype(int) for f in fractions]


def test_a_part_moves_where_its_bone_goes(poses):
    source = poses[0]
    target = _rotated_forearm(source, 70.0)
    bank = SourceBank(_source_picture(source)[None], source[None])
    plate = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    picture, cover = bank.warp(target, plate)
    elbow, old, new = source[J["left_elbow"]], source[J["left_wrist"]], target[J["left_wrist"]]
    assert np.linalg.norm(new - old) > 10  # the wrist moved well away
    for x, y in _on_segment(elbow, new):
        assert tuple(picture[y, x]) == pytest.approx(RED, abs=40), (x, y)  # red came along
        assert cover[y, x] > 0.9
    for x, y in _on_segment(elbow, old, (0.7, 0.9)):
        assert abs(int(picture[y, x, 0]) - int(GREY[0])) < 30, (x, y)  # and left its old place
    unchanged, _ = bank.warp(source, plate)  # the source pose paints the source picture back
    assert np.abs(unchanged.astype(int) - _source_picture(source)).mean() < 2.0


def test_a_part_that_switches_sources_fades_from_the_old_picture_to_the_new(poses):
    source = poses[0]
    blue = _source_picture(source)
    blue[(blue == RED).all(-1)] = BLUE
    bank = SourceBank(np.stack([_source_picture(source), blue]), np.stack([source, source]))
    plate = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    red_rows = {g: [0] for g in GROUPS}
    blue_rows = dict(red_rows, left_arm=[1])
    fading = _fades(red_rows, blue_rows, {})  # the left arm switched from red to blue
    assert set(fading) == {"left_arm"}
    spot = _on_segment(source[J["left_elbow"]], source[J["left_wrist"]], (0.5,))[0]
    seen = []
    for _ in range(FADE_FRAMES + 1):
        picture, _ = bank.warp(source, plate, sources=blue_rows, fading=fade_weights(fading))
        seen.append(picture[spot[1], spot[0]].astype(int))
        fading = _fades(blue_rows, blue_rows, fading)
    assert fading == {}
    blues = [c[2] for c in seen]
    assert blues == sorted(blues) and blues[0] < 100 and blues[-1] > 200  # red to blue by steps
    assert all(b - a < 80 for a, b in zip(blues, blues[1:]))  # no frame pops the whole way
    assert tuple(seen[-1]) == pytest.approx(BLUE, abs=30)


def test_each_bone_maps_its_target_ends_onto_its_source_ends(poses):
    source, target = poses[0], _rotated_forearm(poses[40], -30.0)
    for part in PARTS:
        name, a, b, _, kind, _ = part
        m = part_transform(part, source, target)
        assert m is not None, name
        for joint in (a, b) if kind != "rigid" else (a,):
            mapped = m[:, :2] @ target[J[joint]] + m[:, 2]
            tolerance = 3.0 if kind == "torso" else 1e-6  # the torso fits three points
            assert np.linalg.norm(mapped - source[J[joint]]) < tolerance, (name, joint)


def test_part_masks_are_soft_capsules_that_a_later_part_covers(poses):
    masks = part_masks(poses[0], SIZE)
    assert masks.shape == (len(PARTS), SIZE[1], SIZE[0]) and 0 <= masks.min() <= masks.max() <= 1
    names = [p[0] for p in PARTS]
    x, y = np.floor(poses[0][J["left_wrist"]] * 0.5 + poses[0][J["left_elbow"]] * 0.5).astype(int)
    assert masks[names.index("left_forearm"), y, x] > 0.9
    assert masks.sum(axis=0).max() <= 1.0 + 1e-5  # no pixel belongs to two parts in full


def test_the_bank_starts_at_the_reference_and_covers_distinct_poses(poses):
    clusters = [poses[0], _rotated_forearm(poses[0], 80.0), _rotated_forearm(poses[0], -80.0)]
    rng = np.random.default_rng(0)
    joints = np.concatenate([c + rng.normal(0, 0.3, (10,) + c.shape) for c in clusters])
    joints[5, J["head"]] = np.nan  # an unseen joint: never a source
    picks = select_bank(joints, 3, first=3)
    assert picks[0] == 3
    assert sorted(k // 10 for k in picks) == [0, 1, 2]  # one of each pose
    assert 5 not in select_bank(joints, 30, first=3)
    feats = pose_features(joints)
    assert feats.shape == (30, 22) and np.isfinite(feats).all()


def _pairs(poses, fps=10.0):
    from types import SimpleNamespace

    frames = np.stack([_source_picture(j) for j in poses])
    take = SimpleNamespace(motion=SimpleNamespace(fps=fps))
    n = len(poses)
    return Pairs(frames=frames, labels=frames, boxes=np.zeros((n, 3, 4), np.int64),
                 joints=poses, segment=np.zeros(n, np.int64), n_train=int(0.8 * n),
                 takes=[take])


def test_training_frames_are_warped_from_sources_away_from_them_in_time(poses):
    pairs = _pairs(poses)  # 10 frames per second: 2 s is 20 frames
    rows = np.array([0, 45])
    bank = SourceBank(pairs.frames[rows], poses[rows])
    plate = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    warped, cover = warp_pairs(pairs, bank, rows, plate, window_seconds=2.0)
    assert warped.shape == pairs.frames.shape and cover.dtype == np.uint8
    # frame 0 is a source itself, but it is warped from frame 45's pixels: not a copy
    from_45, _ = bank.warp(poses[0], plate, sources={g: [1] for g in bank.nearest(poses[0])})
    assert np.array_equal(warped[0], from_45)
    assert not np.array_equal(warped[0], pairs.frames[0])


def test_the_poses_farthest_from_all_others_are_held_out_with_their_neighbours(poses):
    joints = np.repeat(poses[:1], 60, axis=0).copy()
    joints[30] = _rotated_forearm(poses[0], 120.0)  # one pose like no other
    pairs = _pairs(joints)
    held = hold_out_poses(pairs, share=1 / 48, window_seconds=1.0, margin_seconds=0.3)
    assert list(held) == [30]
    assert list(np.flatnonzero(pairs.pose_held)) == [27, 28, 29, 30, 31, 32, 33]
    assert not pairs.trainable()[30] and pairs.trainable()[20] and not pairs.trainable()[50]
    assert not set(pairs.train_starts()) & set(range(27, 36))


def test_the_plate_shows_the_wall_where_the_person_usually_stands(poses):
    """A person standing in one place most of the time is in the plain median; with the
    joints, each pixel's median is taken over the frames where the person is elsewhere."""
    from talkrig.plugins.renderers.vid2vid.warp import background_plate

    shifted = poses.copy()
    shifted[:, :, 0] += np.where(np.arange(len(poses)) < 40, 0.0, 50.0)[:, None]  # 2/3 at home
    frames = []
    for j in shifted:
        picture = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
        draw_stick(picture, j[J["spine3"]], j[J["pelvis"]], 8.0, RED)
        frames.append(picture)
    frames = np.stack(frames)
    home = np.floor((poses[0][J["spine3"]] + poses[0][J["pelvis"]]) / 2).astype(int)
    assert tuple(background_plate(frames)[home[1], home[0]]) == RED
    plate = background_plate(frames, joints=shifted)
    assert tuple(plate[home[1], home[0]]) == tuple(GREY)


def test_the_plate_fills_the_wall_behind_a_person_who_never_leaves(poses):
    """Where the person stands in every frame the plate is the wall around them, not the
    person: a plate holding the person would paint them back wherever their parts move away
    (and parts matching the plate would not be carried at all)."""
    from talkrig.plugins.renderers.vid2vid.warp import background_plate

    wall = np.broadcast_to(np.linspace(70, 110, SIZE[0])[None, :, None],
                           SIZE[::-1] + (3,)).astype(np.uint8)
    frames = []
    for j in poses:  # the person never leaves home
        picture = wall.copy()
        draw_stick(picture, j[J["spine3"]], j[J["pelvis"]], 8.0, RED)
        frames.append(picture)
    home = np.floor((poses[0][J["spine3"]] + poses[0][J["pelvis"]]) / 2).astype(int)
    plate = background_plate(np.stack(frames), joints=poses)
    here = plate[home[1], home[0]].astype(int)
    assert np.abs(here - wall[home[1], home[0]]).max() < 12, here  # the wall, not RED
    far = np.floor(poses[0][J["head"]] + [0, -40]).astype(int)  # seen wall stays exact
    if 0 <= far[1] < SIZE[1]:
        assert tuple(plate[far[1], far[0]]) == tuple(wall[far[1], far[0]])


def _forearm_swung_off_the_chest(poses, torso, arm, hand=False):
    """(source joints, target joints, warped picture): a source with the left forearm (red, of
    radius ``arm`` px; its hand too with ``hand``) laid over a blue torso (radius ``torso``) on a
    grey wall, warped to the forearm swung 150 degrees off the body."""
    source = poses[0].copy()
    elbow, wrist = source[J["left_elbow"]], source[J["left_wrist"]]
    over = elbow + 0.9 * (source[J["spine3"]] - elbow)  # the forearm laid over the chest
    source[LEFT_HAND] = over + 0.3 * (source[LEFT_HAND] - wrist)
    picture = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    draw_stick(picture, source[J["neck"]], source[J["pelvis"]], torso, BLUE)
    draw_stick(picture, source[J["left_elbow"]], source[J["left_wrist"]], arm, RED)
    if hand:
        draw_stick(picture, source[J["left_wrist"]], source[J["left_middle3"]], arm, RED)
    plate = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    target = _rotated_forearm(source, 150.0)
    warped, _ = SourceBank(picture[None], source[None], plate=plate).warp(target, plate)
    return source, target, warped


def test_an_arm_moved_off_the_torso_shows_the_torso_not_the_wall(poses):
    """The torso a forearm lay over in the source is filled from the torso beside it, so a
    target with the forearm elsewhere shows shirt where the forearm was."""
    source, target, warped = _forearm_swung_off_the_chest(poses, torso=14.0, arm=3.0)
    a, b = source[J["left_elbow"]], source[J["left_wrist"]]
    spot = np.floor(a + 0.85 * (b - a)).astype(int)  # on the chest, under the old forearm
    assert np.linalg.norm(target[J["left_wrist"]] - b) > 15
    value = warped[spot[1], spot[0]].astype(int)
    assert np.abs(value - BLUE).max() < 50, value  # the wall (the plate) would be 140 off


def test_a_hand_moved_off_the_face_shows_the_face_not_the_wall(poses):
    """The face a hand lay over in the source is filled from the face around it (above the
    chin only: below it the head's capsule lies over the chest)."""
    SKIN = (220, 170, 130)
    source = poses[0].copy()
    neck, head = source[J["neck"]], source[J["head"]]
    face = neck + 1.2 * (head - neck)
    wrist = source[J["left_wrist"]]
    source[LEFT_HAND] = face + 0.5 * (source[LEFT_HAND] - wrist)  # the hand over the face
    picture = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    draw_stick(picture, neck + 0.5 * (head - neck), head + 0.6 * (head - neck), 9.0, SKIN)
    draw_stick(picture, source[J["left_wrist"]], source[J["left_middle3"]], 3.0, RED)
    plate = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    bank = SourceBank(picture[None], source[None], plate=plate)
    target = poses[0]  # the hand back down by the side
    warped, _ = bank.warp(target, plate)
    x, y = np.floor(face).astype(int)
    assert np.linalg.norm(target[J["left_wrist"]] - face) > 20
    value = warped[y, x].astype(int)
    assert np.abs(value - SKIN).max() < 50, value  # the wall would be 130 off


def test_the_face_keeps_the_eyes_the_warp_brought_where_the_network_smoothed_them(poses):
    """A refined picture whose face is one smooth colour (what a refiner trained long paints)
    gets the warp's dark eyes back at the eyes' pixels; the rest of the picture is untouched,
    and a pose without eyes in the label is left as it is."""
    SKIN = (220, 170, 130)
    joints = poses[0]
    neck, head = joints[J["neck"]], joints[J["head"]]
    refined = np.broadcast_to(GREY, SIZE[::-1] + (3,)).copy()
    draw_stick(refined, neck, head + 0.6 * (head - neck), 9.0, SKIN)
    draw_stick(refined, joints[J["left_shoulder"]], joints[J["left_elbow"]], 3.0, RED)
    warped = refined.copy()
    eyes = [joints[J[f"{side}_eye_smplhf"]] for side in ("left", "right")]
    for eye in eyes:
        draw_stick(warped, eye, eye, 1.0, (40, 25, 20))
    out = face_detail(refined, warped, joints)
    for eye in eyes:
        x, y = np.floor(eye).astype(int)
        assert refined[y, x].astype(int).sum() - out[y, x].astype(int).sum() > 150, out[y, x]
    face = np.zeros(SIZE[::-1], bool)
    face[int(min(e[1] for e in eyes)) - 12:int(max(e[1] for e in eyes)) + 12] = True
    assert np.array_equal(out[~face], refined[~face])  # the arm, the wall: as refined
    blind = joints.copy()
    blind[J["left_eye_smplhf"]] = np.nan
    assert np.array_equal(face_detail(refined, warped, blind), refined)


def test_a_farther_source_fills_only_what_the_nearest_does_not_know():
    """Inside the nearest source's part capsule, where it saw the wall, the wall stays: a farther
    source drawing its own hand there made a second hand beside the first. Outside the
    capsule the farther source fills in."""
    from talkrig.plugins.renderers.vid2vid.warp import _stack

    h, w = 8, 12
    near = np.zeros((h, w, 5), np.float32)
    near[:, :6, 4] = 1.0  # its capsule: the left half
    near[:, :3, :3], near[:, :3, 3] = (200.0, 0.0, 0.0), 1.0  # the person in its left quarter
    far = np.zeros((h, w, 5), np.float32)
    far[..., :3], far[..., 3], far[..., 4] = (0.0, 0.0, 200.0), 1.0, 1.0  # a hand everywhere
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    layers = [((near, (0, 0, w, h)), identity, None), ((far, (0, 0, w, h)), identity, None)]
    gx, gy = (np.arange(w) + 0.5)[None, :], (np.arange(h) + 0.5)[:, None]
    out = _stack(layers, gx, gy)
    assert np.allclose(out[2:-2, 1, :4], (200.0, 0.0, 0.0, 1.0))  # the nearest's person
    assert np.allclose(out[2:-2, 4, :4], 0.0)  # the wall it saw, not the farther hand
    assert np.allclose(out[2:-2, 9, :4], (0.0, 0.0, 200.0, 1.0))  # beyond what it knows


def test_a_forearm_moved_off_the_torso_takes_no_shirt_with_it(poses):
    """A part's capsule is wider than the limb: over the torso its margin is shirt, and the
    forearm carried it wherever it moved (a dark blob beside a raised hand). Over the body it
    carries only its core, so the forearm swung off the body leaves the wall beside it."""
    _, target, warped = _forearm_swung_off_the_chest(poses, torso=7.0, arm=2.0, hand=True)  # torso: its capsule
    a, b = target[J["left_elbow"]], target[J["left_wrist"]]
    along = (b - a) / np.linalg.norm(b - a)
    across = np.array([-along[1], along[0]])
    scale = 0.42 * body_scale(target)  # the forearm's capsule radius, its limb 2 px
    beside = [np.floor(a + f * (b - a) + side * 0.95 * scale * across).astype(int)
              for f in (0.6, 0.7, 0.8) for side in (-1, 1)]  # in its margin, off the body
    for x, y in beside:
        value = warped[y, x].astype(int)
        assert np.abs(value - GREY).max() < np.abs(value - BLUE).max(), value  # wall, not shirt
    mid = np.floor(a + 0.75 * (b - a)).astype(int)
    assert np.abs(warped[mid[1], mid[0]].astype(int) - RED).max() < 60  # the forearm itself came
