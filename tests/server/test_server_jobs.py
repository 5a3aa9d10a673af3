"""The job runner on its own: states, progress, cancel, failures, queue limit, expiry."""

import threading
from types import SimpleNamespace

import pytest
from support.server_fakes import ScriptedPipeline, wait_for

from talkrig.inference.generation.pipeline import GenerateOptions
from talkrig.inference.server.generate_jobs import result_from_pipeline
from talkrig.inference.server.jobs import (CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobRunner,
                                           QueueFull, ResultNotReady, Submission, UnknownJob,
                                           with_options)

AUDIO = SimpleNamespace(duration=2.0)


def options(mode="ok", **extra):
    return GenerateOptions(backend="scripted", backend_options={"mode": mode, **extra})


def payload(mode="ok"):
    """A generation job's payload: the audio and its options."""
    return Submission(AUDIO, options(mode))


def generation(pipeline, **settings):
    """A runner of generation jobs around ``pipeline``, as the server makes it."""
    return JobRunner(with_options(pipeline), to_result=result_from_pipeline, **settings)


@pytest.fixture
def pipeline():
    pipe = ScriptedPipeline()
    yield pipe
    pipe.release.set()


@pytest.fixture
def runner(pipeline):
    run = generation(pipeline, workers=1, queue_depth=2, result_ttl=60).start()
    yield run
    run.close()


def finished(runner, job_id):
    status = runner.status(job_id)
    return status if status["state"] in (DONE, FAILED, CANCELLED) else None


def test_job_runs_to_done_with_rising_progress_and_a_result(runner):
    seen = []
    job = runner.submit(payload(), label="a.wav", seconds=2.0)
    assert job["state"] in (QUEUED, RUNNING)

    def poll():
        status = runner.status(job["id"])
        seen.append(status["progress"])
        return status["state"] == DONE and status

    status = wait_for(poll)
    assert status["progress"] == 1.0 and status["error"] is None
    assert seen == sorted(seen)
    result = runner.result(job["id"])
    assert result.n_frames == 60 and result.fps == 30.0
    assert result.npz[:2] == b"PK"
    assert result.words[0]["word"] == "hello"


def test_failures_fail_only_their_job(runner):
    bad = runner.submit(payload("fail"))
    bug = runner.submit(payload("crash"))
    assert wait_for(lambda: finished(runner, bad["id"]))["error"] == "the generator refused this audio"
    crashed = wait_for(lambda: finished(runner, bug["id"]))
    assert crashed["state"] == FAILED and "ZeroDivisionError" in crashed["error"]
    with pytest.raises(ResultNotReady, match="failed"):
        runner.result(bug["id"])
    good = runner.submit(payload())
    assert wait_for(lambda: finished(runner, good["id"]))["state"] == DONE


def test_cancel_running_job_stops_at_next_boundary_and_is_idempotent(runner, pipeline):
    job = runner.submit(payload("block"))
    wait_for(pipeline.started.is_set)
    first = runner.cancel(job["id"])
    assert first["cancel_requested"] is True
    status = wait_for(lambda: finished(runner, job["id"]))
    assert status["state"] == CANCELLED
    assert runner.cancel(job["id"])["state"] == CANCELLED  # again: no error, no change
    with pytest.raises(ResultNotReady, match="cancelled"):
        runner.result(job["id"])


def test_cancel_queued_job_ends_it_at_once(runner, pipeline):
    blocker = runner.submit(payload("block"))
    wait_for(pipeline.started.is_set)
    waiting = runner.submit(payload())
    assert runner.status(waiting["id"])["queue_position"] == 0
    assert runner.cancel(waiting["id"])["state"] == CANCELLED
    pipeline.release.set()
    assert wait_for(lambda: finished(runner, blocker["id"]))["state"] == DONE
    assert runner.status(waiting["id"])["state"] == CANCELLED
    assert len(pipeline.calls) == 1  # the cancelled job never reached the pipeline


def test_cancel_after_done_changes_nothing(runner):
    job = runner.submit(payload())
    wait_for(lambda: finished(runner, job["id"]))
    assert runner.cancel(job["id"])["state"] == DONE
    assert runner.result(job["id"]).n_frames == 60


def test_full_queue_refuses_with_retry_after(runner, pipeline):
    runner.submit(payload("block"))
    wait_for(pipeline.started.is_set)
    runner.submit(payload())
    runner.submit(payload())
    with pytest.raises(QueueFull) as err:
        runner.submit(payload())
    assert err.value.retry_after >= 1
    pipeline.release.set()
    stats = wait_for(lambda: runner.stats()["totals"]["done"] == 3 and runner.stats())
    assert stats["totals"]["submitted"] == 3 and stats["queued"] == 0


def test_finished_jobs_are_freed_after_their_time_to_live(pipeline):
    runner = generation(pipeline, workers=1, queue_depth=1, result_ttl=0.2).start()
    try:
        job = runner.submit(payload())
        assert wait_for(lambda: finished(runner, job["id"]))["expires_in"] <= 0.2

        def gone():
            try:
                runner.status(job["id"])
            except UnknownJob:
                return True
            return False

        wait_for(gone)
        with pytest.raises(UnknownJob, match="freed"):
            runner.result(job["id"])
        assert runner.stats()["kept"] == 0
    finally:
        runner.close()


def test_close_cancels_waiting_jobs(pipeline):
    runner = generation(pipeline, workers=1, queue_depth=3).start()
    running = runner.submit(payload("block"))
    wait_for(pipeline.started.is_set)
    waiting = runner.submit(payload())
    runner.close(timeout=5)
    assert runner.status(waiting["id"])["state"] == CANCELLED
    assert runner.status(running["id"])["state"] == CANCELLED


def test_status_says_how_far_the_current_stage_is(runner, pipeline):
    from talkrig.inference.server.jobs import stage_progress

    assert stage_progress("words", 0.10 + 0.15) == 0.5  # words: 0.10 .. 0.40 of the whole job
    assert stage_progress("generate", 0.85) == 1.0 and stage_progress("queued", 0.0) is None
    job_id = runner.submit(payload("block"))["id"]
    wait_for(pipeline.started.is_set)
    status = runner.status(job_id)
    assert status["stage"] == "features" and status["stage_progress"] == 1.0  # 0.1 = its end
    runner.cancel(job_id)


def test_the_runner_runs_any_work_on_any_payload():
    """No audio, no options: the payload is whatever the work takes, the result what it
    returns, and the status says only what it was told."""
    seen = []

    def count_words(text, progress, cancelled):
        seen.append(text)
        progress("count", 0.5)
        return {"words": len(text.split())}

    runner = JobRunner(count_words).start()
    try:
        job = runner.submit("three short words", label="text", seconds=1.5)
        status = wait_for(lambda: finished(runner, job["id"]))
        assert status["state"] == DONE and status["progress"] == 1.0
        assert status["audio_seconds"] == 1.5 and status["backend"] is None
        assert runner.result(job["id"]) == {"words": 3} and seen == ["three short words"]
    finally:
        runner.close()


def test_closing_the_runner_answers_a_status_held_for_a_job(pipeline):
    runner = generation(pipeline, workers=1).start()
    job = runner.submit(payload("block"))
    wait_for(pipeline.started.is_set)
    answers = []
    asking = threading.Thread(target=lambda: answers.append(runner.status(job["id"], wait=30)))
    asking.start()
    runner.close()
    asking.join(10)
    assert not asking.is_alive() and answers[0]["cancel_requested"] is True
