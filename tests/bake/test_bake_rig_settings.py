"""The rig settings as one value, without Blender: `bake` and `bake-batch` read the same flags
into a RetargetSettings, and a batch's settings carry it whole (pickled to its workers) to the
bake of every clip."""

import argparse
import pickle

import pytest

from talkrig.commands import bake as bake_command
from talkrig.commands import bake_batch
from talkrig.exporters import bake as bake_module
from talkrig.exporters.bake import BakeReport, BakeResult
from talkrig.exporters.batch import DONE, BatchSettings, bake_clip, bake_clip_collected
from talkrig.exporters.manifest import Clip
from talkrig.motion.retarget import RetargetSettings

RIG_FLAGS = ["--root-target", "object", "--constrained", "deform", "--no-plant-feet"]
ASKED = RetargetSettings(constrained="deform", root_target="object", plant_feet=False)


def parsed(command, argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize("command, argv", [
    (bake_command, ["speech.wav", "-o", "take.glb"]),
    (bake_batch, ["clips.csv", "--out", "baked"]),
])
def test_both_commands_read_the_rig_flags_into_one_value(command, argv):
    assert bake_command.retarget_settings(parsed(command, argv)) == RetargetSettings()
    assert bake_command.retarget_settings(parsed(command, argv + RIG_FLAGS)) == ASKED


def test_the_flags_are_one_definition():
    def rig_help(command, argv):
        parser = argparse.ArgumentParser()
        command.add_arguments(parser)
        return {a.dest: (a.option_strings, a.help, a.choices, a.default)
                for a in parser._actions if a.dest in ("root_target", "constrained", "plant_feet")}

    assert rig_help(bake_command, []) == rig_help(bake_batch, []) != {}


def test_a_batch_carries_its_rig_settings_to_every_clip(tmp_path, monkeypatch):
    settings = pickle.loads(pickle.dumps(BatchSettings(out_dir=tmp_path, retarget=ASKED)))
    assert settings.retarget == ASKED  # what a worker process receives
    jobs = []

    def bake(job):
        jobs.append(job)
        return BakeReport(outputs=job.outputs, n_frames=3, fps=30.0)

    monkeypatch.setattr(bake_module, "bake", bake)
    clip = Clip(line=2, output="take.glb", audio=str(tmp_path / "take.wav"))
    assert bake_clip(clip, settings)["status"] == DONE
    assert bake_clip_collected(clip, settings)["status"] == DONE  # a node's private folder
    assert [job.retarget for job in jobs] == [ASKED, ASKED]
    assert BakeResult is BakeReport  # the summary's name before, kept for one release
