"""Every kind of plugin follows one rule (inference/registry.PluginKind): its entry-point group is
discovered once, shared plugins are made once, refresh looks again, and an unknown name is a
PluginError listing the installed ones."""

import sys
import types
from importlib.metadata import EntryPoint

import pytest

from talkrig.inference import registry
from talkrig.inference.capture.landmarks import LANDMARK_DETECTOR
from talkrig.inference.generation.face import FACE_MODEL, face_models, get_face_model
from talkrig.inference.generation.generators import GENERATOR, get_generator, load_generators
from talkrig.inference.registry import PluginError, PluginKind
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


def test_a_plugin_asked_for_by_name_is_loaded_without_the_rest_of_its_group(monkeypatch, tmp_path):
    """A take from the command line names its generator: the others (the neural ones import
    their runtime) are not imported until the group is listed; an unknown or broken name still
    gets the whole group's listing."""
    (tmp_path / "talkrig_test_other_plugin.py").write_text("class Other:\n    name = 'other'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = types.ModuleType("talkrig_test_wanted_plugin")
    module.Wanted = type("Wanted", (), {"name": "wanted"})
    monkeypatch.setitem(sys.modules, "talkrig_test_wanted_plugin", module)
    group = "talkrig.test-lazy"
    declared = [EntryPoint("wanted", "talkrig_test_wanted_plugin:Wanted", group),
                EntryPoint("other", "talkrig_test_other_plugin:Other", group),
                EntryPoint("broken", "talkrig_no_such_module_xyz:Gen", group)]
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [ep for ep in declared if ep.group == group])
    kind = PluginKind(group, "test plugin")
    assert isinstance(kind.instance("wanted"), module.Wanted)
    assert "talkrig_test_other_plugin" not in sys.modules
    with pytest.raises(PluginError, match=r"'broken' is unavailable: ModuleNotFoundError"):
        kind.require("broken")
    assert "talkrig_test_other_plugin" in sys.modules  # the listing loaded the whole group
    assert set(kind.entries()) == {"wanted", "other", "broken"}
    assert kind.instance("wanted") is kind.instance("wanted")
    monkeypatch.delitem(sys.modules, "talkrig_test_other_plugin")
