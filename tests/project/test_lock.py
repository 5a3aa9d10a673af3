"""The lock covers what pyproject.toml asks for, and this environment runs the locked versions
(what `make setup` installs; CI runs `make test`, so it always tests against the lock)."""

import json
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from support.shared_data import ROOT


def locked():
    """{canonical name: version} from requirements.lock."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned.strip()
    return pins


def declared():
    """Every requirement of the project and of each extra, except its own extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        texts += extra
    return [r for r in map(Requirement, texts) if canonicalize_name(r.name) != "talkrig"]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock has {name}=={pins[name]}, outside {requirement}: run `make lock`"


def test_the_stack_pins_are_kept():
    pins = locked()
    assert pins["torch"].startswith("2.13.0") and pins["bpy"] == "5.0.1"
    assert Version(pins["numpy"]) < Version("2")


def test_this_environment_runs_the_locked_versions():
    wrong = {}
    for name, pinned in locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (installed, pinned)
    assert not wrong, f"installed vs locked: {wrong}; run `make setup`"


def test_the_extension_zips_wheels_follow_the_lock():
    """runtime-wheels.json (`make lock` writes it) pins, per platform, the versions of
    requirements.lock for everything the [runtime] extra needs, and nothing of the heavy stack."""
    wheels = json.loads((ROOT / "runtime-wheels.json").read_text())
    assert set(wheels["platforms"]) == {"linux-x64", "windows-x64", "macos-arm64"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(text) for text in project["dependencies"]
               + project["optional-dependencies"]["runtime"]]
    pins = locked()
    for platform, entries in wheels["platforms"].items():
        versions = {entry["name"]: entry["version"] for entry in entries}
        for name, pinned in versions.items():
            assert name not in pins or pins[name] == pinned, (platform, name, pinned, pins[name])
        needed = {canonicalize_name(r.name) for r in runtime} - {"numpy"}
        assert needed <= set(versions), (platform, needed - set(versions))
        assert not {"numpy", "torch", "bpy", "ray", "pytest", "librosa"} & set(versions)
        assert all(len(entry["sha256"]) == 64 for entry in entries)
