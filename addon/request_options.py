"""Options sent with a request that come from the panel's sections: the key-pose dictionary and
the face settings, the same for a generation job and a live performance; the transcript, the
same for a take and the words asked for ahead of it."""

from pathlib import Path

import bpy

from ..motion.errors import TalkrigError
from ..motion.textfile import transcript_file_text


def keypose_option(settings):
    """The job's "keyposes" option: "default", "none", or the dictionary file's content."""
    from .keypose_file import load

    if settings.keyposes != "FILE":
        return settings.keyposes.lower()
    if not settings.keypose_file.strip():
        raise TalkrigError("Key Poses is set to File but no dictionary file is chosen")
    path = Path(bpy.path.abspath(settings.keypose_file))
    if not path.exists():
        raise TalkrigError(f"key-pose dictionary {path} does not exist: capture a pose into it "
                           "first, or set Key Poses to Built-in")
    return load(path)


def face_options(scene):
    """{"face": ..., "face_options": {...}} for the job options of ``scene``."""
    face = scene.talkrig_face
    if not face.enabled:
        return {"face": "none"}
    return {"face": "phones", "face_options": {
        "mouth_strength": round(face.mouth_strength, 4), "smoothing": round(face.smoothing, 4),
        "blink_rate": round(face.blink_rate, 3), "brow_amount": round(face.brow_amount, 4),
        "expressions": face.expressions}}


def read_transcript(settings):
    """The transcript text the panel points at, or None."""
    if settings.transcript_source == "TEXT":
        text = settings.transcript_text
        return text.as_string().strip() or None if text is not None else None
    if settings.transcript_source == "FILE" and settings.transcript_file.strip():
        path = Path(bpy.path.abspath(settings.transcript_file))
        text, problem = transcript_file_text(path)
        if problem:
            raise TalkrigError(f"transcript file {path}: {problem}")
        return text.strip()
    return None
