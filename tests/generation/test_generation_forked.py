"""Work handed to a forked second process: its result comes back, a failed child's share is
done in place, a child no longer wanted is stopped, and a procedural take is the same to the
bit made by one process or two."""

import logging
import os
import sys
import time

import numpy as np
import pytest

from talkrig.inference.generation import forked
from talkrig.inference.generation.generators import GenerationRequest, check_options, get_generator
from talkrig.inference.progress import JobCancelled

pytestmark = pytest.mark.skipif(not forked.available(), reason="forking is used on Linux with two cores")


def test_the_work_is_done_by_another_process_and_its_result_comes_back():
    parent = os.getpid()
    child = forked.fork_work(lambda: (os.getpid(), np.arange(200_000, dtype=np.float32)))
    pid, values = child.result()
    assert pid != parent
    assert np.array_equal(values, np.arange(200_000, dtype=np.float32))  # more than a pipe holds
    assert child.result()[0] == pid  # asked again: the same result, no second child


def test_a_child_that_fails_has_its_work_done_in_place(caplog):
    parent = os.getpid()

    def work():
        if os.getpid() != parent:
            raise RuntimeError("broken in the child")
        return "done here"

    with caplog.at_level(logging.WARNING):
        assert forked.fork_work(work).result() == "done here"
    assert "its share is done here" in caplog.text


def test_a_child_that_hangs_is_stopped_at_its_deadline_and_its_work_done_in_place(monkeypatch, caplog):
    """A child forked while another thread held a lock it needs never answers: the parent does
    not wait for ever, it stops the child and does the share itself."""
    parent = os.getpid()
    monkeypatch.setattr(forked, "GRACE", 0.5)

    def work():
        if os.getpid() != parent:
            time.sleep(600)  # as a deadlocked child would
        return "done here"

    child = forked.fork_work(work)
    pid = child._pid
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        assert child.result() == "done here"
    assert time.monotonic() - started < 60
    assert "did not answer" in caplog.text
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pid, os.WNOHANG)


def test_closing_stops_a_child_no_longer_wanted():
    child = forked.fork_work(lambda: time.sleep(60))
    pid = child._pid
    started = time.monotonic()
    child.close()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # stopped and reaped: no process left behind
        os.waitpid(pid, os.WNOHANG)


def test_no_second_process_where_forking_is_unavailable(monkeypatch):
    monkeypatch.setattr(forked, "available", lambda: False)
    assert forked.fork_work(lambda: 1) is None


def test_blenders_application_is_never_forked_but_blender_as_a_module_is(monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setitem(sys.modules, "bpy", SimpleNamespace(app=SimpleNamespace(background=False)))
    assert not forked.available()
    monkeypatch.setitem(sys.modules, "bpy", SimpleNamespace(app=SimpleNamespace(background=True)))
    assert forked.available()  # headless, as a bake job that exported once runs


@pytest.fixture(scope="module")
def long_speech(scott2_wav):
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.compute import compute_features

    audio = decode_audio(scott2_wav)
    return compute_features(audio.samples[: 35 * audio.sample_rate], audio.sample_rate, 30.0)


def _take(features, cancelled=None):
    gen = get_generator("procedural")
    return gen.generate(GenerationRequest(features, [], features.n_frames, 30.0, seed=3,
                                          options=check_options(gen, {}), cancelled=cancelled))


def _spy(monkeypatch):
    """The Forked objects the procedural generator starts."""
    from talkrig.plugins.generators.procedural import generator

    started = []

    def fork_work(work):
        started.append(forked.fork_work(work))
        return started[-1]

    monkeypatch.setattr(generator, "fork_work", fork_work)
    return started


def test_a_long_procedural_take_is_the_same_made_by_one_process_or_two(monkeypatch, long_speech):
    started = _spy(monkeypatch)
    two = _take(long_speech)
    assert len(started) == 1 and started[0] is not None  # four windows: the last two forked
    monkeypatch.setattr(forked, "available", lambda: False)
    one = _take(long_speech)
    for field in ("poses", "trans", "expressions", "contacts"):
        assert np.array_equal(getattr(one, field), getattr(two, field)), field


def test_a_cancelled_take_leaves_no_second_process(monkeypatch, long_speech):
    started = _spy(monkeypatch)
    polls = []

    def cancelled():
        polls.append(1)
        return len(polls) >= 3  # after the first window

    with pytest.raises(JobCancelled):
        _take(long_speech, cancelled)
    assert started and started[0]._pid is None  # stopped and reaped


def test_a_window_asked_for_alone_forks_nothing(monkeypatch, long_speech):
    from talkrig.inference.generation.windows import Window

    started = _spy(monkeypatch)
    gen = get_generator("procedural")
    request = GenerationRequest(long_speech, [], long_speech.n_frames, 30.0, seed=3, options=check_options(gen, {}))
    window = Window(0, 0, 300)
    gen.generate_window(request, window)  # no generate() around it to reap a second process
    assert started == [] and window.state.get("ahead") is None
