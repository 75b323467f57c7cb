"""Import the payment system's aggregates (CSV or XLSX), all or nothing.

One file may hold several periods. Every row is checked (and every problem listed by row
and column) before anything is written; a file with a single bad row imports nothing.
Per period the import is idempotent: the same figures again change nothing, new figures
for a known period replace that period's rows (the payment system's correction). The
batch row carries one audit event with the file's SHA-256 and what happened per period.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from qms.core import audit, geo
from qms.core.db import now_utc
from qms.core.errors import ServiceError
from qms.core.parsers import XLSX_BROKEN, ParseLimit, XlsxSheet
from qms.core.time import today_local
from qms.extensions import db
from qms.payments.models import (
    REASON_COLUMNS,
    ImportStatus,
    NonPaymentReason,
    PaymentAggregate,
    PaymentChannel,
    PaymentImport,
    PaymentPeriod,
)

MAX_KEPT_PROBLEMS = 500

#: File column → (field, kind). Headers are matched case- and accent-insensitively.
COLUMNS: dict[str, tuple[str, str]] = {
    "periodo": ("period", "period"),
    "departamento": ("department_code", "department"),
    "municipio": ("municipality_code", "municipality"),
    "canal": ("channel", "channel"),
    "hogares_programados": ("households_scheduled", "int"),
    "hogares_pagados": ("households_paid", "int"),
    "monto_pagado_lps": ("amount_paid", "money"),
    **{f"no_pago_{r.value}": (f"unpaid_{r.value}", "int") for r in NonPaymentReason},
}
REQUIRED = ("periodo", "departamento", "municipio", "canal", "hogares_programados",
            "hogares_pagados", "monto_pagado_lps")
#: Spanish names the payment system may use for a channel.
CHANNEL_NAMES = {
    "bank": PaymentChannel.BANK, "banco": PaymentChannel.BANK,
    "mobile_wallet": PaymentChannel.MOBILE_WALLET, "billetera": PaymentChannel.MOBILE_WALLET,
    "billetera movil": PaymentChannel.MOBILE_WALLET, "tigo money": PaymentChannel.MOBILE_WALLET,
    "pay_point": PaymentChannel.PAY_POINT, "punto de pago": PaymentChannel.PAY_POINT,
    "punto de pago comunitario": PaymentChannel.PAY_POINT,
    "other": PaymentChannel.OTHER, "otro": PaymentChannel.OTHER,
}
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Problem:
    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = _("fila %(n)s", n=self.row) if self.row else _("archivo")
        return f"{where}, {self.column}: {self.reason}" if self.column else \
            f"{where}: {self.reason}"


@dataclass
class ImportReport:
    file_name: str
    file_sha256: str = ""
    file_size: int = 0
    file_format: str = ""
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    #: period → "new" | "replaced" | "unchanged"
    periods: dict[str, str] = field(default_factory=dict)
    import_id: int | None = None

    def add(self, row: int | None, column: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(row, column, reason))

    @property
    def accepted(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> dict[str, Any]:
        return {"file": self.file_name, "sha256": self.file_sha256, "rows": self.rows_read,
                "periods": self.periods}


class ImportRejected(ServiceError):
    """Bad rows or a bad file: nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_("Importación rechazada: %(n)s problemas; no se importó nada.",
                           n=report.problem_count), field="file")
        self.report = report


# ------------------------------------------------------------------ reading a table


def _normalise_header(text: str) -> str:
    return geo.normalise(str(text or "")).replace(" ", "_")


def _rows(data: bytes, report: ImportReport) -> Iterator[tuple[int, list[str]]] | None:
    """(row number as a spreadsheet shows it, cells) of a CSV or XLSX file."""
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, report)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        report.add(None, "", _("El archivo no es CSV ni XLSX."))
        return None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    report.file_format = f"csv {encoding} {delimiter}"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return ((n, row) for n, row in enumerate(reader, start=1))


def _xlsx_rows(data: bytes, report: ImportReport):
    """Through :class:`qms.core.parsers.XlsxSheet`: a compression bomb, too many rows or
    columns are a problem of the file, reported like any other."""
    try:
        sheet = XlsxSheet(io.BytesIO(data))
    except ParseLimit as exc:
        report.add(None, "", str(exc.message))
        return None
    except XLSX_BROKEN:
        report.add(None, "", _("El archivo XLSX está dañado o no es una hoja de cálculo."))
        return None
    report.file_format = "xlsx"

    def cells():
        try:
            for n, row in enumerate(sheet.rows(), start=1):
                yield n, ["" if v is None else (str(int(v)) if isinstance(v, float) and
                                                 v.is_integer() and n > 1 else str(v))
                          for v in row]
        except ParseLimit as exc:
            report.add(None, "", str(exc.message))
        except XLSX_BROKEN:
            report.add(None, "", _("El archivo XLSX está truncado o dañado."))
        finally:
            sheet.close()

    return cells()


# -------------------------------------------------------------------- checking rows


def _int(value: str, report: ImportReport, row: int, column: str) -> int | None:
    text = value.strip().replace(" ", "")
    if not text:
        return 0 if column.startswith("no_pago_") else _missing(report, row, column)
    if not re.fullmatch(r"\d+", text):
        report.add(row, column, _("«%(v)s» no es un número entero no negativo.", v=value[:30]))
        return None
    return int(text)


def _missing(report: ImportReport, row: int, column: str) -> None:
    report.add(row, column, _("falta el valor."))
    return None


def _money(value: str, report: ImportReport, row: int, column: str) -> Decimal | None:
    text = value.strip().replace(" ", "").replace("L", "")
    if not text:
        return _missing(report, row, column)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        report.add(row, column, _("«%(v)s» no es un monto en lempiras.", v=value[:30]))
        return None
    return amount.quantize(Decimal("0.01"))


def _period(value: str, report: ImportReport, row: int, column: str) -> str | None:
    match = _PERIOD_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        report.add(row, column, _("«%(v)s» no es un periodo AAAA-MM.", v=value[:30]))
        return None
    today = today_local()
    if (int(match.group(1)), int(match.group(2))) > (today.year, today.month):
        report.add(row, column, _("el periodo %(v)s es futuro.", v=value))
        return None
    return value.strip()


def _check_row(cells: dict[str, str], row: int, report: ImportReport) -> dict | None:
    before = report.problem_count
    record: dict[str, Any] = {}
    for column, (name, kind) in COLUMNS.items():
        value = cells.get(column, "")
        if kind == "period":
            record[name] = _period(value, report, row, column)
        elif kind == "int":
            record[name] = _int(value, report, row, column)
        elif kind == "money":
            record[name] = _money(value, report, row, column)
        elif kind == "channel":
            channel = CHANNEL_NAMES.get(geo.normalise(value))
            if channel is None:
                report.add(row, column, _("canal «%(v)s» desconocido (banco, billetera, punto "
                                          "de pago, otro).", v=value[:30]))
            record[name] = channel
    dept = geo.department(cells.get("departamento", "").strip())
    muni = geo.municipality(cells.get("municipio", "").strip())
    if dept is None:
        report.add(row, "departamento", _("departamento «%(v)s» desconocido.",
                                          v=cells.get("departamento", "")[:30]))
    if muni is None:
        report.add(row, "municipio", _("municipio «%(v)s» desconocido.",
                                       v=cells.get("municipio", "")[:30]))
    elif dept is not None and muni.department_code != dept.code:
        report.add(row, "municipio", _("el municipio %(m)s no pertenece al departamento %(d)s.",
                                       m=muni.code, d=dept.code))
    if report.problem_count > before:
        return None
    record["department_code"], record["municipality_code"] = dept.code, muni.code
    if record["households_paid"] > record["households_scheduled"]:
        report.add(row, "hogares_pagados", _("hay más hogares pagados que programados."))
        return None
    unpaid = record["households_scheduled"] - record["households_paid"]
    if sum(record[c] for c in REASON_COLUMNS) > unpaid:
        report.add(row, "no_pago_*", _("los motivos de no pago suman más que los %(n)s hogares "
                                       "no pagados.", n=unpaid))
        return None
    if record["households_paid"] == 0 and record["amount_paid"] > 0:
        report.add(row, "monto_pagado_lps", _("hay monto pagado sin hogares pagados."))
        return None
    return record


def read_file(data: bytes, file_name: str) -> tuple[ImportReport, list[dict]]:
    """Check every row of ``data``; return the report and the good records."""
    report = ImportReport(file_name=file_name[:255], file_size=len(data),
                          file_sha256=hashlib.sha256(data).hexdigest())
    records: list[dict] = []
    if not data:
        report.add(None, "", _("El archivo está vacío."))
        return report, records
    rows = _rows(data, report)
    if rows is None:
        return report, records
    header: list[str] | None = None
    seen: dict[tuple, int] = {}
    for number, cells in rows:
        if header is None:
            header = [_normalise_header(c) for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            for column in missing:
                report.add(1, column, _("falta la columna."))
            if missing:
                return report, records
            continue
        if not any(str(c).strip() for c in cells):
            continue
        report.rows_read += 1
        by_name = {h: str(cells[i]) if i < len(cells) else "" for i, h in enumerate(header)}
        record = _check_row(by_name, number, report)
        if record is None:
            continue
        key = (record["period"], record["municipality_code"], record["channel"])
        if key in seen:
            report.add(number, "municipio", _("fila repetida: el mismo periodo, municipio y canal "
                                              "están en la fila %(n)s.", n=seen[key]))
            continue
        seen[key] = number
        records.append(record)
    if header is None:
        report.add(None, "", _("El archivo no tiene encabezados."))
    elif not report.rows_read:
        report.add(None, "", _("El archivo no tiene filas de datos."))
    return report, records


# ---------------------------------------------------------------------- writing


def _digest(rows: list[dict]) -> str:
    plain = sorted(json.dumps({k: str(v) for k, v in r.items()}, sort_keys=True) for r in rows)
    return hashlib.sha256("\n".join(plain).encode()).hexdigest()


def import_payments(stream: IO[bytes] | bytes | Path, file_name: str) -> ImportReport:
    """Check and import a file in the current transaction (the caller commits).

    Raises :class:`ImportRejected` (nothing written) when any row or column is wrong.
    """
    if isinstance(stream, Path):
        data = stream.read_bytes()
    elif isinstance(stream, bytes):
        data = stream
    else:
        data = stream.read()
    report, records = read_file(data, file_name)
    if not report.accepted:
        raise ImportRejected(report)
    by_period: dict[str, list[dict]] = {}
    for record in records:
        by_period.setdefault(record.pop("period"), []).append(record)
    existing = {p.code: p for p in db.session.scalars(
        select(PaymentPeriod).where(PaymentPeriod.code.in_(list(by_period))))}
    digests = {code: _digest(rows) for code, rows in by_period.items()}
    for code in sorted(by_period):
        old = existing.get(code)
        report.periods[code] = ("new" if old is None else
                                "unchanged" if old.content_sha256 == digests[code] else "replaced")
    batch = PaymentImport(status=ImportStatus.IMPORTED, file_name=report.file_name,
                          file_sha256=report.file_sha256, file_size=report.file_size,
                          file_format=report.file_format, rows_read=report.rows_read,
                          periods=report.periods, problems=[], imported_at=now_utc(),
                          actor_id=audit.current_actor().id)
    db.session.add(batch)
    audit.annotate(db.session, batch, "import",
                   json.dumps(report.summary(), ensure_ascii=False)[:500])
    db.session.flush()
    report.import_id = batch.id
    for code, rows in sorted(by_period.items()):
        if report.periods[code] == "unchanged":
            continue
        period = existing.get(code)
        if period is None:
            year, month = (int(x) for x in code.split("-"))
            period = PaymentPeriod(code=code, year=year, month=month, import_id=batch.id,
                                   content_sha256=digests[code])
            db.session.add(period)
            db.session.flush()
        else:
            db.session.execute(delete(PaymentAggregate).where(
                PaymentAggregate.period_id == period.id))
            period.import_id, period.content_sha256 = batch.id, digests[code]
            period.updated_at = now_utc()
        for row in rows:
            row["period_id"] = period.id
        db.session.execute(insert(PaymentAggregate), rows)
    db.session.flush()
    return report


def record_rejected(report: ImportReport) -> PaymentImport:
    """After the rollback: keep a trace of the refused file (no figures)."""
    batch = PaymentImport(status=ImportStatus.REJECTED, file_name=report.file_name,
                          file_sha256=report.file_sha256 or "-", file_size=report.file_size,
                          file_format=report.file_format or "?", rows_read=report.rows_read,
                          periods={}, problems=[p.as_dict() for p in report.problems],
                          imported_at=now_utc(), actor_id=audit.current_actor().id)
    db.session.add(batch)
    audit.annotate(db.session, batch, "import_rejected",
                   json.dumps({"file": report.file_name, "sha256": report.file_sha256,
                               "problems": report.problem_count}, ensure_ascii=False))
    db.session.flush()
    report.import_id = batch.id
    return batch
