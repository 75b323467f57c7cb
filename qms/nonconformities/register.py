"""The NC register: filtered and sorted queries and the charts' figures (its exports are
in :mod:`qms.nonconformities.export`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import selectinload

from qms.core import charts
from qms.core.time import days_between, local_date
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
