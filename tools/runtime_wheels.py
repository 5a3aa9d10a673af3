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
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
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
# The wheel platform tags a zip of each platform may carry (one of a file's tags must match).
WHEEL_PLATFORMS = {
    "linux-x64": re.compile(r"any|manylinux\d*_x86_64|manylinux_2_\d+_x86_64"),
    "windows-x64": re.compile(r"any|win_amd64"),
    "macos-arm64": re.compile(r"any|macosx_\d+_\d+_(arm64|universal2)"),
}
ENTRY_KEYS = ("name", "version", "file", "sha256")
SHA256 = re.compile(r"[0-9a-f]{64}")
RELOCK = "run `make lock` (tools/runtime_wheels.py lock) to write it again"


class LockError(Exception):
    """A lock file or wheel cache the builder will not use; the message is one line naming the
    entry and the fix (the command lines print it and exit 2)."""


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


def _target_args(platform, index=INDEX):
    tags, _ = PLATFORMS[platform]
    args = ["--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
            "--index-url", index]
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
        entry = {"name": name, "version": resolved[name]["metadata"]["version"],
                 "file": info["url"].rsplit("/", 1)[1],
                 "sha256": info["archive_info"]["hashes"]["sha256"]}
        wheels.append(checked_entry(f"pip's {platform} resolution", platform, entry))
    return wheels


def write_lock(path=WHEEL_LOCK, platforms=tuple(PLATFORMS)):
    roots = runtime_requirements()
    data = {"python": PYTHON_VERSION, "left_out": list(LEFT_OUT),
            "platforms": {p: lock_platform(p, roots) for p in platforms}}
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def read_lock(path=WHEEL_LOCK):
    """The lock, every entry checked against the packaging grammar (see :func:`checked_entry`):
    nothing in it is used as text until it is known to be a name, a version, a wheel file name
    and a hash. LockError in one line otherwise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LockError(f"{path.name} is missing; {RELOCK}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"{path.name} cannot be read ({_reason(exc)}); {RELOCK}") from None
    except json.JSONDecodeError as exc:
        raise LockError(f"{path.name} is not JSON ({exc.msg} at line {exc.lineno} column "
                        f"{exc.colno}); restore it from git or {RELOCK}") from None
    except RecursionError:
        raise LockError(f"{path.name} is not a lock (nested too deeply); restore it from git or "
                        f"{RELOCK}") from None
    platforms = data.get("platforms") if isinstance(data, dict) else None
    if not isinstance(platforms, dict):
        raise LockError(f"{path.name} holds no 'platforms' object; {RELOCK}")
    checked = {}
    for platform, entries in platforms.items():
        if platform not in PLATFORMS or not isinstance(entries, list):
            raise LockError(f"{path.name}: {_shown(platform)} is not a platform with a list of "
                            f"wheels (platforms: {', '.join(PLATFORMS)}); {RELOCK}")
        checked[platform] = [checked_entry(f"{path.name}: {platform} entry {k + 1}", platform, entry)
                             for k, entry in enumerate(entries)]
    return dict(data, platforms=checked)


def checked_entry(where, platform, entry):
    """{name, version, file, sha256} of one lock entry, each part proven what it claims to be:
    a canonical project name, a normalised version, a wheel file name (no folder) of that
    project and version for the platform, 64 hex digits. LockError naming ``where`` otherwise."""
    if not isinstance(entry, dict) or sorted(entry) != sorted(ENTRY_KEYS) \
            or not all(isinstance(entry[k], str) for k in ENTRY_KEYS):
        raise LockError(f"{where}: must be an object of the texts {', '.join(ENTRY_KEYS)}; {RELOCK}")
    where = f"{where} ({_shown(entry['name'])})"
    name, version = _project(where, entry)
    if not SHA256.fullmatch(entry["sha256"]):
        raise LockError(f"{where}: sha256 must be 64 lowercase hex digits; {RELOCK}")
    _check_wheel_name(where, platform, entry["file"], name, version)
    return {"name": name, "version": version, "file": entry["file"], "sha256": entry["sha256"]}


def _project(where, entry):
    """(canonical name, normalised version) of an entry, by the packaging grammar."""
    from packaging.utils import InvalidName, canonicalize_name
    from packaging.version import InvalidVersion, Version

    try:
        name = canonicalize_name(entry["name"], validate=True)
    except InvalidName:
        raise LockError(f"{where}: the name is not a project name; {RELOCK}") from None
    try:
        return name, str(Version(entry["version"]))
    except InvalidVersion:
        raise LockError(f"{where}: version {_shown(entry['version'])} is not a version; {RELOCK}") from None


def _check_wheel_name(where, platform, file, name, version):
    """A bare wheel file name (nothing to lead out of the cache) of that project and version,
    tagged for the platform."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    if file != Path(file).name or "/" in file or "\\" in file or file.startswith("."):
        raise LockError(f"{where}: file {_shown(file)} must be a wheel file name inside the cache, "
                        f"not a path; {RELOCK}")
    try:
        wheel_name, wheel_version, _, tags = parse_wheel_filename(file)
    except InvalidWheelFilename:
        raise LockError(f"{where}: file {_shown(file)} is not a wheel file name; {RELOCK}") from None
    if wheel_name != name or str(wheel_version) != version:
        raise LockError(f"{where}: file {_shown(file)} is not {name} {version}; {RELOCK}")
    if not any(WHEEL_PLATFORMS[platform].fullmatch(tag.platform) for tag in tags):
        raise LockError(f"{where}: file {_shown(file)} is not a wheel for {platform}; {RELOCK}")


def requirement_line(wheel):
    """The line pip reads for a checked entry: built from its parts, never the lock's text."""
    return f"{wheel['name']}=={wheel['version']} --hash=sha256:{wheel['sha256']}\n"


def _shown(value, most=60):
    """A lock's text as one short line (its newlines and controls escaped)."""
    text = ascii(value)
    return text if len(text) <= most else text[:most - 3] + "..."


def _reason(exc):
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(platform, cache=None, lock=None, progress=print, index=INDEX):
    """Paths of the platform's locked wheels in the cache, downloading only the missing ones.

    lock : what :func:`read_lock` returns (its entries are checked again here). A cached file
    whose hash differs from the lock (replaced, cut short) is downloaded again; pip checks every
    download against the lock's hash (--require-hashes) into a scratch folder, and a file enters
    the cache only once its hash is the lock's. Before use every file is checked once more: the
    lock's hash and a wheel archive. Anything else in the cache under a locked name (a folder, a
    link) is refused. LockError in one line for each of these.
    """
    lock = lock or read_lock()
    if platform not in lock["platforms"]:
        raise LockError(f"no wheels locked for {platform} (locked: {', '.join(lock['platforms'])}); "
                        f"{RELOCK}")
    wheels = [checked_entry(f"{platform} entry {k + 1}", platform, entry)
              for k, entry in enumerate(lock["platforms"][platform])]
    cache = Path(cache or cache_dir())
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with _locked(cache / ".lock"):  # two builds at once download each file once
            return _fetch(platform, cache, wheels, progress, index)
    except OSError as exc:
        raise LockError(f"the wheel cache {cache} cannot be used ({_reason(exc)}); remove it or "
                        "give another --cache-dir") from None


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


def _fetch(platform, cache, wheels, progress, index):
    missing = [w for w in wheels if not _cached(cache, w)]
    if missing:
        progress(f"downloading {len(missing)} of {len(wheels)} {platform} wheels into {cache}")
        _download(platform, cache, missing, index)
    return [_verified(cache, w) for w in wheels]


def _cached(cache, wheel):
    """True when the cache holds the wheel as locked; a plain file that differs (replaced, cut
    short) is removed to be downloaded again; a folder, a link or a device there is refused."""
    path = cache / wheel["file"]
    if not path.exists() and not path.is_symlink():
        return False
    _check_plain(cache, wheel)
    if sha256(path) == wheel["sha256"]:
        return True
    path.unlink()
    return False


def _check_plain(cache, wheel):
    path = cache / wheel["file"]
    if path.is_symlink() or not path.is_file():
        kind = "a link" if path.is_symlink() else "a folder" if path.is_dir() else "not a regular file"
        raise LockError(f"the wheel cache's {wheel['file']} ({wheel['name']}) is {kind}, not a "
                        f"wheel; remove {path} and build again")


def _download(platform, cache, wheels, index):
    """The wheels from the index into the cache, each moved in only once its hash is the lock's."""
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        requirements, into = Path(tmp) / "requirements.txt", Path(tmp) / "wheels"
        requirements.write_text("".join(map(requirement_line, wheels)), encoding="utf-8")
        result = subprocess.run(_pip("download", "--no-deps", "--require-hashes", "--quiet",
                                     "-d", str(into), *_target_args(platform, index),
                                     "-r", str(requirements)), capture_output=True, text=True)
        if result.returncode != 0:
            raise LockError(f"pip could not download {len(wheels)} {platform} wheels "
                            f"({_last_line(result.stderr)}); check the network, or {RELOCK}")
        for wheel in wheels:
            got = into / wheel["file"]
            if not got.is_file() or sha256(got) != wheel["sha256"]:
                raise LockError(f"the index gave no {wheel['file']} with the lock's sha256; {RELOCK}")
            os.replace(got, cache / wheel["file"])


def _verified(cache, wheel):
    """The cached wheel's path, checked just before use: a plain file with the lock's sha256
    that is a wheel archive of the locked project."""
    path = cache / wheel["file"]
    _check_plain(cache, wheel)
    if sha256(path) != wheel["sha256"]:
        raise LockError(f"the wheel cache's {wheel['file']} does not match the lock's sha256; "
                        f"remove {path} and build again")
    if not _is_wheel(path, wheel):
        raise LockError(f"the wheel cache's {wheel['file']} is not a wheel archive of "
                        f"{wheel['name']} (no .dist-info/WHEEL); {RELOCK}")
    return path


def _is_wheel(path, wheel):
    """A zip holding ``<project>-<version>.dist-info/WHEEL`` of the locked project."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.count("/") == 1 and n.endswith(".dist-info/WHEEL")
               and _canonical(n.split("/")[0].removesuffix(".dist-info").rsplit("-", 1)[0]) == wheel["name"]
               for n in names)


def _last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no message"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Lock or fetch the runtime wheels of the "
                                                 "per-platform extension zips.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lock", help=f"resolve every platform and write {WHEEL_LOCK.name}")
    fetch_parser = sub.add_parser("fetch", help="bring one platform's wheels into the cache")
    fetch_parser.add_argument("platform", choices=sorted(PLATFORMS))
    fetch_parser.add_argument("--cache-dir", help=f"default: {cache_dir()}")
    fetch_parser.add_argument("--lock", default=str(WHEEL_LOCK), help=f"default: {WHEEL_LOCK.name}")
    args = parser.parse_args(argv)
    try:
        _command(args)
    except LockError as exc:  # pip's resolution (lock) is checked like the lock file (fetch)
        print(f"runtime_wheels: {exc}", file=sys.stderr)
        return 2
    return 0


def _command(args):
    """Run ``lock`` or ``fetch``; a LockError is left for :func:`main` to print in one line."""
    if args.command == "lock":
        for platform, wheels in write_lock()["platforms"].items():
            print(f"{platform}: {len(wheels)} wheels")
        return
    for path in fetch(args.platform, args.cache_dir, read_lock(args.lock)):
        print(f"{path.stat().st_size / 1e6:8.2f} MB  {path.name}")


if __name__ == "__main__":
    sys.exit(main())
