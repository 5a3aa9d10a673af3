"""The live driver: motion while the voice arrives, from the generators' own offline code.

A generator that declares ``streaming`` is driven like the offline window driver drives it
(``generate_window`` over a request), only the request grows as audio arrives:

- Features: incremental (live_features.py); the request holds the audio heard since an
  anchor that moves ANCHOR_STEP seconds at a time, CONTEXT_SECONDS behind at least (so plans
  are made from the last 6-10 s of audio): a plan remade on the same audio plus a little more
  mostly repeats the last one, so replans are small corrections, not new choreography.
- Frames: frame f is handed out once the audio reaches f / fps + LOOKAHEAD seconds (70 ms), so
  no frame depends on audio more than LOOKAHEAD after it (the causality the stream declares:
  nothing later changes a frame handed out).
- Plans: a generator keeps its window state between calls, as between offline windows, and
  is asked for the newest frames only. Every ``stream_replan_seconds`` (the generator's, 0.5 s
  for procedural; else REPLAN_SECONDS) the state is dropped and rebuilt from the audio heard by
  then: what a generator plans ahead (gesture units, segments) is re-decided with the new
  speech; matching picks each new segment from the audio heard just before it. The request's
  length runs PLAN_AHEAD seconds past what was heard so plans reach the next replan.
- Post-processing: joint limits apply to every frame handed out; the offline smoothing of
  jitter and calming of pauses look ahead further than LOOKAHEAD (a 45 ms Gaussian, 0.5 s one
  and the pause's end) and are left out, as is foot planting.
- Joins: whenever the generator's own output jumps (a new plan, a new segment), the offset from
  its first new frame to the continuation of what was sent is faded out over the next frames,
  across calls, by the offline seam rule (windows.blend_seam), so a stream never jumps. The
  continuation is the generator's own motion at its own speed with the running fade on top
  (a fade restarted on consecutive calls would otherwise carry its own speed on), and while a
  fade lasts a limited joint turns no further than the generator's new pose or the frame the
  fade started from: the offset and the new motion bending the same way never add up past
  the limb's range. The speed carries over too: the gap between the generator's speed before
  the join and after it eases out over SPEED_SECONDS (the offset alone kept the place and lost
  the speed at once: a hand at 0.05 m per frame went on at 0.02). A generator whose calls
  within one plan continue each other exactly (``stream_continuous``: procedural's and
  matching's do; matching joins its segments itself) is looked at only where a plan starts:
  its own quick strokes miss a two-frame trend too, and fading them held a wrist still, then
  let it go. A generator that is not continuous has its joins found here, call by call; a root
  landing ROOT_JUMP off its trend is one too.
"""

import logging
from dataclasses import dataclass

import numpy as np

from ...motion import Motion
from ...motion.container import check_fps, frame_count
from ...motion.rotations import (
    axis_angle_to_quat, quat_angle, quat_conjugate, quat_multiply, quat_to_axis_angle,
)
from ...motion.errors import TalkrigError
from ..audio.decode import MAX_CHANNELS, SAMPLE_RATE, frames_first, to_float
from ..generation.generators import GenerationRequest, check_options, describe_generator, get_generator
from ..generation.keyposes import apply_insertions, insertion_end, plan_insertions
from .features import LiveFeatures
from ..generation.postprocess import LIMITED, clamp_joint_limits
from ..registry import PluginError
from ..generation.windows import CONTEXT_SECONDS as PREVIOUS_SECONDS
from ..generation.windows import (
    Window, carry_speed, fade_angle, fade_offset, seam_offset, seam_weights, speed_weights,
)
from ..speech.words import Word

log = logging.getLogger(__name__)

# Seconds of audio after a frame that its features may use: the spectral (64 ms) and pitch
# (40 ms + the longest period) windows centred on it fit; the onset picker's +-100 ms average
# is still provisional there, so an onset is confirmed up to 30 ms late.
LOOKAHEAD = 0.07
CONTEXT_SECONDS = 6.0  # audio a plan is made from, at least (once that much was heard)
ANCHOR_STEP = 4.0  # seconds the start of that audio moves by at once (plans keep their origin)
REPLAN_SECONDS = 0.5
PLAN_AHEAD = 1.0  # seconds a plan reaches past the audio heard
JUMP = 0.05  # radians: the generator's own output moving more than this past its trend is a join
# metres: so is its root landing this far off its trend (a generator that re-roots a new piece
# on the frames shown, as matching does, would otherwise get the running fade's offset twice)
ROOT_JUMP = 0.02


def can_stream(generator):
    """True when the generator declares the ``streaming`` capability."""
    return bool(describe_generator(generator)["capabilities"].get("streaming"))


@dataclass
class Frames:
    """Frames handed out by one call: global frame numbers [start, start + motion.n_frames)."""

    start: int
    motion: Motion

    @property
    def times(self):
        """(n,) audio time of each frame, seconds."""
        return np.arange(self.start, self.start + self.motion.n_frames) / self.motion.fps


class LiveStream:
    """Feeds a generator with audio as it arrives and hands out the frames that became final.

    generator : a generator that can stream (see :func:`can_stream`), or its name.
    options : its options (validated here). fps : frame rate. seed : as offline.
    keyposes : a KeyPoseDictionary whose words, as ``spotter`` (an object with
        ``feed(samples) -> [Word]``, e.g. a speech plugin's live_spotter) hears them, put key
        poses into the frames not yet sent (a word is heard once spoken: its pose ramps in from
        the next frame). face : a LiveFace (live_face.py) giving the frames a face, or None.
    """

    def __init__(self, generator, options=None, fps=30.0, seed=0, keyposes=None, spotter=None, face=None):
        if isinstance(generator, str):
            generator = get_generator(generator)
        if not can_stream(generator):
            raise PluginError(f"generator '{generator.name}' cannot stream live; "
                              "choose one whose capabilities include streaming")
        self.generator = generator
        self.options = check_options(generator, options or {})
        self.fps = check_fps(fps)
        self.seed = int(seed)
        self.features = LiveFeatures(self.fps)
        self.continuous = bool(getattr(generator, "stream_continuous", False))
        self.replan = max(1, round(float(getattr(generator, "stream_replan_seconds", REPLAN_SECONDS)) * self.fps))
        self.context = round(CONTEXT_SECONDS * self.fps)
        self.sent = 0  # frames handed out
        self.state = None  # the generator's window state for the current plan
        self.plan_start = 0  # frame the current plan took over at
        self.anchor = 0  # global frame of the current request's frame 0
        self.plans = 0
        self.tail = None  # Motion: the last frames handed out (what a new plan continues)
        self.raw = None  # ((n, 55, 4) quats, (n, 3) root) of the generator's own last frames (n <= 2)
        self.fade = None  # the Fade running now
        self.peak = 0.0  # (55,) the largest angle the generator has given each joint so far
        self.keyposes = keyposes if spotter is not None else None
        self.spotter = spotter if keyposes is not None else None
        self.words = []  # Words heard, timed when their pose is fully on
        self.insertions = []  # key poses still to show
        self.planned = 0  # key poses planned so far
        self.face = face

    @property
    def lookahead(self):
        return LOOKAHEAD

    def feed(self, samples):
        """Add samples at 16 kHz (:func:`stream_samples`: float or integer, mono or (N, C)
        channels, or 16-bit PCM bytes); returns the Frames that became final, or None."""
        samples = stream_samples(samples)
        self.features.add(samples)
        if self.spotter is not None:
            self._hear(self.spotter.feed(samples))
        ready = int(np.floor((self.features.duration - LOOKAHEAD) * self.fps)) + 1
        return self._advance(min(ready, frame_count(self.features.duration, self.fps)))

    def finish(self):
        """The audio ended: the remaining frames (as many as offline: frame_count(duration))."""
        if self.features.n_samples == 0:
            return None
        return self._advance(frame_count(self.features.duration, self.fps))

    def _advance(self, ready):
        if ready <= self.sent:
            return None
        self.features.update(self.sent)
        if self.state is None or self.sent - self.plan_start >= self.replan:
            self.state, self.plan_start, self.plans = {}, self.sent, self.plans + 1
            step = round(ANCHOR_STEP * self.fps)
            self.anchor = max(self.anchor, self.features.frame_start,
                              (max(0, self.sent - self.context) // step) * step)
        heard = self.features.window(self.anchor)
        horizon = self.plan_start - self.anchor + self.replan + round(PLAN_AHEAD * self.fps)
        request = GenerationRequest(features=heard, n_frames=max(horizon, ready - self.anchor), fps=self.fps,
                                    seed=self.seed, options=self.options, streaming=True)
        window = Window(self.plans - 1, self.sent - self.anchor, ready - self.anchor, self.tail, self.state)
        part = self.generator.generate_window(request, window)
        if not isinstance(part, Motion) or part.n_frames != window.n_frames:
            raise PluginError(f"generator '{self.generator.name}' returned "
                              f"{getattr(part, 'n_frames', type(part).__name__)} frames for {window.n_frames}")
        out = self._join(part, self.sent == self.plan_start or not self.continuous)
        self.tail = out if self.tail is None else Motion.concatenate([self.tail, out])
        keep = round(PREVIOUS_SECONDS * self.fps)
        if self.tail.n_frames > keep:
            self.tail = self.tail[self.tail.n_frames - keep:]
        shown = clamp_joint_limits(self._dress(out))  # the offline post-processing that needs no look-ahead
        frames = Frames(self.sent, shown)
        self.sent = ready
        return frames

    def _dress(self, out):
        """The generator's frames as handed out: key poses and the face on top (what later
        frames continue from stays the generator's own motion)."""
        if not self.insertions and self.face is None:
            return out
        shown = out.copy()
        if self.insertions:
            shown.poses = apply_insertions(shown.poses, self.fps, self.insertions, self.sent)
            now = (self.sent + out.n_frames) / self.fps
            self.insertions = [ins for ins in self.insertions if insertion_end(ins) > now]
        if self.face is not None:
            shown = self.face.apply(shown, self.tail, self.features, self.sent)
        return shown

    def _hear(self, words):
        """Key poses for words just spotted: each ramps in from the next frame not sent."""
        added = False
        for word in words:
            entry = self.keyposes.match(word.word)
            if entry is not None:
                on = self.sent / self.fps + entry.ramp
                self.words.append(Word(word.word, on, on + word.end - word.start))
                added = True
        if added:
            planned = plan_insertions(self.words, self.keyposes, self.seed, np.inf)  # the same as
            self.insertions += planned[self.planned:]  # before for the words heard before
            self.planned = len(planned)
            log.debug("live key poses for %s", ", ".join(w.word for w in words))

    def _join(self, part, may_jump):
        """``part`` with any jump from the frames already sent faded out (across calls); only
        where ``may_jump`` (a new plan, or a generator whose calls may not continue each other)."""
        quats = axis_angle_to_quat(part.poses.astype(np.float64))
        self.peak = np.maximum(self.peak, np.linalg.norm(part.poses.astype(np.float64), axis=-1).max(axis=0))
        trend = self._trend() if may_jump else None
        if self.tail is not None and trend is not None and (
                _turn(trend[0], quats[0]) > JUMP or np.linalg.norm(trend[1] - part.trans[0]) > ROOT_JUMP):
            self.fade = self._refade(part, quats[0], trend)
            self.raw = None  # the generator's frames before the jump say nothing of its new speed
        self.raw = _last_two(self.raw, quats, part.trans.astype(np.float64))
        if self.fade is None:
            return part
        self.fade.learn_gap(quats, self.sent)
        w = self.fade.weights(self.sent, part.n_frames)
        if not w.any():
            self.fade = None
            return part
        out = part.copy()
        faded, reach = self._faded(quats, w, self.sent)
        out.poses = _within(quat_to_axis_angle(faded), part.poses, self._reach(reach), w).astype(np.float32)
        out.trans = out.trans + (w[:, None] * self.fade.trans).astype(np.float32)
        e = min(len(self.fade.expressions), out.n_expressions)
        out.expressions[:, :e] += (w[:, None] * self.fade.expressions[:e]).astype(np.float32)
        return out

    def _faded(self, quats, w, start):
        """``quats`` (n, 55, 4) from global frame ``start`` with the fade's offset (weights w)
        and its speed gap on top: the joined motion goes on at the speed it had before the join
        and eases to the generator's own over SPEED_SECONDS (the offset alone carried the place
        over, not the speed: a hand moving at 0.05 m per frame went on at 0.02 at once).
        Also (n, 55): how far past the frame the fade started from the carried speed takes each
        joint (radians; a limited joint may go that much further, see :func:`_within`)."""
        fade = self.fade
        out = fade_offset(fade.offset, quats, w)
        frames = max(2, round(SPEED_SECONDS * self.fps))
        ages = np.arange(start, start + len(quats)) - fade.start
        h = speed_weights(ages, frames)
        carried = (ages >= 0) & (ages < frames)
        reach = np.zeros(quats.shape[:2])
        if fade.step is None:
            return out, reach
        reach[carried] = quat_angle(fade.step)[None] * (1.0 + h[carried, None])
        if fade.gap is None:
            return out, reach
        return carry_speed(out, fade.gap, h), reach

    def _reach(self, reach):
        """(n, 55) how far a limited joint may turn while the fade lasts: the frame it started
        from, and past it what the carried speed takes it (``reach``), but never past the
        largest angle the generator itself has given that joint (a limb goes on as it went, not
        beyond its range)."""
        bound = self.fade.bound
        return np.maximum(bound, np.minimum(bound + reach, self.peak))

    def _step(self):
        """(55, 4) the generator's last frame-to-frame turn since its last jump (identity when
        one frame is known: held)."""
        quats = self.raw[0]
        if len(quats) < 2:
            step = np.zeros_like(quats[-1])
            step[:, 0] = 1.0
            return step
        return quat_multiply(quats[-1], quat_conjugate(quats[-2]))

    def _trend(self):
        """(quats (55, 4), root (3,)) the generator's next frame at its own last speed (one frame
        known since its last jump: that frame), or None before the first."""
        if self.raw is None:
            return None
        trans = self.raw[1]
        root = trans[-1] if len(trans) < 2 else 2.0 * trans[-1] - trans[-2]
        return quat_multiply(self._step(), self.raw[0][-1]), root

    def _refade(self, part, first, trend):
        """The fade carrying ``part``'s first frame onto the frame the stream would have shown
        next: the generator's own trend with what is left of the fade running now on top.

        Not the shown motion's extrapolation: joins on consecutive calls would carry the speed
        of a fade (not the generator's) on and on, swinging a limb past its range."""
        quats, trans = trend
        expressions = self.tail.expressions[-1].astype(np.float64)
        if self.fade is not None:
            w = self.fade.weights(self.sent, 1)
            faded, reach = self._faded(quats[None], w, self.sent)
            own = quat_to_axis_angle(quats[None])
            vector = _within(quat_to_axis_angle(faded), own, self._reach(reach), w)
            quats, trans = axis_angle_to_quat(vector[0]), trans + w[0] * self.fade.trans
        offset = seam_offset(quats, first)
        length = int(max(SEAM_FRAMES, np.ceil(1.5 * fade_angle(offset) / MAX_FADE_STEP)))
        e = min(len(expressions), part.n_expressions)
        lift = np.zeros(part.n_expressions)
        lift[:e] = expressions[:e] - part.expressions[0, :e]
        bound = np.linalg.norm(self.tail.poses[-1].astype(np.float64), axis=-1)  # the last frame shown
        step = self._step() if len(self.raw[0]) > 1 else None  # no speed known since a join just before
        return Fade(offset, trans - part.trans[0], lift, bound, self.sent, length, step, first)


@dataclass
class Fade:
    """A join being faded out from global frame ``start`` over ``length`` frames: the offset
    carrying the generator's new frame onto the stream's continuation (joint rotations (55, 4),
    root (3,), expression lift (E,)); ``bound`` (55,): the limited joints' angles in the last
    frame shown before it (see :func:`_within`); ``step`` (55, 4): the generator's turn per
    frame before the join (None where it had shown one frame since the last join: no speed is
    carried); ``joined`` (55, 4): its frame at the join; ``gap`` (55, 3): its speed
    before the join less its speed after, once the frame after is known (:meth:`learn_gap`)."""

    offset: np.ndarray
    trans: np.ndarray
    expressions: np.ndarray
    bound: np.ndarray
    start: int
    length: int
    step: np.ndarray
    joined: np.ndarray
    gap: np.ndarray = None

    def weights(self, start, n):
        """(n,) the offset's weight at global frames [start, start + n)."""
        w = np.zeros(n)
        ages = np.arange(start, start + n) - self.start
        inside = (ages >= 0) & (ages < self.length)
        w[inside] = seam_weights(self.length)[ages[inside]]
        return w

    def learn_gap(self, quats, start):
        """Set ``gap`` once the generator's frame after the join is among ``quats`` (n, 55, 4),
        its frames from global frame ``start``."""
        k = self.start + 1 - start
        if self.gap is None and self.step is not None and 0 <= k < len(quats):
            after = quat_multiply(quats[k], quat_conjugate(self.joined))
            self.gap = quat_to_axis_angle(quat_multiply(self.step, quat_conjugate(after)))


def _within(faded, own, bound, w):
    """``faded`` (n, 55, 3) rotation vectors with each limited joint (postprocess.LIMITED) turned
    no further than the farther of its own rotation ``own`` (n, 55, 3) and the frame the fade
    started from (``bound`` (55,) or (n, 55) angles: with the carried speed's reach), while the
    fade lasts (w > 0).

    The offset of a fade rides on the generator's new motion; where that motion bends a joint
    further the same way the two add up (an elbow bent by the offset and bending by itself
    folded to a half turn). Kept between the two poses the generator made, a limb stays in the
    range it moves in offline."""
    angle = np.linalg.norm(faded, axis=-1)
    cap = np.maximum(np.linalg.norm(own, axis=-1), bound)
    over = LIMITED & (angle > cap) & (np.asarray(w)[:, None] > 0)
    scale = np.where(over, cap / np.maximum(angle, 1e-12), 1.0)
    return faded * scale[..., None]


def _turn(a, b):
    """Largest angle, radians, between two sets of joint rotations (55, 4)."""
    return float(np.max(2.0 * np.arccos(np.clip(np.abs(np.sum(a * b, axis=-1)), 0.0, 1.0))))


def _last_two(raw, quats, trans):
    """(quats, trans) of the generator's last two frames since its last jump (one if fewer)."""
    if raw is None:
        return quats[-2:], trans[-2:]
    return np.concatenate([raw[0], quats])[-2:], np.concatenate([raw[1], trans])[-2:]


SEAM_FRAMES = 10  # as the offline window driver
SPEED_SECONDS = 0.3  # a join eases from the speed before it to the generator's own over this
MAX_FADE_STEP = 0.06  # radians per frame the fading offset may turn a joint at most


def samples_from_pcm16(data):
    """(N,) float32 samples from little-endian signed 16-bit PCM bytes."""
    if len(data) % 2:
        raise ValueError("16-bit PCM needs an even number of bytes")
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def stream_samples(samples):
    """(N,) float32 mono samples of a chunk fed to a stream, as a microphone or a file hands
    them over: floats as they are, integers scaled from their full range (int16 as a sound
    card gives them), (N, C) channels mixed (read as one channel they were C times as long,
    played C times too fast), 16-bit PCM bytes. TalkrigError for anything else."""
    if isinstance(samples, (bytes, bytearray, memoryview)):
        try:
            return samples_from_pcm16(bytes(samples))
        except ValueError as exc:
            raise TalkrigError(f"live audio: {exc}") from None
    array = np.asarray(samples)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TalkrigError(f"live audio must be numbers (16 kHz samples) or 16-bit PCM bytes, got "
                           f"dtype {array.dtype}")
    array = frames_first(array)
    if array.ndim == 2 and array.shape[1] <= MAX_CHANNELS:
        array = to_float(array).mean(axis=1)
    if array.ndim > 1:
        raise TalkrigError(f"live audio must be (N,) samples or (N, channels), got shape {array.shape}")
    return to_float(array.reshape(-1))


__all__ = ["LiveStream", "Frames", "can_stream", "samples_from_pcm16", "stream_samples", "LOOKAHEAD",
           "SAMPLE_RATE"]
