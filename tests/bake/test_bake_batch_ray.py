"""`talkrig bake-batch --engine ray` on a real Ray cluster: a head and a second node started with
`ray start` on loopback. The batch spreads over both nodes, survives a worker killed mid-clip
(its clip is retried), resumes without baking anything again, and with --collect the files
come back to a driver connected as a Ray client (ray://)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support.shared_data import shared_file
from support.ray_cluster import RayCluster, descendants, listening_addresses, process_title
from test_bake_batch import glb_ok

pytest.importorskip("ray")
pytestmark = [pytest.mark.blender, pytest.mark.slow]

CLIP_SECONDS = 2.5
TASK_TITLE = "ray::bake_task"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two simulated nodes of one CPU each; their temporary folder is the workers' TMPDIR."""
    tmp = tmp_path_factory.mktemp("node-tmp")
    with RayCluster(nodes=2, cpus=1, env={"TMPDIR": str(tmp)}) as running:
        running.tmp = tmp
        yield running


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Short real recordings cut from the shared speech at run time, and a corrupt one."""
    import soundfile

    folder = tmp_path_factory.mktemp("speech")
    sources = [shared_file("beat2_scott_train", "2_scott_0_2_2.wav"),
               shared_file("speech_mfa", "acoustic_corpus.wav")]
    for k in range(6):
        samples, rate = soundfile.read(str(sources[k % 2]), dtype="float32")
        start = int((2.0 + 3.5 * k) * rate)
        soundfile.write(str(folder / f"line{k}.wav"),
                        samples[start:start + int(CLIP_SECONDS * rate)], rate)
    (folder / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(200))
    return folder


def bake_batch(*args):
    return [sys.executable, "-m", "talkrig", "bake-batch", *map(str, args), "--speech", "none",
            "--quiet"]


def valid(path):
    if path.suffix == ".fbx":
        return path.read_bytes().startswith(b"Kaydara FBX Binary")
    return glb_ok(path)


def test_a_cluster_bakes_through_a_killed_worker_and_resumes(cluster, clips, tmp_path):
    manifest = clips / "cluster.jsonl"
    manifest.write_text("".join(json.dumps({"audio": f"line{k}.wav", "seed": k,
                                            "output": f"line{k}" + (".fbx" if k == 3 else "")})
                                + "\n" for k in range(6)))
    out = tmp_path / "out"
    command = bake_batch(manifest, "--out", out, "--engine", "ray", "--address", cluster.address)
    log = tmp_path / "stderr.txt"
    with open(log, "wb") as stderr:
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    busy_on = set()  # nodes seen baking
    killed = None
    deadline = time.monotonic() + 300
    try:
        while run.poll() is None and time.monotonic() < deadline:
            busy = {k: [pid for pid in cluster.processes(k) if process_title(pid) == TASK_TITLE]
                    for k in range(2)}
            busy_on |= {k for k, pids in busy.items() if pids}
            if killed is None and outputs(out) and any(busy.values()):
                # A clip is baked and another is under way: its worker dies mid-clip.
                killed = next(pid for pids in busy.values() for pid in pids)
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.wait() == 0, log.read_text(errors="replace")[-3000:]
    assert killed is not None, "the batch ended before a worker could be killed"
    assert busy_on == {0, 1}, "both nodes should have baked clips"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"done": 6, "skipped": 0, "failed": 0}, summary["clips"]
    assert summary["engine"] == "ray" and summary["address"] == cluster.address
    assert [c["name"] for c in summary["clips"]] == [f"line{k}" for k in range(6)]
    assert all(c["frames"] == int(CLIP_SECONDS * 30) for c in summary["clips"])
    names = sorted(p.name for p in out.iterdir())  # no temporary of the killed worker is left
    assert names == sorted([f"line{k}.glb" for k in (0, 1, 2, 4, 5)] + ["line3.fbx",
                                                                         "summary.json"])
    assert all(valid(out / name) for name in names if name != "summary.json")

    before = {p.name: p.stat().st_mtime_ns for p in outputs(out)}
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"done": 0, "skipped": 6, "failed": 0}
    assert {p.name: p.stat().st_mtime_ns for p in outputs(out)} == before


def test_collect_brings_the_files_back_and_a_bad_clip_fails_alone(cluster, clips, tmp_path):
    manifest = clips / "collect.csv"
    manifest.write_text("audio,output\nline0.wav,talk.gltf\ncorrupt.wav,\nline1.wav,\n")
    out = tmp_path / "collected"
    seen_private = set()
    log = tmp_path / "stderr.txt"
    client = f"ray://127.0.0.1:{cluster.client_port}"  # a driver outside the cluster
    with open(log, "wb") as stderr:
        run = subprocess.Popen(bake_batch(manifest, "--out", out, "--engine", "ray", "--address",
                                          client, "--collect"),
                               stdout=subprocess.DEVNULL, stderr=stderr)
    while run.poll() is None:  # the nodes bake in private folders of their own TMPDIR
        seen_private |= {p.name for p in cluster.tmp.glob("talkrig-collect-*")}
        time.sleep(0.05)
    assert run.wait() == 1, (log.read_text(errors="replace")[-3000:]  # one clip failed
                             + cluster.log_tails())
    assert seen_private, "the clips should have been baked in the nodes' own folders"
    assert not list(cluster.tmp.glob("talkrig-collect-*"))  # and those are removed
    summary = json.loads((out / "summary.json").read_text())
    status = {c["name"]: c for c in summary["clips"]}
    assert summary["counts"] == {"done": 2, "skipped": 0, "failed": 1}
    assert summary["address"] == client
    assert "corrupt.wav" in status["corrupt"]["error"]
    assert status["talk"]["output"] == str(out / "talk.gltf")
    assert sorted(p.name for p in out.iterdir()) == [
        "line1.glb", "summary.json", "talk.bin", "talk.gltf"]
    gltf = json.loads((out / "talk.gltf").read_text())
    assert [b["uri"] for b in gltf["buffers"]] == ["talk.bin"]
    assert (out / "talk.bin").stat().st_size == gltf["buffers"][0]["byteLength"]
    assert valid(out / "line1.glb")


def outputs(folder):
    """Finished outputs (not the hidden temporaries, which pathlib's * also matches)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and p.suffix in (".glb", ".fbx"))


def test_without_an_address_a_local_ray_starts_and_stops_with_the_run(clips, tmp_path):
    manifest = clips / "local.csv"
    manifest.write_text("audio,seed\nline4.wav,1\nline5.wav,2\n")
    out = tmp_path / "local"
    mark = f"talkrig-test-{os.getpid()}-{time.monotonic_ns()}"
    # Ray's session files and its token (~/.ray) go to a folder of the test, not /tmp/ray and
    # the user's home (a short path: Ray's unix sockets live there)
    private = Path(tempfile.mkdtemp(prefix="trray-", dir="/tmp"))
    try:
        run = subprocess.run(
            bake_batch(manifest, "--out", out, "--engine", "ray", "--workers", "1"),
            env=dict(os.environ, TALKRIG_TEST_RUN=mark, RAY_TMPDIR=str(private),
                     HOME=str(private)), capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert list(private.glob("ray/session_*"))
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"] == {"done": 2, "skipped": 0, "failed": 0}
        assert (summary["engine"], summary["address"], summary["workers"]) == ("ray", "local", 1)
        assert all(valid(out / f"line{k}.glb") for k in (4, 5))
        deadline = time.monotonic() + 30  # Ray's processes of the run end with it
        while processes_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not processes_marked(mark)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_local_run_keeps_every_ray_process_on_loopback():
    import ray

    from talkrig.exporters.ray_engine import RayEngine

    results = RayEngine(address=None, local_cpus=1).run(["a", "b"], os.path.join, "c", died=None)
    first = next(results)  # Ray runs now
    nodes = {node["NodeManagerAddress"] for node in ray.nodes()}
    driver = ray.util.get_node_ip_address()
    listening = listening_addresses([os.getpid(), *descendants(os.getpid())])
    rest = list(results)
    assert sorted([first, *rest]) == [os.path.join("a", "c"), os.path.join("b", "c")]
    assert nodes == {"127.0.0.1"} and driver == "127.0.0.1"
    assert listening and listening <= {"127.0.0.1", "::1"}, listening


def test_the_cluster_and_a_run_joining_it_stay_on_loopback(cluster):
    """The test cluster's nodes (started for 127.0.0.1) and a run addressing it as 127.0.0.1
    register 127.0.0.1 and listen on loopback only, never the machine's network address."""
    import ray

    from talkrig.exporters.ray_engine import RayEngine

    results = RayEngine(address=cluster.address).run(["a"], os.path.join, "c", died=None)
    first = next(results)  # the driver is connected
    nodes = [node["NodeManagerAddress"] for node in ray.nodes() if node["Alive"]]
    driver = ray.util.get_node_ip_address()
    listening = listening_addresses([os.getpid(), *cluster.processes()])
    assert first == os.path.join("a", "c") and not list(results)
    assert nodes == ["127.0.0.1", "127.0.0.1"] and driver == "127.0.0.1"
    assert listening and listening <= {"127.0.0.1", "::1"}, listening


def bake_and_kill_the_head(clips, tmp_path, command):
    """Bake six clips on a one-node cluster and kill -9 its GCS and raylet once two clips are
    written; returns the run's exit status, its stderr lines and its output folder. The slot
    bakes one clip at a time, so the first clip's result has reached the run by the time the
    second is written (killed at the first, the head once took that result with it under the
    whole suite's load, and the run rightly listed no clip as done)."""
    manifest = clips / "headless.csv"
    manifest.write_text("audio\n" + "".join(f"line{k}.wav\n" for k in range(6)))
    out = tmp_path / "out"
    log = tmp_path / "stderr.txt"
    with RayCluster(nodes=1, cpus=1) as head:
        with open(log, "wb") as stderr:
            run = subprocess.Popen(command(manifest, "--out", out, "--engine", "ray",
                                           "--address", head.address),
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        killed = []
        deadline = time.monotonic() + 300
        try:
            while run.poll() is None and time.monotonic() < deadline and not killed:
                if len(outputs(out)) >= 2:  # two clips baked, the next under way
                    killed = [pid for pid in head.processes(0)
                              if Path(process_title(pid)).name in ("gcs_server", "raylet")]
                    for pid in killed:
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
            code = run.wait(timeout=240)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    err = log.read_text(errors="replace").strip().splitlines()
    assert len(killed) == 2, f"the run ended before the head could be killed: {err[-20:]}"
    return code, err, out


def assert_stopped_in_one_line(code, err, out):
    assert code == 2 and len(err) == 1, (code, err[-30:])
    assert err[0].startswith("talkrig bake-batch: error:") and "stopped answering" in err[0]
    summary = json.loads((out / "summary.json").read_text())
    assert "stopped answering" in summary["stopped"]
    return summary


# bake-batch with the dead head found 65 s late, as on a machine loaded enough to be that slow,
# and a call only the GCS answers left waiting meanwhile (as the slots' question can be)
SLOW_TO_FIND = """
import sys, threading, time
from talkrig.exporters import ray_engine
check = ray_engine.RayEngine._check_head
def slow(self):
    try:
        check(self)
    except Exception:
        import ray
        threading.Thread(target=ray.cluster_resources, daemon=True).start()
        time.sleep(65)
        raise
ray_engine.RayEngine._check_head = slow
from talkrig.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_head_killed_mid_run_ends_it_in_one_line_and_a_summary(clips, tmp_path):
    """kill -9 of the head's GCS and raylet while clips bake: the run ends by itself with one
    line and a non-zero status, and its summary lists the clips baked before. The run finds the
    dead head 65 s late, as on a loaded machine: Ray ends a driver that has not reached its GCS
    for a minute, with status 1 and no word past its native log, and the run must still end
    with its one line, its status 2 and its summary."""
    def slow_bake_batch(*args):
        return [sys.executable, "-c", SLOW_TO_FIND, *bake_batch(*args)[3:]]

    summary = assert_stopped_in_one_line(*bake_and_kill_the_head(clips, tmp_path, slow_bake_batch))
    out = tmp_path / "out"
    # what finished is listed (a clip written just before the head died may have lost its
    # result: its file is whole, a run again skips it), and what did not, by name
    done = {c["name"] for c in summary["clips"] if c["status"] == "done"}
    written = {p.stem for p in outputs(out)}
    assert done and done <= written and all(valid(p) for p in outputs(out))
    assert summary["not_baked"] and not written & set(summary["not_baked"])
    assert sorted(written | set(summary["not_baked"])) == [f"line{k}" for k in range(6)]


def processes_marked(mark):
    """Processes whose environment holds TALKRIG_TEST_RUN=mark (a run's and all it started)."""
    needle = f"TALKRIG_TEST_RUN={mark}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


def test_clips_bigger_than_every_node_wait_with_a_warning(cluster, clips, tmp_path):
    """Clips asking for more CPUs than any node has: the run says so and waits (a growing
    cluster may still get such a node) instead of failing or hanging silently."""
    manifest = clips / "wide.csv"
    manifest.write_text("audio\nline2.wav\n")
    log = tmp_path / "stderr.txt"
    with open(log, "wb") as stderr:
        run = subprocess.Popen(bake_batch(manifest, "--out", tmp_path / "wide", "--engine", "ray",
                                          "--address", cluster.address, "--cpus-per-clip", "2"),
                               stdout=subprocess.DEVNULL, stderr=stderr)
    warning = "no node of the Ray cluster has 2 CPUs for a clip yet (the largest has 1)"
    deadline = time.monotonic() + 120
    try:
        while (run.poll() is None and time.monotonic() < deadline
               and warning not in log.read_text(errors="replace")):
            time.sleep(0.1)
        assert warning in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
        assert run.poll() is None  # still waiting for a node, not failed
    finally:
        run.kill()
        run.wait()


class _ResultOnTheHead:
    """Stands in for the ray module where a finished task's result is read: ray.get waits
    ``slow`` times past its timeout (the head holding the result has died, or is slow to
    answer), then returns it; the real exceptions module."""

    def __init__(self, slow, result=("done", "baked")):
        import ray.exceptions

        self.exceptions = ray.exceptions
        self.slow, self.result, self.timeouts = slow, result, []

    def get(self, ref, timeout=None):
        self.timeouts.append(timeout)
        if len(self.timeouts) <= self.slow:
            raise self.exceptions.GetTimeoutError("still waiting")
        return self.result


def test_a_result_left_on_a_dead_head_ends_the_run_in_one_line():
    """A clip finished just before the head was killed: its result cannot be read, and an
    unbounded ray.get would wait until Ray ended the process without a word (exit 1). The
    engine waits in HEAD_CHECK steps, checks the head between them, and stops the run; a head
    that still answers is waited for."""
    from talkrig.exporters.errors import BakeError
    from talkrig.exporters.ray_engine import HEAD_CHECK, RayEngine

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
    ray = _ResultOnTheHead(slow=10**6)
    with pytest.raises(BakeError, match="stopped answering"):
        RayEngine(address=dead)._outcome(ray, "ref", "clip", 0.0, died=None)
    assert ray.timeouts == [HEAD_CHECK]
    with socket.create_server(("127.0.0.1", 0)) as alive:
        ray = _ResultOnTheHead(slow=2)
        engine = RayEngine(address=f"127.0.0.1:{alive.getsockname()[1]}")
        assert engine._outcome(ray, "ref", "clip", 0.0, died=None) == "baked"
    assert ray.timeouts == [HEAD_CHECK] * 3


def test_a_question_only_the_gcs_answers_is_given_up_when_the_head_dies():
    """ray.cluster_resources and ray.nodes wait on the cluster's GCS until Ray ends the process
    without a word: the engine asks on a thread and checks the head meanwhile. A dead head stops
    the run in one line; a live one is waited for, and the question's own error is raised."""
    import threading

    from talkrig.exporters.errors import BakeError
    from talkrig.exporters.ray_engine import RayEngine

    never = threading.Event()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(BakeError, match="stopped answering"):
        RayEngine(address=dead)._asked_of_gcs(lambda: never.wait(60) or "answered late")
    with socket.create_server(("127.0.0.1", 0)) as alive:
        engine = RayEngine(address=f"127.0.0.1:{alive.getsockname()[1]}")
        assert engine._asked_of_gcs(lambda: {"CPU": 4.0}) == {"CPU": 4.0}
        with pytest.raises(KeyError):
            engine._asked_of_gcs(lambda: {}["CPU"])
