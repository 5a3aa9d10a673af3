"""Words a speech engine found, kept on disk for the next process (inference/speech/kept_words.py):
a take of the same recording after a new start skips the engine; what the words depend on
names the file, so words found by another engine, release, model or code are never read."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech import kept_words
from talkrig.inference.speech.timing import RECENT, find_words
from talkrig.inference.speech.words import Word



@pytest.fixture
def kept(tmp_path, monkeypatch):
    """The folder words are kept in for this test."""
    folder = tmp_path / "words"
    monkeypatch.setenv(kept_words.FOLDER_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def clip_wav(scott2_wav, tmp_path_factory):
    """8 s of real speech in a file of its own."""
    import soundfile

    samples, rate = soundfile.read(str(scott2_wav), dtype="float32")
    path = tmp_path_factory.mktemp("kept") / "line.wav"
    soundfile.write(str(path), samples[: 8 * rate], rate)
    return path


def words_command(wav, folder, *extra):
    """`talkrig words --json` in a new process, its words kept in ``folder``."""
    env = dict(os.environ, **{kept_words.FOLDER_ENV: str(folder)})
    done = subprocess.run([sys.executable, "-m", "talkrig", "words", str(wav), "--json", *extra],
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_new_process_reads_the_words_recognised_before(clip_wav, kept):
    """The command line run again on the same recording gets the words pocketsphinx found in
    the first run from the kept file (here altered, to show they come from it); another option
    asks the engine again and keeps its words beside them."""
    first = words_command(clip_wav, kept)
    files = list(kept.glob("*.json"))
    assert len(first) >= 10 and len(files) == 1
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert [w["word"] for w in data["words"]] == [w["word"] for w in first]
    data["words"][0]["word"] = "kept"
    files[0].write_text(json.dumps(data), encoding="utf-8")

    again = words_command(clip_wav, kept)
    assert again[0]["word"] == "kept" and again[1:] == first[1:]

    other = words_command(clip_wav, kept, "--speech-option", "workers=1")
    assert other == first  # the engine's own words, the same whichever the workers
    assert len(list(kept.glob("*.json"))) == 2


class KeptSpeech:
    """A third-party engine that says what its words depend on (``release``)."""

    name = "kept"
    calls = 0
    release = "1.0"

    def describe(self):
        return {"name": "kept", "recognizes": True}

    def fingerprint(self, options=None):
        return f"kept {type(self).release}" if type(self).release else None

    def words(self, audio, transcript=None, options=None):
        type(self).calls += 1
        middle = audio.duration / 2
        return [Word(f"word{type(self).calls}", middle - 0.3, middle + 0.3, 0.9)]


@pytest.fixture
def kept_engine(fake_entry_points, scott2_wav):
    """(audio, take): ``take()`` finds the words of 8 s of real speech with KeptSpeech as a
    new process would (nothing kept in this one) and returns them as text."""
    fake_entry_points([SimpleNamespace(name="kept", value="tests:KeptSpeech",
                                       load=lambda: KeptSpeech)])
    KeptSpeech.calls, KeptSpeech.release = 0, "1.0"
    audio = decode_audio(decode_audio(scott2_wav).samples[:8 * 16000], name="line")

    def take(sound=audio, **kwargs):
        RECENT.clear()
        return [w.word for w in find_words(sound, "kept", **kwargs)]

    return audio, take


def test_the_sound_script_options_release_and_code_each_name_other_words(kept_engine, kept,
                                                                           monkeypatch):
    audio, take = kept_engine
    assert take() == ["word1"]
    assert take() == ["word1"] and KeptSpeech.calls == 1  # read back
    shorter = decode_audio(audio.samples[:6 * 16000], name="line")
    assert take(shorter) == ["word2"]
    assert take(transcript="a script") == ["word3"]
    assert take(options={"beam": 2}) == ["word4"]
    KeptSpeech.release = "1.1"
    assert take() == ["word5"]
    monkeypatch.setattr(kept_words, "_source_hash", lambda where: f"changed {where}")
    assert take() == ["word6"]
    assert len(list(kept.glob("*.json"))) == 6


def test_an_engine_without_a_fingerprint_or_a_folder_turned_off_keeps_nothing(kept_engine, kept,
                                                                              monkeypatch):
    audio, take = kept_engine
    KeptSpeech.release = None
    assert take() == ["word1"] and take() == ["word2"]
    KeptSpeech.release = "1.0"
    monkeypatch.setenv(kept_words.FOLDER_ENV, "off")
    assert take() == ["word3"] and take() == ["word4"]
    assert not kept.exists()
    monkeypatch.setenv(kept_words.FOLDER_ENV, str(kept))
    find_words(audio, "transcript", transcript='[{"word": "hello", "start": 1.0, "end": 1.5}]')
    assert not kept.exists()  # read from the user's own file: nothing to keep


def test_a_damaged_file_or_a_folder_that_cannot_be_written_costs_only_time(kept_engine, kept,
                                                                         tmp_path, monkeypatch):
    audio, take = kept_engine
    assert take() == ["word1"]
    (path,) = kept.glob("*.json")
    path.write_text('{"format": 1, "words": [{"wo', encoding="utf-8")
    assert take() == ["word2"]  # found again, and kept again
    assert take() == ["word2"]
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(kept_words.FOLDER_ENV, str(blocked / "words"))
    assert take() == ["word3"] and take() == ["word4"]
    monkeypatch.setenv(kept_words.FOLDER_ENV, str(kept))
    monkeypatch.setattr(kept_words, "_engine_code", lambda plugin: tmp_path / "gone.zip" / "kept")
    assert take() == ["word5"] and take() == ["word6"]  # its code unreadable: words not kept


def test_the_least_recently_used_files_are_dropped(kept_engine, kept, monkeypatch):
    audio, take = kept_engine
    monkeypatch.setattr(kept_words, "KEPT_FILES", 2)
    lines = [decode_audio(audio.samples[:seconds * 16000], name=f"{seconds}")
             for seconds in (6, 7, 8)]
    assert take(lines[0]) == ["word1"]
    (first,) = kept.glob("*.json")
    assert take(lines[1]) == ["word2"]
    (second,) = set(kept.glob("*.json")) - {first}
    os.utime(first, ns=(1, 1))  # the first line's words used longest ago...
    os.utime(second, ns=(2, 2))
    assert take(lines[0]) == ["word1"]  # ...until just now: the second's go first
    assert take(lines[2]) == ["word3"]
    assert len(list(kept.glob("*.json"))) == 2
    assert take(lines[0]) == ["word1"] and take(lines[1]) == ["word4"]


def test_the_built_in_engines_say_what_their_words_depend_on(tmp_path):
    """pocketsphinx and eSpeak NG by their wheels' releases (the models come in them); Vosk by
    its release and its model folder's files, so a model replaced in place names other words,
    and without a model folder nothing is kept."""
    from talkrig.plugins.speech.espeak.plugin import EspeakSpeech
    from talkrig.plugins.speech.pocketsphinx.plugin import PocketsphinxSpeech
    from talkrig.plugins.speech.vosk.plugin import VoskSpeech

    assert PocketsphinxSpeech().fingerprint().startswith("pocketsphinx ")
    assert EspeakSpeech().fingerprint().startswith("espeakng-loader ")
    model = tmp_path / "model"
    (model / "am").mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(b"one")
    vosk = VoskSpeech()
    first = vosk.fingerprint({"model": str(model)})
    assert first.startswith("vosk ") and vosk.fingerprint({"model": str(model)}) == first
    (model / "am" / "final.mdl").write_bytes(b"another")
    assert vosk.fingerprint({"model": str(model)}) != first
    assert vosk.fingerprint({"model": str(tmp_path / "none")}) is None
