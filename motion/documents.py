"""The text of a word processor's document given as a script: RTF (what TextEdit and WordPad
save by default), Word's .docx and OpenDocument's .odt. Only the words are read: fonts, colours,
pictures and the document's other parts are left out; paragraphs and line breaks become lines.
"""

import codecs
import io
import re
import zipfile
from xml.etree import ElementTree

# The most of a document's text part read (a script's is kilobytes; more is not a script)
MAX_DOCUMENT_XML = 64 << 20
_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
# RTF groups that hold no text of the document (a group starting with \* is skipped too)
_RTF_SKIPPED = frozenset("fonttbl colortbl expandedcolortbl stylesheet info pict listtable "
                         "listoverridetable rsidtbl generator themedata colorschememapping "
                         "latentstyles datastore xmlnstbl filetbl revtbl header footer".split())
_RTF_TOKEN = re.compile(r"\\([a-z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)",
                        re.DOTALL)
_RTF_BREAKS = {"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": " ",
               "tab": " ", "emdash": "\u2014", "endash": "\u2013", "lquote": "\u2018",
               "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d"}


def document_text(data):
    """The text of ``data`` (a file's bytes) if it is an RTF, .docx or .odt document, else None;
    "" for such a document without words, and None for a damaged one."""
    if data.startswith(b"{\\rtf"):
        return rtf_text(data.decode("latin-1"))
    if data.startswith(b"PK\x03\x04"):
        return _zipped_text(data)
    return None


def rtf_text(rtf):
    """The words of an RTF document, paragraphs as lines."""
    out, stack, skip, group_start = [], [], False, False
    stand_in, dropping = 1, 0  # characters after \uN that stand in for it (\ucN), still to drop
    code_page = "cp1252"  # of the \'xx bytes: \ansicpgN (WordPad's cp1251 for Russian, ...)
    for word, number, hex_byte, symbol, brace, text in _RTF_TOKEN.findall(rtf):
        if word == "ansicpg" and number:
            code_page = _code_page(number)
        if brace:
            if brace == "{":
                stack.append((skip, stand_in))
            elif stack:
                skip, stand_in = stack.pop()
            group_start = brace == "{"
            continue
        starts, group_start = group_start, False
        if starts and (symbol == "*" or word in _RTF_SKIPPED):
            skip = True
        if skip:
            continue
        if dropping and (hex_byte or text):
            if hex_byte:
                dropping -= 1
                continue
            text, dropping = text[dropping:], max(0, dropping - len(text))
        if word == "uc":
            stand_in = int(number or 1)
        elif word == "u" and number:
            out.append(chr(int(number) % 65536))
            dropping = stand_in
        elif hex_byte:
            out.append(bytes([int(hex_byte, 16)]))  # decoded with its neighbours: double bytes
        else:
            out.append(_rtf_piece(word, symbol, text))
    return _decoded(out, code_page)


def _code_page(number):
    try:
        return codecs.lookup(f"cp{int(number)}").name
    except LookupError:
        return "cp1252"


def _decoded(pieces, code_page):
    """The text of ``pieces``, each run of bytes decoded together in ``code_page``."""
    text, run = [], bytearray()
    for piece in pieces + [""]:
        if isinstance(piece, bytes):
            run += piece
            continue
        if run:
            text.append(run.decode(code_page, errors="replace"))
            run = bytearray()
        text.append(piece)
    return "".join(text)


def _rtf_piece(word, symbol, text):
    """The text one RTF token stands for (but a \'xx byte)."""
    if word:
        return _RTF_BREAKS.get(word, "")
    if symbol:
        return {"\\": "\\", "{": "{", "}": "}", "\n": "\n", "\r": "\n", "~": " "}.get(symbol, "")
    return text.replace("\r", "").replace("\n", "")


def _zipped_text(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return _xml_text(_read(archive, "word/document.xml"), f"{_WORD}p", f"{_WORD}t",
                                 (f"{_WORD}br", f"{_WORD}tab"))
            if "content.xml" in names:
                return _xml_text(_read(archive, "content.xml"), f"{_ODF_TEXT}p", None,
                                 (f"{_ODF_TEXT}line-break", f"{_ODF_TEXT}tab", f"{_ODF_TEXT}s"))
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError):
        return None
    return None


def _read(archive, name):
    with archive.open(name) as part:
        xml = part.read(MAX_DOCUMENT_XML + 1)
    if len(xml) > MAX_DOCUMENT_XML:
        raise ValueError("a document far longer than a script")
    return xml


def _xml_text(xml, paragraph, run_text, spaces):
    """Each ``paragraph`` element's text as a line: the text of its ``run_text`` elements (all
    its text where None), ``spaces`` elements read as a space."""
    return "\n".join(_inner(para, run_text, spaces) for para in ElementTree.fromstring(xml).iter(paragraph))


def _inner(node, run_text, spaces):
    parts = [" "] if node.tag in spaces else []
    if run_text is None or node.tag == run_text:
        parts.append(node.text or "")
    for child in node:
        parts.append(_inner(child, run_text, spaces))
        if run_text is None:
            parts.append(child.tail or "")
    return "".join(parts)
