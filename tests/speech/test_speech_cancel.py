"""Progress and cancel inside the decode and words stages: a job shows its progress rising while
audio is decoded and speech recognised or aligned, and a cancel ends it within a second, whatever
the engine is doing."""

import json
import multiprocessing
import os
import threading
import time

import numpy as np
import pytest
import soundfile
from fastapi.testclient import TestClient
from support.server_fakes import wait_for

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.progress import STAGES, JobCancelled
from talkrig.inference.server.app import create_app
from talkrig.inference.server.jobs import CANCELLED, JobRunner, Submission, with_options
from talkrig.inference.server.settings import ServerSettings
from talkrig.inference.speech.timing import (
    MAX_SCRIPT_LETTERS, MAX_SCRIPT_WORDS, SpeechError, find_words,
)
from talkrig.plugins.speech.pocketsphinx import recognition, workers
from talkrig.plugins.speech.pocketsphinx.recognition import recognise
from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

WORDS_START = STAGES[0][1] + STAGES[1][1]  # overall progress where the words stage begins
WORDS_SHARE = STAGES[2][1]


@pytest.fixture(scope="module")
def take(scott2_wav):
    """62 s of real speech: long enough to be decoded by worker processes."""
    return decode_audio(scott2_wav)


@pytest.fixture(scope="module")
def script(scott2_textgrid):
    return " ".join(w.word for w in read_words(read_transcript_file(scott2_textgrid)))


@pytest.fixture
def runner():
    run = JobRunner(with_options(generate), workers=1, queue_depth=2, result_ttl=60).start()
    yield run
    run.close()


def speech_workers():
    return [p for p in multiprocessing.active_children() if p.name == "talkrig-speech"]


@pytest.mark.slow
@pytest.mark.parametrize("phase,transcript,after", [
    ("recognition", False, 0.1),  # free recognition, pieces decoded by worker processes
    ("listening", True, 0.05),  # alignment: the script's words heard in the speech
    ("aligning", True, 0.45),  # alignment: pieces aligned word by word and phone by phone
])
def test_cancel_in_the_words_stage_ends_the_job_within_a_second(runner, take, script, phase,
                                                                 transcript, after):
    options = GenerateOptions(speech="pocketsphinx", keyposes="none",
                              transcript=script if transcript else None)
    job = runner.submit(Submission(take, options), label="take.wav", seconds=take.duration)
    seen = []

    def inside_words_stage():
        status = runner.status(job["id"])
        seen.append((status["stage"], status["progress"]))
        return status["stage"] == "words" and status["progress"] >= WORDS_START + after * WORDS_SHARE

    wait_for(inside_words_stage, timeout=120, interval=0.02)
    asked = time.monotonic()
    runner.cancel(job["id"])
    status = wait_for(lambda: runner.status(job["id"])["state"] == CANCELLED and runner.status(job["id"]),
                      timeout=10, interval=0.01)
    assert time.monotonic() - asked <= 1.0, f"{phase}: cancel took {time.monotonic() - asked:.2f} s"
    assert status["state"] == CANCELLED
    in_words = sorted({p for stage, p in seen if stage == "words"})
    assert len(in_words) >= 3, f"{phase}: progress did not rise inside the words stage: {in_words}"
    wait_for(lambda: not speech_workers(), timeout=3)  # no decoder is left running


def test_cancel_while_the_audio_is_decoded_stops_decoding_at_once(take, tmp_path):
    path = tmp_path / "three-takes.wav"  # 186 s of stereo: 46 blocks to decode
    stereo = np.tile(take.samples, 3)[:, None].repeat(2, axis=1)
    soundfile.write(path, stereo, 16000)
    seen, state = [], {}

    def cancelled():
        if seen and seen[-1][1] >= 0.2 * STAGES[0][1]:
            state.setdefault("asked", time.monotonic())
        return "asked" in state

    with pytest.raises(JobCancelled):
        generate(str(path), GenerateOptions(speech="none", keyposes="none"),
                 progress=lambda stage, fraction: seen.append((stage, fraction)), cancelled=cancelled)
    assert time.monotonic() - state["asked"] <= 1.0
    assert {stage for stage, _ in seen} == {"decode"}
    assert seen[-1][1] <= 0.3 * STAGES[0][1]  # stopped a block or two later, not at the end


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_cancel_while_a_long_script_is_read_ends_within_a_second(take, script):
    """... and no thread of the engine's fails on the way out (its pipe closed under a send)."""
    words, letters = MAX_SCRIPT_WORDS, MAX_SCRIPT_LETTERS  # the longest script the take may have
    room = min((words[0] * take.duration + words[1]) / len(script.split()),
               (letters[0] * take.duration + letters[1]) / len(script.replace(" ", "")))
    huge = " ".join([script] * int(room))
    assert int(room) >= 3
    seen, state = [], {}

    def cancelled():
        if any(stage == "words" for stage, _ in seen):
            state.setdefault("words", time.monotonic())
            if time.monotonic() - state["words"] > 0.5:
                state.setdefault("asked", time.monotonic())
        return "asked" in state

    with pytest.raises(JobCancelled):
        generate(take, GenerateOptions(transcript=huge, keyposes="none"),
                 progress=lambda stage, fraction: seen.append((stage, fraction)), cancelled=cancelled)
    assert time.monotonic() - state["asked"] <= 1.0


def test_cancel_reaches_a_decoder_in_this_process(scott2_wav):
    audio = decode_audio(scott2_wav)
    state = {}

    def progress(fraction):
        state.setdefault("first", time.monotonic())
        if time.monotonic() - state["first"] > 0.5:
            state.setdefault("asked", time.monotonic())
            raise JobCancelled("cancelled")

    with pytest.raises(JobCancelled):
        find_words(audio, "pocketsphinx", options={"workers": 1}, progress=progress)
    assert time.monotonic() - state["asked"] <= 1.0


def test_pipeline_reports_progress_inside_the_words_stage(take, scott2_textgrid):
    words = [w.word for w in read_words(read_transcript_file(scott2_textgrid)) if w.end <= 10.0]
    seen = []
    generate(take.samples[:10 * 16000], GenerateOptions(transcript=" ".join(words), keyposes="none"),
             progress=lambda stage, fraction: seen.append((stage, fraction)))
    in_words = [f for stage, f in seen if stage == "words"]
    assert len(set(in_words)) >= 5 and in_words == sorted(in_words)
    assert WORDS_START <= in_words[0] and in_words[-1] <= WORDS_START + WORDS_SHARE + 1e-9


def test_server_result_carries_the_phones(tmp_path, scott2_wav, scott2_textgrid):
    settings = ServerSettings(token="t", data_dir=tmp_path / "data", workers=1)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        auth = {"Authorization": "Bearer t"}
        options = {"backend": "procedural", "transcript": scott2_textgrid.read_text(), "keyposes": "none"}
        answer = client.post("/v1/jobs", headers=auth, files={
            "audio": ("take.wav", scott2_wav.read_bytes(), "audio/wav"),
            "options": (None, json.dumps(options), "application/json")})
        status_url = answer.json()["status_url"]
        wait_for(lambda: client.get(status_url, headers=auth).json()["state"] == "done", timeout=60)
        words = client.get(answer.json()["result_url"], headers=auth).json()["words"]
    so = words[0]
    assert so["word"] == "so" and [p["phone"] for p in so["phones"]] == ["S", "OW"]
    assert sum("phones" in w for w in words) == len(words) - 1  # all but "5" (no phones in the file)


# --- the worker pool itself ------------------------------------------------------------------

def _setup(offset):
    return offset


def _slow_setup(offset):
    time.sleep(3)  # a worker setting up reads nothing from its pipe
    return offset


class EngineFault(Exception):
    """An engine's own exception type (not a built-in)."""


def _work(offset, task, step):
    """Task n: report progress, then n + offset; 'die' kills a worker process (and is done when
    redone in the parent), 'fail' raises, 'odd' raises an engine's own type, 'slow' takes half
    a minute."""
    if step is not None:
        step(0.5)
    if task == "die" and multiprocessing.parent_process() is not None:
        os._exit(3)
    if task == "fail":
        raise ValueError("this piece is broken")
    if task == "odd":
        raise EngineFault("the model is corrupt")
    if task == "slow":
        time.sleep(30)
    return ("done", offset) if task == "die" else task + offset


def test_pool_returns_results_in_order_and_survives_a_dying_worker(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    tasks = [1, 2, "die", 4, 5]
    assert workers.run_tasks((_setup, (10,)), _work, tasks, workers=2) == [11, 12, ("done", 10), 14, 15]
    with pytest.raises(ValueError, match="^this piece is broken$"):  # as if failed here
        workers.run_tasks((_setup, (0,)), _work, [1, "fail"], workers=2)
    with pytest.raises(RuntimeError, match="^EngineFault: the model is corrupt$"):  # named, not lost
        workers.run_tasks((_setup, (0,)), _work, [1, "odd"], workers=2)


def test_pool_stops_its_workers_at_once_when_progress_raises(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    start = time.monotonic()

    def progress(fraction):
        if time.monotonic() - start > 1.0:
            raise JobCancelled("cancelled")

    with pytest.raises(JobCancelled):
        workers.run_tasks((_setup, (0,)), _work, ["slow", "slow"], progress=progress, workers=2)
    assert time.monotonic() - start < 3.0
    assert not speech_workers()


def feeders():
    return [t for t in threading.enumerate() if t.name == "talkrig-speech-feed" and t.is_alive()]


def test_a_task_the_feeder_cannot_send_is_an_error_not_a_hang(monkeypatch):
    """The feeder used to swallow a TypeError (to quiet a cancel race) and stop: its worker then
    waited for a task that never came and the pool for its result, for ever."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"a speech worker could not be given its work "
                                           r"\(TypeError: cannot pickle '_thread.lock' object\)"):
        workers.run_tasks((_setup, (0,)), _work, [1, threading.Lock()], workers=2)
    assert time.monotonic() - start < 10.0
    assert not speech_workers() and not feeders()


def test_a_run_past_its_deadline_is_an_error(monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="did not finish within its deadline of 2 s"):
        workers.run_tasks((_setup, (0,)), _work, ["slow", 1], workers=2, deadline=2.0)
    assert time.monotonic() - start < 6.0
    assert not speech_workers() and not feeders()
    assert workers.DEADLINE_BASE + workers.DEADLINE_FACTOR * 60 >= 600  # a minute of audio: 10 min


def test_a_cancel_while_a_large_task_is_being_sent_ends_the_feeder_first(monkeypatch):
    """The cancel race at its cause: the pipe used to be closed under a feeder still sending
    (its handle None by then, a TypeError). Now the process is killed, the send fails on the
    gone reader, the feeder ends, and only then is the pipe closed: nothing raised in the
    feeder, none left running."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    start = time.monotonic()

    def progress(fraction):
        if time.monotonic() - start > 1.0:
            raise JobCancelled("cancelled")

    big = bytes(64 << 20)  # far over a pipe's buffer: the send blocks while the worker sets up
    with pytest.raises(JobCancelled):
        workers.run_tasks((_slow_setup, (0,)), _work, [big, big], progress=progress, workers=2)
    assert time.monotonic() - start < 8.0
    assert not feeders() and not speech_workers() and raised == []


def _setup_of_no_job():
    return None


def _pid(state, task, step):
    if task == "slow":
        time.sleep(30)
    return os.getpid()


def _offset_pid(offset, task, step):
    return task + offset, os.getpid()


def test_a_runs_workers_serve_the_next_run(monkeypatch):
    """A clean run's worker processes outlive it (the next run, an alignment's second pass or
    the next recording, skips their start), are set up again for a set-up with arguments, stop
    after KEEP_SECONDS unused, and are never kept from a cancelled run."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    monkeypatch.setattr(workers, "KEEP_SECONDS", 1.5)
    first = set(workers.run_tasks((_setup_of_no_job, ()), _pid, [1, 2, 3, 4], workers=2))
    assert len(first) == 2 and os.getpid() not in first
    assert {p.pid for p in speech_workers()} == first  # kept, idle
    assert set(workers.run_tasks((_setup_of_no_job, ()), _pid, [1, 2], workers=2)) == first
    for offset in (10, 20):  # another job's data: the same processes, set up with it
        found = workers.run_tasks((_setup, (offset,)), _offset_pid, [1, 2, 3], workers=2)
        assert [value for value, _ in found] == [1 + offset, 2 + offset, 3 + offset]
        assert {pid for _, pid in found} <= first
    wait_for(lambda: not speech_workers(), timeout=5)  # stopped once unused for KEEP_SECONDS

    start = time.monotonic()

    def progress(fraction):
        if time.monotonic() - start > 1.0:
            raise JobCancelled("cancelled")

    with pytest.raises(JobCancelled):
        workers.run_tasks((_setup_of_no_job, ()), _pid, ["slow", "slow"], progress=progress, workers=2)
    assert not speech_workers()


def _span(state, task, step):
    start = time.monotonic()
    time.sleep(task)
    return os.getpid(), start, time.monotonic()


def test_pieces_on_two_cores_are_shared_by_three_processes_that_end_together(monkeypatch):
    """With two cores, three pieces are decoded all at once by three processes (the system
    shares the cores among them) rather than two then the third alone while a core idles; the
    three are kept for the next run. One core decodes in the calling process."""
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    try:
        spans = workers.run_tasks((_setup_of_no_job, ()), _span, [1.0, 1.0, 1.0])
        assert len({pid for pid, _, _ in spans}) == 3 and os.getpid() not in {p for p, _, _ in spans}
        assert max(start for _, start, _ in spans) < min(end for _, _, end in spans)  # side by side
        assert len(speech_workers()) == 3  # kept, idle
    finally:
        workers.stop_kept_workers()
    monkeypatch.setattr(workers, "available_cores", lambda: 1)
    assert {pid for pid, _, _ in workers.run_tasks((_setup_of_no_job, ()), _span, [0.1, 0.1])} == {os.getpid()}


def test_a_line_of_twenty_seconds_or_more_is_decoded_side_by_side(monkeypatch):
    """Two processes pay for their start from about 20 s of speech on two cores (a 25 s line was
    recognised 1.5 s sooner, the same words); a shorter one is decoded in the calling process."""
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    try:
        spans = workers.run_tasks((_setup_of_no_job, ()), _span, [0.1, 0.1], weights=[13.0, 8.0])
        assert len({pid for pid, _, _ in spans}) == 2 and os.getpid() not in {p for p, _, _ in spans}
    finally:
        workers.stop_kept_workers()
    spans = workers.run_tasks((_setup_of_no_job, ()), _span, [0.1, 0.1], weights=[12.0, 5.0])
    assert {pid for pid, _, _ in spans} == {os.getpid()}


@pytest.mark.slow
def test_recognition_gives_the_same_words_however_pieces_are_shared_out(take, monkeypatch):
    monkeypatch.setattr(workers, "PARALLEL_FROM", 0.0)
    monkeypatch.setattr(recognition, "PIECE_SECONDS", 6.0)
    audio = decode_audio(take.samples[:16 * 16000])  # 3 pieces, shared by 2 processes
    alone = recognise(audio, workers=1)
    shared = recognise(audio, workers=2)
    assert [(w.word, w.start) for w in alone] == [(w.word, w.start) for w in shared]
    assert len(alone) >= 25


def test_bad_workers_option_is_one_clear_error(scott2_wav):
    audio = decode_audio(decode_audio(scott2_wav).samples[:16000])
    with pytest.raises(SpeechError, match="option 'workers' must be a whole number from 1 to 8, got 0"):
        find_words(audio, "pocketsphinx", options={"workers": 0})
