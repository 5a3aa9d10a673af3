"""The documentation: every page can be reached, and every command and flag it shows is real.

- Every page under docs/ is in mkdocs.yml's nav and linked from the README's documentation table;
  every page the nav names exists.
- Every `talkrig SUBCOMMAND` and every `--flag` shown in README.md and docs/*.md exists in that
  subcommand's `--help` (the help is the truth: a page that shows a flag the command lost is
  wrong). Checked: each command line in a fenced code block, and each inline code span that
  starts with `talkrig SUBCOMMAND`; a flag in inline code on its own must belong to some
  subcommand, unless it is one of another program's (OTHER_PROGRAMS). All misses are reported
  at once.
- The site builds with `mkdocs build --strict` (what `make docs` runs) without a warning, when
  mkdocs (the `docs` extra) is installed.

Fast and offline: no network, no subprocess but the mkdocs build.
"""

import contextlib
import io
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "mkdocs.yml").is_file())
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# Flags that inline code shows on their own and that belong to another program, not talkrig.
OTHER_PROGRAMS = {
    "--before": "examples/render_follow_sheet.py",
    "--variations": "benchmarks/bench_calibration.py",
    "--strict": "mkdocs build",
}

FENCE = re.compile(r"^\s*(```|~~~)")
# `talkrig SUB` at the start of a command: after the line's start, a space, `(`, `;`, `&`, `|`, `$`.
COMMAND = re.compile(r"(?:^|(?<=[\s(;&|$]))talkrig[ \t]+([a-z][\w-]*)")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def pages():
    """Every page of the site, relative to docs/ (posix)."""
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))


def shown_files():
    return [README, *sorted(DOCS.glob("*.md"))]


def nav_pages():
    yaml = pytest.importorskip("yaml", reason="PyYAML reads mkdocs.yml")

    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from walk(value)

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config.get("docs_dir", "docs") == "docs"
    return [p for p in walk(config.get("nav", [])) if not re.match(r"^[a-z]+://", p)]


def readme_table_links():
    """The docs/ pages the README's "Documentation" section links to."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Documentation\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "README.md has no '## Documentation' section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")]
    return {link.removeprefix("docs/") for row in rows for link in LINK.findall(row)
            if link.startswith("docs/")}


def test_every_page_is_in_the_nav_and_every_nav_page_exists():
    nav = nav_pages()
    assert [p for p in pages() if p not in nav] == [], "pages missing from mkdocs.yml's nav"
    assert [p for p in nav if not (DOCS / p).is_file()] == [], "nav entries with no page"
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"


def test_every_page_is_linked_from_the_readme_table():
    linked = readme_table_links()
    assert [p for p in pages() if p not in linked] == [], "pages missing from README's table"
    assert sorted(p for p in linked if not (DOCS / p).is_file()) == [], "README links to no page"


def test_readme_stays_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for door in ("## Install", "## Blender", "## Command line", "## Python", "## Server",
                 "## Documentation"):
        assert re.search(rf"^{re.escape(door)}$", text, re.M), door
    assert "benchmarks/RESULTS.md" in text


@cache
def help_text(subcommand=None):
    """What `talkrig [SUBCOMMAND] --help` prints."""
    from talkrig.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        main([subcommand, "--help"] if subcommand else ["--help"])
    assert exit_.value.code in (0, None)
    return out.getvalue()


@cache
def subcommands():
    import argparse

    from talkrig.cli import build_parser

    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return frozenset(actions[0].choices)


def has_flag(subcommand, flag):
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text(subcommand)) is not None


def shown_commands(path):
    """(line, subcommand, command text) for each talkrig command the file shows, and
    (line, None, flag) for each flag shown in inline code on its own."""
    found, fenced, pending = [], False, ""
    lines = path.read_text(encoding="utf-8").splitlines()
    prose = []  # (line number, text) outside fenced blocks
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            prose.append((number, line))
            continue
        line = pending + line
        if line.rstrip().endswith("\\"):  # a command continued on the next line
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        for match in COMMAND.finditer(line):
            rest = line[match.start():]
            rest = re.split(r"\s#|\s&&|\s\|\s|\s&\s*$|;", rest)[0]  # comment, next command
            found.append((number, match.group(1), rest))
    # Inline code can wrap across lines within a paragraph: read each paragraph as one text.
    paragraph = []  # (line number, text)
    for number, line in [*prose, (None, "")]:
        if line.strip() and number is not None:
            paragraph.append((number, line))
            continue
        text = " ".join(line for _, line in paragraph)
        starts = [0]
        for _, line in paragraph:
            starts.append(starts[-1] + len(line) + 1)
        for match in INLINE.finditer(text):
            at = paragraph[max(i for i, s in enumerate(starts[:-1]) if s <= match.start())][0]
            span = " ".join(match.group(1).split())
            command = re.match(r"^(?:python -m )?talkrig\s+([a-z][\w-]*)", span)
            if command:
                found.append((at, command.group(1), span))
            elif span.startswith("--"):
                found.extend((at, None, flag) for flag in FLAG.findall(span))
        paragraph = []
    return found


def test_every_command_and_flag_shown_exists_in_its_help():
    missing = []
    every_flag = None
    for path in shown_files():
        name = path.relative_to(ROOT).as_posix()
        for line, subcommand, text in shown_commands(path):
            if subcommand is None:  # a flag on its own: some subcommand must have it
                flag = text
                if flag in OTHER_PROGRAMS:
                    continue
                if every_flag is None:
                    every_flag = {f for sub in subcommands() for f in FLAG.findall(help_text(sub))}
                if flag not in every_flag:
                    missing.append(f"{name}:{line}: {flag} (no talkrig subcommand has it)")
                continue
            if subcommand not in subcommands():
                missing.append(f"{name}:{line}: talkrig {subcommand} (no such subcommand)")
                continue
            for flag in FLAG.findall(text):
                if not has_flag(subcommand, flag):
                    missing.append(f"{name}:{line}: talkrig {subcommand} {flag}")
    assert not missing, "shown but not in --help:\n" + "\n".join(sorted(set(missing)))


def test_the_pages_show_commands():
    """The checks above read something: the pages do show commands and flags."""
    shown = [item for path in shown_files() for item in shown_commands(path)]
    assert len({sub for _, sub, _ in shown if sub}) >= 10
    assert sum(len(FLAG.findall(text)) for _, sub, text in shown if sub) >= 100


def test_make_docs_builds_the_site_strictly():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^docs:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and "mkdocs build --strict" in recipe.group(1), "Makefile: no strict docs target"


def test_the_site_builds_without_warnings(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (the `docs` extra): "
                                          "the site build is not checked")
    # What `make docs` runs, into a temporary folder (make itself would first re-run setup).
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert (tmp_path / "site" / "index.html").is_file()
