"""The face stage in the pipeline: real speech in, a take with its face out (jaw, expressions,
face curves, eyes), the expression modes, the CLI's face flags and mouth cues, and the server's
face options."""

import json

import numpy as np
import pytest
import soundfile as sf

from talkrig.cli import main
from talkrig.inference.generation.face import FaceResult, apply_face, get_face_model
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.inference.registry import PluginError
from talkrig.inference.speech.timing import find_words
from talkrig.inference.speech.words import words_to_json
from talkrig.motion import load_motion
from talkrig.motion.facecurves import JAW, JAW_OPEN_RADIANS, mouth_direction

SECONDS = 8.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory, scott_wav, scott_textgrid):
    """(wav path, JSON words with phones) of the first 8 s of the real take."""
    folder = tmp_path_factory.mktemp("face_clip")
    samples, rate = sf.read(str(scott_wav), dtype="float32")
    path = folder / "clip.wav"
    sf.write(str(path), samples[: int(SECONDS * rate)], rate)
    words = [w for w in find_words(str(scott_wav), "transcript", scott_textgrid.read_text())
             if w.end <= SECONDS]
    return path, json.dumps(words_to_json(words))


@pytest.fixture(scope="module")
def takes(clip):
    """The clip generated with the face replacing, blending with and keeping the generator's
    jaw and expressions, and with no face model."""
    path, words = clip
    out = {}
    for mode in ("replace", "blend", "keep"):
        options = GenerateOptions(seed=3, transcript=words, speech_options={"transcript_name": "w.json"},
                                  face_options={"expressions": mode})
        out[mode] = generate(str(path), options).motion
    out["none"] = generate(str(path), GenerateOptions(seed=3, transcript=words, face="none",
                                                      speech_options={"transcript_name": "w.json"})).motion
    return out


def test_a_take_carries_its_face(takes):
    motion = takes["replace"]
    assert motion.n_frames == 240 and motion.has_face
    jaw_open = motion.face_curve("jawOpen")
    # the SMPL-X jaw is the face model's (post-processing only smooths it a little)
    assert np.corrcoef(motion.poses[:, JAW, 0], JAW_OPEN_RADIANS * jaw_open)[0, 1] > 0.95
    # and so is the mouth in the expression coefficients
    direction = mouth_direction(motion.n_expressions)
    along = motion.expressions @ direction / (direction @ direction)
    np.testing.assert_allclose(along, 2.0 * jaw_open, atol=1e-4)
    assert motion.face_curve("eyeBlink_L").max() > 0.9  # 8 s of speech has a blink
    assert not takes["none"].has_face


def test_expressions_modes_blend_and_keep_the_generators_own(takes):
    jaws = {mode: takes[mode].poses[:, JAW, 0] for mode in ("replace", "blend", "keep", "none")}
    np.testing.assert_allclose(jaws["keep"], jaws["none"], atol=1e-5)  # the generator's jaw
    np.testing.assert_allclose(jaws["blend"], 0.5 * (jaws["replace"] + jaws["keep"]), atol=0.01)
    assert np.abs(jaws["replace"] - jaws["keep"]).mean() > 0.01
    np.testing.assert_allclose(takes["keep"].expressions, takes["none"].expressions, atol=1e-5)
    # the face curves are there whatever the mode
    np.testing.assert_allclose(takes["keep"].face_curve("jawOpen"), takes["replace"].face_curve("jawOpen"))


def test_a_face_model_that_misbehaves_is_named(takes):
    with pytest.raises(PluginError, match="broken.*not a FaceResult"):
        apply_face(takes["none"], None, name="broken")
    with pytest.raises(PluginError, match="not 240 frames long"):
        apply_face(takes["none"], FaceResult(curves={"jawOpen": np.zeros(10)}), name="broken")
    with pytest.raises(PluginError, match="NaN"):
        apply_face(takes["none"], FaceResult(curves={"jawOpen": np.full(240, np.nan)}), name="broken")
    with pytest.raises(PluginError, match="unknown face model 'lips'.*phones"):
        generate(np.zeros(16000, np.float32), GenerateOptions(face="lips", speech="none"))


def test_cli_writes_the_mouth_cues(clip, tmp_path, capsys):
    path, words = clip
    transcript = tmp_path / "words.json"
    transcript.write_text(words)
    out = tmp_path / "take.npz"
    code = main(["generate", str(path), "-o", str(out), "--transcript", str(transcript),
                 "--mouth-cues", str(tmp_path / "cues.json"), "--face-option", "blink_rate=0",
                 "--quiet"])
    assert code == 0, capsys.readouterr().err
    take = load_motion(out)
    assert take.face_curve("eyeBlink_L").max() == 0.0  # the face option reached the model
    cues = json.loads((tmp_path / "cues.json").read_text())
    assert cues["metadata"]["soundFile"] == "clip.wav"
    values = [c["value"] for c in cues["mouthCues"]]
    assert set(values) >= {"A", "B", "X"} and len(values) > 20
    assert cues["mouthCues"][-1]["end"] == pytest.approx(SECONDS, abs=0.05)
    # every p/b/m of the words shows the closed mouth A while it sounds
    for word in json.loads(words):
        for phone in word.get("phones", []):
            if phone["phone"] in ("P", "B", "M"):
                mid = 0.5 * (phone["start"] + phone["end"])
                near = [c["value"] for c in cues["mouthCues"]
                        if c["start"] - 0.035 <= mid <= c["end"] + 0.035]
                assert "A" in near, phone


@pytest.mark.parametrize("args, needle", [
    (["--face-option", "mouth_strength=9"], "mouth_strength"),
    (["--face", "lips"], "unknown face model 'lips'"),
    (["--mouth-cues", "cues.txt"], "write the cues as .json or .tsv"),
    (["--face", "none", "--mouth-cues", "cues.json"], "needs a face model"),
])
def test_cli_face_mistakes_are_one_line(clip, tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    code = main(["generate", str(clip[0]), "-o", "take.npz", "--speech", "none", "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_server_checks_face_options(tmp_path):
    from talkrig.inference.server.catalog import Catalog
    from talkrig.inference.server.job_options import OptionsError, parse_options

    catalog = Catalog()  # the installed plugins
    ok = parse_options(json.dumps({"face": "phones", "face_options": {"mouth_strength": 0.5,
                                                                      "expressions": "blend"}}).encode(),
                       catalog, tmp_path)
    assert ok.face == "phones" and ok.face_options == {"mouth_strength": 0.5, "expressions": "blend"}
    assert parse_options(b'{"face": "none"}', catalog, tmp_path).face == "none"
    for raw, needle in ((b'{"face": "lips"}', "unknown face model 'lips'"),
                        (b'{"face_options": {"blink_rate": 100}}', "blink_rate"),
                        (b'{"face_options": [1]}', "'face_options' must be a JSON object"),
                        (b'{"face": "none", "face_options": {"smoothing": 0.1}}', "face model is 'none'")):
        with pytest.raises(OptionsError, match=needle) as caught:
            parse_options(raw, catalog, tmp_path)
        if b'"lips"' in raw:
            assert caught.value.valid == ["none", "phones"]


def test_face_models_are_listed_with_their_options(capsys):
    from talkrig.inference.generation.face import list_face_models
    from talkrig.inference.registry import PluginEntry

    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "face models" in out and "--face-option mouth_strength=<float> in [0.0, 2.0]" in out
    entries = {"phones": PluginEntry("phones", "x:y", error="ImportError: no module named lips")}
    listed = list_face_models(entries)
    assert listed == [{"name": "phones", "available": False, "error": "ImportError: no module named lips",
                       "summary": "", "options": []}]
    with pytest.raises(PluginError, match="face model 'phones' is unavailable: ImportError"):
        get_face_model("phones", entries)
