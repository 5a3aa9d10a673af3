"""Person videos with a known truth (benchmarks/person_videos.py): the speech of test videos is
never heard in training, and a person dressed and filmed from an angle is where its truth says."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import person_videos  # noqa: E402
from support.shared_data import shared_file  # noqa: E402
from talkrig.motion.container import Motion  # noqa: E402
from talkrig.motion.skeleton import JOINT_INDEX  # noqa: E402


def test_train_and_test_speech_never_share_a_phrase(monkeypatch):
    corpus = shared_file("speech_mfa", "acoustic_corpus.wav")  # the real sample the videos speak
    monkeypatch.setattr(person_videos, "SPEECH", corpus.with_suffix(""))
    train, test = person_videos.phrases("train"), person_videos.phrases("test")
    assert len(train) >= 4 and len(test) >= 4
    assert max(end for _, end in train) <= person_videos.SPLIT_SECONDS
    assert min(start for start, _ in test) >= person_videos.SPLIT_SECONDS
    a = person_videos.speech("test", 3.0, seed=1)
    b = person_videos.speech("test", 3.0, seed=2)
    assert len(a) == len(b) == 3 * person_videos.RATE
    assert np.abs(a).max() > 0.05 and not np.allclose(a, b)


def test_every_video_has_its_own_name_and_each_person_a_train_and_a_test_video():
    shots = person_videos.plan()
    names = [s.name for s in shots]
    assert len(set(names)) == len(names)
    for person in person_videos.PERSONS:
        splits = {s.split for s in shots if s.person is person}
        assert splits == {"train", "test"}
    assert any(s.view[0] and s.view[1] for s in shots)


def test_straighter_lifter_videos_unbend_elbows_and_touch_nothing_else():
    plain = person_videos.lifter_plan(40)
    straighter = person_videos.lifter_plan(40, straighter=True)
    steep = person_videos.steep_lifter_plan(6)
    names = {s.name for s in plain + straighter + steep}
    assert len(names) == 86  # seeds drawing one view twice still make two videos
    assert len({s.seed for s in plain + straighter + steep}) == 86
    assert all(s.view[1] >= 22 for s in steep)
    assert [s.name for s in person_videos.lifter_plan(20)] == [s.name for s in plain[:20]]
    rng = np.random.default_rng(0)
    n = 300
    poses = rng.normal(0.0, 0.3, (n, 55, 3)).astype(np.float32)
    m = Motion(poses=poses, trans=np.zeros((n, 3), np.float32), fps=30.0,
               betas=np.zeros(300, np.float32), expressions=np.zeros((n, 100), np.float32),
               gender="neutral")
    out = person_videos.straighten_elbows(m, seed=3)
    elbows = [JOINT_INDEX["left_elbow"], JOINT_INDEX["right_elbow"]]
    others = [j for j in range(55) if j not in elbows]
    np.testing.assert_array_equal(out.poses[:, others], poses[:, others])
    np.testing.assert_array_equal(m.poses, poses)  # the take given is not changed
    before, after = (np.linalg.norm(p[:, elbows], axis=-1) for p in (poses, out.poses))
    share = after / before
    assert np.all(share <= 1.0 + 1e-6) and np.all(share >= 0.1 - 1e-6)
    assert (share < 0.5).mean() > 0.15 and (share > 0.99).mean() > 0.15
    cos = np.sum(out.poses[:, elbows] * poses[:, elbows], axis=-1) / (before * after)
    assert np.all(cos > 0.9999)  # the same axis: only less bend


def test_the_lifters_people_of_other_builds_are_never_the_held_out_people():
    """The builds set widens what the lifter learns from (heavier and slimmer bodies, long
    sleeves, loose tops) without taking a held-out person, look or name."""
    builds = person_videos.builds_lifter_plan(12)
    wide = person_videos.builds_lifter_plan(8, lens=60.0)
    others = (person_videos.lifter_plan(40) + person_videos.lifter_plan(40, straighter=True)
              + person_videos.steep_lifter_plan(6))
    names = [s.name for s in builds + wide + others]
    assert len(set(names)) == len(names) and len({s.seed for s in builds + wide + others}) == 106
    assert {s.lens for s in wide} == {60.0} and {s.lens for s in builds} == {30.0}
    held = {p.name for p in person_videos.HELD_OUT_PERSONS}
    people = {s.person.name for s in builds + wide}
    assert people == {p.name for p in person_videos.LIFTER_BUILDS} and not people & held
    looks = [p.look for p in person_videos.LIFTER_BUILDS]
    assert min(k.get("girth", 0) for k in looks) < 0 < max(k.get("girth", 0) for k in looks)
    assert any(k.get("sleeves") == "long" for k in looks) and any(k.get("loose") for k in looks)
    for person in person_videos.LIFTER_BUILDS:  # each both straighter and not
        assert {s.straighter for s in builds if s.person is person} == {True, False}


def test_the_views_from_a_monitor_are_near_the_front_and_above_and_new_videos():
    """The desk set fills the view the lifter read worst (near the front, from above) with new
    videos of the lifter's own people: no held-out person, no other set's name or seed."""
    desk = person_videos.desk_lifter_plan(12)
    assert all(abs(s.view[0]) <= 15 and 12 <= s.view[1] <= 28 for s in desk)
    others = (person_videos.lifter_plan(40) + person_videos.lifter_plan(40, straighter=True)
              + person_videos.steep_lifter_plan(6) + person_videos.builds_lifter_plan(12)
              + person_videos.builds_lifter_plan(8, lens=60.0) + person_videos.scans_lifter_plan(18)
              + person_videos.scans_lifter_plan(8, lens=60.0) + person_videos.plan()
              + person_videos.more_capture_plan())
    assert not {s.name for s in desk} & {s.name for s in others}
    assert not {s.seed for s in desk} & {s.seed for s in others}
    lifters = person_videos.PERSONS + person_videos.LIFTER_PERSONS + person_videos.LIFTER_BUILDS
    assert {s.person.name for s in desk} == {p.name for p in lifters}
    held = person_videos.HELD_OUT_PERSONS + person_videos.SCANNED_PERSONS
    assert not {s.person.name for s in desk} & {p.name for p in held}
    assert [s.straighter for s in desk] == [k % 2 == 1 for k in range(12)]


@pytest.mark.parametrize("flags", [["--steep"], ["--lifter", "3", "--steep", "--straighter"],
                                   ["--lifter", "3", "--builds", "--steep"],
                                   ["--lifter", "3", "--lens", "60"], ["--held-out", "--scanned"],
                                   ["--scans"], ["--lifter", "3", "--builds", "--scans"],
                                   ["--desk"], ["--lifter", "3", "--desk", "--steep"]])
def test_a_lifter_set_asked_for_wrongly_is_refused_in_one_line(flags, tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "person_videos.py"),
                          "--work", str(tmp_path), "--list", *flags],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert flags[-2 if flags[-1] == "60" else -1] in run.stderr.splitlines()[-1]  # the flag named
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def filmed(tmp_path_factory):
    """Six frames of a red-shirted person filmed from 30 degrees to their left and 20 degrees
    above through a phone's 55-degree lens (a child process: loading the avatar resets
    Blender's session)."""
    out = tmp_path_factory.mktemp("person") / "side.mp4"
    script = textwrap.dedent(f"""
        import numpy as np
        from talkrig.motion.container import Motion
        from talkrig.scenes.character_video import render_character_video
        n = 6
        m = Motion(poses=np.zeros((n, 55, 3), np.float32), trans=np.zeros((n, 3), np.float32),
                   fps=30.0, betas=np.zeros(300, np.float32),
                   expressions=np.zeros((n, 100), np.float32), gender="neutral")
        look = {{"colours": {{"shirt": (0.8, 0.02, 0.02)}}, "hair": False}}
        render_character_video(m, None, {str(out)!r}, size=(320, 180), look=look,
                               view=(30.0, 20.0), background=(0.0, 0.3, 0.0), scale=1.1,
                               fov=np.radians(55.0))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=600)
    return out


def test_the_camera_looks_from_the_side_and_above_as_asked(filmed):
    from talkrig.motion.camera import Camera

    cam = Camera.load(filmed.with_name(filmed.stem + ".camera.json"))
    motion_from_camera = np.linalg.inv(cam.world_from_motion) @ cam.world_from_camera
    back = motion_from_camera[:3, 2] / np.linalg.norm(motion_from_camera[:3, 2])  # towards the lens
    # The take's frame: x the person's left, y up, z forward.
    assert np.degrees(np.arcsin(back[1])) == pytest.approx(20.0, abs=1.0)
    assert np.degrees(np.arctan2(back[0], back[2])) == pytest.approx(30.0, abs=1.0)
    assert np.degrees(2 * np.arctan(cam.height / 2 / cam.focal)) == pytest.approx(55.0)


def test_the_truth_lands_on_the_dressed_person(filmed):
    from talkrig.inference.capture.video import iter_frames
    from talkrig.motion.camera import Camera
    from talkrig.motion.container import Motion
    from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

    cam = Camera.load(filmed.with_name(filmed.stem + ".camera.json"))
    still = Motion(poses=np.zeros((1, 55, 3), np.float32), trans=np.zeros((1, 3), np.float32),
                   fps=30.0, betas=np.zeros(300, np.float32),
                   expressions=np.zeros((1, 100), np.float32), gender="neutral")
    pixels = cam.project(neutral_skeleton().joint_positions(still))[0][0]
    rgb = next(iter(iter_frames(filmed, 30.0)))[2].astype(int)
    x, y = pixels[J["spine3"]].round().astype(int)
    r, g, b = rgb[y, x]
    assert r > 2 * g and r > 2 * b  # the red shirt, not the green background
    r0, g0, b0 = rgb[5, 5]
    assert g0 > 2 * r0  # the background asked for


def test_the_held_out_people_are_in_no_video_a_choice_was_made_on():
    held = {p.name for p in person_videos.HELD_OUT_PERSONS}
    chosen_on = {p.name for p in person_videos.PERSONS + person_videos.LIFTER_PERSONS}
    assert len(held) == 3 and not held & chosen_on
    others = (person_videos.plan() + person_videos.more_capture_plan() + person_videos.lifter_plan(40)
              + person_videos.lifter_plan(40, straighter=True) + person_videos.steep_lifter_plan(6))
    assert not held & {s.person.name for s in others}
    shots = person_videos.held_out_plan()
    for name in held:
        views = [s.view for s in shots if s.person.name == name]
        assert (0.0, 0.0) in views and len(set(views)) == 3  # the front and two others
        assert all(abs(yaw) <= 40 and 0 <= pitch <= 25 for yaw, pitch in views)
    assert len({s.name for s in shots}) == len(shots) and all(s.split == "test" for s in shots)
    wide, upright = person_videos.held_out_wide_plan(), person_videos.held_out_portrait_plan()
    assert {s.person.name for s in wide} == {s.person.name for s in upright} == held
    assert all(s.lens == 60.0 for s in wide) and all(s.size == (720, 1280) for s in upright)
    names = [s.name for s in shots + wide + upright]
    assert len(set(names)) == len(names)


def test_a_heavier_build_and_long_sleeves_change_the_body_not_the_hands_or_head():
    # A child process: loading the avatar resets Blender's session.
    script = textwrap.dedent("""
        import json
        import numpy as np
        from talkrig.exporters.animate import animate
        from talkrig.exporters.scene import load_avatar
        from talkrig.motion.container import Motion
        from talkrig.scenes import character
        n = 2
        m = Motion(poses=np.zeros((n, 55, 3), np.float32), trans=np.zeros((n, 3), np.float32),
                   fps=30.0, betas=np.zeros(300, np.float32),
                   expressions=np.zeros((n, 100), np.float32), gender="neutral")
        out = {}
        for name, look in (("plain", {}), ("heavy", {"girth": 0.05, "loose": 0.02, "sleeves": "long"})):
            avatar = load_avatar(None)
            animation = animate(avatar, m, name="t")
            mesh = next(x for x in avatar.meshes if x.type == "MESH")
            before = np.array([v.co[:] for v in mesh.data.vertices])
            character.dress(avatar, animation, m, look)
            after = np.array([v.co[:] for v in mesh.data.vertices])
            joints = character._joints_of_bones(avatar.armature, animation.bone_map)
            group = [joints.get(mesh.vertex_groups[max(v.groups, key=lambda g: g.weight).group].name)
                     if v.groups else None for v in mesh.data.vertices]
            moved = np.linalg.norm(after - before, axis=1)
            pick = lambda names: [k for k, j in enumerate(group) if j in names]
            shirt = [s.material.name for s in mesh.material_slots].index("talkrig shirt")
            forearm = {p.index for p in mesh.data.polygons
                       if group[p.vertices[0]] in ("left_elbow", "right_elbow")}
            out[name] = {"trunk": float(np.median(moved[pick({"spine2", "spine3"})])),
                         "hands_head": [float(f(moved[pick({"left_wrist", "right_wrist", "head"})]))
                                        for f in (np.median, np.max)],
                         "forearm_shirt": sum(mesh.data.polygons[i].material_index == shirt for i in forearm)}
        print(json.dumps(out))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["plain"]["trunk"] == 0.0 and out["plain"]["forearm_shirt"] == 0
    assert out["heavy"]["trunk"] == pytest.approx(0.07, abs=0.01)  # girth and the loose shirt
    assert out["heavy"]["hands_head"][0] < 1e-6  # the hands and head keep their size...
    assert out["heavy"]["hands_head"][1] < 0.012  # ...all but the seams with the arms and neck
    assert out["heavy"]["forearm_shirt"] > 10


def test_the_people_with_scanned_heads_are_in_no_video_a_choice_was_made_on():
    scanned = {p.name for p in person_videos.SCANNED_PERSONS}
    others = {p.name for p in person_videos.PERSONS + person_videos.LIFTER_PERSONS
              + person_videos.LIFTER_BUILDS + person_videos.HELD_OUT_PERSONS}
    assert len(scanned) == 3 and not scanned & others
    assert all("scan" in p.look for p in person_videos.SCANNED_PERSONS)
    assert not any("scan" in p.look for p in person_videos.PERSONS + person_videos.LIFTER_PERSONS
                   + person_videos.LIFTER_BUILDS)  # the lifter never saw such a face
    shots = person_videos.scanned_plan()
    for name in scanned:
        views = [s.view for s in shots if s.person.name == name]
        assert (0.0, 0.0) in views and len(set(views)) == 3
        assert all(abs(yaw) <= 40 and 0 <= pitch <= 25 for yaw, pitch in views)
    phone = person_videos.scanned_phone_plan()
    assert {s.person.name for s in phone} == scanned and {s.lens for s in phone} == {60.0, 69.0}
    seeds = {s.seed for s in shots + phone}
    others = (person_videos.plan() + person_videos.held_out_plan() + person_videos.lifter_plan(40)
              + person_videos.builds_lifter_plan(12) + person_videos.more_capture_plan()
              + person_videos.held_out_wide_plan() + person_videos.held_out_portrait_plan()
              + person_videos.scanned_choice_plan())
    assert len(seeds) == len(shots + phone) and not seeds & {s.seed for s in others}
    assert len({s.name for s in shots + phone}) == len(shots + phone)


def test_the_lifters_people_with_scanned_heads_wear_identities_of_their_own():
    """The scans set gives the lifter people with a person's face: all nine of its people, each
    video another identity, none of them a held-out person's, on seeds no other video has."""
    scans = person_videos.scans_lifter_plan(18) + person_videos.scans_lifter_plan(8, lens=60.0)
    lifters = person_videos.PERSONS + person_videos.LIFTER_PERSONS + person_videos.LIFTER_BUILDS
    assert {s.person.name for s in scans} == {f"{p.name}s" for p in lifters}
    identities = [tuple(s.person.look["scan"]) for s in scans]
    held = {tuple(p.look["scan"]) for p in person_videos.SCANNED_PERSONS}
    assert len(set(identities)) == len(scans) and not set(identities) & held
    assert {s.straighter for s in scans} == {True, False} and {s.lens for s in scans} == {30.0, 60.0}
    others = (person_videos.plan() + person_videos.held_out_plan() + person_videos.lifter_plan(40)
              + person_videos.lifter_plan(40, straighter=True) + person_videos.steep_lifter_plan(6)
              + person_videos.builds_lifter_plan(12) + person_videos.builds_lifter_plan(8, lens=60.0)
              + person_videos.scanned_plan() + person_videos.scanned_phone_plan()
              + person_videos.scanned_choice_plan() + person_videos.more_capture_plan())
    assert len({s.seed for s in scans}) == len(scans) and not {s.seed for s in scans} & {
        s.seed for s in others}
    assert not {s.name for s in scans} & {s.name for s in others}


def test_a_scanned_head_is_filmed_whole_from_above(tmp_path):
    """The camera frames the scanned head, which stands above the avatar's own head: filmed
    from 25 degrees above, where the top of the head comes nearest the frame's edge, every pixel
    of the top rows is background and the head is seen just under them."""
    out = tmp_path / "above.mp4"
    script = textwrap.dedent(f"""
        import numpy as np
        from talkrig.motion.container import Motion
        from talkrig.scenes.character_video import render_character_video
        n = 2
        m = Motion(poses=np.zeros((n, 55, 3), np.float32), trans=np.zeros((n, 3), np.float32),
                   fps=30.0, betas=np.zeros(300, np.float32),
                   expressions=np.zeros((n, 100), np.float32), gender="neutral")
        render_character_video(m, None, {str(out)!r}, size=(320, 180), look={{"scan": [0.0]}},
                               view=(0.0, 25.0), background=(0.0, 0.3, 0.0))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=600)
    from talkrig.inference.capture.video import iter_frames

    rgb = next(iter(iter_frames(out, 30.0)))[2].astype(int)
    person = (rgb[..., 0] > rgb[..., 1]) | (rgb[..., 2] > rgb[..., 1])  # not the green
    rows = np.flatnonzero(person.any(axis=1))
    assert not person[:4].any()  # nothing of the head at the frame's edge
    assert rows[0] < 0.12 * rgb.shape[0]  # the head's top just under it (framed, not shrunk)


def test_a_scanned_head_takes_the_avatars_place_and_speaks():
    """The scanned head replaces the avatar's: on its head bone, the size of the head it
    replaces, its identity weights giving another face, its jaw opening with the take's."""
    script = textwrap.dedent("""
        import json
        import numpy as np
        from talkrig.exporters.animate import animate
        from talkrig.exporters.scene import load_avatar
        from talkrig.motion.container import Motion
        from talkrig.scenes import character
        n = 3
        poses = np.zeros((n, 55, 3), np.float32)
        poses[2, 22, 0] = 0.35  # the jaw open on the last frame
        m = Motion(poses=poses, trans=np.zeros((n, 3), np.float32), fps=30.0,
                   betas=np.zeros(300, np.float32), expressions=np.zeros((n, 100), np.float32),
                   gender="neutral")
        out = {}
        for name, look in (("mean", {"scan": [0.0], "hair": False}), ("other", {"scan": [1.5, -1.5, 1.0]})):
            avatar = load_avatar(None)
            animation = animate(avatar, m, name="t")
            mesh = next(x for x in avatar.meshes if x.type == "MESH")
            faces_before = len(mesh.data.polygons)
            arm = avatar.armature
            bone = animation.bone_map.bones["head"]
            arm.data.pose_position = "REST"
            import bpy
            bpy.context.view_layer.update()
            box = character._head_box(avatar, arm, bone, animation)
            arm.data.pose_position = "POSE"
            bpy.context.view_layer.update()
            [head] = character.dress(avatar, animation, m, look)
            key = head.data.shape_keys.key_blocks["jawOpen"]
            values = []
            for f in range(animation.frame_start, animation.frame_start + n):
                bpy.context.scene.frame_set(f)
                values.append(key.value)
            bpy.context.scene.frame_set(animation.frame_start)
            arm.data.pose_position = "REST"
            bpy.context.view_layer.update()
            co = np.array([head.matrix_world @ v.co for v in head.data.vertices])
            local = (co - box.centre) @ np.column_stack([box.right, box.up, box.forward])
            out[name] = {"parent": [head.parent_type, head.parent_bone == bone],
                         "faces_removed": faces_before - len(mesh.data.polygons),
                         "extent": (local.max(axis=0) - local.min(axis=0)).tolist(),
                         "half": [float(h) for h in box.half], "jaw": values,
                         "materials": sorted({s.material.name for s in head.material_slots}),
                         "co": co[::50].tolist()}
        print(json.dumps(out))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    mean, other = out["mean"], out["other"]
    assert mean["parent"] == ["BONE", True] and mean["faces_removed"] > 100
    width, height, depth = mean["extent"]
    half = mean["half"]
    assert 1.6 * half[0] < width < 2.4 * half[0]  # the ears' breadth about the head's own
    assert 1.7 * half[1] < height < 2.2 * half[1]
    assert mean["jaw"][0] < 0.01 < 0.5 < mean["jaw"][2]  # closed, then open with the jaw
    assert "talkrig lips" in mean["materials"] and "talkrig iris" in mean["materials"]
    moved = np.linalg.norm(np.subtract(other["co"], mean["co"]), axis=1)
    assert np.median(moved) > 0.002  # another person's face
