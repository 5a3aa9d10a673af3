"""End to end: `talkrig serve` as a real subprocess on a free loopback port, driven by the add-on's
stdlib client, generating with the real pipeline from 45 s of real speech.

The server is started the way the add-on starts it (client/server_process.py), with its config,
data and token in a temporary folder.
"""

import io

import numpy as np
import pytest
import soundfile as sf

from talkrig.client.http_client import Client, ClientError
from talkrig.client.server_process import LocalServer
from talkrig.motion.npz import read_npz

from support.server_support import local_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    local, client = local_server(tmp_path_factory.mktemp("serve"))
    yield local, client
    local.stop()


@pytest.fixture(scope="module")
def long_wav(scott2_wav):
    """About 5 minutes of real speech (the 62 s take five times) as 16-bit WAV bytes."""
    samples, rate = sf.read(scott2_wav, dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, np.tile(samples, 5), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_45_seconds_of_speech_become_1350_frames_with_rising_progress(server, scott_wav,
                                                                      scott_textgrid):
    _, client = server
    health = client.check()
    assert "procedural" in health["generators"]
    seen = []
    job_id = client.submit(scott_wav, {"backend": "procedural", "seed": 3, "fps": 30,
                                       "transcript": scott_textgrid.read_text()})
    status = client.wait(job_id, interval=0.02, timeout=300, on_status=seen.append)
    assert status["state"] == "done", status
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(0.0 < p < 1.0 for p in progress), f"no intermediate progress seen: {progress}"
    assert len({s["stage"] for s in seen}) >= 2

    out = client.result(job_id)
    motion = read_npz(out.npz)
    assert motion.n_frames == out.info["n_frames"] == 1350 and motion.fps == 30.0
    assert np.all(np.isfinite(motion.poses))
    assert motion.poses.std(axis=0).max() > 0.01  # it moves
    assert len(out.words) > 50 and {"so", "i"} & {w["word"].lower() for w in out.words}
    assert all(0.0 <= w["start"] <= w["end"] <= 45.0 for w in out.words)


def test_a_long_job_can_be_cancelled_and_the_server_goes_on(server, long_wav):
    _, client = server
    job_id = client.submit(long_wav, {"backend": "procedural", "speech": "none"}, filename="long.wav")
    client.wait(job_id, interval=0.02, timeout=120,
                should_stop=lambda: client.status(job_id)["state"] == "running")
    status = client.status(job_id)
    assert status["state"] == "cancelled" and status["cancel_requested"] is True
    with pytest.raises(ClientError) as err:
        client.result(job_id)
    assert err.value.kind == "conflict" and "cancelled" in str(err.value)
    assert client.cancel(job_id)["state"] == "cancelled"
    assert client.check()["jobs"]["totals"]["cancelled"] >= 1


def test_wrong_token_is_refused_with_a_clear_message(server, scott_wav):
    local, _ = server
    intruder = Client(local.url, token="not-the-token", timeout=10)
    assert intruder.health()["authorized"] is False  # health stays open
    for call in (intruder.check, intruder.backends, lambda: intruder.submit(scott_wav),
                 lambda: intruder.status("0" * 32)):
        with pytest.raises(ClientError, match="rejected the token") as err:
            call()
        assert err.value.kind == "auth"


def test_bad_audio_is_refused_by_the_real_decoder(server):
    _, client = server
    with pytest.raises(ClientError, match="broken.wav: ") as err:
        client.submit(b"RIFF\x10\x00\x00\x00WAVEfmt garbage", filename="broken.wav")
    assert err.value.kind == "rejected" and err.value.status == 422


def test_words_found_ahead_are_taken_by_the_next_take(server, scott2_wav):
    """The add-on asks for the words as soon as the voice-over is chosen (``words_only``): that
    job finds them and makes no motion; a take of the same recording moments later skips the
    engine."""
    local, client = server
    samples, rate = sf.read(scott2_wav, dtype="float32")
    buf = io.BytesIO()
    sf.write(buf, samples[: 12 * rate], rate, format="WAV", subtype="PCM_16")
    clip = buf.getvalue()
    ahead = client.submit(clip, {"words_only": True})
    assert client.wait(ahead, interval=0.05, timeout=300)["state"] == "done"
    found = client.result(ahead)
    assert found.npz == b"" and found.info["words_only"] and found.info["n_frames"] == 0
    assert len(found.words) > 10
    with pytest.raises(ClientError, match="found words only: it has no motion"):
        client._call("GET", f"/jobs/{ahead}/result/motion", expect="bytes")
    take = client.submit(clip, {"backend": "procedural", "seed": 1})
    assert client.wait(take, interval=0.05, timeout=300)["state"] == "done"
    out = client.result(take)
    assert out.words == found.words and read_npz(out.npz).n_frames == 360
    assert "notices" not in out.info  # clear English: nothing to read
    assert "found by pocketsphinx a moment ago" in local.log_file.read_text()


def test_subtitles_sent_as_text_are_aligned_by_the_server(server, scott_wav, scott_textgrid):
    """The add-on sends a transcript's text, not its file name: subtitles that time lines are
    told by their content and their words aligned to the voice."""
    from talkrig.inference.speech.transcripts.formats import read_words

    _, client = server
    reference = [w for w in read_words(scott_textgrid.read_text()) if w.end <= 20.0]
    groups = [reference[i:i + 8] for i in range(0, len(reference), 8)]

    def stamp(t):
        ms = int(round(t * 1000))
        return f"00:00:{ms // 1000:02d},{ms % 1000:03d}"

    srt = "\n".join(f"{k}\n{stamp(g[0].start)} --> {stamp(g[-1].end)}\n{' '.join(w.word for w in g)}\n"
                    for k, g in enumerate(groups, 1))
    job_id = client.submit(scott_wav, {"backend": "procedural", "transcript": srt, "words_only": True})
    assert client.wait(job_id, interval=0.05, timeout=300)["state"] == "done"
    words = client.result(job_id).words
    assert [w["word"] for w in words] == [w.word for w in reference]
    errors = [abs(w["start"] - r.start) for w, r in zip(words, reference)]
    assert float(np.median(errors)) <= 0.03  # read as the lines have them: 0.1 s and more


def test_a_take_whose_speech_is_not_judged_english_says_why_it_has_no_words(server):
    """Without a script, speech that does not sound like English keeps no words: the result
    carries the notice the server logs, so a client can show what to do; clear English carries
    none."""
    from support import language_support as ls

    _, client = server
    buf = io.BytesIO()
    sf.write(buf, ls.revoiced("de", 0).audio.samples, 16000, format="WAV", subtype="PCM_16")
    job = client.submit(buf.getvalue(), {"backend": "procedural", "seed": 1})
    assert client.wait(job, interval=0.05, timeout=300)["state"] == "done"
    out = client.result(job)
    assert out.words == [] and len(out.info["notices"]) == 1
    assert "does not sound like English" in out.info["notices"][0]
    assert "--language en" in out.info["notices"][0]
    ahead = client.submit(buf.getvalue(), {"words_only": True})
    assert client.wait(ahead, interval=0.05, timeout=300)["state"] == "done"
    assert client.result(ahead).info["notices"] == out.info["notices"]


def test_a_running_server_is_reused_then_stopped(server):
    local, client = server
    again = LocalServer(python=local.python, token_file=local.token_file, state_dir=local.state_dir)
    reused = again.start(timeout=30)
    assert reused.url == client.url and again.pid == local.pid and again.process is None
    assert local.stop() is True
    assert not local.running
    with pytest.raises(ClientError) as err:
        client.health()
    assert err.value.kind == "down"
