"""Training recipe of DR² (torch).

Per batch of 128-frame windows:

- paired path: decode(audio latent, code of the initial pose) reconstructs the window;
- unpaired path: pose sequences alone (every take, including takes without audio) are embedded
  by the motion encoder into the same latent space and decoded with the same decoders, so the
  decoders learn from motion that has no sound, and an L1 alignment term pulls the motion latent
  of a paired window onto the audio latent of the same window (``pull_onto_audio``: only the
  motion side moves; pulled both ways, both latents collapsed to a constant and the decoders
  ignored the audio);
- the initial pose (supplement Eq. 1): a window starts from its own first frame plus Gaussian
  noise xi on the rotations (a per-window sigma drawn from [0.1, 0.3], see ``state.py``), and
  the same noise is added to the target, fading out over the first m = 10 frames: P_t <- P_t + max(0, 1 - t/m) xi (t = 0, 1, ...). The target therefore starts exactly
  at the noisy initial pose and eases back to the real motion, so the network learns to follow
  whatever pose it is started from, and during recurrent inference (each window starting from
  the last pose of the one before, with seeded noise) different seeds start, and so continue,
  differently. The same is done for unpaired sequences.

Reconstruction costs geodesic rotation + L1 position + L1 speed (weights 1, 1, 5, as for
Audio2Gestures) + L1 expressions. The paired path can also cost the ``kinetic_mismatch`` of its
windows (``w_kinetic``; they must move as fast and as smoothly as the real ones), off by default:
trained on the first 22.5 s of a take, it was met on the training windows but the motion on the
unseen second half slowed to 0.26 of the real angular speed, against 0.80 without it.

Deviations: the paper's reconstruction is on its own pose parameters, and its noise on its
59-D pose (ours is added to the 6-D rotations, then turned back into rotations); losses and
weights are shared with our Audio2Gestures recipe; the optional kinetic term is ours.
"""

import numpy as np
import torch

from ...neural.training.data import WindowSampler
from ...neural.training.export import export_graph, max_abs_difference
from ...neural.training.loop import BackendTrainer
from ...neural.training.losses import MotionLoss, pull_onto_audio
from ...neural.training.settings import Limit
from .model import DR2, GenerateGraph
from ...neural.stance import POSTURES
from .state import state_noise

GRAPH = "dr2_generate.onnx"
START_POSES = POSTURES  # seeded first-window poses kept in the metadata, at the frames of the
# speaker's stored postures (``Dataset.postures``): a seed's start pose and stance go together


class DR2Trainer(BackendTrainer):
    name = "dr2"
    input_kind = "mel"
    DEFAULTS = {
        "channels": 128,
        "latent": 64,
        "window": 128,
        "batch": 16,
        "lr": 1e-3,
        "epochs": 100,
        "seed": 0,
        "noise_frames": 10,  # m of Eq. 1
        "sigma_min": 0.1,
        "sigma_max": 0.3,
        "w_geodesic": 1.0,
        "w_position": 1.0,
        "w_speed": 5.0,
        "w_expressions": 1.0,
        "w_unpaired": 1.0,
        "w_align": 1.0,
        "w_kinetic": 0.0,  # off: see the module docstring
        "val_every": 5,
        "clip": 1.0,
    }
    LIMITS = {"window": Limit(4, multiple=4)}  # the audio U-Net halves the time axis twice

    def build(self):
        c = self.config
        self.sampler = WindowSampler(self.dataset, self.dataset.train, c["window"])
        self.unpaired = WindowSampler(self.dataset, self.dataset.train, c["window"], paired=False)
        self.val_sampler = self.validation_sampler(multiple=4)
        self.motion_loss = MotionLoss(self.layout)
        cols = self.layout.part_columns()
        parts = {"face": np.concatenate([cols["jaw"], cols["expressions"]]),
                 "body": cols["body"], "hands": cols["hands"]}
        return DR2(self.tensor("input_mean"), self.tensor("input_std"), self.tensor("pose_mean"),
                   self.tensor("pose_std"), parts, channels=c["channels"], latent=c["latent"])

    def sample(self, rng, validation=False):
        size = self.config["batch"]
        if validation:
            return self.validation_batches(self.val_sampler, self._split, rng)
        batch = self._split(self.sampler.batch(self.sampler.starts(rng, size)), rng)
        unpaired = self._split(self.unpaired.batch(self.unpaired.starts(rng, size)), rng)
        batch["unpaired_poses"], batch["unpaired_initial"] = unpaired["poses"], unpaired["initial"]
        return batch

    def _split(self, batch, rng):
        """Window frames with Eq. 1's fading noise, their noisy first frame and their audio."""
        poses = batch["poses"]
        b, t, _ = poses.shape
        sigma = rng.uniform(self.config["sigma_min"], self.config["sigma_max"], size=(b, 1, 1))
        xi = state_noise(rng, sigma, self.layout, size=(b, 1))
        fade = np.maximum(0.0, 1.0 - np.arange(t) / self.config["noise_frames"])[None, :, None]
        target = (poses + fade * xi).astype(np.float32)
        out = {"poses": torch.from_numpy(target), "initial": torch.from_numpy(target[:, 0].copy())}
        if batch["inputs"] is not None:
            out["inputs"] = torch.from_numpy(batch["inputs"])
        return out

    def reconstruction(self, pred, target, kinetic=False):
        c = self.config
        terms = self.motion_loss(pred, target, kinetic=kinetic)
        return (c["w_geodesic"] * terms["geodesic"] + c["w_position"] * terms["position"]
                + c["w_speed"] * terms["speed"] + c["w_expressions"] * terms.get("expressions", 0.0)
                + c["w_kinetic"] * terms.get("kinetic", 0.0))

    def losses(self, batch, rng):
        c, model = self.config, self.model
        latent_a = model.encode_audio(batch["inputs"])
        paired = self.reconstruction(model.decode(latent_a, model.encode_pose(batch["initial"])),
                                     batch["poses"], kinetic=c["w_kinetic"] > 0)
        align = pull_onto_audio(model.encode_motion(batch["poses"]), latent_a)
        terms = {"paired": paired, "align": align}
        total = paired + c["w_align"] * align
        if "unpaired_poses" in batch:
            latent_m = model.encode_motion(batch["unpaired_poses"])
            unpaired = self.reconstruction(
                model.decode(latent_m, model.encode_pose(batch["unpaired_initial"])),
                batch["unpaired_poses"])
            terms["unpaired"] = unpaired
            total = total + c["w_unpaired"] * unpaired
        return dict({"total": total}, **{k: v.detach() for k, v in terms.items()})

    def export_graphs(self, folder):
        model = self.model.eval()
        graph = GenerateGraph(model)
        n_mel, dim = len(self.stats["input_mean"]), len(self.stats["pose_mean"])
        example = (torch.zeros(1, 64, n_mel), model.pose_mean.unsqueeze(0).clone())
        path = export_graph(graph, example, folder / GRAPH, ["mel", "initial"], ["poses"],
                            {"mel": 1})
        rng = np.random.default_rng(0)
        mel = self.stats["input_mean"] + self.stats["input_std"] * rng.standard_normal((1, 96, n_mel))
        initial = self.stats["pose_mean"] + self.stats["pose_std"] * rng.standard_normal((1, dim))
        diff = max_abs_difference(graph, path, {"mel": mel.astype(np.float32),
                                                "initial": initial.astype(np.float32)})
        return {"generate": GRAPH}, {"generate": diff}

    def metadata(self):
        """Window length, and a few real poses from the takes to seed the first window."""
        frames = np.concatenate([self.dataset.takes[i].poses[s:e] for i, s, e in self.dataset.train])
        picks = np.linspace(0, len(frames) - 1, START_POSES).astype(int)
        return {"window": self.config["window"], "multiple": 4, "start_poses": frames[picks],
                "latent": self.config["latent"], "channels": self.config["channels"]}
