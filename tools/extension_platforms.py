"""Self-contained extension zips, one per platform, and a repository a studio can host.

Each zip is the add-on (what ``build_extension.py`` packs) plus, in ``./wheels/``, the inference
runtime for its platform: talkrig's own pure-Python wheel, built from this tree, and the locked
wheels of the ``[runtime]`` extra (``runtime-wheels.json``, fetched by ``runtime_wheels.py`` into
the user cache, hash-checked). Blender installs those wheels into its extensions' site-packages;
the add-on then starts ``talkrig serve`` with Blender's own Python and that folder on its path.

The layout is that of Blender's builder (``blender_ext.py build --split-platforms``): a staged
source tree whose manifest lists every platform and every wheel, split into
``talkrig-<version>-<platform>.zip`` holding that platform's wheels, its manifest ending in the
``[build.generated]`` block Blender writes; wheels are stored, the rest deflated. One difference,
on purpose: Blender's builder puts every pure-Python wheel into every zip, so the windows and
macOS zips would also get sounddevice's py3-none-any wheel (Linux's, without PortAudio) beside
their own; here each zip holds exactly the wheels locked for its platform.

    python tools/extension_platforms.py [--platform linux-x64 ...] [--output-dir dist]
                                        [--validate] [--repository DIR]

``--validate`` runs Blender's ``validate`` on each zip and ``--repository DIR`` copies the zips
into DIR and runs Blender's ``server-generate`` there (index.json and index.html): point Get
Extensions at that folder or at a web server serving it. Both use ``blender_ext.py`` from the
bpy module (``pip install '.[blender]'``).
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_extension  # noqa: E402
import runtime_wheels  # noqa: E402

ROOT = build_extension.ROOT
PLATFORMS = tuple(runtime_wheels.PLATFORMS)
MANIFEST = "blender_manifest.toml"
# Copied for talkrig's own wheel: the package without what only development needs.
WHEEL_SKIP = {".git", ".venv", "build", "dist", "out", "tests", "benchmarks", "recipes", "examples", "docs",
              "scenes", "__pycache__", ".pytest_cache", ".hypothesis"}


def own_wheel(output_dir, root=ROOT):
    """Build talkrig's pure-Python wheel (the server's code and its plugin entry points) from a
    clean copy of the tree, so nothing stale under build/ can slip in; returns its path."""
    output_dir = Path(output_dir)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "talkrig"
        shutil.copytree(root, source, ignore=lambda folder, names: [
            n for n in names if n in WHEEL_SKIP or n.endswith((".egg-info", ".pyc", ".zip"))])
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                                 "--no-build-isolation", "--no-index", "--quiet",
                                 "-w", str(output_dir), str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"extension_platforms: talkrig's wheel did not build: {result.stderr}")
    version = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))
    return output_dir / f"talkrig-{version['project']['version']}-py3-none-any.whl"


def platform_manifest(text, platforms, wheels):
    """The source manifest with ``platforms`` and ``wheels`` added before its first table."""
    lines = text.splitlines(keepends=True)
    first_table = next(i for i, line in enumerate(lines) if line.startswith("["))
    added = ["# Per-platform builds (tools/extension_platforms.py): each zip carries the\n",
             "# inference runtime's wheels for its platform.\n",
             "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]\n",
             "wheels = [\n", *(f'  "./wheels/{name}",\n' for name in wheels), "]\n\n"]
    return "".join(lines[:first_table] + added + lines[first_table:])


def stage(folder, wheels, root=ROOT):
    """A source tree for Blender's builder: the add-on's files, ./wheels/ with every platform's
    wheels and a manifest that lists them; returns {wheel name: the platforms it serves}.

    wheels : {platform: [(path, sha256)]}, the verified cached wheels (:func:`fetched`); each
    copy is checked against its hash once it is in the tree, so a cache file changed since it
    was verified never reaches a zip."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "wheels").mkdir(parents=True)
    for path, name in build_extension.extension_files(root):
        if name != MANIFEST:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / name)
    platforms = tuple(wheels)
    served = {own_wheel(folder / "wheels", root).name: set(platforms)}
    for platform, held in wheels.items():
        for path, digest in held:
            served.setdefault(path.name, set()).add(platform)
            _place(path, folder / "wheels" / path.name, digest)
    text = (Path(root) / MANIFEST).read_text(encoding="utf-8")
    (folder / MANIFEST).write_text(platform_manifest(text, platforms, sorted(served)),
                                   encoding="utf-8")
    return served


def fetched(platforms, cache=None, lock=None, progress=print):
    """{platform: [(cached wheel path, sha256)]} of the locked wheels, every one verified."""
    lock = lock or runtime_wheels.read_lock()
    out = {}
    for platform in platforms:
        paths = runtime_wheels.fetch(platform, cache, lock, progress)
        digests = {w["file"]: w["sha256"] for w in lock["platforms"][platform]}
        out[platform] = [(path, digests[path.name]) for path in paths]
    return out


def _place(source, target, digest):
    """The verified wheel linked or copied into the stage, its hash checked there."""
    if not target.exists():
        _link_or_copy(source, target)
    if runtime_wheels.sha256(target) != digest:
        raise runtime_wheels.LockError(f"{source.name} changed in the wheel cache while the zips "
                                       f"were built; remove {source} and build again")


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def generated_block(platform, wheels):
    """What Blender's builder appends to a platform zip's manifest (byte for byte)."""
    listed = ", ".join(f'"./wheels/{name}"' for name in wheels)
    return ("\n\n# BEGIN GENERATED CONTENT.\n# This must not be included in source manifests.\n"
            f"[build.generated]\nplatforms = [\"{platform}\"]\nwheels = [{listed}]\n"
            "# END GENERATED CONTENT.\n")


def write_zip(folder, output_dir, platform, served):
    """``<id>-<version>-<platform>.zip`` from the staged folder, with that platform's wheels."""
    folder, output_dir = Path(folder), Path(output_dir)
    text = (folder / MANIFEST).read_text(encoding="utf-8")
    manifest = tomllib.loads(text)
    wheels = [name for name in sorted(served) if platform in served[name]]
    target = output_dir / f"{manifest['id']}-{manifest['version']}-{platform.replace('-', '_')}.zip"
    output_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(MANIFEST, text + generated_block(platform, wheels))
        for name in wheels:
            archive.write(folder / "wheels" / name, f"wheels/{name}", compress_type=zipfile.ZIP_STORED)
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name != MANIFEST and not name.startswith("wheels/"):
                archive.write(path, name)
    return target


def build(output_dir, platforms=PLATFORMS, cache=None, root=ROOT, progress=print, lock=None):
    """Stage once and write one zip per platform into output_dir; returns {platform: zip}.

    The lock and the cache are checked first (LockError in one line; nothing is written then);
    the stage and the zips are made in a scratch folder inside output_dir and moved into place
    only once all of them are whole, so a failed build leaves nothing half-written there. The
    staged tree stays beside the zips (``.<id>-stage``) for Blender's own builder.
    lock : a lock file's path (default runtime-wheels.json)."""
    output_dir = Path(output_dir)
    wheels = fetched(platforms, cache, runtime_wheels.read_lock(lock or runtime_wheels.WHEEL_LOCK),
                     progress)
    stage_name = f".{tomllib.loads((Path(root) / MANIFEST).read_text())['id']}-stage"
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".building-") as tmp:
        folder = Path(tmp) / stage_name
        served = stage(folder, wheels, root)
        made = {platform: write_zip(folder, tmp, platform, served) for platform in platforms}
        shutil.rmtree(output_dir / stage_name, ignore_errors=True)
        os.replace(folder, output_dir / stage_name)
        return {platform: _moved(path, output_dir) for platform, path in made.items()}


def _moved(path, folder):
    target = Path(folder) / Path(path).name
    os.replace(path, target)
    return target


def blender_builder():
    """Blender's extension command line (blender_ext.py) from the bpy module, or None."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or spec.origin is None:
        return None
    return next(Path(spec.origin).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"), None)


def run_builder(*args):
    """Run blender_ext.py with args; its output, or SystemExit with it when it fails."""
    builder = blender_builder()
    if builder is None:
        raise SystemExit("extension_platforms: Blender's blender_ext.py was not found; install "
                         "the bpy module (pip install '.[blender]')")
    result = subprocess.run([sys.executable, str(builder), *map(str, args)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f"extension_platforms: blender_ext.py {args[0]} failed: "
                         f"{(result.stdout + result.stderr).strip()}")
    return result.stdout


def repository(zips, folder):
    """Copy the zips into folder and write Blender's repository listing there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in zips:
        shutil.copy2(path, folder / path.name)
    run_builder("server-generate", "--repo-dir", folder, "--html")
    return folder / "index.json"


def wheel_sizes(zip_path):
    """[(wheel name, bytes)] inside an extension zip, largest first."""
    with zipfile.ZipFile(zip_path) as archive:
        return sorted(((Path(i.filename).name, i.file_size) for i in archive.infolist()
                       if i.filename.startswith("wheels/")), key=lambda item: -item[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the per-platform talkrig extension zips.")
    parser.add_argument("--platform", action="append", choices=PLATFORMS,
                        help="build only these (repeatable; default: all)")
    parser.add_argument("--output-dir", default=str(ROOT / "dist"), help="default: dist/")
    parser.add_argument("--cache-dir", help="where downloaded wheels are kept "
                                            f"(default: {runtime_wheels.cache_dir()})")
    parser.add_argument("--validate", action="store_true",
                        help="run Blender's validate on every zip")
    parser.add_argument("--repository", metavar="DIR",
                        help="also write a repository for Get Extensions into DIR")
    parser.add_argument("--sizes", action="store_true", help="list every wheel and its size")
    parser.add_argument("--lock", default=str(runtime_wheels.WHEEL_LOCK),
                        help=f"the wheel lock (default: {runtime_wheels.WHEEL_LOCK.name})")
    args = parser.parse_args(argv)
    try:
        zips = build(args.output_dir, tuple(dict.fromkeys(args.platform or PLATFORMS)),
                     args.cache_dir, lock=args.lock)
    except runtime_wheels.LockError as exc:
        print(f"extension_platforms: {exc}", file=sys.stderr)
        return 2
    for platform, path in zips.items():
        sizes = wheel_sizes(path)
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, {len(sizes)} wheels)")
        if args.sizes:
            for name, size in sizes:
                print(f"  {size / 1e6:7.2f} MB  {name}")
        if args.validate:
            run_builder("validate", path)
            print("  valid for Blender")
    if args.repository:
        print(f"repository: {repository(zips.values(), args.repository)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
