"""The DR² networks in torch.

- Audio encoder: a 2-D convolution stack over the log-mel image (frequency halved four times,
  time kept), then a 1-D U-Net over time (two down-sampling levels with skip connections) that
  gives a latent sequence (T, latent).
- Pose encoder: an MLP D -> 128 -> 128 -> 32 with LeakyReLU(0.2) embedding the window's
  initial pose.
- Motion encoder: 1-D convolutions embedding a pose sequence into the same latent space as the
  audio (for unpaired pose sequences).
- Three 1-D convolution decoders, face (jaw + expressions), body (joints 0-21) and hands, each
  fed the latent sequence plus the initial-pose code.

Deviations from the paper: the pose encoder's input is our pose vector (6-D rotations of 53
joints + 100 expressions) rather than the paper's 59-D pose; audio is the project's 64-bin
log-mel instead of DeepSpeech features; the U-Net works on sequences whose length is a multiple
of 4 (the generator pads); input and output normalisation are built into the networks.
"""

import numpy as np
import torch
from torch import nn

from ...neural.training.blocks import ResidualConvNet

POSE_CODE = 32
PARTS = ("face", "body", "hands")


class AudioUNet(nn.Module):
    """(B, T, n_mel) -> (B, T, latent); T must be a multiple of 4."""

    def __init__(self, n_mel, channels, latent):
        super().__init__()
        act = nn.LeakyReLU(0.2)
        layers, c_in, height = [], 1, n_mel
        for c_out in (16, 32, 64, 64):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=(2, 1), padding=1), act]
            c_in, height = c_out, (height + 1) // 2
        self.spectral = nn.Sequential(*layers)
        self.project = nn.Conv1d(c_in * height, channels, 1)

        def conv(c_in, c_out, stride=1):
            return nn.Sequential(nn.Conv1d(c_in, c_out, 3, stride=stride, padding=1), act)

        self.enc0 = conv(channels, channels)
        self.enc1 = conv(channels, channels, 2)
        self.enc2 = conv(channels, channels, 2)
        self.mid = conv(channels, channels)
        self.dec1 = conv(2 * channels, channels)
        self.dec0 = conv(2 * channels, channels)
        self.out = nn.Conv1d(channels, latent, 1)

    def forward(self, mel):
        b, t, _ = mel.shape
        image = self.spectral(mel.transpose(1, 2).unsqueeze(1))  # (B, C, H, T)
        x = self.project(image.reshape(b, -1, t))
        e0 = self.enc0(x)
        e1 = self.enc1(e0)
        e2 = self.mid(self.enc2(e1))
        up = nn.functional.interpolate(e2, scale_factor=2.0, mode="nearest")
        d1 = self.dec1(torch.cat([up, e1], 1))
        up = nn.functional.interpolate(d1, scale_factor=2.0, mode="nearest")
        d0 = self.dec0(torch.cat([up, e0], 1))
        return self.out(d0).transpose(1, 2)


class DR2(nn.Module):
    def __init__(self, input_mean, input_std, pose_mean, pose_std, part_columns, channels=128,
                 latent=64):
        super().__init__()
        self.register_buffer("input_mean", input_mean.clone())
        self.register_buffer("input_std", input_std.clone())
        self.register_buffer("pose_mean", pose_mean.clone())
        self.register_buffer("pose_std", pose_std.clone())
        dim = len(pose_mean)
        self.audio_encoder = AudioUNet(len(input_mean), channels, latent)
        act = nn.LeakyReLU(0.2)
        self.pose_encoder = nn.Sequential(nn.Linear(dim, 128), act, nn.Linear(128, 128), act,
                                          nn.Linear(128, POSE_CODE))
        self.motion_encoder = ResidualConvNet(dim, latent, channels, blocks=2)
        self.part_sizes = [len(part_columns[p]) for p in PARTS]
        self.decoders = nn.ModuleList([ResidualConvNet(latent + POSE_CODE, n, channels, blocks=2)
                                       for n in self.part_sizes])
        for decoder in self.decoders:
            with torch.no_grad():  # start at the mean pose
                decoder.out.weight.mul_(0.1)
                decoder.out.bias.zero_()
        covered = np.concatenate([part_columns[p] for p in PARTS])
        rest = np.setdiff1d(np.arange(dim), covered)
        order = np.argsort(np.concatenate([covered, rest]))
        self.n_rest = len(rest)
        self.register_buffer("order", torch.from_numpy(order.astype(np.int64)))

    def encode_audio(self, mel):
        return self.audio_encoder((mel - self.input_mean) / self.input_std)

    def encode_motion(self, poses):
        return self.motion_encoder((poses - self.pose_mean) / self.pose_std)

    def encode_pose(self, pose):
        """(B, D) initial pose vector -> (B, 32) code."""
        return self.pose_encoder((pose - self.pose_mean) / self.pose_std)

    def decode(self, latent, pose_code):
        """(B, T, latent) + (B, 32) -> (B, T, D) pose vectors."""
        b, t, _ = latent.shape
        x = torch.cat([latent, pose_code.unsqueeze(1).expand(b, t, pose_code.shape[-1])], -1)
        parts = [decoder(x) for decoder in self.decoders]
        parts.append(latent.new_zeros(b, t, self.n_rest))
        normed = torch.cat(parts, -1).index_select(-1, self.order)
        return self.pose_mean + self.pose_std * normed


class GenerateGraph(nn.Module):
    """Inference graph: mel (B, T, 64) + initial pose (B, D) -> poses (B, T, D), T % 4 == 0."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, mel, initial):
        return self.model.decode(self.model.encode_audio(mel), self.model.encode_pose(initial))
