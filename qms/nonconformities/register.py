"""The NC register: filtered and sorted queries and the charts' figures (its exports are
in :mod:`qms.nonconformities.export`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import column, func, literal_column, select, table, union
from sqlalchemy.orm import selectinload

from qms.core import charts
from qms.extensions import db
from qms.nonconformities.enums import OPEN_STATUSES, ActionStatus, NCSeverity, NCSource, NCStatus
from qms.nonconformities.models import (
    STATUS_RANK_SQL,
    CorrectiveAction,
    EffectivenessVerification,
    NCRegisterFigure,
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
    #: The processes the reader may read (``qms.core.permissions.readable_processes``):
    #: the view sets it, None for every process.
    processes: frozenset[str] | None = None

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
    assigned to them, or an open NC of a process they own.

    One ``IN`` over the union of three index searches (``ix_corrective_action_owner_open``,
    ``ix_nc_verification_verifier_result``, ``ix_nonconformity_status_process``): what is
    read grows with what waits for the user, not with the register."""
    pending = [s for s in ActionStatus if s != ActionStatus.DONE]
    actions = select(CorrectiveAction.nc_id).where(CorrectiveAction.owner_id == user_id,
                                                   CorrectiveAction.status.in_(pending))
    verifications = select(EffectivenessVerification.nc_id).where(
        EffectivenessVerification.verifier_id == user_id,
        EffectivenessVerification.result.is_(None))
    owned = select(Nonconformity.id).where(
        Nonconformity.status.in_(_OPEN),
        Nonconformity.process_id.in_(select(Process.id).where(Process.owner_id == user_id)))
    return Nonconformity.status.in_(_OPEN) & Nonconformity.id.in_(
        union(actions, verifications, owned))


_OPEN = sorted(s.value for s in OPEN_STATUSES)
#: Shorter searches have no trigram to look up: they read the titles (still correct).
MIN_INDEXED_SEARCH = 3
#: SQLite's trigram index of codes and titles (an FTS5 table filled by triggers, see
#: migration ``0017_nc_register_figures``); PostgreSQL uses ``pg_trgm`` indexes instead.
_SEARCH = table("nc_search", column("rowid"), column("code"), column("title"))


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(q: str):
    """NCs whose code or title contains ``q``, any case: a substring search, as the
    search box has always meant, served by a trigram index on both databases (the
    ``LIKE`` of a 3-character or longer text does not read every title)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":  # the GIN pg_trgm indexes serve ILIKE
        return (Nonconformity.title.ilike(_like(q), escape="\\")
                | Nonconformity.code.ilike(_like(q), escape="\\"))
    if len(q) >= MIN_INDEXED_SEARCH:
        phrase = '"' + q.replace('"', '""') + '"'  # a trigram phrase: the exact substring
        return Nonconformity.id.in_(select(_SEARCH.c.rowid).where(
            literal_column("nc_search").match(phrase)))
    like = _like(q.lower())
    return (func.lower(Nonconformity.title).like(like, escape="\\")
            | func.lower(Nonconformity.code).like(like, escape="\\"))


def not_overdue():
    """The complement of ``Nonconformity.overdue`` (which is never NULL)."""
    return ~Nonconformity.overdue


def in_processes(process_id, codes: frozenset[str]):
    """``process_id`` is one of the processes ``codes`` names."""
    return process_id.in_(select(Process.id).where(Process.code.in_(sorted(codes))))


def conditions(filters: Filters) -> list:
    """The WHERE clauses of ``filters``."""
    where = []
    if filters.processes is not None:
        where.append(in_processes(Nonconformity.process_id, filters.processes))
    if filters.assigned_to is not None:
        where.append(assigned_to(filters.assigned_to))
    if filters.status:
        where.append(Nonconformity.status == filters.status)
    if filters.open_only:
        where.append(Nonconformity.status.in_(_OPEN))
    if filters.process_id:
        where.append(Nonconformity.process_id == filters.process_id)
    if filters.source:
        where.append(Nonconformity.source == filters.source)
    if filters.severity:
        where.append(Nonconformity.severity == filters.severity)
    if filters.overdue is not None:
        where.append(Nonconformity.overdue if filters.overdue else not_overdue())
    if filters.detected_from:
        where.append(Nonconformity.detected_on >= filters.detected_from)
    if filters.detected_to:
        where.append(Nonconformity.detected_on <= filters.detected_to)
    if filters.q:
        where.append(search(filters.q))
    return where


def _order(filters: Filters) -> list:
    desc = filters.sort.startswith("-")
    return [c.desc() if desc else c.asc() for c in SORTS[filters.sort.lstrip("-")]]


def _ordered(filters: Filters):
    query = select(Nonconformity).where(*conditions(filters))
    if filters.sort.lstrip("-") == "process":
        query = query.join(Nonconformity.process)
    return query.order_by(*_order(filters))


def columns_query(filters: Filters, *columns):
    """The filtered, sorted register as plain ``columns`` (the exports read rows, not
    objects), with the process joined for its code and name."""
    return (select(*columns).select_from(Nonconformity).join(Nonconformity.process)
            .where(*conditions(filters)).order_by(*_order(filters)))


def register_query(filters: Filters):
    """The filtered, sorted NCs as objects, with their actions and process loaded."""
    return _ordered(filters).options(selectinload(Nonconformity.actions),
                                     selectinload(Nonconformity.process))


def page_query(filters: Filters):
    """The register page's rows: what the table shows, nothing more (the "overdue"
    badge reads ``next_due_on``, not the actions)."""
    return _ordered(filters).options(selectinload(Nonconformity.process))


#: Filters the maintained figures can count (each is a column of NCRegisterFigure).
_FIGURE_FILTERS = {"status", "open_only", "process_id", "source", "severity", "processes"}


def count_query(filters: Filters):
    """How many NCs ``filters`` select: the sum of a few figure rows when the filters
    are among the figures' columns (the default register, a status, a process…),
    otherwise one count over the filter's index (never the page's whole SELECT)."""
    used = {name for name, value in vars(filters).items()
            if name not in ("sort", "mine") and value is not None and value is not False}
    if filters.overdue is not None:  # "not overdue" is a filter too
        used.add("overdue")
    if used <= _FIGURE_FILTERS:
        f = NCRegisterFigure
        where = []
        if filters.status:
            where.append(f.status == filters.status)
        if filters.open_only:
            where.append(f.status.in_(_OPEN))
        if filters.process_id:
            where.append(f.process_id == filters.process_id)
        if filters.source:
            where.append(f.source == filters.source)
        if filters.severity:
            where.append(f.severity == filters.severity)
        if filters.processes is not None:
            where.append(in_processes(f.process_id, filters.processes))
        return select(func.coalesce(func.sum(f.nc_count), 0)).where(*where)
    return select(func.count()).select_from(Nonconformity).where(*conditions(filters))


def count(filters: Filters) -> int:
    return int(db.session.scalar(count_query(filters)))


def register_page(filters: Filters, **kwargs):
    """One page of the register (``db.paginate`` arguments) with its total from
    :func:`count_query`: two queries for the rows and one for the total, whatever the
    register's size."""
    page = db.paginate(page_query(filters), count=False, **kwargs)
    page.total = count(filters)
    return page


# ------------------------------------------------------------------------ charts


def chart_queries(processes: frozenset[str] | None = None) -> dict:
    """The three charts' aggregates over the maintained figures
    (:class:`NCRegisterFigure`, a row per process, source, severity and status): their
    cost grows with the number of processes and sources, not with the register, and no
    NC is read (``tests/nonconformities/test_register_figures.py`` checks they equal a
    recount of the register). ``processes`` narrows them to what the reader may read."""
    f = NCRegisterFigure
    open_count = func.sum(f.nc_count)
    closed = func.sum(f.nc_count)
    scope = [] if processes is None else [in_processes(f.process_id, processes)]
    return {
        "by_process": select(Process.code, open_count).join(Process, Process.id == f.process_id)
        .where(f.status.in_(_OPEN), *scope).group_by(Process.code).having(open_count > 0)
        .order_by(open_count.desc(), Process.code),
        "by_source": select(f.source, open_count).where(f.status.in_(_OPEN), *scope)
        .group_by(f.source).having(open_count > 0),
        "days_to_close": select(Process.code, func.sum(f.days_to_close_total) * 1.0 / closed)
        .join(Process, Process.id == f.process_id).where(f.status == NCStatus.CLOSED, *scope)
        .group_by(Process.code).having(closed > 0),
    }


def chart_figures(processes: frozenset[str] | None = None) -> dict:
    """Open NCs per process and per source, and the mean days from detection to closing
    (local dates, as ``Nonconformity.days_to_close``) per process, of ``processes``
    (every process if None)."""
    queries = chart_queries(processes)
    by_process = db.session.execute(queries["by_process"]).all()
    by_source = db.session.execute(queries["by_source"]).all()
    closing = db.session.execute(queries["days_to_close"]).all()
    return {
        "by_process": [(code, int(n)) for code, n in by_process],
        "by_source": sorted(((NCSource(s).label, int(n)) for s, n in by_source),
                            key=lambda x: -x[1]),
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
