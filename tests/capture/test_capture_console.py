"""`talkrig capture` says what it does in its own words: the landmark library's native logs
and deprecation notices stay off the terminal."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.shared_data import shared_file

pytestmark = pytest.mark.slow


def test_capture_prints_only_its_own_lines(tmp_path):
    video = shared_file("video_ccby", "physicsworks.webm")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    run = subprocess.run([sys.executable, "-m", "talkrig", "capture", str(video), "-o", str(tmp_path / "takes"),
                          "--start", "10", "--end", "13"], capture_output=True, text=True, env=env, timeout=300)
    lines = run.stderr.splitlines() + run.stdout.splitlines()
    # two shots of the lecture, each a fresh tracker: 16 native warnings and a protobuf notice before
    own = re.compile(r"^(talkrig capture: |\w[\w ]* \d+% \[\d+ s\]$|captured |skipped |wrote )")
    assert lines and all(own.match(line) for line in lines), lines
