"""The preview rendered by two Blender processes at once (exporters/split_render.py) is the video
one process renders: every frame in its place, the sound in its place, and a second process that
fails costs time, never the video."""

import logging
import os
import shutil
import sys

import numpy as np
import pytest

from support.bake_support import cut_speech

from talkrig.exporters.bake import BakeJob, bake
from talkrig.inference.generation.pipeline import GenerateOptions

pytestmark = pytest.mark.blender

SECONDS = 8.0  # 240 frames: the second process is left some 60 (split_render.later_share)
SIZE = (160, 120)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return cut_speech(tmp_path_factory.mktemp("speech") / "speech.wav", SECONDS, offset=4.0)


def preview(speech, path, processes):
    """The preview's video (:func:`read_video`); its progress, counted over both processes,
    has risen to the end without ever going back."""
    shown = []
    bake(BakeJob(speech, [], preview=path, preview_size=SIZE, preview_processes=processes,
                 options=GenerateOptions(speech="none")),
         progress=lambda stage, fraction: stage == "preview" and shown.append(fraction))
    assert shown and shown[-1] == 1.0 and shown == sorted(shown)
    return read_video(path)


def read_video(path):
    """(frames (N, H, W) grey, their times in s, mono sound samples, its rate)."""
    import av

    with av.open(str(path)) as f:
        stream = f.streams.video[0]
        decoded = [(frame.pts, frame.to_ndarray(format="gray")) for frame in f.decode(stream)]
        times = np.array([pts for pts, _ in decoded]) * float(stream.time_base)
    with av.open(str(path)) as f:
        rate = f.streams.audio[0].rate
        sound = np.concatenate([frame.to_ndarray().ravel() for frame in f.decode(audio=0)])
    return np.array([image for _, image in decoded]).astype(int), times, sound, rate


@pytest.fixture(scope="module")
def one_process(speech, tmp_path_factory):
    return preview(speech, tmp_path_factory.mktemp("one") / "one.mp4", processes=1)


def notes(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "talkrig.exporters.split_render"]


def assert_same_video(got, want):
    frames, times, sound, rate = got
    assert frames.shape == want[0].shape == (int(SECONDS * 30), SIZE[1], SIZE[0])
    assert np.allclose(np.diff(times), 1 / 30, atol=1e-4) and times[0] == 0
    # the same frame at every place (each part is its own H.264 stream: a level of coding noise)
    difference = np.abs(frames - want[0]).mean(axis=(1, 2))
    assert difference.max() < 1.5, np.argmax(difference)
    assert np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2)).max() > 0.3  # and the body moves
    # the sound: as long, and not shifted against the frames (the encoder's priming skipped)
    assert rate == want[3] and len(sound) == len(want[2])
    loud = slice(rate, 3 * rate)
    assert np.corrcoef(sound[loud], want[2][loud])[0, 1] > 0.99
    assert np.sqrt(np.mean(sound ** 2)) > 0.01


def test_two_processes_render_the_video_one_process_renders(speech, one_process, tmp_path,
                                                             monkeypatch, caplog):
    from talkrig.exporters import split_render

    started = []
    start = split_render._start_child
    monkeypatch.delenv("LP_NUM_THREADS", raising=False)
    monkeypatch.setattr(split_render, "_start_child",
                        lambda *a: started.append(os.environ.get("LP_NUM_THREADS")) or start(*a))
    caplog.set_level(logging.INFO, logger="talkrig.exporters.split_render")
    got = preview(speech, tmp_path / "two.mp4", processes=2)
    assert started == ["0"] and not notes(caplog)  # split (rasterising in the render threads), joined
    assert_same_video(got, one_process)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.mp4"]


def test_a_failed_second_process_costs_time_not_the_video(speech, one_process, tmp_path,
                                                          monkeypatch, caplog):
    """A second process that exits at once with an error: the first renders its frames too.
    (And llvmpipe's threads as the user set them are left so.)"""
    monkeypatch.setattr(sys, "executable", shutil.which("false"))
    monkeypatch.setenv("LP_NUM_THREADS", "2")
    caplog.set_level(logging.INFO, logger="talkrig.exporters.split_render")
    got = preview(speech, tmp_path / "two.mp4", processes=2)
    assert os.environ["LP_NUM_THREADS"] == "2"
    assert any("the second render process failed" in note for note in notes(caplog))
    assert_same_video(got, one_process)


def test_a_scene_slow_to_save_is_rendered_in_one_process(speech, one_process, tmp_path,
                                                         monkeypatch, caplog):
    """A scene whose copy takes long to save takes as long to open in the second process: with
    that start it would be left too few frames to pay, so it is not started."""
    from talkrig.exporters import split_render

    save = split_render._save_copy
    monkeypatch.setattr(split_render, "_save_copy", lambda folder: (save(folder)[0], 30.0))
    monkeypatch.setattr(split_render, "_start_child", None)  # called, it would fail the bake
    caplog.set_level(logging.INFO, logger="talkrig.exporters.split_render")
    got = preview(speech, tmp_path / "one.mp4", processes=2)
    assert notes(caplog) == ["the scene took 30.0 s to save: rendering in one process"]
    assert_same_video(got, one_process)


def test_a_scene_that_cannot_be_saved_for_the_second_process_is_rendered_in_one(
        speech, one_process, tmp_path, monkeypatch, caplog):
    """A full or unwritable temporary folder: one line in the log, the video all the same."""
    from talkrig.exporters import split_render

    def cannot_save(folder):
        raise RuntimeError("Error: cannot write the file (no space left on device)\n")

    monkeypatch.setattr(split_render, "_save_copy", cannot_save)
    caplog.set_level(logging.INFO, logger="talkrig.exporters.split_render")
    got = preview(speech, tmp_path / "one.mp4", processes=2)
    assert notes(caplog) == ["could not save the scene for a second render process (Error: "
                             "cannot write the file (no space left on device)): rendering in one"]
    assert_same_video(got, one_process)


def test_a_batch_run_by_one_worker_renders_its_previews_in_two_processes(speech, tmp_path,
                                                                         monkeypatch):
    """`bake-batch` with one local worker (its default on two cores) leaves each clip's preview
    two processes; with two workers, which share the cores already, one."""
    from talkrig.cli import main
    from talkrig.exporters import batch, split_render
    from talkrig.exporters.manifest import Clip

    handed = []
    monkeypatch.setattr(batch, "bake_each",
                        lambda clips, settings, engine, on_result: handed.append(settings))
    manifest = tmp_path / "clips.csv"
    manifest.write_text(f"audio,output\n{speech},take.glb\n")
    for workers in ("1", "2"):
        main(["bake-batch", str(manifest), "--out", str(tmp_path / f"out{workers}"),
              "--workers", workers, "--preview", "--speech", "none", "--quiet"])
    assert [settings.preview_processes for settings in handed] == [2, 1]

    started = []
    start = split_render._start_child
    monkeypatch.setattr(split_render, "_start_child", lambda *a: started.append(a) or start(*a))
    (tmp_path / "out").mkdir()
    result = batch.bake_clip(Clip(line=2, output="take.glb", audio=str(speech)),
                             batch.BatchSettings(out_dir=tmp_path / "out", preview=True,
                                                 preview_size=SIZE, preview_processes=2,
                                                 options=GenerateOptions(speech="none")))
    assert result["status"] == "done" and len(started) == 1, result["error"]
    assert read_video(tmp_path / "out" / "take.mp4")[0].shape[0] == int(SECONDS * 30)
