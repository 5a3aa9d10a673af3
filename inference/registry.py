"""Plugin discovery through entry points: built-ins and third-party plugins use the same door.

A plugin that fails to import, or is not what its group expects, is listed as unavailable with
its error; it never breaks the others.
"""

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points

from ..motion.errors import TalkrigError

log = logging.getLogger(__name__)

GENERATORS = "talkrig.generators"
SPEECH = "talkrig.speech"
RENDERERS = "talkrig.renderers"
FACE = "talkrig.face"


class PluginError(TalkrigError):
    """A plugin is unknown, unavailable, or was given options it does not accept."""


@dataclass
class PluginEntry:
    """One discovered plugin: the loaded object, or why it could not be loaded."""

    name: str
    target: str  # "module:attr" as declared
    plugin: object = None
    error: str = ""

    @property
    def available(self):
        return self.plugin is not None


def discover(group, validate=None):
    """Load every entry point of ``group``; returns {name: PluginEntry}, sorted by name.

    validate(obj) may raise TypeError/ValueError to reject an object that loads but is not a
    usable plugin; the entry is then kept with that error.
    """
    found = {}
    for ep in entry_points(group=group):
        if ep.name in found:
            log.warning("plugin %s in %s is declared twice; keeping %s", ep.name, group, found[ep.name].target)
            continue
        entry = PluginEntry(name=ep.name, target=ep.value)
        try:
            obj = ep.load()
            if validate is not None:
                validate(obj)
            entry.plugin = obj
        except Exception as exc:  # a broken plugin must not break the others
            entry.error = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %s (%s) is unavailable: %s", ep.name, ep.value, entry.error)
        found[ep.name] = entry
    return dict(sorted(found.items()))


def require(entries, name, kind="plugin"):
    """The loaded plugin called ``name``, or a PluginError listing what is available."""
    entry = entries.get(name)
    if entry is None:
        valid = ", ".join(n for n, e in entries.items() if e.available) or "none"
        raise PluginError(f"unknown {kind} '{name}'; available: {valid}")
    if not entry.available:
        raise PluginError(f"{kind} '{name}' is unavailable: {entry.error}")
    return entry.plugin


def instance(entries, name, kind, cache):
    """The ready-to-use instance of plugin ``name`` (a class is instantiated once and kept in
    ``cache``); PluginError when it is unknown, unavailable or its constructor fails."""
    plugin = require(entries, name, kind=kind)
    key = (name, id(plugin))
    if key not in cache:
        try:
            cache[key] = plugin() if isinstance(plugin, type) else plugin
        except Exception as exc:  # a plugin's constructor failing must not crash the caller
            raise PluginError(f"{kind} '{name}' failed to start: {type(exc).__name__}: {exc}") from None
    return cache[key]
