"""The learned voice detector (inference/features/voice.py, Silero VAD through ONNX Runtime):
it hears real speech, not silence or noise; speech activity falls back to the hand-made tests
without ONNX Runtime; a live stream carries the detector's track as offline features do."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features import voice
from talkrig.inference.features.activity import speech_activity, voice_heard
from talkrig.inference.features.compute import compute_features

FPS = 30.0
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def speech():
    return decode_audio(ROOT / "exporters" / "assets" / "acoustic_corpus.wav").samples[:10 * 16000]


def test_it_hears_speech_and_not_silence_or_noise(speech):
    rng = np.random.default_rng(0)
    heard = lambda x: voice.voice_probability(x, FPS, int(len(x) / 16000 * FPS))
    on_speech = heard(speech)
    assert on_speech.shape == (300,) and on_speech.dtype == np.float32
    assert 0.0 <= on_speech.min() and on_speech.max() <= 1.0
    assert np.mean(on_speech > 0.5) > 0.6
    assert heard(np.zeros(5 * 16000, np.float32)).max() < 0.2
    assert np.mean(heard(0.1 * rng.standard_normal(5 * 16000).astype(np.float32)) > 0.5) < 0.05


def test_a_second_without_a_voice_is_vetoed_a_doubted_voice_is_not():
    fps = 10.0
    p = np.full(60, 0.9)
    p[10:30] = 0.02  # two seconds of music
    p[40:60:2] = 0.0  # a voice under a loud beat, doubted every other frame
    p[41:60:2] = 0.3
    heard = voice_heard(p, fps)
    assert not heard[15:25].any() and heard[:5].all() and heard[45:55].all()


def test_without_onnx_runtime_the_hand_made_tests_decide(speech, monkeypatch):
    with_model = compute_features(speech, 16000, FPS)
    monkeypatch.setattr(voice, "_sessions", lambda: None)
    without = compute_features(speech, 16000, FPS)
    assert with_model.voice is not None and without.voice is None
    assert speech_activity(without).mean() >= speech_activity(with_model).mean() > 0.6


def test_a_live_stream_hears_the_voice_as_the_whole_recording_does(speech):
    """Live, the detector reads each sample once, its state carried from piece to piece (run
    afresh on each update's half second, it doubted the voice where the whole recording did
    not, and a plan built on that hurried a hand to 4.4 m/s). Only the level differs: a stream
    sets it from what it has heard so far."""
    from talkrig.inference.live.features import LiveFeatures

    live = LiveFeatures(FPS)
    for start in range(0, len(speech), 640):  # 40 ms chunks
        live.add(speech[start:start + 640])
        live.update(max(0, live.n_frames - 3))
    offline = compute_features(speech, 16000, FPS)
    stream = live.window(0).voice
    assert stream is not None and len(stream) == live.n_frames
    n = min(len(stream), offline.n_frames) - 10
    assert np.array_equal(stream[:n] > 0.5, offline.voice[:n] > 0.5)
    assert np.median(np.abs(stream[:n] - offline.voice[:n])) < 0.01


@pytest.mark.parametrize("part", ["FRAMES_MODEL", "STATE_MODEL"])
def test_a_broken_model_file_is_one_warning_not_a_traceback(speech, tmp_path, monkeypatch, caplog, part):
    broken = tmp_path / getattr(voice, part).name
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(voice, part, broken)
    voice._sessions.cache_clear()
    try:
        features = compute_features(speech, 16000, FPS)
    finally:
        voice._sessions.cache_clear()
    assert features.voice is None and speech_activity(features).mean() > 0.6
    assert any("cannot be loaded" in r.getMessage() and broken.name in r.getMessage() for r in caplog.records)


def test_a_stream_forgets_old_frames_and_keeps_the_rest(speech):
    """Live, frames older than what the stream keeps are dropped; the frames after them read
    as before."""
    stream = voice.VoiceStream()
    stream.add(speech)
    before = stream.probability(FPS, 150, 120)
    stream.forget(4.0)
    assert stream.first > 0 and len(stream.probs) < len(speech) // voice.FRAME
    np.testing.assert_array_equal(stream.probability(FPS, 150, 120), before)


def test_onnx_runtime_leaves_nothing_behind(tmp_path):
    """ONNX Runtime 1.31 keeps a telemetry device id in the temporary folder unless told not
    to: a server's scratch folder held a stray `.ses` after every job."""
    import os
    import subprocess
    import sys

    script = ("import numpy as np\nfrom talkrig.inference.features.compute import compute_features\n"
              "assert compute_features(np.zeros(16000, np.float32), 16000, 30.0).voice is not None\n")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["TMPDIR"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_stream_in_pieces_of_any_size_reads_each_frame_as_the_whole_recording(speech, monkeypatch):
    """The model reads a block of frames a call, each frame after the 64 samples before it:
    across blocks and pieces those samples must be the previous frame's, as in one call."""
    whole = voice.VoiceStream()
    whole.add(speech, flush=True)
    monkeypatch.setattr(voice, "BLOCK", 5)  # a block boundary every 160 ms
    pieces = voice.VoiceStream()
    rng = np.random.default_rng(3)
    start = 0
    while start < len(speech):
        size = int(rng.integers(1, 9000))
        pieces.add(speech[start:start + size])
        start += size
    pieces.add(np.zeros(0, np.float32), flush=True)
    assert len(pieces.probs) == len(whole.probs) > 100
    np.testing.assert_array_equal(pieces.probs, whole.probs)


def test_blocks_of_frames_give_every_frame_as_one_block(speech, monkeypatch):
    """A whole recording goes through the detector a block of frames at a time, the state
    carried through them in order: each block must start after the samples of the block
    before it."""
    whole = voice.VoiceStream()
    whole.add(speech, flush=True)  # 313 frames: one block
    monkeypatch.setattr(voice, "BLOCK", 7)  # 45 blocks of 224 ms
    blocks = voice.VoiceStream()
    blocks.add(speech, flush=True)
    np.testing.assert_array_equal(blocks.probs, whole.probs)
    np.testing.assert_array_equal(blocks.context, whole.context)


def _silero_shaped(onnx, path, bins=5, channels=(6, 4), with_spectrum=True):
    """A sequence model built as Silero VAD's (reflect padding, a strided convolution as the
    spectrum, the magnitude of its halves without the first step, convolutions and ReLUs,
    turned for the LSTM), with random weights and a small second part; or, without the
    spectrum, one whose first part is something else."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    weights = {"basis": rng.standard_normal((2 * bins, 1, 256)) * 0.1,
               "w0": rng.standard_normal((channels[0], bins, 3)) * 0.3, "b0": rng.standard_normal(channels[0]) * 0.1,
               "w1": rng.standard_normal((channels[1], channels[0], 3)) * 0.3, "b1": rng.standard_normal(channels[1]) * 0.1}
    ints = lambda name, values: helper.make_tensor(name, TensorProto.INT64, [len(values)], values)
    constants = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    constants += [ints("pads", [0, 128, 0, 128]), ints("one", [1]), ints("two", [2]), ints("zero", [0]),
                  ints("bins", [bins]), ints("end", [2 * bins]), ints("last", [2 ** 31]), ints("sum_axes", [1, 2]),
                  helper.make_tensor("square", TensorProto.FLOAT, [], [2.0])]
    node = helper.make_node
    spectrum = [node("Pad", ["input", "pads"], ["padded"], mode="reflect"),
                node("Unsqueeze", ["padded", "one"], ["rows"]),
                node("Conv", ["rows", "basis"], ["stft"], kernel_shape=[256], strides=[128], pads=[0, 0]),
                node("Slice", ["stft", "zero", "bins", "one"], ["re_all"]),
                node("Slice", ["re_all", "one", "last", "two"], ["re"]),
                node("Slice", ["stft", "bins", "end", "one"], ["im_all"]),
                node("Slice", ["im_all", "one", "last", "two"], ["im"]),
                node("Pow", ["re", "square"], ["re2"]), node("Pow", ["im", "square"], ["im2"]),
                node("Add", ["re2", "im2"], ["power"]), node("Sqrt", ["power"], ["magnitude"]),
                node("Conv", ["magnitude", "w0", "b0"], ["c0"], kernel_shape=[3], pads=[1, 1], strides=[1]),
                node("Relu", ["c0"], ["r0"]),
                node("Conv", ["r0", "w1", "b1"], ["c1"], kernel_shape=[3], pads=[1, 1], strides=[2]),
                node("Relu", ["c1"], ["r1"]),
                node("Transpose", ["r1"], [voice.CUT], perm=[0, 2, 1])]
    other = [node("Unsqueeze", ["input", "one"], [voice.CUT])]
    state = [node("ReduceSum", [voice.CUT, "sum_axes"], ["sum"], keepdims=0), node("Sigmoid", ["sum"], ["speech_probs"]),
             node("Tanh", ["h"], ["hn"]), node("Neg", ["c"], ["cn"])]
    tensor = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
    graph = helper.make_graph(
        (spectrum if with_spectrum else other) + state, "sequence",
        [tensor("input", ["n", 576]), tensor("h", [1, 1, 128]), tensor("c", [1, 1, 128])],
        [tensor("speech_probs", ["n"]), tensor("hn", [1, 1, 128]), tensor("cn", [1, 1, 128])], initializer=constants)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]), path)
    return path


def test_the_split_tool_cuts_a_sequence_model_into_parts_that_give_its_outputs(tmp_path):
    """tools/split_voice_model.py cuts at the tensor the detector feeds its second part and
    writes the first as matrix products: run one after the other, the two parts give the whole
    model's probabilities within float32 rounding and its state to the bit. A model whose
    first part is no spectrum and convolutions is refused in one line, nothing written."""
    onnx = pytest.importorskip("onnx")
    from talkrig.inference.onnx_runtime import onnxruntime

    spec = importlib.util.spec_from_file_location("split_voice_model", ROOT / "tools" / "split_voice_model.py")
    split_voice_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(split_voice_model)
    source = _silero_shaped(onnx, tmp_path / "sequence.onnx")
    frames, state = split_voice_model.split(source, tmp_path / "parts")
    # the tool keeps its own names (tools import nothing of the package): the detector's
    assert (frames.name, state.name) == (voice.FRAMES_MODEL.name, voice.STATE_MODEL.name)
    assert "Conv" not in {n.op_type for n in onnx.load(str(frames)).graph.node}
    run = lambda path, feed: onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)
    rng = np.random.default_rng(1)
    x, h, c = (rng.standard_normal(s).astype(np.float32) * 0.1 for s in ((9, 576), voice.STATE, voice.STATE))
    probs, hn, cn = run(source, {"input": x, "h": h, "c": c})
    (cut,) = run(frames, {"input": x})
    parts = run(state, {voice.CUT: cut, "h": h, "c": c})
    assert probs.std() > 0.01  # the frames differ, and so do their probabilities
    np.testing.assert_allclose(parts[0], probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(parts[1], hn)
    np.testing.assert_array_equal(parts[2], cn)
    not_a_model = tmp_path / "notes.onnx"
    not_a_model.write_bytes(b"not a model")
    other = _silero_shaped(onnx, tmp_path / "other.onnx", with_spectrum=False)
    for bad in (tmp_path / "missing.onnx", not_a_model, other):  # one line and status 2, no traceback
        with pytest.raises(SystemExit) as stopped:
            split_voice_model.main([str(bad), str(tmp_path / "out")])
        assert stopped.value.code == 2
    assert not (tmp_path / "out").exists()
