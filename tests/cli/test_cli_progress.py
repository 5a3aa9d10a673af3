"""Progress of a long command in a log (stderr not a terminal, where no bar is drawn): once the
job has run a while, a line for each stage and each tenth of the way; a line for each clip of a
batch; nothing with --quiet."""

import os
import pty
import re
import subprocess
import sys

import pytest
from support.cli_support import speech  # noqa: F401 (a fixture)

from talkrig.cli import main
from talkrig.commands import progress

LINE = re.compile(r"^(\w+) (\d+)% \[\d+ s\]$")


def logged(err):
    """[(stage, percent), ...] of the progress lines in ``err``."""
    return [(m.group(1), int(m.group(2))) for m in map(LINE.match, err.splitlines()) if m]


def test_a_log_gets_a_line_per_stage_and_per_tenth(monkeypatch, capsys):
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    updates = [("audio", 0.0), ("audio", 0.04), ("audio", 0.12), ("words", 0.2), ("words", 0.25),
               ("words", 0.31), ("generate", 0.5), ("generate", 0.55), ("generate", 0.99),
               ("done", 1.0)]
    with progress.StageBar() as bar:
        for stage, fraction in updates:
            bar.update(stage, fraction)
    assert logged(capsys.readouterr().err) == [
        ("audio", 0), ("audio", 12), ("words", 20), ("words", 31), ("generate", 50),
        ("generate", 99), ("done", 100)]


def test_a_quick_job_logs_nothing(capsys):
    with progress.StageBar() as bar:  # the default quiet time: far longer than this loop
        for k in range(11):
            bar.update("generate", k / 10)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("quiet", [False, True])
def test_generate_logs_its_stages_to_the_end(speech, tmp_path, capsys, monkeypatch, quiet):
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    args = ["generate", str(speech), "-o", str(tmp_path / "take.npz")] + (["--quiet"] if quiet else [])
    assert main(args) == 0
    lines = logged(capsys.readouterr().err)
    if quiet:
        assert lines == []
        return
    percents = [p for _, p in lines]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len({stage for stage, _ in lines}) >= 3  # audio, words, ... each named as it starts


def test_a_batch_logs_a_line_per_clip_baked(capsys):
    results = [{"name": "a", "status": "skipped"}, {"name": "b", "status": "done"},
               {"name": "c", "status": "failed"}, {"name": "d", "status": "done"}]
    with progress.ClipBar(len(results)) as bar:
        for result in results:
            bar.update(result)
    assert capsys.readouterr().err.splitlines() == [
        "clip 1/3: b done", "clip 2/3: c failed, 1 failed", "clip 3/3: d done, 1 failed"]


def test_a_terminal_gets_a_bar_drawn_in_place(speech, tmp_path):
    """On a terminal the stages are one bar redrawn in place (no log lines), and the take is
    written as in a log."""
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen([sys.executable, "-m", "talkrig", "generate", str(speech), "-o",
                               str(tmp_path / "take.npz"), "--speech", "none"],
                              stdout=subprocess.PIPE, stderr=follower, text=True) as done:
            os.close(follower)
            drawn = b""
            while True:  # read as it is drawn: a full terminal would hold the command up
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal's other end is closed: everything is read
                    break
                if not chunk:
                    break
                drawn += chunk
            out = done.stdout.read()
            done.wait(timeout=300)
    finally:
        os.close(leader)
    assert done.returncode == 0 and "wrote" in out
    drawn = drawn.decode("utf-8", "replace")
    assert "\r" in drawn and "%" in drawn and "generate" in drawn
    assert logged(drawn.replace("\r", "\n")) == []  # a bar, not a log's lines
