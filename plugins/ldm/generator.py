"""The latent motion diffusion generator plugin: DDIM sampling with onnxruntime and numpy.

Window after window (``window`` frames, 16 latents by default), the denoiser is run ``steps``
times (DDIM, with ``eta`` of the ancestral sampler's fresh noise per step) from seeded noise; the previous window's last four latents are
given as known positions (the paper's MF_[i-4, i-1]), so each window continues the one before.
The first window continues from the request's initial pose (encoded as that pose held still)
or, without one, starts from nothing. Classifier-free guidance on the audio: each step runs the
conditional and the unconditional prediction as a batch of two and moves ``guidance`` times the
way from the second to the first. The decoder turns the context and the window's latents into
poses (the context makes the join continuous), whose rotations are smoothed over time by a
Gaussian of ``smoothing`` frames (the decoder's 4-frame latent steps otherwise show as jerk);
the window driver then blends each join over k = 10 frames (DR² Eq. 2). The seed picks the
noise: the same seed gives the same take.

Key-pose in-painting (option ``inpaint``): the key poses a dictionary places on the words (the
same planning as the pipeline's key-pose stage) become constraints of the sampler. A window is
sampled once, the key poses are set on the decoded motion over their hold, that motion is
encoded, and the window is sampled again from the same noise with the latents over each hold
given as known: the motion around them is generated to lead into and out of the pose, rather
than the pose being pasted over motion that did not expect it.
"""

import numpy as np

from ...inference.keyposes import KeyPoseError, load_keyposes, plan_insertions
from ...inference.options import Option
from ...inference.registry import PluginError
from ...motion import Motion
from ..neural.generator import WindowedNeuralGenerator, model_option
from ..neural.layout import motion_to_vectors
from ..neural.modeldir import train_hint
from ..neural.smoothing import smooth_columns
from .schedule import alpha_bars, ddim_step, sampling_times


class LatentDiffusionGenerator(WindowedNeuralGenerator):
    name = "ldm"
    summary = ("latent motion diffusion: each window's motion features denoised from the speech "
               "and the four before them, a few DDIM steps; diverse per seed; needs a model "
               f"trained with `{train_hint('ldm')}`")
    stochastic = True
    options = (
        model_option("ldm"),
        Option("steps", "int", default=8, min=1, max=50, help="DDIM steps per window"),
        Option("guidance", "float", default=2.5, min=0.0, max=5.0,
               help="classifier-free guidance on the audio: 0 ignores it, 1 plain conditional, "
                    "above 1 follows it more (and varies more between seeds)"),
        Option("eta", "float", default=1.0, min=0.0, max=1.0,
               help="fresh noise per DDIM step: 0 deterministic given the seed's first noise, "
                    "1 as much as the ancestral sampler"),
        Option("smoothing", "float", default=1.5, min=0.0, max=5.0,
               help="Gaussian smoothing of the rotations over time, frames (0: none)"),
        Option("inpaint", "str", default="none",
               help="key poses the sampler in-paints at their words: 'default' (the bundled "
                    "dictionary), a JSON dictionary path, or 'none'"),
    )

    def generate_window(self, request, window):
        state = window.state
        if "model" not in state:
            state["model"] = self.load(request)
            state["holds"] = self._holds(state["model"], request)
        model = state["model"]
        meta = model.metadata
        stride, ctx = int(meta["stride"]), int(meta["context"])
        s = int(meta["window"]) // stride
        context = self._context(model, window, state)
        first = window.start - ctx * stride
        mel = self.inputs(model, request, np.arange(first, first + (ctx + s) * stride))
        known = np.zeros((ctx + s, 1), np.float32)
        x_known = np.zeros((ctx + s, int(meta["latent"])), np.float32)
        if context is not None:
            known[:ctx], x_known[:ctx] = 1.0, context
        noise = request.rng("ldm", "noise", window.index).standard_normal(
            (ctx + s, int(meta["latent"]))).astype(np.float32)
        rng = request.rng("ldm", "steps", window.index)
        latents = self._sample(model, request, noise, known, x_known, mel, rng)
        holds = self._holds_in(state["holds"], first, first + (ctx + s) * stride)
        if holds:
            known, x_known = self._inpaint_constraints(model, latents, holds, first, known, x_known)
            rng = request.rng("ldm", "steps", window.index)  # the same draws again
            latents = self._sample(model, request, noise, known, x_known, mel, rng)
        state["latents"] = latents[-ctx:]
        (poses,) = model.run("decode", {"latents": latents[None]})
        vectors = smooth_columns(poses[0], np.arange(model.layout.rot_dim),
                                 float(self.option(request, "smoothing")))
        return self.to_motion(model, vectors[ctx * stride:ctx * stride + window.n_frames],
                              request.fps)

    def _context(self, model, window, state):
        """(context, latent) latents the window continues from, or None for a cold start."""
        if window.index > 0 and "latents" in state:
            return state["latents"]
        if window.previous is None or window.previous.n_frames == 0:
            return None
        ctx, stride = int(model.metadata["context"]), int(model.metadata["stride"])
        still = motion_to_vectors(window.previous[-1:], model.layout)
        (latents,) = model.run("encode", {"poses": np.repeat(still, ctx * stride, axis=0)[None]})
        return latents[0]

    def _sample(self, model, request, noise, known, x_known, mel, rng):
        """(S, latent) clean latents by DDIM with classifier-free guidance."""
        meta = model.metadata
        steps = int(self.option(request, "steps"))
        scale, eta = float(self.option(request, "guidance")), float(self.option(request, "eta"))
        total = int(meta["diffusion_steps"])
        ab = alpha_bars(total)
        times = sampling_times(steps, total)
        x = noise.astype(np.float64)
        feeds = {"known": np.stack([known, known]), "mel": np.stack([mel, mel]),
                 "keep": np.array([[[1.0]], [[0.0]]], np.float32)}
        for i, t in enumerate(times):
            x_in = known * x_known + (1.0 - known) * x
            (x0,) = model.run("denoise", dict(
                feeds, x=np.stack([x_in, x_in]).astype(np.float32),
                t=np.full((2, 1), t / total, np.float32)))
            x0 = x0[1] + scale * (x0[0] - x0[1])
            x0 = known * x_known + (1.0 - known) * x0
            previous = times[i + 1] if i + 1 < len(times) else 0
            x = ddim_step(x, x0, ab[t], ab[previous], eta, rng) if previous else x0
        return x.astype(np.float32)

    def _holds(self, model, request):
        """[(first frame, last frame, joints, (J, 3) pose)] of the key poses to in-paint."""
        spec = self.option(request, "inpaint")
        try:
            dictionary = load_keyposes(spec)
        except KeyPoseError as exc:
            raise PluginError(f"ldm option 'inpaint': {exc}") from None
        if dictionary is None:
            return []
        if not request.words:
            raise PluginError("ldm option 'inpaint' places key poses on words: turn speech "
                              "recognition on or give a transcript")
        holds = []
        for ins in plan_insertions(request.words, dictionary, request.seed, request.duration):
            entry = ins.entry
            start = int(round(ins.time * request.fps))
            length = max(1, int(round(entry.duration * request.fps)))
            at = np.minimum((np.arange(length) * entry.fps / request.fps).astype(int),
                            len(entry.frames) - 1)  # a still pose repeats its one frame
            frames = entry.frames[at]
            holds.append((start, start + length, entry.joints, frames))
        return holds

    @staticmethod
    def _holds_in(holds, lo, hi):
        return [h for h in holds if h[0] < hi and h[1] > lo]

    def _inpaint_constraints(self, model, latents, holds, first, known, x_known):
        """Known flags and latents with the key poses set on the decoded window over their holds."""
        stride = int(model.metadata["stride"])
        (poses,) = model.run("decode", {"latents": latents[None]})
        motion = self.to_motion(model, poses[0], model.fps)
        span = motion.n_frames
        for start, stop, joints, frames in holds:
            lo, hi = max(start - first, 0), min(stop - first, span)
            motion.poses[lo:hi][:, joints] = frames[lo - (start - first):hi - (start - first)]
        edited = motion_to_vectors(Motion(poses=motion.poses, trans=motion.trans,
                                          expressions=motion.expressions, fps=motion.fps),
                                   model.layout)
        (target,) = model.run("encode", {"poses": edited[None]})
        known, x_known = known.copy(), x_known.copy()
        ctx = int(model.metadata["context"])
        for start, stop, _, _ in holds:
            a = max((start - first) // stride, ctx)
            b = min(-(-(stop - first) // stride), len(known))
            known[a:b], x_known[a:b] = 1.0, target[0][a:b]
        return known, x_known
