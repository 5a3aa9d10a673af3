"""Helpers of the per-platform extension tests: the build tools, a stand-in for Blender's own
Python (cached between runs), and what the server imports against what a zip's wheels hold."""

import ast
import importlib.util
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


extension_platforms = _tool("extension_platforms")
runtime_wheels = extension_platforms.runtime_wheels


def blender_python_standin():
    """A fresh Python 3.11 environment holding numpy only, as Blender's Python does (the lock's
    numpy); kept in the user cache folder so later runs reuse it."""
    numpy = version("numpy")
    folder = runtime_wheels.cache_dir().parent / f"blender-python-standin-numpy-{numpy}"
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    ready = folder / "ready"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(folder)],
                       check=True)
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", site, f"numpy=={numpy}"], check=True)
        ready.write_text(numpy)
    return python


def wheel_modules(wheel):
    """Top-level names a wheel makes importable (packages, modules, extension modules)."""
    names = set()
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            top = name.split("/")[0]
            if top.endswith((".dist-info", ".data")) or top.endswith(".pth"):
                continue
            if "/" in name or top.endswith((".py", ".so", ".pyd")):
                names.add(top.split(".")[0])
    return names


def zip_modules(extension_zip):
    """Top-level names the wheels inside an extension zip make importable."""
    names = set()
    with zipfile.ZipFile(extension_zip) as archive:
        for info in archive.infolist():
            if info.filename.startswith("wheels/"):
                with archive.open(info) as wheel:  # stored, so seekable: read in place
                    names |= wheel_modules(wheel)
    return names


def _module_file(name):
    path = ROOT.joinpath(*name.split(".")[1:])
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def _imports(name, path):
    """Every absolute module name a talkrig module imports, at its top or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def server_imports():
    """{third-party top-level module: the talkrig modules importing it} over everything the
    server can run: `talkrig serve` and every plugin its entry points name, followed through
    talkrig's own modules."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = ["talkrig.commands.serve"] + [
        target.split(":")[0] for group in project["entry-points"].values()
        for target in group.values()]
    seen, found = set(), {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None:
            continue
        for imported in _imports(name, path):
            parts = imported.split(".")
            if parts[0] == "talkrig":
                todo += [".".join(parts[:k]) for k in range(2, len(parts) + 1)]
            elif parts[0] and parts[0] not in sys.stdlib_module_names:
                found.setdefault(parts[0], set()).add(name)
    return found
