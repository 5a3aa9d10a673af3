"""A real `talkrig serve` subprocess on a free loopback port, for end-to-end tests."""

import os
import sys

from talkrig.client.server_process import LocalServer


def local_server(root, extra=()):
    """(LocalServer, Client) of a server started the way the add-on starts it, with its
    config, data and token under ``root``; call ``stop()`` on the first when done."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "share"))
    local = LocalServer(python=sys.executable, token_file=root / "token", state_dir=root / "state",
                        env=env, extra_args=["--data-dir", str(root / "data"), "--workers", "1", *extra])
    return local, local.start(timeout=120)
