"""Generator plugins: describe() schemas, option validation, discovery through entry points
(built-ins, a third-party plugin, broken ones) and the pipeline running a third-party plugin."""

import json
import sys
import types
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from talkrig.inference.generation import generators as gen_mod
from talkrig.inference import registry
from talkrig.inference.generation.generators import (
    Generator, check_options, get_generator, list_generators, load_generators,
)
from talkrig.inference.generation.options import Option, parse_option_strings, validate_options
from talkrig.inference.registry import PluginError
from talkrig.motion import Motion

OPTION_KEYS = {"name", "type", "default", "min", "max", "choices", "help", "required"}


@pytest.fixture(autouse=True)
def fresh_registry():
    """Every test sees the entry points as they are now, and leaves no fake ones behind."""
    load_generators(refresh=True)
    yield
    load_generators(refresh=True)


@pytest.mark.parametrize("name", ["procedural", "matching"])
def test_builtins_register_through_entry_points_and_describe_themselves(name):
    entries = load_generators()
    assert entries[name].available, entries[name].error
    info = get_generator(name).describe()
    assert info["name"] == name and info["summary"]
    assert set(info["capabilities"]) >= {"needs_data", "needs_model", "stochastic", "initial_pose"}
    assert info["capabilities"]["needs_model"] is False
    assert info["capabilities"]["needs_data"] is (name == "matching")
    for opt in info["options"]:
        assert set(opt) == OPTION_KEYS
        assert opt["type"] in ("int", "float", "bool", "str", "choice", "path")
    json.dumps(info)  # the server sends it as JSON


def test_unknown_option_error_lists_the_valid_ones():
    with pytest.raises(PluginError) as err:
        check_options(get_generator("procedural"), {"energyy": 1})
    assert "energyy" in str(err.value)
    for valid in ("energy", "gesture_rate", "head", "idle"):
        assert valid in str(err.value)


def test_options_from_cli_strings_are_converted_and_checked():
    values = check_options(get_generator("procedural"),
                           parse_option_strings(["energy=1.5", "expressions=no", "dominant_hand=left"]))
    assert values["energy"] == 1.5 and values["expressions"] is False
    assert values["dominant_hand"] == "left" and values["head"] == 1.0  # default filled
    with pytest.raises(PluginError, match="between|<= 2.0"):
        check_options(get_generator("procedural"), {"energy": "5"})
    with pytest.raises(PluginError, match="a number"):
        check_options(get_generator("procedural"), {"energy": "lots"})
    with pytest.raises(PluginError, match="one of right, left"):
        check_options(get_generator("procedural"), {"dominant_hand": "both"})
    with pytest.raises(PluginError, match="name=value"):
        parse_option_strings(["energy"])


def test_a_required_option_must_be_given():
    with pytest.raises(PluginError, match="library"):
        check_options(get_generator("matching"), {})


def test_option_validation_of_json_values():
    specs = (Option("n", "int", 3, min=1, max=9), Option("on", "bool", True), Option("x", "float", 0.5))
    assert validate_options(specs, {"n": 4.0, "on": 0, "x": 2}) == {"n": 4, "on": False, "x": 2.0}
    with pytest.raises(PluginError, match="integer"):
        validate_options(specs, {"n": 2.5})
    with pytest.raises(PluginError, match="integer"):
        validate_options(specs, {"n": True})


class WaveGenerator(Generator):
    """A third-party generator: waves the right forearm, one window at a time."""

    name = "wave"
    summary = "test plugin"
    options = (Option("speed", "float", 1.0, "waves per second", 0.1, 5.0),)
    rates = []

    def generation_fps(self, options, fps):
        return 30.0  # like a trained model with a fixed rate

    def generate_window(self, request, window):
        self.rates.append((request.fps, request.features.fps))
        t = np.arange(window.start, window.stop) / request.fps
        poses = np.zeros((window.n_frames, 55, 3), np.float32)
        poses[:, 19, 1] = 1.0 + 0.5 * np.sin(2 * np.pi * request.options["speed"] * t)
        return Motion(poses=poses, trans=np.zeros((window.n_frames, 3)), fps=request.fps)


@pytest.fixture
def fake_entry_points(monkeypatch):
    """Install a third-party plugin, a broken import and a non-generator next to the real ones."""
    module = types.ModuleType("talkrig_test_thirdparty")
    module.WaveGenerator = WaveGenerator
    module.NotAGenerator = object()
    monkeypatch.setitem(sys.modules, "talkrig_test_thirdparty", module)
    real = registry.entry_points

    def entry_points(group):
        found = list(real(group=group))
        if group == registry.GENERATORS:
            found += [
                EntryPoint("wave", "talkrig_test_thirdparty:WaveGenerator", group),
                EntryPoint("broken", "talkrig_no_such_module_xyz:Gen", group),
                EntryPoint("junk", "talkrig_test_thirdparty:NotAGenerator", group),
            ]
        return found

    monkeypatch.setattr(registry, "entry_points", entry_points)
    return load_generators(refresh=True)


def test_third_party_and_broken_plugins_are_listed_side_by_side(fake_entry_points):
    listed = {item["name"]: item for item in list_generators()}
    assert listed["wave"]["available"] and listed["wave"]["options"][0]["name"] == "speed"
    assert listed["procedural"]["available"] and listed["matching"]["available"]
    assert not listed["broken"]["available"]
    assert "talkrig_no_such_module_xyz" in listed["broken"]["error"]
    assert not listed["junk"]["available"] and "a generator needs" in listed["junk"]["error"]
    with pytest.raises(PluginError, match="unavailable.*talkrig_no_such_module_xyz"):
        get_generator("broken")
    with pytest.raises(PluginError, match="available: .*procedural"):
        get_generator("nonexistent")


def test_the_pipeline_runs_a_third_party_generator(fake_entry_points, scott_wav):
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.container import frame_count

    result = generate(str(scott_wav), GenerateOptions(backend="wave", speech="none", keyposes="none",
                                                      fps=25, backend_options={"speed": "2"}))
    assert result.motion.n_frames == frame_count(45.0, 25)
    assert set(WaveGenerator.rates) == {(30.0, 30.0)}  # generated at its own rate, then resampled
    flex = result.motion.poses[:, 19, 1]
    assert flex.max() - flex.min() > 0.5  # the wave survived post-processing
    # the face is made at the output rate, after the resampling, and survives post-processing
    assert result.motion.has_face and result.motion.face_curves.shape[0] == result.motion.n_frames


def test_backends_command_lists_generators(capsys):
    from talkrig.cli import main

    assert main(["backends", "--json"]) == 0
    items = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    assert items["procedural"]["available"] and items["matching"]["available"]
    assert any(o["name"] == "library" and o["required"] for o in items["matching"]["options"])
    assert main(["backends"]) == 0
    text = capsys.readouterr().out
    assert "procedural  (available)" in text and "--option library=<path>" in text


def test_generator_instances_are_created_once():
    assert get_generator("procedural") is get_generator("procedural")
    assert isinstance(gen_mod.get_generator("matching"), Generator)
