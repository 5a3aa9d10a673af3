"""Layout helpers every part of the panel uses: wrapped messages, alert boxes, buttons that open
preferences, and the sidebar panel classes the sections derive from."""

import textwrap

from . import ROOT_PACKAGE


def wrapped(layout, text, width=44, icon="NONE"):
    """Labels for a long message, broken into lines."""
    col = layout.column(align=True)
    for k, line in enumerate(textwrap.wrap(text, width) or [""]):
        col.label(text=line, icon=icon if k == 0 else "BLANK1")
    return col


def alert_box(layout, text, icon="ERROR"):
    """A red box holding a wrapped message; returns the box for buttons that fix it."""
    box = layout.box()
    box.alert = True
    wrapped(box, text, icon=icon)
    return box


def preferences_button(layout):
    """Opens the add-on's preferences (server URL, token)."""
    layout.operator("preferences.addon_show", text="Open Preferences",
                    icon="PREFERENCES").module = ROOT_PACKAGE


def online_access_button(layout):
    """Opens Blender's System preferences, where Allow Online Access is."""
    layout.operator("screen.userpref_show", text="Open System Preferences",
                    icon="PREFERENCES").section = "SYSTEM"


class SidebarPanel:
    """Where every talkrig panel sits: the 3D viewport's sidebar, talkrig tab."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "talkrig"


class SubPanel(SidebarPanel):
    """A section inside the main talkrig panel."""

    bl_parent_id = "TALKRIG_PT_main"
