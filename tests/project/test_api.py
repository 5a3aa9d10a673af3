"""The Python API (``import talkrig``, docs/python.md): every public name resolves to the
project's own object, a bare import stays light (Blender imports the package root), and a
short real take is generated, saved and read back through it."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

import talkrig
from support.bake_support import cut_speech

PUBLIC = ("generate", "GenerateOptions", "bake", "BakeJob", "capture_video", "render_motion",
          "LiveStream", "Motion", "load_motion", "save_motion", "list_generators", "Client",
          "TalkrigError")
HEAVY = ("numpy", "bpy", "torch", "onnxruntime")


def expected_objects():
    """{public name: the object it must be}, imported from where each one is defined."""
    from talkrig import api
    from talkrig.client.http_client import Client
    from talkrig.exporters.bake import BakeJob, bake
    from talkrig.inference.generation.generators import list_generators
    from talkrig.inference.generation.pipeline import GenerateOptions
    from talkrig.inference.live.driver import LiveStream
    from talkrig.motion.container import Motion
    from talkrig.motion.errors import TalkrigError
    from talkrig.motion.files import load_motion, save_motion

    return {"generate": api.generate, "GenerateOptions": GenerateOptions, "bake": bake,
            "BakeJob": BakeJob, "capture_video": api.capture_video,
            "render_motion": api.render_motion, "LiveStream": LiveStream, "Motion": Motion,
            "load_motion": load_motion, "save_motion": save_motion,
            "list_generators": list_generators, "Client": Client, "TalkrigError": TalkrigError}


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """2.5 s of the bundled speech sample (16 kHz wav), no transcript."""
    return cut_speech(tmp_path_factory.mktemp("api") / "speech.wav", 2.5, offset=1.0)


@pytest.fixture(scope="module")
def take(speech):
    return talkrig.generate(speech, backend="procedural", seed=0)


def test_all_lists_the_public_names():
    assert sorted(talkrig.__all__) == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves_to_the_projects_own_object(name):
    assert getattr(talkrig, name) is expected_objects()[name]
    assert name in dir(talkrig)


def test_the_python_page_describes_every_public_name_and_option():
    """docs/python.md is where the README sends a user for "every public name, with the options
    of each": each name and each GenerateOptions field is on it."""
    import dataclasses
    from pathlib import Path

    from talkrig.inference.generation.pipeline import GenerateOptions

    page = (Path(talkrig.__file__).parent / "docs" / "python.md").read_text(encoding="utf-8")
    missing = [name for name in PUBLIC if f"`{name}" not in page]
    missing += [f.name for f in dataclasses.fields(GenerateOptions) if f"`{f.name}`" not in page]
    assert not missing, missing


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'generat'"):
        talkrig.generat  # noqa: B018
    assert not hasattr(talkrig, "addon_thing")


def test_the_errors_behind_the_api_are_talkrig_errors():
    from talkrig.exporters.errors import BakeError
    from talkrig.inference.capture.errors import CaptureError
    from talkrig.inference.registry import PluginError
    from talkrig.inference.render import RenderError
    from talkrig.motion.errors import MotionFileError

    for error in (BakeError, CaptureError, PluginError, RenderError, MotionFileError):
        assert issubclass(error, talkrig.TalkrigError)


def test_a_bare_import_is_light_in_a_fresh_interpreter(tmp_path):
    """Blender imports the package root: no numpy, bpy, torch or onnxruntime until a public name
    is read; dir() lists the public names before any is loaded."""
    code = (
        "import json, sys\n"
        "import talkrig\n"
        "heavy = [m for m in %r if m in sys.modules]\n"
        "inner = sorted(m for m in sys.modules if m.startswith('talkrig.'))\n"
        "listed = [n for n in talkrig.__all__ if n in dir(talkrig)]\n"
        "import talkrig.api\n"
        "api_heavy = [m for m in %r if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'inner': inner, 'listed': listed, 'all': talkrig.__all__,"
        " 'api_heavy': api_heavy}))\n" % (HEAVY, HEAVY))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True, timeout=120)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["heavy"] == [] and found["inner"] == []
    assert found["listed"] == found["all"] == list(PUBLIC)
    assert found["api_heavy"] == []  # the wrappers import what they need when called


@pytest.mark.parametrize("fields, options", [
    ({"bakend": "procedural"}, None),
    ({}, {"bakend": "procedural"}),
])
def test_an_unknown_option_names_it_and_lists_the_valid_ones(speech, fields, options):
    with pytest.raises(talkrig.TalkrigError) as caught:
        talkrig.generate(speech, options, **fields)
    message = str(caught.value)
    assert "'bakend' (did you mean 'backend'?)" in message and "seed" in message and "fps" in message


def test_options_of_the_wrong_type_are_refused(speech):
    with pytest.raises(talkrig.TalkrigError, match="GenerateOptions"):
        talkrig.generate(speech, "procedural")


def test_generate_gives_a_motion_of_the_audio_length(speech, take):
    import soundfile

    from talkrig.motion.container import frame_count

    seconds = soundfile.info(str(speech)).duration
    assert isinstance(take.motion, talkrig.Motion)
    assert take.motion.fps == 30.0
    assert take.motion.n_frames == frame_count(seconds, 30.0) == 75
    assert np.isfinite(take.motion.poses).all()
    assert isinstance(take.words, list)


def test_keywords_override_the_options_given(speech, take):
    options = talkrig.GenerateOptions(backend="procedural", seed=0, fps=30.0)
    again = talkrig.generate(speech, options, fps=24.0)
    assert options.fps == 30.0  # the caller's options are left as they were
    assert again.motion.fps == 24.0 and again.motion.n_frames == 60
    same = talkrig.generate(speech, {"backend": "procedural"}, seed=0)
    np.testing.assert_array_equal(same.motion.poses, take.motion.poses)


def test_a_transcript_is_taken_as_a_path_or_as_its_text(tmp_path, speech):
    """As on the command line: a path (str or Path) to a transcript file is read, its text is
    taken as it is, and a file name that names no file is refused, not timed as a script."""
    said = ["and", "then", "she", "said", "go"]
    script = tmp_path / "speech.json"  # a timed word list: its words are taken as they are
    script.write_text(json.dumps([{"word": w, "start": 0.4 * k, "end": 0.4 * k + 0.3}
                                  for k, w in enumerate(said)]), encoding="utf-8")
    as_text = talkrig.generate(speech, backend="procedural",
                               transcript=script.read_text(encoding="utf-8"))
    for given in (script, str(script)):
        as_path = talkrig.generate(speech, backend="procedural", transcript=given)
        assert [w.word for w in as_path.words] == [w.word for w in as_text.words] == said
        np.testing.assert_array_equal(as_path.motion.poses, as_text.motion.poses)
    with pytest.raises(talkrig.TalkrigError, match="no such transcript file"):
        talkrig.generate(speech, transcript=str(tmp_path / "speach.txt"))


def test_a_transcript_is_taken_as_its_bytes_or_as_a_list_of_words(tmp_path, speech):
    """A result's words given again, the dicts `talkrig words --json` prints, or the file's
    bytes give the same take as the file; a list of strings is a script; anything else is
    refused with a TalkrigError naming what a transcript may be, never a TypeError."""
    said = ["and", "then", "she", "said", "go"]
    timed = [{"word": w, "start": 0.5 * k, "end": 0.5 * k + 0.3} for k, w in enumerate(said)]
    script = tmp_path / "speech.json"
    script.write_text(json.dumps(timed), encoding="utf-8")
    first = talkrig.generate(speech, backend="procedural", transcript=script)
    for given in (first.words, tuple(first.words), timed, script.read_bytes(),
                  [dict(w, start=np.float32(w["start"])) for w in timed]):
        again = talkrig.generate(speech, backend="procedural", transcript=given)
        assert [(w.word, w.start) for w in again.words] == [(w.word, w.start) for w in first.words]
        np.testing.assert_array_equal(again.motion.poses, first.motion.poses)
    heard = [w.word for w in talkrig.generate(speech, backend="procedural").words]
    plain = talkrig.generate(speech, backend="procedural", transcript=" ".join(heard))
    as_list = talkrig.generate(speech, backend="procedural", transcript=heard)
    assert len(plain.words) == len(heard) > 2
    assert as_list.words == plain.words
    for wrong, named in ((12, "got int"), ([1, 2], "got int"), (["go", first.words[0]], "mixed"),
                         (b"RIFF\x00\x00WAVE", "not a text file")):
        with pytest.raises(talkrig.TalkrigError, match=named):
            talkrig.generate(speech, transcript=wrong)


def test_samples_are_taken_with_their_rate_as_audio_libraries_pair_them(speech, take):
    """(samples, rate) as soundfile and librosa return them, and (rate, samples) as scipy's
    wavfile does, give the file's take; samples at another rate taken alone would not (16 kHz
    is assumed); another tuple is a TalkrigError saying what to give."""
    import soundfile as sf

    samples, rate = sf.read(str(speech), dtype="float32")
    doubled = np.repeat(samples, 2)  # the same sound at twice the rate
    for given in ((doubled, 2 * rate), (2 * rate, (doubled * 32767).astype(np.int16))):
        again = talkrig.generate(given, backend="procedural", seed=0)
        assert again.motion.n_frames == take.motion.n_frames
    assert talkrig.generate(doubled, backend="procedural", seed=0).motion.n_frames == 2 * take.motion.n_frames
    with pytest.raises(talkrig.TalkrigError, match=r"\(samples, sample rate\)"):
        talkrig.generate((doubled, "fast"))
    for rate in (0, float("nan")):  # 0 was taken as 16 kHz, NaN a ValueError
        with pytest.raises(talkrig.TalkrigError, match="sample rate must be a positive number"):
            talkrig.generate((doubled, rate))


def test_a_take_goes_on_from_the_last_frame_of_another(speech, take):
    """initial_pose may be a take: its last frame (numpy read a Motion as a sequence whose
    frames never ended, and the call never returned)."""
    after = talkrig.generate(speech, backend="procedural", seed=1, initial_pose=take.motion)
    same = talkrig.generate(speech, backend="procedural", seed=1, initial_pose=take.motion.poses[-1])
    np.testing.assert_array_equal(after.motion.poses, same.motion.poses)
    with pytest.raises(IndexError):
        take.motion[take.motion.n_frames]


def test_save_and_load_round_trip(tmp_path, take):
    path = talkrig.save_motion(take.motion, tmp_path / "take.npz")
    back = talkrig.load_motion(path)
    assert isinstance(back, talkrig.Motion)
    assert back.n_frames == take.motion.n_frames and back.fps == take.motion.fps
    np.testing.assert_allclose(back.poses, take.motion.poses, atol=1e-6)
    np.testing.assert_allclose(back.trans, take.motion.trans, atol=1e-6)


def test_bake_writes_the_motion_without_blender(tmp_path, take):
    talkrig.save_motion(take.motion, tmp_path / "take.npz")
    result = talkrig.bake(talkrig.BakeJob(tmp_path / "take.npz", [tmp_path / "copy.npz"]))
    assert result.n_frames == take.motion.n_frames
    assert talkrig.load_motion(tmp_path / "copy.npz").n_frames == take.motion.n_frames


def test_a_take_in_memory_is_baked_as_it_is(tmp_path, take):
    """A generate() result, or its Motion, is a bake's source as a motion file is (they stopped
    with a TypeError: only paths were read)."""
    for k, source in enumerate((take, take.motion)):
        out = tmp_path / f"copy{k}.npz"
        assert talkrig.bake(talkrig.BakeJob(source, out)).n_frames == take.motion.n_frames
        np.testing.assert_array_equal(talkrig.load_motion(out).poses, take.motion.poses)


def test_bake_given_paths_instead_of_a_job_says_how_to_make_one(tmp_path):
    with pytest.raises(TypeError, match=r"bake\(\) takes a BakeJob, got str: "
                                        r"talkrig.bake\(talkrig.BakeJob\('speech.wav'"):
        talkrig.bake("speech.wav", tmp_path / "take.glb")


def test_a_bake_job_takes_one_output_alone_and_its_options_as_a_dict(tmp_path, take):
    talkrig.save_motion(take.motion, tmp_path / "take.npz")
    job = talkrig.BakeJob(tmp_path / "take.npz", str(tmp_path / "copy.npz"), options={"fps": 24})
    assert job.outputs == [tmp_path / "copy.npz"] and job.options.fps == 24
    result = talkrig.bake(job)
    assert talkrig.load_motion(tmp_path / "copy.npz").fps == 24 and result.fps == 24
    with pytest.raises(talkrig.TalkrigError, match="unknown generation option 'sed'"):
        talkrig.BakeJob(tmp_path / "take.npz", [tmp_path / "copy.npz"], options={"sed": 3})


def test_save_motion_given_something_else_names_what_it_takes(tmp_path, take):
    with pytest.raises(TypeError, match=r"save_motion\(\) takes a Motion \(a take's .motion\), "
                                        "got GenerateResult"):
        talkrig.save_motion(take, tmp_path / "take.npz")
    assert not (tmp_path / "take.npz").exists()


def test_render_motion_takes_a_motion_file_and_a_renderer_name(tmp_path, take):
    talkrig.save_motion(take.motion, tmp_path / "take.npz")
    out = talkrig.render_motion(tmp_path / "take.npz", tmp_path / "take.mp4", "skeleton",
                                size="128x128")
    assert out == tmp_path / "take.mp4" and out.stat().st_size > 0
    again = talkrig.render_motion(take, tmp_path / "again.mp4", "skeleton", size="128x128")
    assert again.read_bytes() == out.read_bytes()  # what generate() returned, as its file


def test_render_and_capture_refuse_missing_files_with_a_talkrig_error(tmp_path, take):
    with pytest.raises(talkrig.TalkrigError, match="no such camera file"):
        talkrig.render_motion(take.motion, tmp_path / "take.mp4", camera=tmp_path / "none.json")
    with pytest.raises(talkrig.TalkrigError, match="no such file"):
        talkrig.capture_video(tmp_path / "none.mp4", tmp_path / "takes")


@pytest.mark.parametrize("span, said", [
    ({"fps": 0}, "fps must be from 1 to 120, got 0"),  # was a ZeroDivisionError
    ({"start": 10, "end": 5}, "end must be a number of seconds after start (10)"),
    ({"start": -2}, "start must be a number of seconds from 0"),
])
def test_capture_refuses_a_span_as_the_command_line_does(tmp_path, span, said):
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"\0" * 64)  # never read: the span is checked first
    with pytest.raises(talkrig.TalkrigError, match=re.escape(said)):
        talkrig.capture_video(video, tmp_path / "takes", **span)


def test_list_generators_includes_the_procedural_one():
    names = {g["name"]: g for g in talkrig.list_generators()}
    assert names["procedural"]["available"]
