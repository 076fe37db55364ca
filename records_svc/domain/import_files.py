"""Reading an import file: CSV or XLSX, as people really send them.

CSV: any of ``;`` ``,`` tab ``|`` between cells (French Excel writes ``;``), UTF-8
with or without a BOM, or Windows-1252 (what French Excel writes by default).
XLSX: the first sheet, read in openpyxl's read-only mode (rows streamed, not loaded).
The first row names the columns; rows are numbered as a spreadsheet numbers them
(the header is row 1); empty rows are skipped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

CSV, XLSX = "csv", "xlsx"
DELIMITERS = (";", ",", "\t", "|")
MAX_COLUMNS = 200
#: what a spreadsheet takes for a formula; an export guards such a cell with a leading '
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a cell of a row as read: text, a number, a boolean (XLSX) or nothing
Cell = str | int | float | bool | None


class UnreadableFileError(ValueError):
    """The file is not a CSV or XLSX file that can be read; the message says why."""


@dataclass(frozen=True)
class Sheet:
    """A file's columns, and a way to walk its rows (again) from the start."""

    format: str
    columns: list[str]
    content: bytes

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number, cells) of each non-empty row, as many cells as columns."""
        width = len(self.columns)
        source = _xlsx_rows(self.content) if self.format == XLSX else _csv_rows(self.content)
        next(source, None)  # the header
        for number, raw in enumerate(source, start=2):
            cells = [clean_cell(value) for value in raw[:width]]
            if all(cell is None for cell in cells):
                continue
            yield number, cells + [None] * (width - len(cells))

    def count(self) -> int:
        return sum(1 for _ in self.rows())


def read_sheet(content: bytes, file_name: str = "") -> Sheet:
    """The file's format and header row (``UnreadableFileError`` if it has none)."""
    is_xlsx = content[:4] == b"PK\x03\x04" or file_name.lower().endswith((".xlsx", ".xlsm"))
    fmt = XLSX if is_xlsx else CSV
    try:
        header = next(_xlsx_rows(content) if is_xlsx else _csv_rows(content), None)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise UnreadableFileError(f"not a readable XLSX workbook ({exc})") from None
    except csv.Error as exc:
        raise UnreadableFileError(f"not a readable CSV file ({exc})") from None
    columns = [_header(value) for value in header or []]
    while columns and not columns[-1]:
        columns.pop()
    if not columns:
        raise UnreadableFileError("the file is empty: its first row must name the columns")
    if len(columns) > MAX_COLUMNS:
        raise UnreadableFileError(f"more than {MAX_COLUMNS} columns")
    for position, name in enumerate(columns):
        if not name:
            columns[position] = f"Colonne {position + 1}"
    if len(set(columns)) != len(columns):
        seen: set[str] = set()
        duplicated = next(c for c in columns if c in seen or seen.add(c))  # type: ignore[func-returns-value]
        raise UnreadableFileError(f"two columns are named {duplicated!r}")
    return Sheet(fmt, columns, content)


def decode(content: bytes) -> str:
    """UTF-8 (a BOM or not), else Windows-1252, else Latin-1 (which reads any byte)."""
    if b"\x00" in content[:4096]:
        raise UnreadableFileError("a binary file, not a CSV text file")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError("an unknown text encoding")  # pragma: no cover - latin-1 reads all


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the one it holds most often, ``;`` on a tie."""
    first = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # first on a tie: ";"
    return best if counts[best] else ";"


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    text = decode(content)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _header(value: Any) -> str:
    text = clean_cell(value)
    return "" if text is None else str(text)


def clean_cell(value: Any) -> Cell:
    """Text stripped (an export's guard ' dropped), dates as ISO text, empty as None."""
    if value is None:
        return None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text or None
