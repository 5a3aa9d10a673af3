"""The vid2vid networks (torch): the refinement network and patch discriminators.

Refiner (vid2vid's sequential generator, Wang et al. 2018, as Speech2Video §3.5 uses it, sized
for a CPU, here correcting a warp instead of painting from nothing): a U-Net whose input is the
warped composite of the current frame (source frames of the person moved part by part to the
target pose over the background plate, see ``warp``), the label image, the warp's coverage
and the picture it made of the previous frame. It paints a correction over the warped
composite (occlusion, disocclusion, shading, seams: what warping cannot do) and blends it,
pixel by pixel, with the previous picture (softmax weights, the previous picture's share capped
at ``PREV_MAX``, at most half of each pixel: trained a few frames at a time, an uncapped blend
learnt to keep its previous picture and froze long renders on one pose): vid2vid's reuse of
what did not move. The correction starts at zero and the blend at the corrected composite
(weight 0.9997), so an untrained refiner renders the warp itself: a start of 12 % previous
picture and small random corrections rendered held-out frames 4 dB below the warps, and a
5-minute run on a 60 s person video never climbed back.
Convolutions pad by repeating the edge (zero padding drew a dark frame round the picture) and
upsample bilinearly (nearest left stripes).

Discriminators: pix2pix/pix2pixHD PatchGAN (4x4 convolutions, stride 2, LeakyReLU 0.2), given
the label beside the picture; their intermediate features serve the feature-matching loss.
Speech2Video gives the face and each hand their own discriminator on crops.

Pictures are (B, 3, H, W) float in [-1, 1], coverage (B, 1, H, W) in [0, 1]; H and W
multiples of 8.
"""

import torch
from torch import nn
from torch.nn import functional as F

INPUTS = ("warped", "label", "coverage", "prev_frame")
CHANNELS = {"warped": 3, "label": 3, "coverage": 1, "prev_frame": 3}
LEAK = 0.2
PREV_MAX = 0.5  # the previous picture's largest share of a pixel. Training sees a few frames at
# a time, each scored on its own, and leaning on a good previous picture pays there; rolled out
# over hundreds of frames the same weights froze on one picture (held-out 24.8 -> 19.1 dB
# within a run). Capped, a frame's error fades by half each frame: a picture cannot freeze.


PAD = "replicate"


def _conv(c_in, c_out, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, padding_mode=PAD),
                         nn.LeakyReLU(LEAK))


class _Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, 1, 1, padding_mode=PAD)
        self.b = nn.Conv2d(c, c, 3, 1, 1, padding_mode=PAD)

    def forward(self, x):
        return x + self.b(F.leaky_relu(self.a(x), LEAK))


class Refiner(nn.Module):
    """U-Net with additive skips: widths (w, 2w, 4w, 8w) at 1, 1/2, 1/4, 1/8 of the size.

    forward(warped, label, coverage, prev_frame) -> (B, 3, H, W) picture in [-1, 1].
    """

    def __init__(self, width=8, residual_blocks=2):
        super().__init__()
        c = (width, 2 * width, 4 * width, 8 * width)
        self.stem = _conv(sum(CHANNELS.values()), c[0])
        self.down = nn.ModuleList([
            nn.Sequential(_conv(c[k], c[k + 1], stride=2), _conv(c[k + 1], c[k + 1]))
            for k in range(3)
        ])
        self.middle = nn.Sequential(*[_Residual(c[3]) for _ in range(residual_blocks)])
        self.up = nn.ModuleList([_conv(c[k + 1], c[k]) for k in range(3)])
        self.fuse = nn.ModuleList([_conv(c[k], c[k]) for k in range(3)])
        self.head = nn.Conv2d(c[0], 3 + 2, 3, 1, 1, padding_mode=PAD)  # change + 2 blend logits
        with torch.no_grad():  # start at the warp itself: no change, the previous picture unused
            self.head.weight.mul_(0.1)
            self.head.weight[:3] = 0.0
            self.head.bias[:3] = 0.0
            self.head.bias[3:] = torch.tensor([-4.0, 4.0])

    def forward(self, warped, label, coverage, prev_frame):
        x = self.stem(torch.cat([warped, label, coverage, prev_frame], dim=1))
        skips = [x]
        for down in self.down:
            x = down(x)
            skips.append(x)
        x = self.middle(x)
        for k in (2, 1, 0):
            x = F.interpolate(self.up[k](x), scale_factor=2.0, mode="bilinear",
                              align_corners=False)
            x = self.fuse[k](x + skips[k])
        out = self.head(x)
        painted = torch.clamp(warped + out[:, :3], -1.0, 1.0)
        keep = PREV_MAX * torch.softmax(out[:, 3:], dim=1)[:, 0:1]
        return keep * prev_frame + (1.0 - keep) * painted


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
