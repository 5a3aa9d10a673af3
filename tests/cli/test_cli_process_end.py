"""A command's process ends quickly (its objects are left to the system, not walked by the
interpreter's last collections) and still ends whole: what it printed into a pipe reaches the
reader, its log is flushed and its take is complete."""

import subprocess
import sys

from support.cli_support import speech  # noqa: F401 (a fixture)

from talkrig.motion import load_motion


def test_a_command_piped_to_a_file_ends_with_its_output_log_and_take_whole(speech, tmp_path):
    take = tmp_path / "take.npz"
    done = subprocess.run([sys.executable, "-m", "talkrig", "--verbose", "generate", str(speech), "-o",
                           str(take), "--speech", "none"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {take}")  # a pipe's buffer, flushed only at the end
    assert "DEBUG talkrig." in done.stderr
    assert load_motion(take).n_frames == 30
