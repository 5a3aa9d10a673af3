"""Batches at scale, without Blender: a 100 000-clip manifest streams through `bake-batch` in
bounded memory, shards split a manifest exactly, workers take clips only as they free up, the
streamed summary is the JSON it always was, and engine options fail as one clear line."""

import json
import operator
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from talkrig.cli import main
from talkrig.exporters.atomic import remove_stale
from talkrig.exporters.batch import BatchSettings, Results, write_summary, _owned_files
from talkrig.exporters.errors import ManifestError
from talkrig.exporters.manifest import count_clips, iter_manifest, parse_shard, read_manifest
from talkrig.exporters.workers import run_in_workers


def big_manifest(folder, rows):
    """A manifest of ``rows`` clips that a run settles without starting Blender: the output of
    every tenth exists already (an empty file; skipped), the others have a bad seed (failed)."""
    out = folder / "out"
    out.mkdir()
    with open(folder / "big.csv", "w") as stream:
        stream.write("audio,seed,output\n")
        for k in range(rows):
            stream.write(f"speech/take_{k:06d}.wav,{k % 7 if k % 10 == 0 else 'x'},"
                         f"take_{k:06d}.glb\n")
            if k % 10 == 0:
                os.close(os.open(out / f"take_{k:06d}.glb", os.O_CREAT | os.O_WRONLY))
    return folder / "big.csv", out


def peak_memory_mib(command):
    """Run a command that ends with exit code 1 (failed clips); its peak resident memory in MiB
    (Linux reports ru_maxrss in KiB)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1, process.stderr.read().decode()[-2000:]
    return usage.ru_maxrss / 1024


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_a_100000_clip_manifest_streams_in_bounded_memory(tmp_path):
    peaks = {}
    for rows in (1000, 100_000):
        folder = tmp_path / str(rows)
        folder.mkdir()
        manifest, out = big_manifest(folder, rows)
        peaks[rows] = peak_memory_mib([sys.executable, "-m", "talkrig", "bake-batch",
                                       str(manifest), "--out", str(out), "--quiet"])
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"] == {"done": 0, "skipped": rows // 10, "failed": rows * 9 // 10}
        assert [c["line"] for c in summary["clips"][:3]] == [2, 3, 4]
        assert [c["status"] for c in summary["clips"][:3]] == ["skipped", "failed", "failed"]
        assert summary["clips"][-1]["output"] == str(out / f"take_{rows - 1:06d}.glb")
    # Holding the rows and results as lists of objects took 337 MiB more for 100 000 clips than
    # for 1000; streaming keeps the output names (for the duplicate check) and an offset per
    # clip: 5 MiB more.
    assert peaks[100_000] - peaks[1000] < 40, peaks


def test_shards_split_a_manifest_exactly_and_keep_their_clips_when_rows_move(tmp_path):
    manifest = tmp_path / "clips.jsonl"
    rows = [{"audio": f"a{k}.wav", "output": f"clip{k}.fbx"} for k in range(40)]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    shards = [[c.output for c in iter_manifest(manifest, shard=(k, 3))] for k in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(r["output"] for r in rows)  # each clip once
    assert all(6 <= len(s) <= 20 for s in shards), [len(s) for s in shards]
    assert [count_clips(manifest, shard=(k, 3)) for k in (1, 2, 3)] == [len(s) for s in shards]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in reversed(rows)))
    assert sorted(c.output for c in iter_manifest(manifest, shard=(2, 3))) == sorted(shards[1])
    for text in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(ManifestError, match="K/N"):
            parse_shard(text)


def test_a_shard_leaves_the_temporaries_of_other_shards_alone(tmp_path):
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio\n" + "".join(f"take{k}.wav\n" for k in range(12)))
    mine = {c.output for c in iter_manifest(manifest, shard=(1, 2))}
    theirs = {c.output for c in iter_manifest(manifest, shard=(2, 2))}
    for name in mine | theirs:  # a bake of every clip, under way
        (tmp_path / f".{Path(name).stem}.partial-4242.glb").write_bytes(b"half")
    (tmp_path / ".summary-2-of-2.partial-4242.json").write_text("{")
    settings = BatchSettings(out_dir=tmp_path, shard=(1, 2))
    assert remove_stale(tmp_path, _owned_files(settings)) == len(mine)
    left = sorted(p.name for p in tmp_path.glob(".*"))
    assert left == sorted([f".{Path(n).stem}.partial-4242.glb" for n in theirs]
                          + [".summary-2-of-2.partial-4242.json"])


def test_workers_take_clips_only_as_they_free_up():
    pulled = []

    def tasks():
        for k in range(30):
            pulled.append(k)
            yield k

    finished = []
    for result in run_in_workers(tasks(), operator.add, 1000, 2, died=None):
        finished.append(result)
        assert len(pulled) - len(finished) <= 2  # never more clips out than workers
    assert sorted(finished) == list(range(1000, 1030))


def test_the_streamed_summary_is_plain_indented_json(tmp_path):
    results = Results()
    statuses = ["done", "failed", "skipped", "done", "done"]
    for index in (3, 0, 4, 2, 1):  # results arrive out of order
        results.add(index, {"line": index + 2, "name": f"clip ‘{index}’", "status":
                            statuses[index], "timings": {"export": 0.5} if index else {},
                            "error": None if index != 1 else "bad\nrow"})
    assert [r["line"] for r in results] == [2, 3, 4, 5, 6]
    path = tmp_path / "summary.json"
    counts = write_summary(path, results, manifest="m.csv", workers=2)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert text == json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    assert counts == document["counts"] == {"done": 3, "skipped": 1, "failed": 1}
    assert list(document)[:2] == ["manifest", "workers"] and document["clips"][1]["error"] == \
        "bad\nrow"
    write_summary(path, [], manifest="m.csv")
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"


def test_read_manifest_still_refuses_duplicates_before_anything(tmp_path):
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio,output\na.wav,x\nb.wav,y\nc.wav,X.glb\n")
    with pytest.raises(ManifestError, match="lines 2 and 4 both write X.glb"):
        read_manifest(manifest)
    with pytest.raises(ManifestError, match="lines 2 and 4"):
        count_clips(manifest, shard=(1, 2))


@pytest.mark.parametrize("options, message", [
    (["--collect"], "--collect applies to --engine ray"),
    (["--address", "auto"], "--address applies to --engine ray"),
    (["--cpus-per-clip", "2"], "--cpus-per-clip applies to --engine ray"),
    (["--engine", "ray", "--cpus-per-clip", "0"], "--cpus-per-clip must be more than 0"),
    (["--engine", "ray", "--address", "auto", "--workers", "2"], "with --address the cluster"),
    (["--shard", "3/2"], "--shard takes K/N"),
])
def test_engine_options_that_do_not_fit_are_one_line(options, message, tmp_path, capsys):
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio\na.wav\n")
    assert main(["bake-batch", str(manifest), "--out", str(tmp_path / "out")] + options) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_ray_engine_without_ray_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio\na.wav\n")
    assert main(["bake-batch", str(manifest), "--out", str(tmp_path / "out"),
                 "--engine", "ray"]) == 2
    assert "pip install 'talkrig[cluster]'" in capsys.readouterr().err


def test_an_address_nobody_listens_at_is_one_line(tmp_path, capsys):
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio\na.wav\n")
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        assert main(["bake-batch", str(manifest), "--out", str(tmp_path / "out"), "--engine",
                     "ray", "--address", address]) == 2
        err = capsys.readouterr().err
        assert f"cannot reach the Ray cluster at {address}" in err, err
        assert len(err.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()  # nothing was run: no folder, no summary


def test_a_cluster_that_cannot_be_joined_is_its_reason_alone(tmp_path, capsys):
    """Ray's own refusal to start (an address it cannot read, no cluster at "auto"): the line
    gives Ray's reason and no summary of a run that never started."""
    pytest.importorskip("ray")
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio\na.wav\n")
    assert main(["bake-batch", str(manifest), "--out", str(tmp_path / "out"), "--engine",
                 "ray", "--address", "head-without-a-port"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot start or reach the Ray cluster at head-without-a-port" in err[0]
    assert "summary" not in err[0] and not (tmp_path / "out" / "summary.json").exists()


class _StartingRay:
    """Stands in for Ray's module where ray.init fails with ``failures`` (in turn), then joins."""

    def __init__(self, failures):
        self.failures, self.inits = list(failures), 0

    def is_initialized(self):
        return False

    def shutdown(self):
        pass

    def init(self, **options):
        self.inits += 1
        if self.failures:
            raise self.failures.pop(0)

    def nodes(self):
        return [{"Alive": True, "Resources": {"CPU": 2.0}}]


@pytest.mark.parametrize("cause", [
    "RuntimeError: Starting Ray client server failed. See ray_client_server_23000.err for details.",
    "psutil.ZombieProcess: PID still exists but it's a zombie (pid=22318)"])
def test_a_ray_client_server_that_dies_as_it_starts_is_tried_again(cause):
    """Ray's client server for a driver can die as it starts on a loaded head (Ray answers with
    one of the two causes seen): the driver tries again, and gives up on anything else."""
    from talkrig.exporters.errors import BakeError
    from talkrig.exporters.ray_engine import RayEngine

    engine = RayEngine(address="ray://head:10001")
    engine._asked_of_gcs = lambda question: question()  # no head to watch: ask at once
    died = ConnectionAbortedError(f"Initialization failure from server:\n{cause}\n")
    ray = _StartingRay([died, died])
    engine._connect(ray)
    assert ray.inits == 3
    refused = _StartingRay([ConnectionAbortedError("Initialization failure from server:\n"
                                                   "ValueError: version mismatch\n")])
    with pytest.raises(BakeError, match="version mismatch"):
        engine._connect(refused)
    assert refused.inits == 1


def test_a_ray_client_that_cannot_start_names_the_cause_in_one_line():
    """Ray's client answers a failed start with a line ending in ':' and the head's traceback;
    the error keeps the traceback's last line, the cause (as Ray 2.60 words it)."""
    from talkrig.exporters.ray_engine import RayEngine

    failure = ConnectionAbortedError(
        "Initialization failure from server:\nTraceback (most recent call last):\n  File "
        '"proxier.py", line 765, in Datapath\n    raise RuntimeError(\nRuntimeError: Starting '
        "Ray client server failed. See ray_client_server_23000.err for detailed logs.\n")
    line = RayEngine(address="ray://head:10001")._cannot_connect(failure)
    assert line == ("cannot start or reach the Ray cluster at ray://head:10001: "
                    "ConnectionAbortedError: Initialization failure from server: RuntimeError: "
                    "Starting Ray client server failed. See ray_client_server_23000.err for "
                    "detailed logs.")
    timeout = RayEngine(address="ray://head:6379")._cannot_connect(
        ConnectionError("ray client connection timeout"))
    assert timeout.endswith("is ray://head:6379 the cluster's Ray client port (`ray start "
                            "--head --ray-client-server-port`, 10001 by default)?")
