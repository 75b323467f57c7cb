"""The register's maintained figures, kept in the transaction of every change.

Two things derived from the register are kept up to date at flush, so that no page
reads the register to show them:

- ``Nonconformity.next_due_on``: the earliest due date of the NC's actions not yet done.
  "Overdue" is then ``next_due_on < today`` on an open NC — computed from dates against
  today as before, but answered from one index instead of a search of the actions.
- :class:`~qms.nonconformities.models.NCRegisterFigure`: how many NCs share a process,
  source, severity and status, and their days to close summed. The register's total
  (for the filters those four columns express) and its three charts add up these few
  hundred rows.

At every flush (the unit of work's, whatever flushes: a request, a CLI step, a job):

1. ``before_flush`` notes the NCs whose counted columns change or which are deleted,
   and reads their stored contribution — the row as the database holds it before this
   flush writes. On PostgreSQL the same read locks those rows and the rows of NCs whose
   actions change (``FOR UPDATE``), so a concurrent writer of the same NC waits for this
   transaction instead of computing from a state about to change.
2. ``after_flush`` reads the new contribution of the NCs inserted or changed, and adds
   the difference to the figures in one ``INSERT … ON CONFLICT DO UPDATE SET n = n + …``:
   additions commute, so two writers moving NCs in and out of the same row both count.
   It then recomputes ``next_due_on`` of the NCs whose actions were added, changed or
   deleted, in SQL, and gives the loaded NCs the new value.

Both steps run on the flush's connection, so a rollback undoes them with the change.
Bulk loads that write rows without the ORM call :func:`rebuild` (as
``flask qms rebuild-nc-figures`` does), which recomputes everything from the register.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, event, func, inspect, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from qms.core.db import bulk_insert, upsert
from qms.core.time import days_between, local_date
from qms.nonconformities.enums import ActionStatus, NCStatus
from qms.nonconformities.models import CorrectiveAction, NCRegisterFigure, Nonconformity

N = Nonconformity
KEY = ("process_id", "source", "severity", "status")
#: The NC attributes a figure depends on (``process`` is the relationship behind
#: ``process_id``, which SQLAlchemy only copies over during the flush).
COUNTED = (*KEY, "process", "closed_at", "detected_on")
#: The action attributes ``next_due_on`` depends on.
DUE = ("nc_id", "nc", "due_on", "status")
_PENDING = "qms_nc_figures"

#: Days from detection to closing of a closed NC, by local dates (as ``days_to_close``).
_DAYS = case((N.status == NCStatus.CLOSED,
              days_between(local_date(N.closed_at), N.detected_on)), else_=0)


def _contributions(connection, ids: Iterable[int], *, lock: bool = False) -> list[Any]:
    ids = sorted(set(ids))
    if not ids:
        return []
    query = select(N.id, N.process_id, N.source, N.severity, N.status, _DAYS.label("days")) \
        .where(N.id.in_(ids)).order_by(N.id)
    if lock:
        query = query.with_for_update()
    return connection.execute(query).all()


def _changed(obj: Any, keys: Iterable[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in keys)


def _action_nc_ids(obj: CorrectiveAction, *, include_old: bool) -> set[int]:
    """The NCs an action belongs to, and belonged to before this flush."""
    ids = {obj.nc_id} if obj.nc_id is not None else set()
    if obj.nc is not None and obj.nc.id is not None:
        ids.add(obj.nc.id)
    if include_old:
        ids.update(v for v in inspect(obj).attrs.nc_id.history.deleted if v is not None)
    return ids


@dataclass
class _Pending:
    """What ``before_flush`` learnt for its ``after_flush``."""

    changed: list[Nonconformity]
    before: list[Any]
    actions_of: set[int]


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    session.info.pop(_PENDING, None)
    changed = [obj for obj in session.dirty
               if isinstance(obj, N) and inspect(obj).persistent and _changed(obj, COUNTED)]
    deleted = [obj for obj in session.deleted if isinstance(obj, N)]
    actions_of: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, CorrectiveAction) and _changed(obj, DUE):
            actions_of |= _action_nc_ids(obj, include_old=True)
    for obj in session.deleted:
        if isinstance(obj, CorrectiveAction):
            actions_of |= _action_nc_ids(obj, include_old=True)
    if not (changed or deleted or actions_of or any(
            isinstance(obj, N | CorrectiveAction) for obj in session.new)):
        return
    counted = {obj.id for obj in changed + deleted}
    connection = session.connection()
    if connection.dialect.name == "postgresql" and (counted or actions_of):
        rows = _contributions(connection, counted | actions_of, lock=True)
        before = [row for row in rows if row.id in counted]
    else:  # SQLite: the write transaction already excludes every other writer
        before = _contributions(connection, counted)
    session.info[_PENDING] = _Pending(changed=changed, before=before, actions_of=actions_of)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    connection = session.connection()
    new_ncs = [obj.id for obj in session.new if isinstance(obj, N)]
    after = _contributions(connection, new_ncs + [obj.id for obj in pending.changed])
    _apply(connection, pending.before, after)
    actions_of = set(pending.actions_of)
    for obj in session.new:
        if isinstance(obj, CorrectiveAction):
            actions_of |= _action_nc_ids(obj, include_old=False)
    _refresh_next_due(session, connection, actions_of)


def _apply(connection, before: list[Any], after: list[Any]) -> None:
    """Move each NC's contribution from its old figure row to its new one."""
    deltas: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for sign, rows in ((-1, before), (1, after)):
        for row in rows:
            delta = deltas[(row.process_id, row.source, row.severity, row.status)]
            delta[0] += sign
            delta[1] += sign * int(row.days or 0)
    rows = [dict(zip(KEY, key, strict=True), nc_count=n, days_to_close_total=days)
            for key, (n, days) in sorted(deltas.items(), key=lambda item: _order(item[0]))
            if n or days]
    # In key order, so two writers lock shared rows in the same order (no deadlock).
    upsert(NCRegisterFigure.__table__, rows, KEY, add=["nc_count", "days_to_close_total"],
           connection=connection)


def _order(key: tuple) -> tuple:
    return tuple(getattr(part, "value", part) for part in key)


def _next_due():
    return select(func.min(CorrectiveAction.due_on)).where(
        CorrectiveAction.nc_id == N.id,
        CorrectiveAction.status != ActionStatus.DONE).scalar_subquery()


def _refresh_next_due(session: Session, connection, nc_ids: set[int]) -> None:
    if not nc_ids:
        return
    table = N.__table__
    rows = connection.execute(
        update(table).where(table.c.id.in_(sorted(nc_ids)))
        .values(next_due_on=_next_due(), updated_at=table.c.updated_at)  # no onupdate
        .returning(table.c.id, table.c.next_due_on)).all()
    for nc_id, due in rows:
        loaded = session.identity_map.get(inspect(N).identity_key_from_primary_key((nc_id,)))
        if loaded is not None:
            set_committed_value(loaded, "next_due_on", due)


# ----------------------------------------------------------------------- rebuild


@dataclass(frozen=True)
class Rebuilt:
    """What :func:`rebuild` found wrong and put right."""

    next_due_fixed: int
    figure_rows_fixed: int
    ncs: int


def recomputed() -> dict[tuple, tuple[int, int]]:
    """The figures as the register says they are now: key → (NCs, days to close)."""
    from qms.extensions import db

    rows = db.session.execute(
        select(N.process_id, N.source, N.severity, N.status, func.count(), func.sum(_DAYS))
        .group_by(N.process_id, N.source, N.severity, N.status)).all()
    return {(p, src, sev, st): (int(n), int(days or 0)) for p, src, sev, st, n, days in rows}


def stored() -> dict[tuple, tuple[int, int]]:
    """The maintained figures (rows that count no NC left out)."""
    from qms.extensions import db

    f = NCRegisterFigure
    rows = db.session.execute(select(f.process_id, f.source, f.severity, f.status,
                                     f.nc_count, f.days_to_close_total)).all()
    return {(p, src, sev, st): (n, days) for p, src, sev, st, n, days in rows if n or days}


def check() -> Rebuilt:
    """What :func:`rebuild` would put right, without writing."""
    from qms.extensions import db

    table = N.__table__
    wrong_due = db.session.scalar(select(func.count()).select_from(table).where(
        table.c.next_due_on.is_distinct_from(_next_due())))
    fresh, old = recomputed(), stored()
    return Rebuilt(next_due_fixed=int(wrong_due), figure_rows_fixed=_differing(fresh, old),
                   ncs=sum(n for n, _ in fresh.values()))


def _differing(fresh: dict, old: dict) -> int:
    return sum(1 for key in fresh.keys() | old.keys() if fresh.get(key) != old.get(key))


def rebuild() -> Rebuilt:
    """Recompute ``next_due_on`` of every NC and every figure row from the register, in
    the current transaction (the caller commits); say how many were wrong.

    On PostgreSQL the figures are locked first, so a writer flushing meanwhile either
    committed before the recount (and is counted) or adds its change after it."""
    from qms.extensions import db

    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE nc_register_figure IN SHARE ROW EXCLUSIVE MODE"))
    table = N.__table__
    fixed = connection.execute(
        update(table).where(table.c.next_due_on.is_distinct_from(_next_due()))
        .values(next_due_on=_next_due(), updated_at=table.c.updated_at)).rowcount
    fresh, old = recomputed(), stored()
    connection.execute(delete(NCRegisterFigure))
    bulk_insert(NCRegisterFigure.__table__,
                [dict(zip(KEY, key, strict=True), nc_count=n, days_to_close_total=days)
                 for key, (n, days) in fresh.items()], connection=connection)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, N):  # a loaded NC may hold an old next_due_on
            db.session.expire(obj, ["next_due_on"])
    return Rebuilt(next_due_fixed=fixed, figure_rows_fixed=_differing(fresh, old),
                   ncs=sum(n for n, _ in fresh.values()))
