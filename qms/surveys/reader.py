"""Reading KoboToolbox / ODK exports as a stream of rows, whatever their encoding.

The file type is decided by its content, never by its name: a ZIP container is XLSX
(read with openpyxl in read-only mode, within the bounds of ``qms.core.parsers``), text
is CSV (UTF-8, UTF-8 with BOM, UTF-16 with or without BOM — what Excel's "Unicode
text" saves — or Latin-1 / Windows-1252; ``;``, ``,`` or tab separated), anything else
is refused. Rows are yielded one at a time so
memory stays flat however large the file is. Cells are given as they are: a row with
more or fewer cells than the header is the converter's to refuse, naming the row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l

from qms.core.parsers import XLSX_BROKEN, ParseLimit, XlsxSheet

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (";", ",", "\t")
#: Longest cell the CSV reader accepts (characters). Text answers are refused far below
#: this (see ``values.MAX_TEXT``); a longer cell is a damaged file or a wrong separator.
FIELD_LIMIT = 1024 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be read (wrong type, truncated, inconsistent encoding)."""

    def __init__(self, message, row: int | None = None, *, whole_file: bool = False) -> None:
        super().__init__(str(message))
        self.message = message
        self.row = row
        #: Raised midway but about the file as a whole (a bound was hit): the rows read
        #: before it must not be imported either, even when invalid rows are skipped.
        self.whole_file = whole_file


@dataclass
class Table:
    #: "csv utf-8 ;" or "xlsx": what was detected, for the batch record.
    description: str
    header: list[str]
    #: (row number as a spreadsheet shows it — the header is row 1 —, cells).
    rows: Iterator[tuple[int, list[str]]]
    #: Bytes read so far and total, for progress bars.
    position: Callable[[], int]
    size: int
    close: Callable[[], None]


def _sniff_kind(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_l("Es un archivo de Excel antiguo (XLS): expórtelo como XLSX o CSV."))
    if not head.strip():
        raise FileProblem(_l("El archivo está vacío."))
    if _utf16(head):
        return "csv"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF8")):
        raise FileProblem(_l("El archivo no es CSV ni XLSX."))
    return "csv"


def _utf16(head: bytes) -> str | None:
    """"utf-16" (with a BOM), "utf-16-le"/"utf-16-be" (none, told by the zero bytes of
    ASCII text), or None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:512]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def detect_encoding(head: bytes) -> str:
    """UTF-16, UTF-8 with BOM, UTF-8, or Windows-1252 (a superset of Latin-1's printable
    range)."""
    utf16 = _utf16(head)
    if utf16:
        return utf16
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A multi-byte character may be cut at the end of the sample: decode incrementally.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(first_line: str) -> str:
    """The separator that splits the header best, counting outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_table(path: Path | str) -> Table:
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as probe:
        head = probe.read(SAMPLE_BYTES)
    kind = _sniff_kind(head)
    if kind == "xlsx":
        return _open_xlsx(path, size)
    return _open_csv(path, size, head)


# ----------------------------------------------------------------------------- CSV


def _open_csv(path: Path, size: int, head: bytes) -> Table:
    encoding = detect_encoding(head)
    raw = path.open("rb")
    #: Closing the wrapper closes the file; closing only the file leaves the wrapper
    #: to be reclaimed unclosed (a ResourceWarning).
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        text.close()
        raise FileProblem(_l("No se pudo leer la codificación del archivo.")) from None
    delimiter = detect_delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        text.close()
        raise FileProblem(_l("La fila de encabezados no se puede leer."), row=1) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len([h for h in header if h]) < 2:
        text.close()
        raise FileProblem(_l("El archivo no parece una exportación CSV de KoboToolbox u ODK: "
                             "no tiene columnas reconocibles."), row=1)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # The limit is process-wide and other libraries raise it on import (frictionless
        # sets sys.maxsize): assert ours each time a file is read.
        csv.field_size_limit(FIELD_LIMIT)
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        number = 1
        try:
            for cells in reader:
                number += 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield number, cells
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileProblem(_l(
                    "Una celda supera el límite del lector CSV de %(n)s caracteres (¿separador "
                    "equivocado o una comilla sin cerrar?); ninguna respuesta puede ser tan "
                    "larga.", n=f"{FIELD_LIMIT:,}"), row=number + 1) from None
            raise FileProblem(_l("El archivo está truncado o dañado: una fila termina a "
                                 "mitad de un campo entre comillas."), row=number + 1) from None
        except UnicodeDecodeError:
            raise FileProblem(_l("El archivo mezcla codificaciones: una fila no es %(enc)s "
                                 "válido.", enc=encoding), row=number + 1) from None

    label = {"utf-8-sig": "UTF-8 BOM", "utf-8": "UTF-8", "cp1252": "Latin-1",
             "latin-1": "Latin-1", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
             "utf-16-be": "UTF-16"}[encoding]
    sep = {"\t": "TAB"}.get(delimiter, delimiter)
    def position() -> int:
        return size if raw.closed else raw.tell()

    # ``text.close`` keeps the wrapper alive (its finaliser would close the file early).
    return Table(f"csv {label} {sep}", header, rows(), position, size, text.close)


# ----------------------------------------------------------------------------- XLSX


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _open_xlsx(path: Path, size: int) -> Table:
    """Through :class:`qms.core.parsers.XlsxSheet`: a zip bomb, a shared-strings table too
    big for memory, too many rows or columns become a :class:`FileProblem`."""
    handle: IO[bytes] = path.open("rb")
    try:
        sheet = XlsxSheet(handle)
    except ParseLimit as exc:
        handle.close()
        raise FileProblem(exc.message) from None
    except XLSX_BROKEN as exc:
        handle.close()
        raise FileProblem(_l("El archivo XLSX está dañado o truncado y no se puede abrir.")) from exc
    state = {"row": 1}

    def close() -> None:
        sheet.close()
        handle.close()

    iterator = sheet.rows()
    try:
        header_row = next(iterator, None)
    except ParseLimit as exc:
        close()
        raise FileProblem(exc.message, row=1) from None
    except XLSX_BROKEN as exc:
        close()
        raise FileProblem(_l("El archivo XLSX está dañado o truncado y no se puede abrir."),
                          row=1) from exc
    if not header_row:
        close()
        raise FileProblem(_l("La primera hoja del archivo XLSX está vacía."), row=1)
    header = [_cell_text(v).strip() for v in header_row]
    while header and not header[-1]:
        header.pop()
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for values in iterator:
                state["row"] += 1
                cells = [_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                # Empty cells past the header are formatting, not data: trim them; a
                # value there (or a short row) is left for the converter to refuse.
                while len(cells) > width and not cells[-1].strip():
                    cells.pop()
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                yield state["row"], cells
        except ParseLimit as exc:
            raise FileProblem(exc.message, row=state["row"] + 1, whole_file=True) from None
        except XLSX_BROKEN as exc:
            raise FileProblem(_l("El archivo XLSX está truncado o dañado."),
                              row=state["row"] + 1) from exc

    def position() -> int:
        # openpyxl gives no byte position: estimate from the rows the file claims (a
        # claim only steers the progress bar; reading never trusts it).
        total = sheet.claimed_rows
        return int(size * min(1.0, state["row"] / total)) if total > 1 else 0

    return Table("xlsx", header, rows(), position, size, close)
