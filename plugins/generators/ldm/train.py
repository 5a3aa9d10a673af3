"""Training recipe of the latent motion diffusion model (torch).

Two stages, as in the paper (its Sec. 3.3: the motion features are trained first, then the
latent motion diffusion on them): for the first ``ae_epochs`` epochs only the autoencoder
trains; from then on it is frozen (no gradient, its weights never change again, also across a
resume) and only the denoiser trains, on the latents of the fixed encoder. ``ae_epochs`` = 0
trains both together from the start (one optimiser), the recipe of the models trained before
the setting. Per batch of windows of ``window`` frames with the ``context`` x ``stride``
frames before them:

- autoencoder: the whole span is encoded to latents and decoded back; it costs geodesic
  rotation + L1 position + L1 speed (weights 1, 1, 5, as for our other backends) + L1
  expressions, plus ``w_acceleration`` x the L1 of the joints' acceleration (second
  differences of the positions, per frame squared), plus a moment term holding every latent
  channel at zero mean and unit spread over the batch (the scale of the diffusion noise).
- diffusion: the span's latents (no gradient into the encoder) are noised to a random step t of
  the cosine schedule; the first ``context`` positions are given clean and flagged known (the
  paper's MF_[i-4, i-1]) except in ``p_no_context`` of the windows (how a take starts with no
  motion before it); in ``p_inpaint`` of the windows a short run of 1-3 positions inside the
  window is also given clean (in-painting of key poses); the audio is dropped in ``p_uncond``
  of the windows (classifier-free guidance). The denoiser predicts the velocity v of the
  unknown positions (``prediction`` "v"; "sample" predicts the clean latents instead); the cost
  is the squared error of that prediction on the unknown positions plus an L1 on the
  frame-to-frame change of the clean latents it implies, plus a kinetic term
  (``w_kinetic``): the motion the frozen decoder makes of the implied clean latents must move
  like its decoding of the true latents (mean speed, acceleration and jerk of the body joints,
  |log ratio|, ``kinetic_mismatch``), on the quarter of the batch nearest the clean end. It
  targets the jitter the denoiser leaves in the latents (2-9x the real power at 2-15 Hz in the
  joint positions on unseen speech, acceleration 1.16-1.26x the speaker's); at equal steps it
  lowered the acceleration ratio a little (1.26 -> 1.24 and 1.16 -> 1.15) and raised the
  angular speed (0.85 -> 0.91, 0.81 -> 0.83), but the excess power stayed: see benchmarks/JOURNAL.md.
  Measured on the held-out half, a
  sample-predicting denoiser on a minute of data learned to ignore its noise (seeds differed
  by 0.03 rad, diversity 0.6-0.7x the real take's); v-prediction must read the noisy input.

Weight average (``ema``, EDM2's sigma_rel; default 0, off): with it the exported networks are
the power-function average of the weights over training (``neural.training.ema``), not the last
weights, the standard for diffusion models (0.1 is in EDM2's good range, 0.05-0.15, and as a
fraction of the run it holds whether the time budget stops at 300 steps or 3000). Measured
without the held-out half (on the second recording and the training half), it made the motion
calmer throughout (angular speed, acceleration and jerk each 5-10 % lower) without changing
the excess of acceleration over speed, and it brought the figures no closer to the speaker's:
see benchmarks/JOURNAL.md. The excess comes from the autoencoder itself: its reconstruction of the real
take turns at 0.77 of the speaker's angular speed while accelerating at 1.1-1.2x.

Two stages, a denser latent rate and the acceleration term (settings ``ae_epochs``,
``stride``, ``w_acceleration``), measured on half the take without its held-out half (on the
second recording and the training half, seed 0; see benchmarks/JOURNAL.md) and **not adopted**: the
default remains joint training, 4 frames per latent, no acceleration term.
- Training the autoencoder alone first reproduces the joint recipe's autoencoder at equal
  steps (the diffusion term never reaches the encoder), so it changes only what the denoiser
  learns on: with the joint recipe's 300 autoencoder steps and 150 denoiser steps the motion
  accelerated at 1.37-1.45x the speaker's; with 150 + 150 steps it was calmer than his (jerk
  0.65x, diversity 0.67x on the second recording).
- At 2 frames per latent the autoencoder's reconstruction accelerates more for the same
  angular speed than at 4 (0.97x against 0.81x at 0.62x the angular speed, 141 steps).
- The acceleration term (20) lowers the reconstruction's acceleration against its angular
  speed (0.87x the speaker's at 0.72x, against 1.10x at 0.77x without) and the sampled
  motion's speed Hellinger below 0.12 (0.096-0.111), but that motion is calmer throughout;
  with less smoothing (1 frame) its ratios come back in the band with a diversity of 0.73x on
  the second recording, below the 0.8x the default keeps.

Checkpoint selection by the sampled motion (``select_every`` epochs and at the end; off by
default; ``ldm.selection``): the weights exported are those whose generated motion, sampled with
the generator's own defaults on the training takes' audio, moves most like the speaker's real
motion of those frames (the worst |ln ratio| of angular speed, acceleration and jerk, with the
diversity at least 0.8x his), not the last weights. The denoising loss is lowest long before
the motion is right, and two trainings, or two checkpoints of one, differed in those ratios
more than any setting did. Measured (JOURNAL.md, two trainings on half the take): it refuses
checkpoints that barely move, and the kept ones were a little closer to the speaker on a
second recording than the last weights but farther on the take's held-out half (they
accelerated at 1.30x the speaker's for both seeds, the last weights at 1.20x and 1.11x): the
acceleration excess is in every checkpoint, and the score on the training audio (which way one
misses there) does not predict new audio. So it is off (``select_every`` = 0: the last weights
are exported); ``select_every`` = 5 was the setting measured.

The exported metadata also holds ``motion_spectrum``: the training speaker's mean speed per body
part and frequency band over the training frames of speech (``spectrum.motion_spectrum``,
pooled over the takes by their frames of speech; statistics only, no frames), which the
generator attenuates each take's faster bands to.

Departures: by default both stages train together with one optimiser (the loop is shared with
the other backends), the denoiser learning from the encoder as it improves; the paper trains
its motion features first (``ae_epochs`` does, see above). The paper exports its last weights, as
the default does.
"""

import contextlib

import numpy as np
import torch

from ...neural.modeldir import ModelError
from ...neural.training.data import WindowSampler
from ...neural.training.export import export_graph, max_abs_difference
from ...neural.training.loop import BackendTrainer
from ...neural.training.losses import MotionLoss, kinetic_mismatch
from ...neural.training.settings import Limit
from .model import STRIDE, STRIDES, DecodeGraph, EncodeGraph, LatentDiffusion
from .schedule import PREDICTIONS, STEPS, alpha_bars, clean_sample, v_target
from .spectrum import motion_spectrum, pooled_spectrum

GRAPHS = {"encode": "ldm_encode.onnx", "decode": "ldm_decode.onnx", "denoise": "ldm_denoise.onnx"}


def acceleration(positions):
    """(B, T, J, 3) -> (B, T - 2, J, 3) second differences over time (per frame squared)."""
    return positions[:, 2:] - 2.0 * positions[:, 1:-1] + positions[:, :-2]


class LDMTrainer(BackendTrainer):
    name = "ldm"
    input_kind = "mel"
    DEFAULTS = {
        "channels": 128,
        "latent": 32,
        "blocks": 6,
        "window": 64,  # frames generated per window
        "stride": STRIDE,  # frames per latent (2 or 4)
        "ae_epochs": 0,  # epochs that train the autoencoder alone before it is frozen (0: joint)
        "context": 4,  # previous latents the denoiser sees (the paper's four)
        "batch": 16,
        "lr": 5e-4,
        "epochs": 100,  # a minute of mocap: 700 steps, about 8 min on 2 quiet cores
        "minutes": 8.5,  # ... and the default stops here on a slower or busier machine
        "seed": 0,
        "prediction": "v",  # what the denoiser predicts: "v" (velocity) or "sample" (x0)
        "p_uncond": 0.1,
        "p_no_context": 0.1,
        "p_inpaint": 0.2,
        "w_geodesic": 1.0,
        "w_position": 1.0,
        "w_speed": 5.0,
        "w_expressions": 1.0,
        "w_acceleration": 0.0,
        "w_latent": 1.0,
        "w_diffusion": 1.0,
        "w_velocity": 1.0,
        "w_kinetic": 1.0,
        "val_every": 5,
        "clip": 1.0,
        "ema": 0.0,  # weight average exported, its relative length (EDM2 sigma_rel; 0: off)
        "select_every": 0,  # epochs between sample scores (0: off); the best-scoring weights are kept
        "select_seconds": 20.0,  # of the training takes' audio sampled per score
        "select_seeds": 2,  # seeds sampled per score
    }

    LIMITS = {"stride": Limit(choices=STRIDES), "prediction": Limit(choices=PREDICTIONS)}

    @classmethod
    def make_config(cls, overrides=None):
        """The general checks, then the window against the latent rate, before data is read."""
        config = super().make_config(overrides)
        stride, window = config["stride"], config["window"]
        if window % stride or window < 2 * stride:
            raise ModelError(f"ldm setting 'window' must be a multiple of the stride {stride}, "
                             f">= {2 * stride}, got {window}")
        from .selection import MIN_PIECE

        if config["select_every"] and config["select_seconds"] < MIN_PIECE:
            raise ModelError(f"ldm setting 'select_seconds' must be >= {MIN_PIECE:g} (the sample "
                             f"score's shortest piece of audio) while select_every is on, got "
                             f"{config['select_seconds']:g}; select_every=0 turns the score off")
        return config

    @property
    def stride(self):
        return self.config.get("stride", STRIDE)  # checkpoints from before the setting: 4

    def selection_score(self):
        """The sample score of the current weights (``selection``); the scorer is built at the
        first call, with the metadata the exported model will have."""
        if getattr(self, "_scorer", None) is None:
            from ...neural.modeldir import as_written
            from ...neural.training.loop import describe
            from .selection import SampleScore

            self._scorer = SampleScore(self, as_written(describe(self, self.dataset, {}, {})))
        return self._scorer()

    def autoencoder_stage(self):
        """True while the autoencoder trains alone (the first ``ae_epochs`` epochs)."""
        return self.epoch < self.config.get("ae_epochs", 0)

    def build(self):
        c, stride = self.config, self.stride  # checked by make_config before the data is read
        before = c["context"] * stride
        self.sampler = WindowSampler(self.dataset, self.dataset.train, c["window"], before=before)
        self.val_sampler = self.validation_sampler(before=before, multiple=stride)
        self.motion_loss = MotionLoss(self.layout)
        self.alpha_bars = torch.from_numpy(alpha_bars(STEPS).astype(np.float32))
        return LatentDiffusion(self.tensor("input_mean"), self.tensor("input_std"),
                               self.tensor("pose_mean"), self.tensor("pose_std"),
                               channels=c["channels"], latent=c["latent"], blocks=c["blocks"],
                               stride=stride)

    def sample(self, rng, validation=False):
        if validation:
            return self.validation_batches(self.val_sampler, self._tensors, rng)
        return self._tensors(self.sampler.batch(self.sampler.starts(rng, self.config["batch"])), rng)

    def _tensors(self, batch, rng):
        """Span poses and audio, plus the random choices of the diffusion term."""
        c = self.config
        b, span = batch["poses"].shape[:2]
        s, ctx = span // self.stride, c["context"]
        known = np.zeros((b, s, 1), np.float32)
        known[:, :ctx] = (rng.random((b, 1, 1)) >= c["p_no_context"])
        for i in np.nonzero(rng.random(b) < c["p_inpaint"])[0]:
            width = int(rng.integers(1, 4))
            at = int(rng.integers(ctx, s - width + 1))
            known[i, at:at + width] = 1.0
        return {
            "poses": torch.from_numpy(batch["poses"]),
            "inputs": torch.from_numpy(batch["inputs"]),
            "known": torch.from_numpy(known),
            "keep": torch.from_numpy((rng.random((b, 1, 1)) >= c["p_uncond"]).astype(np.float32)),
            "t": torch.from_numpy(rng.integers(1, STEPS + 1, size=b)),
            "noise": torch.from_numpy(rng.standard_normal((b, s, c["latent"])).astype(np.float32)),
        }

    def losses(self, batch, rng):
        if self.autoencoder_stage():
            return self._result(self._autoencoder_terms(batch)[0])
        frozen = self.config.get("ae_epochs", 0) > 0
        with torch.no_grad() if frozen else contextlib.nullcontext():
            latents = self.model.autoencoder.encode(batch["poses"])
        terms, decoded = ({}, None) if frozen else self._autoencoder_terms(batch, latents)
        return self._result(dict(terms, **self._diffusion_terms(batch, latents.detach(), decoded)))

    def _result(self, terms):
        """The weighted total and each term (detached) for the log."""
        c = self.config
        weights = {"recon": 1.0, "moments": c["w_latent"], "diffusion": c["w_diffusion"],
                   "velocity": c["w_velocity"], "kinetic": c["w_kinetic"]}
        total = sum(weights[k] * v for k, v in terms.items())
        return dict({"total": total}, **{k: v.detach() for k, v in terms.items()})

    def _autoencoder_terms(self, batch, latents=None):
        """Reconstruction of the span and the moments of its latents, and the joint positions
        (B, T, J, 3) of the reconstruction."""
        c, ae = self.config, self.model.autoencoder
        latents = ae.encode(batch["poses"]) if latents is None else latents
        decoded, real = ae.decode(latents), self.motion_loss.target(batch["poses"])
        rot, pos = self.motion_loss.kinematics(decoded)
        terms = self.motion_loss(decoded, real, kinematics=(rot, pos))
        recon = (c["w_geodesic"] * terms["geodesic"] + c["w_position"] * terms["position"]
                 + c["w_speed"] * terms["speed"] + c["w_expressions"] * terms.get("expressions", 0.0))
        if c.get("w_acceleration"):  # L1 on the joints' frame-to-frame change of speed
            recon = recon + c["w_acceleration"] * (acceleration(pos) - acceleration(real["pos"])).abs().mean()
        flat = latents.flatten(0, 1)
        moments = (flat.mean(0) ** 2).mean() + ((flat.std(0) - 1.0) ** 2).mean()
        return {"recon": recon, "moments": moments}, pos

    def _diffusion_terms(self, batch, z0, decoded=None):
        """Noise-prediction, latent-velocity and kinetic terms of the denoiser on clean latents
        ``z0`` (B, S, latent), no gradient into the autoencoder through the prediction.

        decoded : the reconstruction's joint positions (B, T, J, 3) in joint training, the
        kinetic term's target as the default recipe has always used it (its gradient reaches
        the autoencoder too); None: decoded here from ``z0`` without gradient (frozen stage)."""
        c, ae = self.config, self.model.autoencoder
        ab = self.alpha_bars[batch["t"]].view(-1, 1, 1)
        noisy = ab.sqrt() * z0 + (1.0 - ab).sqrt() * batch["noise"]
        known = batch["known"]
        x = known * z0 + (1.0 - known) * noisy
        t = batch["t"].float().unsqueeze(-1) / STEPS
        out = self.model.denoiser(x, known, batch["inputs"], batch["keep"], t)
        target = z0 if c["prediction"] == "sample" else v_target(z0, batch["noise"], ab)
        pred = clean_sample(out, x, ab, c["prediction"])
        free = 1.0 - known
        diffusion = (free * (out - target) ** 2).sum() / (free.sum() * z0.shape[-1] + 1e-6)
        step_free = free[:, 1:] * free[:, :-1]
        velocity = (step_free * ((pred[:, 1:] - pred[:, :-1]) - (z0[:, 1:] - z0[:, :-1])).abs()).sum() \
            / (step_free.sum() * z0.shape[-1] + 1e-6)
        terms = {"diffusion": diffusion, "velocity": velocity}
        if c["w_kinetic"]:
            # The motion decoded from the predicted clean latents must move like the decoding
            # of the true latents (speed, acceleration, jerk), so the denoiser leaves no jitter
            # in them. Only the quarter of the batch nearest the clean end, where the sampler's
            # output is decided, weighted by signal fraction (a prediction from pure noise may
            # rightly be the calm average); the decoder is frozen for it (it trains the
            # denoiser).
            pick = torch.argsort(ab.view(-1), descending=True)[:max(1, len(ab) // 4)]
            if decoded is None:
                with torch.no_grad():
                    _, true_pos = self.motion_loss.kinematics(ae.decode(z0[pick]))
            else:
                true_pos = decoded[pick]
            _, pos = self.motion_loss.kinematics(
                ae.decode((known * z0 + free * pred)[pick], frozen=True))
            terms["kinetic"] = kinetic_mismatch(pos, true_pos, weights=ab.view(-1)[pick])
        return terms

    def export_graphs(self, folder):
        model = self.model.eval()
        n_mel, dim, latent = len(self.stats["input_mean"]), len(self.stats["pose_mean"]), \
            self.config["latent"]
        encode, decode = EncodeGraph(model), DecodeGraph(model)
        s, stride = 8, self.stride
        paths = {
            "encode": export_graph(encode, (torch.zeros(1, s * stride, dim) + model.autoencoder.pose_mean,),
                                   folder / GRAPHS["encode"], ["poses"], ["latents"], {"poses": 1}),
            "decode": export_graph(decode, (torch.zeros(1, s, latent),), folder / GRAPHS["decode"],
                                   ["latents"], ["poses"], {"latents": 1}),
            "denoise": export_graph(
                model.denoiser, (torch.zeros(2, s, latent), torch.zeros(2, s, 1),
                                 torch.zeros(2, s * stride, n_mel) + model.denoiser.input_mean,
                                 torch.ones(2, 1, 1), torch.ones(2, 1)),
                folder / GRAPHS["denoise"], ["x", "known", "mel", "keep", "t"], ["prediction"],
                {"x": 1, "known": 1, "mel": 1}),
        }
        rng = np.random.default_rng(0)
        s = 13
        poses = self.stats["pose_mean"] + self.stats["pose_std"] * rng.standard_normal((1, s * stride, dim))
        mel = self.stats["input_mean"] + self.stats["input_std"] * rng.standard_normal((2, s * stride, n_mel))
        z = rng.standard_normal((2, s, latent)).astype(np.float32)
        feeds = {"x": z, "known": (rng.random((2, s, 1)) < 0.3).astype(np.float32),
                 "mel": mel.astype(np.float32), "keep": np.array([[[1.0]], [[0.0]]], np.float32),
                 "t": np.array([[0.7], [0.2]], np.float32)}
        diffs = {
            "encode": max_abs_difference(encode, paths["encode"], {"poses": poses.astype(np.float32)}),
            "decode": max_abs_difference(decode, paths["decode"], {"latents": z[:1]}),
            "denoise": max_abs_difference(model.denoiser, paths["denoise"], feeds),
        }
        return dict(GRAPHS), diffs

    def metadata(self):
        c = self.config
        return {"window": c["window"], "context": c["context"], "stride": self.stride,
                "latent": c["latent"], "diffusion_steps": STEPS, "channels": c["channels"],
                "prediction": c["prediction"], "motion_spectrum": training_spectrum(self.dataset)}


def training_spectrum(dataset):
    """The training speaker's ``spectrum.motion_spectrum`` over the training frames of speech,
    pooled over the takes by their frames of speech; {} without speech."""
    rows = [(motion_spectrum(t.poses[s:e], dataset.layout, t.speaking[s:e], dataset.fps),
             int(t.speaking[s:e].sum()))
            for t, s, e in ((dataset.takes[i], s, e) for i, s, e in dataset.train)
            if t.speaking is not None and t.speaking[s:e].any()]
    return pooled_spectrum([(spectrum, n) for spectrum, n in rows if spectrum])
