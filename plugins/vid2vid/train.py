"""Train the vid2vid renderer on a person's video paired with its skeleton pass (torch).

Each step unrolls two frames (vid2vid trains on sequences and feeds its own output back): the
generator paints frame t-1 from the reference picture, as the first rendered frame starts, then
frame t from its own painting of t-1. It never sees a real previous frame: given one, it learns
to copy it (consecutive frames differ little) and, fed its own pictures, freezes on the first
(a run with real previous frames nine times in ten rendered one still picture; the
``reference_prob`` setting keeps that choice). Losses on both frames: L1 and MS-SSIM on the
whole picture, a conditional PatchGAN with feature matching, and Speech2Video's part
attention: the face and the hands, cropped with ``part_boxes`` and resized, get their own
discriminators and an extra L1, all weighted ``part`` times the whole picture's. The reference
picture is the median of the training frames (``background_plate``), paired with the label of
the frame nearest the median pose.

The adversarial terms come in late and gently: for the first ``gan_warmup`` steps the generator
learns from L1 and MS-SSIM alone (the discriminators rest), then the GAN and feature-matching
weights ramp up linearly over as many steps, and the discriminators learn at ``d_lr``, below
the generator's rate. With both at 1e-3 from the first step, a run on a real lecture video
diverged (GAN losses near 110) and ended painting nothing but the reference picture.

The run saves ``checkpoint.pt`` every minute (the same command resumes), rolls the generator
over the held-out tail of the video to keep the weights with the best PSNR there (on a tie the
later weights: a model stuck on the reference scores the same at every check), warns when
those never beat the reference picture held still (the renderer then paints little more than
the background), and exports the generator to ONNX (checked against torch) with
``talkrig_model.json`` and the reference picture beside it.
"""

import copy
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ..neural.modeldir import ModelError, write_metadata
from ..neural.training.export import export_graph, max_abs_difference
from ..neural.training.loop import CHECKPOINT, load_checkpoint
from ..neural.training.settings import make_settings
from .losses import (
    feature_matching, gan_discriminator_loss, gan_generator_loss, ms_ssim_loss,
)
from .model import INPUTS, PARTS, Discriminators, Generator

log = logging.getLogger(__name__)

BACKEND = "vid2vid"
GRAPH = "generator.onnx"
REFERENCE = "reference.npy"
REFERENCE_LABEL = "reference_label.npy"
CAMERA = "camera.json"  # the camera of the first take: how the person was filmed
EXPORT_TOLERANCE = 1e-3  # of pictures in [-1, 1]
BEAT_MARGIN = 0.1  # dB over the still reference picture that counts as painting the person

DEFAULTS = {
    "width": 8,  # generator channels at full size (x2 per level)
    "residual_blocks": 2,
    "d_width": 32,
    "batch": 2,
    "lr": 1e-3,  # Adam, betas (0.5, 0.999) as pix2pix / pix2pixHD, whose 2e-4 is too slow
    # for the thousand-odd steps a CPU trains in 20 minutes
    "d_lr": 2e-4,  # the discriminators' rate: pix2pixHD's; at 1e-3 they oscillate and diverge
    "gan_warmup": 200,  # steps on L1 + MS-SSIM alone, then as many ramping the GAN terms in
    "l1": 10.0,
    "ssim": 5.0,
    "gan": 0.1,
    "feature_matching": 10.0,  # pix2pixHD's weight, relative to the GAN term
    "part": 2.0,  # each part's losses, relative to the whole picture's
    "reference_prob": 1.0,  # share of unrolls starting from the reference, not a real frame
    "val_frames": 90,
    "val_seconds": 90.0,
    "seed": 0,
}


def make_config(overrides=None):
    """DEFAULTS updated with ``overrides``, each converted to the default's type and checked
    against its range (``neural.training.settings``) before the video is read."""
    return make_settings(BACKEND, DEFAULTS, overrides)


def to_tensor(images, device="cpu"):
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float32 in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_images(x):
    """(N, 3, H, W) float in [-1, 1] -> (N, H, W, 3) uint8."""
    x = ((x.detach().clamp(-1, 1) + 1.0) * 127.5).round().byte()
    return x.permute(0, 2, 3, 1).cpu().numpy()


def background_plate(frames, max_frames=240, rows=16):
    """The per-pixel median (H, W, 3) uint8 of up to ``max_frames`` evenly spaced frames
    (N, H, W, 3): the still wall, and the body blurred over the places it usually stands.

    The generator paints changes over this picture. A single frame as the reference left its
    pose as a ghost (the changes must erase it); the median has no pose to erase. Rows are
    taken a few at a time to keep the float copy small.
    """
    pick = frames[np.linspace(0, len(frames) - 1, min(len(frames), max_frames)).astype(int)]
    return np.concatenate([np.median(pick[:, y:y + rows], axis=0)
                           for y in range(0, frames.shape[1], rows)]).round().astype(np.uint8)


def reference_index(pairs):
    """The training frame whose skeleton is nearest the median pose (a calm, typical frame);
    its label goes with the reference picture."""
    joints = pairs.joints[:pairs.n_train]
    ok = np.isfinite(joints).all(axis=(1, 2))
    median = np.median(joints[ok], axis=0)
    dist = np.where(ok, np.nan_to_num(np.abs(joints - median).sum(axis=(1, 2)), nan=np.inf),
                    np.inf)
    return int(np.argmin(dist))


def crop_parts(pictures, boxes, side):
    """{part: (B, C, side, side)} crops of pictures (B, C, H, W) at boxes (B, 3, 4)."""
    out = {}
    for k, part in enumerate(PARTS):
        crops = [pictures[b:b + 1, :, y0:y1, x0:x1]
                 for b, (x0, y0, x1, y1) in enumerate(boxes[:, k].tolist())]
        out[part] = torch.cat([F.interpolate(c, size=(side, side), mode="bilinear",
                                             align_corners=False) for c in crops])
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
    reference_psnr: float = None  # the still reference picture on the same held-out frames

    @property
    def beats_reference(self):
        """False when the kept weights render the held-out frames no better than the still
        reference picture (None without held-out frames)."""
        if self.val_psnr is None or self.reference_psnr is None:
            return None
        return self.val_psnr > self.reference_psnr + BEAT_MARGIN


class RendererTrainer:
    """The networks, their optimisers and one training step on :class:`pairs.Pairs`."""

    def __init__(self, pairs, config, reference, device):
        self.pairs, self.config, self.device = pairs, config, device
        self.size = (pairs.frames.shape[2], pairs.frames.shape[1])
        self.part_side = max(16, min(self.size) // 4)
        self.generator = Generator(config["width"], config["residual_blocks"]).to(device)
        self.discriminators = Discriminators(config["d_width"], config["d_width"]).to(device)
        betas = (0.5, 0.999)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), config["lr"], betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminators.parameters(), config["d_lr"],
                                      betas=betas)
        self.reference = int(reference)
        self.ref_picture = background_plate(pairs.frames[:pairs.n_train])
        self.ref = to_tensor(self.ref_picture[None], device)
        self.ref_label = to_tensor(pairs.labels[[reference]], device)
        self.train_t = pairs.starts(0, pairs.n_train)
        if len(self.train_t) == 0:
            raise ModelError("too few training frames: the video's takes are under 3 frames long")

    def batch(self, rng):
        t = rng.choice(self.train_t, size=self.config["batch"])
        idx = np.stack([t - 2, t - 1, t], axis=1)
        p = self.pairs
        frames = to_tensor(p.frames[idx.reshape(-1)], self.device)
        labels = to_tensor(p.labels[idx.reshape(-1)], self.device)
        shape = (len(t), 3) + frames.shape[1:]
        from_ref = torch.from_numpy(rng.random(len(t)) < self.config["reference_prob"])
        return (frames.view(shape), labels.view(shape), torch.from_numpy(p.boxes[idx[:, 1:]]),
                from_ref.to(self.device).view(-1, 1, 1, 1))

    def step(self, rng, gan_scale=1.0):
        """One generator update, and one discriminator update once ``gan_scale`` > 0 (before,
        the adversarial terms are off); returns {loss: value}."""
        frames, labels, boxes, from_ref = self.batch(rng)
        ref = self.ref.expand_as(frames[:, 0])
        prev = torch.where(from_ref, ref, frames[:, 0])
        prev_label = torch.where(from_ref, self.ref_label.expand_as(ref), labels[:, 0])
        fakes = []
        for k in (1, 2):
            fake = self.generator(labels[:, k], prev_label, prev, ref)
            fakes.append(fake)
            prev, prev_label = fake.detach(), labels[:, k]
        fake = torch.cat(fakes)
        real = torch.cat([frames[:, 1], frames[:, 2]])
        label = torch.cat([labels[:, 1], labels[:, 2]])
        box = torch.cat([boxes[:, 0], boxes[:, 1]])
        terms = self._generator_update(fake, real, label, box, gan_scale)
        if gan_scale > 0.0:
            terms.update(self._discriminator_update(fake.detach(), real, label, box))
        else:
            terms["d_gan"] = 0.0
        return terms

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
        torch.nn.utils.clip_grad_norm_(self.generator.parameters(), 1.0)
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
    def rollout(self, start, count):
        """Generated pictures (count, H, W, 3) uint8 of frames start.., feeding outputs back,
        starting from the reference picture."""
        self.generator.eval()
        prev, prev_label, out = self.ref, self.ref_label, []
        for t in range(start, start + count):
            label = to_tensor(self.pairs.labels[[t]], self.device)
            prev = self.generator(label, prev_label, prev, self.ref)
            prev_label = label
            out.append(to_images(prev)[0])
        self.generator.train()
        return np.stack(out)

    def _val_count(self):
        p = self.pairs
        return min(self.config["val_frames"], len(p.frames) - p.n_train)

    def _val_psnr(self, fake):
        """PSNR (dB) of pictures (count, H, W, 3) against the first held-out frames."""
        p = self.pairs
        real = p.frames[p.n_train:p.n_train + len(fake)].astype(np.float64)
        mse = max(float(((fake.astype(np.float64) - real) ** 2).mean()), 1e-10)
        return 10.0 * math.log10(255.0 ** 2 / mse)

    def validation_psnr(self):
        """PSNR (dB) of a rollout over the first held-out frames, or None without any."""
        count = self._val_count()
        if count < 1:
            return None
        return self._val_psnr(self.rollout(self.pairs.n_train, count))

    def reference_psnr(self):
        """PSNR (dB) of the reference picture held still over the same frames (None without
        any): the score of a renderer that paints only the background."""
        count = self._val_count()
        if count < 1:
            return None
        return self._val_psnr(np.broadcast_to(self.ref_picture, (count,) + self.ref_picture.shape))

    def state(self):
        return {"generator": self.generator.state_dict(),
                "discriminators": self.discriminators.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state(self, state):
        self.generator.load_state_dict(state["generator"])
        self.discriminators.load_state_dict(state["discriminators"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])


def _load_checkpoint(folder, size):
    ckpt = load_checkpoint(folder, BACKEND)
    if ckpt is None:
        return None
    if tuple(ckpt["size"]) != tuple(size):
        raise ModelError(f"{Path(folder) / CHECKPOINT} was trained at "
                         f"{ckpt['size'][0]}x{ckpt['size'][1]}, not "
                         f"{size[0]}x{size[1]}; use the same --size or --fresh")
    return ckpt


def _save(folder, trainer, run, rng):
    path = Path(folder) / CHECKPOINT
    tmp = path.with_suffix(".pt.tmp")
    torch.save(dict(run, backend=BACKEND, size=trainer.size, config=trainer.config,
                    reference=trainer.reference, np_rng=rng.bit_generator.state,
                    torch_rng=torch.get_rng_state(), **trainer.state()), tmp)
    tmp.replace(path)


def train(pairs, folder, config, steps=None, minutes=None, fresh=False, progress=None,
          checkpoint_seconds=60.0, device=None):
    """Train (or resume) a renderer in ``folder`` and export it; returns a TrainResult.

    steps : total steps of the run, counting those before a resume. minutes : wall-clock
    budget of this call. Both None: 20 minutes.
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
    trainer = RendererTrainer(pairs, config, reference, device)
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
                           "generator": copy.deepcopy(trainer.generator.state_dict())}
        return psnr

    try:
        while steps is None or run["step"] < steps:
            if minutes is not None and time.monotonic() - start >= minutes * 60.0:
                break
            terms = trainer.step(rng, gan_scale(run["step"], config["gan_warmup"]))
            run["step"] += 1
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
        trainer.generator.load_state_dict(run["best"]["generator"])
    diff = export(trainer, folder)
    losses = {k: v / max(count, 1) for k, v in sums.items()}
    best = run["best"]
    result = TrainResult(folder=folder, steps=run["step"], seconds=run["elapsed"], losses=losses,
                         val_psnr=None if best is None else best["psnr"], export_diff=diff,
                         resumed_from=resumed_from, reference_psnr=trainer.reference_psnr())
    if result.beats_reference is False:
        log.warning("the renderer never beat the still reference picture on the held-out frames "
                    "(%.2f dB against %.2f dB): it paints little more than the background; train "
                    "longer, or on a longer video from one fixed camera", result.val_psnr,
                    result.reference_psnr)
    write_metadata(folder, {
        "backend": BACKEND, "size": list(size), "fps": float(pairs.takes[0].motion.fps)
        if pairs.takes else 30.0,
        "graphs": {"generator": GRAPH}, "inputs": list(INPUTS),
        "reference": REFERENCE, "reference_label": REFERENCE_LABEL,
        "camera": CAMERA if pairs.takes else None,
        "config": trainer.config,
        "training": {"frames": int(len(pairs.frames)), "train_frames": int(pairs.n_train),
                     "steps": run["step"], "seconds": round(run["elapsed"], 1),
                     "final_losses": losses, "best_step": None if best is None else best["step"],
                     "val_psnr": None if best is None else round(best["psnr"], 3),
                     "reference_psnr": None if result.reference_psnr is None
                     else round(result.reference_psnr, 3),
                     "beats_reference": result.beats_reference,
                     "export_max_abs_diff": diff, "device": str(device)},
    })
    return result


def export(trainer, folder):
    """Write generator.onnx and the reference pictures; return the ONNX-torch max difference."""
    folder = Path(folder)
    np.save(folder / REFERENCE, trainer.ref_picture)
    np.save(folder / REFERENCE_LABEL, trainer.pairs.labels[trainer.reference])
    if trainer.pairs.takes:
        trainer.pairs.takes[0].camera.save(folder / CAMERA)
    generator = copy.deepcopy(trainer.generator).cpu().eval()
    p = trainer.pairs
    t = min(p.n_train, len(p.frames) - 1)
    feeds = {
        "label": to_tensor(p.labels[[t]]), "prev_label": to_tensor(p.labels[[t - 1]]),
        "prev_frame": to_tensor(p.frames[[t - 1]]), "reference": trainer.ref.cpu(),
    }
    example = tuple(feeds[name] for name in INPUTS)
    export_graph(generator, example, folder / GRAPH, list(INPUTS), ["frame"], time_axes={})
    diff = max_abs_difference(generator, folder / GRAPH,
                              {k: v.numpy() for k, v in feeds.items()})
    if diff > EXPORT_TOLERANCE:
        log.warning("ONNX export differs from torch by up to %.2e", diff)
    return diff
