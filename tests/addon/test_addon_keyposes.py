"""Key-pose dictionary files as the add-on writes them (addon/keypose_file.py): the server's
own reader (inference/generation/keyposes.py) must accept every file the add-on writes."""

import json

import pytest

from talkrig.addon.keypose_file import KeyPoseError, load, save, set_pose
from talkrig.inference.generation.keyposes import KeyPoseDictionary

POINT = {"right_shoulder": [0.0, 1.3, 0.02], "right_elbow": [-0.67, 0.11, 0.04]}


def test_a_new_file_holds_the_captured_pose(tmp_path):
    path = tmp_path / "poses" / "mine.json"
    data = load(path)
    assert data == {"version": 1, "entries": []}
    save(path, set_pose(data, "You", POINT, probability=0.7, hold=0.5))
    dictionary = KeyPoseDictionary.load(path)
    entry = dictionary.match("you")
    assert entry.words == ("you",) and entry.probability == 0.7 and entry.hold == 0.5
    assert entry.frames.shape == (1, 2, 3)
    assert [p.name for p in path.parent.iterdir()] == ["mine.json"]  # no temporary files left


def test_capturing_a_word_again_replaces_only_that_word(tmp_path):
    path = tmp_path / "poses.json"
    path.write_text(json.dumps({"version": 1, "description": "mine", "entries": [
        {"words": ["you", "yourself"], "probability": 0.5, "pose": {"head": [0.1, 0, 0]}},
        {"word": "you", "pose": {"head": [0.2, 0, 0]}},
        {"words": ["no"], "clip": {"fps": 30, "frames": [{"head": [0, 0.2, 0]}]}},
    ]}))
    data = set_pose(load(path), "YOU", POINT)
    save(path, data)
    saved = json.loads(path.read_text())
    assert saved["description"] == "mine"
    assert [e["words"] for e in saved["entries"]] == [["yourself"], ["no"], ["you"]]
    dictionary = KeyPoseDictionary.load(path)
    assert dictionary.match("you").joints.tolist() == [17, 19]  # the new pose plays
    assert dictionary.match("yourself").probability == 0.5  # the others keep theirs


@pytest.mark.parametrize("content, message", [
    ("{not json", r"not valid JSON \(line 1"),
    ('{"entries": 3}', "not a key-pose dictionary"),
    ("\udcff", "not a text file"),
])
def test_unreadable_dictionaries_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(KeyPoseError, match=message):
        load(path)


@pytest.mark.parametrize("word, pose, message", [
    ("hello there", POINT, "must be one word"),
    ("  ", POINT, "must be one word"),
    ("hi", {}, "at least one joint"),
    ("hi", {"right_hand": [0, 0, 0]}, "'right_hand' is not an SMPL-X joint"),
    ("hi", {"head": [0, float("nan"), 0]}, "three finite numbers"),
])
def test_bad_poses_are_refused(word, pose, message):
    with pytest.raises(KeyPoseError, match=message):
        set_pose({"version": 1, "entries": []}, word, pose)
