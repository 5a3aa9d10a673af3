"""What the server can run: generator and speech plugins, discovered once and described for clients."""

import logging
import threading

from ..generation import generators as gen
from ..registry import GENERATORS, RENDERERS, SPEECH, PluginError

log = logging.getLogger(__name__)

SPEECH_MODES = ("auto", "none")  # speech values that are not engine names


class Catalog:
    """Plugins as the server sees them.

    generators / speech / renderers : {name: registry.PluginEntry}; None discovers the
        installed entry points (tests pass their own).
    """

    def __init__(self, generators=None, speech=None, renderers=None):
        self._generators = generators
        self._speech = speech
        self._renderers = renderers
        self._used = set()
        self._lock = threading.Lock()

    @property
    def generators(self):
        if self._generators is None:
            self._generators = gen.load_generators()
        return self._generators

    @property
    def speech(self):
        if self._speech is None:
            from ..speech.timing import speech_plugins

            self._speech = speech_plugins()
        return self._speech

    @property
    def renderers(self):
        if self._renderers is None:
            from ..render import renderers

            self._renderers = renderers()
        return self._renderers

    def generator(self, name):
        """The generator instance ``name`` (loaded once); PluginError lists the valid names."""
        if not isinstance(name, str) or not name:
            raise PluginError(f"option 'backend' must be a generator name; available: "
                              f"{', '.join(self.generator_names()) or 'none'}")
        instance = gen.get_generator(name, self.generators)
        with self._lock:
            self._used.add(name)
        return instance

    def generator_names(self):
        return [name for name, entry in self.generators.items() if entry.available]

    def speech_names(self):
        return [name for name, entry in self.speech.items() if entry.available]

    def check_speech(self, value):
        """``value`` if it is "auto", "none" or an available speech engine, else PluginError."""
        if value in SPEECH_MODES:
            return value
        entry = self.speech.get(value) if isinstance(value, str) else None
        if entry is None or not entry.available:
            valid = ", ".join(list(SPEECH_MODES) + self.speech_names())
            why = f" ({entry.error})" if entry is not None else ""
            raise PluginError(f"option 'speech' must be one of {valid}; got {value!r}{why}")
        unavailable = getattr(entry.plugin, "unavailable", None)
        if isinstance(entry.plugin, type) and unavailable is not None:
            from ..speech.timing import get_speech_plugin

            unavailable = get_speech_plugin(value, self.speech).unavailable
        reason = unavailable() if callable(unavailable) else ""
        if reason:
            raise PluginError(f"speech engine '{value}' cannot run on this server: {reason}")
        return value

    def describe_backends(self):
        """One dict per generator: describe() (options schema included), available, error."""
        return gen.list_generators(self.generators)

    def describe_speech(self):
        return [{"name": name, "available": entry.available, "error": entry.error or None}
                for name, entry in self.speech.items()]

    def failed(self):
        """Plugins that did not load, with why: [{"group", "name", "error"}]."""
        groups = ((GENERATORS, self.generators), (SPEECH, self.speech), (RENDERERS, self.renderers))
        return [{"group": group, "name": name, "error": entry.error}
                for group, entries in groups for name, entry in entries.items() if not entry.available]

    def loaded(self):
        """Generators this server has loaded (their models stay in memory across jobs)."""
        with self._lock:
            used = sorted(self._used)
        out = []
        for name in used:
            entry = self.generators.get(name)
            caps = {}
            if entry is not None and entry.available:
                try:
                    caps = gen.describe_generator(gen.get_generator(name, self.generators)).get(
                        "capabilities", {})
                except Exception:  # describe() of a third-party plugin may be broken
                    caps = {}
            out.append({"name": name, "needs_model": bool(caps.get("needs_model")),
                        "needs_data": bool(caps.get("needs_data"))})
        return out
