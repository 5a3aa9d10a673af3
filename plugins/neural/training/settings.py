"""Training settings: a backend's defaults updated with the user's ``--set KEY=VALUE``, each
converted to its default's type and checked against its range before any data is read, so a
setting out of range is one line naming it, its range and the value, not minutes of training
on nonsense or a traceback at the first step.

One rule by name and kind serves every backend and the renderer's training:

- ``p_*`` and ``*_prob``: probabilities, in [0, 1]; ``dropout`` in [0, 1);
- ``lr``, ``*_lr``, ``clip`` and ``minutes``: > 0 (a rate, a gradient norm, a time budget);
- ``window``: >= 4 frames (speed, acceleration and jerk in the losses; at 1 they are NaN);
- other integers (sizes, counts, epochs): >= 1, except where 0 turns a feature off
  (``patience``, ``gan_warmup``, ``select_every``, and any whose default is 0);
- every other number (loss weights ``w_*``, lengths in frames or ms, noise levels): >= 0;
- ``seed``: the range numpy and torch take; ``ema``: the weight average's sigma_rel;
- a pair ``X_min``, ``X_max``: the minimum not above the maximum.

A backend adds its own :class:`Limit` s (``BackendTrainer.LIMITS``): a window that must be a
multiple of its stride, a choice among named values.
"""

import math
from dataclasses import dataclass

from ....inference.generation.options import check_seed
from ..modeldir import ModelError
from .ema import gamma_of

ZERO_IS_OFF = ("patience", "gan_warmup", "select_every")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Limit:
    """The values a setting takes: ``low`` to ``high`` (None: unbounded), each end open or
    closed, a multiple of ``multiple``, or one of ``choices`` (for text settings)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    multiple: int = 1
    choices: tuple = ()

    def allows(self, value):
        if self.choices:
            return value in self.choices
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return self.multiple == 1 or value % self.multiple == 0

    def __str__(self):
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.low is not None and self.high is not None:
            return (f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                    f"{')' if self.high_open else ']'}")
        bound = f"{'>' if self.low_open else '>='} {self.low:g}" if self.low is not None \
            else f"{'<' if self.high_open else '<='} {self.high:g}"
        return f"a multiple of {self.multiple}, {bound}" if self.multiple > 1 else bound


def general_limit(key, default):
    """The general rule's Limit for setting ``key`` whose default is ``default`` (None for text
    and true/false settings)."""
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        return None
    if key.startswith("p_") or key.endswith("_prob"):
        return Limit(0.0, 1.0)
    if key == "dropout":
        return Limit(0.0, 1.0, high_open=True)
    if key in ("lr", "clip", "minutes") or key.endswith("_lr"):
        return Limit(0.0, low_open=True)
    if key == "window":  # the losses' speed, acceleration and jerk need four frames
        return Limit(4)
    if isinstance(default, int):  # 0 where it turns a feature off, as a default of 0 does
        return Limit(0 if default == 0 or key in ZERO_IS_OFF else 1)
    return Limit(0.0)


def make_settings(owner, defaults, overrides=None, limits=None):
    """``defaults`` updated with ``overrides`` ({key: value or string}), each converted to its
    default's type and checked; ModelError (one line naming ``owner``'s setting) otherwise.

    limits : {key: Limit} replacing the general rule for those keys.
    """
    config = dict(defaults)
    for key, value in (overrides or {}).items():
        if key not in config:
            raise ModelError(f"unknown {owner} setting '{key}'; settings: {', '.join(sorted(config))}")
        config[key] = _convert(owner, key, value, type(defaults[key]))
    for key, value in config.items():
        _check(owner, key, value, (limits or {}).get(key) or general_limit(key, defaults[key]))
    for key in config:
        if key.endswith("_min") and key[:-4] + "_max" in config \
                and config[key] > config[key[:-4] + "_max"]:
            raise ModelError(f"{owner} setting '{key}' must not exceed '{key[:-4]}_max' "
                             f"({config[key[:-4] + '_max']:g}), got {config[key]:g}")
    return config


def _convert(owner, key, value, kind):
    """``value`` as ``kind`` (bool, int, float or str)."""
    what = {bool: "true or false", int: "an integer", float: "a finite number"}.get(kind, "text")
    try:
        if kind is bool:
            text = str(value).strip().lower()
            if text not in _TRUE + _FALSE:
                raise ValueError
            return text in _TRUE
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        converted = kind(value)
        if kind is float and not math.isfinite(converted):
            raise ValueError
        return converted
    except (TypeError, ValueError):
        raise ModelError(f"{owner} setting '{key}' must be {what}, got {value!r}") from None


def _check(owner, key, value, limit):
    where = f"{owner} setting '{key}'"
    if key == "seed":
        check_seed(value, where)
    elif key == "ema" and value:  # 0: no weight average
        try:
            gamma_of(value)
        except ValueError as exc:
            raise ModelError(f"{where}: {exc}") from None
    elif limit is not None and not limit.allows(value):
        raise ModelError(f"{where} must be {limit}, got {value!r}")
