"""Output and transcript paths a new user gets wrong: one line at once, before any work is done.

An output that is a folder, in a folder that is a file, or where nothing can be written is
refused before the take is generated (so a long take is not made and then lost); a path given
as the transcript that names no file is a typo, not a one-word script; a file written under a
name with an upper-case extension keeps that name.
"""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from support.cli_support import one_line_error, speech  # noqa: F401 (a fixture)

from talkrig.motion import Motion, load_motion, save_motion
from talkrig.motion.errors import TalkrigError


def still():
    return Motion(poses=np.zeros((4, 165), np.float32), trans=np.zeros((4, 3), np.float32), fps=30.0)




@pytest.fixture
def no_generation(monkeypatch):
    """Fails the test if a take is generated: the mistake must be found first."""
    import talkrig.inference.generation.pipeline as pipeline

    def generate(*args, **kwargs):
        raise AssertionError("generated a take before checking where it goes")

    monkeypatch.setattr(pipeline, "generate", generate)


def unwritable_folder(tmp_path):
    """A folder nothing can be written in: read-only, or (as root, who ignores that) /proc."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return folder
    if not Path("/proc/self").is_dir():
        pytest.skip("no read-only folder for this user")
    return Path("/proc")


def bad_outputs(tmp_path):
    """{case: (path, what the message says)}."""
    (tmp_path / "taken.npz").mkdir()
    (tmp_path / "file").write_text("x")
    return {
        "a folder": (tmp_path / "taken.npz", "is a folder"),
        "inside a file": (tmp_path / "file" / "out.npz", "is a file, not a folder"),
        "missing folder": (tmp_path / "no" / "out.npz", "does not exist"),
        "unwritable": (unwritable_folder(tmp_path) / "out.npz", "cannot write in folder"),
    }


CASES = ("a folder", "inside a file", "missing folder", "unwritable")


@pytest.mark.parametrize("case", CASES)
def test_generate_refuses_an_output_it_cannot_write_before_generating(case, speech, tmp_path, capsys,
                                                                        no_generation):
    path, message = bad_outputs(tmp_path)[case]
    err = one_line_error(capsys, ["generate", speech, "-o", path])
    assert message in err and str(path) in err
    good = tmp_path / "take.npz"
    for flag in ("--words-json", "--mouth-cues"):
        side = path.with_suffix(".json")
        if case == "a folder":
            side.mkdir(exist_ok=True)
        err = one_line_error(capsys, ["generate", speech, "-o", good, flag, side])
        assert message in err and str(side) in err
        assert not good.exists()


@pytest.mark.parametrize("case", CASES)
def test_every_command_refuses_such_outputs_in_one_line(case, speech, scott_npz, tmp_path, capsys,
                                                       no_generation):
    path, message = bad_outputs(tmp_path)[case]
    commands = {
        "convert": ["convert", scott_npz, path],
        "bake": ["bake", speech, "-o", path],
        "eval": ["eval", "--reference", scott_npz, scott_npz, "--json", path.with_suffix(".json")],
        "render": ["render", scott_npz, "--renderer", "skeleton", "-o", path.with_suffix(".mp4")],
    }
    if case == "a folder":
        for suffix in (".json", ".mp4"):
            path.with_suffix(suffix).mkdir()
    for name, argv in commands.items():
        err = one_line_error(capsys, argv)
        assert message in err, (name, err)


def test_a_file_system_error_anywhere_is_one_line_not_a_traceback(monkeypatch, scott_npz, tmp_path,
                                                                  capsys):
    """Whatever a check misses (a full disk, a file locked by another program)."""
    import talkrig.motion.npz as npz

    def write_npz(motion, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(npz, "write_npz", write_npz)
    err = one_line_error(capsys, ["convert", scott_npz, tmp_path / "out.npz"])
    assert "No space left on device" in err and "out.npz" in err


@pytest.mark.parametrize("name", ["take.NPZ", "take.Npz", "take.BVH"])
def test_a_file_is_written_under_exactly_the_name_given(name, tmp_path):
    path = save_motion(still(), tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert load_motion(path).n_frames == 4


def test_save_motion_says_why_it_cannot_write(tmp_path):
    (tmp_path / "taken.npz").mkdir()
    with pytest.raises(TalkrigError, match="is a folder"):
        save_motion(still(), tmp_path / "taken.npz")


@pytest.mark.parametrize("command", ["generate", "words"])
def test_a_transcript_path_that_names_no_file_is_a_typo_not_a_script(command, speech, tmp_path,
                                                                    capsys, no_generation):
    (tmp_path / "scripts").mkdir()
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n", encoding="utf-8")
    extra = ["-o", tmp_path / "take.npz"] if command == "generate" else []
    cases = {
        "script.txt": "no such transcript file",  # not the one-word script "script.txt"
        str(tmp_path / "scrpt" / "take.TextGrid"): "no such transcript file",
        str(tmp_path / "scripts"): "is a folder",
        str(speech): "is not a text file",  # the audio given twice: not 100 000 words of bytes
        str(blank): "holds no words",  # not recognised freely as if no script was given
    }
    for value, message in cases.items():
        err = one_line_error(capsys, [command, speech, *extra, "--transcript", value])
        assert message in err, (value, err)


def test_scripts_that_only_contain_slashes_or_dots_are_still_text(tmp_path, monkeypatch):
    from talkrig.inference.speech.transcripts import transcript_text

    monkeypatch.chdir(tmp_path)
    for text in ("Dr. Smith paid $3.50 on 4/5.", "and/or both", "Hello.", "it's 3.json time"):
        assert transcript_text(text) == (text, None)
    utf16 = tmp_path / "script.txt"
    utf16.write_text("so I think", encoding="utf-16")
    assert transcript_text(str(utf16)) == ("so I think", "script.txt")


@pytest.mark.parametrize("case", ["a file", "unwritable"])
def test_commands_that_fill_a_folder_refuse_one_they_cannot_before_any_work(case, speech, scott_npz,
                                                                           tmp_path, capsys):
    """Capturing a video or training takes minutes: a bad output folder is found first."""
    if case == "a file":
        folder, message = speech, "is a file, not a folder"
    else:
        folder, message = unwritable_folder(tmp_path) / "takes", "cannot"
    video = scott_npz  # never opened: the folder is checked before the video is read
    manifest = tmp_path / "clips.csv"
    manifest.write_text(f"audio\n{speech}\n")
    commands = {
        "capture": ["capture", video, "-o", folder],
        "train": ["train", "--backend", "a2g", "--data", tmp_path / "nowhere", "-o", folder],
        "train-renderer": ["train-renderer", "--video", video, "-o", folder],
        "bake-batch": ["bake-batch", manifest, "--out", folder],
    }
    for name, argv in commands.items():
        err = one_line_error(capsys, argv)
        assert message in err and str(folder) in err, (name, err)
