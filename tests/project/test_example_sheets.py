"""The contact-sheet scripts in examples/: their captions keep the spaces between words."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sheets():
    """Two sheet scripts as modules (they import their caption helper from examples/)."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        modules = {}
        for name in ("render_follow_sheet", "render_capture_sheet"):
            spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
            modules[name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(modules[name])
        yield modules
    finally:
        sys.path.remove(str(ROOT / "examples"))


def word_gaps(band):
    """Widths in pixels of the empty column runs between the first and last inked column of
    ``band`` (H, W, 3)."""
    inked = (band > 128).any(axis=(0, 2))
    columns = np.flatnonzero(inked)
    inside = inked[columns[0]:columns[-1] + 1]
    edges = np.diff(np.concatenate([[1], inside.astype(int), [1]]))
    return (np.flatnonzero(edges == 1) - np.flatnonzero(edges == -1)).tolist()


@pytest.mark.parametrize("text", ["its warps alone", "take, 3.8 s"])
def test_follow_sheet_captions_keep_their_spaces(sheets, text):
    tile = sheets["render_follow_sheet"].caption(np.zeros((64, 256, 3), np.uint8), text)
    gaps = word_gaps(tile[:16])
    assert sum(g >= 3 for g in gaps) == text.count(" "), gaps  # each space shows, letters touch


def test_capture_sheet_captions_keep_their_spaces(sheets):
    from PIL import Image

    image = Image.new("RGB", (256, 64))
    sheets["render_capture_sheet"].caption(image, "shot 3 its captured take")
    gaps = word_gaps(np.asarray(image)[-22:])
    assert sum(g >= 3 for g in gaps) == 4, gaps


def test_follow_sheet_shows_a_shot_whole_or_cropped_to_the_square(sheets, tmp_path):
    import av

    video = tmp_path / "shot.mp4"
    with av.open(str(video), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 128, 64, "yuv420p"
        for k in range(3):
            frame = np.zeros((64, 128, 3), np.uint8)
            frame[:, :16] = 250  # a bright band at the left edge, outside the centred square
            frame[:, 16:] = 40 * k
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    pick = sheets["render_follow_sheet"].pick_frames
    whole, square = pick(video, [2], (32, 32), whole=True)[0], pick(video, [2], (32, 32))[0]
    assert whole.shape == (32, 64, 3) and square.shape == (32, 32, 3)
    assert whole[:, :4].mean() > 200 and square[:, :4].mean() < 120  # the shot's edge only when whole
    assert abs(float(whole[:, 40:].mean()) - 80) < 12  # frame 2, not another
