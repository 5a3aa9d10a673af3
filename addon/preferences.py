"""Add-on preferences: where the talkrig server is, its token, and how to start a local one."""

import os
import shutil
import sys
from pathlib import Path

import bpy

from ..client.http_client import DEFAULT_URL as DEFAULT_SERVER_URL
from ..client.http_client import default_token_file, read_token
from . import ROOT_PACKAGE


class TalkrigPreferences(bpy.types.AddonPreferences):
    """Stored in Blender's user preferences under the extension's package name."""

    bl_idname = ROOT_PACKAGE

    server_url: bpy.props.StringProperty(
        name="Server URL",
        description="Address of the talkrig server (a local one by default; another machine "
                    "needs Allow Online Access in Preferences > System > Network)",
        default=DEFAULT_SERVER_URL,
    )
    token: bpy.props.StringProperty(
        name="Token",
        description="Access token of the server (kept in the token file whose path `talkrig serve` "
                    "prints; empty: read the local server's token file)",
        subtype="PASSWORD",
    )
    token_file: bpy.props.StringProperty(
        name="Token File",
        description="File holding the server's token when the Token field is empty (empty: "
                    "where `talkrig serve` writes it on this machine)",
        subtype="FILE_PATH",
    )
    python_path: bpy.props.StringProperty(
        name="Python",
        description="Python interpreter with talkrig installed, used to start a local server "
                    "(empty: Blender's own Python with the server this extension brings, else "
                    "the one behind the `talkrig` command, if it is on PATH)",
        subtype="FILE_PATH",
    )
    auto_start: bpy.props.BoolProperty(
        name="Start Local Server When Needed",
        description="When Generate (or a voice-over chosen, for its words) finds no server at "
                    "a local address, start one with the Python above",
        default=True,
    )
    default_backend: bpy.props.StringProperty(
        name="Default Backend",
        description="Generator used until you choose another in the panel",
        default="procedural",
    )
    timeout: bpy.props.FloatProperty(
        name="Request Timeout",
        description="Seconds to wait for the server to answer one request",
        default=30.0, min=2.0, max=600.0, subtype="TIME_ABSOLUTE", unit="TIME_ABSOLUTE",
    )

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        col = layout.column(heading="Server")
        col.prop(self, "server_url")
        col.prop(self, "token")
        sub = col.column()
        sub.active = not self.token
        sub.prop(self, "token_file", placeholder=str(default_token_file()))
        if not self.token:
            path = token_path(self)
            sub.label(text=f"Token {'found' if read_token(path) else 'not found'} in {path}",
                      icon="CHECKMARK" if read_token(path) else "INFO")
        col.prop(self, "timeout")
        col = layout.column(heading="Local Server")
        col.prop(self, "python_path", placeholder=server_python(self) or "path to python")
        if server_site_packages(self):
            col.label(text="Blender's Python runs the server this extension brings", icon="CHECKMARK")
        col.prop(self, "auto_start")
        row = col.row(align=True)
        row.operator("talkrig.start_server", icon="PLAY")
        row.operator("talkrig.stop_server", icon="X")
        layout.prop(self, "default_backend")


def get_preferences(context=None):
    """The add-on's preferences, or None when the add-on is not enabled."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ROOT_PACKAGE)
    return addon.preferences if addon else None


def token_path(prefs):
    """Where the token is read from when none is typed in."""
    return Path(bpy.path.abspath(prefs.token_file)) if prefs.token_file else default_token_file()


def resolve_token(prefs):
    """The typed token, else the token file's, else "" (the server will say it needs one)."""
    return prefs.token.strip() or read_token(token_path(prefs)) or ""


def bundled_site_packages():
    """The folder Blender extracted this extension's wheels into, when it holds the server (a
    per-platform build carries talkrig's own wheel); None for a build without wheels."""
    site = (Path(bpy.utils.user_resource("EXTENSIONS", path=".local")) / "lib"
            / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages")
    return str(site) if any(site.glob("talkrig-*.dist-info")) else None


def server_site_packages(prefs):
    """The bundled server's folder when Blender's own Python starts it (no Python preference)."""
    return None if prefs.python_path else bundled_site_packages()


def server_python(prefs):
    """The interpreter to start a local server with: the preference, else Blender's own Python
    when this extension brings the server, else the one in the `talkrig` command's first line,
    else None."""
    if prefs.python_path:
        return bpy.path.abspath(prefs.python_path)
    if bundled_site_packages():
        return sys.executable
    script = shutil.which("talkrig")
    if script:
        try:
            with open(script, "rb") as handle:
                first = handle.readline().decode("utf-8", "replace").strip()
        except OSError:
            first = ""
        if first.startswith("#!") and os.path.isfile(first[2:].strip()):
            return first[2:].strip()
        if sys.platform == "win32":
            python = Path(script).parent / "python.exe"
            if python.exists():
                return str(python)
    return None


def connection(context=None, auto_start=None):
    """A worker.Connection with the current preferences (plain values, safe in a thread)."""
    from .worker import Connection

    prefs = get_preferences(context)
    online = bool(bpy.app.online_access)
    if prefs is None:
        return Connection(url=DEFAULT_SERVER_URL, online=online)
    return Connection(
        url=prefs.server_url.strip() or DEFAULT_SERVER_URL,
        token=resolve_token(prefs),
        timeout=prefs.timeout,
        python=server_python(prefs),
        site_packages=server_site_packages(prefs),
        token_file=str(token_path(prefs)),
        auto_start=prefs.auto_start if auto_start is None else auto_start,
        online=online,
    )


classes = (TalkrigPreferences,)
