"""Files a user points at that lie or are not files: cameras, model and renderer folders,
key-pose dictionaries. Each is refused in one line before anything is allocated or blocks."""

import json
import os

import numpy as np
import pytest

from support.cli_support import one_line_error
from talkrig.motion import Motion, save_motion

IDENTITY = np.eye(4).tolist()


def camera(**changes):
    data = {"width": 320, "height": 240, "focal": 300.0, "fps": 30.0,
            "world_from_camera": IDENTITY, "world_from_motion": IDENTITY}
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize("text, message", [
    (camera(focal=float("nan")), "focal must be a positive number"),
    (camera(focal=float("inf")), "focal must be a positive number"),
    (camera(focal=0), "focal must be a positive number"),
    (camera(focal=-300), "focal must be a positive number"),
    (camera(fps=1e-300), "fps must be"),
    (camera(width=1e300), "not a whole number"),
    (camera(height=100000), "height must be 1 to 16384 pixels"),
    (camera(width=float("nan")), "not a camera description"),
    (camera(world_from_camera=np.zeros((4, 4)).tolist()), "a finite matrix that can be inverted"),
    (camera(world_from_motion=[[float("nan")] * 4] * 4), "a finite matrix that can be inverted"),
    (camera(world_from_camera=[[1, 0, 0], [0, 1, 0]]), "4 rows of 4 numbers"),
    (camera(world_from_camera=[[None] * 4] * 4), "must hold numbers"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ("[1, 2]", "not an object of camera fields"),
])
def test_render_refuses_a_camera_that_cannot_be(tmp_path, capsys, text, message):
    save_motion(Motion.rest(3, 30.0), tmp_path / "take.npz")
    (tmp_path / "cam.json").write_text(text)
    error = one_line_error(capsys, ["render", tmp_path / "take.npz", "--camera", tmp_path / "cam.json",
                                    "-o", tmp_path / "out.mp4"])
    assert message in error and not (tmp_path / "out.mp4").exists()


def test_render_refuses_a_camera_that_is_a_pipe(tmp_path, capsys):
    save_motion(Motion.rest(3, 30.0), tmp_path / "take.npz")
    os.mkfifo(tmp_path / "cam.json")
    error = one_line_error(capsys, ["render", tmp_path / "take.npz", "--camera", tmp_path / "cam.json",
                                    "-o", tmp_path / "out.mp4"])
    assert "not a regular file" in error


def model_folder(folder, **changes):
    folder.mkdir(exist_ok=True)
    data = {"format": "talkrig-model", "format_version": 1, "backend": "a2g", "fps": 30.0,
            "input": {"kind": "mel", "dim": 2, "mean": [0.0, 0.0], "std": [1.0, 1.0]},
            "graphs": {"decoder": "decoder.onnx"}, "layout": {}, "window": 64, "code": 16}
    data.update(changes)
    (folder / "talkrig_model.json").write_text(json.dumps(data))
    return folder


@pytest.mark.parametrize("changes, message", [
    ({"window": 10 ** 12}, "'window' entry"),
    ({"code": 10 ** 9}, "'code' entry"),
    ({"fps": 1e-300}, "'fps' entry"),
    ({"fps": 1e300}, "'fps' entry"),
    ({"window": True}, "'window' entry"),
    ({"input": {"kind": "text", "dim": 10 ** 9}}, "'input' entry"),
])
def test_a_model_description_declaring_absurd_sizes_is_refused(tmp_path, changes, message):
    from talkrig.plugins.neural.modeldir import ModelError, load_model

    folder = model_folder(tmp_path / "model", **changes)
    with pytest.raises(ModelError, match=message):
        load_model(folder, "a2g", sizes=("window", "code"))


def test_a_model_description_nested_deeply_or_a_pipe_is_one_line(tmp_path, capsys):
    from talkrig.plugins.neural.modeldir import ModelError, read_metadata

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "talkrig_model.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ModelError, match="nested too deeply"):
        read_metadata(folder, "a2g")
    (folder / "talkrig_model.json").unlink()
    os.mkfifo(folder / "talkrig_model.json")
    with pytest.raises(ModelError, match="not a regular file"):
        read_metadata(folder, "a2g")


def test_a_renderer_declaring_a_huge_picture_is_refused(tmp_path):
    from talkrig.inference.render import load_renderer
    from talkrig.motion.errors import TalkrigError

    folder = tmp_path / "renderer"
    folder.mkdir()
    meta = {"format": "talkrig-model", "format_version": 1, "backend": "vid2vid", "size": [10 ** 6, 10 ** 6],
            "graphs": {"generator": "g.onnx"}, "reference": "reference.npy", "reference_label": "label.npy"}
    (folder / "talkrig_model.json").write_text(json.dumps(meta))
    with pytest.raises(TalkrigError, match="size must be two whole numbers"):
        load_renderer(str(folder))
    # a picture whose header declares far more than the file holds is not allocated
    meta["size"] = [256, 256]
    (folder / "talkrig_model.json").write_text(json.dumps(meta))
    with open(folder / "reference.npy", "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "|u1", "fortran_order": False,
                                                      "shape": (100000, 100000, 3)})
    with pytest.raises(TalkrigError, match="not a readable picture"):
        load_renderer(str(folder))


def test_a_key_pose_dictionary_of_too_many_entries_is_refused(tmp_path):
    from talkrig.inference.generation.keyposes import load_keyposes
    from talkrig.motion.keypose_file import KeyPoseError

    entry = {"words": ["hello"], "pose": {"right_shoulder": [0.0, 0.0, 0.5]}}
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"version": 1, "entries": [entry] * 20000}))
    with pytest.raises(KeyPoseError, match="20000 entries; a key-pose dictionary holds at most 10000"):
        load_keyposes(str(path))
    path.write_text(json.dumps([entry] * 20000))  # a bare list of entries too
    with pytest.raises(KeyPoseError, match="20000 entries"):
        load_keyposes(str(path))
    with open(path, "w") as handle:  # a million entries: refused by its size before it is parsed
        handle.write('{"entries": [' + ",".join([json.dumps(entry)] * 1_000_000) + "]}")
    with pytest.raises(KeyPoseError, match="more than a key-pose dictionary holds"):
        load_keyposes(str(path))
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pytest.raises(KeyPoseError, match="not a regular file"):
        load_keyposes(str(pipe))


@pytest.mark.parametrize("flag, value, message", [
    ("--fps", "nan", "--fps must be from 1 to 120, got nan"),
    ("--fps", "1e-300", "--fps must be from 1 to 120"),
    ("--end", "nan", "--end must be a number of seconds after --start"),
    ("--end", "inf", "--end must be a number of seconds after --start"),
    ("--start", "nan", "--start must be a number of seconds from 0"),
    ("--start", "1e300", "--start must be a number of seconds from 0"),
])
def test_capture_refuses_times_and_rates_that_are_not_numbers(tmp_path, capsys, flag, value, message):
    from support.shared_data import shared_file

    video = shared_file("video_ccby", "physicsworks.webm")
    error = one_line_error(capsys, ["capture", video, "-o", tmp_path / "takes", flag, value])
    assert message in error and not (tmp_path / "takes").exists()


def test_generate_refuses_audio_that_is_a_pipe_or_a_device(tmp_path, capsys):
    pipe = tmp_path / "speech.wav"
    os.mkfifo(pipe)
    for path in (pipe, "/dev/zero"):
        error = one_line_error(capsys, ["generate", path, "-o", tmp_path / "take.npz"])
        assert "is not a regular file (a pipe or a device)" in error


def test_a_damaged_mp3_is_one_line_even_from_the_decoder(tmp_path):
    """libmpg123 prints its own notes on file descriptor 2 ("Hit end of (available) data during
    resync"): in a process of its own, the command's error is still the only line."""
    import subprocess
    import sys
    from pathlib import Path

    mp3 = tmp_path / "speech.mp3"
    mp3.write_bytes(b"\xff\xfb\x90\x00" + b"garbage" * 1000)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    run = subprocess.run([sys.executable, "-m", "talkrig", "generate", str(mp3), "-o", str(tmp_path / "t.npz")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("talkrig generate: error:") and "mp3" in run.stderr


BOMB = '''
import sys
import numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
from talkrig.plugins.neural.modeldir import ModelError, run_graph, session_options

shape = helper.make_tensor("shape", TensorProto.INT64, [2], [40000, 40000])  # 6.4 GB of float32
nodes = [helper.make_node("Constant", [], ["s"], value=shape), helper.make_node("Expand", ["x", "s"], ["big"]),
         helper.make_node("ReduceSum", ["big"], ["y"], keepdims=0)]
graph = helper.make_graph(nodes, "bomb", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
session = ort.InferenceSession(sys.argv[1], session_options(1), providers=["CPUExecutionProvider"])
try:
    run_graph(session, {"x": np.ones((1, 1), np.float32)}, "bomb.onnx")
except ModelError as exc:
    print(exc)
# this process's own peak (VmHWM): ru_maxrss would start at the forking test worker's size
print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')) // 1024)
'''


def test_a_graph_allocating_gigabytes_per_run_is_stopped_in_bounded_memory(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    run = subprocess.run([sys.executable, "-c", BOMB, str(tmp_path / "bomb.onnx")], capture_output=True,
                         text=True, env=env, timeout=300)
    message, peak_mb = run.stdout.strip().splitlines()
    assert message == "bomb.onnx needs more than 1024 MB for one run; it is not a model talkrig trained"
    assert int(peak_mb) < 1024 and run.stderr == "", (peak_mb, run.stderr)
