"""The wheels of the inference runtime each platform's extension zip carries, locked by hash.

``runtime-wheels.json`` (beside requirements.lock) lists, per Blender platform, every wheel the
``[runtime]`` extra needs there at the versions requirements.lock pins, with its sha256, minus
numpy (Blender ships its own). ``lock`` writes it (pip resolves each platform from PyPI without
installing anything; environment markers are evaluated for the target platform, not this
machine); ``fetch`` brings the wheels of one platform into a user cache folder, downloading only
what is missing there and checking every file against the lock.

    python tools/runtime_wheels.py lock                # after changing the runtime extra or the lock
    python tools/runtime_wheels.py fetch linux-x64     # prints the cached wheels and their sizes
"""

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
WHEEL_LOCK = ROOT / "runtime-wheels.json"
PYTHON_VERSION = "3.11"
INDEX = "https://pypi.org/simple"
# Blender ships numpy with its Python: the zips must not bring another one.
LEFT_OUT = ("numpy",)

# Blender platform -> (pip --platform tags, environment markers of that platform). Linux: the
# glibc Blender itself needs (2.28); macOS arm64: 14.0, the oldest scipy and onnxruntime build
# for. macOS x64 is not offered: onnxruntime stopped publishing Intel macOS wheels after 1.23.
PLATFORMS = {
    "linux-x64": ([f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)]
                  + ["manylinux2014_x86_64"],
                  {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                   "platform_machine": "x86_64"}),
    "windows-x64": (["win_amd64"],
                    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
                     "platform_machine": "AMD64"}),
    "macos-arm64": (["macosx_14_0_arm64"],
                    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
                     "platform_machine": "arm64"}),
}


def cache_dir():
    """The user cache folder the wheels are kept in between builds (and CI runs)."""
    sys.path.insert(0, str(ROOT))
    try:
        from userdirs import cache_dir as user_cache
    finally:
        sys.path.remove(str(ROOT))
    return user_cache() / "wheels"


def _canonical(name):
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def runtime_requirements(root=ROOT):
    """The project's own dependencies plus the ``runtime`` extra, as requirement strings."""
    project = tomllib.loads((Path(root) / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["runtime"])


def _pip(*args):
    """pip from this interpreter, PyPI only (no configured mirrors or local wheel folders)."""
    return [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", *args]


def _target_args(platform):
    tags, _ = PLATFORMS[platform]
    args = ["--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
            "--index-url", INDEX]
    for tag in tags:
        args += ["--platform", tag]
    return args


def _resolve(platform, requirements):
    """pip's resolution for the platform: {canonical name: report item}."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(_pip("install", "--dry-run", "--ignore-installed", "--quiet",
                            "--target", str(Path(tmp) / "target"), "--report", str(report),
                            "-c", str(LOCK), *_target_args(platform), *requirements),
                       check=True)
        items = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {_canonical(item["metadata"]["name"]): item for item in items}


def _needed(platform, roots, resolved):
    """Names the roots need on the platform (markers evaluated there), walking the resolution."""
    from packaging.requirements import Requirement

    environment = dict(PLATFORMS[platform][1], python_version=PYTHON_VERSION,
                       python_full_version=f"{PYTHON_VERSION}.0", implementation_name="cpython",
                       platform_python_implementation="CPython")
    needed, todo = set(), [(Requirement(text), "") for text in roots]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate(dict(environment, extra=extra)):
            continue
        name = _canonical(requirement.name)
        extras = sorted(requirement.extras) or [""]
        key = (name, tuple(extras))
        if key in needed:
            continue
        needed.add(key)
        item = resolved.get(name)
        if item is None:
            continue
        for text in item["metadata"].get("requires_dist", []):
            todo += [(Requirement(text), e) for e in extras]
    return {name for name, _ in needed}


def lock_platform(platform, roots):
    """[{name, version, file, sha256}] of every wheel the roots need on the platform."""
    requirements = list(roots)
    for _ in range(3):  # pip evaluates markers for this machine: add what the target needs too
        resolved = _resolve(platform, requirements)
        names = _needed(platform, roots, resolved)
        missing = sorted(names - set(resolved))
        if not missing:
            break
        requirements += missing
    else:
        raise SystemExit(f"runtime_wheels: {platform} still lacks {', '.join(missing)}")
    wheels = []
    for name in sorted(names - {_canonical(n) for n in LEFT_OUT}):
        info = resolved[name]["download_info"]
        wheels.append({"name": name, "version": resolved[name]["metadata"]["version"],
                       "file": info["url"].rsplit("/", 1)[1],
                       "sha256": info["archive_info"]["hashes"]["sha256"]})
    return wheels


def write_lock(path=WHEEL_LOCK, platforms=tuple(PLATFORMS)):
    roots = runtime_requirements()
    data = {"python": PYTHON_VERSION, "left_out": list(LEFT_OUT),
            "platforms": {p: lock_platform(p, roots) for p in platforms}}
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def read_lock(path=WHEEL_LOCK):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(platform, cache=None, lock=None, progress=print):
    """Paths of the platform's locked wheels in the cache, downloading only the missing ones.

    A cached file whose hash differs from the lock is downloaded again; pip checks every download
    against the lock's hash (--require-hashes), so a changed file on the index is an error.
    """
    lock = lock or read_lock()
    if platform not in lock["platforms"]:
        raise SystemExit(f"runtime_wheels: no wheels locked for {platform}; "
                         f"locked: {', '.join(lock['platforms'])}")
    cache = Path(cache or cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):  # two builds at once download each file once
        return _fetch(platform, cache, lock["platforms"][platform], progress)


@contextlib.contextmanager
def _locked(path):
    try:
        import fcntl
    except ImportError:  # Windows: builds there run one at a time
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch(platform, cache, wheels, progress):
    missing = [w for w in wheels
               if not (cache / w["file"]).is_file() or sha256(cache / w["file"]) != w["sha256"]]
    if missing:
        progress(f"downloading {len(missing)} of {len(wheels)} {platform} wheels into {cache}")
        for wheel in missing:
            (cache / wheel["file"]).unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text("".join(f"{w['name']}=={w['version']} --hash=sha256:{w['sha256']}\n"
                                            for w in missing), encoding="utf-8")
            subprocess.run(_pip("download", "--no-deps", "--require-hashes", "--quiet",
                                "-d", str(cache), *_target_args(platform), "-r", str(requirements)),
                           check=True)
    paths = [cache / w["file"] for w in wheels]
    for wheel, path in zip(wheels, paths):
        if not path.is_file() or sha256(path) != wheel["sha256"]:
            raise SystemExit(f"runtime_wheels: {path} does not match the lock's sha256")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Lock or fetch the runtime wheels of the "
                                                 "per-platform extension zips.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lock", help=f"resolve every platform and write {WHEEL_LOCK.name}")
    fetch_parser = sub.add_parser("fetch", help="bring one platform's wheels into the cache")
    fetch_parser.add_argument("platform", choices=sorted(PLATFORMS))
    fetch_parser.add_argument("--cache-dir", help=f"default: {cache_dir()}")
    args = parser.parse_args(argv)
    if args.command == "lock":
        data = write_lock()
        for platform, wheels in data["platforms"].items():
            print(f"{platform}: {len(wheels)} wheels")
        return 0
    for path in fetch(args.platform, args.cache_dir):
        print(f"{path.stat().st_size / 1e6:8.2f} MB  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
