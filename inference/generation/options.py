"""Options a person gives: plugin options (a small JSON-schema-like spec per option, and
validation against it) and the rules for a generation's seed and calm amount.

The server and the Blender add-on draw their UI from ``Option.to_dict()``; the CLI passes
``--option k=v`` strings and the server passes JSON values, so :func:`validate_options`
accepts both and converts them to the declared type. Command flags, batch manifests, training
settings and the server all check seeds and calm with :func:`check_seed` and :func:`check_calm`.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...motion.errors import TalkrigError, brief
from ..registry import PluginError

TYPES = ("int", "float", "bool", "str", "choice", "path")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Option:
    """One option of a plugin.

    type : "int", "float", "bool", "str", "choice" (one of ``choices``) or "path".
    default : the value used when the option is not given (None: unset).
    min, max : inclusive bounds for int and float options.
    required : the plugin cannot run without it (e.g. the matching generator's library).
    """

    name: str
    type: str
    default: object = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    required: bool = False

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"option {self.name}: type must be one of {', '.join(TYPES)}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"option {self.name}: a choice option needs choices")

    def to_dict(self):
        """The option as plain JSON data: name, type, default, min, max, choices, help, required."""
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices),
            "help": self.help,
            "required": self.required,
        }

    def coerce(self, value, owner="plugin"):
        """``value`` converted to this option's type, or a PluginError saying what is wrong."""
        where = f"{owner} option '{self.name}'"
        if value is None:
            return None
        try:
            if self.type == "bool":
                value = _to_bool(value)
            elif self.type == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                value = int(value)
            elif self.type == "float":
                if isinstance(value, bool):
                    raise ValueError
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError
            elif self.type == "path":
                value = str(Path(str(value)).expanduser())
            else:
                value = str(value)
        except (TypeError, ValueError):
            raise PluginError(f"{where} must be {_article(self.type)}, got {value!r}") from None
        if self.type == "choice" and value not in self.choices:
            raise PluginError(f"{where} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if self.min is not None and value < self.min:
            raise PluginError(f"{where} must be >= {self.min}, got {value}")
        if self.max is not None and value > self.max:
            raise PluginError(f"{where} must be <= {self.max}, got {value}")
        return value


def _to_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def _article(type_name):
    return {"int": "an integer", "float": "a number", "bool": "true or false",
            "path": "a path", "choice": "a choice", "str": "a string"}[type_name]


def validate_options(specs, given, owner="plugin"):
    """Check ``given`` ({name: value}) against ``specs`` (Options); return all values, defaults filled.

    Unknown names and missing required options raise a PluginError that lists the valid options.
    """
    given = dict(given or {})
    by_name = {spec.name: spec for spec in specs}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        valid = ", ".join(by_name) or "none"
        raise PluginError(f"{owner} has no option '{unknown[0]}'; valid options: {valid}")
    values = {}
    for spec in specs:
        value = spec.coerce(given[spec.name], owner) if spec.name in given else spec.default
        if value is None and spec.required:
            raise PluginError(f"{owner} needs option '{spec.name}': {spec.help}")
        values[spec.name] = value
    return values


def parse_option_strings(items, flag="--option"):
    """``["k=v", ...]`` (the CLI's --option flags) -> {k: "v"}; a malformed item is a PluginError."""
    result = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise PluginError(f"{flag} '{item}' must look like name=value")
        result[key.strip()] = value.strip()
    return result


def check_seed(seed, what="seed"):
    """``seed`` as an int from 0 to MAX_SEED (2**32 - 1), the range numpy and torch both take.

    The one rule for every seed a person gives: command flags, batch manifests, the server.
    what : how the value is named in the message ("--seed", "option 'seed'").
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed <= MAX_SEED:
        raise TalkrigError(f"{what} must be a whole number from 0 to {MAX_SEED}, got {brief(seed)}")
    return int(seed)


def check_calm(value, what="calm"):
    """The calm amount as a float in [0, 1]; TalkrigError naming ``what`` otherwise."""
    try:
        calm = float(value) if not isinstance(value, (bool, str)) else float("nan")
    except (TypeError, ValueError):
        calm = float("nan")
    if not 0.0 <= calm <= 1.0:  # also refuses NaN
        raise TalkrigError(f"{what} must be a number from 0 to 1, got {value!r}")
    return calm
