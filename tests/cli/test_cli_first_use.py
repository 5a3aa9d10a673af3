"""What a new user runs first: the commands say what they will do and do what they are told."""

import numpy as np
import pytest
import soundfile as sf

from talkrig.cli import main
from talkrig.motion import Motion, load_motion, save_motion


def test_backends_says_which_learned_backends_have_no_model_yet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TALKRIG_MODELS", str(tmp_path / "models"))  # nothing trained
    assert main(["backends"]) == 0
    states = dict(line.split("  (", 1) for line in capsys.readouterr().out.splitlines()
                  if "  (" in line and not line.startswith(" "))
    assert states["procedural"] == "available)"
    for name in ("a2g", "dr2", "s2v", "ldm"):
        assert states[name].startswith(f"needs a trained model: none in {tmp_path / 'models' / name}"), states[name]
        assert "talkrig train" in states[name]


def test_render_draws_the_skeleton_by_default_as_bake_does(tmp_path):
    take = Motion.rest(6, 30.0)
    save_motion(take, tmp_path / "take.npz")
    out = tmp_path / "take.mp4"
    assert main(["render", str(tmp_path / "take.npz"), "-o", str(out), "--quiet"]) == 0
    assert out.stat().st_size > 0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from support.server_support import local_server

    local, client = local_server(tmp_path_factory.mktemp("serve"))
    yield local, client
    local.stop()


@pytest.mark.slow
def test_live_streams_only_the_seconds_asked_for(server, scott2_wav, tmp_path, capsys):
    local, client = server
    wav, out = tmp_path / "three.wav", tmp_path / "live.npz"
    sf.write(wav, sf.read(scott2_wav, dtype="float32")[0][: 3 * 16000], 16000)
    code = main(["live", str(wav), "--seconds", "1", "--url", client.url, "--token-file", str(local.token_file),
                 "--face", "none", "--out", str(out)])
    assert code == 0, capsys.readouterr()
    assert load_motion(out).n_frames == 30
    assert main(["live", str(wav), "--seconds", "nan", "--url", client.url]) == 2
    assert "--seconds must be a positive number" in capsys.readouterr().err


@pytest.mark.parametrize("engine", [[], ["--engine", "ray"]])
def test_bake_batch_refuses_a_format_its_manifest_does_not_follow(engine, tmp_path, capsys):
    """Rows that name their output's type keep it: --format and --fbx-target that would not
    apply are refused before anything is baked, never silently dropped."""
    from support.cli_support import one_line_error

    (tmp_path / "a.wav").write_bytes(b"")
    manifest = tmp_path / "clips.csv"
    manifest.write_text("audio,output\na.wav,intro.glb\na.wav,outro\n")
    out = tmp_path / "baked"
    base = ["bake-batch", manifest, "--out", out, *engine]
    error = one_line_error(capsys, base + ["--format", "fbx", "--fbx-target", "unity"])
    assert "--format fbx applies to outputs named without a suffix" in error and "intro.glb" in error
    error = one_line_error(capsys, base + ["--fbx-target", "unity"])
    assert "--fbx-target unity applies to FBX outputs" in error and ".glb" in error
    assert not out.exists()


@pytest.mark.parametrize("lines, message", [
    (["audio,output", ",".join(["a.wav"] * 100000)], "line 2: 100000 values for the 2 columns of the header"),
    (["audio," + ",".join(["output"] * 100000), "a.wav"], "100001 columns; each of"),
    (["audio,output,audio", "a.wav,x,y"], "'audio' more than once"),
])
def test_bake_batch_refuses_rows_wider_than_the_header(tmp_path, capsys, lines, message):
    manifest = tmp_path / "clips.csv"
    manifest.write_text("\n".join(lines) + "\n")
    code = main(["bake-batch", str(manifest), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in err
    assert message in out + err, out + err
