"""Exports to spreadsheets: one rule against formula injection and one way to send a file,
for every domain.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula
by Excel or LibreOffice when the CSV is opened; it is prefixed with an apostrophe.
Numbers and dates stay what they are.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO
from urllib.parse import quote

from flask import Response, stream_with_context
from werkzeug.http import dump_options_header

#: Content types of the export formats every register offers.
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Make a cell value inert in spreadsheets (no formulas from user text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and its width in the XLSX (characters)."""

    heading: str
    width: int = 15


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return safe_cell(value)


def csv_chunks(columns: Sequence[Column], rows: Iterable[Sequence[Any]],
               chunk_size: int = 64 * 1024, *, delimiter: str = ",") -> Iterator[str]:
    """A CSV (UTF-8 with a BOM, so Excel reads the accents) produced as ``rows`` are read:
    chunks of about ``chunk_size`` characters, never the whole file in memory.
    ``delimiter=";"`` writes what KoboToolbox writes (the survey exports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([c.heading for c in columns])
    for row in rows:
        writer.writerow([_plain(v) for v in row])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(out: BinaryIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              delimiter: str = ",") -> None:
    """:func:`csv_chunks` into a binary file (a background export)."""
    for chunk in csv_chunks(columns, rows, delimiter=delimiter):
        out.write(chunk.encode("utf-8"))


def xlsx_bytes(title: str | None, sheet_name: str, columns: Sequence[Column],
               rows: Iterable[Sequence[Any]]) -> bytes:
    """:func:`write_xlsx` into memory: the bytes of the workbook."""
    out = io.BytesIO()
    write_xlsx(out, title, sheet_name, columns, rows)
    return out.getvalue()


def write_xlsx(out: BinaryIO, title: str | None, sheet_name: str, columns: Sequence[Column],
               rows: Iterable[Sequence[Any]]) -> int:
    """An XLSX written in openpyxl's write-only mode (time linear in the rows, rows kept
    on disk, not as cell objects): a title row (none when ``title`` is None: a data file
    whose first row is the header, as the survey exports), a bold header with an
    autofilter and frozen panes, column widths, dates as dates, text never a formula.
    Return the number of data rows."""
    from openpyxl import Workbook  # a third of a second to import: only for an XLSX
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_name[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_row = 1 if title is None else 2
    sheet.freeze_panes = f"A{header_row + 1}"
    if title is not None:
        heading = WriteOnlyCell(sheet, value=title)
        heading.font = Font(bold=True, size=13)
        sheet.append([heading])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        values = []
        for value in row:
            value = safe_cell(value)
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                value = cell
            values.append(value)
        sheet.append(values)
        count += 1
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A{header_row}:{last}{count + header_row}"
    book.save(out)
    return count


def send_export(body: bytes | str | Iterable[str] | Iterable[bytes], filename: str) -> Response:
    """Send an export as a download named ``filename``; its extension (``.csv`` or
    ``.xlsx``) gives the content type.

    ``body`` is the whole file, or an iterator of chunks that is streamed as it is
    produced (large CSVs never sit in memory) with the request context kept alive for it.
    The file is never cached: a register export is a snapshot of records people may not
    all see.
    """
    extension = filename.rpartition(".")[2].lower()
    if extension not in MIMETYPES:
        raise ValueError(f"no export format for {filename!r}")
    if not isinstance(body, (bytes, str)):
        body = stream_with_context(body)
    response = Response(body, content_type=MIMETYPES[extension])
    response.headers["Content-Disposition"] = _attachment(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attachment(filename: str) -> str:
    """``attachment; filename=…``, with an RFC 6266 UTF-8 name when it is not ASCII (a
    survey or wave code with an accent), as ``send_file`` does."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        return dump_options_header("attachment", {
            "filename": plain, "filename*": f"UTF-8''{quote(filename, safe='!#$&+^`|')}"})
    return dump_options_header("attachment", {"filename": filename})
