"""The latent motion diffusion generator plugin: DDIM sampling with onnxruntime and numpy.

Window after window (``window`` frames, 16 latents by default), the denoiser is run ``steps``
times (DDIM, with ``eta`` of the ancestral sampler's fresh noise per step) from seeded noise;
the previous window's last four latents are given as known positions (the paper's
MF_[i-4, i-1]), so each window continues the one before. The first window continues from the
request's initial pose (encoded as that pose held still) or, without one, starts from nothing.
Classifier-free guidance on the audio: each step runs the conditional and the unconditional
prediction as a batch of two and moves ``guidance`` times the way from the second to the first. The decoder turns the context and the window's latents into
poses (the context makes the join continuous), whose rotations are smoothed over time by a
Gaussian of ``smoothing`` frames (the denoiser leaves some jitter in the latents, which
otherwise shows as acceleration and jerk above the speaker's); the window driver then blends
each join over k = 10 frames (DR² Eq. 2). The seed picks the noise: the same seed gives the
same take.

Option ``spectrum`` (on by default; 0 turns it off): the whole take has its bands above the
training speaker's motion spectrum attenuated (:mod:`.spectrum`). The latent rate (one latent
every 4 frames) leaves more fast motion than he makes, so the take accelerates 1.2-1.45x as much
as its angular speed would say, which no sampler setting changed and a wider Gaussian removes
only with the slow motion's detail. The attenuation lowers the level a little too, so the
gestures are then scaled ``liveliness`` (0.6) of the way up to his pace in speech
(``neural.liveliness``, the a2g/dr2 gain, on the gestures only: its fine-motion gain, matched on
jerk, raised the fast bands just matched past his acceleration; all the way overshoots), the key
poses of ``inpaint`` are set again over their holds, and the pipeline's jitter filter spares the
matched trunk and arms (``jitter_spared``: filtered again, their jerk fell to 0.65-0.71x the
speaker's). Measured on two trainings (benchmarks/JOURNAL.md), it brought every worst |ln ratio| down
(held-out half 0.183 -> 0.165 and 0.250 -> 0.157, second recording 0.237 -> 0.169 and 0.214 ->
0.145) and the speed Hellinger too (0.08-0.12 from 0.13-0.17), for a little less variety on the
second recording (0.78-0.80x the speaker's -> 0.77-0.78x). The gestures-only gain at 0.6 (chosen
among 0.4-0.8 on the second recording and the training half) then brought the held-out half to
0.132 and 0.139.
Models trained before the spectrum was stored keep the path they had whatever the option.

The default guidance, 2.25, was chosen among 1-2.5 on the second recording and on the training
half (never the held-out half the benchmark confirms it on): the only value with angular speed,
acceleration and jerk within 0.8-1.25 of the speaker's and the diversity at least 0.8x his on
both. Guidance scales the three together; ``eta``, ``steps`` and the smoothing did not improve
on the defaults there (more smoothing lowers the jerk below the speaker's first).

Key-pose in-painting (option ``inpaint``): the key poses a dictionary places on the words (the
same planning as the pipeline's key-pose stage) become constraints of the sampler, in pose
space (RePaint-style replacement, Lugmayr et al. 2022, done on the predicted clean sample as
DDIM allows). At every DDIM step the predicted clean latents are decoded, the key pose is
blended onto the decoded motion over its ramps and hold, that motion is encoded, and its latents
over the ramps and hold are given as known (clean) to the next step, so the free motion around
is denoised with them as context. The autoencoder, trained on one speaker, cannot express poses
that speaker never made, so the decoded result is finally set to the key pose over the ramps
and hold as well (the same blend as the key-pose stage).
"""

import logging
from dataclasses import replace

import numpy as np

from ....inference.features.activity import speech_at
from ....inference.generation.keyposes import (
    KeyPoseError, apply_insertions, load_keyposes, plan_insertions,
)
from ....inference.generation.options import Option
from ....inference.registry import PluginError
from ...neural.generator import WindowedNeuralGenerator, follow_option, model_option, stance_option
from ...neural.layout import motion_to_vectors
from ...neural.liveliness import liven
from ...neural.modeldir import train_hint
from ...neural.smoothing import smooth_columns
from .schedule import alpha_bars, clean_sample, ddim_step, sampling_times
from .spectrum import SPARED, match_spectrum

log = logging.getLogger(__name__)
LIVELINESS = 0.6  # of the way to the speaker's pace after the spectrum match (see benchmarks/JOURNAL.md)


class LatentDiffusionGenerator(WindowedNeuralGenerator):
    name = "ldm"
    summary = ("latent motion diffusion: each window's motion features denoised from the speech "
               "and the four before them, a few DDIM steps; diverse per seed; needs a model "
               f"trained with `{train_hint('ldm')}`")
    stochastic = True
    model_sizes = ("window", "context", "stride", "latent", "diffusion_steps")
    options = (
        model_option("ldm"),
        follow_option(),
        Option("steps", "int", default=8, min=1, max=50, help="DDIM steps per window"),
        Option("guidance", "float", default=2.25, min=0.0, max=5.0,
               help="classifier-free guidance on the audio: 0 ignores it, 1 plain conditional, "
                    "above 1 follows it more (and varies more between seeds)"),
        Option("eta", "float", default=1.0, min=0.0, max=1.0,
               help="fresh noise per DDIM step: 0 deterministic given the seed's first noise, "
                    "1 as much as the ancestral sampler"),
        Option("smoothing", "float", default=2.0, min=0.0, max=5.0,
               help="Gaussian smoothing of the rotations over time, frames (0: none)"),
        Option("spectrum", "float", default=1.0, min=0.0, max=1.0,
               help="how far to attenuate the bands where the take moves faster than the "
                    "training speaker (his motion spectrum, stored in the model): 0 = off, "
                    "1 = down to his"),
        Option("liveliness", "float", default=LIVELINESS, min=0.0, max=1.0,
               help="after the attenuation, how far to scale the gestures up to the training "
                    "speaker's pace in speech (0 = as attenuated)"),
        Option("inpaint", "str", default="none",
               help="key poses the sampler in-paints at their words: 'default' (the bundled "
                    "dictionary), a JSON dictionary path, or 'none'"),
        stance_option(),
    )

    def generate_window(self, request, window):
        state = window.state
        if "model" not in state:
            state["model"] = self.load(request)
            state["insertions"] = self._insertions(request)
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
        inserts = self._insertions_in(state["insertions"], first / request.fps,
                                      (first + (ctx + s) * stride) / request.fps)
        constrain = self._constraint(model, inserts, request.fps, known) if inserts else None
        latents = self._sample(model, request, noise, known, x_known, mel, rng, constrain)
        state["latents"] = latents[-ctx:]
        (poses,) = model.run("decode", {"latents": latents[None]})
        vectors = smooth_columns(poses[0], np.arange(model.layout.rot_dim),
                                 float(self.option(request, "smoothing")))
        motion = self.to_motion(model, vectors, request.fps)
        if inserts:  # the hard constraint: the key poses exactly over their holds
            motion.poses = self._posed(motion.poses, inserts, request.fps)
        return motion[ctx * stride:ctx * stride + window.n_frames]

    def stanced(self, model, request, motion):
        """The seed's stance (``NeuralGenerator.stanced``), the in-painted key poses kept exactly
        over their holds."""
        stood = super().stanced(model, request, motion)
        inserts = self._insertions(request) if stood is not motion else None
        if inserts:
            stood.poses = self._posed(stood.poses, inserts, request.fps)
        return stood

    def finished(self, model, request, motion):
        """The whole take finished (``NeuralGenerator.finished``), the in-painted key poses
        kept exactly over their holds (also where it was played through the training takes)."""
        done = super().finished(model, request, motion)
        inserts = self._insertions(request) if done is not motion else None
        if inserts:
            done.poses = self._posed(done.poses, inserts, request.fps)
        return done

    def livened(self, model, request, motion):
        """The whole take with each body part's bands above the training speaker's motion
        spectrum attenuated to it (:mod:`.spectrum`; ``spectrum`` of the way, as gains raised
        to that power), then its gestures scaled ``liveliness`` of the way up to his pace in
        speech (``neural.liveliness``: the attenuation lowers the level too); unchanged for
        models trained before the spectrum was stored, or with ``spectrum`` 0."""
        target = model.metadata.get("motion_spectrum")
        strength = float(self.option(request, "spectrum"))
        if not isinstance(target, dict) or strength <= 0.0:
            return motion
        speaking = speech_at(request.features, request.words, motion.n_frames)
        vectors, gains = match_spectrum(motion_to_vectors(motion, model.layout), model.layout,
                                        speaking, target, request.fps, strength)
        log.info("ldm: bands above the training speaker's motion spectrum attenuated: %s",
                 "; ".join(f"{k} " + "/".join(f"{g:.2f}" for g in v) for k, v in gains.items()))
        pace = model.metadata.get("speech_pace")
        level = float(self.option(request, "liveliness"))
        if isinstance(pace, dict) and level > 0.0:
            vectors, paced = liven(vectors, model.layout, speaking, pace, request.fps, level, fine=False)
            log.info("ldm: gestures scaled toward the training speaker's pace in speech: %s",
                     ", ".join(f"{k} {v:.2f}" for k, v in paced.items()))
        matched = self.to_motion(model, vectors, request.fps)
        inserts = self._insertions(request)
        if inserts:  # the key poses stay exactly over their holds
            matched.poses = self._posed(matched.poses, inserts, request.fps)
        return matched

    def jitter_spared(self, options):
        """The joints :meth:`livened` matched (the trunk and the arms, ``spectrum.SPARED``), which
        the pipeline's jitter filter would otherwise smooth below the speaker's fine motion;
        none with ``spectrum`` 0 or a model without a stored spectrum; and the joints of its
        fine turning (``fine_spared``); none for a take played through the training takes."""
        if self.plays_mocap(options):
            return ()
        cached = self._models.get(self.model_folder(options))
        matched = cached is None or isinstance(cached[1].metadata.get("motion_spectrum"), dict)
        matched = matched and float(self.option_value(options, "spectrum")) > 0.0
        return tuple(sorted(set(SPARED if matched else ()) | set(self.fine_spared(options))))

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

    def _sample(self, model, request, noise, known, x_known, mel, rng, constrain=None):
        """(S, latent) clean latents by DDIM with classifier-free guidance; ``constrain`` maps
        each step's predicted clean latents to (known, x_known) to hold (in-painting)."""
        meta = model.metadata
        steps = int(self.option(request, "steps"))
        scale, eta = float(self.option(request, "guidance")), float(self.option(request, "eta"))
        total = int(meta["diffusion_steps"])
        ab = alpha_bars(total)
        times = sampling_times(steps, total)
        prediction = meta.get("prediction", "sample")
        x = noise.astype(np.float64)
        feeds = {"mel": np.stack([mel, mel]), "keep": np.array([[[1.0]], [[0.0]]], np.float32)}
        for i, t in enumerate(times):
            x_in = known * x_known + (1.0 - known) * x
            (out,) = model.run("denoise", dict(
                feeds, x=np.stack([x_in, x_in]).astype(np.float32), known=np.stack([known, known]),
                t=np.full((2, 1), t / total, np.float32)))
            x0 = clean_sample(out[1] + scale * (out[0] - out[1]), x_in, ab[t], prediction)
            x0 = known * x_known + (1.0 - known) * x0
            if constrain is not None:
                known, x_known = constrain(x0.astype(np.float32))
                x0 = known * x_known + (1.0 - known) * x0
            previous = times[i + 1] if i + 1 < len(times) else 0
            x = ddim_step(x, x0, ab[t], ab[previous], eta, rng) if previous else x0
        return x.astype(np.float32)

    def _insertions(self, request):
        """The key-pose insertions (``inference.generation.keyposes.Insertion``) to in-paint, in time order."""
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
        return plan_insertions(request.words, dictionary, request.seed, request.duration)

    @staticmethod
    def _insertions_in(insertions, lo, hi):
        """Those touching [lo, hi) seconds (ramps included), their times made relative to lo."""
        def touches(ins):
            return ins.time - ins.entry.ramp < hi and ins.time + ins.entry.duration + ins.entry.ramp > lo

        return [replace(ins, time=ins.time - lo) for ins in insertions if touches(ins)]

    @staticmethod
    def _posed(poses, inserts, fps):
        """(T, 55, 3) axis-angle poses with the insertions blended in (ramps, then holds)."""
        return apply_insertions(poses, fps, inserts)

    def _constraint(self, model, inserts, fps, known):
        """The in-painting step: predicted clean latents -> (known, x_known) with the latents
        over each key pose (ramps and hold) replaced by those of the decoded motion with the key
        pose set on it, held as known (the denoiser was trained to continue around known
        latents). Repeated at every DDIM step, so the free motion around is generated to lead
        into and out of the pose (RePaint-style replacement, in pose space)."""
        stride = int(model.metadata["stride"])
        context = known.copy()
        spans = np.zeros(len(known), bool)
        for ins in inserts:
            a = int(np.floor((ins.time - ins.entry.ramp) * fps)) // stride
            b = -(-int(np.ceil((ins.time + ins.entry.duration + ins.entry.ramp) * fps)) // stride)
            spans[max(a, 0):max(b, 0)] = True
        spans &= context[:, 0] == 0

        def constrain(x0):
            (poses,) = model.run("decode", {"latents": x0[None]})
            motion = self.to_motion(model, poses[0], fps)
            motion.poses = self._posed(motion.poses, inserts, fps)
            vectors = motion_to_vectors(motion, model.layout)
            (target,) = model.run("encode", {"poses": vectors[None]})
            held, x_known = context.copy(), x0.copy()
            held[spans], x_known[spans] = 1.0, target[0][spans]
            return held, x_known

        return constrain
