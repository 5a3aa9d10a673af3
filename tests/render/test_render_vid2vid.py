"""The vid2vid renderer (warp, then refine): train, resume and export at a tiny size from the
command line; the ONNX renderer paints what torch paints, without torch; a version-1 folder
still renders; bad input is one clear line."""

import json
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points

import numpy as np
import pytest

from support.render_support import front_camera, person_video
from talkrig.cli import main
from talkrig.motion.errors import TalkrigError
from talkrig.motion.skeleton_pass import label_frames

pytestmark = pytest.mark.slow  # trains three tiny renderers (about 30 s in all)

SIZE = 64
TAKE = (300, 40)  # frames of the shared take: arms moving


@pytest.fixture(scope="module")
def take(scott_motion):
    start, n = TAKE
    return scott_motion[start:start + n]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, take):
    """(takes folder, video, renderer folder, the first run's output) after 3 steps."""
    root = tmp_path_factory.mktemp("vid2vid")
    video = person_video(root / "takes", take)
    out = root / "renderer"
    code, text = _train(video, root / "takes", out, steps=3)
    assert code == 0, text
    return root / "takes", video, out, text


def _train(video, takes, out, steps, extra=()):
    import contextlib
    import io

    buffer, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(errors):
        code = main(["train-renderer", "--video", str(video), "--takes", str(takes), "-o",
                     str(out), "--size", str(SIZE), "--steps", str(steps), "--threads", "1",
                     "--set", "val_seconds=0", *extra])
    return code, buffer.getvalue() + errors.getvalue()


def test_training_pairs_the_video_holds_out_its_tail_and_exports_a_renderer(trained, take):
    _, _, out, text = trained
    assert "40 frames at 64x64: 32 for training, 8 held out" in text
    assert "paint where those frames show the wall: " in text  # the quality report ...
    assert "(it renders into the video's 96x64 shot)" in text
    assert "advice: only 1 s of video to learn from" in text  # ... and what would help
    meta = json.loads((out / "talkrig_model.json").read_text())
    assert meta["backend"] == "vid2vid" and meta["version"] == 2 and meta["size"] == [SIZE, SIZE]
    training = meta["training"]
    assert training["steps"] == 3 and training["train_frames"] == 32
    assert training["export_max_abs_diff"] < 1e-3
    assert training["val_psnr"] > 10.0  # a picture of the person, not noise
    assert training["warp_psnr"] > training["reference_psnr"]  # the warps move the person
    bank = training["bank_frames"]  # distinct training frames (the held-out tail never a source)
    assert 1 <= len(bank) == len(set(bank)) <= 32 and max(bank) < 32
    for name in ("refiner.onnx", "plate.npy", "bank.npz", "checkpoint.pt", "camera.json"):
        assert (out / name).is_file(), name


def test_a_second_run_resumes_from_the_checkpoint(trained, tmp_path):
    takes, video, out, _ = trained
    copy = tmp_path / "renderer"
    shutil.copytree(out, copy)
    code, text = _train(video, takes, copy, steps=5)
    assert code == 0 and "resumed from step 3" in text and "trained 5 steps" in text


def test_a_refiner_that_never_improves_the_warps_is_reported_and_keeps_its_last_weights(
        trained, tmp_path, caplog):
    """A refiner that cannot learn (rate 1e-30: a rate of 0 is refused, and a step this small
    changes no float32 output) scores the same at every check: the run keeps the latest
    weights, not the first, and says in plain words it never improved on the warps.
    Without a warm-up the discriminators train from the first step."""
    takes, video, _, _ = trained
    out = tmp_path / "stuck"
    with caplog.at_level("WARNING", logger="talkrig.plugins.renderers.vid2vid.train"):
        code, text = _train(video, takes, out, steps=4,
                            extra=("--set", "lr=1e-30", "--set", "gan_warmup=0"))
    assert code == 0, text
    training = json.loads((out / "talkrig_model.json").read_text())["training"]
    assert training["best_step"] == 4
    assert training["beats_warp"] is False
    import re

    shown = re.search(r"\(the warps alone: ([\d.]+) dB; the still background plate: ([\d.]+) dB\)", text)
    assert shown, text  # the printed figures are the stored ones (those kept to 3 decimals)
    assert abs(float(shown[1]) - training["warp_psnr"]) <= 0.006
    assert abs(float(shown[2]) - training["reference_psnr"]) <= 0.006
    assert "never improved on the warps alone" in caplog.text
    assert training["final_losses"]["d_gan"] > 0 and training["final_losses"]["g_gan"] > 0


def test_takes_whose_camera_zooms_or_pans_are_left_out(trained, tmp_path):
    from talkrig.plugins.renderers.vid2vid.pairs import RendererDataError, find_takes

    takes, video, _, _ = trained
    shots = []
    for k, framing in ((1, "steady"), (2, "moving")):
        for suffix in (".npz", ".camera.json"):
            shutil.copy(takes / f"person{suffix}", tmp_path / f"person_shot{k:02d}{suffix}")
        shots.append({"shot": k, "start": k - 1.0, "end": float(k), "framing": framing,
                      "take": f"person_shot{k:02d}"})
    summary = tmp_path / "person.capture.json"
    summary.write_text(json.dumps({"shots": shots}))
    assert [t.name for t in find_takes(video, tmp_path)] == ["person_shot01"]
    shots[0]["framing"] = "moving"
    summary.write_text(json.dumps({"shots": shots}))
    with pytest.raises(RendererDataError, match="zooms or pans in every take"):
        find_takes(video, tmp_path)


def test_the_gan_terms_wait_for_the_warm_up_then_ramp_in(trained):
    from talkrig.plugins.renderers.vid2vid.train import gan_scale

    assert [gan_scale(s, 200) for s in (0, 199, 200, 300, 400, 900)] == [0, 0, 0, 0.5, 1, 1]
    assert gan_scale(0, 0) == 1.0
    _, _, out, _ = trained  # 3 steps, inside the default warm-up: no adversarial terms yet
    losses = json.loads((out / "talkrig_model.json").read_text())["training"]["final_losses"]
    assert losses["d_gan"] == 0 and losses["g_gan"] == 0 and losses["l1"] > 0


def test_fresh_starts_over_from_step_0_whatever_checkpoint_the_folder_holds(trained, tmp_path):
    import torch

    takes, video, out, _ = trained
    old = torch.load(out / "checkpoint.pt", weights_only=False)
    runs = {}
    for name in ("trained", "damaged"):
        copy = tmp_path / name
        shutil.copytree(out, copy)
        if name == "damaged":
            (copy / "checkpoint.pt").write_bytes(b"PK\x03\x04 cut short")
            code, text = _train(video, takes, copy, steps=2)
            assert code == 2 and "use --fresh" in text, text
        code, text = _train(video, takes, copy, steps=2, extra=["--fresh"])
        assert code == 0, text
        assert "resumed" not in text and "trained 2 steps" in text, text
        ckpt = torch.load(copy / "checkpoint.pt", weights_only=False)
        assert ckpt["step"] == 2 and [h["step"] for h in ckpt["history"]] == [0, 1, 2]
        assert json.loads((copy / "talkrig_model.json").read_text())["training"]["steps"] == 2
        runs[name] = ckpt["refiner"]
    # both start from the same new weights (training is seeded), not from the 3-step ones
    assert all(torch.equal(runs["trained"][k], runs["damaged"][k]) for k in old["refiner"])
    assert not all(torch.equal(runs["trained"][k], old["refiner"][k]) for k in old["refiner"])


@pytest.mark.blender
def test_without_takes_the_video_is_captured_first_with_its_camera(character_video, tmp_path):
    """A real rendered person: captured (landmarks, fit, the shot's camera), then paired."""
    import contextlib
    import io

    video, truth = character_video
    out = tmp_path / "renderer"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = main(["train-renderer", "--video", str(video), "-o", str(out), "--size", "32",
                     "--steps", "1", "--threads", "1"])
    assert code == 0, buffer.getvalue()
    assert f"{truth.n_frames} frames at 32x32" in buffer.getvalue()
    assert (out / "takes" / "performer.camera.json").is_file()
    assert (out / "refiner.onnx").is_file() and (out / "camera.json").is_file()


def test_the_onnx_renderer_paints_what_the_torch_refiner_paints(trained, take):
    import torch

    from talkrig.motion.skeleton_pass import project_take
    from talkrig.plugins.renderers.vid2vid.model import Refiner
    from talkrig.plugins.renderers.vid2vid.renderer import Vid2VidRenderer
    from talkrig.plugins.renderers.vid2vid.train import to_images, to_tensor

    _, _, out, _ = trained
    renderer = Vid2VidRenderer(out)
    camera = front_camera(take, 96, 64)
    assert renderer.camera.to_dict() == camera.to_dict()  # the camera it was trained through
    assert renderer.wants_joints and renderer.version == 2
    joints = project_take(take[30:36], camera, renderer.size)
    labels = list(label_frames(take[30:36], camera, renderer.size))
    renderer.keep_face_detail = False  # the graph alone (the face's detail: the test below)
    pictures = list(renderer.render(labels, joints=joints))
    ckpt = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)
    refiner = Refiner(ckpt["config"]["width"], ckpt["config"]["residual_blocks"]).eval()
    refiner.load_state_dict(ckpt["best"]["refiner"])
    prev = None
    with torch.no_grad():
        for label, (warped, cover), picture in zip(labels, renderer.warps(joints), pictures):
            warped = to_tensor(warped[None])
            prev = refiner(warped, to_tensor(label[None]), torch.from_numpy(cover)[None, None],
                           warped if prev is None else prev)
            assert picture.shape == (SIZE, SIZE, 3) and picture.dtype == np.uint8
            assert np.abs(to_images(prev)[0].astype(int) - picture).max() <= 1
    with pytest.raises(TalkrigError, match="follows the skeleton: give the frames' 2D joints"):
        list(renderer.render(labels))
    renderer.close()


def test_the_rendered_face_carries_the_warps_detail_and_nothing_else_changes(trained, take,
                                                                            monkeypatch):
    """What ``render`` yields is the network's picture with the warp's fine detail on the face
    (``warp.face_detail``) and untouched elsewhere. The network here paints a flat grey (as a
    long-trained one paints a face: no detail), so the head's outline in the warp must show."""
    from talkrig.motion.skeleton_pass import body_scale, project_take
    from talkrig.plugins.renderers.vid2vid import renderer as module
    from talkrig.plugins.renderers.vid2vid.warp import face_detail, face_mask

    monkeypatch.setattr(module, "run_graph",
                        lambda session, feeds, what: [np.zeros_like(feeds["warped"])])
    _, _, out, _ = trained
    renderer = module.Vid2VidRenderer(out)
    camera = front_camera(take, 96, 64)
    joints = project_take(take[30:40], camera, renderer.size)
    labels = list(label_frames(take[30:40], camera, renderer.size))
    with_detail = list(renderer.render(labels, joints=joints))
    renderer.keep_face_detail = False
    plain = list(renderer.render(labels, joints=joints))
    warps = [w for w, _ in renderer.warps(joints)]
    changed = 0
    for points, a, b, warped in zip(joints, with_detail, plain, warps):
        np.testing.assert_array_equal(a, face_detail(b, warped, points))
        _, (x0, y0, x1, y1) = face_mask(points, renderer.size, body_scale(points))
        outside = np.ones(a.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        np.testing.assert_array_equal(a[outside], b[outside])
        changed += int((a != b).any())
    assert changed == len(plain)  # every frame's face got the warp's detail
    renderer.close()


def _version_1_folder(folder):
    """A renderer folder as version 1 wrote it: a generator of (label, prev_label, prev_frame,
    reference) exported to ONNX (here one that paints the label over the reference), the
    reference picture and label, no version in its description."""
    import torch

    from talkrig.plugins.neural.modeldir import write_metadata
    from talkrig.plugins.neural.training.export import export_graph

    class Painter(torch.nn.Module):
        def forward(self, label, prev_label, prev_frame, reference):
            return torch.maximum(label, reference)

    folder.mkdir()
    picture = np.full((SIZE, SIZE, 3), 100, np.uint8)
    np.save(folder / "reference.npy", picture)
    np.save(folder / "reference_label.npy", np.zeros_like(picture))
    example = tuple(torch.zeros(1, 3, SIZE, SIZE) for _ in range(4))
    export_graph(Painter(), example, folder / "generator.onnx",
                 ["label", "prev_label", "prev_frame", "reference"], ["frame"], time_axes={})
    write_metadata(folder, {"backend": "vid2vid", "size": [SIZE, SIZE],
                            "graphs": {"generator": "generator.onnx"},
                            "reference": "reference.npy", "reference_label": "reference_label.npy",
                            "camera": None})
    return folder


def test_a_version_1_folder_still_renders_from_the_labels_and_a_newer_one_is_one_line(
        trained, take, tmp_path, capsys):
    from talkrig.motion import save_motion
    from talkrig.plugins.renderers.vid2vid.renderer import Vid2VidRenderer

    old = _version_1_folder(tmp_path / "old")
    renderer = Vid2VidRenderer(old)
    assert renderer.version == 1 and not renderer.wants_joints
    label = np.zeros((SIZE, SIZE, 3), np.uint8)
    label[10:20, 10:20] = 255
    (picture,) = list(renderer.render([label]))
    assert picture[15, 15].tolist() == [255] * 3 and picture[40, 40].tolist() == [100] * 3
    save_motion(take, tmp_path / "take.npz")
    assert main(["render", str(tmp_path / "take.npz"), "--renderer", str(old), "-o",
                 str(tmp_path / "old.mp4"), "--quiet"]) == 0
    newer = tmp_path / "newer"
    shutil.copytree(trained[2], newer)
    meta = json.loads((newer / "talkrig_model.json").read_text())
    (newer / "talkrig_model.json").write_text(json.dumps(dict(meta, version=3)))
    assert main(["render", str(tmp_path / "take.npz"), "--renderer", str(newer), "-o",
                 str(tmp_path / "new.mp4")]) == 2
    err = capsys.readouterr().err.strip()
    assert "a vid2vid renderer of version 3; this talkrig renders versions 1 and 2" in err
    assert len(err.splitlines()) == 1


def test_rendering_never_imports_torch_and_the_plugin_is_registered(trained, take):
    _, _, out, _ = trained
    (plugin,) = [ep for ep in entry_points(group="talkrig.renderers") if ep.name == "vid2vid"]
    assert plugin.value == "talkrig.plugins.renderers.vid2vid:Vid2VidRenderer"
    script = textwrap.dedent("""
        import json, sys
        from importlib.metadata import entry_points
        import numpy as np
        (ep,) = [e for e in entry_points(group="talkrig.renderers") if e.name == "vid2vid"]
        renderer = ep.load()(__import__("pathlib").Path(sys.argv[1]))
        labels = [np.zeros((renderer.size[1], renderer.size[0], 3), np.uint8)] * 3
        pictures = list(renderer.render(labels, joints=renderer.bank.joints[[0, 0, 0]]))
        renderer.close()
        print(json.dumps({"name": renderer.name, "size": renderer.size, "n": len(pictures),
                          "torch": "torch" in sys.modules}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary == {"name": "vid2vid", "size": [SIZE, SIZE], "n": 3, "torch": False}


def test_talkrig_render_and_bake_paint_a_take_with_the_trained_renderer(trained, take, scott_wav,
                                                                          tmp_path, capsys):
    """The delivery path: its training shot (--crop: its own size) and training camera, the
    speech muxed in."""
    import av
    import soundfile as sf

    from talkrig.motion import save_motion

    _, _, out, _ = trained
    save_motion(take, tmp_path / "take.npz")
    samples, rate = sf.read(scott_wav, dtype="float32")
    sf.write(tmp_path / "take.wav", samples[10 * rate:int(10 * rate + take.n_frames / 30 * rate)],
             rate)
    npz, wav = str(tmp_path / "take.npz"), str(tmp_path / "take.wav")

    def video(path):
        with av.open(str(path)) as container:
            kinds = sorted(s.type for s in container.streams)
            return np.stack([f.to_ndarray(format="rgb24")
                             for f in container.decode(video=0)]), kinds

    assert main(["render", npz, "--renderer", str(out), "-o", str(tmp_path / "a.mp4"),
                 "--audio", wav]) == 0
    assert "through vid2vid" in capsys.readouterr().out
    frames, kinds = video(tmp_path / "a.mp4")
    assert frames.shape == (take.n_frames, 64, 96, 3) and kinds == ["audio", "video"]  # the 96x64 shot
    assert main(["render", npz, "--renderer", str(out), "-o", str(tmp_path / "crop.mp4"), "--crop",
                 "--quiet"]) == 0
    assert video(tmp_path / "crop.mp4")[0].shape == (take.n_frames, SIZE, SIZE, 3)
    camera = json.loads((out / "talkrig_model.json").read_text())["camera"]
    assert main(["render", npz, "--renderer", str(out), "-o", str(tmp_path / "b.mp4"),
                 "--camera", str(out / camera), "--quiet"]) == 0
    assert np.abs(video(tmp_path / "b.mp4")[0].astype(int) - frames).mean() < 2  # its camera
    assert main(["render", npz, "--renderer", str(out), "-o", str(tmp_path / "c.mp4"),
                 "--size", "32x32"]) == 2
    assert "renders at 64x64 only" in capsys.readouterr().err
    assert main(["bake", npz, "--audio", wav, "-o", str(tmp_path / "t.npz"), "--render",
                 str(tmp_path / "d.mp4"), "--renderer", str(out), "--quiet"]) == 0
    assert video(tmp_path / "d.mp4")[0].shape == (take.n_frames, 64, 96, 3)


def test_the_renderer_paints_into_its_training_shot_over_the_shots_own_wall(trained, take):
    """The 96x64 training video is the shot: the person comes from the renderer's picture, the
    wall (and the sides the renderer never saw) from the shot's plate, which is the renderer's
    wall at the video's size."""
    from talkrig.inference.render import load_renderer
    from talkrig.motion.skeleton_pass import fit_frame, project_take
    from talkrig.plugins.renderers.vid2vid.shot import person_mask

    _, video, out, _ = trained
    meta = json.loads((out / "talkrig_model.json").read_text())
    assert meta["shot"] == {"size": [96, 64], "plate": "shot_plate.npy"}
    renderer = load_renderer(str(out))
    assert renderer.shot_size == (96, 64)
    wall = np.load(out / "shot_plate.npy")
    assert wall.shape == (64, 96, 3)
    assert np.abs(fit_frame(wall, renderer.size).astype(int) - renderer.plate).mean() < 3  # one wall
    joints = project_take(take[:6], renderer.camera, renderer.size)
    pictures = list(renderer.render(label_frames(take[:6], renderer.camera, renderer.size), joints=joints))
    first, stop = renderer.framing.columns
    assert (first, stop) == (16, 80)
    for picture in pictures:
        shot = renderer.to_shot(picture)
        assert shot.shape == (64, 96, 3) and shot.dtype == np.uint8
        assert np.array_equal(shot[:, :first], wall[:, :first]) and np.array_equal(shot[:, stop:], wall[:, stop:])
        alpha = person_mask(picture, renderer.plate)
        inside = shot[:, first:stop]  # at this scale a render pixel is a shot pixel
        assert (alpha == 1).sum() > 50 and (alpha == 0).sum() > 500  # a person on a wall
        assert np.array_equal(inside[alpha == 1], picture[alpha == 1])
        assert np.array_equal(inside[alpha == 0], wall[:, first:stop][alpha == 0])
    renderer.close()


def test_the_video_is_read_a_frame_at_a_time_and_a_take_longer_than_it_is_cut(trained, monkeypatch, caplog):
    """Two minutes of 1080p held whole would be 22 GB: only the frames kept for the shot's wall
    stay at the video's size; a take running past the video's end keeps what the video has."""
    import dataclasses
    import logging
    import weakref

    import talkrig.inference.capture.video as reader
    from talkrig.plugins.renderers.vid2vid import pairs as P

    takes, video, _, _ = trained
    refs, most = [], [0]
    read = reader.iter_frames

    def counted(*args, **kwargs):
        for item in read(*args, **kwargs):
            refs.append(weakref.ref(item[2]))
            most[0] = max(most[0], sum(r() is not None for r in refs))
            yield item

    monkeypatch.setattr(reader, "iter_frames", counted)
    monkeypatch.setattr(P, "SHOT_FRAMES", 4)
    take = P.find_takes(video, takes)[0]
    longer = dataclasses.replace(take, motion=take.motion.copy())
    longer.motion.poses = np.concatenate([take.motion.poses] * 2)
    longer.motion.trans = np.concatenate([take.motion.trans] * 2)
    seen = []
    with caplog.at_level(logging.WARNING):
        pairs = P.load_pairs(video, [longer], (SIZE, SIZE), progress=seen.append)
    assert seen == sorted(seen) and 0 < seen[0] < 1 and seen[-1] == 1.0  # as the frames are read
    assert len(pairs.frames) == len(pairs.joints) == len(pairs.segment) == take.motion.n_frames == 40
    assert "the video ends 40 frames before the take" in caplog.text
    assert pairs.shot_plate.shape == (64, 96, 3) and most[0] <= 2 + 2  # kept: one in 20 of the 80 frames asked for


def test_a_missing_or_broken_renderer_folder_is_one_clear_error(trained, tmp_path):
    from talkrig.plugins.renderers.vid2vid.renderer import Vid2VidRenderer

    with pytest.raises(TalkrigError, match="no trained vid2vid model"):
        Vid2VidRenderer(tmp_path / "nowhere")
    with pytest.raises(TalkrigError, match="needs a trained model folder"):
        Vid2VidRenderer(None)
    _, _, out, _ = trained
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "plate.npy").unlink()
    with pytest.raises(TalkrigError, match="plate.npy is missing"):
        Vid2VidRenderer(broken)
    np.save(broken / "plate.npy", np.zeros((SIZE, SIZE, 3), np.uint8))
    np.savez(broken / "bank.npz", frames=np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(TalkrigError, match="bank.npz: not a readable source bank"):
        Vid2VidRenderer(broken)
    shutil.copy(out / "bank.npz", broken / "bank.npz")
    meta = json.loads((out / "talkrig_model.json").read_text())
    for shot, message in (({"size": [96, 64], "plate": "nothing.npy"}, "nothing.npy is missing"),
                          ({"size": [99999, 64], "plate": "shot_plate.npy"}, "its shot is incomplete"),
                          ({"size": [128, 64], "plate": "shot_plate.npy"}, r"a \(64, 96, 3\) uint8 array")):
        (broken / "talkrig_model.json").write_text(json.dumps({**meta, "shot": shot}))
        with pytest.raises(TalkrigError, match=message):
            Vid2VidRenderer(broken)
    shutil.copy(out / "talkrig_model.json", broken / "talkrig_model.json")
    (broken / "refiner.onnx").write_bytes(b"not onnx")
    with pytest.raises(TalkrigError, match="onnxruntime cannot load it"):
        Vid2VidRenderer(broken)
    renderer = Vid2VidRenderer(out)
    with pytest.raises(TalkrigError, match=r"label 0 is a \(32, 32, 3\)"):
        list(renderer.render([np.zeros((32, 32, 3), np.uint8)], joints=[np.zeros((55, 2))]))


def test_bad_command_lines_are_one_line_and_exit_2(trained, tmp_path, capsys):
    takes, video, out, _ = trained
    cases = [
        (["--video", str(video), "--takes", str(takes), "-o", str(out), "--size", "40"],
         "was trained at 64x64, not 40x40; use the same --size or --fresh"),
        (["--video", str(tmp_path / "none.mp4"), "-o", str(tmp_path / "o")], "no such file"),
        (["--video", str(video), "--takes", str(takes), "-o", str(tmp_path / "o"), "--size",
          "30"], "multiple of 8"),
        (["--video", str(video), "--takes", str(tmp_path), "-o", str(tmp_path / "o")],
         "holds no takes of person.mp4"),
        (["--video", str(video), "--takes", str(takes), "-o", str(tmp_path / "o"), "--set",
          "widht=4"], "unknown vid2vid setting 'widht'"),
    ]
    (takes.parent / "nocam").mkdir()
    for suffix in (".mp4", ".npz"):
        shutil.copy(takes / f"person{suffix}", takes.parent / "nocam" / f"person{suffix}")
    cases.append((["--video", str(video), "--takes", str(takes.parent / "nocam"), "-o",
                   str(tmp_path / "o")], "no camera for the take person"))
    for argv, message in cases:
        assert main(["train-renderer", *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


def test_the_reference_picture_is_the_still_wall_without_the_moving_person():
    from talkrig.plugins.renderers.vid2vid.warp import background_plate

    wall = np.broadcast_to(np.linspace(60, 200, 40, dtype=np.uint8)[None, :, None], (24, 40, 3))
    frames = np.repeat(wall[None], 30, axis=0).copy()
    for t in range(30):  # a dark figure walking across the wall, never on a pixel for long
        frames[t, 6:18, t:t + 8] = (20, 40, 90)
    plate = background_plate(frames, max_frames=16, rows=5)
    assert plate.shape == wall.shape and plate.dtype == np.uint8
    np.testing.assert_array_equal(plate, wall)


@pytest.mark.parametrize("setting, message", [
    ("batch=0", "vid2vid setting 'batch' must be >= 1, got 0"),
    ("d_lr=0", "vid2vid setting 'd_lr' must be > 0, got 0.0"),
    ("bank=0", "vid2vid setting 'bank' must be in [1, 256], got 0"),
    ("bank=257", "vid2vid setting 'bank' must be in [1, 256], got 257"),  # renders refuse it
    ("exclude_seconds=-1", "vid2vid setting 'exclude_seconds' must be >= 0, got -1.0"),
    ("gan_warmup=-1", "vid2vid setting 'gan_warmup' must be >= 0, got -1"),
    ("l1=-10", "vid2vid setting 'l1' must be >= 0, got -10.0"),
    ("seed=-1", "vid2vid setting 'seed' must be a whole number"),
])
def test_a_renderer_setting_out_of_range_is_one_line_before_the_video_is_read(
        tmp_path, capsys, setting, message):
    video = tmp_path / "me.mp4"
    video.write_bytes(b"not read")  # neither read nor captured: the setting is refused first
    code = main(["train-renderer", "--video", str(video), "-o", str(tmp_path / "out"),
                 "--set", setting])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "capturing" not in captured.out and not (tmp_path / "out").exists()


def test_renderer_settings_at_the_ends_of_their_ranges_are_taken(tmp_path, capsys):
    video = tmp_path / "me.mp4"
    video.write_bytes(b"not read")
    sets = ["gan_warmup=0", "exclude_seconds=0", "bank=1", "gan=0", "val_seconds=0", "batch=1"]
    code = main(["train-renderer", "--video", str(video), "--takes", str(tmp_path / "none"),
                 "-o", str(tmp_path / "out"), *[a for s in sets for a in ("--set", s)]])
    assert code == 2  # only for want of takes: the settings were taken
    assert "no such folder of takes" in capsys.readouterr().err
    from talkrig.plugins.renderers.vid2vid.train import make_config

    assert make_config({"bank": 256})["bank"] == 256  # the most a renderer loads


def test_a_version_1_checkpoint_is_not_resumed(trained, tmp_path, capsys):
    import torch

    takes, video, out, _ = trained
    copy = tmp_path / "renderer"
    shutil.copytree(out, copy)
    ckpt = torch.load(copy / "checkpoint.pt", weights_only=False)
    del ckpt["version"]
    torch.save(ckpt, copy / "checkpoint.pt")
    code, text = _train(video, takes, copy, steps=4)
    assert code == 2
    assert "is from an older vid2vid renderer (version 1, which painted the labels from " \
           "scratch); use --fresh or another folder" in text


def test_the_starting_weights_are_checked_and_the_best_check_is_kept(trained, tmp_path):
    """The starting refiner renders the warps unchanged and is checked before the first
    step, so a run that only worsens it keeps it; the kept weights are the best check's (on a
    tie the later one), whatever the rate does to the others."""
    import torch

    takes, video, _, _ = trained
    out = tmp_path / "fast"
    code, text = _train(video, takes, out, steps=3, extra=("--set", "lr=5"))
    assert code == 0, text
    training = json.loads((out / "talkrig_model.json").read_text())["training"]
    history = torch.load(out / "checkpoint.pt", weights_only=False)["history"]
    assert [h["step"] for h in history] == [0, 1, 2, 3]
    best = max(h["val_psnr"] for h in history)
    assert training["best_step"] == max(h["step"] for h in history if h["val_psnr"] == best)
    assert training["val_psnr"] == pytest.approx(best, abs=1e-3)
    assert history[0]["val_psnr"] == pytest.approx(training["warp_psnr"], abs=0.05)  # the warps


def test_a_refiner_leaning_wholly_on_its_previous_picture_still_follows_the_warps():
    """A refiner trained to keep its previous picture froze long renders on one picture; its
    blend is capped, so each frame moves at least half way to the new composite and a still
    picture fades out of a rollout."""
    import torch

    from talkrig.plugins.renderers.vid2vid.model import Refiner

    refiner = Refiner(width=4, residual_blocks=1).eval()
    with torch.no_grad():
        refiner.head.bias[3:] = torch.tensor([50.0, -50.0])  # every pixel asks for the previous
    shape = (1, 3, 16, 16)
    label, cover = torch.zeros(shape), torch.ones(1, 1, 16, 16)
    prev = torch.full(shape, -1.0)
    with torch.no_grad():
        for _ in range(8):
            prev = refiner(torch.ones(shape), label, cover, prev)  # the new pose is all white
    assert float(prev.min()) > 0.98  # 8 frames on, the old picture is gone (uncapped: -1)


def test_a_blow_up_goes_back_to_the_last_snapshot_at_half_the_rate(trained):
    """A refiner that tipped over between two ordinary steps (L1 0.025 -> 0.57 on a 60 s
    video, then stuck on clamped pictures) is put back where it was and slowed down, instead
    of training on from the wreck."""
    import torch

    from talkrig.plugins.renderers.vid2vid.pairs import find_takes, load_pairs
    from talkrig.plugins.renderers.vid2vid.train import (
        SNAPSHOT_STEPS, RendererTrainer, make_config, reference_index,
    )

    takes, video, _, _ = trained
    pairs = load_pairs(video, find_takes(video, takes), (SIZE, SIZE))
    trainer = RendererTrainer(pairs, make_config({"bank": 8}), reference_index(pairs), "cpu")
    rate = trainer.opt_g.param_groups[0]["lr"]
    for k in range(SNAPSHOT_STEPS + 5):  # ordinary steps: the snapshot is the 51st's weights
        assert not trainer.blew_up(0.03 + 0.001 * (k % 3))
        if k == SNAPSHOT_STEPS:
            kept = {n: p.detach().clone() for n, p in trainer.refiner.named_parameters()}
        with torch.no_grad():
            for p in trainer.refiner.parameters():
                p.add_(0.01)
    assert not trainer.blew_up(0.09)  # three times the usual: a hard batch, not a blow-up
    with torch.no_grad():
        for p in trainer.refiner.parameters():
            p.mul_(100.0)  # the wreck
    assert trainer.blew_up(0.57)
    for name, p in trainer.refiner.named_parameters():
        assert torch.equal(p, kept[name]), name
    assert trainer.opt_g.param_groups[0]["lr"] == rate / 2
    assert trainer.opt_d.param_groups[0]["lr"] == trainer.config["d_lr"] / 2
    assert trainer.blew_up(0.6) and trainer.opt_g.param_groups[0]["lr"] == rate / 4


def test_a_step_undone_as_a_blow_up_counts_but_is_not_averaged(trained, tmp_path, monkeypatch):
    """A run whose every other step is undone still ends, exports and reports the losses of
    the steps that trained (an undone step has none)."""
    from talkrig.plugins.renderers.vid2vid.train import RendererTrainer

    takes, video, _, _ = trained
    step, calls = RendererTrainer.step, []

    def every_other_undone(self, rng, gan_scale=1.0):
        calls.append(1)
        return None if len(calls) % 2 == 0 else step(self, rng, gan_scale)

    monkeypatch.setattr(RendererTrainer, "step", every_other_undone)
    out = tmp_path / "undone"
    code, text = _train(video, takes, out, steps=4, extra=("--fresh",))
    assert code == 0, text
    training = json.loads((out / "talkrig_model.json").read_text())["training"]
    assert training["steps"] == 4 and len(calls) == 4
    assert 0.0 < training["final_losses"]["l1"] < 1.0


def test_the_advice_names_what_would_make_the_renderer_better():
    from talkrig.plugins.renderers.vid2vid.train import TrainResult, advice

    def result(psnr=26.0, warps=25.0, stray=0.01, seconds=90.0):
        return TrainResult(folder=None, steps=1, seconds=1.0, losses={}, val_psnr=psnr, export_diff=0.0,
                           warp_psnr=warps, stray=stray, video_seconds=seconds)

    assert advice(result()) == []
    assert advice(result(psnr=20.5, warps=19.0)) == ["held-out frames under 22 dB: train longer (--minutes 20 or more; "
                                         "the same command again resumes)"]
    assert advice(result(stray=0.05))[0].startswith("it paints 5 % of the person again")
    assert "train longer" in advice(result(psnr=24.0, warps=24.5))[0]  # never beat the warps
    assert advice(result(seconds=20.0))[0].startswith("only 20 s of video")
