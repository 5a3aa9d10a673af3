"""The vid2vid networks (torch): a frame generator and patch discriminators.

Generator (vid2vid's sequential generator, Wang et al. 2018, as Speech2Video §3.5 uses it,
sized for a CPU): a U-Net whose input is the label image of the current frame, the label and
the generated picture of the previous frame, and a reference picture of the person. It paints
a new picture and blends it, pixel by pixel, with the previous picture and the reference
(softmax weights): vid2vid's idea of reusing what did not move (there by optical-flow warping,
here without flow: the camera of a talking-head video does not move, so the unmoved background
and body are copied, and the reference supplies what the previous frame never showed).

Discriminators: pix2pix/pix2pixHD PatchGAN (4x4 convolutions, stride 2, LeakyReLU 0.2), given
the label beside the picture; their intermediate features serve the feature-matching loss.
Speech2Video gives the face and each hand their own discriminator on crops.

Images are (B, 3, H, W) float in [-1, 1]; H and W multiples of 8.
"""

import torch
from torch import nn
from torch.nn import functional as F

INPUTS = ("label", "prev_label", "prev_frame", "reference")
LEAK = 0.2


def _conv(c_in, c_out, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1), nn.LeakyReLU(LEAK))


class _Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, 1, 1)
        self.b = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return x + self.b(F.leaky_relu(self.a(x), LEAK))


class Generator(nn.Module):
    """U-Net with additive skips: widths (w, 2w, 4w, 8w) at 1, 1/2, 1/4, 1/8 of the size.

    forward(label, prev_label, prev_frame, reference) -> (B, 3, H, W) picture in [-1, 1].
    """

    def __init__(self, width=8, residual_blocks=2):
        super().__init__()
        c = (width, 2 * width, 4 * width, 8 * width)
        self.stem = _conv(3 * len(INPUTS), c[0])
        self.down = nn.ModuleList([
            nn.Sequential(_conv(c[k], c[k + 1], stride=2), _conv(c[k + 1], c[k + 1]))
            for k in range(3)
        ])
        self.middle = nn.Sequential(*[_Residual(c[3]) for _ in range(residual_blocks)])
        self.up = nn.ModuleList([_conv(c[k + 1], c[k]) for k in range(3)])
        self.fuse = nn.ModuleList([_conv(c[k], c[k]) for k in range(3)])
        self.head = nn.Conv2d(c[0], 3 + 3, 3, 1, 1)  # picture + 3 blend logits
        with torch.no_grad():  # start from the reference picture, the wall and the body
            self.head.bias[3:] = torch.tensor([0.0, 1.0, 0.0])

    def forward(self, label, prev_label, prev_frame, reference):
        x = self.stem(torch.cat([label, prev_label, prev_frame, reference], dim=1))
        skips = [x]
        for down in self.down:
            x = down(x)
            skips.append(x)
        x = self.middle(x)
        for k in (2, 1, 0):
            x = F.interpolate(self.up[k](x), scale_factor=2.0, mode="nearest")
            x = self.fuse[k](x + skips[k])
        out = self.head(x)
        painted = torch.tanh(out[:, :3])
        w = torch.softmax(out[:, 3:], dim=1)
        return w[:, 0:1] * prev_frame + w[:, 1:2] * reference + w[:, 2:3] * painted


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (label, picture) -> (list of features, (B, 1, h, w) scores).

    downsample : average-pool the inputs by this factor first (pix2pixHD's coarser scale; on
    the whole picture it quarters the cost, which on a CPU is most of a training step).
    """

    def __init__(self, width=32, layers=3, downsample=1):
        super().__init__()
        self.downsample = downsample
        blocks, c_in = [], 6
        for k in range(layers):
            c_out = width * 2 ** k
            blocks.append(nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(LEAK)))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.score = nn.Conv2d(c_in, 1, 3, 1, 1)

    def forward(self, label, picture):
        x = torch.cat([label, picture], dim=1)
        if self.downsample > 1:
            x = F.avg_pool2d(x, self.downsample)
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features, self.score(x)


PARTS = ("face", "left_hand", "right_hand")


class Discriminators(nn.Module):
    """The whole-picture discriminator and one per part (Speech2Video's part attention)."""

    def __init__(self, width=32, part_width=32):
        super().__init__()
        self.whole = PatchDiscriminator(width, layers=3, downsample=2)
        self.parts = nn.ModuleDict({p: PatchDiscriminator(part_width, layers=2) for p in PARTS})
