"""One Blender session (the bpy module) with the per-platform extension, run as its own process
by test_extension_bundled.py: Blender's extension site-packages join sys.path for good once
wheels are installed, so they must not leak into the test process.

    python bundled_session.py SETTINGS_JSON

SETTINGS_JSON names: "home" (the private user folders), "python" (the stand-in for Blender's own
Python: the add-on starts the server with ``sys.executable``), "audio", "avatar", "install" (the
zip to install, or null to enable the extension installed by an earlier session) and "stop"
(press Stop Local Server at the end). Prints one JSON line of what arrived, with the seconds the install and the Generate (from the
button to the baked take, the server's start included) took.
"""

import json
import os
import sys
import time
from pathlib import Path


def main(settings):
    home = Path(settings["home"])
    os.environ["BLENDER_USER_RESOURCES"] = str(home / "blender")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "share")
    import bpy

    from support.addon_support import (PACKAGE, action_curves, draw_preferences, fcurve_keys, fresh_scene,
                               preferences, pump)

    started = time.monotonic()
    if settings["install"]:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        result = bpy.ops.extensions.package_install_files(
            filepath=settings["install"], repo="user_default", enable_on_install=True)
        assert result == {"FINISHED"}, result
    else:
        assert bpy.ops.preferences.addon_enable(module=PACKAGE) == {"FINISHED"}
    prefs = preferences(bpy)
    prefs.server_url = f"http://127.0.0.1:{settings['port']}"
    module = sys.modules[PACKAGE]
    installed = time.monotonic()
    assert prefs.python_path == ""  # nothing typed in: Blender's own Python runs the server
    sys.executable = settings["python"]  # the stand-in for Blender's own Python

    drawn = draw_preferences(bpy, prefs)
    prefs.python_path = str(home / "another" / "python")  # a Python of the user's choice wins
    chosen = module.addon.preferences.connection()
    prefs.python_path = ""
    bundled = module.addon.preferences.connection()

    arm = fresh_scene(bpy, settings["avatar"])
    mesh = next(o for o in bpy.context.scene.objects if o.type == "MESH" and o.parent == arm)
    for name in ("Basis", "jawOpen", "browInnerUp"):
        mesh.shape_key_add(name=name)
    scene = bpy.context.scene
    scene.talkrig.audio_source = "FILE"
    scene.talkrig.audio_file = settings["audio"]
    scene.talkrig.speech = "pocketsphinx"  # words recognised by the bundled model
    assert bpy.ops.talkrig.generate() == {"FINISHED"}
    pump(bpy, module, lambda: not module.addon.server_jobs.GENERATE.running(scene), timeout=300)
    generated = time.monotonic()
    job = scene.talkrig.job
    local = module.addon.server_state.local_server()
    body = action_curves(bpy.data.actions[job.action]) if job.action else {}
    face = mesh.data.shape_keys.animation_data
    face_keys = {}
    if face is not None and face.nla_tracks:
        curves = action_curves(face.nla_tracks[0].strips[0].action)
        face_keys = {path: fcurve_keys(fc)[:, 1].tolist() for (path, _), fc in curves.items()}
    report = {
        "state": job.state, "error": job.error, "words": job.words, "action": job.action,
        "body_curves": len(body),
        "body_keys": max((len(fc.keyframe_points) for fc in body.values()), default=0),
        "face_keys": face_keys, "url": prefs.server_url,
        "server_pid": local.pid if local else None,
        "site_packages": module.addon.preferences.bundled_site_packages(),
        "install_s": installed - started, "generate_s": generated - installed,
        "connection": [bundled.python, bundled.site_packages],
        "chosen_connection": [chosen.python, chosen.site_packages],
        "drawn_labels": [text for kind, text, _ in drawn if kind == "label"],
    }
    if settings.get("stop"):
        assert bpy.ops.talkrig.stop_server() == {"FINISHED"}
        report["stopped"] = not local.running
    print(json.dumps(report))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the support package
    main(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
