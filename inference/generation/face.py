"""The face stage: after the body (generator, key poses), a face model animates the face.

A face model is registered under the entry-point group ``talkrig.face`` and is a class (or an
instance) with:

- ``name`` (str) and ``describe()`` -> {"name", "summary", "options"} (options as the
  generators', a list of :class:`~.options.Option` dicts);
- one main method, ``animate(request: FaceRequest) -> FaceResult``.

The stage puts the result into the Motion: the face curves become its face-curve table
(ARKit blend shapes, visemes, mouth shapes; see motion.facecurves), the jaw rotation and the
mouth part of the expressions follow the model by the stage option ``expressions``
("replace", the default: the face model's; "blend": the mean of the generator's and the face
model's; "keep": the generator's own), and eye rotations are added (saccades).
"""

import logging
import zlib
from dataclasses import dataclass, field

import numpy as np

from ...motion.facecurves import JAW, JAW_OPEN_RADIANS, curve_table, mouth_direction
from ...motion.skeleton import EYES
from .options import Option, validate_options
from ..registry import FACE, PluginError, PluginKind

log = logging.getLogger(__name__)

NONE = "none"
DEFAULT_MODEL = "phones"
EXPRESSION_MODES = ("replace", "blend", "keep")
STAGE_OPTIONS = (
    Option("expressions", "choice", "replace",
           "the generator's own jaw and expression coefficients: replace them with the face "
           "model's, blend the two, or keep the generator's", choices=EXPRESSION_MODES),
)


@dataclass
class FaceRequest:
    """What a face model is asked for.

    motion : the Motion so far (body, jaw and expressions from the generator), T frames.
    words : list of Word (with phones when the speech engine gives them; may be empty).
    features : AudioFeatures at motion.fps (T frames, give or take a rounding frame).
    seed : the same seed gives the same face.
    options : the model's validated options.
    """

    motion: object
    words: list
    features: object
    seed: int = 0
    options: dict = field(default_factory=dict)

    @property
    def n_frames(self):
        return self.motion.n_frames

    @property
    def fps(self):
        return self.motion.fps

    def rng(self, *salt):
        """A numpy Generator seeded by the request seed and ``salt`` (independent streams)."""
        words = [int(self.seed) & 0xFFFFFFFF] + [zlib.crc32(str(item).encode()) for item in salt]
        return np.random.default_rng(np.random.SeedSequence(words))


@dataclass
class FaceResult:
    """A face model's answer for T frames.

    curves : {name: (T,) values} (ARKit names, viseme_*, mouthCue_*; see motion.facecurves).
    jaw : (T,) jaw opening rotation about x in radians, or None to leave the jaw alone.
    eyes : (T, 2) eye yaw and pitch in radians added to both eyes (saccades), or None.
    source : what drove the mouth: "phones", "words" (pronounced from the text) or "audio".
    """

    curves: dict
    jaw: np.ndarray | None = None
    eyes: np.ndarray | None = None
    source: str = ""


class FaceModel:
    """Convenience base class for face models (duck typing works just as well)."""

    name = ""
    summary = ""
    options = ()  # tuple of Option

    def describe(self):
        return {"name": self.name, "summary": self.summary,
                "options": [opt.to_dict() for opt in self.options]}

    def animate(self, request):
        raise NotImplementedError


def _check_model(obj):
    for attr in ("name", "describe", "animate"):
        if not hasattr(obj, attr):
            raise TypeError(f"a face model needs '{attr}'; {obj!r} has none")


FACE_MODEL = PluginKind(FACE, "face model", _check_model)


def face_models(refresh=False):
    """{name: PluginEntry} of every face model found through entry points."""
    return FACE_MODEL.entries(refresh)


def get_face_model(name, entries=None):
    """The face model instance called ``name`` (created once); PluginError listing the others."""
    return FACE_MODEL.instance(name, entries)


def list_face_models(entries=None):
    """One dict per face model, available or not: name, available, error, summary, options
    (the stage's and the model's)."""
    entries = face_models() if entries is None else entries
    items = []
    for name, entry in entries.items():
        item = {"name": name, "available": entry.available, "error": entry.error, "summary": "",
                "options": []}
        if entry.available:
            try:
                model = get_face_model(name, entries)
                item["summary"] = dict(model.describe()).get("summary", "")
                item["options"] = [opt.to_dict() for opt in face_option_specs(model)]
            except Exception as exc:  # describe() of a third-party plugin may be broken
                item.update(available=False, error=f"{type(exc).__name__}: {exc}")
        items.append(item)
    return items


def face_option_specs(model):
    """The stage's options followed by the model's own."""
    own = getattr(model, "options", ()) or ()
    if callable(own):
        own = ()
    return STAGE_OPTIONS + tuple(own)


def check_face_options(model, options):
    """Validated options of a face model (stage options included), defaults filled."""
    return validate_options(face_option_specs(model), options or {}, owner=f"face model '{model.name}'")


def resolve_face(name, options):
    """(model or None, validated options) for a face model name ("none": no face stage)."""
    name = (name or NONE).strip().lower()
    if name == NONE:
        if options:
            raise PluginError("face options were given but the face model is 'none'")
        return None, {}
    model = get_face_model(name)
    return model, check_face_options(model, options)


def animate_face(model, motion, words, features, seed=0, options=None):
    """Run ``model`` on ``motion`` and return a new Motion with the face in it (see module doc)."""
    options = dict(options or {})
    mode = options.get("expressions", "replace")
    request = FaceRequest(motion=motion, words=list(words or ()), features=features, seed=seed,
                          options=options)
    result = model.animate(request)
    return apply_face(motion, result, mode, getattr(model, "name", "face"))


def apply_face(motion, result, mode="replace", name="face"):
    """A copy of ``motion`` with ``result`` (FaceResult) in it; ``mode`` as the stage option."""
    n = motion.n_frames
    if not isinstance(result, FaceResult):
        raise PluginError(f"face model '{name}' returned {type(result).__name__}, not a FaceResult")
    try:
        names, table = curve_table(result.curves, n)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"face model '{name}' returned curves that are not {n} frames long: {exc}") from None
    if not np.all(np.isfinite(table)):
        raise PluginError(f"face model '{name}' returned NaN or infinite curve values")
    out = motion.copy()
    out.face_names, out.face_curves = names, table
    share = {"replace": 1.0, "blend": 0.5, "keep": 0.0}[mode]
    if result.jaw is not None and share > 0:
        jaw = np.asarray(result.jaw, np.float32).reshape(n)
        out.poses[:, JAW, 0] = (1.0 - share) * out.poses[:, JAW, 0] + share * jaw
        if out.n_expressions:
            # the same opening in the expression space (open = 2 * jawOpen there, see blender/facekeys.py)
            phones = np.outer(2.0 * jaw / JAW_OPEN_RADIANS, mouth_direction(out.n_expressions))
            out.expressions = ((1.0 - share) * out.expressions + share * phones).astype(np.float32)
    if result.eyes is not None:
        eyes = np.asarray(result.eyes, np.float32).reshape(n, 2)
        for joint in EYES:
            out.poses[:, joint, 1] += eyes[:, 0]
            out.poses[:, joint, 0] += eyes[:, 1]
    out.validate()
    log.info("face: %d curves from %s (jaw and expressions: %s)", len(names),
             result.source or name, mode)
    return out
