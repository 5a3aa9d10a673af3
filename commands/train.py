"""Train a neural generator (a2g, dr2, ldm or s2v) on your own motion capture, then export it.

DATA_DIR holds takes: NAME.npz (SMPL-X, BEAT2 or AMASS layout, 30 fps) with NAME.wav beside it
(and NAME.TextGrid/.json/.srt/.vtt/.ass word timings for `--input text`). Training runs on the CPU
with torch (the [train] extra), shows the losses as it goes, saves a checkpoint so a stopped run
resumes where it left off (run the same command again), and ends by exporting ONNX graphs plus
talkrig_model.json to the output folder, checked against torch. Generate with the model by
`--option model=DIR`, or train into the default folder (see -o) and it is found on its own.

Examples:
  talkrig train --backend s2v --data takes/ --minutes 5
  talkrig train --backend a2g --data takes/ --epochs 300 -o models/a2g
  talkrig train --backend s2v --input text --data takes/ -o models/s2v-text
"""

HELP = "train a neural generator (a2g, dr2, ldm, s2v) on your own mocap takes"

BACKENDS = ("a2g", "dr2", "ldm", "s2v")


def add_arguments(parser):
    parser.add_argument("--backend", required=True, choices=BACKENDS,
                        help="a2g: Audio2Gestures cVAE; dr2: DR² recurrent; ldm: latent motion "
                             "diffusion; s2v: Speech2Video LSTM")
    parser.add_argument("--data", required=True, metavar="DIR",
                        help="folder of NAME.npz takes with NAME.wav (and word timings) beside them")
    parser.add_argument("-o", "--output", metavar="MODEL_DIR",
                        help="where the model goes (default: the backend's default model folder, "
                             "$TALKRIG_MODELS/BACKEND or ~/.cache/talkrig/models/BACKEND)")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="train until N epochs in total (default: the backend's own count)")
    parser.add_argument("--minutes", type=float, metavar="M",
                        help="stop after M minutes of training (with --epochs: whichever comes first)")
    parser.add_argument("--val-split", type=float, default=0.1, metavar="F",
                        help="fraction at the end of each take held out for validation (default 0.1)")
    parser.add_argument("--input", choices=("audio", "text"), default=None,
                        help="s2v only: drive the model by audio (MFCC, default) or by word timings")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hyper-parameter (e.g. --set batch=8); repeatable")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore a checkpoint in the output folder and start over")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: all cores)")


def run(args):
    from ..inference.generation.options import parse_option_strings
    from ..inference.generation.options import check_seed
    from ..motion.errors import TalkrigError
    from ..motion.files import check_output_folder

    try:
        import torch
    except ImportError:
        raise TalkrigError("training needs torch: pip install 'talkrig[train]'") from None
    from ..plugins.neural.modeldir import default_model_dir
    from .progress import CountBar
    from ..plugins.neural.training.backends import trainer_class
    from ..plugins.neural.training.data import load_dataset
    from ..plugins.neural.training.loop import check_other_model, fit

    if args.epochs is not None and args.epochs < 1:
        raise TalkrigError(f"--epochs must be at least 1, got {args.epochs}")
    if args.minutes is not None and args.minutes <= 0:
        raise TalkrigError(f"--minutes must be positive, got {args.minutes}")
    if args.input and args.backend != "s2v":
        raise TalkrigError(f"--input is an s2v setting; {args.backend} is driven by audio")
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = parse_option_strings(args.set)
    if args.input:
        overrides["input"] = args.input
    if args.seed is not None:
        overrides["seed"] = check_seed(args.seed, "--seed")
    trainer = trainer_class(args.backend)
    config = trainer.make_config(overrides)
    folder = check_output_folder(args.output or default_model_dir(args.backend))
    if not args.fresh:  # before the data is read
        check_other_model(folder, args.backend)
    print(f"reading takes in {args.data} ...")
    dataset = load_dataset(args.data, trainer.input_kind_for(config), val_split=args.val_split)
    summary = dataset.summary()
    print(f"{len(dataset.takes)} take(s), {summary['seconds']} s ({summary['train_frames']} frames "
          f"for training, {summary['val_frames']} for validation)")

    by_time = args.epochs is None and args.minutes is not None
    total = round(args.minutes * 60) if by_time else (args.epochs or config["epochs"])
    bar = CountBar(total, "s" if by_time else "epoch", f"train {args.backend}")

    def progress(epoch, epochs, elapsed, losses):
        bar.update(min(total, round(elapsed)) if by_time else epoch,
                   {k: f"{v:.4g}" for k, v in losses.items() if v is not None})

    try:
        result = fit(trainer, dataset, folder, config, epochs=args.epochs, minutes=args.minutes,
                     progress=progress, fresh=args.fresh, asked=overrides)
    finally:
        bar.close()
    if result.resumed_from:
        print(f"resumed from epoch {result.resumed_from}")
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    print(f"trained {result.epochs} epochs ({result.steps} steps) in {result.seconds:.0f} s: {losses}")
    if result.val_loss is not None:
        print(f"validation loss: {result.val_loss:.4g}")
    for score in result.scores:
        figures = ", ".join(f"{k} {v:.3f}" for k, v in score.items()
                            if k not in ("epoch", "steps", "score", "ok") and v is not None)
        kept = "  <- kept" if score["epoch"] == result.best_epoch else ""
        print(f"epoch {score['epoch']}: sample score {score['score']:.3f}"
              f"{'' if score['ok'] else ' (diversity too low)'}: {figures}{kept}")
    diffs = ", ".join(f"{k} {v:.1e}" for k, v in result.export_diff.items())
    print(f"ONNX export checked against torch, max abs difference: {diffs}")
    print(f"model written to {result.folder}")
    return 0
