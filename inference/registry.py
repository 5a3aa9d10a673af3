"""Plugin discovery through entry points: built-ins and third-party plugins use the same door.

Every kind of plugin is a :class:`PluginKind` over one entry-point group, made beside the spec
its plugins follow (the spec module holds the check of what a plugin of that kind needs):

    talkrig.generators  generators.GENERATOR     talkrig.speech     speech.SPEECH_ENGINE
    talkrig.face        face.FACE_MODEL          talkrig.renderers  render.RENDERER
    talkrig.landmarks   capture.landmarks.LANDMARK_DETECTOR

One rule for all of them: a group is discovered once per process (``entries(refresh=True)``
looks again and forgets the instances), and a plugin used as a shared instance (generators,
speech engines, face models: they keep models loaded) is made once per loaded plugin. Renderers
and landmark detectors hold the state of one video: their callers build a new one per use from
:meth:`PluginKind.require`. A plugin that fails to import, or is not what its group expects, is
listed as unavailable with its error; it never breaks the others.
"""

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from ..motion.errors import TalkrigError, did_you_mean

log = logging.getLogger(__name__)

GENERATORS = "talkrig.generators"
SPEECH = "talkrig.speech"
RENDERERS = "talkrig.renderers"
FACE = "talkrig.face"
LANDMARKS = "talkrig.landmarks"


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


def entry_points(group):
    """The entry points the installed packages declare for ``group``."""
    return _declared().select(group=group)


@lru_cache(maxsize=1)
def _declared():
    """Every installed package's entry points, read once for all the groups: each read opens
    every package's metadata (some 370 in a full install, 8 ms a read)."""
    return metadata.entry_points()


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
        found[ep.name] = load_entry(ep, validate)
    return dict(sorted(found.items()))


def load_entry(ep, validate=None, quiet=False):
    """The PluginEntry of one entry point: its object, or why it could not be loaded (logged
    unless ``quiet``)."""
    entry = PluginEntry(name=ep.name, target=ep.value)
    try:
        obj = ep.load()
        if validate is not None:
            validate(obj)
        entry.plugin = obj
    except Exception as exc:  # a broken plugin must not break the others
        entry.error = f"{type(exc).__name__}: {exc}"
        if not quiet:
            log.warning("plugin %s (%s) is unavailable: %s", ep.name, ep.value, entry.error)
    return entry


def require(entries, name, kind="plugin"):
    """The loaded plugin called ``name``, or a PluginError listing what is available."""
    entry = entries.get(name)
    if entry is None:
        valid = ", ".join(n for n, e in entries.items() if e.available) or "none"
        raise PluginError(f"unknown {kind} '{name}'{did_you_mean(name, entries)}; available: {valid}")
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


class PluginKind:
    """The plugins of one entry-point group: discovered once, checked by ``check(obj)`` (a
    TypeError/ValueError marks the entry unavailable), named ``noun`` in messages."""

    def __init__(self, group, noun, check=None):
        self.group = group
        self.noun = noun
        self.check = check
        self._entries = None
        self._named = {}  # plugins loaded by name before the group was discovered
        self._instances = {}
        self._lock = threading.RLock()  # a constructor may look up another plugin of its kind

    def entries(self, refresh=False):
        """{name: PluginEntry} of every plugin of the group; broken ones are kept with their error."""
        with self._lock:
            if self._entries is None or refresh:
                if refresh:
                    _declared.cache_clear()
                self._entries = discover(self.group, self.check)
                self._named.clear()
                self._instances.clear()
            return self._entries

    def named(self, name):
        """{name: PluginEntry} holding plugin ``name`` alone, loaded without the rest of the
        group (a take from the command line need not import every generator), or every plugin
        of the group when ``name`` is not declared exactly once or does not load (so the error
        lists the others)."""
        with self._lock:
            if self._entries is not None:
                return self._entries
            if name not in self._named:
                declared = [ep for ep in entry_points(group=self.group) if ep.name == name]
                if len(declared) != 1:
                    return self.entries()
                entry = load_entry(declared[0], self.check, quiet=True)
                if not entry.available:
                    return self.entries()
                self._named[name] = {name: entry}
            return self._named[name]

    def require(self, name, entries=None):
        """The loaded plugin (class or object) called ``name``; PluginError listing the others."""
        return require(self.named(name) if entries is None else entries, name, kind=self.noun)

    def instance(self, name, entries=None):
        """The shared instance of plugin ``name`` (a class is instantiated once); PluginError when
        it is unknown, unavailable or its constructor fails."""
        entries = self.named(name) if entries is None else entries
        with self._lock:
            return instance(entries, name, self.noun, self._instances)
