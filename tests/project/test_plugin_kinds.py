"""Every kind of plugin follows one rule (inference/registry.PluginKind): its entry-point group is
discovered once, shared plugins are made once, refresh looks again, and an unknown name is a
PluginError listing the installed ones."""

import pytest

from talkrig.inference.capture.landmarks import LANDMARK_DETECTOR
from talkrig.inference.generation.face import FACE_MODEL, face_models, get_face_model
from talkrig.inference.generation.generators import GENERATOR, get_generator, load_generators
from talkrig.inference.registry import PluginError
from talkrig.inference.render import RENDERER, load_renderer, renderers
from talkrig.inference.speech.timing import SPEECH_ENGINE, get_speech_plugin, speech_plugins

KINDS = [  # (kind, a built-in, its group, the thin call sites that read it)
    (GENERATOR, "procedural", "talkrig.generators", load_generators),
    (SPEECH_ENGINE, "transcript", "talkrig.speech", speech_plugins),
    (FACE_MODEL, "phones", "talkrig.face", face_models),
    (RENDERER, "skeleton", "talkrig.renderers", renderers),
    (LANDMARK_DETECTOR, "mediapipe", "talkrig.landmarks", None),
]


@pytest.mark.parametrize("kind, name, group, listing", KINDS, ids=[k[2] for k in KINDS])
def test_a_group_is_discovered_once_until_refreshed(kind, name, group, listing):
    assert kind.group == group
    entries = kind.entries()
    assert kind.entries() is entries and entries[name].available
    if listing is not None:
        assert listing() is entries
    assert kind.require(name) is entries[name].plugin
    again = kind.entries(refresh=True)
    assert again is not entries and again[name].available and kind.entries() is again


@pytest.mark.parametrize("kind, name, get", [(GENERATOR, "procedural", get_generator),
                                             (SPEECH_ENGINE, "transcript", get_speech_plugin),
                                             (FACE_MODEL, "phones", get_face_model)])
def test_shared_plugins_are_made_once_and_made_again_after_a_refresh(kind, name, get):
    first = get(name)
    assert get(name) is first and kind.instance(name) is first
    kind.entries(refresh=True)
    assert get(name) is not first and type(get(name)) is type(first)


@pytest.mark.parametrize("kind, noun, builtin", [
    (GENERATOR, "generator", "procedural"), (SPEECH_ENGINE, "speech engine", "transcript"),
    (FACE_MODEL, "face model", "phones"), (RENDERER, "renderer", "skeleton"),
    (LANDMARK_DETECTOR, "landmark detector", "mediapipe")])
def test_an_unknown_name_lists_the_installed_plugins_of_its_kind(kind, noun, builtin):
    with pytest.raises(PluginError, match=rf"^unknown {noun} 'nope'; available: .*{builtin}"):
        kind.require("nope")


def test_renderers_are_built_per_use():
    """A renderer holds one video's state: each load is a new one."""
    first, second = load_renderer("skeleton"), load_renderer("skeleton")
    try:
        assert first is not second and type(first) is type(second)
    finally:
        first.close()
        second.close()
