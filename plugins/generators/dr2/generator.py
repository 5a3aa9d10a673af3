"""The DR² generator plugin: recurrent window-by-window inference with onnxruntime.

Each 128-frame window starts from the last pose of the motion before it (the previous window's
output, or the request's initial pose for the first window); without an initial pose the first
window starts from one of a few real poses of the training takes, picked by the seed. As in
training (Eq. 1), seeded noise is added to each starting pose (option ``variety``), so seeds give
different continuations; the seed also picks the stance the whole take keeps (option ``stance``:
a share of how far the speaker's posture at that start stood from his average), since the
recurrent model forgets its first window's start within seconds. The window driver then blends
each join over k = 10 frames (Eq. 2).
The U-Net needs a length that is a multiple of 4: the last window's audio is padded by
repeating its last frame. The whole take's gestures are then scaled up to the training speaker's
pace in speech (option ``liveliness``, see ``neural.liveliness``).
"""

import numpy as np

from ....inference.generation.options import Option
from ...neural.generator import (
    WindowedNeuralGenerator, follow_option, liveliness_option, model_option, stance_option,
)
from ...neural.layout import motion_to_vectors
from ...neural.modeldir import train_hint
from .state import state_noise


class DR2Generator(WindowedNeuralGenerator):
    name = "dr2"
    summary = ("DR²: disentangled recurrent gestures, each window continuing from the last pose; "
               f"needs a model trained with `{train_hint('dr2')}`")
    stochastic = True
    options = (
        model_option("dr2"),
        follow_option(),
        liveliness_option(),
        Option("variety", "float", default=0.2, min=0.0, max=0.5,
               help="seeded noise on each window's starting pose (standard deviation of the "
                    "rotation entries; trained on 0.1-0.3); 0 continues deterministically"),
        stance_option(),
    )

    def stance_pick(self, request, n):
        """The posture at the first window's starting pose (the trainer keeps one start pose per
        stored posture, at the same frames)."""
        return self.start_pick(request, n)

    def start_pick(self, request, n):
        """Which of the model's ``n`` starting poses (and postures) the seed starts from."""
        return request.rng("dr2", "start").integers(n)

    def generate_window(self, request, window):
        model = window.state.get("model") or self.load(request)
        window.state["model"] = model
        multiple = int(model.metadata.get("multiple", 4))
        length = -(-window.n_frames // multiple) * multiple
        frames = np.minimum(np.arange(window.start, window.start + length), window.stop - 1)
        (poses,) = model.run("generate", {
            "mel": self.inputs(model, request, frames)[None],
            "initial": self.initial_pose(model, request, window)[None],
        })
        return self.to_motion(model, poses[0][:window.n_frames], request.fps)

    def initial_pose(self, model, request, window):
        """(D,) pose vector the window starts from, with the seeded noise of Eq. 1."""
        if window.previous is not None and window.previous.n_frames:
            pose = motion_to_vectors(window.previous[-1], model.layout)[0]
        else:
            starts = model.array("start_poses")
            pose = starts[self.start_pick(request, len(starts))]
        sigma = float(self.option(request, "variety"))
        noise = state_noise(request.rng("dr2", "noise", window.index), sigma, model.layout)
        return (pose + noise).astype(np.float32)
