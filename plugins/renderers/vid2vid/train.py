"""Train the vid2vid renderer (version 2: warp, then refine) on a person's video paired with
its skeleton pass (torch).

Before training, a bank of source frames (``bank``, 96) is chosen from the training frames to
cover the pose space (``warp.select_bank``: farthest-point sampling on normalised 2D skeletons,
from the frontal reference, the frame nearest the median pose), and every frame of the video is
warped once from the bank (``pairs.warp_pairs``): its nearest sources by pose, leaving out those
within ``exclude_seconds`` (2 s) of the frame (a source next to its target in time is nearly
the answer, and the network would learn to copy it rather than to correct a warp from another
pose). The warps are kept in memory, so a step costs only the networks.

Each step unrolls two frames (vid2vid trains on sequences and feeds its own output back): the
refiner corrects the warp of frame t-1 given its own picture of t-2, rolled out without
gradients over the ``burn_in`` frames before from a warp (as rendering starts), then frame t
from its own picture of t-1. Started from the warp of t-2 alone, the previous picture was always
close to the truth, leaning on it paid, and every long rollout froze on one picture; with the
burn-in it still could (each frame is scored on its own), so the refiner caps the previous
picture's share (``model.PREV_MAX``). Losses on both frames: L1 and MS-SSIM on the whole
picture, a conditional PatchGAN with feature matching, and Speech2Video's part attention: the
face and the hands, cropped with ``part_boxes`` and resized, get their own discriminators and an
extra L1, all weighted ``part`` (2) times the whole picture's. Frames held out by pose
(``pairs.hold_out_poses``) and the tail never train.

The run saves ``checkpoint.pt`` every minute (the same command resumes), rolls the refiner
over the held-out tail of the video to keep the weights with the best PSNR there (on a tie the
later weights; the starting weights, which render the warps unchanged, are checked first, so
a run that only makes them worse keeps them), warns when those never beat the warps alone, and
exports the refiner to ONNX (checked against torch) with ``talkrig_model.json``, the plate and
the source bank beside it (a few MB).

Why the adversarial terms wait, and the discriminators learn at 2e-4: the adversarial terms
come in late and gently: for the first ``gan_warmup`` steps (200) the refiner learns from L1
and MS-SSIM alone (the discriminators rest), then the GAN and feature-matching weights ramp up
linearly over as many steps, and the discriminators learn at ``d_lr`` (2e-4), below the
refiner's rate (``lr``, 1e-3; both at 1e-3 from the first step diverged on a real lecture
video). A step whose L1 leaps to five times its recent median (``SPIKE``; the refiner tipping
over, after which its clamped pictures never recovered) is undone: both networks go back to
their snapshot of at most 50 steps before (``SNAPSHOT_STEPS``), at half the rates, with a
warning.

Why the plate is the wall (:func:`background_plate`): the plate is each pixel's median over the
frames where the person is elsewhere, and where the person never leaves it, filled in from the
wall around (a plate holding the person would paint them back wherever their arms move away).
In the lecture video the lecturer holds the ball to his chest in every frame of the shot, so the
median of the frames (the old plate) was the lecturer holding it, and every warp was laid over
that picture; the plate is now the blackboard and the wall, filled in where he never moves
away, and his torso and face carry their own colours where his hands and the ball lay over them
(``warp.BEHIND``).
"""

import collections
import copy
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ...neural.modeldir import ModelError, write_metadata
from ...neural.training.export import export_graph, max_abs_difference
from ...neural.training.loop import CHECKPOINT, load_checkpoint
from ...neural.training.settings import Limit, make_settings
from .losses import feature_matching, gan_discriminator_loss, gan_generator_loss, ms_ssim_loss
from .model import INPUTS, PARTS, Discriminators, Refiner
from .pairs import warp_pairs
from .renderer import MAX_BANK
from .warp import SourceBank, background_plate, select_bank

log = logging.getLogger(__name__)

BACKEND = "vid2vid"
VERSION = 2  # warp, then refine (version 1 painted the label image from scratch)
GRAPH = "refiner.onnx"
PLATE = "plate.npy"
SHOT_PLATE = "shot_plate.npy"  # the wall of the whole training shot, at the video's own size
BANK = "bank.npz"
CAMERA = "camera.json"  # the camera of the first take: how the person was filmed
EXPORT_TOLERANCE = 1e-3  # of pictures in [-1, 1]
BEAT_MARGIN = 0.1  # dB over the warps alone that counts as the refiner correcting them
SPIKE = 5.0  # a step whose L1 is this many times the median of the last RECENT is a blow-up
RECENT = 50
SETTLED = 10  # steps seen before a blow-up can be told from the first steps' large L1
SNAPSHOT_STEPS = 50  # steps between the snapshots a blow-up goes back to

DEFAULTS = {
    "bank": 96,  # source frames kept beside the model (about 37 kB each at 256 px): nearer
    # sources for far poses (24 of them warped held-out far poses 0.3 dB and the hands' SSIM
    # 0.04 worse on a 60 s video; benchmarks/JOURNAL.md)
    "exclude_seconds": 2.0,  # a training frame is warped from sources farther than this in time
    "width": 8,  # refiner channels at full size (x2 per level)
    "residual_blocks": 2,
    "d_width": 32,
    "batch": 2,
    "burn_in": 6,  # frames rolled out without gradients before the two trained ones, so the
    # previous picture is one the refiner made itself over a run, as when it renders
    "lr": 1e-3,  # Adam, betas (0.5, 0.999) as pix2pix / pix2pixHD, whose 2e-4 is too slow
    # for the thousand-odd steps a CPU trains in 20 minutes
    "d_lr": 2e-4,  # the discriminators' rate: pix2pixHD's; at 1e-3 they oscillate and diverge
    "gan_warmup": 200,  # steps on L1 + MS-SSIM alone, then as many ramping the GAN terms in
    "l1": 10.0,
    "ssim": 5.0,
    "gan": 0.1,
    "feature_matching": 10.0,  # pix2pixHD's weight, relative to the GAN term
    "part": 2.0,  # each part's losses, relative to the whole picture's
    "val_frames": 90,
    "val_seconds": 90.0,
    "seed": 0,
}


def make_config(overrides=None):
    """DEFAULTS updated with ``overrides``, each converted to the default's type and checked
    against its range (``neural.training.settings``) before the video is read."""
    return make_settings(BACKEND, DEFAULTS, overrides, {"bank": Limit(1, MAX_BANK)})


def to_tensor(images, device="cpu"):
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float32 in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_images(x):
    """(N, 3, H, W) float in [-1, 1] -> (N, H, W, 3) uint8."""
    x = ((x.detach().clamp(-1, 1) + 1.0) * 127.5).round().byte()
    return x.permute(0, 2, 3, 1).cpu().numpy()


def reference_index(pairs):
    """The trainable frame whose skeleton is nearest the median pose (a calm, typical, frontal
    frame): the bank's first source, which fills what the nearest sources leave uncovered."""
    ok = pairs.trainable() & np.isfinite(pairs.joints).all(axis=(1, 2))
    if not ok.any():
        ok = pairs.trainable()
    median = np.median(pairs.joints[ok], axis=0)
    dist = np.where(ok, np.nan_to_num(np.abs(pairs.joints - median).sum(axis=(1, 2)), nan=np.inf),
                    np.inf)
    return int(np.argmin(dist))


def source_bank(pairs, reference, count, plate):
    """(SourceBank, rows): ``count`` trainable frames covering the pose space."""
    rows = np.flatnonzero(pairs.trainable())
    first = int(np.searchsorted(rows, reference))
    picks = rows[select_bank(pairs.joints[rows], count, first)]
    return SourceBank(pairs.frames[picks], pairs.joints[picks], reference=0, plate=plate), picks


def crop_parts(pictures, boxes, side):
    """{part: (B, C, side, side)} crops of pictures (B, C, H, W) at boxes (B, 3, 4)."""
    out = {}
    for k, part in enumerate(PARTS):
        crops = [pictures[b:b + 1, :, y0:y1, x0:x1]
                 for b, (x0, y0, x1, y1) in enumerate(boxes[:, k].tolist())]
        out[part] = torch.cat([F.interpolate(c, size=(side, side), mode="bilinear",
                                             align_corners=False) for c in crops])
    return out


GOOD_PSNR = 22.0  # dB on held-out frames: under it the picture is visibly not the person yet
STRAY_OVER = 0.02  # of the person's area painted again on the wall: second outlines show
ENOUGH_SECONDS = 60.0  # of video to learn from: fewer leave the far poses without sources


def advice(result):
    """Lines telling the user what would make the renderer better (empty when nothing would)."""
    out = []
    if result.val_psnr is not None and result.val_psnr < GOOD_PSNR:
        out.append(f"held-out frames under {GOOD_PSNR:g} dB: train longer (--minutes 20 or more; "
                   "the same command again resumes)")
    if result.beats_warp is False:
        out.append("the network never improved on the warps alone: train longer")
    if result.stray is not None and result.stray > STRAY_OVER:
        out.append(f"it paints {100 * result.stray:.0f} % of the person again where the video shows the wall "
                   "(second outlines): train longer, or film more of the poses you will ask for")
    if result.video_seconds is not None and result.video_seconds < ENOUGH_SECONDS:
        out.append(f"only {result.video_seconds:.0f} s of video to learn from: a minute or two of you "
                   "talking gives far poses nearer pictures to move")
    return out


def gan_scale(step, warmup):
    """Weight (0..1) of the adversarial terms at training step ``step`` (counted from 0): 0 for
    ``warmup`` steps, then rising linearly to 1 over as many."""
    if warmup <= 0:
        return 1.0
    return min(1.0, max(0.0, (step - warmup) / warmup))


@dataclass
class TrainResult:
    folder: Path
    steps: int
    seconds: float
    losses: dict
    val_psnr: float
    export_diff: float
    resumed_from: int = 0
    reference_psnr: float = None  # the still background plate on the same held-out frames
    warp_psnr: float = None  # the warps alone, unrefined, on the same frames
    stray: float = None  # paint where the real frames show the wall, share of the person's area
    video_seconds: float = None  # of the video training learnt from
    shot: dict = None  # the metadata's "shot" entry ({"size": [W, H], "plate"}), or None

    @property
    def beats_warp(self):
        """False when the kept weights render the held-out frames no better than the warps
        alone (the refiner then corrects nothing); None without held-out frames."""
        if self.val_psnr is None or self.warp_psnr is None:
            return None
        return self.val_psnr > self.warp_psnr + BEAT_MARGIN


class RendererTrainer:
    """The networks, their optimisers, the warps and one training step on :class:`pairs.Pairs`."""

    def __init__(self, pairs, config, reference, device, log_progress=None):
        self.pairs, self.config, self.device = pairs, config, device
        self.size = (pairs.frames.shape[2], pairs.frames.shape[1])
        self.part_side = max(16, min(self.size) // 4)
        self.refiner = Refiner(config["width"], config["residual_blocks"]).to(device)
        self.discriminators = Discriminators(config["d_width"], config["d_width"]).to(device)
        betas = (0.5, 0.999)
        self.opt_g = torch.optim.Adam(self.refiner.parameters(), config["lr"], betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminators.parameters(), config["d_lr"],
                                      betas=betas)
        self.reference = int(reference)
        self.train_t = pairs.train_starts(2 + config["burn_in"])
        if len(self.train_t) == 0:
            raise ModelError("too few training frames: the video's takes are under 3 frames long")
        ok = pairs.trainable()
        self.plate = background_plate(pairs.frames[ok], joints=pairs.joints[ok])
        self.bank, self.bank_rows = source_bank(pairs, reference, config["bank"], self.plate)
        started = time.monotonic()
        self.warped, self.cover = warp_pairs(pairs, self.bank, self.bank_rows, self.plate,
                                             config["exclude_seconds"], log_progress)
        log.info("warped %d frames from %d sources in %.0f s", len(pairs.frames),
                 len(self.bank_rows), time.monotonic() - started)
        self.recent_l1 = collections.deque(maxlen=RECENT)
        self.snapshot, self.since_snapshot, self.blow_ups = None, 0, 0

    def inputs(self, idx):
        """Refiner inputs of frames idx (any shape): warped, label, coverage as tensors."""
        flat = np.asarray(idx).reshape(-1)
        warped = to_tensor(self.warped[flat], self.device)
        label = to_tensor(self.pairs.labels[flat], self.device)
        cover = torch.from_numpy(self.cover[flat]).to(self.device).float()[:, None] / 255.0
        return warped, label, cover

    @torch.no_grad()
    def burn_in(self, t):
        """The refiner's own picture of frames t - 2 (B, 3, H, W), rolled out without gradients
        over the ``burn_in`` frames before, from the warp of the first: a two-frame unroll
        from a warp alone teaches it to lean on a previous picture that is still close to the
        truth, and rolled out over hundreds of frames the same weights froze."""
        first = t - 2 - self.config["burn_in"]
        prev = self.inputs(first)[0]
        for k in range(self.config["burn_in"] + 1):
            warped, label, cover = self.inputs(first + k)
            prev = self.refiner(warped, label, cover, prev)
        return prev

    def batch(self, rng):
        t = rng.choice(self.train_t, size=self.config["batch"])
        idx = np.stack([t - 2, t - 1, t], axis=1)
        warped, labels, cover = self.inputs(idx)
        frames = to_tensor(self.pairs.frames[idx.reshape(-1)], self.device)

        def seq(x):
            return x.view((len(t), 3) + x.shape[1:])

        return (seq(frames), seq(labels), seq(warped), seq(cover),
                torch.from_numpy(self.pairs.boxes[idx[:, 1:]]), t)

    def step(self, rng, gan_scale=1.0):
        """One refiner update, and one discriminator update once ``gan_scale`` > 0 (before,
        the adversarial terms are off); returns {loss: value}, or None for a step undone as a
        blow-up (:meth:`blew_up`: nothing learnt, nothing to average)."""
        frames, labels, warped, cover, boxes, t = self.batch(rng)
        prev = self.burn_in(t)
        fakes = []
        for k in (1, 2):
            fake = self.refiner(warped[:, k], labels[:, k], cover[:, k], prev)
            fakes.append(fake)
            prev = fake.detach()
        fake = torch.cat(fakes)
        real = torch.cat([frames[:, 1], frames[:, 2]])
        l1 = float(F.l1_loss(fake.detach(), real))
        if self.blew_up(l1):
            return None
        label = torch.cat([labels[:, 1], labels[:, 2]])
        box = torch.cat([boxes[:, 0], boxes[:, 1]])
        terms = self._generator_update(fake, real, label, box, gan_scale)
        if gan_scale > 0.0:
            terms.update(self._discriminator_update(fake.detach(), real, label, box))
        else:
            terms["d_gan"] = 0.0
        return terms

    def blew_up(self, l1):
        """Guard against a blow-up: True when this step's L1 is SPIKE times the recent median,
        and then the networks and their optimisers go back to the last snapshot at half the
        rates. Without normalisation layers the refiner can tip over between two ordinary
        steps (a 60 s video: L1 0.025 -> 0.57 in one step, pictures clamped white or black
        whose gradients are zero, so it never came back); otherwise a snapshot is taken every
        SNAPSHOT_STEPS steps."""
        if len(self.recent_l1) >= SETTLED and l1 > SPIKE * float(np.median(self.recent_l1)):
            self.blow_ups += 1
            rates = [[g["lr"] * 0.5 for g in opt.param_groups] for opt in (self.opt_g, self.opt_d)]
            if self.snapshot is not None:
                self.load_state(self.snapshot)
            for opt, halved in zip((self.opt_g, self.opt_d), rates):
                for group, rate in zip(opt.param_groups, halved):
                    group["lr"] = rate
            log.warning("the refiner blew up (L1 %.3f against %.3f recently): back to its last "
                        "snapshot at rate %.2g", l1, float(np.median(self.recent_l1)),
                        self.opt_g.param_groups[0]["lr"])
            self.since_snapshot = 0
            return True
        self.recent_l1.append(l1)
        if self.snapshot is None or self.since_snapshot >= SNAPSHOT_STEPS:
            self.snapshot, self.since_snapshot = copy.deepcopy(self.state()), 0
        self.since_snapshot += 1
        return False

    def _views(self, fake, real, label, box):
        """[(name, weight, label, fake, real)] of the whole picture and the part crops."""
        views = [("whole", 1.0, label, fake, real)]
        crops = [crop_parts(x, box, self.part_side) for x in (label, fake, real)]
        views += [(p, self.config["part"], crops[0][p], crops[1][p], crops[2][p]) for p in PARTS]
        return views

    def _critic(self, name):
        d = self.discriminators
        return d.whole if name == "whole" else d.parts[name]

    def _generator_update(self, fake, real, label, box, gan_scale):
        c = self.config
        l1 = F.l1_loss(fake, real)
        ssim = ms_ssim_loss(fake, real)
        total = c["l1"] * l1 + c["ssim"] * ssim
        adv = fm = part_l1 = 0.0
        for name, weight, lab, f, r in self._views(fake, real, label, box):
            if gan_scale > 0.0:
                critic = self._critic(name)
                with torch.no_grad():
                    real_features, _ = critic(lab, r)
                fake_features, scores = critic(lab, f)
                a, m = gan_generator_loss(scores), feature_matching(fake_features, real_features)
                total = total + gan_scale * weight * c["gan"] * (a + c["feature_matching"] * m)
                adv, fm = adv + float(a.detach()), fm + float(m.detach())
            if name != "whole":
                pl1 = F.l1_loss(f, r)
                total = total + weight * c["l1"] * pl1
                part_l1 += float(pl1.detach()) / len(PARTS)
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.refiner.parameters(), 1.0)
        self.opt_g.step()
        return {"l1": float(l1.detach()), "ms_ssim": 1.0 - float(ssim.detach()), "part_l1": part_l1,
                "g_gan": adv, "fm": fm}

    def _discriminator_update(self, fake, real, label, box):
        total = 0.0
        for name, weight, lab, f, r in self._views(fake, real, label, box):
            critic = self._critic(name)
            total = total + weight * gan_discriminator_loss(critic(lab, r)[1], critic(lab, f)[1])
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        return {"d_gan": float(total.detach())}

    @torch.no_grad()
    def rollout(self, frames):
        """Pictures (count, H, W, 3) uint8 of consecutive frames, feeding outputs back,
        starting from the warp of the first (as the renderer does)."""
        self.refiner.eval()
        prev, out = None, []
        for t in frames:
            warped, label, cover = self.inputs([t])
            prev = self.refiner(warped, label, cover, warped if prev is None else prev)
            out.append(to_images(prev)[0])
        self.refiner.train()
        return np.stack(out)

    def _val_frames(self):
        p = self.pairs
        return np.arange(p.n_train, p.n_train + min(self.config["val_frames"],
                                                    len(p.frames) - p.n_train))

    def _val_psnr(self, fake, frames):
        """PSNR (dB) of pictures (count, H, W, 3) against the real frames."""
        real = self.pairs.frames[frames].astype(np.float64)
        mse = max(float(((fake.astype(np.float64) - real) ** 2).mean()), 1e-10)
        return 10.0 * math.log10(255.0 ** 2 / mse)

    def validation_psnr(self):
        """PSNR (dB) of a rollout over the first held-out frames, or None without any."""
        frames = self._val_frames()
        return self._val_psnr(self.rollout(frames), frames) if len(frames) else None

    def reference_psnr(self):
        """PSNR (dB) of the background plate held still over the same frames (None without
        any): the score of a renderer that paints only the background."""
        frames = self._val_frames()
        if not len(frames):
            return None
        return self._val_psnr(np.broadcast_to(self.plate, (len(frames),) + self.plate.shape),
                              frames)

    def stray_paint(self):
        """What a rollout over the first held-out frames paints where the real frames show the
        wall (``ghosts.stray_paint``: second outlines), or None without held-out frames."""
        from .ghosts import stray_paint

        frames = self._val_frames()
        if not len(frames):
            return None
        return stray_paint(self.rollout(frames), self.pairs.frames[frames], self.plate)

    def warp_psnr(self):
        """PSNR (dB) of the warps alone over the same frames (None without any)."""
        frames = self._val_frames()
        return self._val_psnr(self.warped[frames], frames) if len(frames) else None

    def state(self):
        return {"refiner": self.refiner.state_dict(),
                "discriminators": self.discriminators.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state(self, state):
        self.refiner.load_state_dict(state["refiner"])
        self.discriminators.load_state_dict(state["discriminators"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])


def _load_checkpoint(folder, size):
    ckpt = load_checkpoint(folder, BACKEND)
    if ckpt is None:
        return None
    if ckpt.get("version") != VERSION:
        raise ModelError(f"{Path(folder) / CHECKPOINT} is from an older {BACKEND} renderer "
                         f"(version {ckpt.get('version', 1)}, which painted the labels from "
                         f"scratch); use --fresh or another folder")
    if tuple(ckpt["size"]) != tuple(size):
        raise ModelError(f"{Path(folder) / CHECKPOINT} was trained at "
                         f"{ckpt['size'][0]}x{ckpt['size'][1]}, not "
                         f"{size[0]}x{size[1]}; use the same --size or --fresh")
    return ckpt


def _save(folder, trainer, run, rng):
    path = Path(folder) / CHECKPOINT
    tmp = path.with_suffix(".pt.tmp")
    torch.save(dict(run, backend=BACKEND, version=VERSION, size=trainer.size, config=trainer.config,
                    reference=trainer.reference, np_rng=rng.bit_generator.state,
                    torch_rng=torch.get_rng_state(), **trainer.state()), tmp)
    tmp.replace(path)


def train(pairs, folder, config, steps=None, minutes=None, fresh=False, progress=None,
          checkpoint_seconds=60.0, device=None, warp_progress=None):
    """Train (or resume) a renderer in ``folder`` and export it; returns a TrainResult.

    steps : total steps of the run, counting those before a resume. minutes : wall-clock
    budget of this call (the warps are made before it starts). Both None: 20 minutes.
    warp_progress(fraction) : called as the frames are warped.
    progress(step, total_steps or None, elapsed_seconds, losses) : called after every step.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    size = (pairs.frames.shape[2], pairs.frames.shape[1])
    ckpt = None if fresh else _load_checkpoint(folder, size)
    if ckpt is not None:
        config = make_config(ckpt["config"])  # a setting added since: its default
        log.info("resuming %s training from step %d", BACKEND, ckpt["step"])
    torch.manual_seed(config["seed"])
    rng = np.random.default_rng(config["seed"])
    reference = ckpt["reference"] if ckpt is not None else reference_index(pairs)
    trainer = RendererTrainer(pairs, config, reference, device, warp_progress)
    run = {"step": 0, "elapsed": 0.0, "best": None, "history": []}
    if ckpt is not None:
        trainer.load_state(ckpt)
        run.update(step=ckpt["step"], elapsed=ckpt["elapsed"], best=ckpt["best"],
                   history=ckpt["history"])
        rng.bit_generator.state = ckpt["np_rng"]
        torch.set_rng_state(ckpt["torch_rng"])
    resumed_from = run["step"]
    if steps is None and minutes is None:
        minutes = 20.0
    start = last_save = last_val = time.monotonic()
    base, sums, count = run["elapsed"], {}, 0

    def validate():
        psnr = trainer.validation_psnr()
        run["history"].append({"step": run["step"], "val_psnr": psnr})
        if psnr is not None and (run["best"] is None or psnr >= run["best"]["psnr"]):
            run["best"] = {"step": run["step"], "psnr": psnr,
                           "refiner": copy.deepcopy(trainer.refiner.state_dict())}
        return psnr

    if run["step"] == 0:  # the starting weights render the warps: kept unless beaten
        validate()
    try:
        while steps is None or run["step"] < steps:
            if minutes is not None and time.monotonic() - start >= minutes * 60.0:
                break
            terms = trainer.step(rng, gan_scale(run["step"], config["gan_warmup"]))
            run["step"] += 1
            if terms is None:
                continue
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
            count += 1
            now = time.monotonic()
            run["elapsed"] = base + now - start
            if now - last_val >= config["val_seconds"]:
                terms["val_psnr"] = validate()
                last_val = time.monotonic()
            if progress is not None:
                progress(run["step"], steps, run["elapsed"], terms)
            if now - last_save >= checkpoint_seconds:
                _save(folder, trainer, run, rng)
                last_save = now
    except KeyboardInterrupt:
        _save(folder, trainer, run, rng)
        raise
    if not run["history"] or run["history"][-1]["step"] != run["step"]:
        validate()
    run["elapsed"] = base + time.monotonic() - start
    _save(folder, trainer, run, rng)
    if run["best"] is not None:
        trainer.refiner.load_state_dict(run["best"]["refiner"])
    diff = export(trainer, folder)
    shot = export_shot(pairs, folder)
    losses = {k: v / max(count, 1) for k, v in sums.items()}
    best = run["best"]
    result = TrainResult(folder=folder, steps=run["step"], seconds=run["elapsed"], losses=losses,
                         val_psnr=None if best is None else best["psnr"], export_diff=diff,
                         resumed_from=resumed_from, reference_psnr=trainer.reference_psnr(),
                         warp_psnr=trainer.warp_psnr(), stray=trainer.stray_paint(),
                         video_seconds=int(pairs.trainable().sum()) / pairs.fps, shot=shot)
    if result.beats_warp is False:
        log.warning("the refinement never improved on the warps alone on the held-out frames "
                    "(%.2f dB against %.2f dB): the renderer shows the warped source frames "
                    "with their seams; train longer", result.val_psnr, result.warp_psnr)
    warp_psnr = result.warp_psnr
    write_metadata(folder, {
        "backend": BACKEND, "version": VERSION, "size": list(size), "fps": pairs.fps,
        "graphs": {"refiner": GRAPH}, "inputs": list(INPUTS),
        "plate": PLATE, "bank": BANK,
        "camera": CAMERA if pairs.takes else None, "shot": shot,
        "config": trainer.config,
        "training": {"frames": int(len(pairs.frames)), "train_frames": int(pairs.trainable().sum()),
                     "pose_held_frames": int(pairs.pose_held.sum()),
                     "bank_frames": [int(k) for k in trainer.bank_rows],
                     "steps": run["step"], "seconds": round(run["elapsed"], 1),
                     "final_losses": losses, "best_step": None if best is None else best["step"],
                     "val_psnr": None if best is None else round(best["psnr"], 3),
                     "warp_psnr": None if warp_psnr is None else round(warp_psnr, 3),
                     "reference_psnr": None if result.reference_psnr is None
                     else round(result.reference_psnr, 3),
                     "beats_warp": result.beats_warp, "blow_ups": trainer.blow_ups,
                     "export_max_abs_diff": diff, "device": str(device)},
    })
    return result


def export_shot(pairs, folder):
    """Write the shot's plate; return the metadata's "shot" entry ({"size": [W, H], "plate":
    file}), or None when the pairs have none."""
    plate = pairs.shot_plate
    if plate is None:
        return None
    np.save(Path(folder) / SHOT_PLATE, plate)
    return {"size": [int(plate.shape[1]), int(plate.shape[0])], "plate": SHOT_PLATE}


def export(trainer, folder):
    """Write refiner.onnx, the plate and the source bank; return the ONNX-torch max
    difference."""
    folder = Path(folder)
    np.save(folder / PLATE, trainer.plate)
    np.savez_compressed(folder / BANK, frames=trainer.bank.frames,
                        joints=trainer.bank.joints.astype(np.float32),
                        reference=np.int64(trainer.bank.reference))
    if trainer.pairs.takes:
        trainer.pairs.takes[0].camera.save(folder / CAMERA)
    refiner = copy.deepcopy(trainer.refiner).cpu().eval()
    p = trainer.pairs
    t = min(p.n_train, len(p.frames) - 1)
    warped, label, cover = (x.cpu() for x in trainer.inputs([t]))
    feeds = {"warped": warped, "label": label, "coverage": cover,
             "prev_frame": to_tensor(p.frames[[t - 1]])}
    example = tuple(feeds[name] for name in INPUTS)
    export_graph(refiner, example, folder / GRAPH, list(INPUTS), ["frame"], time_axes={})
    diff = max_abs_difference(refiner, folder / GRAPH,
                              {k: v.numpy() for k, v in feeds.items()})
    if diff > EXPORT_TOLERANCE:
        log.warning("ONNX export differs from torch by up to %.2e", diff)
    return diff
