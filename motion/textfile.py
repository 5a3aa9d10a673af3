"""Text files a person picks (scripts, TextGrids, subtitles), whatever their encoding.

Praat writes a TextGrid with any non-ASCII character in UTF-16; editors on Windows write
Latin-1 or UTF-8 with a byte-order mark. Read here once, for the command line, the server and
the Blender add-on alike.
"""

NOT_TEXT = ("is not a text file; a transcript is a script (.txt, .lab), a TextGrid, SRT, WebVTT "
            "or JSON word list")


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
