"""Batch manifests (CSV and JSON Lines): defaults, relative paths, rows that fail alone, and
manifests that cannot be used at all. No Blender needed."""

import pytest

from talkrig.exporters.atomic import atomic_path, remove_stale
from talkrig.exporters.errors import ManifestError
from talkrig.exporters.manifest import read_manifest


def test_csv_defaults_and_relative_paths(tmp_path):
    (tmp_path / "intro.txt").write_text("hello there")
    manifest = tmp_path / "clips.csv"
    manifest.write_text(
        "audio,transcript,avatar,seed,backend,output,map\n"
        "speech/intro.wav,intro.txt,hero.glb,4,matching,intro.fbx,mixamo\n"
        "\n"
        "/data/outro.wav,thanks for watching,,,,,\n"
        "speech/mid.wav,,,,,middle,\n")
    intro, outro, mid = read_manifest(manifest, default_format="bvh")
    assert intro.audio == str(tmp_path / "speech" / "intro.wav")
    assert intro.transcript == str(tmp_path / "intro.txt")  # a file: read when baking
    assert (intro.avatar, intro.seed, intro.backend) == (str(tmp_path / "hero.glb"), 4, "matching")
    assert (intro.output, intro.bone_map, intro.error) == ("intro.fbx", "mixamo", None)
    assert (outro.audio, outro.transcript) == ("/data/outro.wav", "thanks for watching")
    assert (outro.output, outro.seed, outro.avatar, outro.backend) == ("outro.bvh", 0, None, None)
    assert (mid.output, mid.line) == ("middle.bvh", 5)


def test_jsonl_rows_with_bad_values_fail_alone(tmp_path):
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text(
        '{"audio": "a.wav", "seed": 2}\n'
        '{"audio": "b.wav", "seed": "two"}\n'
        '{"audio": "b2.wav", "seed": -1}\n'
        'not json at all\n'
        '{"transcript": "no audio here"}\n'
        '{"audio": "c.wav", "output": "../escape.glb"}\n')
    clips = read_manifest(manifest)
    assert [c.error is None for c in clips] == [True, False, False, False, False, False]
    assert clips[0].output == "a.glb" and clips[0].seed == 2
    assert "line 2: seed must be a whole number, got 'two'" in clips[1].error
    assert "line 3: seed must be a whole number from 0 to 4294967295, got -1" in clips[2].error
    assert "line 4: not valid JSON" in clips[3].error
    assert "no audio file given" in clips[4].error
    assert "plain file name" in clips[5].error


@pytest.mark.parametrize("name, text, message", [
    ("clips.csv", "audio,sed\na.wav,1\n", "unknown column 'sed'"),
    ("clips.csv", "file,seed\na.wav,1\n", "header with an 'audio' column"),
    ("clips.csv", "audio,output\na.wav,x.glb\nb.wav,X.glb\n", "lines 2 and 3 both write"),
    ("clips.csv", "audio\n", "lists no clips"),
    ("clips.jsonl", '{"audio": "a.wav", "speed": 2}\n', "line 1: unknown column 'speed'"),
    ("clips.txt", "a.wav\n", "a manifest is a .csv, .xlsx, .ods or .jsonl file"),
])
def test_unusable_manifests_are_refused(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ManifestError, match=message.replace("(", r"\(")):
        read_manifest(path)


def test_atomic_write_leaves_nothing_under_the_final_name_on_failure(tmp_path):
    target = tmp_path / "take.glb"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temp:
            temp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target) as temp:
        temp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]
    (tmp_path / ".take2.partial-123.glb").write_bytes(b"left by a killed run")
    assert remove_stale(tmp_path) == 1 and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("encoding,delimiter", [
    ("utf-8-sig", ","), ("utf-16", "\t"), ("latin-1", ";"), ("utf-8", ";"), ("cp1252", ",")],
    ids=["excel utf-8", "excel unicode text", "excel europe", "semicolons", "excel windows"])
def test_csv_as_spreadsheets_save_it(encoding, delimiter, tmp_path):
    """Excel writes a byte-order mark, UTF-16 with tabs, Windows' Latin-1, and ';' where ','
    is the decimal mark: the clips are the same."""
    manifest = tmp_path / "clips.csv"
    rows = [["audio", "transcript", "seed", "output"],
            ["voix é 1.wav", "Café, s'il vous plaît", "3", "café.fbx"],
            ["b.wav", "", "", ""]]
    quote = (lambda v: f'"{v}"' if delimiter in v else v)
    text = "\r\n".join(delimiter.join(quote(v) for v in row) for row in rows) + "\r\n"
    manifest.write_bytes(text.encode(encoding))
    first, second = read_manifest(manifest)
    assert (first.error, second.error) == (None, None)
    assert first.audio == str(tmp_path / "voix é 1.wav") and first.output == "café.fbx"
    assert (first.transcript, first.seed) == ("Café, s'il vous plaît", 3)
    assert (second.audio, second.output) == (str(tmp_path / "b.wav"), "b.glb")


def _workbook(path, sheet_rows, strings):
    """An .xlsx laid out as Excel writes one: the first sheet named by the workbook and its
    relations, text in the shared strings (rich text runs, a phonetic reading beside Japanese)."""
    import zipfile

    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    relations = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", f'<workbook {main} {relations}><sheets><sheet name="Lines" '
                                         'sheetId="1" r:id="rId3"/><sheet name="Notes" sheetId="2" '
                                         'r:id="rId4"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      '<Relationship Id="rId4" Target="worksheets/sheet1.xml"/>'
                      '<Relationship Id="rId3" Target="worksheets/sheet2.xml"/></Relationships>')
        book.writestr("xl/sharedStrings.xml", f"<sst {main}>{strings}</sst>")
        book.writestr("xl/worksheets/sheet2.xml", f"<worksheet {main}><sheetData>{sheet_rows}</sheetData></worksheet>")
        book.writestr("xl/worksheets/sheet1.xml", f'<worksheet {main}><sheetData><row r="1"><c r="A1" '
                                                  't="inlineStr"><is><t>notes</t></is></c></row></sheetData></worksheet>')
    return path


def test_an_excel_workbooks_first_sheet_is_a_manifest(tmp_path):
    strings = ("<si><t>audio</t></si><si><t>transcript</t></si><si><t>seed</t></si><si><t>output</t></si>"
               "<si><t>lines/intro.wav</t></si><si><r><t>(angry) </t></r><r><rPr><b/></rPr><t>Get out!</t></r></si>"
               "<si><t>挨拶</t><rPh sb=\"0\" eb=\"2\"><t>アイサツ</t></rPh></si><si><t>outro.wav</t></si>")
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
            '<c r="D1" t="s"><v>3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>5</v></c><c r="C2"><v>3</v></c>'
            '<c r="D2" t="s"><v>6</v></c></row>'
            '<row r="4"><c r="A4" t="s"><v>7</v></c><c r="C4"><v>2.0</v></c></row>'  # row 3 empty, B4 absent
            '<row r="5"><c r="A5" t="inlineStr"><is><t>extra.wav</t></is></c><c r="F5"><v>1</v></c></row>')
    intro, outro, extra = read_manifest(_workbook(tmp_path / "clips.xlsx", rows, strings))
    assert (intro.audio, intro.transcript, intro.seed) == (str(tmp_path / "lines" / "intro.wav"), "(angry) Get out!", 3)
    assert (intro.output, intro.line) == ("挨拶.glb", 2)
    assert (outro.audio, outro.transcript, outro.seed, outro.output, outro.line) == (
        str(tmp_path / "outro.wav"), None, 2, "outro.glb", 4)
    assert extra.error == "line 5: 6 values for the 4 columns of the header"


def test_a_libreoffice_sheet_is_a_manifest(tmp_path):
    """LibreOffice Calc's .ods: its first table; blank rows and cells stored as runs (the sheet's
    blank tail a million rows long), a number as its value, a cell's lines of text."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')

    def cell(value):
        if isinstance(value, int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    rows = ("<table:table-row>" + "".join(cell(v) for v in ("Audio", "Transcript", "Seed", "Character")) + "</table:table-row>"
            "<table:table-row>" + "".join(cell(v) for v in ("intro.wav", "Get out!", 3, "BOB")) + "</table:table-row>"
            '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="4"/></table:table-row>'
            "<table:table-row>" + cell("outro.wav") + cell("ignored.wav").replace("<text:p>ignored.wav</text:p>",
                                                                             "<text:p>two</text:p><text:p>lines</text:p>")
            + "</table:table-row>"
            '<table:table-row><table:table-cell table:number-columns-repeated="2"/>' + cell(7) + "</table:table-row>"
            '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/>'
            "</table:table-row>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:spreadsheet>'
               f'<table:table table:name="Lines">{rows}</table:table><table:table table:name="Notes"><table:table-row>'
               f'{cell("notes.wav")}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(tmp_path / "clips.ods", "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("content.xml", content)
    intro, outro, no_audio = read_manifest(tmp_path / "clips.ods")
    assert (intro.audio, intro.transcript, intro.seed, intro.line) == (str(tmp_path / "intro.wav"), "Get out!", 3, 2)
    assert (outro.audio, outro.transcript, outro.line) == (str(tmp_path / "outro.wav"), "two\nlines", 5)
    assert (no_audio.line, no_audio.error) == (6, "line 6: no audio file given")  # a seed alone


@pytest.mark.parametrize("name, content, message", [
    ("clips.numbers", b"PK\x03\x04", "a spreadsheet in Numbers's own format: save it as CSV or as an Excel"),
    ("clips.xlsx", b"audio,output\n", "not an Excel workbook that can be read (BadZipFile"),
])
def test_a_workbook_that_cannot_be_read_says_so(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ManifestError) as error:
        read_manifest(tmp_path / name)
    assert str(error.value).startswith(f"{tmp_path / name}: {message}")


@pytest.mark.parametrize("name, text", [
    ("clips.csv", "Character,Audio,Transcript,Notes\nChapter 1,,,\nBOB,bob_01.wav,Get out!,angry\n"),
    ("clips.jsonl", '{"character": "Chapter 1"}\n{"character": "BOB", "Audio": "bob_01.wav", "TRANSCRIPT": '
                    '"Get out!", "take": 3, "notes": ["angry"]}\n'),
])
def test_a_productions_sheet_keeps_its_own_columns(tmp_path, name, text, caplog):
    """Headers as a spreadsheet's are written (capitals), and the production's own columns beside
    talkrig's (the character, notes): not read, said once; a row with nothing in talkrig's
    columns (a section's title) is no clip."""
    (tmp_path / name).write_text(text)
    with caplog.at_level("WARNING", logger="talkrig.exporters.manifest"):
        (clip,) = read_manifest(tmp_path / name)
    assert (clip.audio, clip.transcript, clip.error, clip.line) == (str(tmp_path / "bob_01.wav"), "Get out!", None,
                                                                    3 if name.endswith(".csv") else 2)
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "'character'" in warning and "not read" in warning


def test_a_misspelt_column_is_refused_not_ignored(tmp_path):
    (tmp_path / "clips.csv").write_text("audio,transcipt\na.wav,hello\n")
    with pytest.raises(ManifestError, match=r"unknown column 'transcipt' \(did you mean 'transcript'\?\)"):
        read_manifest(tmp_path / "clips.csv")
