"""Parsers with bounds: what an uploaded file can cost the server is capped.

- :func:`load_yaml` refuses YAML aliases and anchors (a 359-byte "billion laughs"
  expands to gigabytes) and documents larger than ``YAML_MAX_BYTES``.
- :func:`open_xlsx_rows` reads an XLSX sheet in read-only (streaming) mode, never
  trusts the row count the file claims, and stops at ``XLSX_MAX_ROWS`` rows and
  ``XLSX_MAX_COLUMNS`` columns; :func:`xlsx_header` reads only the first row.

Both raise :class:`ParseLimit` (a ValidationError) with a message that says which
bound was hit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from qms.core.errors import ValidationError

#: Defaults when no app is configured (CLI tools, tests without an app).
DEFAULTS = {"YAML_MAX_BYTES": 1_000_000, "XLSX_MAX_ROWS": 1_000_000, "XLSX_MAX_COLUMNS": 2_000}


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


def open_xlsx_rows(handle: IO[bytes], *, field: str = "file") -> Iterator[tuple]:
    """Rows (tuples of cell values) of the first sheet, streamed, bounded.

    The ``<dimension>`` a file declares is ignored (``reset_dimensions``), so a sheet
    that claims 2,000,000 rows costs what its real rows cost; reading stops with
    :class:`ParseLimit` past ``XLSX_MAX_ROWS``; each row is cut to
    ``XLSX_MAX_COLUMNS`` cells.
    """
    from openpyxl import load_workbook

    workbook = load_workbook(handle, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()
    max_rows, max_cols = limit("XLSX_MAX_ROWS"), limit("XLSX_MAX_COLUMNS")
    try:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > max_rows:
                raise ParseLimit(_l("La hoja tiene más de %(n)s filas.", n=max_rows),
                                 field=field)
            yield tuple(row[:max_cols])
    finally:
        workbook.close()


def xlsx_header(handle: IO[bytes], *, field: str = "file") -> tuple:
    """Only the first row of the first sheet, without scanning the rest."""
    rows = open_xlsx_rows(handle, field=field)
    try:
        return next(rows, ())
    finally:
        rows.close()
