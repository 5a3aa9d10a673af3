"""Audio in, SMPL-X motion out: the generation pipeline every shell (CLI, server, bake) calls.

Stages: decode -> features -> words -> generator -> key poses -> face -> post-processing.
``progress(stage, fraction)`` is called as work advances (inside the decode and words stages
too); ``cancelled()`` is polled between stages, generator windows and within the decode and
words stages, and stops the work with JobCancelled.
"""

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np

from ...motion.errors import TalkrigError, did_you_mean
from ..audio.decode import MAX_SECONDS
from .options import check_calm, check_seed
from ..progress import JobCancelled, StageProgress

log = logging.getLogger(__name__)


@dataclass
class GenerateOptions:
    """What to generate. Built from CLI flags or the server's JSON options.

    backend : generator plugin name.
    seed : random seed; the same seed gives the same motion.
    fps : output frame rate.
    speech : "auto" (transcript if given, else the first available engine), "none", or an
        engine name ("vosk", "pocketsphinx", "transcript").
    transcript : the script as plain text, or the text of a TextGrid/SRT/VTT/ASS/JSON file.
    keyposes : "default" (the bundled dictionary), "none", or a path to a JSON dictionary.
    backend_options : options of the generator, validated against its schema.
    speech_options : options of the speech engine (e.g. {"model": "/path/to/vosk-model"}).
    initial_pose : (55, 3) axis-angle the motion should start from (e.g. the rig's current
        pose), a take (Motion) whose last frame it goes on from, or None.
    face : face model name ("phones", the built-in) or "none" (the generator's jaw and
        expressions only, no face curves).
    face_options : options of the face model and the stage (e.g. {"mouth_strength": 0.8,
        "expressions": "blend"}), validated against its schema.
    language : "auto" or the speech's language code ("de", "es", "ja", ...): picks the aligner
        of a script (:func:`.speech.find_words`) and the key-pose words that fire.
    max_audio_seconds : longest recording accepted (default 10 minutes); None for no limit.
    calm : how much the body calms down in pauses of the speech, 0 (as the generator made it)
        to 1 (the default: gestures settle into slow drift until the next phrase, as much as
        the take needs: see ``postprocess.calm_needed``).
    words_only : find the words and stop (no motion): the process keeps them, so a take of the
        same recording moments later skips the engine (the add-on sends one as soon as the
        voice-over is chosen: :mod:`..speech.recent_words`).
    """

    backend: str = "procedural"
    seed: int = 0
    fps: float = 30.0
    speech: str = "auto"
    transcript: str | None = None
    keyposes: str | None = "default"
    backend_options: dict = field(default_factory=dict)
    speech_options: dict = field(default_factory=dict)
    initial_pose: object = None
    face: str = "phones"
    face_options: dict = field(default_factory=dict)
    calm: float = 1.0
    language: str = "auto"
    max_audio_seconds: float | None = MAX_SECONDS
    words_only: bool = False


def as_options(options=None, **fields):
    """A GenerateOptions from ``options`` (a GenerateOptions, a dict of its fields or None: the
    defaults) with ``fields`` over it, its transcript read when it is a file's path (as the
    command line reads it); TalkrigError naming a field that is none and listing the valid
    ones, or for options of another type. Local callers only (Python, a bake job): the server
    takes a transcript's text, never a path on its machine."""
    valid = [f.name for f in dataclasses.fields(GenerateOptions)]
    if options is None:
        given = {}
    elif isinstance(options, GenerateOptions):
        given = None
    elif isinstance(options, dict):
        given = dict(options)
    else:
        raise TalkrigError(f"options must be a GenerateOptions, a dict of its fields or None, "
                           f"got {type(options).__name__}")
    unknown = sorted((set(fields) | set(given or ())) - set(valid))
    if unknown:
        raise TalkrigError(f"unknown generation option{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(repr(name) + did_you_mean(name, valid) for name in unknown)}; the options are "
                           f"{', '.join(valid)}")
    if given is None:
        options = dataclasses.replace(options, **fields) if fields else options
    else:
        options = GenerateOptions(**{**given, **fields})
    return _transcript_read(options)


def _transcript_read(options):
    """``options`` with a transcript given as a file's path replaced by the file's text (and
    its name, which tells a timed format, among the speech options)."""
    import os

    from ..speech.transcripts import transcript_text

    if options.transcript is None:
        return options
    if isinstance(options.transcript, (list, tuple)):
        text, name = _words_given(options.transcript)
        if name is None:  # a script's words
            return dataclasses.replace(options, transcript=text)
        return dataclasses.replace(options, transcript=text,
                                   speech_options={**options.speech_options, "transcript_name": name})
    if isinstance(options.transcript, (bytes, bytearray)):
        options = dataclasses.replace(options, transcript=_decoded_script(options.transcript))
    elif not isinstance(options.transcript, (str, os.PathLike)):
        raise TalkrigError(f"transcript must be text, a file's path or a list of words, got "
                           f"{type(options.transcript).__name__}")
    text, name = transcript_text(os.fspath(options.transcript))
    if name is None:
        return options
    return dataclasses.replace(options, transcript=text,
                               speech_options={**options.speech_options, "transcript_name": name})


def _words_given(items):
    """(transcript text, the name of the format it is in) for a list of words: timed words (a
    result's ``.words`` used again, or dicts as ``talkrig words --json`` prints them) as a JSON
    word list, read as they are; strings as the script's words, aligned to the voice."""
    import json

    from ..speech.words import Word

    if items and all(isinstance(item, (Word, dict)) for item in items):
        timed = [item.to_dict() if isinstance(item, Word) else item for item in items]
        # numpy's numbers as Python's; anything else as its text, refused by the reader by name
        return json.dumps(timed, default=lambda v: v.item() if hasattr(v, "item") else str(v)), "words.json"
    if all(isinstance(item, str) for item in items):
        return " ".join(items), None
    kinds = sorted({type(item).__name__ for item in items} - {"str", "Word", "dict"})
    raise TalkrigError(f"transcript as a list must hold the words as strings, Word objects (a "
                       f"result's .words) or dicts with word, start and end, got "
                       f"{', '.join(kinds) or 'strings and timed words mixed'}")


def _decoded_script(data):
    """A transcript given as a file's bytes (a script, a document, a TextGrid...), as its text."""
    from ...motion.textfile import transcript_data_text

    text, problem = transcript_data_text(bytes(data))
    if problem:
        raise TalkrigError(f"the transcript's bytes: {problem}")
    return text


@dataclass
class GenerateResult:
    motion: object  # motion.Motion
    words: list  # list[inference.speech.words.Word]
    features: object  # inference.features.compute.AudioFeatures
    notices: list = field(default_factory=list)  # warnings about the words, one line each


def generate(audio, options=None, progress=None, cancelled=None):
    """Run the whole pipeline on ``audio`` (a path, the file's bytes, or decoded samples).

    Returns a GenerateResult whose motion has exactly frame_count(duration, options.fps) frames
    (None with ``options.words_only``).
    Raises a TalkrigError subclass with a message a person can act on for any bad input.

    progress(stage, fraction): stage name (decode, features, words, generate, keyposes, face,
    postprocess, done) and the overall fraction done in [0, 1], never decreasing.
    cancelled(): polled between stages, generator windows, decoded audio blocks and, in the
    words stage, at least every 0.25 s of speech work; True stops with JobCancelled.
    """
    from ..blas_threads import one_blas_thread

    with one_blas_thread():  # the same take on any machine, no core spent spinning (blas_threads)
        return _generate(audio, options, progress, cancelled)


def _generate(audio, options, progress, cancelled):
    """:func:`generate`'s stages."""
    from ...motion.container import check_fps, frame_count
    from ...motion.resample import resample
    from ..features.activity import speech_activity
    from ..audio.decode import decode_audio
    from .face import animate_face, resolve_face
    from ..features.compute import features_for
    from .generators import GenerationRequest, check_options, generation_fps, get_generator
    from .keyposes import insert_keyposes, load_keyposes_option
    from ..speech.languages import normalise, words_language
    from ..speech.timing import language_in_doubt
    from .postprocess import calm_weight, postprocess
    from ..registry import PluginError

    options = GenerateOptions() if options is None else options
    fps = check_fps(options.fps)
    check_seed(options.seed)
    calm = check_calm(options.calm)
    step = StageProgress(progress, cancelled)
    # Everything a user can get wrong is checked before the expensive work starts.
    generator = get_generator(options.backend)
    backend_options = check_options(generator, options.backend_options)
    language = normalise(options.language)
    dictionary = load_keyposes_option(options.keyposes, words_language(language, options.transcript))
    face_model, face_options = resolve_face(options.face, options.face_options)
    gen_fps = generation_fps(generator, backend_options, fps)

    step("decode", 0.0)
    decoded = decode_audio(audio, max_seconds=options.max_audio_seconds,
                           progress=lambda fraction: step("decode", fraction))
    step("features", 0.0)
    features = features_for(decoded, gen_fps)
    step("words", 0.0)
    notices = []
    words = _words(decoded, options, dictionary, features, lambda fraction: step("words", fraction),
                   notices)
    if dictionary is not None and dictionary.language is not None and language_in_doubt(notices):
        dictionary = None  # English words of speech that may be another language: lips only
    if options.words_only:
        step("done", 1.0)
        return GenerateResult(motion=None, words=words, features=features, notices=notices)
    step("generate", 0.0)
    n_gen = frame_count(decoded.duration, gen_fps)
    request = GenerationRequest(
        features=features, words=words, n_frames=n_gen, fps=gen_fps, seed=options.seed,
        initial_pose=options.initial_pose, options=backend_options,
        progress=lambda fraction: step("generate", fraction), cancelled=cancelled)
    motion = generator.generate(request)
    if getattr(motion, "n_frames", None) != n_gen:
        raise PluginError(f"generator '{options.backend}' returned "
                          f"{getattr(motion, 'n_frames', '?')} frames, expected {n_gen}")
    step("keyposes", 0.0)
    motion, insertions = insert_keyposes(motion, words, dictionary, options.seed)
    step("face", 0.0)
    if motion.fps != fps:
        motion = resample(motion, fps)  # the face is made at the output rate: no lost closures
    if face_model is not None:
        face_features = features if features.fps == fps else features_for(decoded, fps)
        motion = animate_face(face_model, motion, words, face_features, options.seed, face_options)
    step("postprocess", 0.0)
    pause = None
    if calm > 0:  # weights at the generation rate, read at the motion's (the output) rate
        weight = calm_weight(speech_activity(features, words), gen_fps)
        pause = calm * np.interp(np.arange(motion.n_frames) / motion.fps, np.arange(len(weight)) / gen_fps, weight)
    spared = getattr(generator, "jitter_spared", None)
    motion = postprocess(motion, fps=fps, n_frames=frame_count(decoded.duration, fps), pause=pause,
                         spare=tuple(spared(backend_options)) if callable(spared) else (),
                         smooth_need=getattr(generator, "jitter_need", None))
    step("done", 1.0)
    log.info("generated %d frames at %g fps with %s (%d words, %d key poses)",
             motion.n_frames, fps, options.backend, len(words), len(insertions))
    return GenerateResult(motion=motion, words=words, features=features, notices=notices)


def _words(decoded, options, dictionary, features, progress, notices):
    """Words of the audio; with speech "auto" and nothing to recognise with, none (a warning,
    added to ``notices`` with the engine's own). progress(fraction of the stage) also stops the
    engine when the job is cancelled. An engine asked to spot keywords ("mode": "keywords")
    listens for the key-pose dictionary's words."""
    from ..speech.timing import SpeechError, find_words

    engine = (options.speech or "auto").strip().lower()
    speech_options = dict(options.speech_options or {})
    if str(speech_options.get("mode", "")).lower() == "keywords" and dictionary is not None:
        speech_options.setdefault("keywords", sorted(dictionary.index))
    try:
        return find_words(decoded, engine, options.transcript, speech_options, progress,
                          language=options.language, features=features, notices=notices)
    except SpeechError as exc:
        if engine != "auto" or (options.transcript or "").strip():
            raise
        notices.append(f"no words found, generating without them: {exc}")
        log.warning("%s", notices[-1])
        return []
