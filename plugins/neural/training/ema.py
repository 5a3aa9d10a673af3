"""A running average of a network's weights over training (an exponential moving average whose
length grows with the training), exported instead of the last weights.

Why: a diffusion denoiser's last weights carry the noise of the last few optimiser steps, and
a sampler calling it 8 times per window amplifies that noise into jitter of the motion. The
average of the weights over the end of training is the standard remedy for diffusion models.

The decay is the power function of Karras et al. 2024 ("Analyzing and improving the training
dynamics of diffusion models", EDM2, Sec. 3): after optimiser step t (1, 2, ...)
beta(t) = (1 - 1/t)^(gamma + 1), so the average weighs the weights of step tau by about
tau^gamma. Unlike a fixed decay (0.999 would still be half the random start after 700 steps)
it forgets the start at any training length and covers the same fraction of the run whether a
time budget stops it at 300 steps or at 3000. The length is given as EDM2's sigma_rel, the
spread of that weighting relative to the training length,
sigma_rel = (gamma + 1)^(1/2) / ((gamma + 2) (gamma + 3)^(1/2)) (EDM2 Eq. 3).
"""

import contextlib

import torch


def gamma_of(sigma_rel):
    """The exponent gamma whose power-function average has relative spread ``sigma_rel``
    (0 < sigma_rel < 0.289, the spread of the uniform average over the whole run)."""
    def spread(gamma):
        return (gamma + 1) ** 0.5 / ((gamma + 2) * (gamma + 3) ** 0.5)

    if not 0.0 < sigma_rel < spread(0.0):
        raise ValueError(f"the weight average's sigma_rel must be in (0, {spread(0.0):.3f}), "
                         f"got {sigma_rel}")
    lo, hi = 0.0, 1.0
    while spread(hi) > sigma_rel:
        hi *= 2.0
    for _ in range(100):  # spread falls as gamma grows: bisect
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if spread(mid) > sigma_rel else (lo, mid)
    return 0.5 * (lo + hi)


class WeightAverage:
    """The power-function average of ``model``'s floating-point weights.

    Call :meth:`update` after every optimiser step; :meth:`applied` puts the average in the
    model for a while (validation, export); :meth:`state_dict` / :meth:`load_state_dict` carry
    it through a checkpoint.
    """

    def __init__(self, model, sigma_rel):
        self.gamma = gamma_of(sigma_rel)
        self.steps = 0
        self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()
                        if v.is_floating_point()}

    def update(self, model):
        """Fold the model's current weights in (beta = 0 at the first step: no start bias)."""
        self.steps += 1
        beta = (1.0 - 1.0 / self.steps) ** (self.gamma + 1.0)
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if k in self.weights:
                    self.weights[k].lerp_(v.detach(), 1.0 - beta)

    @contextlib.contextmanager
    def applied(self, model):
        """The model holds the averaged weights inside the block, its own ones after it."""
        own = {k: v.detach().clone() for k, v in model.state_dict().items() if k in self.weights}
        model.load_state_dict(self.weights, strict=False)
        try:
            yield model
        finally:
            model.load_state_dict(own, strict=False)

    def state_dict(self):
        return {"gamma": self.gamma, "steps": self.steps, "weights": self.weights}

    def load_state_dict(self, state):
        self.gamma, self.steps = state["gamma"], state["steps"]
        self.weights = {k: v.clone() for k, v in state["weights"].items()}
