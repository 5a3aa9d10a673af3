"""The release builder treats its wheel lock and cache as data it proves before use: a lock entry
whose name smuggles pip options, a file that is no wheel (even with its real sha256), a path out
of the cache, a lock that is not JSON, a cached wheel replaced by another file, a folder where
a wheel should be. Each ends in one line naming the entry and the fix, exit code 2, no
traceback, nothing new in the output folder, and pip never asked anything of the lock's text.
Real files in temporary folders; a loopback index stands in for PyPI (nothing is downloaded
from outside)."""

import hashlib
import http.server
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from support.extension_support import ROOT, runtime_wheels

LockError = runtime_wheels.LockError
PLATFORM = "linux-x64"


def tiny_wheel(folder, name="tinyproj", version="1.0"):
    """A real, minimal wheel file (pure Python) and its sha256."""
    path = Path(folder) / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "VALUE = 1\n")
        archive.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                          "Tag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def write_lock(path, entries, platform=PLATFORM):
    path.write_text(json.dumps({"python": "3.11", "left_out": ["numpy"],
                                "platforms": {platform: entries}}), encoding="utf-8")
    return path


def entry(file, sha256, name="tinyproj", version="1.0"):
    return {"name": name, "version": version, "file": str(file), "sha256": sha256}


class LoopbackIndex:
    """A PEP 503 index on 127.0.0.1 serving the wheels of one folder; counts the requests."""

    def __init__(self, folder):
        self.requests = []
        folder = Path(folder)
        for wheel in folder.glob("*.whl"):
            project = folder / "simple" / wheel.name.split("-")[0]
            project.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            (project / "index.html").write_text(
                f'<html><body><a href="../../{wheel.name}#sha256={digest}">{wheel.name}</a></body></html>')
        seen = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def log_message(self, *args):
                seen.append(self.path)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def index(tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    tiny_wheel(folder)
    served = LoopbackIndex(folder)
    yield served
    served.close()


@pytest.fixture
def dist(tmp_path):
    """An output folder holding an earlier build: it must come out of a failed one unchanged."""
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "talkrig-0.0.9-linux_x64.zip").write_bytes(b"an earlier release")
    return folder


def contents(folder):
    return sorted((p.relative_to(folder).as_posix(), p.read_bytes() if p.is_file() else None)
                  for p in Path(folder).rglob("*"))


def build_refuses(lock, cache, dist):
    """Run the builder's command line; its one stderr line, after checking exit 2, no traceback
    and the output folder as it was."""
    before = contents(dist)
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "extension_platforms.py"),
                             "--platform", PLATFORM, "--lock", str(lock), "--cache-dir", str(cache),
                             "--output-dir", str(dist)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    assert contents(dist) == before
    return result.stderr.strip()


def test_a_name_carrying_a_newline_and_an_index_option_is_refused_before_pip_runs(tmp_path, index, dist):
    cache = tmp_path / "cache"
    wheel, digest = tiny_wheel(tmp_path)
    hostile = entry(wheel.name, digest, name=f"tinyproj\n--extra-index-url {index.url}")
    lock = write_lock(tmp_path / "lock.json", [hostile])
    line = build_refuses(lock, cache, dist)
    assert line.startswith("extension_platforms: lock.json: linux-x64 entry 1 ('tinyproj\\n--extra-index-url")
    assert "the name is not a project name; run `make lock`" in line
    assert index.requests == []  # nobody asked the index for anything
    with pytest.raises(LockError, match="version '1.0\\\\n-r x' is not a version"):
        runtime_wheels.read_lock(write_lock(tmp_path / "v.json", [entry(wheel.name, digest, version="1.0\n-r x")]))


def test_a_requirement_line_is_built_from_the_checked_parts_only(tmp_path):
    wheel, digest = tiny_wheel(tmp_path, "Tiny_Proj", "1.00")
    checked = runtime_wheels.checked_entry("x", PLATFORM, entry(wheel.name, digest, "Tiny_Proj", "1.00"))
    assert runtime_wheels.requirement_line(checked) == f"tiny-proj==1.0 --hash=sha256:{digest}\n"


def test_a_local_file_that_is_no_wheel_is_refused_even_with_its_real_hash(tmp_path, dist):
    cache = tmp_path / "cache"
    cache.mkdir()
    notes = cache / "notes.txt"
    notes.write_text("private notes, not a package\n")
    digest = hashlib.sha256(notes.read_bytes()).hexdigest()
    line = build_refuses(write_lock(tmp_path / "lock.json", [entry("notes.txt", digest)]), cache, dist)
    assert "file 'notes.txt' is not a wheel file name" in line
    # named like a wheel, with its real hash, but not a wheel archive
    fake = cache / "tinyproj-1.0-py3-none-any.whl"
    fake.write_text("not a zip at all\n")
    lock = write_lock(tmp_path / "fake.json", [entry(fake.name, hashlib.sha256(fake.read_bytes()).hexdigest())])
    line = build_refuses(lock, cache, dist)
    assert "the wheel cache's tinyproj-1.0-py3-none-any.whl is not a wheel archive of tinyproj" in line


@pytest.mark.parametrize("file", ["{cache}/tinyproj-1.0-py3-none-any.whl", "../tinyproj-1.0-py3-none-any.whl",
                                  "sub/tinyproj-1.0-py3-none-any.whl"],
                         ids=["absolute path", "../", "a folder"])
def test_a_file_outside_the_cache_is_refused(tmp_path, dist, file):
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel, digest = tiny_wheel(tmp_path)  # a real wheel, beside the cache
    (cache / "sub").mkdir()
    tiny_wheel(cache / "sub")
    line = build_refuses(write_lock(tmp_path / "lock.json", [entry(file.format(cache=cache), digest)]),
                         cache, dist)
    assert "must be a wheel file name inside the cache, not a path; run `make lock`" in line


def test_a_lock_that_is_not_json_is_one_line(tmp_path, dist):
    lock = tmp_path / "lock.json"
    lock.write_text('{"platforms": {"linux-x64": [\n  {"name": "x",,}\n]}}\n')
    line = build_refuses(lock, tmp_path / "cache", dist)
    assert line.startswith("extension_platforms: lock.json is not JSON (Expecting property name "
                           "enclosed in double quotes at line 2 column")
    assert "restore it from git or run `make lock`" in line
    assert "is missing" in build_refuses(tmp_path / "none.json", tmp_path / "cache", dist)
    lock.write_bytes(b"\xff\xfe not text")
    assert "lock.json cannot be read (" in build_refuses(lock, tmp_path / "cache", dist)
    for data in ("[]", '{"platforms": {"linux-x64": [7]}}', '{"platforms": {"amiga": []}}',
                 "[" * 100_000 + "]" * 100_000):
        lock.write_text(data)
        assert "run `make lock`" in build_refuses(lock, tmp_path / "cache", dist)


def test_a_cached_wheel_replaced_by_another_file_is_fetched_again(tmp_path, index):
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel, digest = tiny_wheel(tmp_path)
    (cache / wheel.name).write_bytes(b"PK\x03\x04 someone else's file")
    lock = runtime_wheels.read_lock(write_lock(tmp_path / "lock.json", [entry(wheel.name, digest)]))
    paths = runtime_wheels.fetch(PLATFORM, cache, lock, progress=lambda _: None, index=index.url)
    assert paths == [cache / wheel.name]
    assert hashlib.sha256(paths[0].read_bytes()).hexdigest() == digest
    assert any(r.startswith("/simple/tinyproj") for r in index.requests)
    assert sorted(p.name for p in cache.iterdir()) == [".lock", wheel.name]  # no scratch left


def test_a_replaced_wheel_the_index_cannot_give_back_is_one_line(tmp_path, index, dist):
    cache = tmp_path / "cache"
    cache.mkdir()
    other, digest = tiny_wheel(tmp_path, "otherproj", "2.0")  # not on the loopback index
    (cache / other.name).write_bytes(b"replaced")
    lock = runtime_wheels.read_lock(write_lock(tmp_path / "lock.json",
                                               [entry(other.name, digest, "otherproj", "2.0")]))
    with pytest.raises(LockError, match=r"^pip could not download 1 linux-x64 wheels \(.+\); check the "
                                        "network, or run `make lock`"):
        runtime_wheels.fetch(PLATFORM, cache, lock, progress=lambda _: None, index=index.url)
    assert not (cache / other.name).exists()  # the wrong file is gone, nothing half-fetched
    assert [p.name for p in cache.iterdir()] == [".lock"]


def test_a_folder_where_a_cached_wheel_should_be_is_refused(tmp_path, dist):
    cache = tmp_path / "cache"
    wheel, digest = tiny_wheel(tmp_path)
    (cache / wheel.name).mkdir(parents=True)
    line = build_refuses(write_lock(tmp_path / "lock.json", [entry(wheel.name, digest)]), cache, dist)
    assert (f"the wheel cache's {wheel.name} (tinyproj) is a folder, not a wheel; remove "
            f"{cache / wheel.name} and build again") in line
    assert (cache / wheel.name).is_dir()  # left for the person to look at


def test_the_shipped_lock_passes_its_own_checks():
    lock = runtime_wheels.read_lock()
    assert set(lock["platforms"]) == set(runtime_wheels.PLATFORMS)
    for platform, wheels in lock["platforms"].items():
        assert wheels and all(w["file"].endswith(".whl") for w in wheels), platform


def test_fetch_on_the_command_line_is_one_line_too(tmp_path):
    lock = tmp_path / "lock.json"
    lock.write_text("not json")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "runtime_wheels.py"), "fetch", PLATFORM,
                             "--lock", str(lock), "--cache-dir", str(tmp_path / "cache")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("runtime_wheels: lock.json is not JSON")
