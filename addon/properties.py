"""The add-on's data in the .blend file: panel settings and job state per scene
(``scene.talkrig``), the bone map per armature (``object.talkrig_rig``)."""

import bpy

from .backend_options import (
    TalkrigOptionValue,
    backend_items,
    current_backend,
    parse,
    sync_options,
)
from .server_jobs import ACTIVE, state_items
from .words_ahead import voiceover_changed

JOB_STATES = state_items("Generating", {
    "IDLE": "Nothing generated yet",
    "UPLOADING": "Sending the audio to the server",
    "QUEUED": "Waiting for a free worker on the server",
    "RUNNING": "The server is generating the motion",
    "CANCELLING": "Waiting for the server to stop the job",
    "DONE": "The take is ready (and baked, if automatic baking is on)",
    "FAILED": "The job failed; see the message",
    "CANCELLED": "The job was cancelled",
}, extra=((1, ("STARTING", "Starting Server", "Starting the local talkrig server")),
          (6, ("BAKING", "Baking", "Putting the take on the rig"))))
ACTIVE_STATES = ACTIVE | {"STARTING", "BAKING"}


class TalkrigJob(bpy.types.PropertyGroup):
    """The last generation job of a scene, as the panel shows it."""

    state: bpy.props.EnumProperty(name="State", items=JOB_STATES, default="IDLE")
    stage: bpy.props.StringProperty(name="Stage")
    progress: bpy.props.FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")
    status: bpy.props.StringProperty(name="Status")
    error: bpy.props.StringProperty(name="Error", description="What went wrong, and what to do")
    error_kind: bpy.props.StringProperty(description="down, auth, rejected, failed, bake, ...")
    job_id: bpy.props.StringProperty(name="Job")
    result_file: bpy.props.StringProperty(name="Take", subtype="FILE_PATH",
                                          description="The generated motion (SMPL-X npz)")
    audio_path: bpy.props.StringProperty(subtype="FILE_PATH")
    audio_name: bpy.props.StringProperty()
    audio_from_strip: bpy.props.BoolProperty()
    seed: bpy.props.IntProperty()
    frame_start: bpy.props.IntProperty()
    words: bpy.props.IntProperty(description="Words the server found in the audio")
    notice: bpy.props.StringProperty(name="Notice", description="What the server said about the "
                                     "take's words (e.g. none kept), and what to do")
    action: bpy.props.StringProperty(name="Action", description="The action the take was baked to")
    armature: bpy.props.StringProperty(description="The armature the take was generated for")

    @property
    def active(self):
        return self.state in ACTIVE_STATES


class TalkrigBoneMapItem(bpy.types.PropertyGroup):
    """One SMPL-X joint and the rig bone it drives ("" when unmapped)."""

    joint: bpy.props.StringProperty(name="Joint")
    bone: bpy.props.StringProperty(name="Bone", description="The rig bone this SMPL-X joint drives",
                                   update=lambda self, context: _mark_manual(self))
    confidence: bpy.props.FloatProperty(min=0.0, max=1.0)
    how: bpy.props.StringProperty()


def _mark_manual(item):
    owner = item.id_data.talkrig_rig if item.id_data else None
    if owner is not None and not owner.filling:
        owner.source = "manual"
        item.how = "manual"
        item.confidence = 1.0


_preset_items = []


def preset_items(self, context):
    if not _preset_items:
        from ..motion.retarget import list_presets

        _preset_items.append(("AUTO", "Automatic", "Find the bones from presets, names and the "
                                                   "hierarchy"))
        _preset_items.extend((name, name.replace("_", " ").title(), f"The {name} bone names")
                             for name in list_presets())
    return _preset_items


class TalkrigRigSettings(bpy.types.PropertyGroup):
    """An armature's bone map: which bone each SMPL-X joint drives."""

    bones: bpy.props.CollectionProperty(type=TalkrigBoneMapItem)
    active_index: bpy.props.IntProperty()
    source: bpy.props.StringProperty(name="Source", description="How the map was made")
    preset: bpy.props.EnumProperty(name="Map With", items=preset_items,
                                   description="How Map Bones fills the list")
    filling: bpy.props.BoolProperty(options={"SKIP_SAVE"})


def _is_armature(self, obj):
    return obj.type == "ARMATURE"


def _backend_enum_items(self, context):
    return backend_items(self)


def _get_backend(self):
    names = [item[0] for item in backend_items(self)]
    current = current_backend(self)
    return names.index(current) if current in names else 0


def _set_backend(self, index):
    items = backend_items(self)
    if 0 <= index < len(items):
        self.backend = items[index][0]


def _backend_changed(self, context):
    sync_options(self)


def _speech_items(self, context):
    return parse(self.backends_json)["speech_items"]


def _get_speech(self):
    names = [item[0] for item in parse(self.backends_json)["speech_items"]]
    return names.index(self.speech) if self.speech in names else 0


def _set_speech(self, index):
    items = parse(self.backends_json)["speech_items"]
    if 0 <= index < len(items):
        self.speech = items[index][0]


class TalkrigSettings(bpy.types.PropertyGroup):
    """Everything the talkrig panel sets for a scene."""

    audio_source: bpy.props.EnumProperty(
        name="Audio", items=(("FILE", "File", "A sound file on disk"),
                             ("STRIP", "Sound Strip", "A sound strip of the scene's sequencer")))
    audio_file: bpy.props.StringProperty(name="Audio File", subtype="FILE_PATH",
                                         description="The voice-over (wav, flac, ogg or mp3)",
                                         update=voiceover_changed)
    sound_strip: bpy.props.StringProperty(name="Sound Strip",
                                          description="A sound strip holding the voice-over")
    transcript_source: bpy.props.EnumProperty(
        name="Transcript",
        items=(("NONE", "None", "Let the server find the words"),
               ("TEXT", "Text", "A text block: the script, or a TextGrid/SRT/VTT/ASS/JSON"),
               ("FILE", "File", "A script (text, RTF, Word, OpenDocument), TextGrid, SRT, VTT, ASS or JSON file")),
        update=voiceover_changed)
    transcript_text: bpy.props.PointerProperty(name="Transcript Text", type=bpy.types.Text)
    transcript_file: bpy.props.StringProperty(name="Transcript File", subtype="FILE_PATH",
                                              update=voiceover_changed)
    backend: bpy.props.StringProperty(name="Backend Name", default="", update=_backend_changed)
    backend_choice: bpy.props.EnumProperty(name="Backend", items=_backend_enum_items,
                                           get=_get_backend, set=_set_backend,
                                           description="The generator that makes the motion")
    backends_json: bpy.props.StringProperty(description="The server's last GET /v1/backends answer")
    backend_options: bpy.props.CollectionProperty(type=TalkrigOptionValue)
    options_backend: bpy.props.StringProperty()
    options_memory: bpy.props.StringProperty(description="Option values set per backend (JSON)")
    speech: bpy.props.StringProperty(name="Speech Engine Name", default="auto")
    speech_choice: bpy.props.EnumProperty(name="Word Timing", items=_speech_items,
                                          get=_get_speech, set=_set_speech,
                                          description="How the server finds when words are said")
    language: bpy.props.StringProperty(
        name="Language", default="auto",
        description="The speech's language: auto, or a code such as de, es, fr, ja, cmn (a "
                    "script in any language is timed; key poses follow the language)")
    seed: bpy.props.IntProperty(name="Seed", min=0, default=0,
                                description="The same seed gives the same motion; change it "
                                            "for another variation")
    keyposes: bpy.props.EnumProperty(
        name="Key Poses",
        items=(("DEFAULT", "Built-in", "The server's dictionary of common words in the speech's "
                                       "language (English, German, Spanish, French)"),
               ("FILE", "File", "Your own key-pose dictionary (JSON)"),
               ("NONE", "None", "No key poses")))
    keypose_file: bpy.props.StringProperty(name="Dictionary", subtype="FILE_PATH",
                                           description="Key-pose dictionary (JSON) to use and to "
                                                       "capture poses into")
    target: bpy.props.PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature,
                                      description="The rig to animate (empty: the active object)")
    frame_start: bpy.props.IntProperty(name="Start Frame", default=1,
                                       description="Scene frame where the speech starts")
    bake_mode: bpy.props.EnumProperty(
        name="Bake As",
        items=(("NLA", "NLA Strip", "A new NLA track; your animation stays as it is"),
               ("ASSIGN", "Active Action", "The new action becomes the active one (the previous "
                                           "action is kept)")))
    auto_bake: bpy.props.BoolProperty(name="Bake When Done", default=True,
                                      description="Put the motion on the rig as soon as it arrives")
    live_source: bpy.props.EnumProperty(
        name="Live From",
        items=(("AUDIO", "Audio", "The voice-over chosen above (file or sound strip), played in real time"),
               ("MIC", "Microphone", "The default microphone, until Live is pressed again (needs "
                                     "the sounddevice package in Blender's Python)")))
    live_keyposes: bpy.props.BoolProperty(name="Key Poses", default=False,
                                          description="Spot the key-pose words as they are heard and "
                                                      "strike their poses (misses some words and "
                                                      "mishears others)")
    live_record: bpy.props.BoolProperty(name="Record", default=True,
                                        description="Record the live performance into a new Action "
                                                    "when it ends (one undo step)")
    add_sound: bpy.props.BoolProperty(name="Add Sound Strip", default=True,
                                      description="Add the audio to the sequencer at the start "
                                                  "frame so playback is in sync")
    extend_scene: bpy.props.BoolProperty(name="Extend Scene", default=True,
                                         description="Move the scene's end frame to cover the take")
    root_motion: bpy.props.EnumProperty(
        name="Root Motion",
        items=(("relative", "Relative", "The hips move from where the rig stands"),
               ("none", "None", "The hips stay in place (rotations only)"),
               ("absolute", "Absolute", "The hips follow the motion's own position")))
    root_target: bpy.props.EnumProperty(
        name="Move",
        description="What carries the body's travel",
        items=(("AUTO", "Automatic", "The pelvis bone, or the first bone above it that can move "
                                     "when it is connected to its parent"),
               ("PELVIS", "Pelvis Bone", "The pelvis bone's location"),
               ("ROOT", "Root Bone", "The bone at the top of the hierarchy moves along the floor "
                                     "(as game engines want), the pelvis up and down"),
               ("OBJECT", "Armature Object", "The armature object moves along the floor, the "
                                             "pelvis up and down")))
    plant_feet: bpy.props.BoolProperty(
        name="Plant Feet", default=True,
        description="Solve the legs so feet that stand still stay put on the floor, whatever "
                    "the rig's proportions")
    constrained: bpy.props.EnumProperty(
        name="Constrained Rigs",
        description="Where the keys go when the mapped bones are driven by constraints "
                    "(a generated Rigify rig)",
        items=(("AUTO", "Controls", "Key the rig's own controls (FK) when a controls preset fits, "
                                    "else the deform bones"),
               ("DEFORM", "Deform Bones", "Key the deform bones; their constraints are off for "
                                          "the take")))
    server_state: bpy.props.StringProperty(description="ok, down, auth, ... after the last check")
    server_message: bpy.props.StringProperty()
    job: bpy.props.PointerProperty(type=TalkrigJob)


def target_armature(context):
    """The armature to animate: the panel's target, else the active object (or the armature
    deforming the active mesh); None when there is none."""
    settings = context.scene.talkrig
    if settings.target is not None and settings.target.type == "ARMATURE":
        return settings.target
    obj = context.active_object
    if obj is None:
        return None
    if obj.type == "ARMATURE":
        return obj
    if obj.type == "MESH":
        for mod in obj.modifiers:
            if mod.type == "ARMATURE" and mod.object is not None:
                return mod.object
        if obj.parent is not None and obj.parent.type == "ARMATURE":
            return obj.parent
    return None


classes = (TalkrigJob, TalkrigBoneMapItem, TalkrigRigSettings, TalkrigSettings)


def on_register():
    bpy.types.Scene.talkrig = bpy.props.PointerProperty(type=TalkrigSettings)
    bpy.types.Object.talkrig_rig = bpy.props.PointerProperty(type=TalkrigRigSettings)


def on_unregister():
    from .words_ahead import stop

    stop()
    del bpy.types.Object.talkrig_rig
    del bpy.types.Scene.talkrig
