"""Where talkrig keeps per-user files, on each platform (standard library only).

One rule shared by the server (token, data folder) and the Blender add-on (which reads the
server's token), so the two can never disagree.
"""

import os
import sys
from pathlib import Path

APP_DIR_NAME = "talkrig"


def config_dir():
    """Where the server's token lives: $XDG_CONFIG_HOME/talkrig on Linux, the usual place elsewhere."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / APP_DIR_NAME


def data_dir():
    """The only folder the server reads user-named files from: $XDG_DATA_HOME/talkrig on Linux."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_DIR_NAME


def default_token_file():
    """The server's bearer token file."""
    return config_dir() / "token"


def cache_dir():
    """Files that can be fetched or found again (downloaded wheels, the speech engines' words):
    $XDG_CACHE_HOME/talkrig on Linux."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / APP_DIR_NAME / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR_NAME
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / APP_DIR_NAME
