"""Training recipe of Audio2Gestures (torch).

Per batch of 128-frame windows (4.3 s at 30 fps) with their 64-bin log-mel (hop sr/fps):

1. motion path: decode(motion shared code, motion-specific code sampled from the posterior)
   must reconstruct the motion;
2. audio path: decode(audio shared code, that same motion-specific code) must reconstruct it;
3. random path: decode(audio shared code, mapping(noise)) has no exact target, so it gets the
   relaxed motion loss: errors below rho = 0.02 cost nothing.

Each reconstruction costs geodesic rotation + L1 position + L1 speed with weights 1, 1, 5 (plus
L1 on expressions, weight 1). Also: KL divergence of the motion-specific posterior from N(0, I);
shared-code alignment, L1 between the audio and motion shared codes; the bicycle loss, encoding
the random path's motion again must give back its motion-specific code; the diversity loss, two
noises must give motions whose joint positions differ, relative to how much the noises differ
(a hinge at ``div_target`` metres per unit noise distance, so it stops pushing once the motions
are diverse enough).

Deviations: the shared-code alignment moves only the motion's code onto the audio's
(``pull_onto_audio``; trained both ways, as in the paper, both codes shrank to a constant on
45 s of data and the decoder ignored the audio); the motion-specific code is slow (see
``model.py``); the KL, bicycle and diversity weights are our choice (the paper gives none we
could use on 45 s of data); positions are in metres and speeds per frame, so the rotation term
dominates as intended for SMPL-X. Two additions keep the random path alive on so little data:
the noise fed to the mapping net is smoothed over time (``noise_frames``, both in training and
at inference), so random codes change at the pace of motion rather than every frame; and a
moment-matching term makes the mapped codes spread like the posterior codes (without it the
relaxed loss lets the mapping collapse to a single average code, and every seed gives the same
motion).
"""

import numpy as np
import torch

from ...neural.smoothing import smooth_noise
from ...neural.training.data import WindowSampler
from ...neural.training.export import export_graph, max_abs_difference
from ...neural.training.loop import BackendTrainer
from ...neural.training.losses import MotionLoss, kinetic_mismatch, pull_onto_audio
from .model import CODE, Audio2Gestures, EncodeGraph, GenerateGraph

GENERATE = "a2g_generate.onnx"
ENCODE = "a2g_encode.onnx"


class A2GTrainer(BackendTrainer):
    name = "a2g"
    input_kind = "mel"
    DEFAULTS = {
        "channels": 64,
        "window": 128,
        "batch": 16,
        "lr": 1e-3,
        "epochs": 100,
        "seed": 0,
        "rho": 0.02,
        "w_geodesic": 1.0,
        "w_position": 1.0,
        "w_speed": 5.0,
        "w_expressions": 1.0,
        "w_kl": 0.01,
        "w_align": 1.0,
        "w_relaxed": 1.0,
        "w_bicycle": 1.0,
        "w_diversity": 1.0,
        "w_mapping": 1.0,
        "w_kinetic": 1.0,
        "div_target": 0.05,
        "noise_frames": 2.0,  # Gaussian sigma (frames) of the temporally smoothed noise
        "code_frames": 8.0,  # Gaussian sigma (frames) of the slow motion-specific code
        "val_every": 5,
        "clip": 1.0,
    }

    def build(self):
        window = self.config["window"]
        self.sampler = WindowSampler(self.dataset, self.dataset.train, window)
        self.val_sampler = self.validation_sampler()
        self.motion_loss = MotionLoss(self.layout)
        return Audio2Gestures(self.tensor("input_mean"), self.tensor("input_std"),
                              self.tensor("pose_mean"), self.tensor("pose_std"),
                              channels=self.config["channels"],
                              code_sigma=self.config["code_frames"])

    def sample(self, rng, validation=False):
        if validation:
            return self.validation_batches(self.val_sampler, self._tensors, rng)
        return self._tensors(self.sampler.batch(self.sampler.starts(rng, self.config["batch"])), rng)

    def _tensors(self, batch, rng):
        b, t = batch["poses"].shape[:2]
        out = {k: torch.from_numpy(v) for k, v in batch.items() if v is not None}
        out["noise"] = torch.from_numpy(smooth_noise(rng, (2, b, t, CODE), self.config["noise_frames"]))
        return out

    def reconstruction(self, terms):
        c = self.config
        return (c["w_geodesic"] * terms["geodesic"] + c["w_position"] * terms["position"]
                + c["w_speed"] * terms["speed"] + c["w_expressions"] * terms.get("expressions", 0.0))

    def losses(self, batch, rng):
        c, model = self.config, self.model
        target = self.motion_loss.target(batch["poses"])
        shared_m, mu, logvar = model.encode_motion(batch["poses"])
        specific = mu + torch.exp(0.5 * logvar) * model.slow_noise(mu)
        shared_a = model.encode_audio(batch["inputs"])

        motion_path = self.reconstruction(self.motion_loss(model.decode(shared_m, specific), target))
        audio_path = self.reconstruction(self.motion_loss(model.decode(shared_a, specific), target))
        kl = -0.5 * torch.mean(1.0 + logvar - mu ** 2 - logvar.exp())
        align = pull_onto_audio(shared_m, shared_a)

        random1 = model.map_noise(batch["noise"][0])
        random2 = model.map_noise(batch["noise"][1])
        motion1 = model.decode(shared_a, random1)
        motion2 = model.decode(shared_a, random2)
        relaxed = self.reconstruction(self.motion_loss(motion1, target, relax=c["rho"]))
        _, mu_again, _ = model.encode_motion(motion1)
        bicycle = (mu_again - random1).abs().mean()
        _, pos1 = self.motion_loss.kinematics(motion1)
        _, pos2 = self.motion_loss.kinematics(motion2)
        noise_gap = (batch["noise"][0] - batch["noise"][1]).abs().mean()
        spread = (pos1 - pos2).abs().mean() / (noise_gap + 1e-6)
        diversity = torch.relu(c["div_target"] - spread)
        kinetic = 0.5 * (kinetic_mismatch(pos1, target["pos"]) + kinetic_mismatch(pos2, target["pos"]))
        # Mapped codes must spread like the posterior codes they stand in for (per channel
        # mean and standard deviation over batch and time); otherwise the relaxed loss alone
        # lets the mapping collapse to one average code and every seed gives the same motion.
        mapped = torch.cat([random1, random2]).flatten(0, 1)
        posterior = specific.detach().flatten(0, 1)
        mapping = ((mapped.mean(0) - posterior.mean(0)) ** 2).mean() \
            + ((mapped.std(0) - posterior.std(0)) ** 2).mean()

        total = (motion_path + audio_path + c["w_kl"] * kl + c["w_align"] * align
                 + c["w_relaxed"] * relaxed + c["w_bicycle"] * bicycle + c["w_diversity"] * diversity
                 + c["w_mapping"] * mapping + c["w_kinetic"] * kinetic)
        terms = {"motion": motion_path, "audio": audio_path, "kl": kl, "align": align,
                 "relaxed": relaxed, "bicycle": bicycle, "diversity": diversity, "mapping": mapping,
                 "kinetic": kinetic}
        return dict({"total": total}, **{k: v.detach() for k, v in terms.items()})

    def export_graphs(self, folder):
        model = self.model.eval()
        n_mel, dim = len(self.stats["input_mean"]), len(self.stats["pose_mean"])
        t = 64
        generate = GenerateGraph(model)
        example = (torch.zeros(1, t, n_mel), torch.zeros(1, t, CODE), torch.zeros(1, t, CODE),
                   torch.zeros(1, t, 1))
        names = ["mel", "noise", "code", "mask"]
        gen_path = export_graph(generate, example, folder / GENERATE, names, ["poses"],
                                {n: 1 for n in names})
        encode = EncodeGraph(model)
        enc_path = export_graph(encode, (torch.zeros(1, t, dim) + model.pose_mean,), folder / ENCODE,
                                ["poses"], ["code"], {"poses": 1})
        rng = np.random.default_rng(0)
        n = 97
        mel = (self.stats["input_mean"] + self.stats["input_std"] * rng.standard_normal((1, n, n_mel)))
        mask = (rng.random((1, n, 1)) < 0.3)
        feeds = {"mel": mel.astype(np.float32),
                 "noise": rng.standard_normal((1, n, CODE)).astype(np.float32),
                 "code": rng.standard_normal((1, n, CODE)).astype(np.float32),
                 "mask": mask.astype(np.float32)}
        poses = self.stats["pose_mean"] + self.stats["pose_std"] * rng.standard_normal((1, n, dim))
        diffs = {"generate": max_abs_difference(generate, gen_path, feeds),
                 "encode": max_abs_difference(encode, enc_path, {"poses": poses.astype(np.float32)})}
        return {"generate": GENERATE, "encode": ENCODE}, diffs

    def metadata(self):
        return {"window": self.config["window"], "code": CODE, "channels": self.config["channels"],
                "noise_frames": self.config["noise_frames"],
                "code_frames": self.config["code_frames"]}
