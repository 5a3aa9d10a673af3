"""`talkrig bake` as a user runs it: a preview video with the speech in it, a motion file's own
frame rate carried into the export, and one-line errors for what a user can get wrong."""

import re
import struct
import subprocess

import pytest

from support.bake_support import cut_speech
from support.tools_on_path import ffmpeg_exe

from talkrig.cli import main

pytestmark = pytest.mark.blender

SECONDS = 3.0


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return cut_speech(tmp_path_factory.mktemp("speech") / "speech.wav", SECONDS, offset=10.0)


def mp4_handlers(path):
    """Handler types ('vide', 'soun') of the tracks of an MP4 file, read from its boxes."""
    data = path.read_bytes()
    found = []

    def walk(start, end):
        while start + 8 <= end:
            size, kind = struct.unpack(">I4s", data[start:start + 8])
            header = 8
            if size == 1:
                size, header = struct.unpack(">Q", data[start + 8:start + 16])[0], 16
            elif size == 0:
                size = end - start
            if size < header:
                return
            if kind in (b"moov", b"trak", b"mdia"):
                walk(start + header, start + size)
            elif kind == b"hdlr":
                found.append(data[start + header + 8:start + header + 12].decode("ascii"))
            start += size

    walk(0, len(data))
    return found


def test_preview_is_a_video_with_the_speech(speech, tmp_path, capsys):
    import bpy

    import aud  # Blender's audio library, importable once bpy is

    glb, video = tmp_path / "talk.glb", tmp_path / "talk.mp4"
    code = main(["bake", str(speech), "-o", str(glb), "--preview", str(video),
                 "--preview-size", "320x180", "--speech", "none"])
    assert code == 0
    printed = capsys.readouterr().out
    assert str(video.resolve()) in printed and str(glb.resolve()) in printed
    assert sorted(mp4_handlers(video)) == ["soun", "vide"]

    frames = int(SECONDS * 30)
    clip = bpy.data.movieclips.load(str(video))
    assert (clip.frame_duration, clip.fps, tuple(clip.size)) == (frames, 30, (320, 180))
    sound = aud.Sound(str(video))
    rate = sound.specs[0]
    assert sound.length / rate == pytest.approx(SECONDS, abs=0.1)
    # a second opinion from ffmpeg itself (the imageio-ffmpeg build, present on every machine)
    report = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(video)],
                            capture_output=True, text=True).stderr
    streams = [line.split(": ")[1] for line in report.splitlines() if "Stream #" in line]
    assert sorted(streams) == ["Audio", "Video"], report


def test_files_named_without_a_folder_are_written_where_the_command_runs(speech, tmp_path,
                                                                        monkeypatch):
    """`talkrig bake speech.wav -o take.glb --preview take.mp4` from the folder it runs in:
    Blender wrote a bare relative name nowhere, and the preview ended in a traceback."""
    monkeypatch.chdir(tmp_path)
    assert main(["bake", str(speech), "-o", "take.glb", "--preview", "take.mp4",
                 "--preview-size", "160x90", "--speech", "none", "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.glb", "take.mp4"]
    assert sorted(mp4_handlers(tmp_path / "take.mp4")) == ["soun", "vide"]


def test_preview_without_a_size_frames_the_body(speech, tmp_path):
    """Without --preview-size the video is 480 pixels tall and as wide as the body needs: the
    body fills it (a 16:9 frame left two thirds of its width empty, and the render's cost is
    per pixel), and the take moves in it."""
    import numpy as np

    video = tmp_path / "talk.mp4"
    assert main(["bake", str(speech), "-o", str(tmp_path / "talk.npz"), "--preview", str(video),
                 "--speech", "none"]) == 0
    report = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(video)], capture_output=True, text=True).stderr
    width, height = (int(v) for v in re.search(r" Video: .*?, (\d+)x(\d+)", report).groups())
    assert height == 480 and 240 <= width < 854 and width % 2 == 0
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, height, width).astype(int)
    body = np.abs(frames - np.median(frames[:, :, :3])) > 12  # the background's grey at the left edge
    rows, columns = np.flatnonzero(body.any(axis=(0, 2))), np.flatnonzero(body.any(axis=(0, 1)))
    assert np.ptp(rows) > 0.7 * height and np.ptp(columns) > 0.6 * width
    assert np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2)).max() > 0.3  # the body moves


def test_motion_file_keeps_its_frame_rate(scott_motion, tmp_path, capsys):
    from talkrig.motion import resample, save_motion

    motion = resample(scott_motion[:60], 60.0)  # two seconds of real mocap at 60 fps
    source = tmp_path / "take60.npz"
    save_motion(motion, source)
    out = tmp_path / "take60.bvh"
    assert main(["bake", str(source), "-o", str(out), "--map-report"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert any(line.split()[:4] == ["left_elbow", "->", "forearm.L", "1.00"] for line in printed)
    assert "  root motion on the pelvis bone 'spine'" in printed  # the summary says it too
    text = out.read_text()
    assert f"Frames: {motion.n_frames}" in text
    assert 1.0 / float(text.split("Frame Time:")[1].split()[0]) == pytest.approx(60.0, abs=0.02)


@pytest.fixture(scope="module")
def no_armature_glb(tmp_path_factory):
    """A glTF file with a mesh and no armature."""
    import bpy

    path = tmp_path_factory.mktemp("avatar") / "cube.glb"
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_cube_add()
    bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB")
    return path


@pytest.mark.parametrize("extra, message", [
    (["-o", "{tmp}/take.xyz"], "cannot write '.xyz' files"),
    (["-o", "{tmp}/missing/take.glb"], "does not exist"),
    (["-o", "{tmp}/take.glb", "--avatar", "{tmp}/nobody.fbx"], "nobody.fbx: no such file"),
    (["-o", "{tmp}/take.glb", "--avatar", "{cube}"], "holds no armature"),
    (["-o", "{tmp}/take.glb", "--map", "nonsense"], "is not 'auto', a preset name"),
    (["-o", "{tmp}/take.glb", "--preview", "{tmp}/take.avi"], "the preview is an .mp4 video"),
    (["-o", "{tmp}/take.glb", "--preview-size", "wide"], "--preview-size must look like"),
    (["-o", "{tmp}/take.glb", "--root-target", "root"], "no bone above its pelvis bone 'spine'"),
])
def test_mistakes_are_one_line_errors(speech, no_armature_glb, tmp_path, capsys, extra, message):
    args = [a.format(tmp=tmp_path, cube=no_armature_glb) for a in extra]
    assert main(["bake", str(speech), "--speech", "none", "--quiet"] + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("talkrig bake: error:") and message in err[0], err
    assert not list(tmp_path.glob("take.*"))  # nothing half-written
