"""Exports to spreadsheets: one rule against formula injection and one way to send a file,
for every domain.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula
by Excel or LibreOffice when the CSV is opened; it is prefixed with an apostrophe.
Numbers and dates stay what they are.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO
from urllib.parse import quote

from flask import Response, request, stream_with_context
from werkzeug.http import dump_options_header
from werkzeug.wsgi import wrap_file

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


def _plain(value: Any, zone: Any = None) -> Any:
    if value is None:
        return ""
    if type(value) is str:
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, datetime):
        return _naive_local(value, zone).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
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
    zone = _zone()
    for row in rows:
        writer.writerow([_plain(v, zone) for v in row])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass(frozen=True)
class Sheet:
    """One sheet of an XLSX export: its tab name, columns and rows (an iterable, read once)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def write_csv(out: BinaryIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              delimiter: str = ",") -> None:
    """:func:`csv_chunks` into a binary file (a background export)."""
    for chunk in csv_chunks(columns, rows, delimiter=delimiter):
        out.write(chunk.encode("utf-8"))


def xlsx_bytes(title: str | None, sheet_name: str, columns: Sequence[Column],
               rows: Iterable[Sequence[Any]], *more: Sheet) -> bytes:
    """:func:`write_xlsx` into memory: the bytes of the workbook (a small export)."""
    out = io.BytesIO()
    write_xlsx(out, title, sheet_name, columns, rows, *more)
    return out.getvalue()


def xlsx_file(title: str | None, sheet_name: str, columns: Sequence[Column],
              rows: Iterable[Sequence[Any]], *more: Sheet) -> BinaryIO:
    """:func:`write_xlsx` into a temporary file, rewound, for :func:`send_export` to
    stream: a register's workbook never sits in memory whole (the file is removed when
    it is closed, which the response does once it is sent)."""
    out = tempfile.TemporaryFile(prefix="sgc-export-")  # noqa: SIM115 - the response closes it
    try:
        write_xlsx(out, title, sheet_name, columns, rows, *more)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def write_xlsx(out: BinaryIO, title: str | None, sheet_name: str, columns: Sequence[Column],
               rows: Iterable[Sequence[Any]], *more: Sheet) -> int:
    """An XLSX written row by row by XlsxWriter in its constant-memory mode: each row goes
    to a temporary file as it is read (inline strings, no cell objects kept), so time is
    linear in the rows and memory flat. Every sheet has the same shape: the title in its
    first row (none when ``title`` is None: a data file whose first row is the header),
    a bold header with an autofilter and frozen panes, column widths, dates as dates,
    text never a formula. ``more`` sheets follow the first (an NC register's actions).
    Return the number of data rows of the first sheet.

    XlsxWriter, not openpyxl's write-only mode: it spends about a third less per cell
    (``bench/export_writer.py``), and a register export is a million cells."""
    import xlsxwriter  # only for an XLSX

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    styles = {"title": book.add_format({"bold": True, "font_size": 13}),
              "header": book.add_format({"bold": True}),
              "date": book.add_format({"num_format": "yyyy-mm-dd"}),
              "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
    counts = [_write_sheet(book, styles, title, sheet)
              for sheet in (Sheet(sheet_name, columns, rows), *more)]
    book.close()
    return counts[0]


def _write_sheet(book: Any, styles: dict, title: str | None, spec: Sheet) -> int:
    sheet = book.add_worksheet(_sheet_title(spec.name))
    for index, column in enumerate(spec.columns):
        sheet.set_column(index, index, column.width)
    header_row = 0 if title is None else 1  # 0-based: the header's row
    sheet.freeze_panes(header_row + 1, 0)
    if title is not None:
        sheet.write_string(0, 0, str(safe_cell(title)), styles["title"])
    for index, column in enumerate(spec.columns):
        sheet.write_string(header_row, index, str(safe_cell(column.heading)), styles["header"])
    # The typed writers directly (``write`` guesses the type of every cell); one bound
    # method per type, looked up once.
    text, number, boolean, when = (sheet.write_string, sheet.write_number,
                                   sheet.write_boolean, sheet.write_datetime)
    day, moment = styles["date"], styles["datetime"]
    zone = _zone()
    row_index = header_row
    for row in spec.rows:
        row_index += 1
        for col, value in enumerate(row):
            if value is None or value == "":
                continue  # an empty cell is no cell
            kind = type(value)
            if kind is str:
                text(row_index, col, "'" + value if value.startswith(FORMULA_START) else value)
            elif kind is int or kind is float:
                number(row_index, col, value)
            elif kind is bool:
                boolean(row_index, col, value)
            elif isinstance(value, datetime):
                when(row_index, col, _naive_local(value, zone), moment)
            elif isinstance(value, date):
                when(row_index, col, value, day)
            elif isinstance(value, (int, float, Decimal)):
                number(row_index, col, value)
            else:  # a lazy string, an enum label: its text
                text(row_index, col, str(safe_cell(str(value))))
    count = row_index - header_row
    sheet.autofilter(header_row, 0, header_row + count, max(0, len(spec.columns) - 1))
    return count


#: Characters Excel refuses in a sheet's tab name.
_TAB_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def _sheet_title(name: str) -> str:
    return str(name).translate(_TAB_FORBIDDEN)[:31] or "Hoja"


def _zone() -> Any:
    """The programme's time zone, looked up once per export (not once per cell)."""
    from qms.core.time import local_zone

    return local_zone()


def _naive_local(value: datetime, zone: Any = None) -> datetime:
    """Excel has no time zones: a stored UTC instant is written as local wall time."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone or _zone()).replace(tzinfo=None)


def export_filename(*parts: str, ext: str) -> str:
    """The one file-name pattern of every export: ``sgc-<what>-<local date>.<ext>``, each
    part in lower case with hyphens (``sgc-no-conformidades-2026-12-02.xlsx``,
    ``sgc-resultados-enc-sat-2026-s1-2026-12-02.csv``); accents are kept."""
    from qms.core.time import today_local

    words = ["sgc", *(_slug(p) for p in parts if p), today_local().isoformat()]
    return "-".join(w for w in words if w) + "." + ext


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in str(text).strip().lower())
    return "-".join(filter(None, cleaned.split("-")))


def send_table(fmt: str, name: Sequence[str], title: str, sheet_name: str,
               columns: Sequence[Column], rows: Iterable[Sequence[Any]],
               *more: Sheet) -> Response:
    """A register's export as CSV (streamed; the header row first, so it reads back as a
    table) or XLSX (title row, autofilter, widths, ``more`` sheets), named by
    :func:`export_filename` from ``name``."""
    if fmt == "csv":
        return send_export(csv_chunks(columns, rows), export_filename(*name, ext="csv"))
    if fmt == "xlsx":
        return send_export(xlsx_file(title, sheet_name, columns, rows, *more),
                           export_filename(*name, ext="xlsx"))
    raise ValueError(f"no export format {fmt!r}")


def send_export(body: bytes | str | BinaryIO | Iterable[str] | Iterable[bytes],
                filename: str) -> Response:
    """Send an export as a download named ``filename``; its extension (``.csv`` or
    ``.xlsx``) gives the content type.

    ``body`` is the whole file, an open binary file (:func:`xlsx_file`: sent in blocks
    and closed), or an iterator of chunks that is streamed as it is produced (large CSVs
    never sit in memory) with the request context kept alive for it.
    The file is never cached: a register export is a snapshot of records people may not
    all see.
    """
    extension = filename.rpartition(".")[2].lower()
    if extension not in MIMETYPES:
        raise ValueError(f"no export format for {filename!r}")
    length = None
    if hasattr(body, "read"):
        length = os.fstat(body.fileno()).st_size
        body = wrap_file(request.environ, body)
    elif not isinstance(body, (bytes, str)):
        body = stream_with_context(body)
    response = Response(body, content_type=MIMETYPES[extension],
                        direct_passthrough=length is not None)
    if length is not None:
        response.content_length = length
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
