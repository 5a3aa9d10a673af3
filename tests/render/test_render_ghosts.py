"""Stray paint (plugins/renderers/vid2vid/ghosts.py): the real picture of a person paints nothing
on the wall; a second hand beside the real one does, counted as a share of the person's area."""

import numpy as np

from support.render_support import front_camera, person_frames
from talkrig.plugins.renderers.vid2vid.ghosts import stray_paint

SIZE = (128, 128)


def _video(scott_motion):
    take = scott_motion[300:306]
    frames = person_frames(take, front_camera(take, *SIZE))
    wall = frames[0].copy()
    wall[:] = frames[0, 2, 2]  # the stylised video's wall is one colour
    return frames, wall


def test_the_real_picture_and_the_bare_wall_paint_nothing_stray(scott_motion):
    frames, wall = _video(scott_motion)
    assert stray_paint(frames, frames, wall) == 0.0
    assert stray_paint(np.repeat(wall[None], len(frames), 0), frames, wall) == 0.0


def test_a_second_outline_beside_the_person_is_counted_by_its_area(scott_motion):
    frames, wall = _video(scott_motion)
    person = (np.abs(frames.astype(int) - wall.astype(int)).max(axis=-1) > 0)
    ghosted = frames.copy()
    for k, frame in enumerate(frames):  # the person painted again 40 px to the side, faintly
        shifted = np.roll(frame, 40, axis=1).astype(np.float32)
        again = np.roll(person[k], 40, axis=1) & ~person[k]
        ghosted[k][again] = (0.5 * shifted + 0.5 * wall)[again].astype(np.uint8)
    share = stray_paint(ghosted, frames, wall)
    expected = np.mean([(np.roll(p, 40, axis=1) & ~p).sum() / p.sum() for p in person])
    assert 0.5 * expected < share <= expected and share > 0.2  # all but what lies a pixel off the person
