"""What the four neural generator plugins share: finding and loading the trained model, the
per-frame network input of a request, and turning pose vectors back into a Motion.

onnxruntime and numpy only: serving a trained model never imports torch.

How the take is finished (:meth:`NeuralGenerator.finished`): by default the network's motion is
played through the training takes stored with the model (:mod:`.mocap`, the ``follow`` option).
Where it is not (``follow`` 0, live, a model trained before the takes were stored), the four
learned generators stand like the speaker they were trained on: their legs and root travel are brought to his level
after the feet stage (:mod:`.standing`), and their head and wrists turn as finely as his (the few
thousandths of a radian, several times a second, that a network's smoothed output lacks;
``motion.fineturn``), for models trained with the current code (they store those figures of the
training takes).
"""

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...inference.features.activity import speech_activity, speech_at
from ...inference.generation.generators import Generator
from ...inference.generation.options import Option
from ...inference.generation.postprocess import smooth_jitter
from ...inference.registry import PluginError
from ...inference.generation.windows import blend_seam, run_windows
from ...motion import Motion
from ...motion.fineturn import LEAVES, with_fine_turning
from ...motion.skeleton import NUM_JOINTS
from .featurenorm import hold_dead_bands, normalise
from .grounding import GROUND_SIGMA, planted_trans
from .layout import motion_to_vectors, vectors_to_motion
from .liveliness import FILTER_SPARED, liven
from .mocap import FOLLOW, MOCAP, played
from .modeldir import METADATA, ModelError, default_model_dir, load_model, read_metadata, train_hint
from .speedwarp import warp
from .stance import STANCE, posture_offset
from .standing import stand
from .textcode import text_frames

log = logging.getLogger(__name__)
FINE_SEED = 38  # the fine turning of backends whose take does not depend on the seed (s2v)


def liveliness_option():
    return Option(
        "liveliness", "float", default=1.0, min=0.0, max=1.0,
        help="how far to scale the gestures up to the training speaker's pace in speech "
             "(a model trained on little data moves too little on new audio); 0 = as the model "
             "made them. Shapes the network's own motion: the take played with `follow` 0, "
             "or the path the training takes follow",
    )


def stance_option():
    return Option(
        "stance", "float", default=STANCE, min=0.0, max=1.0,
        help="how much of the training speaker's posture at one moment of his training, picked "
             "by the seed, the whole take keeps (seeds stand differently); 0: every seed stands "
             "alike. Shapes the network's own motion (see `liveliness`)",
    )


def follow_option():
    return Option(
        "follow", "float", default=FOLLOW, min=0.0, max=20.0,
        help="play the network's gestures through the training speaker's own mocap, stored "
             "with the model: how closely the mocap follows the network's path (higher: closer, "
             "with more joins); 0 = the network's motion as it is",
    )


def model_option(backend):
    return Option(
        "model", "path", default=None,
        help=f"folder of a model trained with `{train_hint(backend)} -o DIR`; "
             f"default {default_model_dir(backend)}",
    )


class NeuralGenerator(Generator):
    """Base of the a2g, dr2, ldm and s2v plugins: a trained ONNX model behind the Generator API."""

    needs_model = True
    native_fps = None  # checked against the model's own rate at generation time
    model_sizes = ()  # the integer metadata entries the backend reads (checked at load)

    def __init__(self):
        self._models = {}  # folder -> (metadata mtime, TrainedModel)

    def describe(self):
        info = super().describe()
        folder = default_model_dir(self.name)
        info["model"] = {"default_dir": str(folder), "found": (folder / METADATA).exists(),
                         "train": train_hint(self.name)}
        return info

    def option(self, request, name):
        """The request's value of option ``name``, or the option's default when not given."""
        return self.option_value(request.options, name)

    def option_value(self, options, name):
        """``options``' value of option ``name``, or the option's default when not given."""
        value = options.get(name)
        if value is None:
            value = next(opt.default for opt in self.options if opt.name == name)
        return value

    def model_folder(self, options):
        """The model folder the generation ``options`` choose (resolved)."""
        chosen = options.get("model")
        folder = (Path(chosen).expanduser() if chosen else default_model_dir(self.name)).resolve()
        # A file of the folder picked instead of it (its talkrig_model.json, a graph): its folder.
        return folder.parent if folder.is_file() else folder

    def generation_fps(self, options, fps):
        """The chosen model's frame rate, which the pipeline generates at and then resamples to
        the rate asked for; None (the rate asked for) when the folder holds no readable model,
        which ``load`` then reports."""
        try:
            return float(read_metadata(self.model_folder(options), self.name)["fps"])
        except (ModelError, OSError, KeyError, TypeError, ValueError):
            return None

    def load(self, request):
        """The request's TrainedModel, loaded once per folder (reloaded after retraining)."""
        folder = self.model_folder(request.options)
        meta = folder / METADATA
        stamp = meta.stat().st_mtime_ns if meta.exists() else None
        cached = self._models.get(folder)
        if cached is None or cached[0] != stamp:
            model = load_model(folder, self.name, sizes=self.model_sizes)
            self._models[folder] = (stamp, model)
        model = self._models[folder][1]
        if abs(model.fps - request.fps) > 1e-6:
            raise PluginError(
                f"the {self.name} model in {folder} generates at {model.fps:g} fps, "
                f"not {request.fps:g}; ask for {model.fps:g} fps"
            )
        return model

    def inputs(self, model, request, frames):
        """(len(frames), F) float32 network input for motion ``frames`` of the request."""
        kind = model.metadata["input"]["kind"]
        if kind == "text":
            if not request.words:
                raise PluginError(
                    f"the {self.name} model in {model.folder} is driven by text and needs word "
                    "timings: turn speech recognition on or give a transcript"
                )
            frames = np.asarray(frames)
            codes = text_frames(request.words, int(frames.max()) + 1, request.fps)
            return codes[frames]
        rows = request.features_at(frames)
        stats = model.metadata["input"]
        return np.ascontiguousarray(hold_dead_bands(self.recording_inputs(model, request)[rows], kind,
                                                    stats["mean"], stats["std"]), dtype=np.float32)

    def recording_inputs(self, model, request):
        """(T, F) the request's features of the model's kind, moved to the training speaker's
        level per band when the model was trained so (``featurenorm``); a live stream's
        features hold what was heard so far, so its level is the running one. Kept for the
        request's later windows."""
        kind = model.metadata["input"]["kind"]
        norm = model.metadata["input"].get("norm")
        features = getattr(request.features, kind)
        if not norm:
            return features
        key = str(model.folder)
        cached = getattr(request, "_normalised", None)
        if cached is None or cached[0] != key:
            reference = (np.asarray(norm["mean"], np.float32), np.asarray(norm["std"], np.float32))
            speaking = speech_activity(request.features)
            cached = (key, normalise(features, speaking, reference, norm["kind"]))
            request._normalised = cached
        return cached[1]

    def jitter_spared(self, options):
        """Joints the pipeline's jitter filter should leave alone for a take made with
        ``options``: the trunk's, whose fine motion the liveliness scaling matches to the
        training speaker's (``liveliness.FILTER_SPARED``); none with ``liveliness`` 0 or with a
        model that predates the scaling (its take was not livened: the filter is all it gets),
        and none for a take played through the training takes (:meth:`plays_mocap`: mocap, as
        the matching backend's)."""
        if self.plays_mocap(options):
            return ()
        if not self.livens() or float(self.option_value(options, "liveliness")) <= 0.0:
            return ()
        cached = self._models.get(self.model_folder(options))
        paced = cached is None or isinstance(cached[1].metadata.get("speech_pace"), dict)
        return tuple(sorted(set(FILTER_SPARED if paced else ()) | set(self.fine_spared(options))))

    def plays_mocap(self, options):
        """True where a take made with ``options`` is played through the model's stored
        training takes (:mod:`.mocap`): ``follow`` above 0 and the takes stored with it."""
        return (float(self.option_value(options, "follow")) > 0.0
                and (self.model_folder(options) / MOCAP).exists())

    def fine_spared(self, options):
        """The joints :meth:`fine_turned` moves (``motion.fineturn.LEAVES``), which it filters
        itself before turning them: the pipeline's jitter filter would take the turning out
        again. None where it does not turn (``liveliness`` 0, a model without the speaker's
        angular jerk)."""
        if self.livens() and float(self.option_value(options, "liveliness")) <= 0.0:
            return ()
        cached = self._models.get(self.model_folder(options))
        turned = cached is None or bool(cached[1].metadata.get("angular_jerk"))
        return LEAVES if turned else ()

    def finished(self, model, request, motion):
        """The whole take played through the training speaker's own mocap (:mod:`.mocap`, with
        the ``follow`` option); where it is not, standing like him (:meth:`stood`) and turning
        as finely as he does (:meth:`fine_turned`)."""
        # a deterministic backend's take does not depend on the seed, its playing neither
        seeded = request if self.stochastic else replace(request, seed=FINE_SEED)
        through = played(model, seeded, motion, float(self.option(request, "follow")), f"{self.name} follow")
        if through is not None:
            return self.from_initial_pose(request, through)
        return self.fine_turned(model, request, self.stood(model, request, motion))

    def stood(self, model, request, motion):
        """``motion`` with its legs and root travel brought to the training speaker's level
        after the feet stage, and its pelvis and knees kept within his stance where the model
        stores it (:mod:`.standing`, ``liveliness`` of the way for the leg gain); unchanged for
        models trained before those figures were stored, with ``liveliness`` 0 or without a
        feet anchor."""
        targets = {key: model.metadata.get(key) for key in ("leg_activity", "root_travel", "stance")}
        strength = float(self.option(request, "liveliness")) if self.livens() else 1.0
        if not any(targets.values()) or strength <= 0.0 or "feet_anchor" not in model.metadata:
            return motion
        standing, gain, sigma = stand(motion_to_vectors(motion, model.layout), model.layout,
                                      lambda vectors, s: self.to_motion(model, vectors, request.fps, s),
                                      targets, request.fps, strength)
        log.info("%s: legs' gestures x%.2f, root smoothed over %.2f s (the training speaker's leg "
                 "activity and root travel)", self.name, gain, sigma)
        return self.from_initial_pose(request, standing)

    def fine_turned(self, model, request, motion):
        """``motion`` with the fine turning of a living body (``motion.fineturn``) raised until
        its upper body's angular jerk, after the pipeline's jitter filter, is the training
        speaker's (the model's ``angular_jerk``): a network's output, smoothed over time, keeps
        his position jerk but turns half as finely as he does. Only the head and the wrists
        turn (``LEAVES``: they move none of the body's joints, so its position figures, which the
        model already matched, stay as they were). The turned joints are first
        filtered as the pipeline would have (it spares them, :meth:`fine_spared`). Unchanged for
        models trained before the figure was stored, and with ``liveliness`` 0."""
        target = float(model.metadata.get("angular_jerk") or 0.0)
        if target <= 0.0 or not self.fine_spared(request.options):
            return motion
        others = tuple(j for j in range(NUM_JOINTS) if j not in LEAVES)
        filtered = smooth_jitter(motion, spare=others)
        motion = motion.copy()
        motion.poses = filtered.poses  # the root is the pipeline's to smooth, once
        spared = self.jitter_spared(request.options)
        # a deterministic backend's take does not depend on the seed, its turning neither
        rng = request.rng(self.name, "fine turning") if self.stochastic else np.random.default_rng(FINE_SEED)
        turned, gain = with_fine_turning(motion, target, rng,
                                         measure=lambda m: smooth_jitter(m, spare=spared), joints=LEAVES)
        log.info("%s: fine turning at %.2f of its unit level (the training speaker's angular jerk)",
                 self.name, gain)
        return self.from_initial_pose(request, turned)  # a requested first pose stays exact

    def stanced(self, model, request, motion):
        """``motion`` with its upper body moved by the seed's stance (``stance.posture_offset``
        of the posture :meth:`stance_pick` picks); unchanged for backends without the ``stance``
        option, with an initial pose (the take continues one), ``stance`` 0 or a model trained
        before the postures were stored."""
        if not any(opt.name == "stance" for opt in self.options) or request.initial_pose is not None:
            return motion
        share = float(self.option(request, "stance"))
        if share <= 0.0 or "postures" not in model.metadata:
            return motion
        postures = model.array("postures")
        offset = posture_offset(postures, self.stance_pick(request, len(postures)), share, model.layout)
        return self.to_motion(model, motion_to_vectors(motion, model.layout) + offset.astype(np.float32),
                              request.fps)

    def stance_pick(self, request, n):
        """Which of the model's ``n`` postures the seed stands in."""
        return request.rng(self.name, "stance").integers(n)

    def livens(self):
        """True for backends with the ``liveliness`` option (the scaling of gestures)."""
        return any(opt.name == "liveliness" for opt in self.options)

    def livened(self, model, request, motion):
        """``motion`` with its arms re-timed to the training speaker's speed contrast
        (:mod:`.speedwarp`; models trained before it was stored keep their timing) and its
        gestures then scaled up to his pace in speech (:mod:`.liveliness`), for backends with
        the ``liveliness`` option; unchanged for models trained before ``speech_pace`` was
        stored, or with ``liveliness`` 0."""
        if not self.livens():
            return motion
        target = model.metadata.get("speech_pace")
        if not isinstance(target, dict):
            log.info("%s: the model in %s predates the liveliness scaling; train it again to get it",
                     self.name, model.folder)
            return motion
        speaking = speech_at(request.features, request.words, motion.n_frames)
        strength = float(self.option(request, "liveliness"))
        vectors, gammas = warp(motion_to_vectors(motion, model.layout), model.layout, speaking,
                               target, request.fps, strength=strength)
        log.info("%s: arms re-timed to the training speaker's speed contrast: %s", self.name,
                 ", ".join(f"{k} {v:.2f}" for k, v in gammas.items()))
        vectors, gains = liven(vectors, model.layout, speaking, target, request.fps,
                               strength=strength)
        log.info("%s: gestures scaled to the training speaker's pace in speech: %s", self.name,
                 ", ".join(f"{k} {v:.2f}" for k, v in gains.items()))
        return self.to_motion(model, vectors, request.fps)

    def from_initial_pose(self, request, motion):
        """``motion`` blended from the request's initial pose (if any) over the seam frames."""
        if request.initial_pose is None:
            return motion
        start = Motion(poses=request.initial_pose[None], trans=motion.trans[:1], fps=request.fps)
        return blend_seam(start, motion, self.seam_frames, rotations_only=True)

    def to_motion(self, model, vectors, fps, ground_sigma=GROUND_SIGMA):
        """Motion from (T, D) pose vectors, feet planted where the training speaker stood (the
        root's horizontal place low-passed over ``ground_sigma`` seconds, ``grounding``)."""
        betas = np.asarray(model.metadata.get("betas") or [], dtype=np.float32)
        motion = vectors_to_motion(vectors, model.layout, fps, trans=model.array("root_trans"),
                                   betas=betas)
        if "feet_anchor" in model.metadata:
            motion.trans = planted_trans(motion.poses, model.array("feet_anchor"), fps, ground_sigma)
        # A speaker stands: both feet planted throughout, for the pipeline's foot IK.
        motion.contacts = np.ones((motion.n_frames, 2), np.float32)
        return motion


class WindowedNeuralGenerator(NeuralGenerator):
    """A neural generator that makes the take window by window, each window as long as the
    model's training windows (a2g, dr2, ldm); subclasses write generate_window."""

    model_sizes = ("window",)

    def generate(self, request):
        model = self.load(request)
        motion = run_windows(self, request, window_seconds=model.metadata["window"] / model.fps)
        motion = self.stanced(model, request, motion)
        lively = self.livened(model, request, motion)
        motion = motion if lively is motion else self.from_initial_pose(request, lively)
        return self.finished(model, request, motion)
