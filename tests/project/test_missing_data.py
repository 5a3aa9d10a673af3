"""A clone without the real test data (../shared/data, not in the repository): outside CI the
tests needing it are skipped and counted in one line at the end, under CI they fail.

A tiny test file is planted beside a copy of tests/conftest.py and run by pytest in a child
process, with $TALKRIG_SHARED_DATA pointing at an empty folder.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
PLANTED = '''
from support.shared_data import shared_file


def test_reads_a_take(scott_wav):
    assert scott_wav.exists()


def test_reads_the_lecture():
    assert shared_file("video_ccby", "physicsworks.webm").exists()


def test_needs_no_data():
    assert 1 + 1 == 2
'''


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    (root / "pytest.ini").write_text("[pytest]\n")
    shutil.copy(TESTS / "conftest.py", root / "conftest.py")
    (root / "test_planted.py").write_text(PLANTED)
    (root / "no-data").mkdir()
    return root


def run_planted(root, ci):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")}
    env.update(TALKRIG_SHARED_DATA=str(root / "no-data"), PYTHONPATH=str(TESTS))
    if ci:
        env["CI"] = "true"
    done = subprocess.run([sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "--rootdir", str(root), str(root / "test_planted.py")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_outside_ci_tests_needing_the_data_are_skipped_and_counted_once(planted):
    code, out = run_planted(planted, ci=False)
    assert code == 0, out
    lines = [line for line in out.splitlines() if "need the real data" in line or "missing" in line]
    assert lines == [f"2 tests need the real data in {planted / 'no-data'} "
                     "(see docs/development.md); not run"], out
    assert "1 passed, 2 no real data" in out, out


def test_under_ci_missing_data_fails(planted):
    code, out = run_planted(planted, ci=True)
    assert code == 1, out
    assert "1 failed, 1 passed, 1 error" in out, out  # the fixture's test errs in its setup
    assert out.count("real test data missing:") >= 2 and "not run" not in out, out
