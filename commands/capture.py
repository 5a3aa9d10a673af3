"""Capture SMPL-X takes from ordinary videos of a speaker: your own gesture library.

Film yourself talking (a phone is enough: the whole body or from the waist up, facing the
camera, hands in view). For each VIDEO, talkrig finds the body, hands and face in every frame
(MediaPipe Holistic, offline on the CPU), fits the SMPL-X skeleton to them and writes, in
TAKES_DIR, NAME.npz (BEAT2 layout: body, head, fingers, jaw, root; 30 fps) with the speech as
NAME.wav (16 kHz mono) and the camera fitted to the shot (NAME.camera.json: where the take's
joints land in the video, for `talkrig render --camera` and `talkrig train-renderer`) beside
it: --lens gives its focal length where you know it (as the phone states it). A video with
camera cuts gives one take per usable shot (NAME_shot03.npz ...); shots without a usable view
of the speaker are skipped with the reason.
NAME.capture.json records what was done: a video captured before is skipped (run the command
again after an interruption to carry on), unless --overwrite.

Train on the takes with `talkrig train --data TAKES_DIR` or use them as a motion-matching
library with `talkrig generate --library TAKES_DIR`.

Examples:
  talkrig capture me_talking.mp4 -o takes/
  talkrig capture lecture.webm -o takes/ --start 60 --end 180
  talkrig capture clips/*.mov -o takes/ --fps 30
  talkrig capture me_zoomed.mov -o takes/ --lens 77     # filmed on the phone's 3x camera
"""

HELP = "capture SMPL-X takes (npz + wav) from videos of a speaker"


def add_arguments(parser):
    parser.add_argument("videos", nargs="+", metavar="VIDEO",
                        help="videos of the speaker (mp4, mov, mkv, webm, avi ...) with sound")
    parser.add_argument("-o", "--output", required=True, metavar="TAKES_DIR",
                        help="folder for the takes (created)")
    parser.add_argument("--fps", type=float, default=30.0,
                        help="frame rate of the takes (default 30)")
    parser.add_argument("--start", type=float, default=0.0, metavar="S",
                        help="capture from S seconds into each video (default 0)")
    parser.add_argument("--end", type=float, default=None, metavar="S",
                        help="capture up to S seconds into each video (default: its end)")
    parser.add_argument("--lens", type=float, default=None, metavar="MM",
                        help="the camera's focal length in mm, 35 mm equivalent, as the phone or "
                             "camera states it (a phone's main camera 24-28, its ultra-wide 13, "
                             "a zoom 48-120); default: read from each shot, loosely, which turns "
                             "the head too far on a long lens or a close crop")
    parser.add_argument("--overwrite", action="store_true",
                        help="capture videos again even when NAME.capture.json says they are done")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run(args):
    from pathlib import Path

    from ..inference.capture.errors import CaptureError
    from ..inference.capture.pipeline import capture_video, default_detector
    from ..inference.capture.span import check_span
    from ..motion.errors import TalkrigError
    from ..motion.files import check_output_folder, not_a_file
    from ..motion.lens import check_lens
    from .progress import StageBar

    check_span(args.fps, args.start, args.end, prefix="--")
    lens = check_lens(args.lens)
    names = [Path(v).stem for v in args.videos]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TalkrigError(f"several videos are named {', '.join(twice)}: their takes would "
                           "overwrite each other; rename them or capture them into other folders")
    for video in args.videos:
        if not_a_file(video):
            raise CaptureError(video, not_a_file(video))
    out = check_output_folder(args.output)
    detector = default_detector()
    failed = 0
    try:
        for video in args.videos:
            try:
                with StageBar(disabled=args.quiet) as bar:
                    result = capture_video(video, out, fps=args.fps, start=args.start,
                                           end=args.end, detector=detector,
                                           progress=bar.update, overwrite=args.overwrite,
                                           lens=lens)
            except CaptureError as exc:
                if len(args.videos) == 1:
                    raise
                failed += 1
                print(f"talkrig capture: error: {exc}")
                continue
            finally:
                detector.reset()
            if not args.quiet:
                _report(result)
    finally:
        detector.close()
    return 1 if failed else 0


def _report(result):
    if result.resumed:
        print(f"{result.video.name}: already captured ({result.summary.name}), skipped")
        return
    for shot in result.shots:
        span = f"{shot.start:6.1f}-{shot.end:6.1f} s"
        framing = ", the camera zooms or pans" if shot.moving else ""
        if shot.take:
            print(f"{result.video.name} shot {shot.number} {span}: {shot.take}.npz + .wav "
                  f"({shot.posture}; hands seen {100 * shot.coverage['left_hand']:.0f}% / "
                  f"{100 * shot.coverage['right_hand']:.0f}%, "
                  f"face {100 * shot.coverage['face']:.0f}%{_lens(shot.camera)}{framing})")
        else:
            print(f"{result.video.name} shot {shot.number} {span}: skipped, {shot.reason}"
                  f"{framing}")
    steady = result.longest_steady
    if len(result.shots) > 1 and steady is not None:
        print(f"{result.video.name}: longest steady shot {steady.number}, {steady.start:.1f}-"
              f"{steady.end:.1f} s (for `talkrig train-renderer`, capture it alone with "
              f"--start {steady.start:.1f} --end {steady.end:.1f})")


def _lens(camera):
    """", lens 31 mm": the shot's focal length as a 35 mm equivalent, to check against --lens."""
    from ..motion.lens import lens_mm

    if camera is None:
        return ""
    return f", lens {lens_mm(camera.focal, (camera.width, camera.height)):.0f} mm"
