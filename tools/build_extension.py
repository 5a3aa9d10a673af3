"""Build the Blender extension zip from this repository (``make addon``).

The repository root is the extension root. The zip holds only what the add-on needs, with the
manifest at the zip root: ``__init__.py``, ``blender_manifest.toml``, ``userdirs.py`` (where the
server keeps its token), ``motion/``, ``blender/``, ``client/`` and ``addon/`` (plus a LICENSE
file when there is one).
The inference server, plugins, exporters, tests, benchmarks and the virtual environment never go in: Blender's Python has no torch or
onnxruntime, and the add-on talks to the server over HTTP instead.

    python tools/build_extension.py [--output-dir dist]

Install the result in Blender: Edit > Preferences > Get Extensions > Install from Disk. Tests,
benchmarks and examples load this file and call ``install(bpy, folder)`` to do the same in the
bpy module.
"""

import argparse
import os
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "bl_ext.user_default.talkrig"  # the add-on's module once installed in the user repository
INCLUDE = ("__init__.py", "blender_manifest.toml", "userdirs.py", "motion", "blender", "client", "addon")
OPTIONAL = ("LICENSE", "LICENSE.txt", "LICENSE.md")
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def extension_files(root=ROOT):
    """(path on disk, name in the zip) for every file the extension needs, sorted."""
    root = Path(root)
    files = []
    for name in INCLUDE + OPTIONAL:
        path = root / name
        if path.is_file():
            files.append((path, name))
        elif path.is_dir():
            for sub in sorted(path.rglob("*")):
                rel = sub.relative_to(root)
                if (sub.is_file() and not any(part in SKIP_DIRS or part.startswith(".")
                                              for part in rel.parts)
                        and sub.suffix not in SKIP_SUFFIXES):
                    files.append((sub, rel.as_posix()))
        elif name in INCLUDE:
            raise SystemExit(f"build_extension: {path} is missing")
    return sorted(files, key=lambda item: item[1])


def build(output_dir, root=ROOT):
    """Write ``<id>-<version>.zip`` into output_dir and return its path."""
    root = Path(root)
    manifest = tomllib.loads((root / "blender_manifest.toml").read_text(encoding="utf-8"))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    target = output_dir / f"{manifest['id']}-{manifest['version']}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, name in extension_files(root):
            archive.write(path, name)
    return target


def install(bpy, output_dir, root=ROOT):
    """Build the zip into output_dir and install and enable it in a fresh Blender session (the
    bpy module, say) the way Install from Disk does; returns the add-on's root module."""
    target = build(output_dir, root)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.extensions.package_install_files(filepath=str(target), repo="user_default",
                                                      enable_on_install=True)
    if result != {"FINISHED"}:
        raise RuntimeError(f"Blender did not install {target}: {result}")
    return sys.modules[PACKAGE]


def blender_with_local_server(tmp, root=ROOT):
    """Import bpy with private user folders under ``tmp``, install the extension, and point it
    at a local server it will start on a free loopback port; returns (bpy, add-on module).

    Call it before anything imports bpy: Blender reads the user folders when it is imported.
    """
    tmp = Path(tmp)
    os.environ["BLENDER_USER_RESOURCES"] = str(tmp / "blender")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    os.environ["XDG_DATA_HOME"] = str(tmp / "share")
    import bpy

    from talkrig.client.server_process import free_port

    module = install(bpy, tmp / "dist", root)
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    prefs.python_path = sys.executable
    prefs.server_url = f"http://127.0.0.1:{free_port()}"
    return bpy, module


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the talkrig Blender extension zip.")
    parser.add_argument("--output-dir", default=str(ROOT / "dist"),
                        help="folder for the zip (default: dist/)")
    args = parser.parse_args(argv)
    target = build(args.output_dir)
    with zipfile.ZipFile(target) as archive:
        count = len(archive.namelist())
    print(f"{target} ({count} files, {target.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
