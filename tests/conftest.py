"""Shared fixtures: where the real data lives (tests needing it are skipped outside CI when it is
missing, and counted in one line at the end), and a private Blender user folder for bpy tests.

Tests are grouped by area in folders (tests/audio, tests/bake, ...); the helpers they share are
the ``support`` package (tests/support, importable as ``support.*``: tests/ is on sys.path).
"""

import os
import tempfile

import pytest
# shared_file: the fixtures below are built on it (tests import it from support.shared_data)
from support.shared_data import NEEDS_DATA, SHARED_DATA, shared_file  # noqa: F401

# bpy reads and writes the user's Blender config; keep tests away from the real one. Each
# pytest-xdist worker gets its own (they install and remove the extension side by side).
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:
    os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix=f"talkrig-blender-user-{WORKER}-")
else:
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="talkrig-blender-user-"))
# Models the user trained into the default folder (~/.cache/talkrig/models) must not change what
# a test sees: a generator asked for its default model finds an empty folder of the test run's.
os.environ["TALKRIG_MODELS"] = tempfile.mkdtemp(prefix=f"talkrig-models-{WORKER or 'main'}-")
# Every test's speech engines run (and the user's kept words stay out of it): words are kept on
# disk (inference/speech/kept_words.py) only in the tests of that, each in a folder of its own.
os.environ["TALKRIG_WORDS_CACHE"] = "off"

# The suite runs on two pytest-xdist workers (addopts), a test file at a time per worker so
# module fixtures are paid once. Files sharing an expensive session fixture go to one worker
# together; the slowest files start first so both workers finish together (about the order
# of `pytest --durations`; the rest follows in collection order).
SHARED_SESSION = {
    "test_addon_capture.py": "character_video", "test_capture_real.py": "character_video",
    "test_render_vid2vid.py": "character_video",
    "test_retarget_blender.py": "rigify_blend", "test_retarget_production.py": "rigify_blend",
}
SLOWEST_FIRST = (
    "test_neural_ldm.py", "test_neural_s2v.py", "test_neural_dr2.py", "test_bake_batch_ray.py",
    "test_neural_a2g.py", "test_addon_capture.py", "test_capture_real.py", "test_render_vid2vid.py",
    "test_generation_procedural.py", "test_speech_alignment.py", "test_capture_lecture.py",
    "test_bake_batch.py", "test_retarget_blender.py", "test_retarget_production.py",
    "test_face_blender.py", "test_server_live.py", "test_speech_cancel.py",
    "test_bake_batch_scale.py", "test_speech_engines.py", "test_neural_featurenorm.py",
    "test_addon_generate.py", "test_extension_bundled.py", "test_extension_platforms.py",
    "test_neural_liveliness.py", "test_stream_driver.py",
)


def pytest_collection_modifyitems(config, items):
    """On xdist workers: the slowest files first (a stable sort keeps each file's order)."""
    if WORKER:
        rank = {name: k for k, name in enumerate(SLOWEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Whole files (or groups of files sharing a session fixture) per worker, in the order
    collected (see SLOWEST_FIRST), for ``--dist loadscope``."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return SHARED_SESSION.get(path.rsplit("/", 1)[-1], path)

    config.option.loadscopereorder = False
    return FileScheduling(config, log)


# Outside CI a test whose real data is missing is skipped (support.shared_data.shared_file);
# those skips get a category of their own, so the short summary does not list them one by one
# and pytest_terminal_summary counts them in one line.
NO_DATA = "no real data"


def pytest_report_teststatus(report, config):
    if report.skipped and NEEDS_DATA in str(report.longrepr):
        return NO_DATA, "s", "SKIPPED (no real data)"
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line for the tests left out for want of the real data (none under CI: they fail)."""
    count = len(terminalreporter.stats.get(NO_DATA, ()))
    if count:
        tests = "1 test needs" if count == 1 else f"{count} tests need"
        terminalreporter.write_line(f"{tests} the real data in {SHARED_DATA} (see docs/development.md); "
                                    "not run", yellow=True)


@pytest.fixture(autouse=True)
def _words_found_afresh():
    """Each test's speech engines run: none is answered by the words another test's engine
    found in the same recording (inference.speech.recent_words), and no speech worker process
    kept from another test's run is left for a test that counts them."""
    from talkrig.inference.speech.timing import RECENT
    from talkrig.plugins.speech.pocketsphinx.workers import stop_kept_workers

    RECENT.clear()
    stop_kept_workers()
    yield


@pytest.fixture(scope="session")
def scott_npz():
    return shared_file("beat2_scott_train", "2_scott_0_1_1.npz")


@pytest.fixture(scope="session")
def scott_wav():
    return shared_file("beat2_scott_train", "2_scott_0_1_1.wav")


@pytest.fixture(scope="session")
def scott_textgrid():
    return shared_file("beat2_scott_train", "2_scott_0_1_1.TextGrid")


@pytest.fixture(scope="session")
def scott2_wav():
    return shared_file("beat2_scott_train", "2_scott_0_2_2.wav")


@pytest.fixture(scope="session")
def scott2_textgrid():
    return shared_file("beat2_scott_train", "2_scott_0_2_2.TextGrid")


@pytest.fixture(scope="session")
def mfa_wav():
    return shared_file("speech_mfa", "acoustic_corpus.wav")


@pytest.fixture(scope="session")
def mfa_textgrid():
    return shared_file("speech_mfa", "acoustic_corpus.TextGrid")


@pytest.fixture(scope="session")
def mfa_transcript():
    return shared_file("speech_mfa", "acoustic_corpus.lab")


@pytest.fixture(scope="session")
def avatar_glb():
    return shared_file("avatar_cc0", "male_base_mesh.glb")


@pytest.fixture(scope="session")
def scott_motion(scott_npz):
    from talkrig.motion import load_motion

    return load_motion(scott_npz)


# A take from the BEAT2 mocap performed by the dressed CC0 avatar: frames and size of the video
# the capture tests film (rendered once per session, in a child process; never kept).
CHARACTER_TAKE = (0, 120)  # first frame, frames: 4 s with both arms gesturing
CHARACTER_SIZE = (1280, 720)


@pytest.fixture(scope="session")
def character_video(tmp_path_factory, scott_npz, scott_wav, scott_motion):
    """(video path, the true Motion it shows): an mp4 with the take's speech muxed in and
    VIDEO.camera.json beside it."""
    from support.capture_support import render_character_video

    start, frames = CHARACTER_TAKE
    out = tmp_path_factory.mktemp("character") / "performer.mp4"
    render_character_video(scott_npz, scott_wav, start, frames, out, size=CHARACTER_SIZE)
    return out, scott_motion[start:start + frames]


@pytest.fixture(scope="session")
def bpy():
    """Blender as a module (imported here, so a test file that needs it asks for it by name)."""
    import bpy

    return bpy


@pytest.fixture(scope="session")
def rigify_blend(tmp_path_factory):
    """A .blend with Blender's human metarig ("metarig") and the rig Rigify generates from it
    ("rig"), made once per test run (generating takes about 15 s); tests append from it."""
    import bpy
    from support.retarget_scenes import save_rigify

    bpy.ops.wm.read_factory_settings(use_empty=True)
    return save_rigify(bpy, tmp_path_factory.mktemp("rigify") / "rigify.blend")


@pytest.fixture(params=["ffmpeg", "no ffmpeg"])
def decoders(request, monkeypatch, tmp_path):
    """Runs a test twice: with a real ffmpeg on PATH (audioread's fallback decoder), and with
    libsndfile alone (no ffmpeg, and PyAV's own decoders hidden too)."""
    from support.tools_on_path import ffmpeg_exe, only_these_tools

    tools = {"ffmpeg": ffmpeg_exe()} if request.param == "ffmpeg" else {}
    only_these_tools(monkeypatch, tmp_path / "bin", tools)
    if request.param == "no ffmpeg":
        import talkrig.inference.audio.decode as audio

        monkeypatch.setattr(audio, "_pyav", lambda: None)
    return request.param
