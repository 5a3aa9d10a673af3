"""The procedural generator's plan: which gesture when, with which hand, and the idle events.

Planning is cheap (a few events per second of speech), done once per request from the prosody
and the seeded random generator; synthesizing any window afterwards is a pure function of time.

A gesture unit follows the classic phases: preparation (the hand travels into gesture space),
a stroke that lands on a stressed beat, further beat strokes on the following stressed beats,
a short hold, then a retraction to rest when a real pause follows (or straight into the next
unit); in a long pause the hands may clasp (and rub) instead of hanging. Every phrase of
speech gets units: the hands rest only in pauses. One-handed units send the other hand back
to rest or let it wait low. Variants of a pose are drawn around the repertoire's and checked
(poses.plausible) so no variant raises a palm to the listener.
"""

import bisect
import math
import zlib
from dataclasses import dataclass

import numpy as np

from ....motion.rotations import axis_angle_to_quat, quat_angle, quat_multiply, quat_slerp
from .poses import ADAPTORS, BEAT_GESTURES, plausible, side_quats
from .tracks import EASE_SMOOTH, EASE_STROKE, KeyTrack, Keys

SIDES = ("left", "right")
HAND_SHARES = (0.3, 0.58)  # cumulative: dominant hand alone, the other alone, then both
BALANCE_UNITS = 3  # a hand this many units ahead of the other gives the next one-handed unit away
RETRACT_PAUSE = 1.0  # seconds: a pause at least this long sends the hands to rest
DROP_GAP = 0.8  # seconds between two units' beats: the hands may sink toward rest between them
ADAPTOR_PAUSE = 1.6  # seconds: in a pause this long the hands may find each other instead
STEP_GAP = (2.5, 6.0)  # seconds between one step pair and the next
STEP_SECONDS = 1.0  # a pair of steps: the leading foot, then the other
STEP_SHARE = (0.4, 0.8)  # of the speaker's median step length (posture.json)
STEP_RADIUS = 0.45  # m: steps wander no further than this from where the body started
MAX_ELBOW_PATH = 2.4  # radians: a move whose elbow would bend further goes round by a low pose


@dataclass
class Plan:
    """Key tracks and events in seconds; see synthesis.py for how they become joint rotations."""

    arms: dict  # side -> KeyTrack of (19, 4) quats (arm + fingers)
    flick_times: dict  # side -> (B,) beat times with an arm stroke
    flick_amps: dict  # side -> (B,) amplitudes (0..~1.2)
    nod_times: np.ndarray
    nod_amps: np.ndarray  # radians, positive = chin down
    gaze: KeyTrack  # (2,) head yaw, pitch targets (radians)
    eyes: KeyTrack  # (2,) eye yaw, pitch in the head (saccades)
    tilt: KeyTrack  # (1,) head roll
    torso: KeyTrack  # (2,) spine yaw toward the gesturing hand, forward lean
    stance: KeyTrack  # (1,) weight shift -1 (on the right foot) .. 1 (on the left foot)
    place: KeyTrack  # (2,) where the body stands on the floor (x, z metres), moved by steps
    steps: np.ndarray  # (S, 3) step pairs: start time (s), duration (s), leading foot (0 left, 1 right)
    breath_rate: float  # Hz
    breath_phase: float
    rubs: list  # (start, end) seconds of clasped hands rubbing


# radians a variant's joints turn from the repertoire's pose: collar, shoulder, elbow, wrist, fingers
JITTER = np.array([0.03, 0.10, 0.12, 0.10] + [0.035] * 15)


def _vary(name, side, rng, amount):
    """The repertoire's pose ``name`` of one side with a random small rotation per joint, as
    quaternions (19, 4)."""
    jitter = rng.normal(0.0, 1.0, (len(JITTER), 3)) * JITTER[:, None] * amount
    return quat_multiply(axis_angle_to_quat(jitter), side_quats(name, side))


class ArmKeys(Keys):
    """Keys of one arm (J, 4) whose moves never swing the elbow through a bend it cannot make.

    Two poses with the forearm turned opposite ways can lie so far apart that the shortest
    rotation between them passes the elbow through half a turn; such a move goes by ``via``
    (low in gesture space) instead, half of its time to get there."""

    def __init__(self, value, via, start=0.0):
        super().__init__(value, start)
        self.via = np.asarray(via, np.float64)

    def move(self, start, arrive, value, kind=EASE_SMOOTH, min_duration=0.12):
        if _may_bend_past(self.last_value, value, MAX_ELBOW_PATH) \
                and _elbow_path_bend(self.last_value, value) > MAX_ELBOW_PATH:
            start = max(float(start), self.last_time)
            middle = start + 0.5 * (max(float(arrive), start + 2.0 * min_duration) - start)
            super().move(start, middle, self.via, EASE_SMOOTH, min_duration)
        return super().move(start, arrive, value, kind, min_duration)


def _may_bend_past(a, b, limit):
    """False where no elbow rotation on the shortest way from arm pose a to b ((J, 4) each) can
    turn further than ``limit`` radians, so the way need not be sampled: none lies further from
    rest than the nearer end plus the way between them (rotation distances obey the triangle
    inequality). Most moves of a plan are decided so, the same way as sampled; the bound is
    worked in plain floats, its margin far wider than their rounding."""
    qa, qb = a[2].tolist(), b[2].tolist()
    na, nb = math.sqrt(sum(x * x for x in qa)), math.sqrt(sum(x * x for x in qb))
    way = 2.0 * math.acos(min(1.0, abs(sum(x * y for x, y in zip(qa, qb))) / (na * nb)))
    nearer = 2.0 * math.acos(min(1.0, max(abs(qa[0]) / na, abs(qb[0]) / nb)))
    return nearer + way > limit - 1e-6


def _elbow_path_bend(a, b, steps=9):
    """Largest elbow rotation (radians) on the shortest way from arm pose a to b, (J, 4) each."""
    path = quat_slerp(np.broadcast_to(a[2], (steps, 4)), np.broadcast_to(b[2], (steps, 4)),
                      np.linspace(0.0, 1.0, steps)[:, None])
    return float(np.max(quat_angle(path)))


class _Planner:
    def __init__(self, prosody, rng, options, duration):
        self.p = prosody
        self.rng = rng
        self.seed = rng.bit_generator.seed_seq
        self.duration = duration
        self.energy_scale = float(options.get("energy", 1.0))
        self.rate = float(options.get("gesture_rate", 1.0))
        self.dominant = options.get("dominant_hand", "right")
        self.head_scale = float(options.get("head", 1.0))
        # per-seed "character": a slightly different resting stance
        self.rest = {}
        self.ready = {}
        for side in SIDES:
            self.rest[side] = _vary("rest", side, rng, 0.6)
            self.ready[side] = side_quats("ready", side)
        self.low = {side: quat_slerp(self.rest[side], self.ready[side], 0.5) for side in SIDES}  # low in gesture space
        self.keys = {side: ArmKeys(self.rest[side], self.low[side]) for side in SIDES}
        self.active = {side: False for side in SIDES}
        self.flicks = {side: ([], []) for side in SIDES}
        self.previous_gesture = None
        self.previous_hands = None
        self.used = {side: 0 for side in SIDES}  # units each hand has gestured in
        self.rubs = []  # (start, end) seconds the clasped hands rub each other

    # --- gestures -------------------------------------------------------------------------
    def choose_hands(self):
        """The hands of the next unit: often the previous unit's again; one hand alone or both,
        leaning toward the hand that has gestured less so far, so that neither hand sits out a
        whole take (real speakers use both hands about equally, often together)."""
        other = "left" if self.dominant == "right" else "right"
        ahead = self.used[self.dominant] - self.used[other]  # units
        if self.previous_hands is not None and self.rng.random() < 0.4:
            behind = len(self.previous_hands) == 1 and abs(ahead) >= BALANCE_UNITS \
                and (self.previous_hands[0] == self.dominant) == (ahead > 0)
            if not behind:
                return self._use(self.previous_hands)
        lean = float(np.clip(ahead / BALANCE_UNITS, -1.0, 1.0)) * HAND_SHARES[0]
        r = self.rng.random()
        hands = (self.dominant,) if r < HAND_SHARES[0] - lean else (other,) if r < HAND_SHARES[1] else SIDES
        return self._use(hands)

    def _use(self, hands):
        self.previous_hands = hands
        for side in hands:
            self.used[side] += 1
        return hands

    def choose_gesture(self, two_handed):
        names = list(BEAT_GESTURES)
        weights = np.array([BEAT_GESTURES[n][1 if two_handed else 0] for n in names], np.float64)
        if self.previous_gesture in names:
            weights[names.index(self.previous_gesture)] *= 0.3
        if weights.sum() <= 0:
            return "ready"
        return names[self.rng.choice(len(names), p=weights / weights.sum())]

    def gesture_pose(self, name, side, amplitude, variation=1.5):
        """A variant of a repertoire pose: jittered per joint, scaled from low in gesture space
        by ``amplitude``; a variant a speaker would not make (see poses.plausible) is drawn
        again with less jitter."""
        low = self.low[side]
        amount = float(np.clip(amplitude, 0.0, 1.1))
        for _ in range(4):
            pose = quat_slerp(low, _vary(name, side, self.rng, variation), amount)
            if plausible(pose, side):
                return pose
            variation *= 0.5
        return quat_slerp(low, side_quats(name, side), min(amount, 1.0))  # the repertoire's own

    def unit(self, beats, strengths, phrase_end, pause_after, last_in_phrase):
        """One gesture unit over ``beats``: prepare, stroke on the beats, then hold or retract."""
        hands = self.choose_hands()
        name = self.choose_gesture(len(hands) == 2)
        self.previous_gesture = name
        strength = float(np.mean(strengths))
        amplitude = np.clip(0.7 + 0.4 * strength + self.rng.normal(0, 0.1), 0.5, 1.1)
        amplitude *= min(self.energy_scale, 1.3)
        prep = self.rng.uniform(0.3, 0.5) * (1.1 - 0.25 * strength)
        hold = self.rng.uniform(0.2, 0.45)
        for side in SIDES:
            if side not in hands and self.active[side]:
                self._release(side, beats[0] - prep)
        for side in hands:
            lag = self.rng.uniform(-0.05, 0.05) if len(hands) == 2 else 0.0
            self._strokes(side, name, beats + lag, strengths, amplitude, prep)
        end = beats[-1] + hold
        if last_in_phrase:
            if pause_after > ADAPTOR_PAUSE:
                self._settle(max(end, phrase_end - 0.05), phrase_end + pause_after)
            elif pause_after > RETRACT_PAUSE:
                start = max(end, phrase_end - 0.05)
                for side in hands:
                    self._retract(side, start)
            else:
                for side in hands:  # drift lower while the short pause lasts
                    keys = self.keys[side]
                    keys.move(end, end + 0.5, quat_slerp(keys.last_value, self.rest[side], 0.4))

    def _strokes(self, side, name, beats, strengths, amplitude, prep):
        """Bring one hand into the gesture on the first reachable beat, then stroke on the rest:
        most strokes travel to a new variant of the gesture, all get a beat flick."""
        keys = self.keys[side]
        pose = self.gesture_pose(name, side, amplitude)
        travel = max(prep, _travel_time(keys.last_value, pose))
        first = 0
        while first < len(beats) - 1 and beats[first] - keys.last_time < travel:
            first += 1
        arrive = max(beats[first], keys.last_time + travel)
        keys.move(arrive - travel, arrive, pose, EASE_STROKE)
        self.active[side] = True
        times, amps = self.flicks[side]
        for b, s in zip(beats[first + 1:], strengths[first + 1:]):
            variant = self.gesture_pose(name, side, amplitude * self.rng.uniform(0.7, 1.2), 2.8)
            travel = max(self.rng.uniform(0.25, 0.4), _travel_time(keys.last_value, variant))
            if self.rng.random() < 0.8 and b - keys.last_time >= travel:
                keys.move(b - travel, b, variant, EASE_STROKE)
                size = 0.5
            else:
                size = 1.0
            times.append(b)
            amps.append(size * amplitude * (0.65 + 0.5 * s) * self.rng.uniform(0.8, 1.2))

    def _release(self, side, start):
        """A hand left out of a one-handed unit goes to rest, or waits low in gesture space."""
        if self.rng.random() < 0.5:
            self._retract(side, start)
            return
        keys = self.keys[side]
        low = quat_slerp(self.rest[side], self.ready[side], self.rng.uniform(0.3, 0.6))
        travel = max(0.6, 1.3 * _travel_time(keys.last_value, low))
        keys.move(start, max(start, keys.last_time) + travel, low)
        self.active[side] = False

    def phrases(self):
        """Gesture units over every phrase: a phrase of speech is never left without strokes."""
        p = self.p
        phrases = p.phrases
        for i, (start, stop) in enumerate(phrases):
            nxt = phrases[i + 1][0] if i + 1 < len(phrases) else self.duration + 10.0
            inside = (p.beats >= start - 0.05) & (p.beats <= stop + 0.05)
            beats, strengths = p.beats[inside], p.beat_strength[inside]
            if len(beats) == 0 or self.energy_scale <= 0:
                continue
            self.rng = _stream(self.seed, "phrase", start)
            units = self._split(beats)
            for k, (lo, hi) in enumerate(units):
                self.rng = _stream(self.seed, "unit", beats[lo])
                self.unit(beats[lo:hi], strengths[lo:hi], stop, nxt - stop, hi == len(beats))
                if hi < len(beats) and beats[hi] - beats[hi - 1] > DROP_GAP and self.rng.random() < 0.6:
                    self._drop(beats[hi - 1] + 0.25, beats[hi] - 0.3)

    def _drop(self, start, until):
        """Between two units with a gap in the beats, the hands sink toward rest for a moment."""
        for side in SIDES:
            keys = self.keys[side]
            if until - max(start, keys.last_time) < 0.35:
                continue
            low = quat_slerp(keys.last_value, self.rest[side], self.rng.uniform(0.5, 0.85))
            keys.move(start, min(until, max(start, keys.last_time) + 0.45), low)

    def _settle(self, start, until):
        """A long pause: both hands go to rest, or to a self-adaptor (hands clasped in front,
        sometimes rubbing) until the speech comes back."""
        names = list(ADAPTORS)
        weights = np.array([ADAPTORS[n] for n in names])
        name = names[self.rng.choice(len(names), p=weights / weights.sum())]
        if name == "rest":
            for side in SIDES:
                self._retract(side, start)
            return
        arrive = start
        for side in SIDES:
            keys = self.keys[side]
            pose = _vary(name, side, self.rng, 0.3)
            duration = max(self.rng.uniform(0.6, 0.9), 1.3 * _travel_time(keys.last_value, pose))
            arrive = max(arrive, keys.move(start, max(start, keys.last_time) + duration, pose))
            self.active[side] = False
        if self.rng.random() < 0.5 and until - arrive > 0.8:
            self.rubs.append((arrive, until))

    def _retract(self, side, start):
        keys = self.keys[side]
        duration = max(self.rng.uniform(0.6, 1.0), 1.3 * _travel_time(keys.last_value, self.rest[side]))
        keys.move(start, max(start, keys.last_time) + duration, self.rest[side])
        self.active[side] = False

    def _split(self, beats):
        """Index ranges of gesture units: 2-5 beats, broken at gaps over 1.2 s."""
        units, lo = [], 0
        while lo < len(beats):
            size = int(self.rng.integers(2, 6))
            hi = lo + 1
            while hi < len(beats) and hi - lo < size and beats[hi] - beats[hi - 1] < 1.2:
                hi += 1
            units.append((lo, hi))
            lo = hi
        return units

    # --- head, torso, idle ----------------------------------------------------------------
    def nods(self, rng):
        """Nods on some beats; each beat's draws are its own (``rng`` spawns one stream per
        draw), so a plan over more beats keeps the earlier beats' nods."""
        p = self.p
        n = len(p.beats)
        keep_draw, size_draw, chin_draw = (r.random(n) for r in rng.spawn(3))
        keep = keep_draw < (0.3 + 0.45 * p.beat_strength)
        amps = (0.03 + 0.05 * p.beat_strength[keep]) * (0.7 + 0.5 * size_draw[keep])
        amps *= np.where(chin_draw[keep] < 0.12, -0.6, 1.0)  # an occasional chin-up
        return p.beats[keep], amps * self.head_scale

    def gaze(self, rng):
        """Head targets at phrase starts and every few seconds; eyes lead with saccades."""
        head = Keys(np.zeros(2))
        eyes = Keys(np.zeros(2))
        tilt = Keys(np.zeros(1))
        t = 0.0
        starts = list(self.p.phrases[:, 0]) if len(self.p.phrases) else []
        while t < self.duration:
            upcoming = [s for s in starts if s > t + 0.8]
            t = min(upcoming[0] if upcoming else np.inf, t + rng.uniform(2.0, 4.5))
            if t >= self.duration:
                break
            target = np.array([np.clip(rng.normal(0, 0.13), -0.3, 0.3),
                               np.clip(rng.normal(0, 0.04), -0.08, 0.08)]) * self.head_scale
            move = rng.uniform(0.45, 0.8)
            jump = 0.6 * (target - head.last_value)
            head.move(t, t + move, target)
            eyes.move(t, t + 0.07, np.clip(jump, -0.25, 0.25), min_duration=0.06)
            eyes.move(t + 0.07, t + move + 0.1, np.zeros(2))
            tilt.move(t, t + move * 1.3, np.array([rng.normal(0, 0.05) * self.head_scale]))
        return head.track(), eyes.track(), tilt.track()

    def torso(self):
        """Shoulders turn a little toward the gesturing hand; leans follow the arms' state."""
        keys = Keys(np.zeros(2))
        arm_keys = self.keys
        # which hand is up at each arm key time
        times = sorted(set(arm_keys["left"].times) | set(arm_keys["right"].times))
        raised = {s: _raised_at(arm_keys[s], times[1:], self.rest[s]) for s in SIDES}
        for t, left, right in zip(times[1:], raised["left"], raised["right"]):
            yaw = 0.09 * (float(right) - float(left))
            lean = 0.03 * (float(right) + float(left))
            if t - keys.last_time > 0.3:
                keys.move(t - 0.3, t, np.array([yaw, lean]))
        return keys.track()

    def stance(self, rng):
        """Weight shifts, preferably in pauses, at least every ~12 s."""
        keys = Keys(np.array([rng.uniform(-0.5, 0.5)]))
        pauses = []
        ph = self.p.phrases
        for i in range(len(ph) - 1):
            if ph[i + 1][0] - ph[i][1] > 0.5:
                pauses.append(ph[i][1])
        t, side = 0.0, 1.0 if rng.random() < 0.5 else -1.0
        while True:
            candidates = [x for x in pauses if t + 2.0 < x < t + 8.0]
            if candidates and rng.random() < 0.7:
                t = candidates[int(rng.integers(len(candidates)))]
            else:
                t = t + rng.uniform(3.0, 8.0)
            if t >= self.duration:
                break
            side = -side
            keys.move(t, t + rng.uniform(1.0, 1.7), np.array([side * rng.uniform(0.5, 1.0)]))
        return keys.track()

    def steps(self, rng):
        """Occasional small steps, preferably in pauses: the body moves to a new place with a
        pair of steps (the foot on the side it moves to first), staying within STEP_RADIUS of
        where it started. Returns the place track and the (S, 3) steps."""
        from .posture import learned

        length = float(learned()["step_length"])
        place = Keys(np.zeros(2))
        events = []
        pauses = [ph[1] for ph, nxt in zip(self.p.phrases[:-1], self.p.phrases[1:]) if nxt[0] - ph[1] > 0.4]
        t = rng.uniform(1.0, STEP_GAP[1])
        while t + STEP_SECONDS < self.duration:
            after = bisect.bisect_right(pauses, t - 1.0)  # the first pause to end after t - 1 s
            if after < len(pauses) and pauses[after] < t + 2.0 and rng.random() < 0.7:
                t = max(t, pauses[after] - 0.2)
            here = place.last_value
            angle = rng.uniform(0.0, 2.0 * np.pi)
            move = np.array([np.cos(angle), 0.6 * np.sin(angle)]) * length * rng.uniform(*STEP_SHARE)
            if np.linalg.norm(here + move) > STEP_RADIUS:  # back toward the start
                move = -np.sign(here) * np.abs(move)
            place.move(t, t + STEP_SECONDS, here + move)
            events.append((t, STEP_SECONDS, 0.0 if move[0] > 0 else 1.0))
            t += STEP_SECONDS + rng.uniform(*STEP_GAP)
        return place.track(), np.array(events, np.float64).reshape(-1, 3)


def _stream(seed, what, seconds):
    """A Generator for the decisions of ``what`` ("phrase", "unit") starting at ``seconds``:
    keyed by the time, not by the draws before it, so a plan made over more audio (live, with
    more heard) repeats the earlier plan's units wherever their beats are the same. ``what``
    keeps a phrase's stream apart from its first unit's (often at the same time)."""
    key = int(round(float(seconds) * 1000.0)) & 0xFFFFFFFF
    words = (*seed.spawn_key, zlib.crc32(what.encode()), key)
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=words))


def _travel_time(a, b, speed=2.5):
    """Seconds an eased move between two arm poses (J, 4) needs: the largest joint rotation
    over an average speed of ``speed`` rad/s (peaks of ~2x that, like real strokes)."""
    dots = np.clip(np.abs(np.sum(np.asarray(a) * np.asarray(b), axis=-1)), 0.0, 1.0)
    return float(np.max(2.0 * np.arccos(dots))) / speed


def _raised_at(keys, times, rest):
    """(n,) whether the arm is raised at each of ``times`` (the key in force then has its elbow
    off its rest flexion), worked out once per key rather than once per time."""
    held = np.maximum(np.searchsorted(keys.times, times, side="right") - 1, 0)
    elbows = np.asarray(keys.values)[:, 2]
    d = np.abs(np.sum(elbows * rest[2], axis=-1))  # elbow: how far from its rest flexion
    return (d < np.cos(0.35))[held]


def make_plan(prosody, rng, options, duration):
    """The whole plan of a request (see :class:`Plan`)."""
    nod_rng, gaze_rng, stance_rng, step_rng, breath_rng = rng.spawn(5)  # before any draw
    planner = _Planner(prosody, rng, options, duration)
    planner.phrases()
    nod_times, nod_amps = planner.nods(nod_rng)
    gaze, eyes, tilt = planner.gaze(gaze_rng)
    flick_times = {s: np.array(planner.flicks[s][0], np.float64) for s in SIDES}
    flick_amps = {s: np.array(planner.flicks[s][1], np.float64) for s in SIDES}
    for s in SIDES:
        order = np.argsort(flick_times[s], kind="stable")
        flick_times[s], flick_amps[s] = flick_times[s][order], flick_amps[s][order]
    plan = Plan(
        arms={s: planner.keys[s].track(quats=True) for s in SIDES},
        flick_times=flick_times,
        flick_amps=flick_amps,
        nod_times=nod_times,
        nod_amps=nod_amps,
        gaze=gaze,
        eyes=eyes,
        tilt=tilt,
        torso=planner.torso(),
        stance=planner.stance(stance_rng),
        place=None,
        steps=None,
        breath_rate=float(breath_rng.uniform(0.21, 0.29)),
        breath_phase=float(breath_rng.uniform(0, 2 * np.pi)),
        rubs=planner.rubs,
    )
    plan.place, plan.steps = planner.steps(step_rng)
    return plan
