"""Which weights of an ldm training to keep: those whose sampled motion moves most like the
speaker's (torch; used during training only).

Why: the denoising loss says nothing about how the sampled motion moves (it is lowest long
before the motion is right), and trainings and checkpoints of one training differ more in the
motion's dynamics than any setting does. Image diffusion models are chosen by a sample metric
(FID of generated images), not by their loss; this does the same with the figures the motion
is judged by.

Every ``select_every`` epochs the current weights generate motion with the exported
generator's own sampler and defaults (guidance, DDIM steps, smoothing, the window joins; the
graphs run in torch instead of onnxruntime) and the pipeline's post-processing (joint limits,
jitter filter, calmer pauses), ``select_seeds`` seeds on ``select_seconds`` of the training
takes' audio: their validation share when it is that long, else their training frames (on a
minute of data the validation share is a few seconds). Against the real motion of the same
frames, the score is the worst |ln ratio| of the upper body's angular speed, acceleration and
jerk (``motion.metrics``); a sample whose diversity is below 0.8x the real motion's fails the
constraint and ranks after every sample that meets it.

Why it is off by default (``select_every`` = 0, ``ldm.train``, where the figures are): measured,
it refuses checkpoints that barely move, but on the take's held-out half the kept checkpoints of
two trainings accelerated more than the last weights (1.30x the speaker's against 1.20x and
1.11x): the score on the training audio does not predict new audio.
"""

import logging
from types import SimpleNamespace

import numpy as np
import torch

from ....inference.generation.generators import GenerationRequest
from ....inference.generation.postprocess import calm_weight, postprocess
from ....motion.errors import MotionValueError
from ....motion.metrics import diversity, mean_acceleration, mean_angular_speed, mean_jerk
from ....motion.metrics.distribution import DISTRIBUTION_JOINTS
from ...neural.layout import vectors_to_motion
from .generator import LatentDiffusionGenerator
from .model import DecodeGraph, EncodeGraph

MIN_DIVERSITY = 0.8  # of the real motion's, the constraint every kept sample must meet
MIN_PIECE = 4.0  # seconds: two windows and the diversity's two 50-frame clips
FIGURES = ("angular_speed", "acceleration", "jerk")

log = logging.getLogger(__name__)


class TorchGraphs:
    """The trainer's networks behind the interface of a loaded model (``modeldir.TrainedModel``):
    ``run(graph, feeds)`` on numpy arrays, ``metadata``, ``layout``, ``fps``, ``array``."""

    def __init__(self, model, metadata, layout):
        self.graphs = {"encode": EncodeGraph(model), "decode": DecodeGraph(model),
                       "denoise": model.denoiser}
        self.metadata, self.layout, self.folder = metadata, layout, "(training)"

    @property
    def fps(self):
        return float(self.metadata["fps"])

    def run(self, graph, feeds):
        names = {"encode": ("poses",), "decode": ("latents",),
                 "denoise": ("x", "known", "mel", "keep", "t")}[graph]
        with torch.no_grad():
            out = self.graphs[graph](*(torch.from_numpy(np.asarray(feeds[n])) for n in names))
        return [out.numpy()]

    def array(self, key):
        return np.asarray(self.metadata[key], dtype=np.float32)


class _TrainingSampler(LatentDiffusionGenerator):
    """The ldm generator on the weights being trained."""

    def __init__(self, graphs):
        super().__init__()
        self.graphs = graphs

    def load(self, request):
        return self.graphs

    def livened(self, model, request, motion):
        """The weights' own motion: what follows them (the spectrum match) is the same for
        every checkpoint, and the stand-in features here carry no speech to measure it on."""
        return motion


def pieces(dataset, seconds):
    """[(take index, first frame, end frame)] of about ``seconds`` of paired frames, spread over
    the takes: the validation share when it holds that much, else the training frames."""
    def usable(ranges):
        return [(i, s, e) for i, s, e in ranges if dataset.takes[i].inputs is not None
                and e - s >= MIN_PIECE * dataset.fps]

    val = usable(dataset.val)
    ranges = val if sum(e - s for _, s, e in val) >= seconds * dataset.fps else usable(dataset.train)
    if not ranges:
        return []
    each = max(int(MIN_PIECE * dataset.fps), int(round(seconds * dataset.fps / len(ranges))))
    out, need = [], int(round(seconds * dataset.fps))
    for i, s, e in ranges:
        n = min(e - s, each, need)
        if n < MIN_PIECE * dataset.fps:
            break
        out.append((i, s, s + n))
        need -= n
    return out


def _figures(motion):
    """{figure: value} of one motion; diversity None when too short for it."""
    upper = {"joints": DISTRIBUTION_JOINTS}
    try:
        div = diversity(motion)
    except MotionValueError:
        div = None
    return {"angular_speed": mean_angular_speed(motion), "acceleration": mean_acceleration(motion, **upper),
            "jerk": mean_jerk(motion, **upper), "diversity": div}


class SampleScore:
    """The sample score of a trainer's current weights (see the module docstring).

    trainer : an ``LDMTrainer``; metadata : what the exported model's metadata will hold (the
    generator reads its window sizes, rate, feet anchor...).
    """

    def __init__(self, trainer, metadata):
        c, dataset = trainer.config, trainer.dataset
        # The takes' inputs are already at the training speaker's level (``featurenorm``, done
        # when the data was loaded): the sampler feeds them as they are, as training does.
        metadata = dict(metadata, input={k: v for k, v in metadata["input"].items() if k != "norm"})
        self.trainer, self.layout, self.fps = trainer, dataset.layout, dataset.fps
        self.seeds = range(int(c.get("select_seeds", 2)))
        self.sampler = _TrainingSampler(TorchGraphs(trainer.model, metadata, dataset.layout))
        self.pieces = []
        for i, s, e in pieces(dataset, float(c.get("select_seconds", 20.0))):
            take = dataset.takes[i]
            real = vectors_to_motion(take.poses[s:e], self.layout, self.fps, trans=take.trans[s:e])
            features = SimpleNamespace(**{trainer.input_kind: take.inputs[s:e]}, n_frames=e - s)
            self.pieces.append((features, take.speaking[s:e], _figures(real)))
        if not self.pieces:
            log.warning("ldm: no take holds %g s of audio with motion to sample, so no sample "
                        "score: the last weights are kept", MIN_PIECE)

    def __call__(self):
        """{"score", "ok", "angular_speed", "acceleration", "jerk", "diversity"} (ratios to the
        real motion), or None without audio to sample on."""
        if not self.pieces:
            return None
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # batches of two short windows: more threads only wait on each other
        try:
            made, real = self._sample()
        finally:
            torch.set_num_threads(threads)
        ratios = {k: float(np.mean([m[k] for m in made]) / max(np.mean([r[k] for r in real]), 1e-12))
                  for k in FIGURES}
        divs = [(m["diversity"], r["diversity"]) for m, r in zip(made, real) if r["diversity"]]
        ratios["diversity"] = float(np.mean([m for m, _ in divs]) / np.mean([r for _, r in divs])) \
            if divs else None
        score = max(abs(np.log(max(ratios[k], 1e-12))) for k in FIGURES)
        ok = ratios["diversity"] is None or ratios["diversity"] >= MIN_DIVERSITY
        return dict(score=float(score), ok=bool(ok), **ratios)

    def _sample(self):
        """The figures of every generated take and of the real motion beside each."""
        made, real = [], []
        for features, speaking, figures in self.pieces:
            for seed in self.seeds:
                request = GenerationRequest(features=features, n_frames=features.n_frames,
                                            fps=self.fps, seed=seed)
                motion = postprocess(self.sampler.generate(request), feet=False,
                                     pause=calm_weight(speaking, self.fps))
                made.append(_figures(motion))
                real.append(figures)
        return made, real
