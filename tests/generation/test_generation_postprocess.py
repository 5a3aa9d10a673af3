"""Post-processing: joint limits, jitter removal that keeps strokes sharp, planted feet, frame rate."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from talkrig.inference.features.activity import pause_weight
from talkrig.inference.generation.feet import MAX_TILT, feet_needed, plant_feet
from talkrig.inference.generation.postprocess import (
    calm_pauses, calm_weight, clamp_joint_limits, postprocess, smooth_jitter,
)
from talkrig.motion import Motion, neutral_skeleton
from talkrig.motion.contacts import MAX_STEP_SECONDS, standing as still_feet
from talkrig.motion.container import frame_count
from talkrig.motion.metrics.artifacts import foot_sliding, joint_limit_violations
from talkrig.motion.metrics.distribution import mean_jerk
from talkrig.motion.metrics.feet import foot_pops, longest_lift
from talkrig.motion.metrics.posture import knee_flexion
from talkrig.motion.rotations import geodesic_distance


def standing(n, fps=30.0):
    poses = np.zeros((n, 55, 3), np.float32)
    poses[:, 16, 2], poses[:, 17, 2] = -1.2, 1.2  # arms down
    trans = np.zeros((n, 3), np.float32)
    trans[:, 1] = 1.3
    return Motion(poses=poses, trans=trans, fps=fps)


def test_joints_bent_backwards_are_clamped():
    m = standing(4)
    m.poses[0, 18, 1] = 0.8  # left elbow bent the wrong way (flexion is -y)
    m.poses[1, 19, 1] = -0.9  # right elbow too
    m.poses[2, 4, 0] = -0.7  # left knee backwards
    m.poses[3, 27, 2] = 1.0  # left index tip backwards
    m.poses[3, 15] = (0.0, 2.5, 0.0)  # head turned 143 degrees
    assert joint_limit_violations(m) > 0
    out = clamp_joint_limits(m)
    assert joint_limit_violations(out) == 0
    assert np.linalg.norm(out.poses[3, 15]) <= 1.0 + 1e-6
    assert np.allclose(out.poses[:, 16:18], m.poses[:, 16:18])  # the rest is left alone


def test_real_mocap_passes_the_limits_almost_untouched(scott_motion):
    out = clamp_joint_limits(scott_motion)
    change = geodesic_distance(out.poses, scott_motion.poses)
    assert change.max() < 0.05 and np.mean(change > 1e-6) < 0.002


def test_smoothing_removes_wobble_but_keeps_strokes_sharp():
    fps, n = 30.0, 150
    t = np.arange(n) / fps
    m = standing(n, fps)
    rng = np.random.default_rng(0)
    # right elbow: a slow pose with a 0.01 rad frame-to-frame wobble ...
    m.poses[:, 19, 1] = 1.0 + 0.01 * np.where(np.arange(n) % 2, 1.0, -1.0)
    # ... then a fast stroke of 0.8 rad in 0.13 s at 3 s, ending on a sudden stop
    stroke = np.clip((t - 3.0) / 0.13, 0.0, 1.0)
    m.poses[:, 19, 1] += 0.8 * stroke ** 2
    m.poses[:, 21] = rng.normal(0, 0.002, (n, 3))  # wrist sensor noise
    out = smooth_jitter(m)
    before = np.abs(np.diff(m.poses[:60, 19, 1])).mean()
    after = np.abs(np.diff(out.poses[:60, 19, 1])).mean()
    assert after < 0.3 * before  # the wobble is gone
    peak_in = np.abs(np.diff(m.poses[:, 19, 1])).max()
    peak_out = np.abs(np.diff(out.poses[:, 19, 1])).max()
    assert peak_out > 0.9 * peak_in  # the stroke keeps its speed
    stop = int(round(3.13 * fps))
    assert abs(out.poses[stop + 2, 19, 1] - m.poses[stop + 2, 19, 1]) < 0.02  # and its stop


def test_planted_feet_stay_put_while_the_pelvis_sways():
    n = 120
    m = standing(n)
    t = np.arange(n) / 30.0
    m.trans[:, 0] = 0.04 * np.sin(2 * np.pi * 0.5 * t)  # weight shift
    m.trans[:, 1] += -0.02 * (1 - np.cos(2 * np.pi * 0.5 * t))  # a small dip
    m.poses[:, 0, 1] = 0.1 * np.sin(2 * np.pi * 0.3 * t)  # pelvis turns
    assert foot_sliding(m) > 0.01
    out = plant_feet(m, contacts=np.ones((n, 2)))
    _, pos = neutral_skeleton().forward_kinematics(out.poses, out.trans)
    for ankle in (7, 8):
        assert np.ptp(pos[:, ankle], axis=0).max() < 0.002  # metres
    assert foot_sliding(out) < 0.002
    assert np.allclose(out.poses[:, 9:], m.poses[:, 9:])  # the upper body is untouched
    assert joint_limit_violations(out) == 0


def test_a_step_is_kept_where_the_foot_is_lifted():
    n = 90
    m = standing(n)
    m.trans[:, 2] = np.linspace(0.0, 0.3, n)  # the speaker walks forward ...
    lifted = (np.arange(n) > 30) & (np.arange(n) < 60)
    contacts = np.ones((n, 2))
    contacts[lifted, 0] = 0.0  # ... lifting the left foot in between
    out = plant_feet(m, contacts=contacts)
    _, pos = neutral_skeleton().forward_kinematics(out.poses, out.trans)
    assert np.ptp(pos[:25, 7], axis=0).max() < 0.005  # planted before the step
    assert pos[70, 7, 2] - pos[20, 7, 2] > 0.1  # the left foot moved forward with the step


@pytest.mark.parametrize("fps", [24.0, 25.0, 60.0, 29.97])
def test_output_frame_rate_and_exact_count(fps):
    m = standing(301)
    out = postprocess(m, fps=fps)
    assert out.fps == fps and out.n_frames == frame_count(301 / 30.0, fps)


def _feet(motion):
    """(T, 2, 3) world ankle positions."""
    _, pos = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)
    return pos[:, [7, 8]]


def _straightest_knee(y, z):
    """The left knee's x turn (rad) that makes the leg longest, its y and z turns given."""
    flex = np.linspace(-0.4, 0.4, 801)
    m = standing(len(flex))
    m.poses[:, 4] = np.stack([flex, np.full_like(flex, y), np.full_like(flex, z)], axis=-1)
    _, pos = neutral_skeleton().forward_kinematics(m.poses, m.trans)
    return flex[np.argmax(np.linalg.norm(pos[:, 7] - pos[:, 1], axis=-1))]


def test_a_leg_at_full_reach_bends_forwards_and_never_snaps():
    # The root rises until the planted legs are at full stretch and the knee starts a little
    # hyperextended: the solver must keep the knee bent forwards (inside its limit, so the
    # final clamp changes nothing) and the foot where it is, frame after frame.
    n = 90
    m = standing(n)
    m.poses[:, 4, 0] = -0.15  # left knee slightly backwards
    m.poses[:, 4, 1:] = (-0.07, -0.09)  # with some twist, as real mocap has
    m.trans[:, 1] += np.linspace(0.0, 0.04, n)  # the body rises
    m.trans[:, 2] = 0.03 * np.sin(np.linspace(0, 6, n))  # and sways
    m.contacts = np.ones((n, 2), np.float32)
    out = postprocess(m)
    feet = _feet(out)
    assert np.linalg.norm(np.diff(feet, axis=0), axis=-1).max() < 0.003
    assert np.ptp(feet, axis=0).max() < 0.005
    # bent forwards: past the straightest leg (the neutral skeleton's is 7 deg back of the
    # zero pose), by the 3.6 deg the reach limit leaves at least, and no further (a speaker
    # stands within 1-2 deg of straight; a limit of 99.5 % of the leg bent it 11.5 deg)
    straight = _straightest_knee(-0.07, -0.09)
    assert out.poses[:, 4, 0].min() > straight + np.radians(2.5)
    assert np.percentile(out.poses[:, 4, 0], 10) < straight + np.radians(6.0)
    assert joint_limit_violations(out) == 0
    assert foot_pops(out) == 0


def test_flickering_contacts_give_whole_steps_or_none():
    # Contacts detected on noisy motion flicker; the raw foot creeps forward 20 cm over 3 s.
    n = 90
    rng = np.random.default_rng(3)
    m = standing(n)
    m.trans[:, 2] = np.linspace(0.0, 0.2, n)
    contacts = np.ones((n, 2))
    contacts[rng.random(n) < 0.3, 0] = 0.0  # lifts of a frame or two: no step
    contacts[45:60, 0] = 0.0  # one real lift of half a second: one step
    out = plant_feet(m, contacts=contacts)
    left = _feet(out)[:, 0]
    speed = np.linalg.norm(np.diff(left, axis=0), axis=-1)
    moving = speed > 1e-3
    runs = [b - a for a, b in _runs(moving)]
    assert len(runs) == 1 and runs[0] >= 0.3 * 30 - 1  # one step of at least 0.3 s
    assert speed.max() < 0.05  # never a pop
    assert left[60:, 1].max() - left[:40, 1].max() < 1e-3  # lands on the same floor
    assert foot_pops(out) == 0


def test_a_foot_held_up_for_seconds_waits_on_the_floor_then_steps():
    n = 120
    m = standing(n)
    m.trans[:, 2] = np.where(np.arange(n) < 60, 0.0, 0.25)  # the body moves on at 2 s
    contacts = np.ones((n, 2))
    contacts[10:100, 1] = 0.0  # the right foot "lifted" for 3 s
    out = plant_feet(m, contacts=contacts)
    right = _feet(out)[:, 1]
    moving = np.linalg.norm(np.diff(right, axis=0), axis=-1) > 1e-3
    lifted = right[:, 1] > right[0, 1] + 0.005
    assert lifted.sum() <= 0.7 * 30 + 1  # off the floor for one step only
    assert not moving[:70].any()  # waiting planted
    assert right[-1, 2] - right[0, 2] > 0.2  # then it stepped after the body


@pytest.mark.parametrize("tilt", [0.9, 0.2])
def test_planted_feet_roll_no_further_than_a_standing_foot(tilt):
    # on its toes (heel up) all along: brought down to MAX_TILT; a foot rolled a little as
    # the speaker's are keeps its roll (nailing every foot flat is what gives legs away)
    n = 30
    m = standing(n)
    m.poses[:, 7, 0] = tilt
    out = plant_feet(m, contacts=np.ones((n, 2)))
    rot, _ = neutral_skeleton().forward_kinematics(out.poses, out.trans)
    sole = rot[:, 7] @ np.array([0.0, 0.0, 1.0])  # the foot's forward direction
    assert np.abs(np.arcsin(sole[:, 1])) == pytest.approx(min(tilt, MAX_TILT), abs=2e-3)


def test_calm_pauses_slows_the_body_only_in_pauses():
    fps, n = 30.0, 180
    t = np.arange(n) / fps
    m = standing(n, fps)
    m.poses[:, 19, 1] = 0.8 + 0.5 * np.sin(2 * np.pi * 1.5 * t)  # gesturing all along
    m.poses[:, 22, 0] = 0.2 * np.sin(2 * np.pi * 3 * t)  # the jaw is the face stage's
    speaking = np.ones(n, bool)
    speaking[60:120] = False
    out = calm_pauses(m, pause_weight(speaking, fps))
    speed = np.abs(np.diff(out.poses[:, 19, 1]))
    before = np.abs(np.diff(m.poses[:, 19, 1]))
    assert speed[75:105].mean() < 0.3 * before[75:105].mean()
    assert np.allclose(out.poses[:50], m.poses[:50]) and np.allclose(out.poses[130:], m.poses[130:])
    assert np.allclose(out.poses[:, 22], m.poses[:, 22])
    assert np.allclose(calm_pauses(m, np.zeros(n)).poses, m.poses)


def _upper_speed(motion):
    from talkrig.motion.metrics import joint_positions, joint_speed
    from talkrig.motion.skeleton import UPPER_BODY
    return joint_speed(joint_positions(motion, UPPER_BODY), motion.fps).mean(axis=1)


def test_the_calm_leaves_a_take_that_settles_in_its_pauses_and_calms_one_that_runs_on(scott_motion):
    """A generator that already stills itself in pauses keeps its pause gestures; the real take,
    which gestures on through them, is calmed as ever."""
    m = scott_motion[:600].copy()
    speaking = np.ones(m.n_frames, bool)
    speaking[240:420] = False
    pause = pause_weight(speaking, m.fps)
    deep = slice(260, 400)
    ran_on = _upper_speed(calm_pauses(m, pause))
    assert ran_on[deep].mean() < 0.5 * _upper_speed(m)[deep].mean()
    settled = m.copy()  # the pause's gestures at a fifth of their size around their slow drift
    slow = gaussian_filter1d(m.poses, 0.5 * m.fps, axis=0, mode="nearest")
    settled.poses = np.where((pause > 0)[:, None, None], slow + 0.2 * (m.poses - slow), m.poses).astype(np.float32)
    assert np.allclose(calm_pauses(settled, pause).poses, settled.poses)
    assert np.allclose(calm_pauses(settled, pause).trans, settled.trans)


def test_the_calm_eases_into_a_pause_without_jerking_the_body(scott_motion):
    """Where the calm's weight eases in and out, real motion that gestures on through its pauses
    jerks no more than it did: the easing is slow enough that its rate times the motion's own
    acceleration does not shake the body (eased over 0.3 s, the take jerked 1.4x there)."""
    from talkrig.motion.metrics.kinematics import jerk, joint_positions
    from talkrig.motion.skeleton import UPPER_BODY

    m = scott_motion
    speaking = np.ones(m.n_frames, bool)
    for a, b in ((240, 300), (500, 560), (800, 830), (1000, 1100)):  # pauses of 1-3.3 s
        speaking[a:b] = False
    weight = calm_weight(speaking, m.fps)

    def jerks(motion):
        return np.linalg.norm(jerk(joint_positions(motion, UPPER_BODY), motion.fps), axis=-1).mean(axis=1)

    easing = ((weight > 0) & (weight < 0.99))[1:-2]
    assert easing.sum() > 60
    assert jerks(calm_pauses(m, weight))[easing].mean() <= jerks(m)[easing].mean()


def test_the_calm_works_only_near_pauses_as_the_whole_take_would(scott_motion):
    """The calm low-passes each pause with the frames its Gaussian reaches around it: at the
    pause's frames the calmed joints are the same to the last bit as the whole take filtered
    (pauses at either end of the take and next to each other included), and every other frame,
    pose and root, is the take's own to the bit."""
    from talkrig.inference.generation.postprocess import CALM_SIGMA, calm_needed
    from talkrig.motion.rotations import (
        axis_angle_to_quat, quat_continuity, quat_lowpass, quat_normalize, quat_to_axis_angle,
    )

    m = scott_motion
    speaking = np.ones(m.n_frames, bool)
    for a, b in ((0, 12), (200, 260), (275, 290), (700, 701), (m.n_frames - 30, m.n_frames)):
        speaking[a:b] = False
    pause = pause_weight(speaking, m.fps)
    out = calm_pauses(m, pause)
    w = (pause * calm_needed(m, pause))[:, None, None]
    upper = [3, 6, 9, 12, 15, 16, 17, 18, 19, 20, 21] + list(range(25, 55))
    q = quat_continuity(axis_angle_to_quat(m.poses[:, upper]), axis=0)
    whole = quat_to_axis_angle(quat_normalize((1.0 - w) * q + w * quat_lowpass(q, CALM_SIGMA * m.fps)))
    inside = pause > 0
    assert inside.sum() < 0.5 * m.n_frames
    assert np.array_equal(out.poses[inside][:, upper], whole[inside].astype(np.float32))
    assert np.array_equal(out.poses[~inside], m.poses[~inside])
    assert np.array_equal(out.trans[~inside], m.trans[~inside])


def _runs(mask):
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


@pytest.mark.parametrize("contacts", ["planted", "detected"])
def test_real_mocap_legs_through_postprocess_never_pop(scott_motion, contacts):
    # What a data-driven or learned generator hands the pipeline: real leg motion with steps,
    # knees near full stretch and a root that drifts (planted: the generator says both feet stand;
    # detected: it gives no contacts and keeps its steps).
    m = scott_motion[300:900].copy()
    m.contacts = np.ones((m.n_frames, 2), np.float32) if contacts == "planted" else None
    if contacts == "planted":
        m.trans[:, [0, 2]] = 0.0
    out = postprocess(m)
    assert foot_pops(out) == 0
    assert joint_limit_violations(out) == 0
    if contacts == "planted":
        assert np.ptp(_feet(out), axis=0).max() < 0.005


def _leaning(n, drop, fps=30.0):
    """A speaker whose pelvis rolls so the right ankle hangs ``drop`` metres above the left one
    (a generator's pose held for the whole take), swaying a few millimetres."""
    m = standing(n, fps)
    m.poses[:, 0, 2] = np.arcsin(drop / 0.15)  # the ankles are 0.15 m apart
    m.trans[:, 0] += 0.004 * np.sin(np.arange(n) / fps * 2.0)
    return m


@pytest.mark.parametrize("contacts", ["planted", "detected"])
def test_a_foot_held_above_the_other_stands_on_the_floor(contacts):
    # planted: a neural generator says both feet stand while its pose holds the right one
    # 3.3 cm up; detected: no contacts and the right foot 4.5 cm up, still, for 10 s.
    n = 300
    m = _leaning(n, 0.033 if contacts == "planted" else 0.045)
    m.contacts = np.ones((n, 2), np.float32) if contacts == "planted" else None
    assert longest_lift(m) > 9.0
    out = postprocess(m)
    feet = _feet(out)
    assert np.abs(feet[:, 1, 1] - feet[:, 0, 1]).max() < 0.005  # both ankles on one floor
    assert longest_lift(out) < 0.1
    assert foot_pops(out) == 0


def test_real_mocap_feet_come_out_as_they_went_in(scott_motion):
    # A real speaker's feet roll, pivot, creep and rest off the floor: nailing them down is what
    # gives a take away. Feet at his levels are left exactly as they are, in every 10 s piece.
    for start in range(0, scott_motion.n_frames - 300, 300):
        piece = scott_motion[start:start + 300]
        assert feet_needed(piece) == 0.0
        out = plant_feet(piece)
        assert np.array_equal(out.poses, piece.poses) and np.array_equal(out.trans, piece.trans)


def test_feet_are_solved_as_far_as_they_slide_past_a_speakers(scott_motion):
    # The same real legs with the root held still (a generator that forgets to travel): the
    # feet skate, and the solve plants them; half way past the real level, half the solve.
    m = scott_motion[300:900].copy()
    m.trans[:, [0, 2]] = 0.0
    assert feet_needed(m) == 1.0
    raw = _feet(m)
    above = raw[..., 1] - raw[..., 1].min(axis=1, keepdims=True)
    still = still_feet(raw, above, m.fps)
    out = _feet(plant_feet(m))
    moved = np.linalg.norm(np.diff(out, axis=0), axis=-1)[still[1:] & still[:-1]]
    assert np.percentile(moved, 90) < 0.002  # metres a frame: standing feet stand
    half = _feet(plant_feet(m, need=0.5))
    assert 0.3 < np.abs(half - raw).mean() / np.abs(out - raw).mean() < 0.7


def test_a_step_onto_a_foot_held_off_the_floor_lands_there():
    # No contacts given: the right foot swings 27 cm forward in 0.4 s and stays there 5 cm up
    # for 4 s. That is a step to a new stance (the foot stands there, on the floor), not a
    # foot left waiting at its old place nor hanging in the air.
    n = 150
    m = standing(n)
    t = np.arange(n) / 30.0
    m.poses[:, 2, 0] = -0.35 * np.clip((t - 0.5) / 0.4, 0.0, 1.0)  # right hip flexes
    raw = _feet(m)
    out = _feet(plant_feet(m))
    assert out[-1, 1, 2] - raw[-1, 1, 2] == pytest.approx(0.0, abs=0.01)  # landed where it went
    assert abs(out[-1, 1, 1] - out[-1, 0, 1]) < 0.005  # on the floor
    moving = np.linalg.norm(np.diff(out[:, 1], axis=0), axis=-1) > 1e-3
    runs = [b - a for a, b in _runs(moving)]
    assert len(runs) == 1 and runs[0] >= 0.3 * 30 - 1  # one whole step
    assert foot_pops(plant_feet(m)) == 0


def _generated_like(real, noise, seed=0):
    """Real standing motion as a neural generator hands it over: pelvis and leg rotations with
    ``noise`` rad of frame-to-frame tremble, the root placed from the feet (``planted_trans``),
    both feet said to stand."""
    from talkrig.plugins.neural.grounding import feet_anchor, planted_trans

    m = real.copy()
    legs = [0, 1, 2, 4, 5, 7, 8]
    m.poses[:, legs] += np.random.default_rng(seed).normal(0.0, noise, (m.n_frames, len(legs), 3)).astype(np.float32)
    m.trans = planted_trans(m.poses, feet_anchor(real.poses, real.trans))
    m.contacts = np.ones((m.n_frames, 2), np.float32)
    return m


def _world_jerk(motion, joints):
    """Mean jerk of world joint positions, m/s^3."""
    _, pos = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)
    return float(np.linalg.norm(np.diff(pos[:, joints], n=3, axis=0), axis=-1).mean()) * motion.fps ** 3


def test_the_speakers_own_legs_solved_in_full_keep_their_knees(scott_motion):
    # Forced through the whole solve, his standing legs stay as straight and as smooth as he
    # holds them: the root drops no further than the legs need and the knees near full reach
    # do not turn a hip's sub-millimetre ripple into knee tremble.
    real = scott_motion
    out = plant_feet(real, need=1.0)
    # (1.25x his: straight knees move more for the same hip; a root dropped to the need itself,
    # unsmoothed, gave 2.0x)
    assert mean_jerk(out, [4, 5]) < 1.4 * mean_jerk(real, [4, 5])
    bend = lambda m: np.degrees(np.median(knee_flexion(m), axis=0))
    assert np.all(bend(out) - bend(real) < 6.0)


@pytest.mark.parametrize("noise", [0.003, 0.01])
def test_planted_legs_of_a_trembling_generator_stand_as_still_as_the_speaker(scott_motion, noise):
    # The planted feet hold still; what the generator's tremble would have shaken (the root over
    # the feet, the knees) moves no more than the real speaker's, and the weight shifts, the
    # pelvis's turns and the upper body are left as they were.
    real = scott_motion[300:600]
    m = _generated_like(real, noise)
    out = postprocess(m)
    assert np.ptp(_feet(out), axis=0).max() < 0.001  # metres: no slide
    ankles, knees = [7, 8], [4, 5]
    assert mean_jerk(out, ankles) < mean_jerk(real, ankles)  # ankles against the pelvis
    # (a tremble of 0.003 rad is the speaker's own level: left to him, within a few percent)
    assert _world_jerk(out, knees) < 1.05 * _world_jerk(real, knees)
    slow = lambda trans: gaussian_filter1d(trans[:, [0, 2]].astype(np.float64), 0.5 * out.fps, axis=0)
    assert np.abs(slow(out.trans) - slow(m.trans)).max() < 0.005  # weight shifts kept
    unfooted = postprocess(m, feet=False)
    others = np.setdiff1d(np.arange(55), [1, 2, 4, 5, 7, 8])
    assert np.array_equal(out.poses[:, others], unfooted.poses[:, others])


def test_each_foot_stands_on_its_own_floor_unless_held_in_the_air():
    # A speaker's ankles need not rest at one height (his right stands 1.6 cm above his left):
    # each foot is planted at its own height; a foot held 5 cm up for the whole take is not on
    # a floor of its own and comes down to the other one's.
    from talkrig.motion.contacts import foot_floors

    n = 60
    contacts = np.ones((n, 2), bool)
    ankles = np.zeros((n, 2, 3))
    ankles[:, 0, 1], ankles[:, 1, 1] = 0.09, 0.106
    assert foot_floors(contacts, ankles) == pytest.approx([0.09, 0.106])
    ankles[:, 1, 1] = 0.14
    assert foot_floors(contacts, ankles) == pytest.approx([0.09, 0.09])
    contacts[:, 1] = False
    assert foot_floors(contacts, ankles)[1] is None
    m = standing(n)
    m.poses[:, 2, 0] = -0.08  # the right thigh a little forward: its ankle rests 1 cm higher
    raw = _feet(m)
    out = _feet(plant_feet(m, contacts=np.ones((n, 2), np.float32)))
    assert out[:, 1, 1] - out[:, 0, 1] == pytest.approx(raw[0, 1, 1] - raw[0, 0, 1], abs=0.002)


def test_planted_feet_turn_with_the_pelvis_on_the_spot():
    # The pelvis turns 10 deg one way and back over 2 s: the planted feet turn with it by
    # FOOT_PIVOT of that, about their ankles (which stay where they stand); the slow heading of
    # the take is the plants' own.
    from talkrig.inference.generation.feet import FOOT_PIVOT, heading
    from talkrig.motion.rotations import axis_angle_to_matrix

    n = 120
    m = standing(n)
    yaw = np.radians(10.0) * np.sin(np.linspace(0.0, 2.0 * np.pi, n))
    m.poses[:, 0, 1] = yaw
    m.contacts = np.ones((n, 2), np.float32)
    out = plant_feet(m)
    rot, pos = neutral_skeleton().forward_kinematics(out.poses, out.trans)
    turned = heading(rot[:, 7]) - heading(rot[:1, 7])
    inner = slice(20, n - 20)  # away from the ends, where the slow heading's window is cut
    gain = np.polyfit(yaw[inner], turned[inner], 1)[0]
    assert 0.6 * FOOT_PIVOT < gain < 1.2 * FOOT_PIVOT
    assert np.ptp(pos[:, [7, 8]], axis=0).max() < 0.001  # turned on the spot
    assert foot_pops(out) == 0


def test_a_body_sunk_on_two_bent_knees_stands_up_on_the_straighter_leg(scott_motion, monkeypatch):
    # A network's legs come out bent and its pelvis wanders over the planted feet: the root
    # rises, smoothly, until the straighter leg stands about as straight as a speaker's, so the
    # weight never sinks on two bent knees; the feet stay where they were planted.
    from talkrig.inference.generation import feet
    from talkrig.plugins.neural.grounding import feet_anchor, planted_trans

    real = scott_motion[300:600]
    m = _generated_like(real, 0.0)
    m.poses[:, [4, 5], 0] += 0.5  # both knees bent by 29 deg...
    m.poses[:, [1, 2], 0] -= 0.25  # ...the thighs forward, the shins back
    m.trans = planted_trans(m.poses, feet_anchor(real.poses, real.trans))
    straighter = lambda motion: np.degrees(np.median(np.min(knee_flexion(motion), axis=1)))
    root_jerk = lambda motion: np.abs(np.diff(motion.trans[:, 1], n=3)).mean()
    out = plant_feet(m)
    monkeypatch.setattr(feet, "_raise_root", lambda *args: None)
    sunk = plant_feet(m)
    assert straighter(sunk) > 25.0  # the body left on its bent knees
    assert straighter(out) < 15.0  # his: 9.0 deg in this piece
    assert np.ptp(_feet(out), axis=0).max() < 0.001  # metres: no slide
    assert root_jerk(out) < 0.5 * root_jerk(real)  # risen smoothly (sunk: 0.35x his)


def test_a_turning_pelvis_twists_the_knees_as_well_as_the_ankles(scott_motion, monkeypatch):
    # When the hips turn over planted feet, a speaker's shins turn part of the way with them and
    # his knees take up the rest with his ankles; an ankle left to take the whole twist alone is
    # what tells solved legs from his. The twist moves neither the ankles nor the feet.
    from talkrig.inference.generation import feet
    from talkrig.inference.generation.feet import heading
    from talkrig.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle

    real = scott_motion[300:600]
    m = _generated_like(real, 0.0)
    t = np.arange(m.n_frames) / m.fps
    sway = axis_angle_to_matrix(np.stack([0 * t, 0.12 * np.sin(2 * np.pi * 0.8 * t), 0 * t], axis=-1))
    m.poses[:, 0] = matrix_to_axis_angle(sway @ axis_angle_to_matrix(m.poses[:, 0].astype(np.float64)))

    def ankle_twist(motion):
        rot, _ = neutral_skeleton().forward_kinematics(motion.poses, motion.trans)
        gap = heading(rot[:, 7]) - heading(rot[:, 4])  # left foot against left shin
        return np.std(gap - gaussian_filter1d(gap, motion.fps))

    out = plant_feet(m)
    monkeypatch.setattr(feet, "SHIN_FOLLOW", 0.0)
    alone = plant_feet(m)
    assert ankle_twist(out) < 0.6 * ankle_twist(alone)
    assert np.abs(_feet(out) - _feet(alone)).max() < 1e-4  # metres: the ankles stay
    rot = lambda motion: neutral_skeleton().forward_kinematics(motion.poses, motion.trans)[0][:, [10, 11]]
    assert np.abs(rot(out) - rot(alone)).max() < 1e-4  # the feet turn as they did


def test_the_calm_leaves_feet_that_stand_where_they_stood(scott_motion):
    """Mocap, or matching's library legs, say nothing of their feet: no leg is re-solved after
    the calm, so it leaves the legs and the root, turning the thighs back under the calmed
    pelvis: the feet stay within 1.3 cm here, the supporting foot's skate 1.06x the take's
    (calming the root too moved them up to 23 cm, skate 2.3x). A generator that says which feet stand has its
    root calmed, and the feet stage re-solves its legs."""
    from talkrig.motion.metrics import foot_skate
    from talkrig.motion.skeleton import neutral_skeleton

    m = scott_motion[:600].copy()
    speaking = np.ones(m.n_frames, bool)
    speaking[240:420] = False
    pause = pause_weight(speaking, m.fps)
    out = calm_pauses(m, pause)
    assert not np.allclose(out.poses[260:400, 0], m.poses[260:400, 0])  # the pelvis calms

    def ankles(motion):
        return neutral_skeleton().forward_kinematics(motion.poses, motion.trans)[1][:, [7, 8]]

    moved = np.linalg.norm(ankles(out) - ankles(m), axis=-1)
    assert moved.max() < 0.02, moved.max()
    assert foot_skate(out) <= 1.1 * foot_skate(m)
    told = m.copy()
    told.contacts = np.ones((m.n_frames, 2), np.float32)
    calmed = calm_pauses(told, pause)
    assert np.abs(calmed.trans[260:400] - m.trans[260:400]).max() > 0.002


@pytest.mark.parametrize("frames", [1, 5, 300])
def test_the_hips_over_a_moving_root_are_forward_kinematics_own(scott_motion, frames):
    """While the root is lowered and raised under planted feet, the hips' places are worked out
    from the pelvis's turn once: for any root they must be what the legs' forward kinematics
    gives, to the bit (a rounding apart there would move every solved leg)."""
    from talkrig.inference.generation.feet import LEGS, _LegSkeleton

    legs = _LegSkeleton(neutral_skeleton())
    poses = np.array(scott_motion.poses[100:100 + frames], np.float32)
    hips = legs.hips_over_root(poses)
    rng = np.random.default_rng(frames)
    for trans in (scott_motion.trans[100:100 + frames],
                  (scott_motion.trans[100:100 + frames] + rng.normal(0, 0.05, (frames, 3))).astype(np.float32)):
        _, pos = legs.forward_kinematics(poses, trans)
        np.testing.assert_array_equal(hips(trans), pos[:, [hip for hip, _, _ in LEGS]])


def test_a_quick_step_lands_the_same_whatever_step_comes_after():
    """A step whose plants lie close is widened into them, its landing reaching into the next
    plant: the foot must arrive on its arc whether or not another step follows (it was set down
    on the plant at the plant's first frame instead, a 10 cm jump in one frame)."""
    from talkrig.inference.generation.feet import foot_targets

    plants = [(0, 30, np.array([0.0, 0.1, 0.0]), np.eye(3)), (32, 45, np.array([0.25, 0.1, 0.0]), np.eye(3))]
    alone, _ = foot_targets(plants, 100, 30.0)
    followed, _ = foot_targets(plants + [(70, 100, np.array([0.5, 0.1, 0.0]), np.eye(3))], 100, 30.0)
    np.testing.assert_array_equal(followed[:50], alone[:50])
    assert np.linalg.norm(np.diff(followed[:50], axis=0), axis=-1).max() < 0.06
