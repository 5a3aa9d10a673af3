"""Losses of the renderer that need no downloaded network: L1, multi-scale SSIM, least-squares
GAN and discriminator feature matching (torch).

MS-SSIM: Wang, Simoncelli & Bovik 2003 (11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03,
scale weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333), on pictures in [0, 1]. Departure: a
small picture uses only the scales whose side is still at least the window (the first weights,
renormalised), and negative contrast terms are clamped to 0 so the product stays defined.
GAN: the least-squares objective pix2pixHD trains with; feature matching as pix2pixHD (L1
between the discriminator's features of the real and the generated picture).
"""

import torch
from torch.nn import functional as F

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WINDOW = 11
SIGMA = 1.5
C1 = 0.01 ** 2
C2 = 0.03 ** 2


def _gaussian(channels, device):
    x = torch.arange(WINDOW, dtype=torch.float32, device=device) - (WINDOW - 1) / 2
    g = torch.exp(-x ** 2 / (2 * SIGMA ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, WINDOW, WINDOW).contiguous()


def _ssim_terms(a, b, window):
    """Mean luminance*contrast*structure and contrast*structure terms per picture: (B,), (B,)."""
    c = a.shape[1]
    mu_a = F.conv2d(a, window, groups=c)
    mu_b = F.conv2d(b, window, groups=c)
    var_a = F.conv2d(a * a, window, groups=c) - mu_a ** 2
    var_b = F.conv2d(b * b, window, groups=c) - mu_b ** 2
    cov = F.conv2d(a * b, window, groups=c) - mu_a * mu_b
    cs = (2 * cov + C2) / (var_a + var_b + C2)
    lum = (2 * mu_a * mu_b + C1) / (mu_a ** 2 + mu_b ** 2 + C1)
    return (lum * cs).flatten(1).mean(1), cs.flatten(1).mean(1)


def ms_ssim(a, b):
    """MS-SSIM (B,) of pictures (B, C, H, W) in [0, 1] (min side at least 11)."""
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and min(a.shape[-2:]) // 2 ** scales >= WINDOW:
        scales += 1
    weights = torch.tensor(MS_SSIM_WEIGHTS[:scales], device=a.device)
    weights = weights / weights.sum()
    window = _gaussian(a.shape[1], a.device)
    values = []
    for k in range(scales):
        ssim, cs = _ssim_terms(a, b, window)
        values.append(torch.relu(ssim if k == scales - 1 else cs) + 1e-6)
        if k < scales - 1:
            a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
    return torch.prod(torch.stack(values, dim=1) ** weights, dim=1)


def ms_ssim_loss(fake, real):
    """1 - MS-SSIM, averaged, for pictures in [-1, 1]."""
    return 1.0 - ms_ssim((fake + 1) / 2, (real + 1) / 2).mean()


def gan_generator_loss(scores):
    return ((scores - 1.0) ** 2).mean()


def gan_discriminator_loss(real_scores, fake_scores):
    return 0.5 * (((real_scores - 1.0) ** 2).mean() + (fake_scores ** 2).mean())


def feature_matching(fake_features, real_features):
    """Mean L1 between the discriminator features of generated and real pictures."""
    terms = [F.l1_loss(f, r.detach()) for f, r in zip(fake_features, real_features)]
    return sum(terms) / len(terms)
