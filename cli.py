"""The `talkrig` command line: one subcommand per module in ``commands/``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``
returning an exit code. Modules import heavy libraries inside ``run`` so ``talkrig --help``
stays fast. A TalkrigError, or a file that cannot be read or written, becomes one line on
stderr and exit code 2, never a traceback.
"""

import argparse
import gc
import importlib
import logging
import sys

from . import __version__
from .motion.errors import TalkrigError

# Subcommand name -> module in talkrig.commands, in the order `talkrig --help` lists them.
COMMANDS = {
    "info": "info",
    "convert": "convert",
    "capture": "capture",
    "train": "train",
    "train-renderer": "train_renderer",
    "serve": "serve",
    "live": "live",
    "eval": "eval",
    "words": "words",
    "generate": "generate",
    "backends": "backends",
    "bake": "bake",
    "render": "render",
    "bake-batch": "bake_batch",
}


def build_parser(command=None):
    """The parser of every command; with ``command``, only that one's arguments are added (the
    others' would import what they need for their defaults: the HTTP client, the server's
    settings), as only it will parse."""
    parser = argparse.ArgumentParser(
        prog="talkrig",
        description="Turn a voice-over into full-body gesture animation on your own rig.",
    )
    parser.add_argument("--version", action="version", version=f"talkrig {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f".commands.{module_name}", __package__)
        doc = (module.__doc__ or module.HELP).strip()
        p = sub.add_parser(name, help=module.HELP, description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if command in (None, name):
            module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    named = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(named if named in COMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except TalkrigError as exc:
        print(f"talkrig {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named: a fault to see in full
            raise
        logging.getLogger(__name__).debug("file error", exc_info=True)
        print(f"talkrig {args.command}: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"talkrig {args.command}: interrupted", file=sys.stderr)
        return 130


def run():
    """The `talkrig` program (and `python -m talkrig`): :func:`main`, then a quick end. The
    interpreter's last garbage collections walk every object still alive (numpy's, ONNX
    Runtime's), some 35 ms of a short take's 0.45 s; frozen once the command is done, its
    outputs written and closed, they are left to the system, and the exit handlers (logs
    flushed, temporary folders removed, threads joined) still run. Only the program does this:
    a caller of :func:`main` keeps its own process's end."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
