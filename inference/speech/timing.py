"""Word timing: which word is spoken when, through speech plugins (entry-point group talkrig.speech).

A speech plugin is a class (or instance) with

- ``name``: the engine name users type ("vosk", "pocketsphinx", "transcript", ...);
- ``describe()``: a JSON-ready dict: description, what it can do (``recognizes`` words without a
  transcript, ``aligns`` a plain-text transcript, ``reads_timed`` transcripts that already have
  times), ``needs_model`` and an ``options`` schema {name: {"type", "description"}};
- ``words(audio, transcript, options) -> list[Word]`` for a DecodedAudio; an engine that also
  takes ``progress`` gets ``progress(fraction)`` to call at least every 0.25 s of its work with
  the share done (0..1): that is how a long decode shows progress, and how it is cancelled
  (the callback raises JobCancelled; let it propagate);
- optionally ``unavailable(options) -> str``: why it cannot run now ("" when it can),
  ``can_read(transcript, options) -> bool`` for engines that read timed transcripts, and
  ``live_spotter(words)`` for engines that spot words in audio as it arrives (live key poses),
  and ``fingerprint(options) -> str`` for engines whose words may be kept on disk
  (:mod:`.kept_words`): what else they depend on, such as the library's version and the model.

:class:`SpeechPlugin` is a base class with those defaults. Built-ins register through the same
entry points as third-party engines.
"""

import contextlib
import inspect
import logging
import re
import threading

from ...motion.errors import TalkrigError
from .languages import AUTO, guess_language, is_english, normalise
from . import kept_words
from .recent_words import RecentWords
from ..registry import SPEECH, PluginKind
from .transcripts.formats import detect_format, subtitle_lines
from .transcripts.unspoken import spoken_text
from .transcripts.lines import LINE_SLACK, share_astray
from .words import Phone, Word

log = logging.getLogger(__name__)

# "auto" without a transcript tries recognizers in this order (vosk only runs when a model is
# configured), then any other recognizer by name.
AUTO_RECOGNIZERS = ("vosk", "pocketsphinx")
AUTO_ALIGNER = "pocketsphinx"
ANY_LANGUAGE_ALIGNER = "espeak"  # a script in any other language than English
ENGINE_CHOICES = ("auto", "none", "vosk", "pocketsphinx", "espeak", "transcript")
RECENT = RecentWords()  # the engines' words for the last few recordings of this process
# the speech engines' own loggers (plugins/speech/...), whose warnings are notices too
ENGINES_LOGGER = __name__.rsplit(".inference.", 1)[0] + ".plugins.speech"
# Without a script or a language, English recognition whose words average this confidence or
# more is English (whole real English recordings average 0.64-0.65) ...
ENGLISH_CONFIDENCE = 0.48
# ... under this it is speech in another language (eSpeak NG's German 0.31-0.34, French
# 0.26-0.28), and between the two in doubt: real English in 20 s pieces averages 0.45-0.69,
# under a faint hiss (35 dB under the voice) 0.34-0.60, where another language's 0.13-0.72.
# The words of speech in doubt are kept for the lips but fire no key poses (benchmarks/JOURNAL.md).
NOT_ENGLISH_CONFIDENCE = 0.36
MIN_WORDS_TO_JUDGE = 8
# ... but only in a recording clean enough to tell: noise lowers the confidence of English too
# (the shared English recording under hiss at 10 dB SNR averages 0.27). activity.clarity_db:
# clean speech 19-39 dB, under hiss at 20 dB SNR 14 dB.
MIN_CLARITY_TO_JUDGE = 17.0
# ... and wide enough: recorded through a telephone's 8 kHz or at 11 kHz, English averages
# 0.40-0.48 (its word onsets still within 20-30 ms of the TextGrid's), as eSpeak NG's other
# languages do (0.12-0.58): under this bandwidth (activity.bandwidth_hz) the words are kept.
MIN_BANDWIDTH_TO_JUDGE = 6500.0  # Hz: 7.4 kHz (the top band) at 16 kHz, 5.5 at 11 kHz
# Of the words' progress, the first search's where a second may follow (:func:`_judged`): the
# second moves the bar on from there instead of holding it at the end for its whole length.
FIRST_SEARCH_SHARE = 0.8
MIN_SPEECH_SHARE = 0.3  # of a recognised word's frames that must be speech for it to stay
# ... where a frame is speech also when the voice detector is this sure of a voice there and it
# is no music or laughter: a phrase's last word fades under the level the recording's speech
# stands out by (one at confidence 0.98 was dropped as noise)
SURE_VOICE = 0.9
# ... and a frame this close to speech counts as speech: a soft first word ("the" before a
# phrase) starts a few frames before the level rises ("the" at 1.44-1.52 s dropped, the speech
# found from 1.53 s); music or noise a recogniser fills with words runs for seconds
SPEECH_EDGE_SECONDS = 0.1
NOT_SPEECH_FPS = 30.0  # frame rate of the features music and laughter are found at, if none given
# Timed lines (subtitles' cues of several words) are aligned as a script unless more than this
# share of its words land far from their lines (transcripts.lines.share_astray): then the lines'
# times are kept
MAX_ASTRAY = 0.25
# A script to align can be no longer than anyone speaks in the recording: the fastest speech is
# about 6 words and 25 letters a second. An aligner reads the whole script (eSpeak NG speaks it,
# pocketsphinx builds its grammar), so 20 000 words against 1 s of sound took 4 minutes and 4 GB.
MAX_SCRIPT_WORDS = (10.0, 40)  # per second of recording, and always allowed
MAX_SCRIPT_LETTERS = (50.0, 400)


class SpeechError(TalkrigError):
    """Words could not be found: no engine available, a model missing, or the engine failed."""


class SpeechPlugin:
    """Base class of speech plugins: override ``words``; the rest has sensible defaults."""

    name = ""
    description = ""
    recognizes = False  # finds words in audio without a transcript
    aligns = False  # times the words of a plain-text transcript
    reads_timed = False  # reads transcripts that already carry times
    needs_model = False
    options_schema = {}

    def describe(self):
        return {
            "name": self.name,
            "description": self.description,
            "recognizes": self.recognizes,
            "aligns": self.aligns,
            "reads_timed": self.reads_timed,
            "needs_model": self.needs_model,
            "options": dict(self.options_schema),
        }

    def unavailable(self, options=None):
        """Why this engine cannot run with ``options`` now; "" when it can."""
        return ""

    def can_read(self, transcript, options=None):
        """True when ``transcript`` is a timed format this engine reads."""
        return False

    def knows_language(self, language):
        """False when this engine knows ``language`` (a code) is no language it handles; None
        when it cannot say (most engines: their model decides)."""
        return None

    def words(self, audio, transcript=None, options=None, progress=None):
        raise NotImplementedError

    def live_spotter(self, words):
        """An object whose ``feed(samples) -> [Word]`` spots ``words`` in 16 kHz audio fed as it
        arrives (live key poses), or None when this engine cannot."""
        return None

    def second_opinion(self, options=None):
        """Options for a slower, fuller search of the same sound, run when the words found with
        ``options`` do not show English to be English (:func:`english_verdict`) and their
        language is judged (English recognition without a script or a language): the verdict
        is then made on that search's words. None (the default): the words stand as found."""
        return None

    def fingerprint(self, options=None):
        """What this engine's words depend on besides the sound, the script and ``options``
        (its library's version, its model), as a string: they are then kept on disk for the
        next process (:mod:`.kept_words`). None (the default): kept in this process only, as
        for an engine that may not find the same words twice."""
        return None


def _no_recogniser(language, entries, available):
    """Why no engine hears ``language``: a code an engine that knows its languages (eSpeak NG's
    reader) says is none is a typo, not a missing model."""
    engines = [get_speech_plugin(n, entries) for n in available]
    verdicts = [e.knows_language(language) for e in engines
                if callable(getattr(e, "knows_language", None))]
    if False in verdicts and True not in verdicts:
        return (f"no speech engine knows the language {language!r}: give a language code such as "
                "de, es, fr, it, pt, ru, pl, ja, cmn, hi, ar, tr, fi")
    return (f"no recogniser of {language!r} is set up (a Vosk model of the language): give the "
            "script to time its words")


def validate_speech_plugin(obj):
    """Raise TypeError unless ``obj`` looks like a speech plugin (used at discovery)."""
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError("a speech plugin needs a non-empty string 'name'")
    for method in ("describe", "words"):
        if not callable(getattr(obj, method, None)):
            raise TypeError(f"speech plugin '{name}' has no {method}() method")


SPEECH_ENGINE = PluginKind(SPEECH, "speech engine", validate_speech_plugin)


def speech_plugins(refresh=False):
    """{name: PluginEntry} of every speech plugin found through entry points."""
    return SPEECH_ENGINE.entries(refresh)


def get_speech_plugin(name, entries=None):
    """The ready-to-use plugin instance called ``name`` (one instance per plugin, reused so
    models load once); PluginError listing the available engines when unknown."""
    return SPEECH_ENGINE.instance(name, entries)


def find_words(audio, engine="auto", transcript=None, options=None, progress=None, language=AUTO,
               features=None, notices=None):
    """Words spoken in ``audio`` with their times, sorted by start.

    audio : a DecodedAudio (or anything audio.decode_audio accepts).
    engine : "auto", "none" or an engine name (GenerateOptions.speech semantics):
        "none" returns []; "auto" reads a timed transcript (TextGrid, SRT, WebVTT, ASS, JSON words,
        Audacity's labels) directly but aligns timed lines (a cue of several words, a Whisper
        transcription's segments) as a script (their times kept where it cannot be aligned),
        aligns a plain-text transcript (less its directions and speakers' names) with
        pocketsphinx (espeak for another language), and without a transcript
        uses the first available recognizer (vosk when a model is configured, else
        pocketsphinx). An aligner named explicitly ("pocketsphinx") given a timed transcript
        re-times its words.
    transcript : the script as text, or the text of a TextGrid/SRT/VTT/ASS/JSON file.
    options : engine options, e.g. {"model": "/path/to/vosk-model"} or
        {"transcript_name": "talk.srt"} (used in messages and to tell the format).
    progress : progress(fraction) called as the engine works, if it reports progress; it may
        raise (e.g. JobCancelled) to stop the engine.
    language : "auto" or a language code (:mod:`.languages`). "auto" with a plain-text script
        aligns English with pocketsphinx and a script written in another language with the
        espeak engine; without a script it recognises English, and speech that evidently is
        not English gives no words (one warning) rather than English words nobody said. A
        language other than English without a script needs a recogniser of it (a Vosk model).
    features : the recording's AudioFeatures, if already computed (at any rate).
    notices : a list that also gets the warnings a person should read about the words (their
        language not English, too narrow a band to tell, a script timed by another engine), one
        line each, for callers that show them their own way (a server job's result).

    An engine that listens (recognises or aligns) hears the recording less its music,
    laughter and steady beats (:func:`speech_only`), so no word, recognised or of a script,
    falls in them; recognised words where nobody speaks are also left out
    (:func:`heard_in_speech`) before the speech's language is judged.
    """
    from ..audio.decode import DecodedAudio, decode_audio
    from ..features.compute import features_for

    if not isinstance(audio, DecodedAudio):
        audio = decode_audio(audio)
    engine = (engine or "auto").strip().lower()
    if transcript is not None and not str(transcript).strip():
        transcript = None
    options = dict(options or {})
    language = normalise(language)
    if engine == "none":
        return []
    if transcript is not None and not detect_format(transcript, options.get("transcript_name")):
        transcript = _spoken_script(transcript, options.get("transcript_name"))
        if transcript is None:
            return []  # nothing in it is said: directions alone, "(sighs)"
    entries = speech_plugins()
    if engine == "auto":
        plugin = _auto_engine(entries, transcript, options, language)
        timed = _describe(plugin).get("reads_timed")
        lines = subtitle_lines(transcript, options.get("transcript_name")) if timed else None
        if lines is not None:
            return _lines_aligned(audio, plugin, transcript, lines, options, progress, language,
                                  features, notices)
    else:
        plugin = get_speech_plugin(engine, entries)
        reason = _unavailable(plugin, options)
        if reason:
            raise SpeechError(f"speech engine '{engine}' cannot run: {reason}")
        if transcript is not None and _describe(plugin).get("aligns"):
            transcript = _script_of(entries, plugin, audio, transcript, options)
    if plugin.name == ANY_LANGUAGE_ALIGNER and language != AUTO:
        options.setdefault("language", language)
    if transcript is not None and _describe(plugin).get("aligns"):
        check_script_length(transcript, audio)
    listens = _describe(plugin).get("recognizes") or _describe(plugin).get("aligns")
    if listens and features is None:
        features = features_for(audio, NOT_SPEECH_FPS)
    heard, at = speech_only(audio, features) if listens else (audio, None)
    judging = engine == "auto" and transcript is None and language == AUTO
    wider = _second_opinion(plugin, options) if judging else None
    first = progress if wider is None else _part(progress, 0.0, FIRST_SEARCH_SHARE)
    try:
        try:
            found = _run(plugin, heard, transcript, options, first, notices)
        except SpeechError as exc:
            if at is None or transcript is None:
                raise
            # a script is never refused for what was cut out: listen to the whole recording
            log.info("%s; listening to the whole recording", exc)
            heard, at = audio, None
            found = _run(plugin, heard, transcript, options, first, notices)
    except SpeechError as exc:
        fallback = _unknown_script_fallback(entries, plugin, engine, transcript, language)
        if fallback is None:
            raise
        _notice(notices, "%s; the script's language is not told by its words: timing it with "
                "the espeak engine instead (give --language for its pronunciation)", exc)
        plugin = fallback
        found = _run(plugin, heard, transcript, options, progress, notices)
    found = _placed(found, heard, at, plugin)
    if transcript is None and _describe(plugin).get("recognizes"):
        found = heard_in_speech(found, features)
    if judging:
        def listen():  # the same sound heard again with the engine's second-opinion options
            again = _run(plugin, heard, None, wider, _part(progress, FIRST_SEARCH_SHARE, 1.0), notices)
            return heard_in_speech(_placed(again, heard, at, plugin), features)

        found, (verdict, band) = _judged(found, wider, options, audio, listen)
        if verdict == NOT_ENGLISH:
            _notice(notices, "%s: the speech does not sound like English (recognised words "
                    "average %.2f confidence): no words kept; if it is English, set the language "
                    "to en (--language en) to keep them, else give its language and script",
                    audio.name, _mean_confidence(found))
            return []
        if verdict == IN_DOUBT:
            _notice(notices, "%s: the speech may not be English (recognised words average %.2f "
                    "confidence): its words are kept for the lips but fire no English key poses; "
                    "if it is English, set the language to en (--language en) for them too, else "
                    "give its language and script", audio.name, _mean_confidence(found),
                    kind=IN_DOUBT)
        if verdict == TOO_NARROW:
            _notice(notices, "%s: recorded with sound only up to %.1f kHz (a telephone, or a "
                    "low sample rate), where English cannot be told from another language "
                    "(recognised words average %.2f confidence): the words are kept; give the "
                    "language (--language) and the script if it is not English", audio.name,
                    band / 1000.0, _mean_confidence(found))
    return found


def _lines_aligned(audio, reader, transcript, lines, options, progress, language, features, notices):
    """The words of a transcript that times lines, not words (``lines``: each cue's, segment's or
    label's words, start and end), aligned to the voice as a script: a line's time shared among
    its words puts them 0.1-0.26 s from where they are said, aligned 0.01 s
    (benchmarks/JOURNAL.md). Where the script cannot be aligned, or a quarter of its words land
    far from their lines, each line's time is shared among its words, with one line saying so."""
    # read first: subtitles of another recording are refused before any alignment
    shared = _run(reader, audio, transcript, options, None, notices)
    script = {k: v for k, v in options.items() if k != "transcript_name"}  # plain words now
    heard = []  # the aligner's notices, for words that are kept
    try:
        found = find_words(audio, "auto", _line_text(lines), script, progress, language, features, heard)
        astray = share_astray(found, lines)
    except SpeechError as exc:
        problem = str(exc)
    else:
        if astray <= MAX_ASTRAY:
            if notices is not None:
                notices.extend(heard)
            return found
        problem = f"{astray:.0%} of them aligned more than {LINE_SLACK:g} s from their lines"
    _notice(notices, "%s: its words could not be aligned to the voice (%s): each line's time is "
            "shared among its words", options.get("transcript_name") or "the subtitles", problem)
    return tidy_words(shared, audio.duration, reader.name)


def _spoken_script(script, name):
    """A plain script less what it writes but nobody says (stage directions, speakers' names,
    timestamps: :mod:`.transcripts.unspoken`), or None where they were all it wrote (a script
    with no words at all is the aligner's to refuse)."""
    said, left_out = spoken_text(script)
    if left_out:
        more = f" and {len(left_out) - 8} more" if len(left_out) > 8 else ""
        log.info("%s: not said, so not timed: %s%s", name or "the script", ", ".join(left_out[:8]), more)
    return None if left_out and not re.search(r"\w", said) else said


def _line_text(lines):
    return " ".join(word for words, _start, _end in lines for word in words)


def _placed(found, heard, at, plugin):
    """The engine's words checked (:func:`tidy_words`) and timed in the whole recording where
    it heard the recording less what is not speech (``at``, from :func:`speech_only`)."""
    found = tidy_words(found, heard.duration, plugin.name)
    return found if at is None else [_retimed(w, at) for w in found]


def _second_opinion(plugin, options):
    """The options of the engine's second opinion (:meth:`SpeechPlugin.second_opinion`), or
    None where it offers none (also an engine written without the method) or they would run the
    same search again."""
    offer = getattr(plugin, "second_opinion", None)
    wider = offer(options) if callable(offer) else None
    return None if wider == options else wider


def _part(progress, start, stop):
    """``progress`` reporting a search's fraction as its part ``start``..``stop`` of the words'."""
    return None if progress is None else lambda fraction: progress(start + (stop - start) * fraction)


def _judged(found, wider, options, audio, listen):
    """(words, english_verdict of them): ``found``, or, where they would be dropped or kept with
    a notice and there is a second opinion to ask (``wider``, its options), the words
    ``listen()`` finds with it, whose confidences the verdict was set on. (Words of a recording
    too noisy to judge are kept without a notice whatever they average.)"""
    verdict = english_verdict(found, audio)
    if wider is None or verdict[0] in (ENGLISH, TOO_NOISY):
        return found, verdict
    log.info("%s: the words found leave the language in doubt: listening again with %s",
             audio.name, ", ".join(f"{k}={v}" for k, v in wider.items() if options.get(k) != v))
    found = listen()
    return found, english_verdict(found, audio)


@contextlib.contextmanager
def _warnings_logged(logger_name):
    """A list that gets each warning ``logger_name`` and its children log in this thread while
    the block runs (their own handlers still print them)."""
    warned = []
    thread = threading.get_ident()

    class Collect(logging.Handler):
        def emit(self, record):
            if record.thread == thread:
                warned.append(record.getMessage())

    logger = logging.getLogger(logger_name)
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield warned
    finally:
        logger.removeHandler(handler)


class Notice(str):
    """A line a person should read, whose ``kind`` says what it tells for a caller that acts on
    it (:data:`IN_DOUBT`: English words kept of speech that may be another language)."""

    kind = ""


def language_in_doubt(notices):
    """True when ``notices`` (of :func:`find_words`) say the words' language is in doubt."""
    return any(getattr(line, "kind", "") == IN_DOUBT for line in notices or ())


def _notice(notices, message, *args, kind=""):
    """Log a warning a person should read (``message % args``) and add it to ``notices`` too
    (a list, or None) as a :class:`Notice` of ``kind``."""
    log.warning(message, *args)
    if notices is not None:
        line = Notice(message % args)
        line.kind = kind
        notices.append(line)


def check_script_length(script, audio):
    """SpeechError when a plain-text script is longer than anyone could say in ``audio``."""
    words = str(script).split()
    letters = sum(len(w) for w in words)
    for count, (per_second, spare), what in ((len(words), MAX_SCRIPT_WORDS, "words"),
                                            (letters, MAX_SCRIPT_LETTERS, "letters")):
        if count > per_second * audio.duration + spare:
            raise SpeechError(
                f"{audio.name}: the script has {count:,} {what} for {audio.duration:.1f} s of "
                f"sound, more than anyone says in that time (at most {per_second:g} {what} a "
                "second): is it the script of another recording?")


def _run(plugin, audio, transcript, options, progress, notices=None):
    """The engine's words (those it found in the same sound with the same script and options a
    moment ago, if it did: :mod:`.recent_words`, or before, kept on disk: :mod:`.kept_words`);
    the warnings it logged finding them are added to ``notices`` (a list, or None), kept with
    the words for a take that reuses them; its own failure becomes one line naming the engine."""
    key = RECENT.key(plugin, audio, transcript, options)
    found = RECENT.get(key)
    if found is not None:
        log.info("words in %s found by %s a moment ago", audio.name, plugin.name)
    else:
        waiting = None if progress is None else lambda: progress(0.0)  # raises when cancelled
        found = RECENT.found(key, lambda: _kept_or_found(plugin, key, audio, transcript, options,
                                                         progress), waiting)
    words, warned = found
    if notices is not None:
        notices.extend(warned)
    return words


def _kept_or_found(plugin, key, audio, transcript, options, progress):
    """(words, warnings) kept on disk under ``key``, else found by the engine and kept."""
    name = kept_words.file_name(plugin, key, options)
    found = kept_words.load(name)
    if found is not None:
        log.info("words in %s found by %s before (kept in %s)", audio.name, plugin.name,
                 kept_words.folder())
        return found
    found = _found_by(plugin, audio, transcript, options, progress)
    kept_words.store(name, *found)
    return found


def _found_by(plugin, audio, transcript, options, progress):
    """(the engine's words, the warnings the speech engines logged in this thread meanwhile)."""
    log.info("finding words in %s with %s", audio.name, plugin.name)
    try:
        with _warnings_logged(ENGINES_LOGGER) as warned:
            if progress is not None and _takes_progress(plugin):
                words = plugin.words(audio, transcript, options, progress=progress)
            else:
                words = plugin.words(audio, transcript, options)
        return words, warned
    except TalkrigError:
        raise
    except Exception as exc:  # an engine's own failure becomes one line naming the engine
        log.debug("speech engine %s failed", plugin.name, exc_info=True)
        raise SpeechError(f"speech engine '{plugin.name}' failed on {audio.name}: "
                          f"{type(exc).__name__}: {exc}") from exc


def speech_only(audio, features):
    """(``audio`` less its music, laughter and steady beats (activity.not_speech), the time in
    ``audio`` of each second of that: a function), or (audio, None) when there are none, or
    nothing else (then an engine hears it all, and recognised words in it are dropped by
    :func:`heard_in_speech`). An engine given the rest neither hears words in those sounds nor
    places a script's words there, and its channel estimate is taken from the speech (a
    recogniser primed on music hears the speech after it worse)."""
    import numpy as np

    from ...motion.runs import true_runs
    from ..features.activity import not_speech
    from ..audio.decode import DecodedAudio

    mask = not_speech(features)
    if not mask.any() or mask.all():
        return audio, None
    per_frame = audio.sample_rate / features.fps
    n = len(audio.samples)
    runs = [(min(n, round(a * per_frame)), n if b == len(mask) else min(n, round(b * per_frame)))
            for a, b in true_runs(~mask)]
    runs = np.array([(a, b) for a, b in runs if b > a], np.int64).reshape(-1, 2)
    if not len(runs):
        return audio, None
    starts = np.concatenate([[0], np.cumsum(runs[:, 1] - runs[:, 0])[:-1]])  # in the rest
    rest = DecodedAudio(np.concatenate([audio.samples[a:b] for a, b in runs]), audio.sample_rate,
                        name=audio.name, source_rate=audio.source_rate, channels=audio.channels)
    log.info("%s: %.1f s of music, laughter or beat left out before finding words", audio.name,
             audio.duration - rest.duration)

    def at(seconds):
        k = seconds * audio.sample_rate
        i = max(0, int(np.searchsorted(starts, k, side="right")) - 1)
        return float(runs[i, 0] + k - starts[i]) / audio.sample_rate
    return rest, at


def _retimed(word, at):
    """``word`` found in the audio with its not-speech cut out, at its times in the whole."""
    phones = tuple(Phone(p.phone, at(p.start), at(p.end)) for p in word.phones)
    return Word(word.word, at(word.start), at(word.end), word.confidence, phones)


def heard_in_speech(words, features, min_share=MIN_SPEECH_SHARE):
    """Recognised ``words`` less those heard where nobody speaks: a recogniser hears words in
    music, laughter and noise (one "word" over eight seconds of a noise bed). A word stays when
    at least ``min_share`` of its frames are speech (activity.speech_activity, from the sound
    alone, or the voice detector SURE_VOICE of a voice outside music and laughter). Words of a
    script or a timed transcript are the user's and are never dropped."""
    import numpy as np

    from ...motion.filters import maximum_filter1d
    from ..features.activity import not_speech, speech_activity

    if not words:
        return words
    fps = features.fps
    speaking = speech_activity(features)
    voice = getattr(features, "voice", None)
    if voice is not None:
        speaking = speaking | ((voice >= SURE_VOICE) & ~not_speech(features))
    edge = int(round(SPEECH_EDGE_SECONDS * fps))
    if edge > 0:
        speaking = maximum_filter1d(speaking.astype(np.uint8), 2 * edge + 1, mode="constant") > 0
    last = len(speaking) - 1
    kept = [w for w in words
            if speaking[min(last, int(w.start * fps)):min(last, int(w.end * fps)) + 1].mean() >= min_share]
    if len(kept) < len(words):
        log.warning("%d recognised words fall where nobody speaks (music, laughter, noise) and are "
                    "left out", len(words) - len(kept))
    return kept


def _unknown_script_fallback(entries, plugin, engine, transcript, language):
    """The espeak engine, when "auto" sent a script whose language its words do not tell to
    the English aligner and it refused it (never refuse a script for its language); else None."""
    if engine != "auto" or transcript is None or language != AUTO or plugin.name != AUTO_ALIGNER \
            or guess_language(transcript):
        return None
    entry = entries.get(ANY_LANGUAGE_ALIGNER)
    return get_speech_plugin(ANY_LANGUAGE_ALIGNER, entries) if entry and entry.available else None


ENGLISH, NOT_ENGLISH, IN_DOUBT = "english", "not english", "in doubt"
TOO_NOISY, TOO_NARROW = "too noisy", "too narrow"


def english_verdict(words, audio=None):
    """(verdict, the recording's bandwidth in Hz or None when not read): whether recognised
    English ``words`` are English speech, over at least MIN_WORDS_TO_JUDGE words: ENGLISH (as
    sure as English is on average, ENGLISH_CONFIDENCE), NOT_ENGLISH (under
    NOT_ENGLISH_CONFIDENCE) or IN_DOUBT between, or, for unsure words in a recording
    (``audio``, a DecodedAudio) that cannot tell, TOO_NOISY (MIN_CLARITY_TO_JUDGE) or
    TOO_NARROW (MIN_BANDWIDTH_TO_JUDGE): their words are kept."""
    from ..features.activity import clarity_and_bandwidth

    mean = _mean_confidence(words)
    if len(words) < MIN_WORDS_TO_JUDGE or mean >= ENGLISH_CONFIDENCE:
        return ENGLISH, None
    unsure = NOT_ENGLISH if mean < NOT_ENGLISH_CONFIDENCE else IN_DOUBT
    if audio is None:
        return unsure, None
    clarity, band = clarity_and_bandwidth(audio.samples, audio.sample_rate)
    if clarity < MIN_CLARITY_TO_JUDGE:
        return TOO_NOISY, band
    if band < MIN_BANDWIDTH_TO_JUDGE:
        return TOO_NARROW, band
    return unsure, band


def sounds_english(words, audio=None):
    """False when recognised English ``words`` are evidently not English speech
    (:func:`english_verdict`)."""
    return english_verdict(words, audio)[0] != NOT_ENGLISH


def _mean_confidence(words):
    return sum(w.confidence for w in words) / max(1, len(words))


def tidy_words(words, duration, engine="speech engine"):
    """Check what an engine returned; clip times to the audio, drop empty words, sort by start."""
    tidy = []
    for item in words:
        if isinstance(item, dict):
            item = Word.from_dict(item)
        if not isinstance(item, Word):
            raise SpeechError(f"{engine} returned a {type(item).__name__} instead of a Word")
        text = item.word.strip()
        if not text:
            continue
        if item.start > duration:
            log.warning("%s: dropping '%s' at %.2f s, past the end of the audio (%.2f s)",
                        engine, text, item.start, duration)
            continue
        start = min(max(0.0, float(item.start)), duration)
        end = min(max(start, float(item.end)), duration)
        confidence = min(max(float(item.confidence), 0.0), 1.0)
        phones = tuple(Phone(p.phone, min(max(p.start, start), end), min(max(p.end, p.start, start), end))
                       for p in item.phones)
        tidy.append(Word(text, start, end, confidence, phones))
    tidy.sort(key=lambda w: (w.start, w.end))
    return tidy


def _takes_progress(plugin):
    """True when the plugin's words() accepts a ``progress`` keyword."""
    try:
        parameters = inspect.signature(plugin.words).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _unavailable(plugin, options):
    check = getattr(plugin, "unavailable", None)
    return check(options) if callable(check) else ""


def _describe(plugin):
    try:
        return plugin.describe() or {}
    except Exception as exc:  # a third-party describe() must not break the choice
        log.warning("speech plugin %s: describe() failed: %s", plugin.name, exc)
        return {}


def _auto_engine(entries, transcript, options, language=AUTO):
    """The engine "auto" means for this transcript and language (see find_words)."""
    available = {name: e for name, e in entries.items() if e.available}
    if transcript is not None:
        for name in available:
            plugin = get_speech_plugin(name, entries)
            can_read = getattr(plugin, "can_read", None)
            if callable(can_read) and can_read(transcript, options):
                return plugin
        written = language if language != AUTO else guess_language(transcript)
        if written and not is_english(written):
            if ANY_LANGUAGE_ALIGNER not in available:
                raise SpeechError(f"a script in {written!r} needs the espeak engine to time its "
                                  f"words, and it is unavailable: {_why(entries, ANY_LANGUAGE_ALIGNER)}")
            options.setdefault("language", written)
            return get_speech_plugin(ANY_LANGUAGE_ALIGNER, entries)
        if AUTO_ALIGNER not in available:
            raise SpeechError("a plain-text transcript needs the pocketsphinx engine to time its words, "
                              f"and it is unavailable: {_why(entries, AUTO_ALIGNER)}")
        return get_speech_plugin(AUTO_ALIGNER, entries)
    order = [n for n in AUTO_RECOGNIZERS if n in available]
    order += [n for n in available if n not in order]
    if language != AUTO and not is_english(language):
        # only a recogniser the user gave a model of their language (Vosk) can hear it
        order = [n for n in order if _describe(get_speech_plugin(n, entries)).get("needs_model")]
        if not any(_unavailable(get_speech_plugin(n, entries), options) == "" for n in order):
            raise SpeechError(_no_recogniser(language, entries, available))
    reasons = []
    for name in order:
        plugin = get_speech_plugin(name, entries)
        if not _describe(plugin).get("recognizes"):
            continue
        reason = _unavailable(plugin, options)
        if not reason:
            return plugin
        reasons.append(f"{name}: {reason}")
    missing = [f"{n}: {_why(entries, n)}" for n in AUTO_RECOGNIZERS if n not in available]
    detail = "; ".join(reasons + missing) or "no speech plugins are installed"
    raise SpeechError(f"no speech recognizer is available ({detail}); give a transcript or "
                      "use engine 'none'")


def _script_of(entries, aligner, audio, transcript, options):
    """The plain words of a timed transcript, for an aligner asked to re-time them (e.g. an SRT
    with line-level times: line by line, so cues that overlap keep their words in order); a
    plain script is returned as it is."""
    lines = subtitle_lines(transcript, options.get("transcript_name"))
    if lines is not None:
        return _line_text(lines)
    for name, entry in entries.items():
        if not entry.available or name == aligner.name:
            continue
        reader = get_speech_plugin(name, entries)
        can_read = getattr(reader, "can_read", None)
        if callable(can_read) and can_read(transcript, options):
            return " ".join(w.word for w in reader.words(audio, transcript, options))
    return transcript


def _why(entries, name):
    entry = entries.get(name)
    return "not installed" if entry is None else (entry.error or "unavailable")
