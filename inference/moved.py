"""Old module paths that still import, for one release, after the rooms were grouped by stage.

``inference/`` was one flat room and ``plugins/`` one folder per plugin; scripts that import
``talkrig.inference.pipeline`` or ``talkrig.plugins.procedural`` get the module at its new home
(``talkrig.inference.generation.pipeline``, ``talkrig.plugins.generators.procedural``) and a
DeprecationWarning naming it. The four modules that became packages of the same name (audio,
features, speech, live) forward their old attributes from the package itself
(:func:`forward`). Remove this file, and the calls to it, in the release after next.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# old dotted path (below the package) -> new one; a package's modules move with it.
MOVED = {
    "inference.activity": "inference.features.activity",
    "inference.audio_containers": "inference.audio.containers",
    "inference.data": "inference.generation.data",
    "inference.english_text": "inference.speech.english_text",
    "inference.face": "inference.generation.face",
    "inference.feet": "inference.generation.feet",
    "inference.generators": "inference.generation.generators",
    "inference.keyposes": "inference.generation.keyposes",
    "inference.languages": "inference.speech.languages",
    "inference.live_face": "inference.live.face",
    "inference.live_features": "inference.live.features",
    "inference.native_output": "inference.audio.native_output",
    "inference.onsets": "inference.features.onsets",
    "inference.options": "inference.generation.options",
    "inference.phoneset": "inference.speech.phoneset",
    "inference.pipeline": "inference.generation.pipeline",
    "inference.pitch": "inference.features.pitch",
    "inference.postprocess": "inference.generation.postprocess",
    "inference.spectrum": "inference.features.spectrum",
    "inference.speech_mouth": "inference.generation.speech_mouth",
    "inference.transcripts": "inference.speech.transcripts",
    "inference.windows": "inference.generation.windows",
    "inference.words": "inference.speech.words",
    "plugins.a2g": "plugins.generators.a2g",
    "plugins.capture": "plugins.landmarks.mediapipe",
    "plugins.dr2": "plugins.generators.dr2",
    "plugins.espeak": "plugins.speech.espeak",
    "plugins.facephones": "plugins.face.phones",
    "plugins.ldm": "plugins.generators.ldm",
    "plugins.matching": "plugins.generators.matching",
    "plugins.pocketsphinx": "plugins.speech.pocketsphinx",
    "plugins.procedural": "plugins.generators.procedural",
    "plugins.s2v": "plugins.generators.s2v",
    "plugins.skeleton": "plugins.renderers.skeleton",
    "plugins.transcript": "plugins.speech.transcript",
    "plugins.vid2vid": "plugins.renderers.vid2vid",
    "plugins.vosk": "plugins.speech.vosk",
}


def new_name(fullname, package="talkrig"):
    """The new dotted name of an old module path, or None when it did not move."""
    prefix = package + "."
    if not fullname.startswith(prefix):
        return None
    name = fullname[len(prefix):]
    for old in sorted(MOVED, key=len, reverse=True):
        if name == old or name.startswith(old + "."):
            return prefix + MOVED[old] + name[len(old):]
    return None


class _Alias(importlib.abc.Loader):
    """Loads an old path as the module already at its new home (one object under two names)."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


class MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = new_name(fullname, __name__.split(".")[0])
        if new is None:
            return None
        warnings.warn(f"{fullname} moved to {new}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=2)
        return importlib.util.spec_from_loader(fullname, _Alias(new))


def install():
    """Put the finder on sys.meta_path once (both inference and plugins call it)."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedFinder())


def forward(package, module, name):
    """An attribute of the module a package replaced (``talkrig.inference.audio`` was the
    decoder, now ``audio.decode``), for one release. The package's own submodules are never
    forwarded: ``from .speech import words`` must find the submodule, not import the old
    module on the way."""
    if name.startswith("__") or importlib.util.find_spec(f"{package}.{name}") is not None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    target = importlib.import_module(f"{package}.{module}")
    try:
        value = getattr(target, name)
    except AttributeError:
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    warnings.warn(f"{package}.{name} moved to {package}.{module}.{name}; the old path goes in "
                  "the next release", DeprecationWarning, stacklevel=3)
    return value
