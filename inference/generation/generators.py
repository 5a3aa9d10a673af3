"""Generator plugins: the spec every generator follows, the request it receives, and discovery.

A generator is registered under the entry-point group ``talkrig.generators`` and points at a
class (or an instance) with:

- ``name`` (str) and ``describe()`` -> {"name", "summary", "capabilities", "options"}, where
  capabilities = {"needs_data", "needs_model", "stochastic", "initial_pose", "fps"} and options
  is a list of :class:`~.options.Option` dicts the server and the add-on render as UI;
- one main method, ``generate(request: GenerationRequest) -> Motion`` with exactly
  ``request.n_frames`` frames at ``request.fps``.

Optionally ``generation_fps(options, fps) -> float``: the frame rate it will generate at for
these options (e.g. its trained model's rate); the pipeline computes the features at that rate
and resamples the motion to the requested one. Without it, capabilities["fps"] (a fixed native
rate) or else the requested rate is used.

Optionally ``jitter_spared(options) -> tuple of joint indices``: joints whose fine motion the
generator already made like a real speaker's, which the pipeline's jitter filter
(:func:`.postprocess.smooth_jitter`) then leaves alone. Optionally ``jitter_need``, a number in
[0, 1]: how much of that filter the other joints get whatever they measure (by default each
joint is filtered only as far as it wobbles past a real speaker's).

A generator with capabilities["streaming"] can run live (``inference.live.driver``): its
``generate_window`` is called again and again on a request that grows with the audio
(``request.streaming``), asked each time for the newest few frames, with the same window state.
Optionally ``stream_replan_seconds`` (how often the live driver drops that state and plans
again) and ``stream_continuous`` (True when, within one plan, each call's frames continue the
last call's exactly: the driver then looks for jumps to fade only where a plan starts).

Subclassing :class:`Generator` gives ``describe()`` from class attributes and a ``generate``
that runs the window-by-window driver (:mod:`.windows`) over ``generate_window``; any object
with the same attributes works too. Generators are loaded once and called many times: keep
expensive state (models, indexes) on the instance.
"""

import logging
import math
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...motion.skeleton import NUM_JOINTS
from .options import validate_options
from ..progress import JobCancelled
from ..registry import GENERATORS, PluginError, PluginKind

log = logging.getLogger(__name__)


@dataclass
class GenerationRequest:
    """Everything a generator is asked for.

    features : AudioFeatures at ``fps`` (features.n_frames may differ from n_frames by a
        rounding frame; generators read ``features_at(frames)``).
    words : list of Word (may be empty).
    n_frames : frames to return.
    fps : frame rate of the returned motion.
    seed : the same seed gives the same motion.
    initial_pose : (55, 3) axis-angle the motion should start from, or None.
    options : validated generator options (see :func:`validate_options`).
    progress : callable(fraction in [0, 1]) or None.
    cancelled : callable() -> bool or None; polled between windows.
    streaming : True in a live stream: the features hold only the audio heard so far (the
        request's frames past them are the plan's reach) and later calls, with more audio,
        continue from the same ``window.state``.
    """

    features: object
    words: list = field(default_factory=list)
    n_frames: int = 0
    fps: float = 30.0
    seed: int = 0
    initial_pose: np.ndarray | None = None
    options: dict = field(default_factory=dict)
    progress: Callable | None = None
    cancelled: Callable | None = None
    streaming: bool = False

    def __post_init__(self):
        if not self.n_frames:
            self.n_frames = int(self.features.n_frames)
        self.n_frames = int(self.n_frames)
        if self.n_frames < 1:
            raise PluginError(f"a generation request needs at least one frame, got {self.n_frames}")
        self.fps = float(self.fps)
        self.seed = int(self.seed)
        if self.initial_pose is not None:
            pose = getattr(self.initial_pose, "poses", self.initial_pose)  # a take: from its end
            pose = np.asarray(pose, dtype=np.float32)
            if pose.ndim == 3:
                pose = pose[-1]
            if pose.shape != (NUM_JOINTS, 3) or not np.all(np.isfinite(pose)):
                raise PluginError(f"initial pose must be ({NUM_JOINTS}, 3) finite axis-angle, got {pose.shape}")
            self.initial_pose = pose

    @property
    def duration(self):
        return self.n_frames / self.fps

    def rng(self, *salt):
        """A numpy Generator seeded by the request seed and ``salt`` (strings or ints).

        Independent streams for independent decisions keep a change in one part (say, more
        windows) from reshuffling every other random choice.
        """
        words = [int(self.seed) & 0xFFFFFFFF]
        for item in salt:
            words.append(zlib.crc32(str(item).encode()) if not isinstance(item, (int, np.integer))
                         else int(item) & 0xFFFFFFFF)
        return np.random.default_rng(np.random.SeedSequence(words))

    def features_at(self, frames):
        """Row indices into the feature arrays for motion ``frames``, clipped to what exists."""
        n = max(1, int(self.features.n_frames))
        return np.clip(np.asarray(frames, dtype=np.int64), 0, n - 1)

    def report(self, fraction):
        if self.progress is not None:
            self.progress(float(min(max(fraction, 0.0), 1.0)))

    def check_cancelled(self):
        """Raise JobCancelled when the caller asked to stop."""
        if self.cancelled is not None and self.cancelled():
            raise JobCancelled("generation cancelled")


class Generator:
    """Convenience base class for generator plugins (duck typing works just as well).

    Subclasses set the class attributes and implement ``generate_window`` (windowed, the
    default driver) or override ``generate``.
    """

    name = ""
    summary = ""
    needs_data = False  # needs a user's mocap library
    needs_model = False  # needs trained weights
    stochastic = True  # different seeds give different motion
    supports_initial_pose = True
    native_fps = None  # None: generates at any rate; else the only rate it generates at
    window_seconds = 10.0  # window length of the driver
    seam_frames = 10  # frames blended at each window's start (DR²'s k)
    streaming = False  # can run live, causally (see inference.live.driver)
    options = ()  # tuple of Option

    def describe(self):
        return {
            "name": self.name,
            "summary": self.summary,
            "capabilities": {
                "needs_data": bool(self.needs_data),
                "needs_model": bool(self.needs_model),
                "stochastic": bool(self.stochastic),
                "initial_pose": bool(self.supports_initial_pose),
                "fps": self.native_fps,
                "streaming": bool(self.streaming),
            },
            "options": [opt.to_dict() for opt in self.options],
        }

    def generate(self, request):
        """Motion of request.n_frames frames, produced window by window with blended seams."""
        from .windows import run_windows

        return run_windows(self, request)

    def generate_window(self, request, window):
        """Motion for frames [window.start, window.stop) (see :class:`.windows.Window`)."""
        raise NotImplementedError(f"generator {self.name} implements neither generate nor generate_window")


def _check_plugin(obj):
    """Reject an entry point that loads but is not a generator (kept as unavailable)."""
    for attr in ("name", "describe", "generate"):
        if not hasattr(obj, attr):
            raise TypeError(f"a generator needs '{attr}'; {obj!r} has none")
    if not callable(obj.describe) or not callable(obj.generate):
        raise TypeError("describe and generate must be callable")


GENERATOR = PluginKind(GENERATORS, "generator", _check_plugin)


def load_generators(refresh=False):
    """{name: PluginEntry} of every generator entry point; broken ones are kept with their error."""
    return GENERATOR.entries(refresh)


def get_generator(name, entries=None):
    """The generator instance called ``name`` (created once), or a PluginError listing the valid ones."""
    return GENERATOR.instance(name, entries)


def describe_generator(generator):
    """describe() of a generator, checked to hold the keys the UI needs."""
    info = dict(generator.describe())
    info.setdefault("name", generator.name)
    info.setdefault("summary", "")
    info.setdefault("capabilities", {})
    info.setdefault("options", [])
    return info


def list_generators(entries=None):
    """One dict per generator, available or not: describe() plus "available" and "error"."""
    entries = load_generators() if entries is None else entries
    result = []
    for name, entry in entries.items():
        item = {"name": name, "available": entry.available, "error": entry.error,
                "summary": "", "capabilities": {}, "options": []}
        if entry.available:
            try:
                item.update(describe_generator(get_generator(name, entries)))
                item["name"] = name
            except Exception as exc:  # describe() of a third-party plugin may be broken
                item.update(available=False, error=f"{type(exc).__name__}: {exc}")
        result.append(item)
    return result


def generation_fps(generator, options, fps):
    """The frame rate ``generator`` works at: its ``generation_fps(options, fps)`` if it has one
    (e.g. the rate of the chosen trained model), else describe()'s "fps" capability, else the
    requested ``fps``. The pipeline resamples the result to the requested rate."""
    chooser = getattr(generator, "generation_fps", None)
    rate = chooser(options, fps) if callable(chooser) else describe_generator(generator)["capabilities"].get("fps")
    if not rate:
        return fps
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if not math.isfinite(rate) or rate <= 0:
        raise PluginError(f"generator '{generator.name}' reports an invalid frame rate {rate!r}")
    return rate


def option_specs(generator):
    """The Option objects of a generator (from ``options`` or rebuilt from describe())."""
    from .options import Option

    specs = getattr(generator, "options", None)
    if specs is None or callable(specs):
        specs = [Option(**{k: (tuple(v) if k == "choices" else v) for k, v in d.items()})
                 for d in describe_generator(generator)["options"]]
    return tuple(specs)


def check_options(generator, options):
    """Validated options of ``generator`` with defaults filled (PluginError on a bad one)."""
    return validate_options(option_specs(generator), options, owner=f"generator '{generator.name}'")
