"""Exports to spreadsheets: one rule against formula injection and one way to send a file,
for every domain.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula
by Excel or LibreOffice when the CSV is opened; it is prefixed with an apostrophe.
Numbers and dates stay what they are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any
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
