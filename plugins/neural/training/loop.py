"""The training loop shared by every neural backend: steps, validation, checkpoints, export.

A backend subclasses :class:`BackendTrainer` (its networks, its windows, its losses, its ONNX
graphs); :func:`fit` runs it for a number of epochs or minutes, saves ``checkpoint.pt`` so an
interrupted run resumes where it stopped, then exports the ONNX graphs and the metadata and
checks the export against torch.

Validation-based early stopping, with a backend's ``patience`` setting (epochs; 0 = off):
whenever the loss on the held-out frames improves the weights are kept, training stops once
``patience`` epochs pass without improvement, and the kept weights, not the last ones, are
exported. On a minute of data a network starts to memorise the take long before the epoch
count runs out.

Weight average, with a backend's ``ema`` setting (its relative length sigma_rel; 0 or absent =
off): a running average of the weights (``ema.WeightAverage``) is validated, kept and exported
instead of the last weights; the checkpoint holds both, so a resumed run goes on averaging.

Selection by a sample score, with a backend's ``select_every`` setting (epochs; 0 or absent =
off) and its ``selection_score`` method: every ``select_every`` epochs and at the end, the
weights (the average's where there is one) are scored on what they generate, and the
best-scoring weights are kept and exported (before ``patience``, which it replaces); every
score is logged, kept in the checkpoint (a resumed run goes on from the best so far) and in the
model's metadata.
"""

import contextlib
import copy
import json
import logging
import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

try:  # numpy 2
    from numpy._core import multiarray
except ImportError:
    from numpy.core import multiarray

from .. import mocap
from ..modeldir import METADATA, ModelError, write_metadata
from .ema import WeightAverage
from ..featurenorm import NORMS
from .settings import Limit, make_settings

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
EXPORT_TOLERANCE = 1e-4


# Settings every backend takes: "feature_norm" moves each recording's audio features to the
# training speaker's level per band (``neural.featurenorm``), in training and generation.
COMMON = {"feature_norm": "none"}


class BackendTrainer:
    """Base of a backend's training recipe. Subclasses set the class attributes and implement
    ``build``, ``sample``, ``losses`` and ``export_graphs``.

    config : hyper-parameters (the backend's DEFAULTS updated with user overrides).
    stats : normalisation statistics {"input_mean", "input_std", "pose_mean", "pose_std"}
        as numpy arrays (computed from the training split unless resuming).
    """

    name = ""
    input_kind = "mel"
    DEFAULTS = {}
    epoch = 0  # epochs finished before the current one (set by ``fit``; for staged recipes)
    LIMITS = {}  # {setting: settings.Limit} where the general rule is not enough

    def __init__(self, dataset, config, stats):
        self.dataset = dataset
        self.layout = dataset.layout
        self.config = config
        self.stats = stats
        self.input_kind = self.input_kind_for(config)
        self.model = self.build()

    @classmethod
    def input_kind_for(cls, config):
        """The per-frame input ("mel", "mfcc" or "text") this configuration trains on."""
        return cls.input_kind

    @classmethod
    def make_config(cls, overrides=None):
        """DEFAULTS updated with ``overrides``, each converted to the default's type and checked
        against its range (``settings``) before any data is read."""
        config = make_settings(cls.name, {**COMMON, **cls.DEFAULTS}, overrides,
                               {"feature_norm": Limit(choices=NORMS), **cls.LIMITS})
        if config["feature_norm"] != "none" and cls.input_kind_for(config) == "text":
            if "feature_norm" in (overrides or {}):
                raise ModelError(f"{cls.name} setting 'feature_norm' normalises audio features; "
                                 "a model driven by text takes 'none'")
            config["feature_norm"] = "none"  # the backend's default is for its audio input
        return config

    def tensor(self, key):
        return torch.from_numpy(np.asarray(self.stats[key], dtype=np.float32))

    def build(self):
        raise NotImplementedError

    def steps_per_epoch(self):
        """Steps that show the model each training frame about four times."""
        frames = self.dataset.frames(self.dataset.train)
        window = self.config["window"]
        return max(1, math.ceil(4 * frames / (window * self.config["batch"])))

    def validation_sampler(self, before=0, after=0, multiple=1):
        """Windows over the held-out frames (shortened to fit them), or None without any."""
        from .data import WindowSampler

        ranges = [r for r in self.dataset.val if self.dataset.takes[r[0]].inputs is not None]
        length = WindowSampler.longest(ranges, self.config["window"], before, after, multiple)
        if length is None:
            return None
        return WindowSampler(self.dataset, ranges, length, before=before, after=after)

    def validation_batches(self, sampler, convert, rng):
        """Every validation window once, in batches, each passed through ``convert(batch, rng)``."""
        if sampler is None:
            return []
        picks, size = sampler.grid(), self.config["batch"]
        return [convert(sampler.batch(picks[k:k + size]), rng) for k in range(0, len(picks), size)]

    def sample(self, rng, validation=False):
        """One batch (a dict) of random training windows, or the list of validation batches."""
        raise NotImplementedError

    def losses(self, batch, rng):
        """{loss name: scalar tensor}, with the weighted sum under "total"."""
        raise NotImplementedError

    def export_graphs(self, folder):
        """Write the ONNX graphs; return ({graph name: filename}, {graph name: max abs diff})."""
        raise NotImplementedError

    def metadata(self):
        """Backend-specific metadata entries (windows, delays, latent sizes, ...)."""
        return {}

    def selection_score(self):
        """{"score": lower is better, "ok": meets the backend's constraints, ...figures} of the
        current weights (called in eval mode, without gradients), or None: no sample score."""
        return None


@dataclass
class TrainResult:
    folder: Path
    epochs: int
    steps: int
    seconds: float
    losses: dict
    val_loss: float = None  # of the exported weights
    export_diff: dict = field(default_factory=dict)
    resumed_from: int = 0
    best_epoch: int = None  # epoch whose weights were exported (None: the last, no validation)
    stopped_early: bool = False
    scores: list = field(default_factory=list)  # the sample scores, one per evaluation


def _save_checkpoint(path, trainer, optimizer, state):
    tmp = Path(str(path) + ".tmp")
    torch.save({
        "backend": trainer.name,
        "config": trainer.config,
        "stats": {k: np.asarray(v) for k, v in trainer.stats.items()},
        "layout": trainer.layout.to_dict(),
        "model": trainer.model.state_dict(),
        "optimizer": optimizer.state_dict(),
        **state,
    }, tmp)
    tmp.replace(path)


def load_checkpoint(folder, backend):
    """The checkpoint dict in ``folder`` or None; ModelError if it belongs to another backend."""
    path = Path(folder) / CHECKPOINT
    if not path.exists():
        check_other_model(Path(folder), backend)
        return None
    ckpt = read_checkpoint(path)
    if ckpt.get("backend") != backend:
        raise ModelError(
            f"{path} is a {ckpt.get('backend')!r} checkpoint, not {backend!r}; "
            "choose another output folder or use --fresh"
        )
    return ckpt


def read_checkpoint(path):
    """The dict a training saved at ``path``, read as data only: tensors, numbers, strings,
    containers and numpy arrays. A pickle that names anything else (code that would run while
    it is read: a planted file in an output folder) is refused, never run."""
    with torch.serialization.safe_globals(_NUMPY_GLOBALS):
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise ModelError(f"{path} is not a checkpoint talkrig wrote (it holds more than weights "
                             "and settings; it was not run); remove it or use --fresh") from None
        except Exception as exc:  # torch raises many types for a damaged file
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ModelError(f"{path}: cannot read the checkpoint ({first}); use --fresh to start over") from None
    if not isinstance(ckpt, dict):
        raise ModelError(f"{path} is not a checkpoint talkrig wrote; remove it or use --fresh")
    return ckpt


# What a checkpoint's numpy arrays and scalars unpickle through (data only: no callables).
_NUMPY_GLOBALS = [(multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
                  (multiarray.scalar, "numpy.core.multiarray.scalar"), np.ndarray, np.dtype,
                  *(type(np.dtype(code)) for code in "?bBhHiIlLqQefdgFD")]


def check_other_model(folder, backend):
    """ModelError when ``folder`` holds another backend's exported model (without its
    checkpoint), which a training of ``backend`` would replace."""
    try:
        other = json.loads((folder / METADATA).read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        return
    if other and other != backend:
        raise ModelError(f"{folder} holds a trained {other!r} model, which training {backend!r} "
                         "there would replace; choose another output folder or use --fresh")


def validation_loss(trainer, batches):
    if not batches:
        return None
    trainer.model.eval()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        values = [float(trainer.losses(b, rng)["total"]) for b in batches]
    trainer.model.train()
    return float(np.mean(values))


RESUMABLE = ("epochs", "minutes")  # settings a resume may change; the others are the checkpoint's


def fit(trainer_cls, dataset, folder, config, epochs=None, minutes=None, progress=None,
        fresh=False, checkpoint_seconds=60.0, asked=None):
    """Train, checkpoint, export and describe a model in ``folder``.

    epochs : total epochs of the run (counting epochs done before a resume); None with
        ``minutes`` means "until the time is up"; both None means config["epochs"], within
        config["minutes"] when the backend sets that time budget.
    minutes : wall-clock budget of this call.
    progress(epoch, total_epochs, elapsed_seconds, losses) : called after every epoch.
    fresh : ignore an existing checkpoint in ``folder``.
    asked : {key: value} the settings the user gave (``--set``, ``--seed``); a resume refuses
        those that differ from the checkpoint's instead of training on without them.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    ckpt = None if fresh else load_checkpoint(folder, trainer_cls.name)
    if ckpt is not None:
        if ckpt["layout"] != dataset.layout.to_dict():
            raise ModelError(f"{folder / CHECKPOINT} was trained on another joint set or "
                             "expression count; use --fresh to start over")
        _check_resumed_settings(folder, ckpt["config"], config, asked or {})
        config, stats = ckpt["config"], ckpt["stats"]
        if "norm_mean" in stats:  # the features as the checkpoint's first epoch saw them
            dataset.normalise_inputs(config["feature_norm"], (stats["norm_mean"], stats["norm_std"]))
        log.info("resuming %s training from epoch %d", trainer_cls.name, ckpt["epoch"])
    else:
        stats = {}
        if config.get("feature_norm", "none") != "none":
            stats.update(zip(("norm_mean", "norm_std"), dataset.normalise_inputs(config["feature_norm"])))
        stats.update(zip(("input_mean", "input_std"), dataset.input_stats()))
        stats.update(zip(("pose_mean", "pose_std"), dataset.pose_stats()))
    torch.manual_seed(config["seed"])
    trainer = trainer_cls(dataset, config, stats)
    optimizer = torch.optim.Adam(trainer.model.parameters(), lr=config["lr"])
    average = WeightAverage(trainer.model, config["ema"]) if config.get("ema") else None
    run = {"epoch": 0, "steps": 0, "elapsed": 0.0, "history": [], "best": None, "stopped": False,
           "scores": []}
    rng = np.random.default_rng(config["seed"])
    if ckpt is not None:
        trainer.model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if average is not None and "ema" in ckpt:
            average.load_state_dict(ckpt["ema"])
        run.update({k: ckpt[k] for k in ("epoch", "steps", "elapsed")}, history=ckpt["history"],
                   best=ckpt.get("best"), stopped=ckpt.get("stopped", False),
                   scores=ckpt.get("scores", []))
        rng.bit_generator.state = ckpt["np_rng"]
        torch.set_rng_state(ckpt["torch_rng"])
    resumed_from = run["epoch"]
    if epochs is None and minutes is None:
        epochs, minutes = config["epochs"], config.get("minutes")

    def save():
        extra = {} if average is None else {"ema": average.state_dict()}
        _save_checkpoint(folder / CHECKPOINT, trainer, optimizer, dict(
            run, np_rng=rng.bit_generator.state, torch_rng=torch.get_rng_state(), **extra))

    def averaged():
        """The weights to validate and keep: the average's where there is one."""
        return contextlib.nullcontext() if average is None else average.applied(trainer.model)

    val_batches = trainer.sample(np.random.default_rng(1), validation=True)
    per_epoch = trainer.steps_per_epoch()
    last = run["history"][-1] if run["history"] else {}
    losses, val_loss, val_epoch = last.get("losses", {}), last.get("val"), last.get("val_epoch")
    start = last_save = time.monotonic()
    base = run["elapsed"]
    select_every = int(config.get("select_every", 0))
    patience = 0 if select_every else int(config.get("patience", 0))
    trainer.model.train()
    try:
        while (epochs is None or run["epoch"] < epochs) and not run["stopped"]:
            if minutes is not None and time.monotonic() - start >= minutes * 60.0:
                break
            trainer.epoch = run["epoch"]
            losses = _epoch(trainer, optimizer, rng, per_epoch, config.get("clip", 1.0), average)
            run["steps"] += per_epoch
            run["epoch"] += 1
            due = run["epoch"] % config.get("val_every", 5) == 0 or run["epoch"] == epochs
            if val_batches and due:
                with averaged():
                    val_loss, val_epoch = validation_loss(trainer, val_batches), run["epoch"]
                    if patience:
                        _keep_best(run, trainer, val_loss)
                        run["stopped"] = run["epoch"] - run["best"]["epoch"] >= patience
            score = None
            if select_every and (run["epoch"] % select_every == 0 or run["epoch"] == epochs):
                with averaged():
                    score = _select(run, trainer)
            run["history"].append({"epoch": run["epoch"], "losses": losses, "val": val_loss,
                                   "val_epoch": val_epoch})
            now = time.monotonic()
            run["elapsed"] = base + now - start
            if progress is not None:
                shown = dict(losses, val=val_loss)
                if score is not None:
                    shown.update(score=score["score"])
                progress(run["epoch"], epochs, run["elapsed"], shown)
            if now - last_save >= checkpoint_seconds:
                save()
                last_save = now
    except KeyboardInterrupt:
        save()  # the same command resumes from the last finished epoch
        raise
    run["elapsed"] = base + time.monotonic() - start
    if val_batches and val_epoch != run["epoch"]:
        with averaged():
            val_loss = validation_loss(trainer, val_batches)
            if patience:
                _keep_best(run, trainer, val_loss)
    if select_every and not any(s["epoch"] == run["epoch"] for s in run["scores"]):
        with averaged():
            _select(run, trainer)
    save()
    best = run["best"]
    if best is not None:
        trainer.model.load_state_dict(best["state"])
        val_loss = best["val"] if "val" in best else validation_loss(trainer, val_batches)
        if best["epoch"] != run["epoch"]:
            log.info("exporting the weights of epoch %d (%s), not of the last epoch %d",
                     best["epoch"], f"validation loss {best['val']:.4g}" if "val" in best
                     else f"sample score {best['score']:.4g}", run["epoch"])
    elif average is not None:
        trainer.model.load_state_dict(average.weights, strict=False)
    trainer.model.eval()
    graphs, diffs = trainer.export_graphs(folder)
    if diffs and max(diffs.values()) > EXPORT_TOLERANCE:
        log.warning("ONNX export differs from torch by up to %.2e (tolerance %.0e)",
                    max(diffs.values()), EXPORT_TOLERANCE)
    best_epoch = None if best is None else best["epoch"]
    summary = dict(dataset.summary(), epochs=run["epoch"], steps=run["steps"],
                   seconds=round(run["elapsed"], 1), final_losses=losses, val_loss=val_loss,
                   best_epoch=best_epoch, stopped_early=run["stopped"],
                   export_max_abs_diff=diffs)
    if run["scores"]:
        summary["sample_scores"] = run["scores"]
    write_metadata(folder, describe(trainer, dataset, graphs, summary))
    mocap.store(folder, dataset)
    return TrainResult(folder=folder, epochs=run["epoch"], steps=run["steps"],
                       seconds=run["elapsed"], losses=losses, val_loss=val_loss,
                       export_diff=diffs, resumed_from=resumed_from, best_epoch=best_epoch,
                       stopped_early=run["stopped"], scores=list(run["scores"]))


def _check_resumed_settings(folder, trained, config, asked):
    """ModelError when a setting the user gave differs from the one the checkpoint in
    ``folder`` trains with (``trained``): a resume keeps the checkpoint's settings, and those
    asked for were silently dropped."""
    changed = [f"{key} {trained.get(key)!r} there, {config[key]!r} asked"
               for key in asked if key not in RESUMABLE and key in config and trained.get(key) != config[key]]
    if changed:
        raise ModelError(f"{folder / CHECKPOINT} was trained with other settings ({'; '.join(changed)}); "
                         "run the same command without them to resume, or add --fresh to start "
                         "over with them")


def _keep_best(run, trainer, val_loss):
    """Remember the weights when ``val_loss`` is the lowest validation loss so far."""
    if run["best"] is None or val_loss < run["best"]["val"]:
        run["best"] = {"epoch": run["epoch"], "val": val_loss,
                       "state": copy.deepcopy(trainer.model.state_dict())}


def _select(run, trainer):
    """Score the current weights on what they generate, log the score, keep the weights when
    they rank best so far (constraints met first, then the lowest score); the score or None."""
    trainer.model.eval()
    with torch.no_grad():
        score = trainer.selection_score()
    trainer.model.train()
    if score is None:
        return None
    score = dict(score, epoch=run["epoch"], steps=run["steps"])
    run["scores"].append(score)
    best = run["best"]
    if best is None or (not score["ok"], score["score"]) < (not best["ok"], best["score"]):
        run["best"] = {"epoch": run["epoch"], "score": score["score"], "ok": score["ok"],
                       "state": copy.deepcopy(trainer.model.state_dict())}
    log.info("epoch %d: sample score %.3f%s (%s)%s", run["epoch"], score["score"],
             "" if score["ok"] else ", below its constraints",
             ", ".join(f"{k} {v:.3f}" for k, v in score.items()
                       if k not in ("score", "ok", "epoch", "steps") and v is not None),
             ", the best so far" if run["best"]["epoch"] == run["epoch"] else "")
    return score


def describe(trainer, dataset, graphs, summary):
    """The metadata written beside the ONNX graphs (see ``neural.modeldir``)."""
    stats = trainer.stats
    return {
        "backend": trainer.name,
        "fps": dataset.fps,
        "input": {"kind": trainer.input_kind, "dim": int(len(stats["input_mean"])),
                  "mean": stats["input_mean"], "std": stats["input_std"], **feature_norm(trainer)},
        "layout": trainer.layout.to_dict(),
        "pose_mean": stats["pose_mean"],
        "pose_std": stats["pose_std"],
        "root_trans": dataset.root_trans(),
        "feet_anchor": dataset.feet_anchor(),
        "speech_pace": dataset.speech_pace(),
        "angular_jerk": dataset.angular_jerk(),
        **dataset.standing(),
        "postures": dataset.postures(),
        "betas": dataset.takes[0].betas,
        "graphs": graphs,
        "config": trainer.config,
        "training": summary,
        **trainer.metadata(),
    }


def feature_norm(trainer):
    """The model's per-recording feature normalisation as stored in its metadata
    ({"norm": {"kind", "mean", "std"}}, see ``neural.featurenorm``); {} without it."""
    if "norm_mean" not in trainer.stats:
        return {}
    return {"norm": {"kind": trainer.config["feature_norm"], "mean": trainer.stats["norm_mean"],
                     "std": trainer.stats["norm_std"]}}


def _epoch(trainer, optimizer, rng, steps, clip, average=None):
    """Run ``steps`` optimisation steps (folding each into ``average``, a WeightAverage or None);
    return the mean of each loss term."""
    sums = {}
    for _ in range(steps):
        terms = trainer.losses(trainer.sample(rng), rng)
        optimizer.zero_grad(set_to_none=True)
        terms["total"].backward()
        torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), clip)
        optimizer.step()
        if average is not None:
            average.update(trainer.model)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
    return {k: v / steps for k, v in sums.items()}
