"""Helpers of the add-on tests: the built extension installed through Blender's own installer,
timer pumping for the headless bpy module, and the CC0 avatar in a fresh scene."""

import contextlib
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_extension", ROOT / "tools" / "build_extension.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_extension = _build_script()
PACKAGE = build_extension.PACKAGE


def install(bpy, output_dir):
    """Build the zip, install and enable it as a user would; returns the add-on's root module."""
    return build_extension.install(bpy, output_dir)


def uninstall(bpy):
    bpy.ops.preferences.addon_disable(module=PACKAGE)
    repos = [r.module for r in bpy.context.preferences.extensions.repos]
    bpy.ops.extensions.package_uninstall(repo_index=repos.index("user_default"), pkg_id="talkrig")


def preferences(bpy):
    return bpy.context.preferences.addons[PACKAGE].preferences


def pump(bpy, module, until, timeout=120.0, interval=0.05):
    """Run the add-on's timer the way Blender's event loop would, until ``until()`` is true.

    The bpy module has no event loop, so registered timers never fire by themselves: call the
    registered function, and unregister it when it returns None, as Blender does.
    """
    tick = module.addon.runtime.tick
    deadline = time.monotonic() + timeout
    while True:
        if bpy.app.timers.is_registered(tick) and tick() is None:
            bpy.app.timers.unregister(tick)
        if until():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the add-on did not get there within {timeout:g} s")
        time.sleep(interval)


def cancel_when_server_done(status_of):
    """(events, emit, cancelled) to run a worker job's target in the test's thread: ``emit``
    records the events; ``cancelled()`` turns True once ``status_of(job id)`` says the submitted
    job is done (Cancel pressed the moment the server finished)."""
    events = []

    def emit(kind, payload=None):
        events.append((kind, payload))

    def cancelled():
        ids = [payload for kind, payload in events if kind == "submitted"]
        return bool(ids) and status_of(ids[0])["state"] == "done"

    return events, emit, cancelled


@contextlib.contextmanager
def addon_with_server(root):
    """(bpy, the add-on's module) with a local server the add-on started on a free port; the
    server's token and data live in folders under ``root``."""
    import bpy
    import pytest

    from talkrig.client.server_process import free_port

    env = pytest.MonkeyPatch()
    env.setenv("XDG_CONFIG_HOME", str(root / "config"))
    env.setenv("XDG_DATA_HOME", str(root / "share"))
    module = install(bpy, root / "dist")
    prefs = preferences(bpy)
    prefs.python_path = sys.executable
    prefs.server_url = f"http://127.0.0.1:{free_port()}"
    fresh_scene(bpy)
    assert bpy.ops.talkrig.start_server() == {"FINISHED"}
    scene = bpy.context.scene
    pump(bpy, module, lambda: scene.talkrig.server_state not in ("", "starting")
         and scene.talkrig.backends_json)
    assert scene.talkrig.server_state == "ok", scene.talkrig.server_message
    try:
        yield bpy, module
    finally:
        local = module.addon.server_state.local_server()
        if local is not None:
            local.stop()
        uninstall(bpy)
        env.undo()


def fresh_scene(bpy, avatar=None):
    """An empty file (the add-on stays enabled), with the avatar imported and its armature
    active when ``avatar`` is given; returns the armature or None."""
    bpy.ops.wm.read_homefile(use_empty=True)
    if avatar is None:
        return None
    assert bpy.ops.import_scene.gltf(filepath=str(avatar)) == {"FINISHED"}
    arm = next(obj for obj in bpy.context.scene.objects if obj.type == "ARMATURE")
    bpy.context.view_layer.objects.active = arm
    return arm


def fcurve_keys(fcurve):
    """(K, 2) frame/value array of an F-Curve's keys."""
    import numpy as np

    co = np.empty(len(fcurve.keyframe_points) * 2, np.float32)
    fcurve.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def action_curves(action):
    """{(data_path, index): F-Curve} of a layered action's first channelbag."""
    bag = action.layers[0].strips[0].channelbag(action.slots[0])
    return {(fc.data_path, fc.array_index): fc for fc in bag.fcurves}


class FakeLayout:
    """Stands in for a UILayout (there is no UI headless) and checks what a draw function asks
    for: properties and operators that exist, icons Blender knows. ``log`` records the calls."""

    def __init__(self, bpy, log=None):
        self.bpy = bpy
        self.log = [] if log is None else log
        self.alert = False
        self.active = self.enabled = True
        self.scale_y = 1.0
        self.use_property_split = False
        icon = bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"]
        self.icons = set(icon.enum_items.keys())

    def _child(self, *args, **kwargs):
        child = FakeLayout.__new__(FakeLayout)
        child.__dict__.update(self.__dict__)
        return child

    row = column = box = split = _child

    def separator(self, **kwargs):
        pass

    def _icon(self, kwargs):
        assert kwargs.get("icon", "NONE") in self.icons, kwargs["icon"]

    def label(self, text="", **kwargs):
        self._icon(kwargs)
        self.log.append(("label", text, self.alert))

    def prop(self, data, name, **kwargs):
        self._icon(kwargs)
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name}"
        self.log.append(("prop", name, self.alert))

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        self._icon(kwargs)
        assert name in data.bl_rna.properties and search_name in search_data.bl_rna.properties
        self.log.append(("prop_search", name, self.alert))

    def operator(self, idname, **kwargs):
        self._icon(kwargs)
        group, name = idname.split(".")
        assert name in dir(getattr(self.bpy.ops, group)), idname
        self.log.append(("operator", idname, self.alert))
        return type("OperatorProperties", (), {})()

    def template_list(self, list_type, list_id, data, name, active_data, active_name, **kwargs):
        assert list_type in dir(self.bpy.types) and name in data.bl_rna.properties
        self.log.append(("template_list", list_type, self.alert))

    def progress(self, factor=0.0, type="BAR", text=""):
        assert 0.0 <= factor <= 1.0
        self.log.append(("progress", text, factor))


def draw_panels(bpy, module):
    """Draw every talkrig panel into FakeLayouts; returns the log of what was drawn."""
    log = []
    panel = module.addon.panel
    for cls in (panel.TALKRIG_PT_main, panel.TALKRIG_PT_backend, panel.TALKRIG_PT_keyposes,
                panel.TALKRIG_PT_rig, panel.TALKRIG_PT_bake, panel.TALKRIG_PT_capture_video,
                module.addon.face_ui.TALKRIG_PT_face):
        fake = type("FakePanel", (), {})()
        fake.layout = FakeLayout(bpy, log)
        cls.draw(fake, bpy.context)
    return log


def draw_preferences(bpy, prefs):
    """Draw the add-on's preferences into a FakeLayout; returns the log."""

    class Drawn:
        def __getattr__(self, name):
            return getattr(prefs, name)

    drawn = Drawn()
    drawn.layout = FakeLayout(bpy)
    type(prefs).draw(drawn, bpy.context)
    return drawn.layout.log
