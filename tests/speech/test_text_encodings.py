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


# A script as word processors save it: TextEdit's RTF (its default), WordPad's, Word's and
# LibreOffice's documents
TEXTEDIT_RTF = (r"{\rtf1\ansi\ansicpg1252\cocoartf2639" "\n"
                r"\cocoatextscaling0\cocoaplatform0{\fonttbl\f0\fswiss\fcharset0 Helvetica;}" "\n"
                r"{\colortbl;\red255\green255\blue255;}" "\n" r"{\*\expandedcolortbl;;}" "\n"
                r"\pard\tx566\pardirnatural\partightenfactor0" "\n\n"
                r"\f0\fs24 \cf0 Caf\'e9 cr\'e8me, na\'efve r\'e9sum\'e9: it\rquote s \u8220?fine\u8221?.\
And a second line.}")
WORDPAD_RTF = (r"{\rtf1\ansi\deff0\nouicompat{\fonttbl{\f0\fnil\fcharset0 Calibri;}}" "\n"
               r"{\*\generator Riched20 10.0.19041}\viewkind4\uc1 " "\n"
               r"\pard\sa200\sl276\f0\fs22\lang9 Caf\'e9 cr\'e8me, na\'efve r\'e9sum\'e9: it's \{fine\}.\par" "\n}")
WORD_XML = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Café crème,</w:t></w:r>'
            '<w:r><w:t xml:space="preserve"> naïve résumé</w:t></w:r></w:p><w:p><w:r><w:t>And a second'
            '</w:t></w:r><w:r><w:tab/><w:t>line.</w:t></w:r></w:p></w:body></w:document>')
ODT_XML = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
           'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
           '<office:body><office:text><text:p>Café <text:span>crème,</text:span> naïve<text:s/>résumé</text:p>'
           '<text:p>And a second line.</text:p></office:text></office:body></office:document-content>')


def _zipped(path, parts):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("read", [read_transcript_file, addon_read], ids=["command line", "add-on"])
def test_a_script_saved_by_a_word_processor_reads_as_its_words(read, tmp_path):
    (tmp_path / "textedit.rtf").write_bytes(TEXTEDIT_RTF.encode("latin-1"))
    (tmp_path / "wordpad.rtf").write_bytes(WORDPAD_RTF.encode("latin-1"))
    word = _zipped(tmp_path / "script.docx", {"[Content_Types].xml": "<Types/>", "word/document.xml": WORD_XML})
    odt = _zipped(tmp_path / "script.odt", {"mimetype": "application/vnd.oasis.opendocument.text",
                                            "content.xml": ODT_XML})
    assert read(tmp_path / "textedit.rtf").split("\n") == ["Café crème, naïve résumé: it’s “fine”.", "And a second line."]
    assert read(tmp_path / "wordpad.rtf").strip() == "Café crème, naïve résumé: it's {fine}."
    assert " ".join(read(word).split()) == " ".join(read(odt).split()) == "Café crème, naïve résumé And a second line."
    assert read(word).count("\n") == read(odt).count("\n") == 1  # a paragraph, a line


@pytest.mark.parametrize("rtf, said", [
    (r"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Calibri;}}\f0 \'cf\'f0\'e8\'e2\'e5\'f2, \'ec\'e8\'f0!\par}", "Привет, мир!"),
    (r"{\rtf1\ansi\ansicpg932{\fonttbl{\f0 MS Gothic;}}\f0 \'82\'b1\'82\'f1\'82\'c9\'82\'bf\'82\'cd\par}", "こんにちは"),
], ids=["wordpad russian", "wordpad japanese"])
def test_an_rtf_script_in_its_code_page(rtf, said, tmp_path):
    """WordPad writes a script's letters in the document's code page, two bytes a letter in
    Japanese: read as the code page says."""
    path = tmp_path / "script.rtf"
    path.write_bytes(rtf.encode("latin-1"))
    assert read_transcript_file(path).strip() == said


@pytest.mark.parametrize("read", [read_transcript_file, addon_read], ids=["command line", "add-on"])
def test_an_archive_that_is_no_document_is_refused(read, tmp_path):
    archive = _zipped(tmp_path / "script.docx", {"readme.txt": "not a document"})
    with pytest.raises(TalkrigError, match="is not a text file"):
        read(archive)
