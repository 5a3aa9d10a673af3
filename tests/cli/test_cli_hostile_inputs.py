"""Inputs that looked harmless and were not: a script far longer than its recording, a sound
header claiming a day of audio behind a render or a bake, a picture named .mp3, a one-frame
take to score, JSON Lines manifests nested deep or holding lists, server addresses urllib
cannot split. Each ends in one line (or one failed row), quickly and within memory."""

import json
import subprocess
import sys
import wave

import pytest

from support.audio_support import IMPLAUSIBLE, implausible_wav
from support.cli_support import one_line_error, speech  # noqa: F401 (fixture)
from talkrig.client.errors import ClientError
from talkrig.client.http_client import Client
from talkrig.client.live_client import LiveClient
from talkrig.exporters.manifest import read_manifest
from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.speech.timing import SpeechError, find_words
from talkrig.motion import Motion, save_motion


def slow_rate_wav(path, seconds_claimed=100_000):
    """A valid wav at 1 sample a second: a few hundred kilobytes that decode to a day of sound."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(1)
        w.writeframes(bytes(2 * seconds_claimed))
    return path


@pytest.fixture
def take(tmp_path):
    path = tmp_path / "take.npz"
    save_motion(Motion.rest(30, 30.0), path)
    return path


@pytest.mark.parametrize("script, what", [("word " * 2000, "2,000 words"),
                                          ("a" * 200_000, "200,000 letters")])
def test_a_script_longer_than_anyone_could_say_is_refused_before_it_is_read(speech, script, what):
    with pytest.raises(SpeechError, match=f"the script has {what} for 1.0 s of sound"):
        find_words(decode_audio(speech), "auto", transcript=script)


def test_a_script_of_its_recording_is_still_timed(speech):
    words = find_words(decode_audio(speech), "espeak", transcript="hello there", language="en")
    assert [w.word for w in words] == ["hello", "there"]


def test_the_script_limit_is_one_line_on_the_command_line(capsys, speech, tmp_path):
    script = tmp_path / "book.txt"
    script.write_text("chapter one " * 1000)
    line = one_line_error(capsys, ["generate", speech, "-o", tmp_path / "t.npz", "--transcript",
                                   script, "--quiet"])
    assert "2,000 words for 1.0 s" in line and "another recording" in line


def test_a_transcript_file_of_many_megabytes_is_refused_unread(capsys, speech, tmp_path):
    script = tmp_path / "huge.lab"
    with open(script, "wb") as fh:
        fh.truncate(9 << 20)  # sparse: nine megabytes of nothing
    line = one_line_error(capsys, ["words", speech, "--transcript", script])
    assert "huge.lab: is over 8 MB" in line


def test_a_sound_claiming_a_day_is_refused_by_render_and_bake(capsys, take, tmp_path):
    endless = slow_rate_wav(tmp_path / "endless.wav")
    line = one_line_error(capsys, ["render", take, "-o", tmp_path / "r.mp4", "--size", "64x64",
                                   "--audio", endless])
    assert "endless.wav: the audio is 27:46:40.0 long" in line
    line = one_line_error(capsys, ["bake", take, "-o", tmp_path / "b.npz", "--audio", endless])
    assert "endless.wav: the audio is 27:46:40.0 long" in line
    assert not (tmp_path / "r.mp4").exists() and not (tmp_path / "b.npz").exists()


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE))
def test_a_rate_no_voice_has_is_one_line_for_generate_and_live(capsys, tmp_path, case):
    """The audit's 2.4 KB wav at 2 Hz claiming ten minutes was generated; live streams from a
    file decode it the same way, so they refuse it before connecting (nothing listens at --url)."""
    data, refusal = implausible_wav(case)
    odd = tmp_path / "odd.wav"
    odd.write_bytes(data)
    line = one_line_error(capsys, ["generate", odd, "-o", tmp_path / "t.npz", "--quiet"])
    assert line.startswith(f"talkrig generate: error: odd.wav: {refusal}")
    assert not (tmp_path / "t.npz").exists()
    line = one_line_error(capsys, ["live", odd, "--url", "http://127.0.0.1:9"])
    assert line.startswith(f"talkrig live: error: odd.wav: {refusal}")


def test_bake_refuses_speech_that_is_not_sound(capsys, take, tmp_path):
    notes = tmp_path / "notes.wav"
    notes.write_text("not a recording\n" * 50)
    line = one_line_error(capsys, ["bake", take, "-o", tmp_path / "b.npz", "--audio", notes])
    assert "notes.wav: not an audio file" in line


def test_a_picture_named_mp3_is_one_line_without_the_decoders_notes(tmp_path):
    picture = tmp_path / "cover.mp3"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    done = subprocess.run([sys.executable, "-m", "talkrig", "generate", str(picture), "-o",
                           str(tmp_path / "t.npz"), "--quiet"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "talkrig generate: error: cover.mp3: not an audio file (expected wav, flac, ogg or mp3)"]


def test_a_take_too_short_to_score_is_one_line(capsys, tmp_path, take):
    short = tmp_path / "one.npz"
    save_motion(Motion.rest(1, 30.0), short)
    assert "one.npz: 1 frame(s); scoring needs at least 3" in one_line_error(
        capsys, ["eval", short, "--reference", take])
    assert "one.npz: 1 frame(s)" in one_line_error(capsys, ["eval", take, "--reference", short])


def test_jsonl_rows_nested_deep_or_holding_lists_fail_alone(tmp_path):
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("\n".join([
        '{"audio": "a.wav", "seed": 3}',
        "[" * 100_000 + "]" * 100_000,
        '{"audio": 5}',
        '{"audio": "b.wav", "output": ["x"]}',
        '{"audio": "c.wav", "seed": true}',
        json.dumps({"audio": {"path": "d.wav"}})]) + "\n")
    clips = read_manifest(manifest)
    assert clips[0].error is None and clips[0].seed == 3
    errors = [c.error for c in clips[1:]]
    assert "line 2: not valid JSON (nested too deeply)" in errors[0]
    assert "line 3: 'audio' must be text, got 5" in errors[1]
    assert "line 4: 'output' must be text" in errors[2]
    assert "line 5: 'seed' must be a whole number, got true" in errors[3]
    assert "line 6: 'audio' must be text" in errors[4]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://[::1", "ws://host:99999/",
                                 "http://host:port/"])
def test_a_live_address_that_cannot_be_used_is_one_line(capsys, speech, url):
    line = one_line_error(capsys, ["live", speech, "--url", url, "--seconds", "1"])
    assert "live streams need a plain http:// or ws:// server address" in line
    with pytest.raises(ClientError):
        LiveClient(url)


@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999", "http://host:x"])
def test_a_server_address_urllib_cannot_split_is_a_client_error(url):
    with pytest.raises(ClientError, match="is not an http:// address"):
        Client(url, token="t")



def test_the_client_never_reads_a_pipe_or_a_device(tmp_path):
    """A pipe blocks its reader for ever and /dev/zero never ends: both refused unread."""
    import os
    import threading

    pipe = tmp_path / "voice.wav"
    os.mkfifo(pipe)
    outcome = {}

    def attempt():
        from talkrig.client.http_client import read_token

        outcome["token"] = read_token(pipe), read_token("/dev/zero")
        for path in (pipe, "/dev/zero", tmp_path):
            try:
                Client("http://127.0.0.1:9", token="t").submit(path)
            except ClientError as exc:
                outcome[str(path)] = str(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the client blocked on a pipe or read a device"
    assert outcome["token"] == (None, None)
    for path in (pipe, "/dev/zero", tmp_path):
        assert "a folder, a pipe or a device, not a file" in outcome[str(path)]


@pytest.mark.parametrize("argv", [
    ["capture", "{pipe}", "-o", "{tmp}/takes"],
    ["train-renderer", "--video", "{pipe}", "-o", "{tmp}/renderer"],
    ["eval", "{pipe}"],
    ["bake", "{pipe}", "-o", "{tmp}/take.npz"],
])
def test_a_pipe_named_as_input_is_called_a_pipe(capsys, tmp_path, argv):
    """It used to read 'no such file' (or 'no such video') for a file that is there."""
    import os

    pipe = tmp_path / "input.mp4"
    os.mkfifo(pipe)
    line = one_line_error(capsys, [a.format(pipe=pipe, tmp=tmp_path) for a in argv])
    assert line.endswith("input.mp4: is not a regular file (a pipe or a device)"), line


def test_a_huge_value_is_echoed_briefly(tmp_path):
    """A seed of 4 000 digits or a 100 KB manifest cell used to be echoed whole in the one line
    (and the server's 422)."""
    from talkrig.inference.generation.options import check_seed
    from talkrig.motion.errors import TalkrigError

    with pytest.raises(TalkrigError, match=r"got 1000000.*\(4001 characters\)") as err:
        check_seed(10 ** 4000)
    assert len(str(err.value)) < 150
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio,seed\na.wav," + "7" * 100_000 + "\n")
    (clip,) = read_manifest(manifest)
    assert "seed must be a whole number" in clip.error and len(clip.error) < 200
