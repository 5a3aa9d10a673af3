"""Live: the rig gestures while the voice plays, streamed from the server.

The **Live** toggle streams the voice-over (the panel's sound strip or file) to the server's
live WebSocket in real time from a worker thread, and a timer on Blender's main thread, at the
scene's frame rate, puts the newest frame on the armature (retargeted by the same code as a
bake) and the face on the shape keys a bake would key; in the interface the scene plays from
the audio's start so the voice is heard. When
the audio ends (or Live is pressed again) the performance is, if Record is on, baked into a
new Action through the bake path (addon/bake.py) as one undo step.

    session = start(context)   # LiveError saying what to fix
    session.tick()             # the timer; returns the next interval or None when over
"""

import logging
import sys

import bpy

from ..blender.facekeys import shape_key_tracks
from ..motion.errors import TalkrigError
from ..motion.live_frames import received_motion
from . import runtime

log = logging.getLogger(__name__)

CHUNK_MS = 40
_session = None  # the running LiveSession, if any


def running():
    return _session is not None and not _session.over


def current():
    return _session


class LiveSession:
    """One live performance on one armature."""

    def __init__(self, scene, obj, source, options, connection, record):
        from ..blender.rig_io import check_animatable, read_rig
        from ..blender.scene import scene_fps
        from ..motion.retarget import RetargetSettings, make_plan
        from .mapping import check_essential, current_map
        from .worker import Task

        self.scene_name, self.obj_name = scene.name, obj.name
        self.fps = scene_fps(scene)
        rig = read_rig(check_animatable(obj) if record else obj)  # a recording must be kept
        bone_map = current_map(obj, rig)
        check_essential(bone_map, obj)
        self.plan = make_plan(rig, bone_map)
        # the panel's root motion; the rest as a bake's defaults (the frames arrive one by one)
        self.settings = RetargetSettings(root_motion=scene.talkrig.root_motion)
        self.source, self.options, self.record = source, options, record
        if source is MICROPHONE:  # a voice heard now starts where the playhead is
            self.frame_start = scene.frame_current
        elif getattr(source, "heard", None):  # a trimmed strip: the part it lets be heard
            self.frame_start = source.heard[2]
        else:
            self.frame_start = source.frame_start if source.frame_start is not None else scene.talkrig.frame_start
        self.messages = []  # every frames message, in order
        self.applied = 0  # frames put on the rig
        self.status, self.error, self.over, self.action = "connecting", "", False, ""
        self.face_actions = []  # the Actions recording the face's shape keys
        self.task = Task(self._work(connection), name="talkrig live")
        self.timer = self.tick  # one bound method: Blender's timers know a function by identity

    # --- worker thread: no bpy here ----------------------------------------------------------
    def _work(self, connection):
        from ..client.live_client import LiveClient, stream_in_real_time
        from ..client.microphone import microphone_chunks

        def run(emit, cancelled):
            if self.source is MICROPHONE:
                chunks = microphone_chunks(16 * CHUNK_MS, should_stop=cancelled)
            else:
                pcm = read_pcm16(self.source.path)
                if self.source.heard:
                    first, stop = (2 * int(round(t * 16000)) for t in self.source.heard[:2])
                    pcm = pcm[first:stop]
                size = 2 * 16 * CHUNK_MS
                chunks = (pcm[i:i + size] for i in range(0, len(pcm), size))
            client = LiveClient(connection.url, token=connection.token or None, timeout=connection.timeout)
            try:
                emit("ready", client.start(**self.options))
                stream_in_real_time(client, chunks, CHUNK_MS / 1000.0, should_stop=cancelled,
                                    on_message=lambda message, _: emit("message", message))
            finally:
                client.close()

        return run

    # --- main thread ------------------------------------------------------------------------
    def start(self):
        self.task.start()
        bpy.app.timers.register(self.timer, first_interval=0.0, persistent=True)
        self._play(True)

    def stop(self):
        """Stop streaming; the frames already on their way still arrive and are recorded."""
        self.task.cancel()

    def tick(self):
        """Take what arrived, pose the rig with the newest frame; the next interval or None."""
        finished = False
        for kind, payload in self.task.drain():
            if kind == "ready":
                self.status = "live"
            elif kind == "message" and payload.get("type") == "frames":
                self.messages.append(payload)
            elif kind == "message" and payload.get("type") == "error":
                self.error = payload.get("detail", "the server ended the stream")
            elif kind == "error":
                self.error = payload[1]
            elif kind == "finished":
                finished = True
        try:
            self._pose_newest()
            if finished:
                self._finish()
        except TalkrigError as exc:
            self.error = str(exc)
            self.task.cancel()
            self._finish(record=False)
        return None if self.over else 1.0 / self.fps

    def _pose_newest(self):
        n = sum(len(m["times"]) for m in self.messages)
        if n == self.applied:
            return
        motion = received_motion(self.messages, [(0, 0), (-1, -1)])  # the first frame is the root's origin
        obj = bpy.data.objects.get(self.obj_name)
        if obj is None:
            raise TalkrigError(f"armature {self.obj_name!r} was deleted during the live performance")
        apply_pose(obj, self._retarget(motion), -1)
        scene = bpy.data.scenes.get(self.scene_name)
        if scene is not None:
            apply_face_keys(obj, motion[1:], scene)
        self.applied = n

    def _retarget(self, motion):
        """Retargeted like a bake: with the first frame of the performance as the root's origin."""
        from ..motion.retarget import retarget

        return retarget(motion, None, plan=self.plan, settings=self.settings)

    def _finish(self, record=True):
        self.over = True
        self._play(False)
        frames = sum(len(m["times"]) for m in self.messages)
        if record and self.record and frames > 1 and not self.error:
            self._bake()
        self.status = self.error or (f"recorded {frames} frames as {self.action!r}" if self.action
                                     else f"streamed {frames} frames")
        runtime.show_progress(None)
        _redraw()

    def _bake(self):
        from .takes import bake_motion

        scene = bpy.data.scenes.get(self.scene_name)
        obj = bpy.data.objects.get(self.obj_name)
        if scene is None or obj is None:
            return
        name = f"{self.source.name} live seed {self.options['seed']}"
        result = bake_motion(scene, obj, received_motion(self.messages), name, self.frame_start, scene.talkrig)
        self.action = result.action.name
        self.face_actions = sorted(action.name for action in result.face.values())
        bpy.ops.ed.undo_push(message="talkrig live take")

    def _play(self, on):
        """Play the scene from the audio's start while streaming (interface only)."""
        if bpy.app.background:
            return
        scene = bpy.data.scenes.get(self.scene_name)
        window = bpy.context.window_manager.windows[0] if bpy.context.window_manager.windows else None
        if scene is None or window is None:
            return
        playing = bool(bpy.context.screen and bpy.context.screen.is_animation_playing)
        if on:
            scene.frame_current = int(self.frame_start)
        if on != playing:
            with bpy.context.temp_override(window=window):
                bpy.ops.screen.animation_play()


class _Microphone:
    """The live source when Live listens to the microphone."""

    name = "microphone"
    frame_start = None


MICROPHONE = _Microphone()


def live_source(settings, scene):
    """The panel's audio (an AudioSource) or MICROPHONE; TalkrigError saying what to fix."""
    from ..client.microphone import unavailable
    from .voiceover import resolve

    if settings.live_source != "MIC":
        return resolve(settings, scene)
    why = unavailable()
    if why:
        raise TalkrigError(f"Live from the microphone: {why} (in Blender's own Python: "
                           f"\"{sys.executable}\" -m pip install sounddevice), or choose Live From: Audio")
    return MICROPHONE


def read_pcm16(path):
    """16 kHz mono 16-bit PCM bytes of any sound Blender can read (AudioSourceError if none)."""
    from .voiceover import read_16k

    return read_16k(path).tobytes()


def apply_face_keys(armature_obj, motion, scene):
    """Set the shape keys a bake would key (blender/facekeys.py's mapping) on every mesh the
    armature deforms to ``motion``'s last frame (no keys)."""
    from ..blender.shapekeys import deformed_meshes, face_key_names

    for mesh in deformed_meshes(armature_obj, scene):
        blocks = mesh.data.shape_keys.key_blocks
        for name, values in shape_key_tracks(motion, face_key_names(mesh)).items():
            blocks[name].value = float(values[-1])


def apply_pose(obj, rig_motion, frame):
    """Put frame ``frame`` of a RigMotion on the armature's pose bones (no keys)."""
    from ..motion.retarget.conventions import quat_to_rotation_mode

    bones = obj.pose.bones
    for k, name in enumerate(rig_motion.bone_names):
        bone = bones.get(name)
        if bone is None:
            continue
        suffix, values = quat_to_rotation_mode(rig_motion.rotations[frame:][:1, k], bone.rotation_mode)
        setattr(bone, suffix, tuple(values[0]))
    for k, name in enumerate(rig_motion.location_bones):
        bone = bones.get(name)
        if bone is not None:
            bone.location = tuple(rig_motion.locations[frame, k])


def _redraw():
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()


def start(context):
    """Start a live performance from the panel's settings; TalkrigError saying what to fix."""
    global _session
    from ..blender.scene import scene_fps
    from . import preferences
    from .backend_options import current_backend, options_payload
    from .properties import target_armature
    from .request_options import face_options, keypose_option

    if running():
        raise TalkrigError("a live performance is already running: press Live again to stop it")
    scene = context.scene
    settings = scene.talkrig
    obj = target_armature(context)
    if obj is None:
        raise TalkrigError("no armature: select the character's armature before going live")
    source = live_source(settings, scene)
    options = {"backend": current_backend(settings), "fps": scene_fps(scene), "seed": int(settings.seed),
               "backend_options": options_payload(settings), **face_options(scene)}
    if settings.live_keyposes and keypose_option(settings) != "none":
        options["keyposes"] = keypose_option(settings)
    _session = LiveSession(scene, obj, source, options, preferences.connection(context), settings.live_record)
    _session.start()
    runtime.show_progress(f"talkrig: live on {obj.name} from {source.name}")
    return _session


class TALKRIG_OT_live(bpy.types.Operator):
    """Gesture live: stream the voice-over to the server and drive the rig while it plays
    (press again to stop)"""

    bl_idname = "talkrig.live"
    bl_label = "Live"

    def execute(self, context):
        if running():
            _session.stop()
            self.report({"INFO"}, "talkrig: stopping the live performance")
            return {"FINISHED"}
        try:
            session = start(context)
        except TalkrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"talkrig: live on {session.obj_name}")
        return {"FINISHED"}


def on_unregister():
    """Disabling the add-on ends a live performance (nothing is recorded)."""
    global _session
    if _session is not None:
        _session.task.cancel()
        if bpy.app.timers.is_registered(_session.timer):
            bpy.app.timers.unregister(_session.timer)
        _session = None


classes = (TALKRIG_OT_live,)
