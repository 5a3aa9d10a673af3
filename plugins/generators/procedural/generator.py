"""The procedural generator: prosody-driven gestures with no data and no trained weights."""

import logging

from ....inference.features.activity import loudness
from ....inference.generation.generators import Generator
from ....inference.generation.options import Option
from ....inference.generation.forked import fork_work
from ....inference.generation.windows import generator_windows, run_windows
from ....motion.fineturn import JOINTS as FINE_JOINTS
from . import joints as J
from .body_layer import filled_joints, quiet
from .plan import make_plan
from .prosody import analyse
from .synthesis import make_context, synthesize

log = logging.getLogger(__name__)


class ProceduralGenerator(Generator):
    """Beat gestures on stressed syllables in every phrase, from an authored repertoire (palm
    orientations, deictics, metaphorics, self-adaptors in pauses), head motion from pitch and
    energy, breathing, a relaxed stance with weight shifts, fingers and jaw; its dynamics are
    calibrated on real mocap (benchmarks/bench_calibration.py)."""

    name = "procedural"
    summary = ("Embedded default: prosody-driven beat gestures, head motion, breathing and idle "
               "motion, jaw from speech energy. Needs no data or trained model.")
    needs_data = False
    needs_model = False
    stochastic = True
    supports_initial_pose = True
    native_fps = None
    window_seconds = 10.0
    streaming = True
    stream_replan_seconds = 0.5
    stream_continuous = True  # live: within a plan, each call's frames continue the last call's
    options = (
        Option("energy", "float", 1.0, "size of the gestures (0 keeps the hands at rest)", 0.0, 2.0),
        Option("gesture_rate", "float", 1.0, "how often the hands gesture and beat", 0.1, 2.0),
        Option("head", "float", 1.0, "amount of head motion (nods, gaze, tilt)", 0.0, 2.0),
        Option("idle", "float", 1.0, "amount of idle motion (sway, fidgets)", 0.0, 2.0),
        Option("gesture_space", "float", 1.0, "how far the arms are carried into the real speaker's "
               "posture and gesture space (learned mean and spread; 0 keeps the authored poses)", 0.0, 1.0),
        Option("body_layer", "float", 1.0, "how far the trunk, legs, collars and fingers take the real "
               "speaker's mean pose and fine motion (learned statistics; 0 keeps the authored ones)", 0.0, 1.0),
        Option("dominant_hand", "choice", "right", "the hand used most for one-handed gestures",
               choices=("right", "left")),
        Option("expressions", "bool", True, "move the mouth expression coefficients with the jaw"),
    )

    # Its layered tracks carry a fine tremble the pipeline's jitter filter was calibrated to take
    # off (bench_calibration.py): the filter runs in full on the joints it does not spare.
    jitter_need = 1.0

    def jitter_spared(self, options):
        """Joints the pipeline's jitter filter leaves alone: the head and the arms carry the
        generator's own fine motion (synthesis._fine), which the filter would smooth away wherever
        they turn slowly (not with ``idle`` 0: no fine motion); and the joints the body layer
        fills (spine, neck, toes, fingers, the knees' and thighs' off-hinge turns), whose quick
        turns are the speaker's, fitted on the generator's own unfiltered motion whatever the
        layer's amount. Filtered, the chest's and fingers' quick turns were smoothed away (the
        realism test's whole body 0.89 -> 0.87). The collars stay filtered: they carry the arms,
        and unfiltered their quick turns shook the hands (jerk 1.26x his, second recording)."""
        idle = float((options or {}).get("idle", 1.0))
        fine = FINE_JOINTS if idle > 0 else ()
        return tuple(sorted((set(fine) | set(filled_joints())) - {J.L_COLLAR, J.R_COLLAR}))

    def generate(self, request):
        """The whole take window by window, then its fingers brought down to the speaker's size
        band by band where they move more (``body_layer.quiet``: a whole take's
        spectrum, so live windows keep the layer's fingers)."""
        state = {"may_fork": True}  # this call reaps the second process, whatever happens
        try:
            motion = run_windows(self, request, state=state)
        finally:
            if state.get("ahead") is not None:
                state["ahead"][1].close()  # a cancelled take leaves no process behind
        quiet(motion.poses, motion.fps, float(self._options(request)["body_layer"]))
        return motion

    def _options(self, request):
        """The request's options over this generator's defaults."""
        return {**{opt.name: opt.default for opt in self.options}, **(request.options or {})}

    def generate_window(self, request, window):
        ctx = window.state.get("procedural")
        if ctx is None:
            options = self._options(request)
            prosody = analyse(request.features, request.words, request.n_frames, request.fps,
                              rate=options["gesture_rate"])
            plan = make_plan(prosody, request.rng("plan"), options, request.duration)
            ctx = make_context(request.fps, plan, prosody, request.rng("noise"), options)
            window.state["procedural"] = ctx
            log.debug("procedural plan: %d phrases, %d beats", len(prosody.phrases), len(prosody.beats))
            if window.state.get("may_fork") and not request.streaming:
                window.state["ahead"] = _synthesized_ahead(ctx, generator_windows(self, request))
        elif request.streaming:  # live: the plan stands, the jaw follows the voice heard since
            ctx.prosody.energy = loudness(request.features, request.n_frames)
        ahead = window.state.get("ahead")
        if ahead is not None and window.start >= ahead[0]:
            start, forked = ahead
            return forked.result()[window.start - start:window.stop - start]
        return synthesize(ctx, window.start, window.stop)


def _synthesized_ahead(ctx, bounds, least=3):
    """(first frame, Forked) of the later half of a take's windows synthesized by a second
    process while this one makes the first half, or None (fewer than ``least`` windows, or no
    second process to be had). Every frame is synthesized on its own, so the frames are the
    same to the bit whichever process makes them and however many at once."""
    if len(bounds) < least:
        return None
    start, stop = bounds[(len(bounds) + 1) // 2][0], bounds[-1][1]
    forked = fork_work(lambda: synthesize(ctx, start, stop))
    return None if forked is None else (start, forked)
