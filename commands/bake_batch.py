"""Bake many clips from a manifest in parallel worker processes; run it again to resume.

The manifest is a CSV file with a header, or JSON Lines (one object per line), with these
columns (only audio is required; relative paths are relative to the manifest):

  audio,transcript,avatar,seed,backend,output,map
  speech/intro.wav,speech/intro.txt,,0,,intro.fbx
  speech/outro.wav,,avatars/hero.glb,3,matching,outro

Each clip is written to --out as its `output` name (default: the audio's name plus --format),
with NAME.mp4 beside it when --preview is given. Clips whose output already exists are skipped,
so an interrupted run continues where it stopped (files are written atomically: a file under
its final name is always complete). A clip that fails is reported and the others go on; the
summary JSON (default OUT/summary.json) lists every clip's status, time and error. The exit
code is 1 when any clip failed.

Every clip goes on its rig as `talkrig bake` puts a take there, with the same rig flags
(--root-target, --constrained, --no-plant-feet).

Manifests stream: a manifest of 100 000 clips is never held in memory. --shard K/N bakes one
of N parts of the manifest, so N runs (on N machines) split it between them.

Engines: the default runs --workers local processes. --engine ray runs each clip as a Ray task
on every node of a cluster (--address; without it a local Ray instance starts and stops with
the run), each asking for --cpus-per-clip CPUs; a clip whose worker or node dies is retried
twice. Outputs go to --out, which every node must see (a shared folder), or with --collect each
node sends its files back and this machine writes them. Ray is the talkrig[cluster] extra.

Examples:
  talkrig bake-batch clips.csv --out baked/ --workers 2
  talkrig bake-batch clips.jsonl --out baked/ --format fbx --fbx-target unreal --preview
  talkrig bake-batch clips.csv --out /shared/baked --engine ray --address auto
  talkrig bake-batch clips.csv --out baked/ --engine ray --address ray://head:10001 --collect
  talkrig bake-batch clips.csv --out /shared/baked --shard 2/4
"""

from .bake import add_rig_arguments
from .generation_args import add_generation_arguments
from .progress import ClipBar

HELP = "bake many clips from a CSV/XLSX/ODS/JSONL manifest, in parallel and resumable"


def add_arguments(parser):
    parser.add_argument("manifest", metavar="MANIFEST", help="clips to bake: .csv, .xlsx or .ods (the first sheet) or .jsonl")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes, each with its own Blender (default: CPU cores "
                             "minus one, at least 1, at most 4); with --engine ray and no "
                             "--address, the local instance's CPUs are N x --cpus-per-clip")
    parser.add_argument("--engine", choices=("process", "ray"), default="process",
                        help="what runs the bakes: local worker processes (default) or a Ray "
                             "cluster (needs talkrig[cluster])")
    parser.add_argument("--address", metavar="auto|HOST:PORT|ray://HOST:PORT",
                        help="Ray cluster to run on (default: a local Ray instance for the run)")
    parser.add_argument("--cpus-per-clip", type=float, default=None, metavar="N",
                        help="CPUs Ray reserves for each clip (default 1)")
    parser.add_argument("--collect", action="store_true",
                        help="with --engine ray: nodes send their files back and this machine "
                             "writes them to --out (for nodes that do not see --out)")
    parser.add_argument("--shard", metavar="K/N",
                        help="bake only part K of N of the manifest (several runs split it; each "
                             "writes OUT/summary-K-of-N.json)")
    parser.add_argument("--format", default=None,
                        choices=("glb", "gltf", "fbx", "bvh", "npz", "blend"),
                        help="output type for rows whose output name has no suffix (default glb); "
                             "refused when a row names another type")
    parser.add_argument("--avatar", metavar="FILE",
                        help="avatar for rows that name none (default: the bundled avatar)")
    parser.add_argument("--map", default="auto", metavar="auto|PRESET|FILE.json",
                        help="bone map for rows that name none (default auto)")
    parser.add_argument("--preview", action="store_true", help="also render NAME.mp4 per clip")
    parser.add_argument("--preview-size", metavar="WxH",
                        help="preview size in pixels, even, 16 to 4096 (default: 480 tall, as "
                             "wide as the body needs)")
    parser.add_argument("--fbx-target", default=None, choices=("blender", "unity", "unreal"),
                        help="FBX settings for the application that reads it (default blender); "
                             "refused when no row writes an FBX")
    add_rig_arguments(parser)
    parser.add_argument("--summary", metavar="FILE.json",
                        help="where to write the summary (default: OUT/summary.json)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_generation_arguments(parser, seed=False)


def preview_processes(info):
    """2 where one local worker bakes the clips (the default on two cores): its previews are
    rendered by two processes at once; 1 where several workers, or Ray's, share the cores."""
    return 2 if info.get("engine") == "process" and info.get("workers") == 1 else 1


def default_workers():
    import os

    return max(1, min(4, (os.cpu_count() or 2) - 1))


def run(args):
    import time
    from datetime import datetime, timezone
    from pathlib import Path

    from ..exporters.batch import (FAILED, SKIPPED, BatchSettings, Results, bake_each, is_done,
                                   write_summary)
    from ..exporters.errors import BakeError, EngineStartError
    from ..exporters.manifest import count_clips, iter_manifest, parse_shard
    from ..motion.files import check_output_folder
    from ..inference.render import parse_size
    from .bake import retarget_settings
    from .generation_args import generation_options

    engine, info = _engine(args)
    shard = parse_shard(args.shard) if args.shard else None
    suffixes = {}
    total = count_clips(args.manifest, default_format=args.format or "glb", shard=shard, suffixes=suffixes)
    _check_types(args, suffixes)
    options = generation_options(args, seed=0)  # bad options refused before the folder is made
    out_dir = check_output_folder(args.out)
    settings = BatchSettings(out_dir=out_dir, options=options,
                             avatar=args.avatar, bone_map=args.map,
                             retarget=retarget_settings(args), preview=args.preview,
                             preview_size=parse_size(args.preview_size, "--preview-size"),
                             fbx_target=args.fbx_target or "blender", shard=shard, collect=args.collect,
                             preview_processes=preview_processes(info))
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.perf_counter()
    clips = iter_manifest(args.manifest, default_format=args.format or "glb", shard=shard)
    stopped = None  # why the engine stopped before every clip was baked
    with Results() as results:
        with ClipBar(total, disabled=args.quiet) as bar:
            try:
                bake_each(clips, settings, engine, lambda index, result: (
                    results.add(index, result), bar.update(result)))
            except EngineStartError:  # nothing was run: its reason alone, no summary
                raise
            except BakeError as exc:  # e.g. the cluster went away: keep what was baked
                stopped = exc
        summary_path = _summary_path(args, out_dir, shard)
        if shard:
            info["shard"] = args.shard
        if stopped is not None:  # and the clips without a result or their files (a clip may
            info["stopped"] = str(stopped)  # be written just before its result is lost)
            info["not_baked"] = [clip.name for index, clip in enumerate(iter_manifest(
                args.manifest, default_format=args.format or "glb", shard=shard))
                if not results.has(index) and not is_done(clip, settings)]
        counts = write_summary(summary_path, results, manifest=str(Path(args.manifest).resolve()),
                               out_dir=str(out_dir.resolve()), **info, started=started,
                               wall_seconds=round(time.perf_counter() - clock, 3))
        if not args.quiet:
            for result in results:
                if result["status"] == FAILED:
                    print(f"failed: {result['name']}: {result['error']}")
                for notice in result.get("notices") or ():
                    print(f"notice: {result['name']}: {notice}")
    if stopped is not None:
        raise BakeError(f"{stopped}; {counts['done']} clip(s) baked before that and the "
                        f"{len(info['not_baked'])} not baked are listed in "
                        f"{summary_path.resolve()} (run the same command again to go on)")
    if not args.quiet:
        print(f"{counts['done']} baked, {counts[SKIPPED]} already done, {counts[FAILED]} failed "
              f"in {time.perf_counter() - clock:.1f} s; outputs in {out_dir.resolve()}; "
              f"summary {summary_path.resolve()}")
    return 1 if counts[FAILED] else 0


def _check_types(args, suffixes):
    """Refuse --format and --fbx-target where the manifest's outputs would not follow them
    (rows that name their output's type keep it)."""
    from ..motion.errors import TalkrigError

    other = {k: v for k, v in suffixes.items() if k != f".{args.format}"}
    if args.format and other:
        suffix, example = sorted(other.items())[0]
        raise TalkrigError(f"--format {args.format} applies to outputs named without a suffix, and the "
                           f"manifest names {suffix} ones (e.g. {example}); drop the suffixes from its "
                           f"'output' column, or --format")
    if args.fbx_target and ".fbx" not in suffixes:
        raise TalkrigError(f"--fbx-target {args.fbx_target} applies to FBX outputs and the manifest writes "
                           f"none (its outputs are {', '.join(sorted(suffixes))}); add --format fbx for "
                           "outputs named without a suffix")


def _engine(args):
    """The engine the options ask for, and what the summary says of it."""
    from ..motion.errors import TalkrigError

    if args.workers is not None and args.workers < 1:
        raise TalkrigError(f"--workers must be at least 1, got {args.workers}")
    if args.engine == "process":
        for given, flag in ((args.address, "--address"), (args.cpus_per_clip, "--cpus-per-clip"),
                            (args.collect, "--collect")):
            if given:
                raise TalkrigError(f"{flag} applies to --engine ray")
        from ..exporters.workers import ProcessEngine

        workers = args.workers if args.workers is not None else default_workers()
        return ProcessEngine(workers), {"engine": "process", "workers": workers}
    cpus = 1.0 if args.cpus_per_clip is None else args.cpus_per_clip
    if not 0 < cpus <= 1024:
        raise TalkrigError(f"--cpus-per-clip must be more than 0, got {args.cpus_per_clip:g}")
    if args.address and args.workers is not None:
        raise TalkrigError("--workers sizes a local Ray instance; with --address the cluster's "
                           "CPUs decide")
    from ..exporters.ray_engine import RayEngine, check_reachable, import_ray

    import_ray(cluster=bool(args.address))  # a missing extra: a clear error before anything
    info = {"engine": "ray", "address": args.address or "local", "cpus_per_clip": cpus}
    if args.address:
        check_reachable(args.address)  # and a cluster nobody answers for, before the folder
        return RayEngine(address=args.address, cpus_per_clip=cpus), info
    workers = args.workers if args.workers is not None else default_workers()
    info["workers"] = workers
    return RayEngine(cpus_per_clip=cpus, local_cpus=max(1, round(workers * cpus))), info


def _summary_path(args, out_dir, shard):
    from pathlib import Path

    if args.summary:
        return Path(args.summary)
    return out_dir / (f"summary-{shard[0]}-of-{shard[1]}.json" if shard else "summary.json")
