"""The Audio2Gestures networks in torch.

Four networks, each an input projection, four residual 1-D convolution blocks and an output
projection (``ResidualConvNet``), all working frame by frame over time:

- audio encoder: log-mel (T, 64) -> shared code (T, 16);
- motion encoder: pose vectors (T, D) -> shared code (T, 16) and the mean and log-variance of
  the motion-specific code (T, 16 each);
- mapping net: Gaussian noise (T, 16) -> a motion-specific code, so one audio can be turned into
  many motions at inference;
- decoder: shared + motion-specific code (T, 32) -> pose vectors (T, D): 6-D rotations (turned
  into rotations, and into positions by forward kinematics, for the losses) and expressions.

Deviations from the paper: residual blocks are dilated (1, 2, 4, 8) for a two-second receptive
field; the decoder also predicts the 100 expression coefficients; normalisation of the mel input
and of the pose output is built into the networks. And the motion-specific code is slow: the
posterior mean and log-variance, and the mapped code, pass through a fixed temporal Gaussian
(``code_sigma`` frames). A per-frame 16-D code can describe the whole pose by itself, so the
decoder learned to ignore the shared code (the paper's degenerate solution: on 45 s of data the
alignment loss then shrank both shared codes to a constant, and every recording gave the same
motion). A code that can only change over about a second can carry the manner of a gesture
(where the hands are held, how wide) but not its timing, which must come from the audio.
"""

import torch
from torch import nn

from ...neural.smoothing import gaussian_kernel
from ...neural.training.blocks import ResidualConvNet

CODE = 16


class Audio2Gestures(nn.Module):
    def __init__(self, input_mean, input_std, pose_mean, pose_std, channels=128, code=CODE,
                 code_sigma=0.0):
        super().__init__()
        taps = torch.from_numpy(gaussian_kernel(code_sigma))
        self.register_buffer("code_taps", taps.expand(code, 1, len(taps)).clone())
        self.register_buffer("input_mean", input_mean.clone())
        self.register_buffer("input_std", input_std.clone())
        self.register_buffer("pose_mean", pose_mean.clone())
        self.register_buffer("pose_std", pose_std.clone())
        dim, self.code = len(pose_mean), code
        self.audio_encoder = ResidualConvNet(len(input_mean), code, channels)
        self.motion_encoder = ResidualConvNet(dim, 3 * code, channels)
        self.mapping = ResidualConvNet(code, code, channels)
        self.decoder = ResidualConvNet(2 * code, dim, channels)
        with torch.no_grad():  # start at the mean pose
            self.decoder.out.weight.mul_(0.1)
            self.decoder.out.bias.zero_()

    def encode_audio(self, mel):
        """(B, T, 64) log-mel -> (B, T, 16) shared code."""
        return self.audio_encoder((mel - self.input_mean) / self.input_std)

    def slow(self, code):
        """(B, T, 16) code low-passed over time by the fixed Gaussian (edges repeated)."""
        r = self.code_taps.shape[-1] // 2
        if r == 0:
            return code
        x = nn.functional.pad(code.transpose(1, 2), (r, r), mode="replicate")
        return nn.functional.conv1d(x, self.code_taps, groups=self.code).transpose(1, 2)

    def encode_motion(self, poses):
        """(B, T, D) pose vectors -> shared code, slow specific mean and log-variance."""
        out = self.motion_encoder((poses - self.pose_mean) / self.pose_std)
        c = self.code
        return out[..., :c], self.slow(out[..., c:2 * c]), self.slow(out[..., 2 * c:])

    def slow_noise(self, like):
        """Unit-variance Gaussian noise shaped like ``like`` that changes as slowly as the code."""
        return self.slow(torch.randn_like(like)) / self.code_taps[0, 0].square().sum().sqrt()

    def map_noise(self, noise):
        """(B, T, 16) Gaussian noise -> (B, T, 16) slow motion-specific code."""
        return self.slow(self.mapping(noise))

    def decode(self, shared, specific):
        """Shared and specific codes -> (B, T, D) pose vectors."""
        return self.pose_mean + self.pose_std * self.decoder(torch.cat([shared, specific], -1))


class GenerateGraph(nn.Module):
    """Inference graph: audio + noise, with an optional motion-specific code imposed on a mask.

    mel (B, T, 64), noise (B, T, 16), code (B, T, 16), mask (B, T, 1) in {0, 1} -> poses (B, T, D).
    Where mask is 1 the given code replaces the mapped noise (timeline control, paper §5.6).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, mel, noise, code, mask):
        specific = mask * code + (1.0 - mask) * self.model.map_noise(noise)
        return self.model.decode(self.model.encode_audio(mel), specific)


class EncodeGraph(nn.Module):
    """Motion-specific code (the posterior mean) of a motion clip: (B, T, D) -> (B, T, 16)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, poses):
        return self.model.encode_motion(poses)[1]
