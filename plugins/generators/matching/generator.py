"""Motion matching over a user's mocap library: real motion, picked to fit the new speech.

The new audio is cut into segments at stressed beats (0.5-1.6 s apart). For each segment the
library position whose audio features (loudness, onsets, voicing, pitch, timbre) best match
the segment's, frame by frame, and whose pose and velocity best continue the motion so far is
chosen among the few best candidates at random (seeded: different seeds, different motion).
Playing on from where the previous segment ended costs nothing extra, so long stretches of
real mocap survive. Each new segment is joined by inertialisation-style offset blending: the
rotation from its first frame to the continuation of the motion so far is applied in full and
faded out over the first frames by slerp, so transitions land on beats without a jump.
With the library's root (the default) the legs are not the segments': they play long stretches
of the library by themselves (lower_body.py), so the feet stand as the speaker's did; the
segments are picked from near the moment the legs play, and the pelvis keeps the segments' own
quick turns and leans with the legs' slowly.
"""

import logging

import numpy as np

from ....inference.cache import LruCache
from ....inference.generation.generators import Generator
from ....inference.generation.options import Option
from ....inference.generation.speech_mouth import jaw_angle, mouth_opening
from ....inference.generation.windows import Window, blend_seam
from ....motion import Motion
from ....motion.mouth import mouth_direction
from ....motion.skeleton import JAW
from .library import LibraryError, audio_features, index_takes, load_library, pose_features
from .lower_body import LOWER, PELVIS_SIGMA, carry_legs, lower_body, root_start, speed_carried
from .plan import best_starts

log = logging.getLogger(__name__)

MIN_SEGMENT, MAX_SEGMENT = 0.5, 1.6  # seconds between transitions
TRANSITION_FRAMES = 12
CANDIDATES = 5  # the best candidates one is drawn from
# A join is a move from one library pose to another, which the library never made: candidates
# near the motion so far (pose weighed 20) and playing on (bonus 1.5) keep a window's spread and
# acceleration the library's own (6 and 1.0 gave 1.06x its acceleration). A bonus of 3 plays
# every take through from its first pick: seeds no longer differ.
POSE_WEIGHT, VELOCITY_WEIGHT = 20.0, 0.08
CONTINUE_BONUS = 1.5
REPEAT_PENALTY, REPEAT_SECONDS = 1.0, 20.0
# Where the legs play long stretches of their own, the upper body is picked from near the same
# moment of the same take (within NEAR_SECONDS; the cost grows to NEAR_COST at twice that): its
# pelvis, lean and hands' set then belong to the stance under them. Picked anywhere, the two
# halves met as two moments of the take that never stood together: the held-out test told
# matching from the speaker at 0.76 (seeds 0-11), 0.70 near (0.71 with a cost of 5, 0.73 of 2).
NEAR_SECONDS, NEAR_COST = 5.0, 20.0
UPPER = np.setdiff1d(np.arange(55), LOWER)
# Following a target (``follow``), the segments are planned together (plan.py); a join costs
# FOLLOW_SWITCH, its speeds weigh more than on audio and it blends over more frames: on a
# network's motion over a 22 s library, switching at 1.5 joined 0.56 times a second (jerk 1.30x
# the speaker's; 1.29 switching at 5; 1.24 with speeds at 8 and 20 frames; a2g 1.27 -> 1.25
# switching at 8, 0.28 -> 0.24 joins a second). Its upper body also leans with the legs' pelvis
# more slowly than matching's on audio (FOLLOW_PELVIS_SIGMA): the legs' quicker lean reached the
# head, which no spine of the played take answered (its position jerk 1.28x its frames' own);
# at 0.25 s one more backend's speed histogram left the speaker's (s2v's Hellinger 0.13 -> 0.17),
# and on audio matching's realism moved 0.70 -> 0.71 at 0.25 s: it keeps 0.1 s.
FOLLOW_SWITCH, FOLLOW_VELOCITY_WEIGHT, FOLLOW_TRANSITION = 8.0, 8.0, 20
FOLLOW_PELVIS_SIGMA = 0.15
_followed = LruCache(2)  # the indexed takes followed (``MatchingGenerator.follow``), by the caller's key


class MatchingGenerator(Generator):
    """Motion matching over a folder of SMPL-X npz takes with their audio."""

    name = "matching"
    summary = ("Motion matching over your own mocap library (SMPL-X npz + audio): real-mocap "
               "quality from a minute of data, segments switched on beats with smooth blends.")
    needs_data = True
    needs_model = False
    stochastic = True
    supports_initial_pose = True
    native_fps = 30.0
    window_seconds = 10.0
    streaming = True
    stream_replan_seconds = 4.0  # live: segments carry on between calls; the state follows the anchor
    stream_continuous = True  # live: within a plan, each call's frames continue the last call's
    options = (
        Option("library", "path", None, "folder of takes: NAME.npz (SMPL-X) with NAME.wav beside it",
               required=True),
        Option("exclude", "str", "", "comma-separated take names to leave out (e.g. for a "
                                      "leave-one-out evaluation)"),
        Option("variety", "float", 1.0, "how freely segments are picked among good matches "
                                        "(0 = always the best match)", 0.0, 3.0),
        Option("root", "choice", "library", "library: the library's steps, weight shifts and root "
               "travel, from where the rig stands (planted feet stay put between steps); planted: "
               "the speaker stays on the spot, both feet planted", choices=("library", "planted")),
    )

    def generate_window(self, request, window):
        state = window.state.get("matching")
        if state is None:
            state = _State(request, {**{o.name: o.default for o in self.options}, **request.options})
            window.state["matching"] = state
        elif request.streaming:  # live: match and move the jaw against the audio heard since
            state.hear(request)
        return state.render(window)

    def follow(self, request, takes, target, key, stream="follow"):
        """The whole take played from ``takes`` [(name, Motion at the request's rate, (T, D)
        features of each frame)] where their features best follow ``target`` (T, D), in those
        units (not the audio's), on their legs and root (``root`` "library"); the jaw and face
        are the takes'. How the learned backends play their network's motion through the
        training speaker's own mocap (``neural.mocap``); the takes' index is kept under
        ``key``; ``stream`` names the seeded random streams (each caller its own: two callers
        with one seed do not start their legs at one place). LibraryError when the takes are
        too short to play."""
        library = _followed.get(key)
        if library is None:
            library = index_takes(str(key[0]), takes, request.fps)
            _followed.put(key, library)
        state = _State(request, {"variety": 1.0, "root": "library"}, library=library, target=target,
                       stream=stream)
        return state.render(Window(index=0, start=0, stop=request.n_frames))


class _State:
    """What the matcher carries from window to window; ``library`` and ``target`` (matching
    features of the take to follow) replace the option's library and the request's audio, and
    ``stream`` names the seeded random streams it draws from."""

    def __init__(self, request, options, library=None, target=None, stream="matching"):
        self.fps = request.fps
        self.followed = target
        self.lib = library if library is not None else load_library(options["library"], request.fps)
        exclude = [x for x in str(options.get("exclude") or "").split(",") if x.strip()]
        usable = self.lib.mask(exclude)
        self.remaining = _remaining(self.lib, usable)
        if not np.any(self.remaining >= int(MIN_SEGMENT * self.fps)):
            raise LibraryError(f"matching library {self.lib.folder}: nothing left to match from after "
                               f"excluding {', '.join(exclude) or 'nothing'}")
        self.hear(request)
        self.rng = request.rng(stream)
        self.temperature = 0.12 * float(options.get("variety", 1.0))
        self.planted = options.get("root", "planted") == "planted"
        self.cursor = -1  # last library frame played
        self.live = bool(request.streaming)
        self.pending = None  # live: (output frame it starts at, Motion) of the segment playing
        self.recent = []  # (output frame, library start) of recent choices
        self.mouth_dir = mouth_direction(self.lib.expressions.shape[1])
        norm = np.linalg.norm(self.mouth_dir)
        self.mouth_unit = self.mouth_dir / norm if norm > 0 else self.mouth_dir
        self.lib_sq = np.concatenate([[0.0], np.cumsum(np.sum(self.lib.audio.astype(np.float64) ** 2, 1))])
        self.lower = self.legs_frames = None  # live and planted: the segments' own legs
        if not self.live and not self.planted:
            self.lower, self.legs_frames = lower_body(self.lib, self.remaining, self.n_frames, self.fps,
                                                      request.rng(stream + "-legs"), self._audio_cost)

    def hear(self, request):
        """Take the request's audio features (again, when a live stream has heard more)."""
        self.target = audio_features(request.features) if self.followed is None else self.followed
        self.energy = _energy(request.features)
        self.boundaries = _boundaries(request.features, request.n_frames, self.fps)
        self.n_frames = request.n_frames

    def render(self, window):
        """Motion for the window's frames; the window's own seam is the driver's to blend."""
        if self.live:
            return self._face(self._play(window), window.start)
        parts = []
        previous = window.previous
        segments = self._segments(window)
        planned = self._planned(segments) if self.followed is not None else None
        for i, (t, end) in enumerate(segments):
            if planned is None:
                part, continued = self._segment(t, end, previous)
            else:
                part, continued = self._played(t, end, previous, planned[i])
            if parts and not continued and planned is None:
                part = blend_seam(parts[-1], part, TRANSITION_FRAMES)
            elif parts and not continued:  # the upper body's speed too: a target's joins are many
                part = speed_carried(parts[-1], blend_seam(parts[-1], part, FOLLOW_TRANSITION), UPPER,
                                     FOLLOW_TRANSITION)
            parts.append(part)
            previous = part
        motion = Motion.concatenate(parts)
        if self.lower is not None:  # the upper body stands on the lower body's long stretches
            lower = self.lower[window.start:window.stop]
            sigma = PELVIS_SIGMA if self.followed is None else FOLLOW_PELVIS_SIGMA
            motion.poses, motion.trans = carry_legs(motion.poses, lower, self.fps, sigma)
        return self._face(motion, window.start) if self.followed is None else motion

    def _segments(self, window):
        """[(start, stop)] output frames of the window's segments, cut at the speech's beats."""
        segments, t = [], window.start
        while t < window.stop:
            end = min(self._next_boundary(t), window.stop)
            if window.stop - end < MIN_SEGMENT * self.fps:
                end = window.stop  # no sliver of a segment before the window ends
            segments.append((t, end))
            t = end
        return segments

    def _planned(self, segments):
        """Library starts of all ``segments`` at once (``plan.best_starts``): their fit to the
        followed target and, at each join, the poses and speeds that must be blended; None
        where a segment is longer than every take (picked one at a time then, ``_segment``)."""
        lib = self.lib
        own = []
        for t, end in segments:
            cost = self._audio_cost(t, end - t)
            if self.legs_frames is not None:
                cost = cost + self._near_cost(t)
            own.append(np.where(self.remaining >= end - t, cost, np.inf))
        if not all(np.isfinite(cost).any() for cost in own):
            return None

        def switch(ends, starts):
            gap = _join_cost(lib.pose_features[ends][:, None], lib.velocities[ends][:, None],
                             lib.pose_features[starts][None], lib.velocities[starts][None], FOLLOW_VELOCITY_WEIGHT)
            return np.where(ends[:, None] + 1 == starts[None, :], 0.0, FOLLOW_SWITCH + gap)

        return best_starts(own, switch, [end - t for t, end in segments], self.rng, self.temperature)

    def _played(self, t, end, previous, s):
        """(Motion, continued) of output frames [t, end) played from library frame ``s``, a
        planned start."""
        continued = s == self.cursor + 1
        idx = np.arange(s, s + end - t)
        self.cursor = int(idx[-1])
        return self._frames(idx, previous), continued

    def _play(self, window):
        """Live: the window's frames from the segment playing; a new segment (picked from the
        audio heard just before it, see _heard_cost) when it has played out, joined onto the
        frames before it as offline (so the stream continues from call to call: the driver
        fades only a new plan's first frame; left to it, every call of a fast gesture looked like
        a join and was held back)."""
        parts, t = [], window.start
        while t < window.stop:
            if self.pending is None or t >= self.pending[0] + self.pending[1].n_frames:
                end = max(self._next_boundary(t), t + 1)
                previous = parts[-1] if parts else window.previous
                part, continued = self._segment(t, end, previous)
                self.pending = (t, part if continued else blend_seam(previous, part, TRANSITION_FRAMES))
            start, segment = self.pending
            stop = min(window.stop, start + segment.n_frames)
            parts.append(segment[t - start:stop - start])
            t = stop
        return Motion.concatenate(parts)

    def _heard_cost(self, t, n):
        """Live: (N,) cost of playing on from each library frame s, by how well the audio heard
        just before ``t`` matches the library's audio just before s (the audio after ``t`` is
        not known yet)."""
        back = min(t, n, self.target.shape[0] - 1)
        cost = np.full(self.lib.n_frames, np.inf)
        if back < 2:
            return np.where(self.remaining > 0, 0.0, np.inf)
        before = self._audio_cost(t - back, back)
        cost[back:] = before[:self.lib.n_frames - back]
        return cost

    def _next_boundary(self, t):
        lo, hi = t + int(MIN_SEGMENT * self.fps), t + int(MAX_SEGMENT * self.fps)
        b = self.boundaries
        inside = b[(b >= lo) & (b <= hi)]
        if inside.size:
            return int(inside[0])
        return min(hi, self.n_frames) if hi < self.n_frames else self.n_frames

    def _segment(self, t, end, previous):
        """Library frames for output frames [t, end) and whether they continue the last ones."""
        n = end - t
        lib = self.lib
        cost = self._heard_cost(t, n) if self.live else self._audio_cost(t, n)
        if self.legs_frames is not None:
            cost = cost + self._near_cost(t)
        valid = self.remaining >= n
        if previous is not None:
            if self.cursor >= 0:  # the motion so far ends on this library frame
                cur_p, cur_v = lib.pose_features[self.cursor], lib.velocities[self.cursor]
            else:  # an initial pose
                p, v = pose_features(previous.poses[-2:].astype(np.float64), self.fps)
                cur_p, cur_v = p[-1], v[-1]
            cost = cost + _join_cost(cur_p, cur_v, lib.pose_features, lib.velocities, VELOCITY_WEIGHT)
        nxt = self.cursor + 1 if self.cursor >= 0 else -1  # nothing played yet: nothing to continue
        if 0 <= nxt < lib.n_frames and valid[nxt]:
            cost[nxt] -= CONTINUE_BONUS
        self.recent = [(f, s) for f, s in self.recent if t - f < REPEAT_SECONDS * self.fps]
        for _, start in self.recent:  # what was just played is not played again soon
            cost[max(0, start - int(self.fps)):start + int(self.fps)] += REPEAT_PENALTY
        cost = np.where(valid, cost, np.inf)
        if n < MIN_SEGMENT * self.fps and 0 <= nxt < lib.n_frames and valid[nxt]:
            cost[:] = np.inf  # too short to be worth a transition: play on
            cost[nxt] = 0.0
        if not np.isfinite(cost).any():  # no take is long enough: use the longest run there is
            valid = self.remaining >= 1
            cost = np.where(valid, 0.0, np.inf)
            n_take = int(self.remaining.max())
            n = min(n, n_take)
        s = self._pick(cost)
        continued = s == nxt
        if not continued:
            self.recent.append((t, s))
        idx = np.arange(s, s + (end - t))
        idx = np.minimum(idx, s + n - 1)  # hold the last frame if the run was shorter
        self.cursor = int(idx[-1])
        return self._frames(idx, previous), continued

    def _near_cost(self, t):
        """(N,) cost of library frames far from the one the legs play at output frame ``t``:
        none within NEAR_SECONDS in the same take, growing to NEAR_COST at twice that (and in
        other takes)."""
        here = int(self.legs_frames[min(t, len(self.legs_frames) - 1)])
        take = next(k for k in self.lib.takes if k.start <= here < k.stop)
        far = np.ones(self.lib.n_frames)
        span = np.abs(np.arange(take.start, take.stop) - here) / (NEAR_SECONDS * self.fps)
        far[take.start:take.stop] = np.clip(span - 1.0, 0.0, 1.0)
        return NEAR_COST * far

    def _audio_cost(self, t, n):
        """(N,) mean squared feature distance of target frames [t, t+n) to library frames [s, s+n)."""
        a = self.target[np.clip(np.arange(t, t + n), 0, len(self.target) - 1)].astype(np.float64)
        lib = self.lib.audio.astype(np.float64)
        big = lib.shape[0]
        cost = np.full(big, np.inf)
        if n > big:
            return cost
        windows = np.lib.stride_tricks.sliding_window_view(lib, n, axis=0)  # (big-n+1, D, n)
        cross = np.einsum("sdl,ld->s", windows, a)
        sq = self.lib_sq[n:] - self.lib_sq[:-n]
        cost[: big - n + 1] = (np.sum(a * a) + sq - 2.0 * cross) / n
        return cost

    def _pick(self, cost):
        top = min(len(cost), 64)
        head = np.argpartition(cost, top - 1)[:top] if top < len(cost) else np.arange(len(cost))
        order = head[np.argsort(cost[head], kind="stable")]
        picks = []
        for i in order:
            if not np.isfinite(cost[i]):
                break
            if all(abs(int(i) - j) > 5 for j in picks):
                picks.append(int(i))
            if len(picks) == CANDIDATES:
                break
        if self.temperature <= 0 or len(picks) == 1:
            return picks[0]
        c = np.array([cost[i] for i in picks])
        w = np.exp(-(c - c.min()) / self.temperature)
        return picks[int(self.rng.choice(len(picks), p=w / w.sum()))]

    def _frames(self, idx, previous):
        lib = self.lib
        poses = lib.poses[idx].copy()
        trans = lib.trans[idx].astype(np.float64).copy()
        if self.planted:
            trans[:, [0, 2]] = 0.0
        else:  # the library's travel, on from where the root is and as fast as it was going
            trans[:, [0, 2]] += root_start(previous) - trans[0, [0, 2]]
        # planted: both feet stay put; library: the feet stage finds the contacts (steps kept)
        contacts = np.ones((len(idx), 2), np.float32) if self.planted else None
        return Motion(poses=poses, trans=trans.astype(np.float32), expressions=lib.expressions[idx],
                      betas=lib.betas, fps=self.fps, contacts=contacts)

    def _face(self, motion, start):
        """Jaw and mouth follow the new speech, not the library's."""
        frames = np.arange(start, start + motion.n_frames)
        mouth = mouth_opening(self.energy, frames)
        out = motion.copy()
        out.poses[:, JAW] = 0.0
        out.poses[:, JAW, 0] = jaw_angle(mouth)
        if self.mouth_unit.any():
            e = out.expressions.astype(np.float64)
            e -= np.outer(e @ self.mouth_unit, self.mouth_unit)
            e += np.outer(mouth, self.mouth_dir)
            out.expressions = e.astype(np.float32)
        return out


def _join_cost(pose, velocity, poses, velocities, velocity_weight):
    """Cost of joining a motion at ``pose``, ``velocity`` (pose features, their velocities) onto
    ``poses``, ``velocities`` (broadcast): the pose gap weighed POSE_WEIGHT, the speed gap
    ``velocity_weight``."""
    return (POSE_WEIGHT * np.sum((poses - pose) ** 2, axis=-1)
            + velocity_weight * np.sum((velocities - velocity) ** 2, axis=-1))


def _remaining(lib, usable):
    """(N,) frames left in the same take from each frame on (0 where the frame is excluded)."""
    rem = np.zeros(lib.n_frames, np.int64)
    for take in lib.takes:
        rem[take.start:take.stop] = np.arange(take.stop - take.start, 0, -1)
    return np.where(usable, rem, 0)


def _energy(features):
    rms = np.asarray(features.rms, np.float64)
    return np.clip(rms / max(np.percentile(rms, 95), 1e-6), 0.0, 1.5)


def _boundaries(features, n_frames, fps):
    """Frames of strong onsets where a segment may switch (sorted)."""
    onsets = np.asarray(features.onset_times, np.float64)
    if onsets.size == 0:
        return np.zeros(0, np.int64)
    frames = np.round(onsets * fps).astype(np.int64)
    frames = frames[(frames > 0) & (frames < n_frames)]
    env = np.asarray(features.onset_strength, np.float64)
    if env.size:
        strength = env[np.clip(frames, 0, env.size - 1)]
        frames = frames[strength >= np.percentile(strength, 40)] if strength.size > 4 else frames
    return np.unique(frames)
