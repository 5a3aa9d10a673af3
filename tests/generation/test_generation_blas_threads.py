"""The same take of the same seed, and the same word times, whatever BLAS threads the process runs
with: `talkrig generate` or `talkrig words` on a machine's cores and the server's one thread per
job (commands/serve.py) make the same."""

import threading
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import talkrig
from talkrig.inference.blas_threads import one_blas_thread
from talkrig.inference.features.compute import clear_feature_cache
from talkrig.inference.generation.pipeline import GenerateOptions, generate

SPEECH = Path(talkrig.__file__).parent / "exporters" / "assets" / "acoustic_corpus.wav"


def blas_threads():
    """The thread counts of the BLAS libraries loaded, one per library."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """BLAS as a process on this machine has it (a thread per core); no limit held here: the
    thread that holds one controls OpenBLAS's shared pool for threadpoolctl."""
    if max(blas_threads(), default=1) < 2:
        pytest.skip("BLAS runs one thread here: nothing to tell apart")


def take(seed=2):
    clear_feature_cache()
    result = generate(str(SPEECH), GenerateOptions(backend="procedural", seed=seed, speech="none"))
    return result.features, result.motion


def test_a_take_made_beside_blas_threads_is_the_servers_take(two_blas_threads):
    # two threads split the mel products' sums otherwise than one: features differed in their
    # last bits and this seed's take differed in its poses
    features, motion = take()
    with threadpool_limits(limits=1, user_api="blas"):  # as the server runs every job
        features_one, motion_one = take()
    for name in ("mel", "mfcc", "onset_strength"):
        assert np.array_equal(getattr(features, name), getattr(features_one, name)), name
    assert np.array_equal(motion.poses, motion_one.poses)
    assert np.array_equal(motion.trans, motion_one.trans)
    assert np.array_equal(motion.face_curves, motion_one.face_curves)


def test_the_aligners_frames_and_costs_beside_blas_threads_are_the_servers(two_blas_threads):
    # `talkrig words` aligns without generate(): its products hold one thread themselves
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.plugins.speech.espeak import dtw
    from talkrig.plugins.speech.espeak.frames import cepstra, log_mel

    speech = decode_audio(str(SPEECH)).samples
    mel = log_mel(speech)
    frames = cepstra(mel)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((500, 10)).astype(np.float32), rng.standard_normal((40000, 10)).astype(np.float32)
    squares = (b.astype(np.float64) ** 2).sum(axis=1)
    costs = dtw._costs(a, b, squares, None, None, 0.0)
    with threadpool_limits(limits=1, user_api="blas"):
        assert np.array_equal(log_mel(speech), mel)
        assert np.array_equal(cepstra(mel), frames)
        assert np.array_equal(dtw._costs(a, b, squares, None, None, 0.0), costs)


def test_the_process_gets_its_own_blas_threads_back_after_a_take(two_blas_threads):
    before = blas_threads()
    take()
    assert blas_threads() == before


def test_a_job_in_another_thread_after_one_in_this_thread_runs_on_one_blas_thread(two_blas_threads):
    # the thread that set the limit first must let go of the pool's control when it leaves
    with one_blas_thread():
        pass
    seen = []

    def job():
        with one_blas_thread():
            seen.append(blas_threads())

    worker = threading.Thread(target=job)
    worker.start()
    worker.join(10)
    assert seen and set(seen[0]) == {1}


def test_the_limit_holds_until_the_last_of_jobs_side_by_side_leaves(two_blas_threads):
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def job():
        with one_blas_thread():
            entered.set()
            release.wait(10)
            seen["second job, after the first left"] = blas_threads()

    with one_blas_thread():
        worker = threading.Thread(target=job)
        worker.start()
        assert entered.wait(10)
        assert set(blas_threads()) == {1}
    seen["first job left"] = blas_threads()
    release.set()
    worker.join(10)
    assert set(seen["first job left"]) == {1}
    assert set(seen["second job, after the first left"]) == {1}
