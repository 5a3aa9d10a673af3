"""The ghost measure (plugins/renderers/vid2vid/ghosts.py): a picture of the person on the wall
draws nothing outside the person; a second outline beside them does, and is counted."""

import numpy as np

from support.render_support import front_camera, person_frames
from talkrig.motion.skeleton import neutral_skeleton
from talkrig.plugins.renderers.vid2vid.ghosts import ghost_energy, outside_person

SIZE = (128, 128)


def _person(scott_motion):
    take = scott_motion[300:306]
    camera = front_camera(take, *SIZE)
    joints, _ = camera.project(neutral_skeleton().joint_positions(take))
    return person_frames(take, camera), joints


def test_a_person_on_the_wall_draws_nothing_outside_themselves(scott_motion):
    frames, joints = _person(scott_motion)
    wall = frames[0].copy()
    wall[:] = frames[0, 2, 2]  # the stylised video's wall is one colour
    outside = outside_person(joints[0], SIZE)
    assert 0.3 < outside.mean() < 0.95  # a person in the frame, most of it wall
    assert ghost_energy(frames, wall, joints) < 0.5
    assert ghost_energy(np.repeat(wall[None], len(frames), 0), wall, joints) == 0.0


def test_a_second_outline_beside_the_person_is_counted(scott_motion):
    frames, joints = _person(scott_motion)
    wall = frames[0].copy()
    wall[:] = frames[0, 2, 2]
    ghosted = frames.copy()
    for k, frame in enumerate(frames):  # the person painted again 30 px to the side, faintly
        shifted = np.roll(frame, 30, axis=1).astype(np.float32)
        person = np.abs(shifted - wall).max(axis=-1, keepdims=True) > 0
        ghosted[k] = np.where(person, 0.6 * frame + 0.4 * shifted, frame).astype(np.uint8)
    clean, ghost = ghost_energy(frames, wall, joints), ghost_energy(ghosted, wall, joints)
    assert ghost > 5 * max(clean, 0.1)
    assert ghost_energy(frames, wall, np.full_like(joints, np.nan)) > ghost_energy(frames, wall, joints)
