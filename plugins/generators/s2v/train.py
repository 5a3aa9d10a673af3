"""Training recipe of Speech2Video (torch): weighted L2 pose loss with a 200 ms output delay.

From the paper: 2-layer unidirectional LSTM with 300-unit cells; 28-D MFCC input with mean and
variance normalisation; the output lags the input by 200 ms (the network hears a little of what
comes next before it moves); L2 loss weighted body 1, hands 4, mouth (jaw) 100, face
(expressions) 100, plus the same weighted L2 between consecutive-frame differences, so the
motion's velocity matches too; Adam with learning rate 1e-3.

The text variant (``--input text``) feeds the same network with per-frame word/character
encodings from word timings (``neural.textcode``) instead of MFCC.

Deviations: windows of 128 frames (4.3 s) sampled at random from the take rather than whole
sentences; losses are means over each part's vector entries, measured in units of each entry's
standard deviation over the training data, so the parts are weighted equally (1, 1, 1, 1): the
paper's 1/4/100/100 make up for the raw scales of its parameters, and on standardised entries
they left the body 0.6 % of the loss; gradients are clipped at norm 1. Also ours: the
``kinetic_mismatch`` term (each window must move as fast and as smoothly as the real one), and
validation-based early stopping (``patience``; the weights of the best validation loss are
exported): on under a minute of speech the LSTM memorises the take within tens of epochs. Trained on under
a minute of speech, the LSTM's raw output shakes on audio it has not heard (joint accelerations
several times the real speaker's), so the body and hand rotations pass through a fixed temporal
Gaussian (sigma 1.5 frames for the upper body and hands, 3 frames for the pelvis and legs)
inside the training loss and again at inference: the network learns through the filter it is
served with. Jaw and expressions are not filtered: they follow syllables. For the same reason
training adds dropout (0.2) between the LSTM layers and Gaussian noise (0.3 standard
deviations) to the input features.
"""

import numpy as np
import torch

from ...neural.smoothing import gaussian_kernel
from ...neural.training.data import WindowSampler
from ...neural.training.export import export_graph, max_abs_difference
from ...neural.training.loop import BackendTrainer
from ...neural.training.losses import MotionLoss
from ...neural.training.settings import Limit
from .model import Speech2Video

# The pelvis (global orientation) and the legs: a speaker sways and shifts weight slowly.
LOWER_BODY_AND_ROOT = (0, 1, 2, 4, 5, 7, 8, 10, 11)

GRAPH = "s2v.onnx"


class S2VTrainer(BackendTrainer):
    name = "s2v"
    DEFAULTS = {
        "input": "audio",  # or "text"
        "hidden": 300,
        "layers": 2,
        "delay_ms": 200.0,
        "dropout": 0.2,  # between the LSTM layers, training only
        "input_noise": 0.3,  # Gaussian noise on the normalised input, training only
        "window": 128,
        "batch": 16,
        "lr": 1e-3,
        "epochs": 300,
        "seed": 0,
        "w_body": 1.0,
        "w_hands": 1.0,
        "w_jaw": 1.0,
        "w_expressions": 1.0,
        "w_diff": 1.0,
        "w_kinetic": 1.0,
        "normalised_loss": True,  # errors in units of each entry's standard deviation
        "smooth_frames": 1.5,  # Gaussian sigma (frames) over upper-body and hand rotations
        "smooth_lower_frames": 3.0,  # ... over the pelvis and legs, which move slowly (0: off)
        "val_every": 5,
        "patience": 30,  # epochs without a better validation loss before stopping (0: off)
        "clip": 1.0,
        # Each recording's MFCC moved to the training speaker's level (``neural.featurenorm``):
        # measured, it brings s2v closer to the speaker on other rooms and voices (a2g and dr2
        # it does not, so they keep "none"); a text-driven model takes "none".
        "feature_norm": "recording",
    }
    LIMITS = {"input": Limit(choices=("audio", "text"))}

    @classmethod
    def input_kind_for(cls, config):
        return "text" if config["input"] == "text" else "mfcc"

    def build(self):
        self.delay = int(round(self.config["delay_ms"] / 1000.0 * self.dataset.fps))
        window = self.config["window"]
        self.sampler = WindowSampler(self.dataset, self.dataset.train, window, after=self.delay)
        self.val_sampler = self.validation_sampler(after=self.delay)
        parts = self.layout.part_columns()
        lower = self.layout.joint_columns(LOWER_BODY_AND_ROOT)
        upper = np.setdiff1d(np.concatenate([parts["body"], parts["hands"]]), lower)
        self.smoothing = [(torch.from_numpy(cols), gaussian_kernel(self.config[key]))
                          for cols, key in ((upper, "smooth_frames"), (lower, "smooth_lower_frames"))]
        self.motion_loss = MotionLoss(self.layout)
        self.parts = [(torch.from_numpy(cols), self.config[f"w_{name}"])
                      for name, cols in parts.items() if len(cols)]
        return Speech2Video(self.tensor("input_mean"), self.tensor("input_std"),
                            self.tensor("pose_mean"), self.tensor("pose_std"),
                            hidden=self.config["hidden"], layers=self.config["layers"],
                            dropout=self.config["dropout"])

    def sample(self, rng, validation=False):
        if validation:
            return self.validation_batches(self.val_sampler, lambda b, _: self._tensors(b), rng)
        return self._tensors(self.sampler.batch(self.sampler.starts(rng, self.config["batch"])))

    @staticmethod
    def _tensors(batch):
        return {k: torch.from_numpy(v) for k, v in batch.items() if v is not None}

    def predict(self, inputs):
        """Delayed prediction: pose t comes out at step t + delay. (B, W + d, F) -> (B, W, D)."""
        noise = self.config["input_noise"]
        if noise and self.model.training:
            inputs = inputs + noise * self.model.input_std * torch.randn_like(inputs)
        h0, c0 = self.model.zero_state(inputs.shape[0])
        out, _, _ = self.model(inputs, h0, c0)
        return self.smooth(out[:, self.delay:])

    def smooth(self, poses):
        """(B, T, D) with body and hand columns smoothed over time as the generator does."""
        out = poses
        for cols, taps in self.smoothing:
            r = len(taps) // 2
            if r == 0 or len(cols) == 0:
                continue
            kernel = torch.from_numpy(taps).expand(len(cols), 1, len(taps))
            x = torch.nn.functional.pad(poses[..., cols].transpose(1, 2), (r, r), mode="replicate")
            out = out.clone() if out is poses else out
            out[..., cols] = torch.nn.functional.conv1d(x, kernel, groups=len(cols)).transpose(1, 2)
        return out

    def weighted(self, err):
        """Sum over parts of weight x mean of ``err`` over that part's entries."""
        return sum(w * err[..., cols].mean() for cols, w in self.parts)

    def losses(self, batch, rng):
        pred = self.predict(batch["inputs"])
        target = batch["poses"][:, :pred.shape[1]]
        kinetic = self.motion_loss(pred, target, kinetic=True)["kinetic"]
        if self.config["normalised_loss"]:
            pred, target = pred / self.model.pose_std, target / self.model.pose_std
        pose = self.weighted((pred - target) ** 2)
        diff = self.weighted(((pred[:, 1:] - pred[:, :-1]) - (target[:, 1:] - target[:, :-1])) ** 2)
        total = pose + self.config["w_diff"] * diff + self.config["w_kinetic"] * kinetic
        return {"total": total, "pose": pose.detach(), "diff": diff.detach(),
                "kinetic": kinetic.detach()}

    def export_graphs(self, folder):
        model = self.model.eval()
        dim = len(self.stats["input_mean"])
        h0, c0 = model.zero_state(1)
        example = (torch.zeros(1, 64, dim), h0, c0)
        path = export_graph(model, example, folder / GRAPH, ["features", "h0", "c0"],
                            ["poses", "h", "c"], {"features": 1, "poses": 1}, recurrent=True)
        rng = np.random.default_rng(0)
        mean, std = self.stats["input_mean"], self.stats["input_std"]
        features = (mean + std * rng.standard_normal((1, 97, dim))).astype(np.float32)
        state = (rng.standard_normal(h0.shape) * 0.1).astype(np.float32)
        diff = max_abs_difference(model, path, {"features": features, "h0": state, "c0": state})
        return {"model": GRAPH}, {"model": diff}

    def metadata(self):
        return {"delay_frames": self.delay, "hidden": self.config["hidden"],
                "smoothing": [{"columns": cols.numpy(), "sigma": float(self.config[key])}
                              for (cols, _), key in zip(self.smoothing,
                                                        ("smooth_frames", "smooth_lower_frames"))],
                "layers": self.config["layers"], "window": self.config["window"]}
