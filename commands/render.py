"""Render a take as a video: its skeleton pass through a camera, turned into frames by a
renderer, written as an MP4 (H.264) with the speech (AAC).

--renderer is a trained renderer's folder (`talkrig train-renderer -o DIR`) or `skeleton` (the
default), the built-in renderer that shows the label images themselves (what a trained renderer is given:
coloured limbs, a white face, a disc on each hand) and needs no model. Without --camera a
trained renderer films the take through the camera of its training video, and `skeleton`
through a camera in front that frames the upper body over the whole take;
--camera takes a camera description (the CAMERA.json that `talkrig capture` writes beside
each take, or one exported from a 3D scene). A trained renderer paints into the shot of its
training video, at that video's size (the person scaled up from the renderer's own picture
over the shot's wall); --crop keeps the renderer's own picture instead.

Examples:
  talkrig render take.npz --renderer skeleton -o take.mp4 --audio speech.wav
  talkrig render take.npz --renderer models/me -o me.mp4 --audio speech.wav
  talkrig render takes/me.npz --renderer skeleton --camera takes/me.camera.json -o check.mp4
"""

HELP = "render a take as a video (a trained renderer, or the skeleton pass) with its speech"


def add_arguments(parser):
    parser.add_argument("motion", metavar="MOTION", help="the take: .npz (BEAT2/AMASS) or .bvh")
    parser.add_argument("--renderer", default="skeleton", metavar="DIR|skeleton",
                        help="a trained renderer's folder, or a renderer name: 'skeleton' (the "
                             "default, as for `bake --render`) shows the label images the renderer is given")
    parser.add_argument("--camera", metavar="CAMERA.json",
                        help="camera to film the take through (default: the trained renderer's "
                             "own, or one framing the upper body from the front)")
    parser.add_argument("--size", metavar="WxH",
                        help="frame size for renderers that render at any size (default: the "
                             "camera's, or 512x512)")
    parser.add_argument("--crop", action="store_true",
                        help="a trained renderer's own square picture, not its training video's shot")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.mp4",
                        help="the video to write (written atomically)")
    parser.add_argument("--audio", metavar="SPEECH", help="speech to mux in (wav, flac, ogg, mp3)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def render_request(camera_file, size_text, size_option="--size"):
    """(Camera or None, (width, height) or None) from the command line, checked."""
    from pathlib import Path

    from ..inference.render import RenderError, parse_size
    from ..motion.camera import Camera

    camera = None
    if camera_file:
        if not Path(camera_file).exists():
            raise RenderError(f"{camera_file}: no such camera file")
        camera = Camera.load(camera_file)
    return camera, parse_size(size_text, size_option)


def run(args):
    from contextlib import closing
    from pathlib import Path

    from ..inference.render import load_renderer, render_motion
    from ..motion import load_motion
    from ..motion.errors import TalkrigError
    from ..motion.files import check_output
    from .progress import StageBar

    check_output(args.output)
    if not Path(args.motion).is_file():
        raise TalkrigError(f"{args.motion}: no such motion file")
    if args.audio and not Path(args.audio).is_file():
        raise TalkrigError(f"{args.audio}: no such audio file")
    camera, size = render_request(args.camera, args.size)
    motion = load_motion(args.motion)
    with closing(load_renderer(args.renderer)) as renderer, StageBar(disabled=args.quiet) as bar:
        out = render_motion(motion, camera, renderer, args.output, audio=args.audio,
                            progress=bar.update, size=size, shot=not args.crop)
    if not args.quiet:
        print(f"rendered {motion.n_frames} frames ({motion.n_frames / motion.fps:.1f} s) through "
              f"{renderer.name} to {out.resolve()} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0
