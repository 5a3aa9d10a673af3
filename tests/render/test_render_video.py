"""Rendering a take as video: the renderer plugins, `talkrig render` and `bake --render`, with
the built-in skeleton renderer (the label images), on a real mocap take and its speech."""

import json

import numpy as np
import pytest
import soundfile as sf

from talkrig.cli import main
from talkrig.inference.progress import JobCancelled
from talkrig.inference.registry import PluginEntry, PluginError
from talkrig.inference.render import (RenderError, load_renderer, render_motion, renderers,
                                      resolve_renderer)
from talkrig.motion import load_motion, save_motion
from talkrig.motion.camera import Camera, upper_body_camera
from talkrig.motion.errors import TalkrigError
from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton
from talkrig.motion.skeleton_pass import fit_to_size

FRAMES = 45  # 1.5 s


@pytest.fixture(scope="module")
def take(tmp_path_factory, scott_npz, scott_wav):
    """A 1.5 s cut of the real take (from 10 s in) and its speech, as files."""
    folder = tmp_path_factory.mktemp("take")
    motion = load_motion(scott_npz)[300:300 + FRAMES]
    save_motion(motion, folder / "take.npz")
    samples, rate = sf.read(scott_wav, dtype="float32")
    sf.write(folder / "take.wav", samples[10 * rate:int((10 + FRAMES / 30) * rate)], rate)
    return folder / "take.npz", folder / "take.wav", motion


def read_video(path):
    """(frames (T, H, W, 3) uint8, {stream type: seconds})."""
    import av

    with av.open(str(path)) as container:
        seconds = {s.type: float(s.duration * s.time_base) for s in container.streams}
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    return frames, seconds


def side_camera(motion, size=(320, 240)):
    """A camera that films the take from its front left, 3 m away, looking at the chest."""
    eye, target = np.array([2.1, 1.3, 2.1]), np.array([0.0, 1.2, 0.0])
    back = (eye - target) / np.linalg.norm(eye - target)  # the camera looks down its -z
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    pose = np.eye(4)
    pose[:3, :3] = np.column_stack([right, np.cross(back, right), back])
    pose[:3, 3] = eye
    return Camera(width=size[0], height=size[1], focal=300.0, world_from_camera=pose,
                  world_from_motion=np.eye(4), fps=motion.fps)


def test_the_skeleton_renderer_is_installed_and_bad_names_are_one_line(tmp_path):
    entries = renderers()
    assert entries["skeleton"].available
    assert load_renderer("").name == "skeleton"  # empty: the default
    with pytest.raises(PluginError, match="unknown renderer 'nope'; available: .*skeleton"):
        load_renderer("nope")
    with pytest.raises(RenderError, match="no such folder"):
        load_renderer(str(tmp_path / "missing"))
    with pytest.raises(RenderError, match="not a trained renderer"):
        load_renderer(str(tmp_path))
    (tmp_path / "talkrig_model.json").write_text("{broken")
    with pytest.raises(RenderError, match="cannot read talkrig_model.json"):
        load_renderer(str(tmp_path))
    (tmp_path / "talkrig_model.json").write_text(json.dumps({"backend": "skeleton"}))
    assert resolve_renderer(str(tmp_path)) == ("skeleton", tmp_path)
    with pytest.raises(TalkrigError, match="needs no model folder"):
        load_renderer(str(tmp_path))
    broken = {"bad": PluginEntry("bad", "x:y", error="ImportError: no module x")}
    with pytest.raises(PluginError, match="renderer 'bad' is unavailable: ImportError"):
        load_renderer("bad", entries=broken)

    class Crashes:
        name, size = "crashes", None

        def __init__(self, model_dir):
            raise RuntimeError("out of memory")

    with pytest.raises(PluginError, match="failed to start: RuntimeError: out of memory"):
        load_renderer("crashes", entries={"crashes": PluginEntry("crashes", "x:y", Crashes)})


def test_talkrig_render_draws_the_joints_where_the_camera_sees_them(take, tmp_path, capsys):
    npz, wav, motion = take
    camera = side_camera(motion)
    camera.save(tmp_path / "side.camera.json")
    out = tmp_path / "side.mp4"
    assert main(["render", str(npz), "--renderer", "skeleton", "--camera",
                 str(tmp_path / "side.camera.json"), "--audio", str(wav), "-o", str(out),
                 "--quiet"]) == 0
    frames, seconds = read_video(out)
    assert frames.shape == (FRAMES, 240, 320, 3)
    speech = sf.info(wav).duration
    assert abs(seconds["video"] - FRAMES / 30) < 0.05
    assert abs(seconds["audio"] - speech) < 0.1  # the whole speech, AAC padding aside
    px, _ = camera.project(neutral_skeleton().joint_positions(motion))
    for t in (0, FRAMES // 2, FRAMES - 1):
        # the upper arm, drawn orange-red (left side: warm colours), lies where it projects
        mid = (px[t, J["left_shoulder"]] + px[t, J["left_elbow"]]) / 2
        r, g, b = frames[t, int(mid[1]), int(mid[0])].astype(int)
        assert r > 180 and b < 90, (t, r, g, b)
        # the face is white; a point far from the body is black
        face = px[t, J["head"]]
        assert frames[t, int(face[1]), int(face[0])].min() > 180
        assert frames[t, 5, 5].max() < 40
    # the same take from the side is another picture than from the front
    front = tmp_path / "front.mp4"
    assert main(["render", str(npz), "--renderer", "skeleton", "--size", "320x240", "-o",
                 str(front), "--quiet"]) == 0
    assert np.abs(read_video(front)[0].astype(int) - frames).mean() > 5


def test_the_default_camera_frames_the_upper_body(take):
    _, _, motion = take
    camera = upper_body_camera(motion, (256, 192))
    px, depth = camera.project(neutral_skeleton().joint_positions(motion))
    upper = px[:, [J["head"], J["left_wrist"], J["right_wrist"], J["spine3"]]]
    assert np.all(depth > 0.5)
    assert np.all((upper > 0) & (upper < [256, 192]))
    height = np.abs(px[:, J["head"], 1] - px[:, J["pelvis"], 1]).mean()
    assert height > 0.35 * 192  # large in the picture, not a speck
    # a camera of another shape is scaled to the frame's height and centred
    assert np.allclose(fit_to_size([[128, 96]], (256, 192), (128, 96)), [[64, 48]])


class Stepper:
    """A renderer that cancels the job after a few frames, or breaks its frames."""

    name, size = "stepper", (64, 48)

    def __init__(self, bad_after=None):
        self.seen = 0
        self.bad_after = bad_after

    def render(self, labels):
        for label in labels:
            self.seen += 1
            yield label[:, :, :2] if self.bad_after and self.seen > self.bad_after else label

    def close(self):
        pass


def test_a_cancelled_or_failed_render_leaves_no_file(take, tmp_path):
    _, wav, motion = take
    out = tmp_path / "out.mp4"
    out.write_bytes(b"an earlier render")
    renderer = Stepper()
    with pytest.raises(JobCancelled):
        render_motion(motion, None, renderer, out, audio=wav, cancelled=lambda: renderer.seen > 5)
    with pytest.raises(RenderError, match="gave frame 3 as uint8 \\(48, 64, 2\\)"):
        render_motion(motion, None, Stepper(bad_after=3), out)
    with pytest.raises(RenderError, match="renders at 64x48 only"):
        render_motion(motion, None, Stepper(), out, size=(128, 96))
    assert out.read_bytes() == b"an earlier render"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


class JointsPainter:
    """A renderer that asks for the joints and paints a white dot on each wrist."""

    name, size, wants_joints = "joints", (64, 48), True

    def __init__(self):
        self.joints = []

    def render(self, labels, joints=None):
        for label, points in zip(labels, joints):
            self.joints.append(points)
            picture = np.zeros_like(label)
            for name in ("left_wrist", "right_wrist"):
                x, y = np.floor(points[J[name]]).astype(int)
                picture[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = 255
            yield picture

    def close(self):
        pass


def test_a_renderer_that_wants_joints_gets_those_its_labels_were_drawn_from(take, tmp_path):
    """The joints come beside the labels; renderers that do not ask (Stepper, the skeleton
    renderer) are called with the labels alone, as before."""
    from talkrig.motion.skeleton_pass import project_take

    _, _, motion = take
    camera = upper_body_camera(motion, (64, 48))
    painter = JointsPainter()
    render_motion(motion, camera, painter, tmp_path / "j.mp4")
    assert np.allclose(np.stack(painter.joints), project_take(motion, camera, (64, 48)),
                       equal_nan=True)
    frames, _ = read_video(tmp_path / "j.mp4")
    wrist = np.floor(painter.joints[10][J["left_wrist"]]).astype(int)
    assert frames[10][wrist[1], wrist[0]].mean() > 200  # painted where the joints say
    plain = Stepper()
    render_motion(motion, camera, plain, tmp_path / "s.mp4")
    assert plain.seen == FRAMES
    skeleton = load_renderer("skeleton")
    render_motion(motion, camera, skeleton, tmp_path / "k.mp4", size=(64, 48))
    skeleton.close()
    frames, _ = read_video(tmp_path / "k.mp4")
    assert frames.shape == (FRAMES, 48, 64, 3) and frames.max() > 100  # the labels


def test_bake_renders_the_take_beside_its_other_outputs(take, tmp_path, capsys):
    npz, wav, motion = take
    out = tmp_path / "baked.mp4"
    assert main(["bake", str(npz), "--audio", str(wav), "-o", str(tmp_path / "copy.npz"),
                 "--render", str(out), "--render-size", "128x96"]) == 0
    assert "baked.mp4" in capsys.readouterr().out
    frames, seconds = read_video(out)
    assert frames.shape == (FRAMES, 96, 128, 3) and "audio" in seconds
    assert main(["bake", str(npz), "--render", str(tmp_path / "x.mp4"), "--renderer",
                 "nope"]) == 2
    assert main(["bake", str(npz), "--render", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert "unknown renderer 'nope'" in err and "the render is an .mp4" in err
    assert not (tmp_path / "x.mp4").exists()
