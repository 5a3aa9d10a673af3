"""The Blender extension built from this tree: the zip holds only what the add-on needs, and
Blender's own extension installer installs, enables, disables and removes it cleanly."""

import importlib.util
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from support.addon_support import build_extension

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "bl_ext.user_default.talkrig"


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory):
    return build_extension.build(tmp_path_factory.mktemp("dist"))


def test_manifest_follows_blender_rules():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert manifest["schema_version"] == "1.0.0" and manifest["id"] == "talkrig"
    assert manifest["type"] == "add-on" and manifest["blender_version_min"] >= "4.2.0"
    assert len(manifest["tagline"]) <= 64 and manifest["tagline"][-1].isalnum()
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]
    assert set(manifest["permissions"]) == {"network", "files"}
    assert all(not reason.endswith(".") for reason in manifest["permissions"].values())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert manifest["version"] == pyproject["project"]["version"]


def test_zip_holds_only_what_the_addon_needs(extension_zip):
    assert extension_zip.name == "talkrig-0.1.0.zip"
    with zipfile.ZipFile(extension_zip) as archive:
        names = archive.namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert "motion/__init__.py" in names and "motion/bvh.py" in names
    assert "addon/__init__.py" in names and "addon/preferences.py" in names
    assert "blender/take.py" in names and "client/http_client.py" in names
    top = {name.split("/")[0] for name in names}
    assert top <= {"__init__.py", "blender_manifest.toml", "userdirs.py", "motion", "blender", "client",
                   "addon", "LICENSE", "LICENSE.txt", "LICENSE.md"}, top
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


@pytest.mark.blender
def test_blender_build_command_packs_the_same_files(extension_zip, tmp_path):
    """`blender --command extension build` (Blender's own builder, run from the bpy module's
    scripts) validates the manifest and, with its exclude patterns, packs the same files."""
    bpy_dir = Path(importlib.util.find_spec("bpy").origin).parent
    builder = next(bpy_dir.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    subprocess.run([sys.executable, str(builder), "build", "--source-dir", str(ROOT),
                    "--output-dir", str(tmp_path)], capture_output=True, text=True, check=True,
                   timeout=120)
    with zipfile.ZipFile(tmp_path / extension_zip.name) as theirs, \
            zipfile.ZipFile(extension_zip) as ours:
        assert sorted(theirs.namelist()) == sorted(ours.namelist())


def test_build_script_command_line(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools/build_extension.py"),
                             "--output-dir", str(tmp_path)], capture_output=True, text=True,
                            check=True, timeout=60)
    assert (tmp_path / "talkrig-0.1.0.zip").exists() and "talkrig-0.1.0.zip" in result.stdout


def test_package_imports_without_blender():
    code = ("import sys, talkrig, talkrig.motion, talkrig.addon; "
            "print(talkrig.addon.ROOT_PACKAGE, talkrig.motion.__file__, 'bpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd="/", timeout=60).stdout.split()
    assert out[0] == "talkrig"
    assert Path(out[1]) == ROOT / "motion" / "__init__.py"  # the editable install is this tree
    assert out[2] == "False"


@pytest.mark.blender
def test_blender_installs_enables_and_removes_the_extension(extension_zip):
    import bpy
    import addon_utils  # Blender's own module, importable once bpy is loaded

    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.extensions.package_install_files(filepath=str(extension_zip),
                                                      repo="user_default", enable_on_install=True)
    assert result == {"FINISHED"}
    installed = Path(bpy.utils.user_resource("EXTENSIONS", path="user_default")) / "talkrig"
    assert str(installed).startswith(os.environ["BLENDER_USER_RESOURCES"])
    assert (installed / "blender_manifest.toml").exists()

    # Enabled and registered under the extension's package name.
    assert addon_utils.check(PACKAGE) == (True, True)
    addon = bpy.context.preferences.addons.get(PACKAGE)
    assert addon is not None
    prefs = addon.preferences
    assert type(prefs).bl_idname == PACKAGE
    assert prefs.server_url == "http://127.0.0.1:8765"
    module = sys.modules[PACKAGE]
    classes = module.addon.classes()
    assert classes and all(cls.is_registered for cls in classes)
    assert module.addon.ROOT_PACKAGE == PACKAGE

    # Disabling unregisters every class and drops the preferences entry.
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    assert addon_utils.check(PACKAGE) == (False, False)
    assert bpy.context.preferences.addons.get(PACKAGE) is None
    assert not any(cls.is_registered for cls in classes)

    # Removing it deletes its folder.
    repo_index = [r.module for r in bpy.context.preferences.extensions.repos].index("user_default")
    result = bpy.ops.extensions.package_uninstall(repo_index=repo_index, pkg_id="talkrig")
    assert result == {"FINISHED"}
    assert not installed.exists()
