"""The rows of an Excel workbook's (.xlsx) first sheet, as text: a batch manifest kept where the
dialogue lines are written, with no spreadsheet library. The sheet is read as a stream (a
workbook of 100 000 lines never sits in memory as a tree); its shared strings are loaded once.
"""

import re
import zipfile
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN = re.compile(r"[A-Z]+")


class WorkbookError(ValueError):
    """Not a workbook that can be read (its reason, for a person)."""


def sheet_rows(path):
    """Yield (row number, [cell text, ...]) of the first sheet's rows, blank cells as ""."""
    try:
        with zipfile.ZipFile(path) as book:
            strings = _shared_strings(book)
            with book.open(_first_sheet(book)) as sheet:
                number = 0
                for _event, row in ElementTree.iterparse(sheet):
                    if row.tag == f"{_MAIN}row":
                        number = int(row.get("r") or number + 1)  # "r" may be left out
                        yield number, _cells(row, strings)
                        row.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, IndexError, ValueError) as exc:
        raise WorkbookError(f"not an Excel workbook that can be read ({type(exc).__name__}: {exc})") from None


def _first_sheet(book):
    """The path inside the archive of the workbook's first sheet."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if first is None:
        raise ValueError("the workbook has no sheet")
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in relations.iter(f"{_PACKAGE}Relationship")
                  if r.get("Id") == first.get(f"{_RELATIONS}id"))
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _shared_strings(book):
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    table = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    return [_text(item) for item in table.iter(f"{_MAIN}si")]


def _text(item):
    """A string item's text: its own, or its runs' (rich text); not a phonetic reading's (the
    furigana Japanese Excel keeps beside a cell's text)."""
    parts = [item] + [run for run in item if run.tag == f"{_MAIN}r"]
    return "".join(t.text or "" for part in parts for t in part if t.tag == f"{_MAIN}t")


def _cells(row, strings):
    values = []
    for cell in row.iter(f"{_MAIN}c"):
        column = _column(cell.get("r"), len(values))
        values.extend([""] * (column - len(values)))
        values.append(_value(cell, strings))
    return values


def _column(reference, following):
    """0-based column of a cell reference ("C7": 2); the next column where the cell has none."""
    letters = _COLUMN.match(reference or "")
    if letters is None:
        return following
    number = 0
    for letter in letters.group():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _value(cell, strings):
    kind, value = cell.get("t", "n"), cell.find(f"{_MAIN}v")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return "" if inline is None else _text(inline)
    text = "" if value is None or value.text is None else value.text
    if kind == "s" and text:
        return strings[int(text)]
    if kind == "b":
        return "TRUE" if text == "1" else "FALSE"
    if kind == "n" and text.endswith(".0"):
        return text[:-2]  # a whole number typed into the sheet: "3", as the seed column wants
    return text
