"""The artist's path, headless: the linux-x64 zip installed through Blender's extension installer
and Generate run on real speech with nothing else on the machine. The server is started by the
add-on with "Blender's own Python" from the wheels Blender extracted: here a fresh Python 3.11
holding numpy only (no talkrig, no fastapi, nothing of this project's environment). Each Blender
session is its own process (bundled_session.py); a second session reuses the server and stops it.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from support.extension_support import blender_python_standin, extension_platforms

pytestmark = [pytest.mark.blender, pytest.mark.slow]

SESSION = Path(__file__).resolve().parents[1] / "support" / "bundled_session.py"
SECONDS = 12  # of real speech


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def blender_session(tmp_path, name, **settings):
    """Run one Blender session; returns the JSON it reports."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(settings))
    result = subprocess.run([sys.executable, str(SESSION), str(path)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_of(pid):
    """(argv, environment) of a running process (Linux /proc)."""
    proc = Path(f"/proc/{pid}")
    argv = proc.joinpath("cmdline").read_bytes().decode().split("\0")
    env = dict(item.split("=", 1) for item in proc.joinpath("environ").read_bytes().decode()
               .split("\0") if "=" in item)
    return argv, env


@pytest.mark.skipif(sys.platform != "linux", reason="builds and runs the linux-x64 zip")
def test_the_linux_zip_generates_with_blenders_python_alone(tmp_path, scott2_wav, avatar_glb):
    python = blender_python_standin()
    bare = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    found = subprocess.run([str(python), "-c", "import importlib.util as u; print([m for m in "
                            "('numpy', 'talkrig', 'fastapi', 'scipy', 'onnxruntime', 'bpy') "
                            "if u.find_spec(m)])"], capture_output=True, text=True, check=True,
                           env=bare, cwd=tmp_path).stdout
    assert found.strip() == "['numpy']"  # Blender's Python: numpy and nothing of talkrig's

    zips = extension_platforms.build(tmp_path / "dist", ("linux-x64",), progress=lambda _: None)
    audio = tmp_path / "speech.wav"
    samples, rate = sf.read(str(scott2_wav), dtype="float32")
    sf.write(str(audio), samples[: SECONDS * rate], rate, subtype="PCM_16")
    common = {"home": str(tmp_path / "home"), "python": str(python), "audio": str(audio),
              "avatar": str(avatar_glb)}

    first = blender_session(tmp_path, "install", install=str(zips["linux-x64"]),
                            port=free_port(), **common)
    pid = first["server_pid"]
    try:
        assert first["state"] == "DONE", first["error"]
        # words recognised by the bundled PocketSphinx model, a body and a face take
        assert first["words"] >= 10
        assert first["action"] and first["body_curves"] > 100
        assert first["body_keys"] == round(SECONDS * 24)  # one key per frame at 24 fps
        jaw = first["face_keys"]['key_blocks["jawOpen"].value']
        assert len(jaw) == first["body_keys"] and max(jaw) > 0.2
        # the server is Blender's Python with only the extension's site-packages on its path
        site = first["site_packages"]
        assert site.startswith(str(tmp_path / "home" / "blender"))
        argv, env = process_of(pid)
        assert argv[:4] == [str(python), "-m", "talkrig", "serve"]
        assert env["PYTHONPATH"] == site and env["PYTHONSAFEPATH"] == "1"
        assert Path(site, "fastapi").is_dir() and not Path(site, "numpy").exists()
        assert first["connection"] == [str(python), site]
        assert "Blender's Python runs the server this extension brings" in first["drawn_labels"]
        # a Python set in the preferences is used as it is, with its own packages
        assert first["chosen_connection"] == [str(tmp_path / "home" / "another" / "python"), None]

        # The next Blender session finds the same server, uses it, and Stop ends it.
        second = blender_session(tmp_path, "reuse", install=None, port=free_port(), stop=True,
                                 **common)
        assert second["state"] == "DONE", second["error"]
        assert second["server_pid"] == pid and second["url"] == first["url"]
        assert second["stopped"]
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists()
    finally:
        if pid and Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGTERM)
