"""The trainable backends: name -> training recipe (a BackendTrainer subclass)."""

import importlib

from ..modeldir import ModelError

TRAINERS = {
    "a2g": ("..generators.a2g.train", "A2GTrainer"),
    "dr2": ("..generators.dr2.train", "DR2Trainer"),
    "ldm": ("..generators.ldm.train", "LDMTrainer"),
    "s2v": ("..generators.s2v.train", "S2VTrainer"),
}


def trainer_class(backend):
    """The BackendTrainer subclass of ``backend`` (imports torch)."""
    if backend not in TRAINERS:
        raise ModelError(f"unknown backend '{backend}'; trainable backends: {', '.join(TRAINERS)}")
    module, attr = TRAINERS[backend]
    package = __package__.rsplit(".", 2)[0]  # the plugins package
    return getattr(importlib.import_module(module[1:], package), attr)
