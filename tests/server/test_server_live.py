"""Live streams end to end: `talkrig serve` as a real subprocess on a loopback port, real speech
sent in real time through the add-on's stdlib WebSocket client, frames back as they are made."""

import http.client
import time

import numpy as np
import pytest
import soundfile as sf

from talkrig.client.http_client import ClientError
from talkrig.client.live_client import LiveClient, latencies, pcm16, stream_in_real_time
from talkrig.cli import main
from talkrig.motion.live_frames import received_motion
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.motion import load_motion
from talkrig.motion.container import frame_count
from talkrig.motion.metrics.artifacts import max_jump

from support.server_support import local_server

pytestmark = pytest.mark.slow

SECONDS = 6.0
CHUNK = 640  # 40 ms


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # two streams at once: the tests of refusals and vanishing clients start one while the server
    # may still be letting go of the last
    local, client = local_server(tmp_path_factory.mktemp("serve"), ["--max-live-streams", "2"])
    yield local, client
    local.stop()


@pytest.fixture(scope="module")
def voice(scott2_wav):
    samples, rate = sf.read(scott2_wav, dtype="float32")
    assert rate == 16000
    return samples[: int(SECONDS * rate)]


def connect(server, token=True):
    local, client = server
    return LiveClient(client.url, token=client.token if token else None)


def opened(server, *args, **options):
    """A started LiveClient, once the server has let go of the streams closed before (it counts
    a stream until it has closed its end, a moment after the client)."""
    deadline = time.monotonic() + 10
    while True:
        live = connect(server)
        try:
            live.start(*args, **options)
            return live
        except ClientError as exc:
            assert exc.status == 503 and time.monotonic() < deadline, exc
            time.sleep(0.1)


def test_real_speech_streams_in_real_time_every_frame_in_order(server, voice, record_property):
    live = connect(server)
    ready = live.start("procedural", fps=30, seed=2)
    assert ready["fps"] == 30 and ready["sample_rate"] == 16000 and 0 < ready["lookahead"] <= 0.25
    chunks = [pcm16(voice[i:i + CHUNK]) for i in range(0, len(voice), CHUNK)]
    messages, sent_at, audio_end = stream_in_real_time(live, chunks, CHUNK / 16000)
    frames, delays = latencies(messages, sent_at, audio_end)
    n = frame_count(SECONDS, 30)
    assert frames == list(range(n))  # every frame, once, in order
    assert messages[-1][0] == {"type": "done", "frames": n}
    times = np.concatenate([m["times"] for m, _ in messages if m["type"] == "frames"])
    assert np.allclose(times, np.arange(n) / 30, atol=1e-4)  # stamped with its audio time
    p50, p95 = np.percentile(delays, [50, 95]) * 1000
    record_property("latency_ms_p50", round(float(p50), 1))  # plain floats: sent between processes
    record_property("latency_ms_p95", round(float(p95), 1))
    print(f"live latency over loopback: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(delays) * 1000:.0f} ms")
    motion = received_motion([m for m, _ in messages])
    # each frame carries the face (the phones model from the voice, as offline), posed on the jaw too
    assert "jawOpen" in motion.face_names and motion.face_curves.shape == (n, len(motion.face_names))
    assert np.corrcoef(motion.face_curve("jawOpen"), motion.poses[:, 22, 0])[0, 1] > 0.99
    assert np.ptp(motion.face_curve("jawOpen")) > 0.3
    take = generate(voice, GenerateOptions(backend="procedural", seed=2, speech="none", calm=0.0)).motion
    assert max_jump(motion) <= 1.1 * max_jump(take)  # no jumps between chunks
    assert np.ptp(motion.poses[:, 21], axis=0).max() > 0.2  # and the right arm gestures


def test_handshake_needs_the_token_and_a_local_host(server):
    with pytest.raises(ClientError, match="401.*token") as err:
        connect(server, token=False).start()
    assert err.value.kind == "auth"
    local, client = server
    port = int(client.url.rsplit(":", 1)[1])
    for header, value, said in (("Host", f"attacker.example:{port}", b"DNS rebinding"),
                                ("Origin", "http://attacker.example", b"this machine")):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Authorization": f"Bearer {client.token}",
                   header: value}
        conn.putrequest("GET", "/v1/live", skip_host=header == "Host")
        for name, text in headers.items():
            conn.putheader(name, text)
        conn.endheaders()
        answer = conn.getresponse()
        assert answer.status == 403 and said in answer.read()
        conn.close()


@pytest.mark.parametrize("options, message", [
    ({"backend": "nope"}, "unknown generator 'nope'"),
    ({"backend": "procedural", "fps": 0}, "fps"),
    ({"backend": "procedural", "speech": "vosk"}, "unknown live option 'speech'"),
    ({"backend": "procedural", "backend_options": {"energy": 9}}, "energy"),
    ({"backend": "matching", "backend_options": {"library": "/etc"}}, "data folder"),
    ({"backend": "procedural", "keyposes": "missing.json"}, "missing.json"),
    ({"backend": "procedural", "face": "nope"}, "nope"),
    ({"backend": "procedural", "language": "German!"}, "option 'language'"),
])
def test_bad_options_are_refused_with_one_clear_line(server, options, message):
    live = connect(server)
    live._connect()
    live.send_json(options)
    answer = live.receive()
    assert answer["type"] == "error" and message in answer["detail"]
    assert live.receive() is None  # and the server closed the stream


def test_a_stream_beyond_the_cap_is_refused_with_503_until_one_ends(server):
    first, second = opened(server), opened(server)
    with pytest.raises(ClientError, match="503.*already serves 2 live streams.*--max-live-streams"):
        connect(server).start()
    ended(first)
    third = opened(server)  # the ended stream's place is free again
    for live in (second, third):
        ended(live)  # and the next tests find the server free


def ended(live):
    """End a stream and wait until the server has closed it."""
    live.end()
    while live.receive(timeout=10) is not None:
        pass
    live.close()


def test_live_key_poses_spot_words_as_they_are_heard(server, voice):
    live = opened(server, "procedural", fps=30, seed=2, keyposes="default", face="none")
    cut = voice[: 3 * 16000]  # holds "I", a key-pose word
    chunks = [pcm16(cut[i:i + CHUNK]) for i in range(0, len(cut), CHUNK)]
    messages, _, _ = stream_in_real_time(live, chunks, CHUNK / 16000)
    live.close()
    motion = received_motion([m for m, _ in messages])
    assert motion.n_frames == frame_count(3.0, 30) and motion.face_names == ()


def test_live_speech_in_another_language_gets_no_english_key_poses(server, voice):
    cut = voice[: 3 * 16000]  # holds "I", a key-pose word, which English key poses would strike
    chunks = [pcm16(cut[i:i + CHUNK]) for i in range(0, len(cut), CHUNK)]
    takes = []
    for options in ({"keyposes": "default", "language": "de"}, {"keyposes": "none"}):
        live = opened(server, "procedural", fps=30, seed=2, face="none", **options)
        messages, _, _ = stream_in_real_time(live, chunks, CHUNK / 16000)
        live.close()
        takes.append(received_motion([m for m, _ in messages]).poses)
    np.testing.assert_allclose(takes[0], takes[1], atol=1e-5)


def test_a_bad_chunk_ends_the_stream_with_a_message(server):
    live = connect(server)
    live.start()
    live.send_audio(b"\x00\x01\x02")
    answer = live.receive(timeout=10)
    assert answer["type"] == "error" and "16-bit PCM" in answer["detail"]


def test_talkrig_live_streams_a_file_and_prints_latency(server, voice, tmp_path, capsys):
    local, client = server
    wav, out = tmp_path / "cut.wav", tmp_path / "live.npz"
    sf.write(wav, voice[: 3 * 16000], 16000)
    code = main(["live", str(wav), "--url", client.url, "--token-file", str(local.token_file),
                 "--seed", "4", "--chunk-ms", "60", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "90 (every frame, in order)" in printed and "latency ms: p50" in printed
    assert load_motion(out).n_frames == 90


@pytest.mark.parametrize("extra, message", [
    (["--chunk-ms", "500"], "--chunk-ms must be from 20 to 100"),
    (["--url", "http://127.0.0.1:9"], "no talkrig server answers"),
    (["--backend", "a2g"], "cannot stream live"),
])
def test_talkrig_live_bad_input_is_one_line(server, voice, tmp_path, capsys, extra, message):
    local, client = server
    wav = tmp_path / "cut.wav"
    sf.write(wav, voice[:16000], 16000)
    code = main(["live", str(wav), "--url", client.url, "--token-file", str(local.token_file), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and message in err[-1] and err[-1].startswith("talkrig live: error:")


def test_talkrig_live_mic_without_portaudio_is_one_line(capsys):
    try:
        import sounddevice  # noqa: F401
        pytest.skip("a microphone library is installed here: nothing to refuse")
    except (ImportError, OSError):
        pass
    assert main(["live", "--mic", "--seconds", "1"]) == 2
    assert "--mic: the microphone needs the sounddevice package and the PortAudio library" in capsys.readouterr().err


def test_a_client_vanishing_mid_stream_leaves_the_server_serving(server, voice):
    gone = connect(server)
    gone.start()
    gone.send_audio(pcm16(voice[:8000]))
    gone.sock.close()  # no end, no close frame
    live = connect(server)
    live.start()
    live.send_audio(pcm16(voice[:16000]))
    live.end()
    messages = []
    while (message := live.receive(timeout=30)) is not None:
        messages.append(message)
    assert messages[-1] == {"type": "done", "frames": 30}
