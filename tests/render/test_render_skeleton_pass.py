"""The skeleton pass: joints land where the camera projects them, in the paper's colours."""

import numpy as np
import pytest

from talkrig.motion.camera import Camera
from talkrig.motion.container import Motion
from talkrig.motion.errors import MotionValueError
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton
from talkrig.motion.skeleton_pass import (
    BODY_STICKS, FACE_COLOUR, HAND_DISC_COLOURS, draw_skeleton_pass, fit_frame, fit_to_size,
    label_frames, part_boxes, project_take,
)

J = JOINT_INDEX
STICK = {(a, b): colour for a, b, colour in BODY_STICKS}


def front_camera(motion, width=320, height=240, distance=2.4):
    """A camera in front of the first frame's chest, framing the upper body."""
    chest = neutral_skeleton().joint_positions(motion[:1])[0, J["spine3"]]
    pose = np.eye(4)
    pose[:3, 3] = chest + (0.0, 0.0, distance)
    return Camera(width=width, height=height, focal=0.9 * height, world_from_camera=pose,
                  world_from_motion=np.eye(4))


def pixel(image, point):
    x, y = (int(np.floor(v)) for v in point)
    return tuple(int(c) for c in image[y, x])


@pytest.fixture(scope="module")
def take(scott_motion):
    return scott_motion[300:340]


def test_limbs_face_and_hands_are_drawn_where_the_camera_projects_them():
    t_pose = Motion(poses=np.zeros((1, 55, 3)), trans=np.zeros((1, 3)))
    camera = front_camera(t_pose, distance=3.0)
    rest_like = project_take(t_pose, camera, (320, 240))[0]
    image = draw_skeleton_pass(rest_like, (320, 240))
    assert image.shape == (240, 320, 3) and image.dtype == np.uint8
    for a, b in [("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
                 ("spine1", "spine2")]:
        mid = (rest_like[J[a]] + rest_like[J[b]]) / 2
        assert pixel(image, mid) == STICK[(a, b)], (a, b)
    assert STICK[("left_shoulder", "left_elbow")] != STICK[("right_shoulder", "right_elbow")]
    eyes = (rest_like[J["left_eye_smplhf"]] + rest_like[J["right_eye_smplhf"]]) / 2
    brow = eyes + 0.35 * (rest_like[J["head"]] - rest_like[J["jaw"]])
    assert pixel(image, (eyes + rest_like[J["head"]]) / 2 + (0, -3)) == FACE_COLOUR
    assert pixel(image, brow) == FACE_COLOUR
    # the background stays black far from the body
    assert pixel(image, (2, 2)) == (0, 0, 0)
    # both hand discs are drawn, in different colours, and the fingers are drawn on them
    for side in ("left", "right"):
        palm = (rest_like[J[f"{side}_wrist"]] + rest_like[J[f"{side}_middle1"]]) / 2
        box = part_boxes(rest_like, (320, 240))[f"{side}_hand"]
        crop = image[box[1]:box[3], box[0]:box[2]].reshape(-1, 3)
        assert (crop == HAND_DISC_COLOURS[side]).all(axis=1).sum() > 10
        assert box[0] <= palm[0] < box[2] and box[1] <= palm[1] < box[3]
    no_hands = draw_skeleton_pass(rest_like, (320, 240), hands=False)
    assert not (no_hands == HAND_DISC_COLOURS["left"]).all(axis=2).any()


def test_every_frame_is_labelled_and_the_drawing_follows_the_motion(take):
    camera = front_camera(take)
    frames = list(label_frames(take, camera, (128, 96)))
    assert len(frames) == len(take)
    assert all(f.shape == (96, 128, 3) for f in frames)
    px = project_take(take, camera, (128, 96))
    moved = np.abs(px[-1, J["right_wrist"]] - px[0, J["right_wrist"]]).max()
    changed = np.abs(frames[-1].astype(int) - frames[0].astype(int)).sum(axis=2) > 0
    assert moved > 2 and changed.sum() > 20
    # thickness follows the image size: the same pose lit up 4x the pixels at twice the size
    big = draw_skeleton_pass(px[0] * 2, (256, 192))
    ratio = (big.sum(axis=2) > 0).sum() / (frames[0].sum(axis=2) > 0).sum()
    assert 3.0 < ratio < 5.0


def test_a_label_of_another_size_lines_up_with_the_fitted_video_frame(take):
    """Training pairs a video frame with its label: a mark at a joint in the video lands on
    the same joint of the label after both are fitted to the renderer's size."""
    camera = front_camera(take, width=480, height=270)
    video_px, _ = camera.project(neutral_skeleton().joint_positions(take[:1])[0])
    frame = np.zeros((270, 480, 3), np.uint8)
    x, y = (int(v) for v in video_px[J["left_wrist"]])
    frame[y - 4:y + 5, x - 4:x + 5] = 255
    fitted = fit_frame(frame, (128, 128))
    label_px = fit_to_size(video_px, (480, 270), (128, 128))[J["left_wrist"]]
    assert fitted.shape == (128, 128, 3)
    assert fitted[int(label_px[1]), int(label_px[0])].min() > 200
    assert np.allclose(project_take(take[:1], camera, (128, 128))[0], fit_to_size(
        video_px, (480, 270), (128, 128)))


def test_joints_out_of_view_or_behind_the_camera_are_clipped_without_error(take):
    camera = front_camera(take, distance=0.3)  # inside the chest: much is behind or off-screen
    for labels in label_frames(take[:3], camera, 64):
        assert labels.shape == (64, 64, 3)
    far = np.full((55, 2), 1e7)
    assert not draw_skeleton_pass(far, 64).any()
    nan = np.full((55, 2), np.nan)
    assert not draw_skeleton_pass(nan, 64).any()
    boxes = part_boxes(far, (64, 48))
    for x0, y0, x1, y1 in boxes.values():
        assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 48 and x1 - x0 == y1 - y0
    half = project_take(take[:1], front_camera(take), 64)[0]
    half[J["left_wrist"]] = (-500.0, 30.0)  # a forearm leaving the image on the left
    assert draw_skeleton_pass(half, 64)[:, 0].any()


def test_bad_joint_arrays_and_sizes_say_what_is_wrong():
    with pytest.raises(MotionValueError, match="55, 2"):
        draw_skeleton_pass(np.zeros((22, 2)), 64)
    with pytest.raises(MotionValueError, match="size"):
        draw_skeleton_pass(np.zeros((55, 2)), (0, 64))
