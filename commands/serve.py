"""Run the talkrig inference server: the HTTP API the Blender add-on and batch tools talk to.

By default it listens on 127.0.0.1 (this machine only) and every request but /v1/health needs
the bearer token the server writes, on first start, to its token file (mode 0600):
$XDG_CONFIG_HOME/talkrig/token (~/.config/talkrig/token) on Linux,
~/Library/Application Support/talkrig/token on macOS, %APPDATA%\\talkrig\\token on Windows.
Clients send it as "Authorization: Bearer <token>".

Options may only name files inside the data folder (--data-dir, default
$XDG_DATA_HOME/talkrig): key-pose dictionaries, mocap libraries, models. Anything else is refused.

Binding to another address (e.g. --host 0.0.0.0) exposes the server to your network: it prints a
warning and always requires the token. On 127.0.0.1 it answers only requests addressed to an IP
address or localhost (against DNS rebinding); --allow-host NAME adds a name, e.g. a proxy's.
API documentation (open, it holds no data): http://HOST:PORT/docs

Limits: request heads of 64 KiB, sent within 20 s; uploads that pause for 30 s are cut off.
A port already in use is reported at once (exit code 2).

examples:
  talkrig serve
  talkrig serve --port 9000 --workers 2
  talkrig serve --host 0.0.0.0 --token-file /srv/talkrig/token
"""

import sys

HELP = "run the HTTP inference server (API docs at /docs)"


def add_arguments(parser):
    from dataclasses import fields

    from ..inference.server.settings import DEFAULT_HOST, DEFAULT_PORT, ServerSettings, default_workers

    default = {f.name: f.default for f in fields(ServerSettings)}  # the settings' own defaults

    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--token-file", metavar="PATH",
                        help="where the bearer token is kept (created with mode 0600 if missing; "
                             "default: talkrig/token in your config folder)")
    parser.add_argument("--no-token", action="store_true",
                        help="accept requests without a token (refused unless the host is loopback)")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="jobs run at once (default: CPU cores minus one, 1..4; now %(default)s)")
    parser.add_argument("--queue-depth", type=int, default=default["queue_depth"],
                        help="jobs that may wait for a worker; more get 503 (default %(default)s)")
    parser.add_argument("--max-live-streams", type=int, default=default["max_live_streams"],
                        help="live streams served at once; one more is refused with 503 (default "
                             "%(default)s: what one server holds within 250 ms latency on 2 cores "
                             "with the face; 1 with live key poses)")
    parser.add_argument("--max-upload-mb", type=float, default=default["max_upload_bytes"] / 2**20,
                        help="largest upload in MiB; larger gets 413 (default %(default)g)")
    parser.add_argument("--max-audio-seconds", type=float, default=default["max_audio_seconds"],
                        help="longest recording accepted (default %(default)g)")
    parser.add_argument("--result-ttl", type=float, default=default["result_ttl"],
                        help="seconds a finished job's result is kept (default %(default)g)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="the only folder options may name files in (default: talkrig in "
                             "your data folder)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="also answer requests addressed to this host name (repeatable; e.g. "
                             "the name a reverse proxy forwards)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                        help="server log level (default %(default)s)")


def run(args):
    import logging
    import os
    import tempfile
    from pathlib import Path

    from ..inference.server import logs
    from ..inference.server.app import create_app
    from ..inference.server.auth import load_or_create_token
    from ..inference.server.scratch import make_scratch
    from ..inference.server.serving import bind, serve
    from ..inference.server.settings import ServerSettings, SettingsError, data_dir, is_loopback
    from ..userdirs import default_token_file

    loopback = is_loopback(args.host)
    if args.no_token and not loopback:
        raise SettingsError(f"--no-token is refused with --host {args.host}: other machines could "
                            "use the server; drop --no-token (clients then need the token)")
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"--port must be 0..65535, got {args.port}")
    sock = bind(args.host, args.port)  # first: a busy port is one line, before anything starts
    port = sock.getsockname()[1]
    if not loopback:
        print(f"talkrig serve: warning: listening on {args.host} makes the server reachable from "
              "other machines; the token is required, and traffic is not encrypted (put it behind "
              "an HTTPS proxy or a VPN)", file=sys.stderr)
    token_file = Path(args.token_file).expanduser() if args.token_file else default_token_file()
    token = None if args.no_token else load_or_create_token(token_file)
    settings = ServerSettings(
        host=args.host, port=port, workers=args.workers, queue_depth=args.queue_depth,
        max_upload_bytes=int(args.max_upload_mb * 2**20), max_audio_seconds=args.max_audio_seconds,
        result_ttl=args.result_ttl, token=token, token_file=token_file,
        data_dir=Path(args.data_dir) if args.data_dir else data_dir(),
        allowed_hosts=tuple(args.allow_host), max_live_streams=args.max_live_streams,
    )
    # temporary files of decoders and plugins go inside the data folder too
    scratch = make_scratch(settings.data_dir)
    tempfile.tempdir = str(scratch)
    os.environ["TMPDIR"] = str(scratch)

    # One BLAS thread per job worker or live stream: the server runs them in parallel threads,
    # and idle BLAS threads spinning after each small product cost a whole core per live stream.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")

    level = getattr(logging, args.log_level.upper())
    logs.configure(level)
    app = create_app(settings)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"talkrig server on http://{shown}:{port} (API docs at /docs)", file=sys.stderr)
    print(f"token file: {token_file}" if token else "authentication is OFF (--no-token)",
          file=sys.stderr)
    print(f"data folder: {settings.data_dir}", file=sys.stderr)
    serve(app, settings, sock, log_level=args.log_level)
    return 0
