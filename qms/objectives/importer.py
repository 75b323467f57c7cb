"""KPI values from a CSV file: every row checked first, nothing written on any error.

Columns (header in the first line, in any order; extra columns are refused so a typo in
a heading is not silently ignored): ``objetivo`` (the objective's code), ``periodo``
("2026-03", "2026-T3", "2026-S1" or "2026" as the objective's frequency requires),
``valor`` (a number; decimal point or comma) and optionally ``observacion``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from qms.auth.models import User
from qms.core.errors import ValidationError
from qms.extensions import db
from qms.objectives import services
from qms.objectives.enums import MeasureMethod, ValueSource
from qms.objectives.models import KPIValue, Objective
from qms.objectives.periods import parse_period

REQUIRED = ("objetivo", "periodo", "valor")
OPTIONAL = ("observacion",)
MAX_BYTES = 1_000_000
MAX_ROWS = 5_000


@dataclass(frozen=True)
class Problem:
    #: Line of the file (the header is line 1); 0 for the file as a whole.
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    values: list[KPIValue] = field(default_factory=list)


class ImportRejected(ValidationError):
    """The file had problems; none of its rows was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("El archivo tiene %(n)d errores; no se importó ningún valor.",
                           n=len(problems)), field="file")
        self.problems = problems


def _rows(data: bytes) -> tuple[list[str], list[dict]]:
    if len(data) > MAX_BYTES:
        raise ImportRejected([Problem(0, "", _("El archivo supera %(n)d bytes.", n=MAX_BYTES))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([Problem(0, "", _("El archivo no es texto UTF-8."))]) from None
    if "\x00" in text:
        raise ImportRejected([Problem(0, "", _("El archivo no es un CSV de texto."))])
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([Problem(0, "", _("El archivo está vacío."))]) from None
    problems = [Problem(1, name, _("Falta la columna «%(c)s».", c=name))
                for name in REQUIRED if name not in header]
    problems += [Problem(1, name, _("Columna desconocida «%(c)s».", c=name))
                 for name in header if name not in REQUIRED + OPTIONAL]
    if problems:
        raise ImportRejected(problems)
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRejected([Problem(line, "", _("Más de %(n)d filas.", n=MAX_ROWS))])
        if len(cells) > len(header):
            problems.append(Problem(line, "", _("La fila tiene más celdas que el encabezado.")))
            continue
        rows.append({"_line": line, **{h: (cells[i].strip() if i < len(cells) else "")
                                       for i, h in enumerate(header)}})
    if problems:
        raise ImportRejected(problems)
    return header, rows


def import_values(data: bytes, *, actor: User,
                  may_record: Callable[[Objective], bool]) -> ImportResult:
    """Check every row, then add every value (the caller's transaction commits)."""
    _header, rows = _rows(data)
    if not rows:
        raise ImportRejected([Problem(0, "", _("El archivo no tiene filas de datos."))])
    codes = {r["objetivo"].strip().upper() for r in rows}
    objectives = {o.code: o for o in db.session.scalars(
        select(Objective).where(Objective.code.in_(codes)))}
    taken = set(db.session.execute(
        select(Objective.code, KPIValue.period).join(KPIValue.objective)
        .where(Objective.code.in_(codes))).tuples())
    problems: list[Problem] = []
    planned: list[tuple[Objective, object, float, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        line, code = row["_line"], row["objetivo"].strip().upper()
        objective = objectives.get(code)
        if objective is None:
            problems.append(Problem(line, "objetivo", _("Objetivo desconocido «%(c)s».",
                                                        c=row["objetivo"][:40])))
            continue
        if not objective.active:
            problems.append(Problem(line, "objetivo", _("El objetivo %(c)s ya no está vigente.",
                                                        c=code)))
            continue
        if objective.method is MeasureMethod.COMPUTED:
            problems.append(Problem(line, "objetivo", _(
                "Los valores del objetivo %(c)s se calculan con los datos del SGC.", c=code)))
            continue
        if not may_record(objective):
            problems.append(Problem(line, "objetivo", _(
                "Usted no puede registrar valores del objetivo %(c)s.", c=code)))
            continue
        try:
            period = parse_period(row["periodo"], objective.frequency)
        except ValueError as exc:
            problems.append(Problem(line, "periodo", str(exc)))
            period = None
        try:
            value = services.parse_number(row["valor"])
        except ValidationError as exc:
            problems.append(Problem(line, "valor", str(exc.message)))
            value = None
        if period is None or value is None:
            continue
        key = (code, period.label)
        if key in taken:
            problems.append(Problem(line, "periodo", _(
                "El objetivo %(c)s ya tiene un valor para el periodo %(p)s.", c=code,
                p=period.label)))
        elif key in seen:
            problems.append(Problem(line, "periodo", _(
                "El periodo %(p)s del objetivo %(c)s ya aparece en la fila %(r)d.",
                p=period.label, c=code, r=seen[key])))
        else:
            seen[key] = line
            planned.append((objective, period, value, row.get("observacion", "")[:2000]))
    if problems:
        raise ImportRejected(problems)
    result = ImportResult(rows=len(rows))
    for objective, period, value, note in planned:
        record = KPIValue(objective_id=objective.id, period=period.label,
                          period_start=period.start, period_end=period.end, value=value,
                          source=ValueSource.IMPORTED, note=note, recorded_by_id=actor.id)
        result.values.append(services.add_value(record))
    return result
