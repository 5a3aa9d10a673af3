"""Text files in the encodings people's tools write, read the same by the command line and the
Blender add-on: Praat's UTF-16 TextGrids, Latin-1 scripts, UTF-8 with a byte-order mark (as
Notepad saves a key-pose dictionary); a file that is no text at all is refused in one line
rather than sent as garbage."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from talkrig.motion.errors import TalkrigError
from talkrig.inference.speech.transcripts import detect_format, read_transcript_file

SCRIPT = "Café crème, naïve résumé: it's “fine”."


@pytest.fixture
def files(tmp_path, scott_textgrid):
    grid = scott_textgrid.read_text(encoding="utf-8")
    out = {}
    for name, text, encoding in (("praat.TextGrid", grid, "utf-16"), ("bom.txt", SCRIPT, "utf-8-sig"),
                                 ("plain.txt", SCRIPT, "utf-8")):
        out[name] = tmp_path / name
        out[name].write_text(text, encoding=encoding)
    out["latin1.txt"] = tmp_path / "latin1.txt"
    out["latin1.txt"].write_bytes("Café crème, naïve résumé".encode("latin-1"))
    return out


def addon_read(path):
    from talkrig.addon.request_options import read_transcript  # imports bpy

    return read_transcript(SimpleNamespace(transcript_source="FILE", transcript_file=str(path)))


@pytest.mark.parametrize("read", [read_transcript_file, addon_read], ids=["command line", "add-on"])
def test_every_encoding_reads_as_its_text(files, read):
    assert detect_format(read(files["praat.TextGrid"])) == "textgrid"
    assert read(files["bom.txt"]).strip() == SCRIPT and read(files["plain.txt"]).strip() == SCRIPT
    assert read(files["latin1.txt"]).strip() == "Café crème, naïve résumé"


@pytest.mark.parametrize("read", [read_transcript_file, addon_read], ids=["command line", "add-on"])
def test_a_file_that_is_not_text_is_refused(read, scott_wav):
    with pytest.raises(TalkrigError, match="is not a text file"):
        read(scott_wav)


@pytest.mark.parametrize("read", [read_transcript_file, addon_read], ids=["command line", "add-on"])
@pytest.mark.parametrize("content", [b"", b" \n\t\r\n", "\ufeff\n".encode("utf-8"), "\n".encode("utf-16")],
                         ids=["empty", "blank", "bom only", "utf-16 blank"])
def test_a_script_file_with_no_words_is_refused_not_taken_for_no_script(read, content, tmp_path):
    # left blank by a failed export, it would otherwise be recognised freely as if none was given
    path = tmp_path / "script.txt"
    path.write_bytes(content)
    with pytest.raises(TalkrigError, match="holds no words"):
        read(path)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_key_pose_dictionary_saved_with_a_byte_order_mark_is_read(encoding, tmp_path):
    from talkrig.motion.keypose_file import read_json

    bundled = (Path(__file__).resolve().parents[2] / "inference" / "generation" / "data"
               / "keyposes_default.json")
    path = tmp_path / "poses.json"
    path.write_text(bundled.read_text(encoding="utf-8"), encoding=encoding)
    assert read_json(path) == read_json(bundled)
