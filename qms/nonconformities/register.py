"""The NC register: filtered and sorted queries, exports and the charts' figures."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from qms.core import charts, geo
from qms.core.spreadsheets import safe_cell
from qms.core.time import to_local
from qms.extensions import db
from qms.nonconformities.models import (
    OPEN_STATUSES,
    ActionStatus,
    CorrectiveAction,
    EffectivenessVerification,
    NCSeverity,
    NCSource,
    NCStatus,
    Nonconformity,
)
from qms.processes.models import Process

#: Status and severity sort in workflow / gravity order, not alphabetically.
_STATUS_ORDER = case({s.value: i for i, s in enumerate(NCStatus)}, value=Nonconformity.status)
_SEVERITY_ORDER = case({NCSeverity.MAJOR.value: 0, NCSeverity.MINOR.value: 1},
                       value=Nonconformity.severity)
SORTS = {
    "code": (Nonconformity.year, Nonconformity.number),
    "detected_on": (Nonconformity.detected_on, Nonconformity.id),
    "title": (Nonconformity.title,),
    "status": (_STATUS_ORDER, Nonconformity.id),
    "severity": (_SEVERITY_ORDER, Nonconformity.id),
    "process": (Process.code, Nonconformity.id),
}
DEFAULT_SORT = "-code"


@dataclass
class Filters:
    status: NCStatus | None = None
    process_id: int | None = None
    source: NCSource | None = None
    severity: NCSeverity | None = None
    overdue: bool | None = None
    detected_from: date | None = None
    detected_to: date | None = None
    open_only: bool = False
    q: str | None = None
    sort: str = DEFAULT_SORT
    #: "Assigned to me" (``?mine=1``): the view sets the user; see :func:`assigned_to`.
    mine: bool = False
    assigned_to: int | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from a query string; unknown values are ignored, not errors."""

        def pick(enum_cls, key):
            try:
                return enum_cls(args.get(key)) if args.get(key) else None
            except ValueError:
                return None

        def day(key):
            try:
                return date.fromisoformat(args.get(key)) if args.get(key) else None
            except ValueError:
                return None

        process = args.get("process_id") or ""
        overdue = args.get("overdue")
        sort = args.get("sort") or DEFAULT_SORT
        return cls(status=pick(NCStatus, "status"), source=pick(NCSource, "source"),
                   severity=pick(NCSeverity, "severity"),
                   process_id=int(process) if str(process).isdigit() else None,
                   overdue={"1": True, "true": True, "0": False, "false": False}.get(
                       str(overdue).lower()) if overdue not in (None, "") else None,
                   detected_from=day("detected_from"), detected_to=day("detected_to"),
                   open_only=str(args.get("open_only", "")).lower() in ("1", "true"),
                   q=(args.get("q") or "").strip() or None,
                   mine=str(args.get("mine", "")).lower() in ("1", "true"),
                   sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT)


def assigned_to(user_id: int):
    """NCs waiting for ``user_id``: an open action they own, the pending verification
    assigned to them, or an open NC of a process they own."""
    actions = select(CorrectiveAction.nc_id).where(CorrectiveAction.owner_id == user_id,
                                                   CorrectiveAction.status != ActionStatus.DONE)
    verifications = select(EffectivenessVerification.nc_id).where(
        EffectivenessVerification.verifier_id == user_id,
        EffectivenessVerification.result.is_(None))
    return (Nonconformity.status.in_(OPEN_STATUSES)
            & (Nonconformity.id.in_(actions) | Nonconformity.id.in_(verifications)
               | (Process.owner_id == user_id)))


def register_query(filters: Filters):
    query = select(Nonconformity).join(Nonconformity.process).options(
        selectinload(Nonconformity.actions), selectinload(Nonconformity.process))
    if filters.assigned_to is not None:
        query = query.where(assigned_to(filters.assigned_to))
    if filters.status:
        query = query.where(Nonconformity.status == filters.status)
    if filters.open_only:
        query = query.where(Nonconformity.status.in_([s.value for s in OPEN_STATUSES]))
    if filters.process_id:
        query = query.where(Nonconformity.process_id == filters.process_id)
    if filters.source:
        query = query.where(Nonconformity.source == filters.source)
    if filters.severity:
        query = query.where(Nonconformity.severity == filters.severity)
    if filters.overdue is not None:
        query = query.where(Nonconformity.overdue if filters.overdue else ~Nonconformity.overdue)
    if filters.detected_from:
        query = query.where(Nonconformity.detected_on >= filters.detected_from)
    if filters.detected_to:
        query = query.where(Nonconformity.detected_on <= filters.detected_to)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        query = query.where(func.lower(Nonconformity.title).like(like)
                            | func.lower(Nonconformity.code).like(like))
    key = filters.sort.lstrip("-")
    columns = SORTS[key]
    desc = filters.sort.startswith("-")
    return query.order_by(*[c.desc() if desc else c.asc() for c in columns])


# ------------------------------------------------------------------------ export

def export_rows(filters: Filters) -> tuple[list[str], list[list]]:
    header = [_("Código"), _("Título"), _("Estado"), _("Último resultado de eficacia"),
              _("Origen"), _("Severidad"), _("Proceso"), _("Departamento"), _("Municipio"),
              _("Detectada el"), _("Detectada por"), _("Acciones"), _("Acciones abiertas"),
              _("Vencida"), _("Causa raíz"), _("Cerrada el"), _("Descripción")]
    rows = []
    query = register_query(filters).options(
        selectinload(Nonconformity.verifications), selectinload(Nonconformity.analyses),
        selectinload(Nonconformity.detected_by))
    for nc in db.session.scalars(query):
        analysis = nc.current_analysis or (nc.analyses[-1] if nc.analyses else None)
        dep = geo.department(nc.department_code)
        mun = geo.municipality(nc.municipality_code)
        rows.append([
            nc.code, nc.title, nc.status.label, nc.last_result.label if nc.last_result else "",
            nc.source.label, nc.severity.label, f"{nc.process.code} {nc.process.name}",
            dep.name if dep else "", mun.name if mun else "", nc.detected_on,
            nc.detected_by.full_name, len(nc.actions), len(nc.open_actions),
            _("Sí") if nc.overdue else _("No"), (analysis.root_cause if analysis else "") or "",
            to_local(nc.closed_at).date() if nc.closed_at else None, nc.description,
        ])
    return header, [[safe_cell(v) for v in row] for row in rows]


def export_csv(filters: Filters) -> str:
    header, rows = export_rows(filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v
                         for v in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens the accents correctly


def export_xlsx(filters: Filters) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = export_rows(filters)
    book = Workbook()
    sheet = book.active
    sheet.title = _("No conformidades")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------ charts


def chart_figures() -> dict:
    open_values = [s.value for s in OPEN_STATUSES]
    by_process = db.session.execute(
        select(Process.code, func.count(Nonconformity.id)).join(Nonconformity.process)
        .where(Nonconformity.status.in_(open_values)).group_by(Process.code)
        .order_by(func.count(Nonconformity.id).desc(), Process.code)).all()
    by_source = db.session.execute(
        select(Nonconformity.source, func.count(Nonconformity.id))
        .where(Nonconformity.status.in_(open_values)).group_by(Nonconformity.source)).all()
    days: dict[str, list[int]] = defaultdict(list)
    for code, detected_on, closed_at in db.session.execute(
            select(Process.code, Nonconformity.detected_on, Nonconformity.closed_at)
            .join(Nonconformity.process).where(Nonconformity.status == NCStatus.CLOSED)):
        days[code].append((to_local(closed_at).date() - detected_on).days)
    return {
        "by_process": [(code, n) for code, n in by_process],
        "by_source": sorted(((NCSource(s).label, n) for s, n in by_source), key=lambda x: -x[1]),
        "days_to_close": sorted((code, round(sum(v) / len(v), 1)) for code, v in days.items()),
    }


def charts_svg(figures: dict) -> dict[str, Markup]:
    return {
        "by_process": charts.bar_chart(figures["by_process"],
                                       title=_("No conformidades abiertas por proceso")),
        "by_source": charts.bar_chart(figures["by_source"],
                                      title=_("No conformidades abiertas por origen"),
                                      color=charts.PALETTE[1]),
        "days_to_close": charts.bar_chart(figures["days_to_close"],
                                          title=_("Días promedio hasta el cierre, por proceso"),
                                          unit=" d", color=charts.PALETTE[2]),
    }
