"""The words an engine found in the last few recordings, kept in the process: a second take of
the same line (another seed, another generator, the add-on's Generate pressed again) skips the
engine, which is most of a take's wait without a timed transcript (4 s of recognition on a
minute of speech, where the take itself is 0.6 s).

An engine's words are taken to depend on the sound it hears, the script and its options only:
the built-in engines are deterministic by design (pocketsphinx's dither is seeded, each piece
starts from a reset front end), so what is kept is what the engine would find again.
"""

import copy
import json
import threading
from collections import OrderedDict

KEPT = 16  # recordings' results kept: a few hundred words each


class RecentWords:
    """A small least-recently-used store of engine results, safe across a server's threads."""

    def __init__(self, size=KEPT):
        self.size = size
        self._found = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(plugin, audio, transcript, options):
        """What an engine's words depend on: the engine, the sound, the script, the options."""
        return (getattr(plugin, "name", ""), type(plugin).__module__, type(plugin).__qualname__,
                audio.hash, transcript, json.dumps(options, sort_keys=True, default=repr))

    def get(self, key):
        """A copy of the words kept under ``key``, or None."""
        with self._lock:
            found = self._found.get(key)
            if found is None:
                return None
            self._found.move_to_end(key)
        return copy.deepcopy(found)

    def put(self, key, words):
        with self._lock:
            self._found[key] = copy.deepcopy(list(words))
            self._found.move_to_end(key)
            while len(self._found) > self.size:
                self._found.popitem(last=False)

    def clear(self):
        with self._lock:
            self._found.clear()
