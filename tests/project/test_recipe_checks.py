"""`recipes/fit_posture.py --check` says it writes nothing, and does: the shipped posture.json
keeps its bytes and its modification time while a fresh fit is made and compared with it (the
fit used to write its numbers there for the generator to render with, then put the old text
back). The generator reads a fitted body from a temporary file instead, and the shipped one
again afterwards."""

import json
from pathlib import Path

import pytest
from support.recipes import load_recipe

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recipe():
    return load_recipe("fit_posture")


def snapshot(path):
    return path.read_bytes(), path.stat().st_mtime_ns


def test_check_leaves_the_shipped_posture_file_untouched(recipe, scott_npz, capsys):
    from talkrig.plugins.generators.procedural import posture

    before = snapshot(recipe.OUT)
    assert recipe.main(["--check"]) in (0, 1)
    assert capsys.readouterr().out.strip() in ("posture.json matches a fresh fit",
                                               "posture.json differs from a fresh fit")
    assert snapshot(recipe.OUT) == before
    assert posture.DATA == recipe.OUT and not list(recipe.OUT.parent.glob("*.tmp"))


def test_the_fit_renders_with_its_own_numbers_from_a_temporary_file(recipe):
    from talkrig.plugins.generators.procedural import posture

    shipped = posture.learned()["source"]
    before = snapshot(recipe.OUT)
    with recipe.posture_file({"source": "a fit under test", "step_length": 0.5}) as path:
        assert path != recipe.OUT and json.loads(path.read_text())["source"] == "a fit under test"
        assert posture.learned()["source"] == "a fit under test"
    assert not path.exists()
    assert posture.learned()["source"] == shipped and snapshot(recipe.OUT) == before
