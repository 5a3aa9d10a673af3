"""`talkrig bake-batch`: parallel workers, a corrupt clip that fails alone, a summary, and an
interrupted run that resumes without redoing finished clips or trusting half-written files."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.bake_support import cut_speech, glb_document

from talkrig.cli import main

pytestmark = pytest.mark.blender

CLIP_SECONDS = 3.0


@pytest.fixture(scope="module")
def speech_dir(tmp_path_factory):
    """Six short real speech clips and one corrupt 'wav'."""
    folder = tmp_path_factory.mktemp("clips")
    for k in range(6):
        cut_speech(folder / f"clip{k}.wav", CLIP_SECONDS, offset=1.0 + 3.5 * k)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(200))
    return folder


def glb_ok(path):
    try:
        glb_document(path)
        return True
    except (AssertionError, ValueError):
        return False


def test_batch_bakes_in_parallel_and_a_bad_clip_fails_alone(speech_dir, tmp_path, capsys):
    manifest = speech_dir / "batch.csv"
    manifest.write_text(
        "audio,transcript,seed,output\n"
        "clip0.wav,,1,\n"
        "clip1.wav,and here's some more words,2,second.fbx\n"
        "corrupt.wav,,0,\n"
        "clip2.wav,,3,third\n")
    out = tmp_path / "out"
    args = ["bake-batch", str(manifest), "--out", str(out), "--workers", "2", "--speech", "none"]
    assert main(args) == 1  # one clip failed
    summary = json.loads((out / "summary.json").read_text())
    status = {clip["name"]: clip for clip in summary["clips"]}
    assert summary["counts"] == {"done": 3, "skipped": 0, "failed": 1}
    assert [c["name"] for c in summary["clips"]] == ["clip0", "second", "corrupt", "third"]
    assert status["corrupt"]["status"] == "failed" and "corrupt.wav" in status["corrupt"]["error"]
    for name in ("clip0", "second", "third"):
        clip = status[name]
        assert clip["status"] == "done" and clip["error"] is None and clip["seconds"] > 0
        assert clip["frames"] == int(CLIP_SECONDS * 30)
    assert glb_ok(out / "clip0.glb") and glb_ok(out / "third.glb")
    assert (out / "second.fbx").read_bytes().startswith(b"Kaydara FBX Binary")
    assert sorted(p.name for p in out.iterdir()) == [
        "clip0.glb", "second.fbx", "summary.json", "third.glb"]
    assert "failed: corrupt" in capsys.readouterr().out

    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.*") if p.suffix != ".json"}
    assert main(args) == 1  # the corrupt clip is tried again and fails again
    again = json.loads((out / "summary.json").read_text())
    assert again["counts"] == {"done": 0, "skipped": 3, "failed": 1}
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.*") if p.suffix != ".json"}
    assert after == before  # finished clips are not baked again


def test_a_clip_whose_words_were_not_kept_says_so_in_the_summary(tmp_path, capsys):
    """A studio's batch of lines in several languages: a line recognised as English that does
    not sound like it keeps no words, and its row says why and what to give (the log alone
    scrolls away over thousands of lines)."""
    import soundfile

    from support import language_support as ls

    folder = tmp_path / "clips"
    folder.mkdir()
    soundfile.write(str(folder / "deutsch.wav"), ls.revoiced("de", 0).audio.samples, 16000)
    cut_speech(folder / "english.wav", 8.0, offset=1.0)
    manifest = folder / "batch.csv"
    manifest.write_text("audio,output\ndeutsch.wav,deutsch.npz\nenglish.wav,english.npz\n")
    out = tmp_path / "out"
    assert main(["bake-batch", str(manifest), "--out", str(out), "--workers", "1"]) == 0
    clips = {c["name"]: c for c in json.loads((out / "summary.json").read_text())["clips"]}
    assert clips["deutsch"]["status"] == clips["english"]["status"] == "done"
    assert len(clips["deutsch"]["notices"]) == 1
    assert "does not sound like English" in clips["deutsch"]["notices"][0]
    assert clips["english"]["notices"] == []
    assert "notice: deutsch: " in capsys.readouterr().out


def test_the_rig_flags_of_bake_go_on_every_clip(speech_dir, tmp_path):
    """`bake-batch` takes `bake`'s rig flags: a root bone the bundled avatar lacks fails the
    clip with the retargeter's reason; the armature object carries the travel when asked."""
    manifest = speech_dir / "rig.csv"
    manifest.write_text("audio,output\nclip0.wav,take\n")
    out = tmp_path / "out"
    batch = ["bake-batch", str(manifest), "--out", str(out), "--workers", "1", "--speech", "none",
             "--quiet"]
    assert main(batch + ["--root-target", "root"]) == 1
    clip = json.loads((out / "summary.json").read_text())["clips"][0]
    assert clip["status"] == "failed" and "no bone above its pelvis bone 'spine'" in clip["error"]
    assert main(batch + ["--root-target", "object", "--constrained", "deform",
                         "--no-plant-feet"]) == 0
    document = glb_document(out / "take.glb")
    joints = {j for skin in document["skins"] for j in skin["joints"]}
    moved = [(document["nodes"][c["target"]["node"]]["name"], c["target"]["path"])
             for animation in document["animations"] for c in animation["channels"]
             if c["target"]["node"] not in joints]
    assert moved == [("metarig", "translation")]  # the armature object, not a bone


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_interrupted_batch_resumes(speech_dir, tmp_path):
    manifest = speech_dir / "batch.jsonl"
    manifest.write_text("".join(json.dumps({"audio": f"clip{k}.wav", "seed": k}) + "\n"
                                for k in range(6)))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "talkrig", "bake-batch", str(manifest), "--out", str(out),
               "--workers", "1", "--speech", "none", "--quiet"]
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not finished_outputs(out) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        workers = worker_pids(run.pid)
        os.killpg(run.pid, signal.SIGKILL)  # the whole run, workers included, mid-clip
        run.wait()
        for pid in workers:  # until they are gone, so no file can still appear
            while dead_or_gone(pid) is False:
                time.sleep(0.01)
    finished = finished_outputs(out)
    assert 1 <= len(finished) < 6, "the run should have been stopped part way"
    assert all(glb_ok(p) for p in finished)  # a file under its final name is complete
    assert not (out / "summary.json").exists()
    stale = out / f".clip5.partial-{run.pid}.glb"  # what a killed export leaves behind
    stale.write_bytes(b"glTF half a file")

    assert main(["bake-batch", str(manifest), "--out", str(out), "--workers", "1",
                 "--speech", "none", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"done": 6 - len(finished), "skipped": len(finished),
                                 "failed": 0}, summary
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"clip{k}.glb" for k in range(6)] + ["summary.json"])  # stale temporaries removed
    assert all(glb_ok(out / f"clip{k}.glb") for k in range(6))


def finished_outputs(folder):
    """GLBs under their final names (pathlib's * also matches the hidden .NAME.partial-PID.glb
    temporaries, which are not outputs)."""
    return sorted(p for p in folder.glob("*.glb") if not p.name.startswith("."))


def dead_or_gone(pid):
    """True once a process has exited (gone, or a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def worker_pids(pid):
    """Process ids of the batch's worker processes (children started by multiprocessing)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except FileNotFoundError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_crashing_worker_fails_only_its_clip(speech_dir, tmp_path):
    long_clip = cut_speech(tmp_path / "long.wav", 15.0)
    manifest = tmp_path / "crash.jsonl"
    manifest.write_text("".join(json.dumps({"audio": str(audio)}) + "\n" for audio in (
        speech_dir / "clip0.wav", long_clip, speech_dir / "clip2.wav")))
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "talkrig", "bake-batch", str(manifest),
                            "--out", str(out), "--workers", "1", "--speech", "none", "--quiet"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / "clip0.glb").exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # clip0 is reported; the long clip takes seconds
    victims = worker_pids(run.pid)
    assert len(victims) == 1
    os.kill(victims[0], signal.SIGKILL)  # the worker dies while baking the long clip
    assert run.wait(timeout=120) == 1
    clips = json.loads((out / "summary.json").read_text())["clips"]
    assert [c["status"] for c in clips] == ["done", "failed", "done"]
    assert "worker process died" in clips[1]["error"], clips[1]
    assert glb_ok(out / "clip0.glb") and glb_ok(out / "clip2.glb")
    assert not (out / "long.glb").exists()


def test_a_cluster_lost_mid_run_ends_in_one_line_and_a_summary(speech_dir, tmp_path, capsys, monkeypatch):
    pytest.importorskip("ray")
    from talkrig.exporters import ray_engine
    from talkrig.exporters.errors import BakeError

    def head_dies_after_one(self, tasks, work, shared, died, warm_up=None):
        first = next(iter(tasks))
        yield died(first, 1.5, "the worker process died")
        raise BakeError("the Ray cluster's head at 127.0.0.1:6379 stopped answering in the middle of the run")

    monkeypatch.setattr(ray_engine.RayEngine, "run", head_dies_after_one)
    manifest = speech_dir / "lost.csv"
    manifest.write_text("audio\nclip0.wav\nclip1.wav\nclip2.wav\n")
    out = tmp_path / "out"
    code = main(["bake-batch", str(manifest), "--out", str(out), "--engine", "ray", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("talkrig bake-batch: error:")
    assert "stopped answering" in err[0] and str((out / "summary.json").resolve()) in err[0]
    summary = json.loads((out / "summary.json").read_text())
    assert "stopped answering" in summary["stopped"]
    assert [c["name"] for c in summary["clips"]] == ["clip0"]
    assert summary["not_baked"] == ["clip1", "clip2"]
    assert "0 clip(s) baked before that and the 2 not baked are listed in" in err[0]
