"""The per-platform extension zips (linux-x64, windows-x64, macos-arm64), built once here from the
locked, hash-checked wheels in the user cache: Blender's own validate accepts each, each holds
the wheels of its platform only and everything the server imports, and Blender's builder makes
the same zips from the staged tree. The windows and macOS zips cannot run here; their contents
are what is checked."""

import hashlib
import json
import re
import tomllib
import zipfile

import pytest

from support.extension_support import extension_platforms, runtime_wheels, server_imports, zip_modules

pytestmark = pytest.mark.slow

# What the server can import but the zips leave out, and why (each has a clear fallback).
LEFT_OUT = {
    "numpy": "Blender's Python ships it",
    "av": "decodes AAC/Opus and video soundtracks, renders video; libsndfile reads WAV/FLAC/OGG/MP3",
    "audioread": "reaches a system ffmpeg for other containers; never needed by WAV/FLAC/OGG/MP3",
    "vosk": "recognition with a model the user downloads; PocketSphinx is bundled",
    "mediapipe": "capture from video (talkrig[capture]), not generation",
    "sklearn": "the realism test of `talkrig eval` (talkrig[eval]); the server never scores motion",
}
# The zip's wheel platform tag for each Blender platform (besides py3-none-any wheels).
TAGS = {
    "linux-x64": re.compile(r"^(manylinux\d*|manylinux_2_\d+)_x86_64$"),
    "windows-x64": re.compile(r"^win_amd64$"),
    "macos-arm64": re.compile(r"^macosx_\d+_\d+_(arm64|universal2)$"),
}
NEVER = {"torch", "bpy", "ray", "pytest", "numpy", "librosa", "mediapipe", "onnx"}


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    return extension_platforms.build(tmp_path_factory.mktemp("platforms"), progress=lambda _: None)


def wheel_tags(name):
    python, abi, platforms = name[:-len(".whl")].split("-")[-3:]
    return python, abi, platforms.split(".")


def test_each_zip_passes_blenders_validate_and_names_its_platform(zips):
    assert set(zips) == {"linux-x64", "windows-x64", "macos-arm64"}
    for platform, path in zips.items():
        assert path.name == f"talkrig-0.1.0-{platform.replace('-', '_')}.zip"
        extension_platforms.run_builder("validate", path)  # SystemExit when Blender refuses it
        with zipfile.ZipFile(path) as archive:
            manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
            names = archive.namelist()
        assert manifest["build"]["generated"]["platforms"] == [platform]
        wheels = [n for n in names if n.startswith("wheels/")]
        assert sorted(manifest["build"]["generated"]["wheels"]) == sorted(f"./{n}" for n in wheels)
        assert "wheels/talkrig-0.1.0-py3-none-any.whl" in wheels
        assert "addon/__init__.py" in names and "__init__.py" in names
        assert not any(n.startswith(("inference/", "plugins/", "tests/")) for n in names)
        # a zip within the artists' budget
        assert path.stat().st_size < 150e6


def test_wheel_tags_match_the_platform_and_python(zips):
    for platform, path in zips.items():
        with zipfile.ZipFile(path) as archive:
            wheels = [n.split("/")[1] for n in archive.namelist() if n.startswith("wheels/")]
        names = [project(name) for name in wheels]
        assert len(names) == len(set(names)), platform  # one wheel per project
        for name in wheels:
            python, abi, tags = wheel_tags(name)
            assert python in ("cp311", "py3", "py2.py3") or abi == "abi3", name
            assert tags == ["any"] or any(TAGS[platform].match(tag) for tag in tags), (platform, name)
            assert name.split("-")[0].lower() not in NEVER, name


def test_the_zips_carry_the_locked_wheels_untouched(zips):
    lock = runtime_wheels.read_lock()
    for platform, path in zips.items():
        locked = {w["file"]: w["sha256"] for w in lock["platforms"][platform]}
        with zipfile.ZipFile(path) as archive:
            held = {n.split("/")[1]: archive.read(n) for n in archive.namelist()
                    if n.startswith("wheels/") and not n.startswith("wheels/talkrig-")}
        assert set(held) == set(locked)
        for name, data in held.items():
            assert hashlib.sha256(data).hexdigest() == locked[name], name


def test_no_wheel_is_missing_for_an_import_the_server_makes(zips):
    imported = server_imports()
    assert {"fastapi", "uvicorn", "onnxruntime", "pocketsphinx", "scipy", "soundfile"} <= set(imported)
    assert "torch" not in imported and "bpy" not in imported  # the server never needs them
    for platform, path in zips.items():
        provided = zip_modules(path)
        missing = {name: sorted(by)[:3] for name, by in imported.items()
                   if name not in provided and name not in LEFT_OUT}
        assert not missing, (platform, missing)
        assert "talkrig" in provided and "numpy" not in provided


def project(wheel_path):
    return wheel_path.split("/")[-1].split("-")[0].lower()


def test_blenders_builder_makes_the_same_zips_from_the_staged_tree(zips, tmp_path):
    """Blender's own split of the staged tree gives the same files, except that it puts every
    pure-Python wheel into every zip: there it adds only such wheels of projects the zip already
    carries for its platform (sounddevice's Linux wheel beside the Windows one) or locked for
    another platform only (colorama)."""
    staged = next(iter(zips.values())).parent / ".talkrig-stage"
    extension_platforms.run_builder("build", "--split-platforms", "--source-dir", staged,
                                    "--output-dir", tmp_path)
    lock = runtime_wheels.read_lock()["platforms"]
    elsewhere = {w["file"] for entries in lock.values() for w in entries}
    for platform, ours in zips.items():
        with zipfile.ZipFile(tmp_path / ours.name) as a, zipfile.ZipFile(ours) as b:
            theirs_names, our_names = set(a.namelist()), set(b.namelist())
            theirs_manifest = tomllib.loads(a.read("blender_manifest.toml").decode())
            our_manifest = tomllib.loads(b.read("blender_manifest.toml").decode())
        assert our_names <= theirs_names, platform
        extra = theirs_names - our_names
        assert all(n.endswith("-any.whl") and n.split("/")[1] in elsewhere for n in extra), extra
        theirs_manifest["build"]["generated"]["wheels"] = [
            w for w in theirs_manifest["build"]["generated"]["wheels"] if w[2:] not in extra]
        assert theirs_manifest == our_manifest, platform


def test_a_studio_repository_lists_every_platform(zips, tmp_path):
    index = extension_platforms.repository(zips.values(), tmp_path / "repo")
    data = json.loads(index.read_text())
    entries = {tuple(e["platforms"]): e for e in data["data"]}
    assert set(entries) == {("linux-x64",), ("windows-x64",), ("macos-arm64",)}
    for (platform,), entry in entries.items():
        assert entry["archive_url"] == f"./{zips[platform].name}"
        assert entry["archive_size"] == zips[platform].stat().st_size
        assert entry["python_versions"] == ["3.11"]
    assert (tmp_path / "repo" / "index.html").exists()


def test_talkrigs_wheel_carries_the_files_its_code_loads(zips):
    """The server reads data beside its modules (the voice detector's model and licence, the
    procedural body layer): each must travel in talkrig's own wheel, or the installed add-on
    would fall back or fail where the tests, run from the tree, do not."""
    needed = {"talkrig/inference/features/voice_model/silero_vad_16k_frames.onnx",
              "talkrig/inference/features/voice_model/silero_vad_16k_state.onnx",
              "talkrig/inference/features/voice_model/LICENSE",
              "talkrig/plugins/generators/procedural/body_layer.json",
              "talkrig/plugins/generators/procedural/posture.json"}
    for platform, path in zips.items():
        with zipfile.ZipFile(path) as archive:
            wheel = next(n for n in archive.namelist() if n.startswith("wheels/talkrig-"))
            with archive.open(wheel) as inner, zipfile.ZipFile(inner) as own:
                assert needed <= set(own.namelist()), (platform, needed - set(own.namelist()))
