"""The sidebar panel (3D viewport > Sidebar > talkrig): audio, generate, backend, key poses,
rig and bone map, bake options. Drawing only reads; every change goes through properties and
operators."""

from pathlib import Path

import bpy

from .mapping import row_state
from .properties import target_armature
from .server_jobs import GENERATE
from .ui import SidebarPanel, SubPanel, alert_box, online_access_button, preferences_button, wrapped

ROW_ICONS = {"ok": "CHECKMARK", "essential": "ERROR", "bad": "ERROR", "major": "DOT",
             "extra": "BLANK1"}


class TALKRIG_UL_bone_map(bpy.types.UIList):
    """SMPL-X joints and the bones they drive; red rows are essential joints left unmapped (or
    bones the armature does not have)."""

    show_unmapped: bpy.props.BoolProperty(name="Unmapped Only",
                                          description="Show only joints without a bone")

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        state = row_state(item)
        split = layout.split(factor=0.45, align=True)
        split.alert = state in ("essential", "bad")
        split.label(text=item.joint, icon=ROW_ICONS[state])
        armature = item.id_data.data if item.id_data else None
        if armature is not None:
            split.prop_search(item, "bone", armature, "bones", text="")
        else:
            split.prop(item, "bone", text="")

    def draw_filter(self, context, layout):
        row = layout.row(align=True)
        row.prop(self, "filter_name", text="")
        row.prop(self, "show_unmapped", toggle=True, icon="ERROR")

    def filter_items(self, context, data, propname):
        items = getattr(data, propname)
        flags = bpy.types.UI_UL_list.filter_items_by_name(
            self.filter_name, self.bitflag_filter_item, items, "joint") if self.filter_name \
            else [self.bitflag_filter_item] * len(items)
        if self.show_unmapped:
            flags = [f if not item.bone else 0 for f, item in zip(flags, items)]
        return flags, []


class TALKRIG_PT_main(SidebarPanel, bpy.types.Panel):
    """Voice-over in, gestures on your rig."""

    bl_label = "talkrig"
    bl_idname = "TALKRIG_PT_main"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.talkrig
        draw_server(layout, settings)

        col = layout.column()
        col.label(text="Voice-over", icon="SPEAKER")
        col.row().prop(settings, "audio_source", expand=True)
        if settings.audio_source == "FILE":
            col.prop(settings, "audio_file", text="")
        else:
            sed = context.scene.sequence_editor
            if sed is None or not len(sed.strips_all):
                col.label(text="The scene's sequencer has no strips", icon="INFO")
            else:
                col.prop_search(settings, "sound_strip", sed, "strips_all", text="",
                                icon="SEQUENCE")
        col.separator()
        col.label(text="Transcript (optional)", icon="TEXT")
        col.row().prop(settings, "transcript_source", expand=True)
        if settings.transcript_source == "TEXT":
            col.prop(settings, "transcript_text", text="")
        elif settings.transcript_source == "FILE":
            col.prop(settings, "transcript_file", text="")
        col.prop(settings, "language")

        col.separator()
        if settings.audio_source == "STRIP":
            strip = _strip(context.scene, settings.sound_strip)
            col.label(text=_strip_start(context.scene, strip) if strip else "Starts where the strip starts",
                      icon="TIME")
        else:
            col.prop(settings, "frame_start")

        draw_job(layout, context)


def _strip_start(scene, strip):
    """Where the take of a sound strip starts: its sound's start, or where a trimmed strip's
    part begins (the take is that part)."""
    from .voiceover import strip_timing

    zero, heard = strip_timing(strip, scene)
    if heard is None:
        return f"Starts at the strip's frame {int(round(zero))}"
    return f"The strip's part heard: frames {heard[2]}-{int(strip.frame_final_end) - 1}"


def _strip(scene, name):
    sed = scene.sequence_editor
    return sed.strips_all.get(name) if sed is not None and name else None


def draw_server(layout, settings):
    """A box when the server is down or refuses the token, with what to do about it."""
    state = settings.server_state
    if state == "starting":
        layout.label(text=settings.server_message or "Starting the local server ...", icon="SORTTIME")
    elif state in ("down", "timeout", "not_talkrig"):
        box = alert_box(layout, settings.server_message or "No talkrig server answers")
        row = box.row(align=True)
        row.operator("talkrig.start_server", icon="PLAY")
        row.operator("talkrig.refresh_backends", text="Retry", icon="FILE_REFRESH")
    elif state == "offline":
        online_access_button(alert_box(layout, settings.server_message, icon="INTERNET"))
    elif state == "auth":
        box = alert_box(layout, settings.server_message or "The server refused the token",
                        icon="LOCKED")
        preferences_button(box)


def draw_job(layout, context):
    """Generate / Cancel, the progress bar, the status and the last error."""
    scene = context.scene
    job = scene.talkrig.job
    running = GENERATE.running(scene)
    layout.separator()
    row = layout.row(align=True)
    row.scale_y = 1.5
    if running:
        row.operator("talkrig.cancel", icon="CANCEL")
    else:
        row.operator("talkrig.generate", icon="PLAY")
    if running:
        layout.progress(factor=job.progress, type="BAR", text=job.status)  # bar: the whole take
    elif job.state in ("DONE", "CANCELLED") and job.status:
        wrapped(layout, job.status, icon="CHECKMARK" if job.state == "DONE" else "CANCEL")
    if job.notice and job.state == "DONE" and not running:
        wrapped(layout, job.notice, icon="INFO")
    if job.error and not running:
        box = alert_box(layout, job.error)
        if job.error_kind == "down":
            row = box.row(align=True)
            row.operator("talkrig.start_server", icon="PLAY")
            preferences_button(row)
        elif job.error_kind == "auth":
            preferences_button(box)
        elif job.error_kind == "offline":
            online_access_button(box)
    if job.result_file and not running:
        row = layout.row(align=True)
        row.operator("talkrig.bake", icon="ACTION")
        row.label(text=Path(job.result_file).name)
    draw_live(layout, context)


def draw_live(layout, context):
    """The Live toggle, Record, and what the last performance did."""
    from . import live

    session = live.current()
    row = layout.row(align=True)
    row.operator("talkrig.live", text="Stop Live" if live.running() else "Live",
                 icon="PAUSE" if live.running() else "REC", depress=live.running())
    row.prop(context.scene.talkrig, "live_record")
    row = layout.row(align=True)
    row.prop(context.scene.talkrig, "live_source", expand=True)
    row.prop(context.scene.talkrig, "live_keyposes")
    if session is not None and session.status:
        if session.error:
            alert_box(layout, session.error)
        else:
            wrapped(layout, session.status, icon="CHECKMARK" if session.over else "REC")


class TALKRIG_PT_backend(SubPanel, bpy.types.Panel):
    bl_label = "Backend"
    bl_idname = "TALKRIG_PT_backend"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.talkrig
        row = layout.row(align=True)
        row.prop(settings, "backend_choice", text="")
        row.operator("talkrig.refresh_backends", text="", icon="FILE_REFRESH")
        if not settings.backends_json:
            layout.label(text="Refresh to list the server's backends", icon="INFO")
        col = layout.column()
        for item in settings.backend_options:
            item.draw(col)
        layout.prop(settings, "speech_choice")
        row = layout.row(align=True)
        row.prop(settings, "seed")
        row.operator("talkrig.new_variation", text="", icon="FILE_REFRESH")


class TALKRIG_PT_keyposes(SubPanel, bpy.types.Panel):
    bl_label = "Key Poses"
    bl_idname = "TALKRIG_PT_keyposes"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.talkrig
        layout.row().prop(settings, "keyposes", expand=True)
        layout.prop(settings, "keypose_file")
        layout.operator("talkrig.capture_keypose", icon="ARMATURE_DATA")


class TALKRIG_PT_rig(SubPanel, bpy.types.Panel):
    bl_label = "Rig"
    bl_idname = "TALKRIG_PT_rig"

    def draw(self, context):
        from .mapping import ESSENTIAL_JOINTS, keeps_rows

        layout = self.layout
        settings = context.scene.talkrig
        obj = target_armature(context)
        layout.prop(settings, "target", placeholder=obj.name if obj else "active armature")
        if obj is None:
            layout.label(text="Select the character's armature", icon="ERROR")
            return
        rig = obj.talkrig_rig
        row = layout.row(align=True)
        row.prop(rig, "preset", text="")
        row.operator("talkrig.map_bones", icon="BONE_DATA")
        row.operator("talkrig.bone_map_report", text="", icon="TEXT")
        if not keeps_rows(obj):
            layout.label(text="A library override: mapped automatically at each Generate", icon="INFO")
            return
        if not len(rig.bones):
            layout.label(text="Not mapped yet: Map Bones, or Generate maps automatically",
                         icon="INFO")
            return
        mapped = sum(1 for item in rig.bones if item.bone)
        layout.label(text=f"{mapped} of {len(rig.bones)} joints mapped ({rig.source})")
        missing = [item.joint for item in rig.bones
                   if item.joint in ESSENTIAL_JOINTS and not item.bone]
        if missing:
            alert_box(layout, "Map these before generating: " + ", ".join(missing))
        layout.template_list("TALKRIG_UL_bone_map", "", rig, "bones", rig, "active_index", rows=6)


class TALKRIG_PT_bake(SubPanel, bpy.types.Panel):
    bl_label = "Bake"
    bl_idname = "TALKRIG_PT_bake"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        settings = context.scene.talkrig
        layout.prop(settings, "bake_mode")
        layout.prop(settings, "root_motion")
        layout.prop(settings, "root_target")
        layout.prop(settings, "constrained")
        col = layout.column(heading="Options")
        col.prop(settings, "plant_feet")
        col.prop(settings, "auto_bake")
        col.prop(settings, "add_sound")
        col.prop(settings, "extend_scene")
        layout.operator("talkrig.bake_file", icon="FILE_FOLDER")


class TALKRIG_PT_capture_video(SubPanel, bpy.types.Panel):
    """A video of the speaker in, SMPL-X takes for a library out."""

    bl_label = "Capture From Video"
    bl_idname = "TALKRIG_PT_capture_video"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        from .capture_video import draw

        draw(self.layout, context)


class TALKRIG_PT_render_photoreal(SubPanel, bpy.types.Panel):
    """The generated take through the scene camera and a renderer, into the sequencer."""

    bl_label = "Render Photoreal"
    bl_idname = "TALKRIG_PT_render_photoreal"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        from .render_photoreal import draw

        draw(self.layout, context)


classes = (TALKRIG_UL_bone_map, TALKRIG_PT_main, TALKRIG_PT_backend, TALKRIG_PT_keyposes,
           TALKRIG_PT_rig, TALKRIG_PT_bake, TALKRIG_PT_capture_video, TALKRIG_PT_render_photoreal)
