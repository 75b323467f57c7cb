"""Parsers with bounds: what an uploaded file can cost the server is capped.

- :func:`load_yaml` refuses YAML aliases and anchors (a 359-byte "billion laughs"
  expands to gigabytes) and documents larger than ``YAML_MAX_BYTES``.
- :func:`open_xlsx_rows` reads an XLSX sheet in read-only (streaming) mode, never
  trusts the row count the file claims, and stops at ``XLSX_MAX_ROWS`` rows and
  ``XLSX_MAX_COLUMNS`` columns; :func:`check_xlsx_archive` first refuses a ZIP that
  would inflate far beyond its size (a zip bomb) or whose shared-strings table is too big
  to hold in memory; :func:`xlsx_header` reads only the first row.

Both raise :class:`ParseLimit` (a ValidationError) with a message that says which
bound was hit.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

import yaml
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from qms.core.errors import ValidationError

#: Defaults when no app is configured (CLI tools, tests without an app).
DEFAULTS = {"YAML_MAX_BYTES": 1_000_000, "XLSX_MAX_ROWS": 1_000_000, "XLSX_MAX_COLUMNS": 2_000,
            "XLSX_MAX_RATIO": 100, "XLSX_MIN_INFLATED": 50_000_000,
            "XLSX_MAX_SHARED_STRINGS": 100_000_000}


class ParseLimit(ValidationError):
    """An uploaded file exceeds a parser bound."""


def limit(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases outright."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not accepted", event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors (&name) are not accepted", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str | bytes, *, field: str = "file") -> Any:
    """``yaml.safe_load`` without aliases and within ``YAML_MAX_BYTES``."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > limit("YAML_MAX_BYTES"):
        raise ParseLimit(_l("El YAML supera %(n)s bytes.", n=limit("YAML_MAX_BYTES")),
                         field=field)
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        if "aliases" in str(exc) or "anchors" in str(exc):
            raise ParseLimit(_l("El YAML usa anclas o alias (&, *), que no se admiten."),
                             field=field) from None
        raise


#: What openpyxl and the zip/XML layers raise for a damaged or foreign container.
XLSX_BROKEN: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, IndexError, TypeError,
    AttributeError, EOFError, SyntaxError)  # ElementTree/lxml parse errors are SyntaxErrors


def check_xlsx_archive(handle: IO[bytes], *, field: str = "file") -> None:
    """Refuse a ZIP whose members would inflate far beyond what the upload weighs.

    The sizes come from the archive's central directory; :mod:`zipfile` never inflates
    a member past its declared size (and fails its CRC if the data disagrees), so they
    bound what reading costs. A real Kobo export inflates about 5–20×: the bound is
    ``XLSX_MAX_RATIO`` times the file (never less than ``XLSX_MIN_INFLATED``), and the
    shared-strings table, which openpyxl holds in memory whole, gets its own cap
    ``XLSX_MAX_SHARED_STRINGS``.
    """
    position = handle.tell()
    try:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except XLSX_BROKEN as exc:
        raise ParseLimit(_l("El archivo XLSX está dañado o truncado y no se puede abrir."),
                         field=field) from exc
    finally:
        handle.seek(position)
    inflated = sum(member.file_size for member in members)
    allowed = max(limit("XLSX_MIN_INFLATED"), size * limit("XLSX_MAX_RATIO"))
    if len(members) > 10_000 or inflated > allowed:
        raise ParseLimit(_l(
            "El archivo XLSX se descomprime a %(mb)s MB, demasiado para su tamaño (%(kb)s KB):"
            " parece una bomba de compresión y no se lee.",
            mb=f"{inflated / 1e6:,.0f}", kb=f"{size / 1e3:,.0f}"), field=field)
    strings = sum(m.file_size for m in members if m.filename in _shared_strings_parts(handle))
    if strings > limit("XLSX_MAX_SHARED_STRINGS"):
        raise ParseLimit(_l(
            "La tabla de textos del archivo XLSX ocupa %(mb)s MB (el máximo es %(max)s MB).",
            mb=f"{strings / 1e6:,.0f}", max=f"{limit('XLSX_MAX_SHARED_STRINGS') / 1e6:,.0f}"),
            field=field)


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _shared_strings_parts(handle: IO[bytes]) -> set[str]:
    """Where ``[Content_Types].xml`` says the shared strings are (openpyxl looks there,
    whatever the part is called)."""
    from defusedxml.ElementTree import fromstring

    position = handle.tell()
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1_000_000:
                return {m.filename for m in archive.infolist()}  # all count: be strict
            root = fromstring(archive.read(info))
    except XLSX_BROKEN:
        return set()  # openpyxl will refuse the file itself
    finally:
        handle.seek(position)
    return {element.get("PartName", "").lstrip("/") for element in root
            if element.get("ContentType") == SHARED_STRINGS_TYPE}


class XlsxSheet:
    """The first sheet of a workbook, opened within bounds and streamed row by row.

    ``claimed_rows`` is the row count the file declares (only good for a progress
    estimate); the dimension is then reset, so a sheet that claims 2,000,000 rows costs
    what its real rows cost. Iterating stops with :class:`ParseLimit` past
    ``XLSX_MAX_ROWS`` rows or at a row with a value beyond ``XLSX_MAX_COLUMNS``.
    """

    def __init__(self, handle: IO[bytes], *, field: str = "file") -> None:
        from openpyxl import load_workbook

        check_xlsx_archive(handle, field=field)
        self.field = field
        self.workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            self.sheet = self.workbook.worksheets[0]
            self.claimed_rows = self.sheet.max_row or 0
            self.sheet.reset_dimensions()
        except BaseException:
            self.workbook.close()
            raise

    def rows(self) -> Iterator[tuple]:
        max_rows, max_cols = limit("XLSX_MAX_ROWS"), limit("XLSX_MAX_COLUMNS")
        for number, row in enumerate(self.sheet.iter_rows(values_only=True), start=1):
            if number > max_rows:
                raise ParseLimit(_l("La hoja tiene más de %(n)s filas.", n=max_rows),
                                 field=self.field)
            if len(row) > max_cols:
                if any(value not in (None, "") for value in row[max_cols:]):
                    raise ParseLimit(_l("La fila %(row)s tiene más de %(n)s columnas.",
                                        row=number, n=max_cols), field=self.field)
                row = row[:max_cols]
            yield tuple(row)

    def close(self) -> None:
        self.workbook.close()


def open_xlsx_rows(handle: IO[bytes], *, field: str = "file") -> Iterator[tuple]:
    """Rows (tuples of cell values) of the first sheet, streamed, bounded (see
    :class:`XlsxSheet`)."""
    sheet = XlsxSheet(handle, field=field)
    try:
        yield from sheet.rows()
    finally:
        sheet.close()


def xlsx_header(handle: IO[bytes], *, field: str = "file") -> tuple:
    """Only the first row of the first sheet, without scanning the rest."""
    rows = open_xlsx_rows(handle, field=field)
    try:
        return next(rows, ())
    finally:
        rows.close()
