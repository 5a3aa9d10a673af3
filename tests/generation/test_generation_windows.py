"""The window-by-window driver: exact lengths, bounded windows, seamless joins, initial pose,
progress and cancellation."""

import numpy as np
import pytest

from talkrig.inference.generation.generators import GenerationRequest, Generator
from talkrig.inference.progress import JobCancelled
from talkrig.inference.generation.postprocess import clamp_joint_limits
from talkrig.inference.generation.windows import CONTEXT_SECONDS, blend_seam, window_bounds
from talkrig.motion import Motion
from talkrig.motion.rotations import geodesic_distance

from support.generation_support import silent_features


class Jumpy(Generator):
    """Smooth motion inside each window, but every window starts somewhere else: the driver
    has to hide the joins. Records the windows it was given."""

    name = "jumpy"
    window_seconds = 2.0

    def __init__(self):
        self.seen = []

    def generate_window(self, request, window):
        self.seen.append((window.start, window.stop, None if window.previous is None else window.previous.n_frames))
        rng = np.random.default_rng(window.index)
        t = np.arange(window.start, window.stop) / request.fps
        phase = rng.uniform(0, 2 * np.pi, (55, 3))
        poses = 0.3 * np.sin(2 * np.pi * 0.7 * t[:, None, None] + phase)
        trans = np.zeros((window.n_frames, 3))
        trans[:, 1] = 1.3 + 0.05 * rng.standard_normal()
        return Motion(poses=poses, trans=trans, expressions=np.full((window.n_frames, 10), rng.normal()),
                      fps=request.fps)


@pytest.mark.parametrize("n, size", [(1, 60), (59, 60), (60, 60), (61, 60), (1000, 60)])
def test_windows_cover_every_frame_once(n, size):
    bounds = window_bounds(n, size)
    covered = np.concatenate([np.arange(a, b) for a, b in bounds])
    assert np.array_equal(covered, np.arange(n))
    assert all(b - a <= size for a, b in bounds)


def test_seams_are_continuous_and_windows_bounded():
    fps = 30.0
    gen = Jumpy()
    n = 30 * 11 + 7
    motion = gen.generate(GenerationRequest(silent_features(n), n_frames=n, fps=fps))
    assert motion.n_frames == n
    step = geodesic_distance(motion.poses[1:], motion.poses[:-1]).max(axis=1)  # (n-1,)
    seams = np.array([a for a, _ in window_bounds(n, 60)][1:])
    inside = np.ones(n - 1, bool)
    for s in seams:
        inside[max(0, s - 1):s + 12] = False  # the join and the blended frames after it
    own_max = step[inside].max()
    assert step[seams - 1].max() <= own_max  # no jump where windows meet
    assert step.max() <= own_max * 1.6  # and the blend itself stays gentle
    trans_step = np.abs(np.diff(motion.trans[:, 1]))
    assert trans_step.max() < 0.02
    # constant working memory: each window sees at most its own frames plus a bounded context
    assert all(b - a <= 60 for a, b, _ in gen.seen)
    assert all(p is None or p <= CONTEXT_SECONDS * fps for _, _, p in gen.seen)


def test_unblended_windows_would_jump():
    """The Jumpy generator really is discontinuous: without the seam rule the join jumps."""
    gen = Jumpy()
    req = GenerationRequest(silent_features(120), n_frames=120, fps=30.0)
    from talkrig.inference.generation.windows import Window

    a = gen.generate_window(req, Window(0, 0, 60))
    b = gen.generate_window(req, Window(1, 60, 120))
    raw = geodesic_distance(b.poses[0], a.poses[-1]).max()
    blended = blend_seam(a, b, 10)
    assert raw > 0.2
    assert geodesic_distance(blended.poses[0], a.poses[-1]).max() < 0.1
    changed = np.flatnonzero(np.any(np.abs(blended.poses - b.poses) > 1e-6, axis=(1, 2)))
    assert changed[0] == 0 and len(changed) >= 10 and np.allclose(blended.poses[-1], b.poses[-1])
    # a small offset is faded out over exactly DR2's k = 10 frames
    nudged = Motion(poses=a.poses[:1] + 0.01, trans=a.trans[:1], fps=30.0)
    small = blend_seam(nudged, a, 10, rotations_only=True)
    changed = np.flatnonzero(np.any(np.abs(small.poses - a.poses) > 1e-6, axis=(1, 2)))
    assert changed.tolist() == list(range(10))


def test_a_seam_between_elbows_near_a_half_turn_does_not_snap_once_limited():
    """Elbow 2.4 rad to 3.1 rad about axes 106 degrees apart: the shortest arc crosses a half
    turn, where clamping to the elbow's range would fold the forearm back in one frame."""
    still = Motion.rest(30, 30.0)
    before, after = still.copy(), still.copy()
    before.poses[:, 19] = (1.92, 1.44, 0.0)
    after.poses[:, 19] = (-2.48, 1.86, 0.0)
    seam = clamp_joint_limits(Motion.concatenate([before, blend_seam(before, after, 10)]))
    hinge = seam.poses[:, 19, 1]  # the right elbow's flexion
    ends = clamp_joint_limits(Motion.concatenate([before[:1], after[:1]])).poses[:, 19]
    assert np.abs(np.diff(hinge)).max() <= 0.25 * abs(ends[1, 1] - ends[0, 1]) + 0.02
    assert geodesic_distance(seam.poses[-1, 19], ends[1]) < 0.02  # and it arrives


def test_initial_pose_is_where_the_motion_starts():
    pose = np.zeros((55, 3), np.float32)
    pose[17] = (0.0, 0.4, 1.2)
    pose[19] = (0.0, 1.5, 0.0)
    motion = Jumpy().generate(GenerationRequest(silent_features(90), n_frames=90, fps=30.0, initial_pose=pose))
    assert geodesic_distance(motion.poses[0], pose).max() < 1e-4
    assert geodesic_distance(motion.poses[30], pose).max() > 0.05  # then it moves on its own


def test_progress_rises_to_one_and_cancel_stops_between_windows():
    fractions = []
    n = 300
    Jumpy().generate(GenerationRequest(silent_features(n), n_frames=n, fps=30.0, progress=fractions.append))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 5

    gen = Jumpy()
    calls = []

    def cancelled():
        calls.append(1)
        return len(gen.seen) >= 2

    with pytest.raises(JobCancelled):
        gen.generate(GenerationRequest(silent_features(n), n_frames=n, fps=30.0, cancelled=cancelled))
    assert len(gen.seen) == 2


def test_a_generator_returning_the_wrong_length_is_reported():
    from talkrig.inference.registry import PluginError

    class Short(Jumpy):
        def generate_window(self, request, window):
            return super().generate_window(request, window)[:-1]

    with pytest.raises(PluginError, match="returned 59 frames for a window of 60"):
        Short().generate(GenerationRequest(silent_features(120), n_frames=120, fps=30.0))
