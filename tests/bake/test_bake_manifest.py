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
    ("clips.txt", "a.wav\n", "a manifest is a .csv or .jsonl file"),
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
