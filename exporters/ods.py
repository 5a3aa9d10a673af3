"""The rows of an OpenDocument spreadsheet's (.ods, LibreOffice Calc's) first sheet, as text, with
no spreadsheet library; read as a stream. Runs of repeated rows and cells (how a sheet stores its
blank tail, a million rows long) are counted, never written out.
"""

import zipfile
from xml.etree import ElementTree

from .xlsx import WorkbookError

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")


def sheet_rows(path):
    """Yield (row number, [cell text, ...]) of the first sheet's rows that hold a value."""
    try:
        with zipfile.ZipFile(path) as book, book.open("content.xml") as content:
            number, tables = 0, 0
            for event, node in ElementTree.iterparse(content, events=("start", "end")):
                if node.tag == f"{_TABLE}table" and event == "start":
                    tables += 1
                elif tables == 1 and node.tag == f"{_TABLE}table-row" and event == "end":
                    cells = _cells(node)
                    if any(cells):
                        yield number + 1, cells
                    number += int(node.get(f"{_TABLE}number-rows-repeated", 1))
                    node.clear()
                elif node.tag == f"{_TABLE}table" and event == "end" and tables == 1:
                    return
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise WorkbookError(f"not an OpenDocument spreadsheet that can be read "
                            f"({type(exc).__name__}: {exc})") from None


def _cells(row):
    values, blanks = [], 0
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        value = _value(cell)
        repeat = int(cell.get(f"{_TABLE}number-columns-repeated", 1))
        if not value:
            blanks += repeat  # written out only if a value follows
            continue
        values.extend([""] * blanks + [value] * repeat)
        blanks = 0
    return values


def _value(cell):
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency") and cell.get(f"{_OFFICE}value") is not None:
        number = cell.get(f"{_OFFICE}value")
        return number[:-2] if number.endswith(".0") else number
    return "\n".join(_text(p) for p in cell.iter(f"{_TEXT}p")).strip()


def _text(node):
    parts = [node.text or ""]
    for child in node:
        parts.append(" " if child.tag in (f"{_TEXT}s", f"{_TEXT}tab") else _text(child))
        parts.append(child.tail or "")
    return "".join(parts)
