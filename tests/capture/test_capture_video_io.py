"""Reading videos for capture: frames at the take's rate from any container and codec, the sound
as 16 kHz mono, camera cuts, and one-line errors for what cannot be captured."""

import numpy as np
import pytest

from support.capture_support import encode_video
from talkrig.cli import main
from talkrig.inference.capture.errors import CaptureError
from talkrig.inference.capture.pipeline import capture_video
from support.shared_data import shared_file
from talkrig.inference.capture import shots as shot_module
from talkrig.inference.capture.shots import colour_histogram, find_cuts, histogram_changes, split_shots
from talkrig.inference.capture.video import iter_frames, probe, read_audio

W, H = 160, 120


def scene_frames(n, colour, offset=0):
    """A coloured room with a square moving across it (motion within a shot)."""
    frames = np.zeros((n, H, W, 3), np.uint8)
    frames[:] = colour
    for t in range(n):
        x = (offset + 3 * t) % (W - 30)
        frames[t, 40:70, x:x + 30] = (240, 240, 240)
    return frames


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory):
    """3 s at 25 fps: 2 s of a blue room, then a cut to a brown one; a stereo 48 kHz tone."""
    path = tmp_path_factory.mktemp("video") / "cut.mp4"
    frames = np.concatenate([scene_frames(50, (30, 60, 160)), scene_frames(25, (150, 110, 60), 7)])
    t = np.arange(3 * 16000) / 16000
    encode_video(path, frames, fps=25, audio=0.3 * np.sin(2 * np.pi * 220 * t))
    return path


def test_frames_come_at_the_takes_rate(cut_video):
    info = probe(cut_video)
    assert (info.width, info.height, info.fps) == (W, H, 25.0) and info.has_audio
    got = list(iter_frames(cut_video, fps=30))
    assert len(got) == 90
    times = np.array([at for _, at, _ in got])
    assert np.allclose(np.diff(times), 1 / 30)
    # the picture on screen at each instant: blue before 2 s, brown after
    blue = [rgb[5, 5, 2] > 120 for _, at, rgb in got]
    assert all(blue[:60]) and not any(blue[61:])


def test_a_window_of_the_video(cut_video):
    got = list(iter_frames(cut_video, fps=30, start=1.5, end=2.5))
    assert len(got) == 30
    assert got[0][1] == pytest.approx(1.5) and got[-1][1] == pytest.approx(2.5 - 1 / 30)
    sound = read_audio(cut_video, 1.5, 2.5)
    assert sound.dtype == np.float32 and len(sound) == 16000


def test_sound_is_16k_mono_for_the_whole_video(cut_video):
    sound = read_audio(cut_video)
    assert abs(len(sound) - 3 * 16000) < 1600
    spectrum = np.abs(np.fft.rfft(sound[4000:20000]))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 220) < 3  # the tone survived


def test_the_cut_is_found_and_motion_within_a_shot_is_not_a_cut(cut_video):
    frames = list(iter_frames(cut_video, fps=30))
    changes = histogram_changes([colour_histogram(rgb) for _, _, rgb in frames])
    cuts = find_cuts(changes, 30)
    assert cuts == [60]
    shots = split_shots(len(frames), cuts)
    assert [(s.number, s.start, s.end) for s in shots] == [(1, 0, 60), (2, 60, 90)]


def test_the_thumbnail_is_the_grey_box_average_of_the_picture():
    """The framing motion's thumbnail: the grey mean of each box of the picture (then blurred),
    whatever order the box sums are taken in."""
    rgb = np.random.default_rng(3).integers(0, 256, (72, 131, 3), dtype=np.uint8)
    step = 131 // shot_module.THUMB_WIDTH  # 2: boxes of 2 x 2, the last column left out
    boxes = rgb[:, :130].astype(np.float64).reshape(36, step, 65, step, 3).mean(axis=(1, 3))
    grey = boxes @ np.array([0.299, 0.587, 0.114])
    padded = np.pad(grey, 1, mode="edge")
    rows = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
    blurred = 0.25 * rows[:, :-2] + 0.5 * rows[:, 1:-1] + 0.25 * rows[:, 2:]
    assert np.allclose(shot_module.thumbnail(rgb), blurred, atol=1e-3)


def reframed(picture, scale, dx=0.0):
    """``picture`` (H, W, 3) seen through a camera zoomed in by ``scale`` and panned right by
    ``dx`` picture widths (bilinear resampling about the centre)."""
    h, w = picture.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    sx = np.clip((x - (w - 1) / 2) / scale + (w - 1) / 2 + dx * w, 0, w - 1.001)
    sy = np.clip((y - (h - 1) / 2) / scale + (h - 1) / 2, 0, h - 1.001)
    x0, y0 = sx.astype(int), sy.astype(int)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    p = picture.astype(np.float32)
    top = p[y0, x0] * (1 - fx) + p[y0, x0 + 1] * fx
    bottom = p[y0 + 1, x0] * (1 - fx) + p[y0 + 1, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).round().astype(np.uint8)


def framing_shots(frames, fps=30):
    """Shots of frames (T, H, W, 3) as the capture finds them; a picture repeated (a video
    slower than the take's rate) measures no motion of its own."""
    motions, fresh, before = [], [], None
    for k, rgb in enumerate(frames):
        repeat = k > 0 and np.array_equal(rgb, frames[k - 1])
        thumb = shot_module.thumbnail(rgb)
        motions.append(shot_module.framing_motion(before, thumb) if before is not None
                       and not repeat else np.zeros(3))
        fresh.append(not repeat)
        before = thumb
    changes = histogram_changes([colour_histogram(rgb) for rgb in frames])
    motions = shot_module.spread_over_repeats(motions, fresh)
    return shot_module.find_shots(changes, motions, fps)


@pytest.fixture(scope="module")
def lecture_frame():
    """A real picture: the lecture video's close-up at 25 s (blackboard, lecturer), at half
    its size (160 x 120)."""
    path = shared_file("video_ccby", "physicsworks.webm")
    return next(iter(iter_frames(path, fps=30, start=25.0, end=25.1)))[2][::2, ::2]


def test_a_zoom_splits_the_shot_and_the_still_part_is_the_longest_steady_shot(lecture_frame):
    """3 s still, then a 2.5 s zoom in (9 % a second), then 2.5 s held: no cut, three
    framings. Filmed at 15 fps: each picture comes twice at the take's 30 fps."""
    scale = np.concatenate([np.ones(90), 1.0 + 0.003 * np.arange(1, 76), np.full(75, 1.225)])
    frames = np.repeat(np.stack([reframed(lecture_frame, s) for s in scale[::2]]), 2, axis=0)
    assert find_cuts(histogram_changes([colour_histogram(f) for f in frames]), 30) == []
    found = framing_shots(frames)
    assert [s.moving for s in found] == [False, True, False]
    assert abs(found[1].start - 90) <= 8 and abs(found[1].end - 165) <= 8
    assert shot_module.longest_steady(found).number == 1


def test_a_pan_splits_the_shot_and_a_moving_speaker_does_not(lecture_frame):
    pan = np.stack([reframed(lecture_frame, 1.2, dx) for dx in
                    np.concatenate([np.zeros(65), 0.0015 * np.arange(1, 66), np.full(65, 0.0975)])])
    assert [s.moving for s in framing_shots(pan)] == [False, True, False]
    # a fixed camera on a busy scene: a bright square sweeping across a plain room
    assert [s.moving for s in framing_shots(scene_frames(90, (30, 60, 160)))] == [False]
    # a short shot is not cut into stretches too short to capture
    assert len(framing_shots(pan[30:130])) == 1


def test_webm_vp9_with_opus_reads_the_same(tmp_path):
    path = tmp_path / "clip.webm"
    t = np.arange(2 * 48000) / 48000
    encode_video(path, scene_frames(30, (30, 60, 160)), fps=15, codec="libvpx-vp9",
                 audio=0.2 * np.sin(2 * np.pi * 440 * t), rate=48000, audio_codec="libopus")
    info = probe(path)
    assert info.video_codec in ("vp9", "libvpx-vp9") and info.audio_codec in ("opus", "libopus")
    assert len(list(iter_frames(path, fps=30))) == 60
    assert abs(len(read_audio(path)) - 2 * 16000) < 1600


def test_a_video_without_sound_is_refused(tmp_path):
    path = tmp_path / "silent.mp4"
    encode_video(path, scene_frames(75, (30, 60, 160)), fps=25)
    with pytest.raises(CaptureError, match="no sound track"):
        capture_video(path, tmp_path / "takes", detector=object())


def test_too_short_and_not_a_video(tmp_path, cut_video, capsys):
    with pytest.raises(CaptureError, match="too short"):
        capture_video(cut_video, tmp_path / "takes", start=1.5, detector=object())
    with pytest.raises(CaptureError, match=r"the start, 60 s, is past the video's end \(\d+\.\d s long\)"):
        capture_video(cut_video, tmp_path / "takes", start=60, detector=object())
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    assert main(["capture", str(text), "-o", str(tmp_path / "takes")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("talkrig capture: error:") and "not a video" in err
    assert len(err.splitlines()) == 1


def test_nobody_in_view_is_one_clear_line(tmp_path, cut_video, capsys):
    assert main(["capture", str(cut_video), "-o", str(tmp_path / "takes"), "--quiet",
                 "--end", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no person found" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "takes" / "cut.npz").exists()


def test_command_line_checks(tmp_path, cut_video, capsys):
    assert main(["capture", str(cut_video), "-o", str(tmp_path), "--end", "0"]) == 2
    assert "--end" in capsys.readouterr().err
    assert main(["capture", str(tmp_path / "missing.mp4"), "-o", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["capture", str(cut_video), "-o", str(tmp_path / "takes"), "--lens", "0.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "lens must be a 35 mm equivalent focal length from 8 to 800 mm" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "takes").exists()


@pytest.mark.parametrize("rotation, mirrored", [(90, False), (-90, False), (180, False),
                                                (0, True), (90, True)])
def test_a_video_stored_on_its_side_reads_upright(tmp_path, rotation, mirrored):
    """A phone filming upright stores its pictures on their side with a display rotation (some
    mirror a front camera's the same way); they are read as a player shows them, and the
    video's size is the size shown."""
    shown = np.full((12, 48, 64, 3), 30, np.uint8)  # 64 wide, 48 high
    shown[:, :8] = (220, 40, 40)  # a red band along the top
    shown[:, :, :8, 1] = 200  # and a green one down the left side
    path = tmp_path / "phone.mp4"
    encode_video(path, shown, fps=30, rotation=rotation, mirrored=mirrored)
    info = probe(path)
    assert (info.width, info.height) == (64, 48)
    frames = [rgb for _, _, rgb in iter_frames(path, fps=30)]
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3)
    picture = frames[5].astype(int)
    assert picture[:6, 20:].mean(axis=(0, 1))[0] > 180 > picture[-6:, 20:].mean(axis=(0, 1))[0] + 100
    assert picture[20:, :6].mean(axis=(0, 1))[1] > 150 > picture[20:, -6:].mean(axis=(0, 1))[1] + 100


def test_frames_decoded_ahead_keep_order_and_errors():
    from talkrig.inference.capture.video import prefetched

    def frames():
        yield from range(20)
        raise CaptureError("clip.mp4", "the video is damaged near 0.7 s")

    got = []
    with pytest.raises(CaptureError, match="damaged"):
        for item in prefetched(frames(), depth=3):
            got.append(item)
    assert got == list(range(20))
    early = prefetched(iter(range(1000)), depth=2)
    assert [next(early) for _ in range(3)] == [0, 1, 2]
    early.close()  # the decoding thread stops when the reader stops early
