"""Messages from background work: a timer has no operator to report through, so the add-on's
own Notify operator shows them in the status bar and the Info log."""

import logging

import bpy

log = logging.getLogger(__name__)


def notify(level, message):
    """Report from a timer (no operator is running): in the status bar and the Info log."""
    log.log(logging.ERROR if level == "ERROR" else logging.INFO, "talkrig: %s", message)
    window = next(iter(bpy.context.window_manager.windows), None)
    override = {"window": window, "screen": window.screen} if window is not None else {}
    try:
        with bpy.context.temp_override(**override):
            bpy.ops.talkrig.notify(level=level, message=message)
    except RuntimeError:  # without a UI an ERROR report raises; the panel shows it anyway
        pass


class TALKRIG_OT_notify(bpy.types.Operator):
    """Show a message from a background job"""

    bl_idname = "talkrig.notify"
    bl_label = "talkrig Message"
    bl_options = {"INTERNAL"}

    level: bpy.props.EnumProperty(items=(("INFO", "Info", ""), ("WARNING", "Warning", ""),
                                         ("ERROR", "Error", "")))
    message: bpy.props.StringProperty()

    def execute(self, context):
        self.report({self.level}, self.message)
        return {"FINISHED"}


classes = (TALKRIG_OT_notify,)
