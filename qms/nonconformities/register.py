"""The NC register: filtered and sorted queries, exports and the charts' figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from qms.core import charts, export_jobs, formats, geo
from qms.core.spreadsheets import Column, Sheet, csv_chunks, write_csv, write_xlsx, xlsx_bytes
from qms.core.time import days_between, local_date, to_local, today_local
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus, NCSeverity, NCSource, NCStatus
from qms.nonconformities.models import (
    STATUS_RANK_SQL,
    CorrectiveAction,
    EffectivenessVerification,
    Nonconformity,
)
from qms.processes.models import Process

#: Status sorts in workflow order, not alphabetically: the same expression (literal text,
#: qualified by the table) as the index ``ix_nonconformity_status_rank`` serves.
_STATUS_ORDER = literal_column(STATUS_RANK_SQL.replace("status =", "nonconformity.status ="))
#: Each sort is served by an index (see Nonconformity.__table_args__ and the plan test).
#: Severity sorts by its stored value: "major" comes before "minor" alphabetically too.
SORTS = {
    "code": (Nonconformity.year, Nonconformity.number),
    "detected_on": (Nonconformity.detected_on, Nonconformity.id),
    "title": (Nonconformity.title,),
    "status": (_STATUS_ORDER, Nonconformity.id),
    "severity": (Nonconformity.severity, Nonconformity.year, Nonconformity.number),
    "process": (Process.code, Nonconformity.year, Nonconformity.number),
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

#: NCs read per batch by the exports: the query count grows by a fixed step per batch
#: (the NCs and their related rows), memory stays flat whatever the register's size.
EXPORT_BATCH = 500


def export_columns() -> list[Column]:
    return [Column(_("Código"), 14), Column(_("Título"), 45), Column(_("Estado"), 16),
            Column(_("Último resultado de eficacia"), 18), Column(_("Origen"), 18),
            Column(_("Severidad"), 12), Column(_("Proceso"), 30), Column(_("Departamento"), 16),
            Column(_("Municipio"), 18), Column(_("Detectada el"), 12),
            Column(_("Detectada por"), 22), Column(_("Acciones"), 9),
            Column(_("Acciones abiertas"), 9), Column(_("Vencida"), 9),
            Column(_("Próximo vencimiento"), 13), Column(_("Responsables de las acciones"), 30),
            Column(_("Verificación planificada el"), 13), Column(_("Verificador"), 22),
            Column(_("Verificada el"), 13), Column(_("Causa raíz"), 45),
            Column(_("Cerrada el"), 12), Column(_("Descripción"), 60)]


def export_count(filters: Filters) -> int:
    """How many NCs an export of ``filters`` holds (one count over the indexes)."""
    return db.session.scalar(select(func.count()).select_from(
        register_query(filters).order_by(None).subquery()))


def _ncs(filters: Filters):
    """The filtered NCs with everything an export row needs, read in batches of
    ``EXPORT_BATCH`` with their related rows loaded per batch: a fixed number of queries
    per batch, and memory flat whatever the register's size (each batch is released)."""
    query = register_query(filters).options(
        joinedload(Nonconformity.detected_by), selectinload(Nonconformity.verifications),
        selectinload(Nonconformity.analyses),
    ).execution_options(yield_per=EXPORT_BATCH)  # register_query loads actions and process
    return db.session.scalars(query)


def export_rows(filters: Filters) -> Iterator[list]:
    """The register's rows for an export, one per NC (no query per NC). The actions and
    the latest verification are summarised here; the XLSX lists them one by one on a
    second sheet (:func:`action_rows`)."""
    for nc in _ncs(filters):
        analysis = nc.current_analysis or (nc.analyses[-1] if nc.analyses else None)
        dep = geo.department(nc.department_code)
        mun = geo.municipality(nc.municipality_code)
        open_actions = nc.open_actions
        owners = sorted({a.owner.full_name for a in nc.actions})
        verification = nc.verifications[-1] if nc.verifications else None
        yield [
            nc.code, nc.title, nc.status.label, nc.last_result.label if nc.last_result else "",
            nc.source.label, nc.severity.label, f"{nc.process.code} {nc.process.name}",
            dep.name if dep else "", mun.name if mun else "", nc.detected_on,
            nc.detected_by.full_name, len(nc.actions), len(open_actions),
            _("Sí") if nc.overdue else _("No"),
            min((a.due_on for a in open_actions), default=None), ", ".join(owners),
            verification.planned_on if verification else None,
            verification.verifier.full_name if verification else "",
            to_local(verification.verified_at).date()
            if verification and verification.verified_at else None,
            (analysis.root_cause if analysis else "") or "",
            to_local(nc.closed_at).date() if nc.closed_at else None, nc.description,
        ]


def action_columns() -> list[Column]:
    return [Column(_("No conformidad"), 14), Column(_("Registro"), 14),
            Column(_("Número"), 8), Column(_("Ronda"), 7), Column(_("Descripción o resultado"), 50),
            Column(_("Responsable o verificador"), 24), Column(_("Vence o planificada el"), 13),
            Column(_("Estado"), 16), Column(_("Completada o verificada el"), 16),
            Column(_("Registrada por"), 22), Column(_("Evidencia"), 50)]


def action_rows(filters: Filters) -> Iterator[list]:
    """One row per corrective action and per effectiveness verification of the filtered
    NCs, in the register's order: who owns what, by when, and what was verified."""
    for nc in _ncs(filters):
        for action in nc.actions:
            yield [nc.code, _("Acción correctiva"), action.number, action.round,
                   action.description, action.owner.full_name, action.due_on,
                   action.status.label + (f" · {_('vencida')}" if action.overdue else ""),
                   action.completed_at, "", action.evidence or ""]
        for v in nc.verifications:
            yield [nc.code, _("Verificación de la eficacia"), "", v.round,
                   v.result.label if v.result else _("Pendiente"), v.verifier.full_name,
                   v.planned_on, v.result.label if v.result else _("Pendiente"),
                   v.verified_at, v.recorded_by.full_name if v.recorded_by else "",
                   v.evidence or ""]


def export_csv(filters: Filters) -> Iterator[str]:
    """The CSV, produced chunk by chunk as the NCs are read (streamed by the view): one
    row per NC, actions and verification summarised in their own columns."""
    return csv_chunks(export_columns(), export_rows(filters))


def _xlsx_title() -> str:
    return _("Registro de no conformidades · %(d)s", d=formats.local_date(today_local()))


def export_xlsx(filters: Filters) -> bytes:
    return xlsx_bytes(_xlsx_title(), _("No conformidades"), export_columns(),
                      export_rows(filters), _actions_sheet(filters))


def _actions_sheet(filters: Filters) -> Sheet:
    return Sheet(_("Acciones y verificaciones"), action_columns(), action_rows(filters))


def filters_params(filters: Filters, args: dict) -> dict:
    """What a background export needs to rebuild ``filters``: the query string, and the
    user "assigned to me" stands for."""
    return {"args": args, "assigned_to": filters.assigned_to}


@export_jobs.exporter("nc_register")
def build_export(params: dict, out: BinaryIO, progress) -> None:
    """The register export as a background job (see :mod:`qms.core.export_jobs`)."""
    filters = Filters.from_args(MultiDict(params["args"]))
    if filters.mine:
        filters.assigned_to = params.get("assigned_to")
    rows = export_jobs.counted(export_rows(filters), progress)
    if params["format"] == "xlsx":
        write_xlsx(out, _xlsx_title(), _("No conformidades"), export_columns(), rows,
                   _actions_sheet(filters))
    else:
        write_csv(out, export_columns(), rows)


# ------------------------------------------------------------------------ charts


def chart_queries() -> dict:
    """The three charts' aggregate queries, each answered from one index
    (``ix_nonconformity_status_process`` or ``…_status_source``) without reading the NC
    rows: their cost grows with the number of processes and sources, not with the
    register, and no NC is loaded into Python (``tests/core/test_query_plans.py``)."""
    open_values = [s.value for s in OPEN_STATUSES]
    open_count = func.count()
    days = func.avg(days_between(local_date(Nonconformity.closed_at), Nonconformity.detected_on))
    return {
        "by_process": select(Process.code, open_count).join(Nonconformity.process)
        .where(Nonconformity.status.in_(open_values)).group_by(Process.code)
        .order_by(open_count.desc(), Process.code),
        "by_source": select(Nonconformity.source, func.count())
        .where(Nonconformity.status.in_(open_values)).group_by(Nonconformity.source),
        "days_to_close": select(Process.code, days).join(Nonconformity.process)
        .where(Nonconformity.status == NCStatus.CLOSED).group_by(Process.code),
    }


def chart_figures() -> dict:
    """Open NCs per process and per source, and the mean days from detection to closing
    (local dates, as ``Nonconformity.days_to_close``) per process."""
    queries = chart_queries()
    by_process = db.session.execute(queries["by_process"]).all()
    by_source = db.session.execute(queries["by_source"]).all()
    closing = db.session.execute(queries["days_to_close"]).all()
    return {
        "by_process": [(code, n) for code, n in by_process],
        "by_source": sorted(((NCSource(s).label, n) for s, n in by_source), key=lambda x: -x[1]),
        "days_to_close": sorted((code, round(float(avg), 1)) for code, avg in closing
                                if avg is not None),
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
