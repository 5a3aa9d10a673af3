"""The latent motion diffusion networks in torch.

- Motion autoencoder: 1-D convolutions over the pose vector (6-D rotations of body, hands and
  jaw, then expressions), time halved once per factor of two of ``stride`` (2 or 4 frames,
  setting ``stride``; 4 by default and for every model trained before the setting), give one
  latent motion feature per ``stride`` frames (the paper's MF_i, here of 0.07-0.13 s of motion
  instead of one video frame); the decoder mirrors it (linear up-sampling: nearest up-sampling
  left 4-frame steps that showed as acceleration) back to pose vectors. Training holds each
  latent channel near zero mean and unit spread, the scale the diffusion noise is drawn at.
- Denoiser: given a sequence of latent positions, some of them known (the previous four
  features MF_[i-4, i-1], or key poses to in-paint) and the rest noised to diffusion step t,
  it predicts their velocity v (or, with ``prediction`` "sample", the clean latents). Its
  inputs per position: the latent (clean
  where known, noisy elsewhere), a known flag, and the window's log-mel encoded down to the
  latent rate; the step enters through a sinusoidal embedding added in every residual block.
  Classifier-free guidance: a 0/1 ``keep`` input zeroes the audio code (trained with the audio
  dropped at random), so one graph gives the conditional and the unconditional prediction.

Departures from the paper: its motion features come from a self-supervised image-warping model
of video frames; ours from an autoencoder of SMPL-X pose vectors. Its denoiser is described only
as conditioned on the audio and MF_[i-4, i-1]; the convolutional denoiser, the known flag (which
also serves in-painting), the cosine schedule and v-prediction are ours.
"""

import math

import torch
from torch import nn

STRIDE = 4  # frames per latent motion feature of the models trained before ``stride`` was a setting
STRIDES = (2, 4)  # the latent rates a model may have (frames per latent)


def halvings(stride):
    """How many times the time axis is halved to reach ``stride`` frames per latent."""
    return {2: 1, 4: 2}[stride]


class Block(nn.Module):
    """Residual 1-D convolution block with an additive condition: (B, C, T), (B, C, 1)."""

    def __init__(self, channels, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.act = nn.SiLU()

    def forward(self, x, cond=None):
        h = self.act(self.conv1(x))
        if cond is not None:
            h = h + cond
        return x + self.conv2(self.act(h))


def upsample():
    """Doubles the time axis by linear interpolation."""
    return nn.Upsample(scale_factor=2.0, mode="linear", align_corners=False)


class MotionAutoencoder(nn.Module):
    """Pose vectors (B, T, D) <-> latents (B, T / stride, latent); T a multiple of stride."""

    def __init__(self, pose_mean, pose_std, channels, latent, stride=STRIDE):
        super().__init__()
        self.register_buffer("pose_mean", pose_mean.clone())
        self.register_buffer("pose_std", pose_std.clone())
        dim, act, n = len(pose_mean), nn.SiLU(), halvings(stride)
        down = [nn.Conv1d(dim, channels, 3, padding=1), act, Block(channels)]
        for i in range(n):
            down += [nn.Conv1d(channels, channels, 4, stride=2, padding=1), act,
                     Block(channels, 2 if i == n - 1 else 1)]
        self.encoder = nn.Sequential(*down, nn.Conv1d(channels, latent, 1))
        up = [nn.Conv1d(latent, channels, 3, padding=1), act, Block(channels, 2)]
        for _ in range(n):
            up += [upsample(), nn.Conv1d(channels, channels, 3, padding=1), act, Block(channels)]
        self.decoder = nn.Sequential(*up, nn.Conv1d(channels, dim, 1))
        with torch.no_grad():  # start at the mean pose
            self.decoder[-1].weight.mul_(0.1)
            self.decoder[-1].bias.zero_()

    def encode(self, poses):
        """(B, T, D) -> (B, T / stride, latent)."""
        return self.encoder(((poses - self.pose_mean) / self.pose_std).transpose(1, 2)).transpose(1, 2)

    def decode(self, latents, frozen=False):
        """(B, S, latent) -> (B, stride S, D) pose vectors. ``frozen``: no gradient reaches the
        decoder's weights (only ``latents``), for costs that train what made the latents."""
        x = latents.transpose(1, 2)
        if frozen:
            weights = {name: p.detach() for name, p in self.decoder.named_parameters()}
            out = torch.func.functional_call(self.decoder, weights, (x,))
        else:
            out = self.decoder(x)
        return self.pose_mean + self.pose_std * out.transpose(1, 2)


def step_embedding(t, dim):
    """(B, 1) diffusion step in [0, 1] -> (B, dim) sinusoidal features."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = 1000.0 * t * freqs.unsqueeze(0)
    return torch.cat([torch.sin(angles), torch.cos(angles)], -1)


class Denoiser(nn.Module):
    """Clean latents from partly known, partly noised ones, the audio and the step.

    x (B, S, latent), known (B, S, 1), mel (B, stride S, n_mel), keep (B, 1, 1), t (B, 1) in
    [0, 1] -> (B, S, latent) the prediction (v or clean latents, see ``schedule.clean_sample``).
    """

    def __init__(self, input_mean, input_std, latent, channels, blocks=6, audio=64, stride=STRIDE):
        super().__init__()
        self.register_buffer("input_mean", input_mean.clone())
        self.register_buffer("input_std", input_std.clone())
        act = nn.SiLU()
        n_mel = len(input_mean)
        self.audio = nn.Sequential(
            nn.Conv1d(n_mel, audio, 3, padding=1), act,
            *[m for _ in range(halvings(stride))
              for m in (nn.Conv1d(audio, audio, 4, stride=2, padding=1), act)],
            nn.Conv1d(audio, audio, 3, padding=1))
        self.embed_dim = channels
        self.step = nn.Sequential(nn.Linear(channels, channels), act, nn.Linear(channels, channels))
        self.inp = nn.Conv1d(latent + 1 + audio, channels, 3, padding=1)
        self.blocks = nn.ModuleList([Block(channels, 2 ** (i % 3)) for i in range(blocks)])
        self.cond = nn.ModuleList([nn.Linear(channels, channels) for _ in range(blocks)])
        self.out = nn.Conv1d(channels, latent, 3, padding=1)
        self.act = act

    def forward(self, x, known, mel, keep, t):
        a = self.audio(((mel - self.input_mean) / self.input_std).transpose(1, 2))
        a = a * keep
        h = self.inp(torch.cat([x.transpose(1, 2), known.transpose(1, 2), a], 1))
        e = self.step(step_embedding(t, self.embed_dim))
        for block, cond in zip(self.blocks, self.cond):
            h = block(h, cond(e).unsqueeze(-1))
        return self.out(self.act(h)).transpose(1, 2)


class LatentDiffusion(nn.Module):
    """Both networks (one optimiser, one checkpoint)."""

    def __init__(self, input_mean, input_std, pose_mean, pose_std, channels=128, latent=32,
                 blocks=6, stride=STRIDE):
        super().__init__()
        self.autoencoder = MotionAutoencoder(pose_mean, pose_std, channels, latent, stride)
        self.denoiser = Denoiser(input_mean, input_std, latent, channels, blocks, stride=stride)


class EncodeGraph(nn.Module):
    """poses (B, T, D), T % stride == 0 -> latents (B, T / stride, latent)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, poses):
        return self.model.autoencoder.encode(poses)


class DecodeGraph(nn.Module):
    """latents (B, S, latent) -> poses (B, stride S, D)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, latents):
        return self.model.autoencoder.decode(latents)
