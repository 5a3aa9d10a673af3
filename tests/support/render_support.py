"""A tiny "person video" for the renderer tests, made in a second without Blender.

The person is the skeleton pass itself, re-coloured and softened (skin-toned limbs, a face, a
grey wall): a picture that follows the motion exactly as a filmed person would, so a renderer
trained on a few frames of it has something learnable. Written as an H.264 mp4 with the take
(``NAME.npz``) and its camera (``NAME.camera.json``) beside it, as a capture folder holds them.
"""

import numpy as np

from support.capture_support import encode_video
from talkrig.motion.camera import Camera
from talkrig.motion.npz import write_npz
from talkrig.motion.skeleton import JOINT_INDEX, neutral_skeleton
from talkrig.motion.skeleton_pass import draw_skeleton_pass

WALL = np.array([120, 128, 136], np.float32)
SKIN = np.array([205, 160, 130], np.float32)


def front_camera(motion, width, height, distance=2.6):
    """A camera in front of the first frame's chest, framing the upper body."""
    chest = neutral_skeleton().joint_positions(motion[:1])[0, JOINT_INDEX["spine3"]]
    pose = np.eye(4)
    pose[:3, 3] = chest + (0.0, -0.1, distance)
    return Camera(width=width, height=height, focal=0.9 * height, world_from_camera=pose,
                  world_from_motion=np.eye(4), fps=float(motion.fps))


def person_frames(motion, camera):
    """(T, H, W, 3) uint8 pictures of a stylised person performing ``motion``."""
    px, depth = camera.project(neutral_skeleton().joint_positions(motion))
    frames = []
    for points in px:
        label = draw_skeleton_pass(points, (camera.width, camera.height)).astype(np.float32)
        body = (label.max(axis=2, keepdims=True) > 0).astype(np.float32)
        tint = 0.6 * SKIN + 0.4 * label
        picture = WALL * (1 - body) + tint * body
        frames.append(np.clip(picture, 0, 255).astype(np.uint8))
    return np.stack(frames)


def person_video(folder, motion, size=(96, 64), name="person"):
    """Write NAME.mp4, NAME.npz and NAME.camera.json into ``folder``; returns the video path."""
    folder.mkdir(parents=True, exist_ok=True)
    camera = front_camera(motion, *size)
    video = folder / f"{name}.mp4"
    encode_video(video, person_frames(motion, camera), fps=int(round(motion.fps)))
    write_npz(motion, folder / f"{name}.npz")
    camera.save(folder / f"{name}.camera.json")
    return video
