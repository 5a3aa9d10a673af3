"""Bake speech onto a rigged avatar, headless: FBX, glTF/GLB, BVH, npz or .blend, plus a preview.

The motion is generated from the recording (or read from a motion file), retargeted onto the
avatar's armature, keyed as a new Action and exported with the settings game engines expect:
FBX without leaf bones and with the animation baked on every frame, glTF with the take as one
named animation, the frame rate carried through. Without --avatar the bundled CC0 avatar is used.

Examples:
  talkrig bake speech.wav -o out/take.glb                      # bundled avatar
  talkrig bake speech.wav --avatar hero.fbx --map mixamo -o out/hero.fbx --fbx-target unity
  talkrig bake speech.wav --transcript speech.txt -o out/t.glb -o out/t.fbx --preview out/t.mp4
  talkrig bake take.npz --avatar hero.blend -o out/hero.blend --audio speech.wav
  talkrig bake speech.wav -o out/take.npz --render out/me.mp4 --renderer renderers/me

An .npz output is the SMPL-X motion itself (BEAT2 layout, with the face curves); BVH is the
avatar's own skeleton; .json/.tsv are the 2D mouth cues (A-H, X) in Rhubarb's layouts.
FBX targets: blender (Blender's defaults), unity ("FBX All" scaling: metres as Unity units),
unreal (deform bones only, face smoothing). --render OUT.mp4 also renders the take as a video
through a renderer (see `talkrig render`; no avatar needed). Outputs are written atomically.
"""

from .generation_args import add_generation_arguments
from .progress import StageBar

HELP = "bake speech onto an avatar: FBX/glTF/BVH/npz/.blend and a preview video, headless"


def add_arguments(parser):
    parser.add_argument("source", metavar="AUDIO|MOTION",
                        help="speech recording (wav, flac, ogg, mp3) or a motion file (.npz, .bvh)")
    parser.add_argument("-o", "--output", action="append", default=[], metavar="OUT",
                        help="file to write: .fbx .glb .gltf .bvh .npz .blend, or the 2D mouth "
                             "cues as .json/.tsv (Rhubarb layouts) (repeatable)")
    parser.add_argument("--avatar", metavar="FILE",
                        help="rigged character: .glb .gltf .vrm .fbx .blend "
                             "(default: the bundled avatar)")
    parser.add_argument("--armature", metavar="NAME",
                        help="armature object to use when the avatar file holds several")
    parser.add_argument("--map", default="auto", metavar="auto|PRESET|FILE.json",
                        help="bone map: automatic (default), a preset (rigify_metarig, "
                             "rigify_generated, mixamo, ue5_mannequin, vrm, smplx) or a JSON file")
    parser.add_argument("--preview", metavar="OUT.mp4",
                        help="also render a Workbench preview video with the speech")
    parser.add_argument("--preview-size", metavar="WxH",
                        help="preview size in pixels, even, 16 to 4096 (default: 480 tall, as "
                             "wide as the body needs)")
    parser.add_argument("--render", metavar="OUT.mp4",
                        help="also render the take as a video through a renderer (see "
                             "`talkrig render`), with the speech")
    parser.add_argument("--renderer", default="skeleton", metavar="DIR|skeleton",
                        help="for --render: a trained renderer's folder, or 'skeleton' (the "
                             "label images; default)")
    parser.add_argument("--render-camera", metavar="CAMERA.json",
                        help="for --render: the camera (default: framing the upper body)")
    parser.add_argument("--render-size", metavar="WxH",
                        help="for --render: frame size for renderers that render at any size "
                             "(default 512x512, or the camera's)")
    parser.add_argument("--audio", metavar="FILE",
                        help="speech for the preview and .blend when baking a motion file")
    parser.add_argument("--name", help="name of the take (default: the first output's name)")
    parser.add_argument("--fbx-target", default="blender", choices=("blender", "unity", "unreal"),
                        help="FBX settings for the application that reads it (default blender)")
    add_rig_arguments(parser)
    parser.add_argument("--map-report", action="store_true",
                        help="print the bone map: per SMPL-X joint the bone, its confidence and "
                             "the twist bones folded into it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_generation_arguments(parser)


def add_rig_arguments(parser):
    """The flags that say how a take goes on the rig (`bake` and `bake-batch` share them); read
    them back with :func:`retarget_settings`."""
    parser.add_argument("--root-target", default="auto", choices=("auto", "pelvis", "root", "object"),
                        help="what carries the body's travel: the pelvis bone or the first bone "
                             "above it that can move (auto), the pelvis, the root bone, or the "
                             "armature object")
    parser.add_argument("--constrained", default="auto", choices=("auto", "deform"),
                        help="rigs whose deform bones follow constraints (generated Rigify): key "
                             "their controls when a preset fits (auto) or the deform bones")
    parser.add_argument("--no-plant-feet", dest="plant_feet", action="store_false",
                        help="copy leg rotations as they are (feet may slide on other proportions)")


def retarget_settings(args):
    """The RetargetSettings the flags of :func:`add_rig_arguments` ask for."""
    from ..motion.retarget.settings import RetargetSettings

    return RetargetSettings(constrained=args.constrained, root_target=args.root_target,
                            plant_feet=args.plant_feet)



def run(args):
    from pathlib import Path

    from ..exporters.bake import MOTION_TYPES, BakeJob, bake
    from ..inference.render import parse_size
    from .generation_args import generation_options
    from .render import render_request

    options = generation_options(args)
    camera, size = render_request(args.render_camera, args.render_size, "--render-size")
    if Path(args.source).suffix.lower() in MOTION_TYPES and args.fps is None:
        options.fps = None  # a motion file keeps its own rate unless --fps says otherwise
    job = BakeJob(source=args.source, outputs=args.output, avatar=args.avatar,
                  bone_map=args.map, preview=args.preview, options=options, audio=args.audio,
                  name=args.name, armature=args.armature, fbx_target=args.fbx_target,
                  preview_size=parse_size(args.preview_size, "--preview-size"),
                  retarget=retarget_settings(args),
                  render=args.render, renderer=args.renderer, render_camera=camera,
                  render_size=size)
    with StageBar(disabled=args.quiet) as bar:
        result = bake(job, progress=bar.update)
    if args.map_report and result.plan is not None:
        print(result.plan.report())
    if not args.quiet:
        print(summary(job, result))
    return 0


def summary(job, result):
    """What was written, where, and how long each stage took."""
    lines = [f"baked {result.n_frames} frames at {result.fps:g} fps ({result.duration:.1f} s)"
             + (f", {result.words} words" if result.words else "")
             + (f", bone map {result.bone_map.source} ({len(result.bone_map)} joints)"
                if result.bone_map is not None else "")]
    lines.extend(f"  {note}" for note in result.notes)
    for path in job.outputs + [p for p in (job.preview, job.render) if p]:
        size = path.stat().st_size if path.exists() else 0
        lines.append(f"  wrote {path.resolve()} ({size / 1024:.0f} KiB)")
    lines.append("  " + ", ".join(f"{stage} {seconds:.1f} s"
                                  for stage, seconds in result.timings.items()))
    return "\n".join(lines)
