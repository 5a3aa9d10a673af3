"""Text files a person picks (scripts, TextGrids, subtitles), whatever their encoding, and
scripts saved by a word processor (motion/documents.py).

Praat writes a TextGrid with any non-ASCII character in UTF-16; editors on Windows write
Latin-1 or UTF-8 with a byte-order mark. Read here once, for the command line, the server and
the Blender add-on alike.
"""

NOT_TEXT = ("is not a text file; a transcript is a script (.txt, .lab, or a document: .rtf, .docx, "
            ".odt), a TextGrid, SRT, WebVTT, ASS or JSON word list")
EMPTY = ("holds no words: give the recording's script, or leave the transcript out to find the "
         "words by recognition")
# A ten-minute recording's script is tens of kilobytes, its TextGrid with phones under a megabyte.
MAX_TRANSCRIPT_BYTES = 8 << 20


def transcript_bytes(path):
    """(bytes of the transcript file at ``path``, None) or (None, why it cannot be one): a pipe
    or a device would block or never end, and a file past MAX_TRANSCRIPT_BYTES is no script."""
    from .files import not_a_file

    problem = not_a_file(path)
    if problem:
        return None, problem
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_TRANSCRIPT_BYTES + 1)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    if len(data) > MAX_TRANSCRIPT_BYTES:
        return None, (f"is over {MAX_TRANSCRIPT_BYTES >> 20} MB: far longer than the script of "
                      "a recording")
    return data, None


def decode_text(data, latin1=True):
    """The text of a file's bytes, or None when they are not text (NUL bytes outside UTF-16:
    audio, an archive; bytes that are not UTF-8 when ``latin1`` is False, as for JSON).

    UTF-16 with its byte-order mark, else UTF-8 (a byte-order mark dropped), else Latin-1.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1") if latin1 else None


def transcript_file_text(path):
    """(text of the transcript file at ``path``, None) or (None, why it cannot be one): not a
    file, unreadable, too long, not text, or blank (a script file with no words is a mistake,
    not a request to find the words without one)."""
    data, problem = transcript_bytes(path)
    if problem:
        return None, problem
    return transcript_data_text(data)


def transcript_data_text(data):
    """(text of a transcript file's bytes, None) or (None, why they are no script), as
    :func:`transcript_file_text` reads a file."""
    from .documents import document_text

    text = document_text(data)  # a script saved by a word processor
    if text is None:
        text = decode_text(data)
    if text is None:
        return None, NOT_TEXT
    if not text.strip():
        return None, EMPTY
    return text, None
