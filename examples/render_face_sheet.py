"""The talkrig test head speaking, as a contact sheet: the bundled speech sample's face take
(its plain-text script aligned by the pipeline), rendered with Workbench at the frames where the
reference alignment says an "m", a "b", an "f", an "a", an "oo" and an "ee" sound, plus a rest
and a blink (the README's picture).

    .venv/bin/python examples/render_face_sheet.py [--audio WAV] [--transcript TXT]
        [--reference TEXTGRID] [--output docs/images/face_sheet.png]

The frames are chosen from the reference TextGrid (Montreal Forced Aligner's, from the shared
data), never from the take itself, so the picture checks the take against an independent timing.
Needs the bpy module (`pip install 'talkrig[blender]'`).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "exporters" / "assets"
REFERENCE = ROOT.parent / "shared" / "data" / "speech_mfa" / "acoustic_corpus.TextGrid"
TILE = (220, 242)  # width, height of one picture
# (phone, caption) in the order shown: each the first long enough instance in the reference
WANTED = (("M", "m"), ("B", "b"), ("F", "f"), ("AA", "a"), ("UW", "oo"), ("IY", "ee"))


def pick_frames(reference, fps, take_frames):
    """[(frame, caption)]: a frame in the middle of the first instance of each WANTED phone that
    lasts 50 ms or more, a frame in the longest pause between words."""
    from talkrig.inference.speech.transcripts.formats import read_words

    words = read_words(Path(reference).read_text(), Path(reference).name)
    picks = []
    for phone, caption in WANTED:
        for word in words:
            hit = next((p for p in word.phones if p.phone == phone and p.end - p.start >= 0.05), None)
            if hit is not None:
                picks.append((int(round(0.5 * (hit.start + hit.end) * fps)), f'"{caption}" in {word.word}'))
                break
    gaps = [(b.start - a.end, a.end, b.start) for a, b in zip(words, words[1:])]
    _, start, end = max(gaps)
    picks.insert(0, (int(round(0.5 * (start + end) * fps)), "pause"))
    return [(min(f, take_frames - 1), c) for f, c in picks]


def render_tile(bpy, path):
    scene = bpy.context.scene
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(str(path))
    pixels = np.array(image.pixels[:], np.float32).reshape(image.size[1], image.size[0], 4)
    bpy.data.images.remove(image)
    return pixels


def setup_scene(bpy, head):
    from mathutils import Euler

    scene = bpy.context.scene
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    camera.data.type = "ORTHO"
    camera.data.ortho_scale = 0.25
    camera.location = (0.0, -0.6, -0.01)
    camera.rotation_euler = Euler((np.pi / 2, 0.0, 0.0))
    scene.camera = camera
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.display.shading.show_cavity = True
    scene.world = scene.world or bpy.data.worlds.new("world")
    scene.world.color = (0.93, 0.93, 0.93)
    scene.render.resolution_x, scene.render.resolution_y = TILE
    scene.render.image_settings.file_format = "PNG"
    caption = bpy.data.objects.new("caption", bpy.data.curves.new("caption", "FONT"))
    scene.collection.objects.link(caption)
    caption.data.align_x = "CENTER"
    caption.data.size = 0.018
    caption.location = (0.0, -0.2, -0.128)
    caption.rotation_euler = Euler((np.pi / 2, 0.0, 0.0))
    material = bpy.data.materials.new("caption")
    material.diffuse_color = (0.05, 0.05, 0.05, 1.0)
    caption.data.materials.append(material)
    return caption


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", default=str(ASSETS / "acoustic_corpus.wav"))
    parser.add_argument("--transcript", default=str(ASSETS / "acoustic_corpus.lab"))
    parser.add_argument("--reference", default=str(REFERENCE))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default=str(ROOT / "docs" / "images" / "face_sheet.png"))
    args = parser.parse_args(argv)

    import bpy

    from talkrig.blender.shapekeys import bake_mesh_face
    from talkrig.scenes.facehead import build_face_head
    from talkrig.inference.generation.pipeline import GenerateOptions, generate

    take = generate(args.audio, GenerateOptions(seed=args.seed, transcript=Path(args.transcript).read_text(),
                                                speech="pocketsphinx")).motion
    phones = sum(len(w.phones) for w in take_words(args.audio, args.transcript))
    print(f"take: {take.n_frames} frames at {take.fps:g} fps, {phones} phones from the aligner")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    head = build_face_head()
    caption = setup_scene(bpy, head)
    scene = bpy.context.scene
    scene.render.fps = int(take.fps)
    bake_mesh_face(head, take, "take", 1, "assign")
    picks = pick_frames(args.reference, take.fps, take.n_frames)
    blink = int(np.argmax(take.face_curve("eyeBlink_L")))
    picks.append((blink, "blink"))
    tiles = []
    out = Path(args.output).resolve()
    for frame, text in picks:
        scene.frame_set(frame + 1)  # the take starts at scene frame 1
        caption.data.body = f"{text}  ({frame / take.fps:.2f} s)"
        tiles.append(render_tile(bpy, out.with_name(f".tile{len(tiles)}.png")))
        out.with_name(f".tile{len(tiles) - 1}.png").unlink()
    columns = 4
    rows = [np.concatenate(tiles[i:i + columns], axis=1) for i in range(0, len(tiles), columns)]
    sheet = np.concatenate(rows[::-1], axis=0)  # Blender images are stored bottom row first
    image = bpy.data.images.new("sheet", sheet.shape[1], sheet.shape[0], alpha=True)
    image.pixels = sheet.ravel()
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = scene.render.image_settings
    settings.color_mode, settings.compression = "RGB", 100  # a small file for the README
    image.save_render(str(out), scene=scene)
    print(f"{len(tiles)} frames -> {out}")
    return 0


def take_words(audio, transcript):
    """The aligner's words (for the report of how many phones it gave)."""
    from talkrig.inference.speech.timing import find_words

    return find_words(audio, "pocketsphinx", Path(transcript).read_text())


if __name__ == "__main__":
    sys.exit(main())
