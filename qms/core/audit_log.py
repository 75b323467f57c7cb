"""The audit-log page's filters and export: what a certifier asks of the trail.

Filters: a local date range, who acted (a user, the system or an anonymous citizen), the
kind of record and one record (its id, or its code such as ``NC-2026-014``). Each reads
an index or the primary key: the date range is turned into a range of event ids by one
probe of the time index per bound (ids grow with time: the chain is appended under a
lock), so no filter scans the trail. Pages are read by id (keyset: ``?antes=<id>``,
``?despues=<id>``), so the oldest page costs what the newest does, and the count stops
at :data:`COUNT_CAP`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from qms.core import export_jobs, formats, history
from qms.core.audit import AUDITED, RECORD_TYPES, AuditEvent
from qms.core.db import now_utc
from qms.core.errors import ValidationError
from qms.core.links import record_urls
from qms.core.spreadsheets import Column, write_csv, write_xlsx
from qms.core.time import local_zone
from qms.extensions import db

#: Special values of the "who" filter besides a user's id.
SYSTEM_ACTOR = "sistema"
ANONYMOUS_ACTOR = "anonimo"
#: Events read per query when exporting (the whole trail can be exported, streamed).
EXPORT_CHUNK = 1_000
#: Events per page of the audit log.
PAGE_SIZE = 50
#: The page counts the events a filter selects up to this many ("más de …" beyond).
COUNT_CAP = 10_000


@dataclass(frozen=True)
class LogFilters:
    date_from: date | None = None
    date_to: date | None = None
    actor: str | None = None
    entity_type: str | None = None
    record: str | None = None

    @property
    def active(self) -> bool:
        return any((self.date_from, self.date_to, self.actor, self.entity_type, self.record))

    def as_args(self) -> dict[str, str]:
        """The filters as the page's query string (for export links and pagination)."""
        args = {"desde": self.date_from.isoformat() if self.date_from else None,
                "hasta": self.date_to.isoformat() if self.date_to else None,
                "usuario": self.actor, "tipo": self.entity_type, "registro": self.record}
        return {k: v for k, v in args.items() if v}


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_l("Escriba la fecha como AAAA-MM-DD."), field=field) from None


def parse_filters(args: Any) -> LogFilters:
    """The filters from a query string, or a ValidationError naming the bad one."""
    date_from = _day(args.get("desde"), "desde")
    date_to = _day(args.get("hasta"), "hasta")
    if date_from and date_to and date_to < date_from:
        raise ValidationError(_l("La fecha «hasta» es anterior a la fecha «desde»."),
                              field="hasta")
    actor = (args.get("usuario") or "").strip() or None
    if actor and actor not in (SYSTEM_ACTOR, ANONYMOUS_ACTOR) and not actor.isdigit():
        raise ValidationError(_l("Elija un usuario de la lista."), field="usuario")
    entity_type = args.get("tipo") or None
    if entity_type and entity_type not in RECORD_TYPES:
        raise ValidationError(_l("Elija un tipo de registro de la lista."), field="tipo")
    record = (args.get("registro") or "").strip()[:60] or None
    if record and not entity_type:
        raise ValidationError(_l("Elija el tipo de registro para buscar un registro."),
                              field="registro")
    return LogFilters(date_from, date_to, actor, entity_type, record)


def _utc_bound(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def _first_id_at_or_after(moment: datetime) -> int | None:
    """The first event at or after ``moment``: one probe of the time index. Ids grow with
    time (the chain is appended under a lock), so the ids from this one on are the events
    from ``moment`` on, give or take two events whose writers waited milliseconds for the
    lock at that very instant."""
    return db.session.scalar(select(AuditEvent.id).where(AuditEvent.occurred_at >= moment)
                             .order_by(AuditEvent.occurred_at, AuditEvent.id).limit(1))


def record_ids(entity_type: str, record: str) -> list[str]:
    """The entity ids a "record" filter names: the id itself, or the records whose code
    (their ``__audit_title__`` column, else ``code``) is that text."""
    if record.isdigit():
        return [record]
    model = RECORD_TYPES.get(entity_type)
    column_name = getattr(model, "__audit_title__", None) or "code"
    table = getattr(model, "__table__", None)
    if table is None or column_name not in table.c:
        return []
    column = table.c[column_name]
    key = list(table.primary_key.columns)[0]
    rows = db.session.scalars(select(key).where(func.lower(column) == record.lower())).all()
    return [str(r) for r in rows]


def query(filters: LogFilters) -> Select:
    """The trail, newest first, narrowed by ``filters``."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters.date_from:
        # Ids grow with time: the first event of the day bounds the ids, one index probe.
        first = _first_id_at_or_after(_utc_bound(filters.date_from))
        stmt = stmt.where(AuditEvent.id >= first) if first is not None else \
            stmt.where(AuditEvent.id.is_(None))  # nothing that late
    if filters.date_to:
        after = _first_id_at_or_after(_utc_bound(filters.date_to + timedelta(days=1)))
        if after is not None:
            stmt = stmt.where(AuditEvent.id < after)
    if filters.actor == SYSTEM_ACTOR:
        stmt = stmt.where(AuditEvent.actor_id.is_(None), AuditEvent.actor_label == "system")
    elif filters.actor == ANONYMOUS_ACTOR:
        stmt = stmt.where(AuditEvent.actor_id.is_(None), AuditEvent.actor_label != "system")
    elif filters.actor:
        stmt = stmt.where(AuditEvent.actor_id == int(filters.actor))
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
        if filters.record:
            stmt = stmt.where(AuditEvent.entity_id.in_(
                record_ids(filters.entity_type, filters.record) or ["-"]))
    return stmt


# ------------------------------------------------------------------------ paging


@dataclass(frozen=True)
class Position:
    """Where the page starts in the trail (newest first), by event id (keyset): events
    older than ``before``, or the page just newer than ``after`` (``after=0``: the oldest
    page). Neither: the newest page."""

    before: int | None = None
    after: int | None = None

    def as_args(self) -> dict[str, int]:
        if self.before is not None:
            return {"antes": self.before}
        return {"despues": self.after} if self.after is not None else {}


def _event_id(value: str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise ValidationError(_l("El número de evento debe ser un entero positivo."),
                              field=field)
    return int(value)


def parse_position(args: Any) -> Position:
    """``?antes=<id>`` or ``?despues=<id>`` from a query string, or a ValidationError."""
    before = _event_id(args.get("antes"), "antes")
    after = _event_id(args.get("despues"), "despues")
    if before is not None and after is not None:
        raise ValidationError(_l("Indique «antes» o «después», no los dos."), field="antes")
    return Position(before, after)


@dataclass(frozen=True)
class Window:
    """One page of the trail and the links around it."""

    events: list[AuditEvent]
    #: ``antes=`` of the next older page (None: these are the oldest events).
    older: int | None
    #: ``despues=`` of the next newer page (None: these are the newest events).
    newer: int | None
    #: Events the filters select, counted up to COUNT_CAP.
    total: int
    #: There are more than COUNT_CAP (``total`` stopped counting).
    total_capped: bool

    @property
    def at_newest(self) -> bool:
        return self.newer is None

    @property
    def at_oldest(self) -> bool:
        return self.older is None


def _ids(stmt: Select) -> Select:
    return stmt.with_only_columns(AuditEvent.id).order_by(None)


def _any(stmt: Select) -> bool:
    return db.session.scalar(_ids(stmt).limit(1)) is not None


def count(stmt: Select, cap: int | None = None) -> tuple[int, bool]:
    """How many events ``stmt`` (:func:`query`) selects, counted up to ``cap`` (an index
    range read of at most ``cap`` entries, never the whole trail); and whether there are
    more."""
    cap = cap or COUNT_CAP
    window = _ids(stmt).limit(cap + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(window)) or 0
    return min(total, cap), total > cap


def window(filters: LogFilters, position: Position, size: int | None = None, *,
           total: int | None = None) -> Window:
    """The page of the trail at ``position``: at most ``size`` events, newest first, read by
    id from an index whatever the depth (no OFFSET), plus one probe for the link on the
    other side. A fixed number of queries however long the trail. ``total``: the number
    of events the filters select when the caller knows it (the whole trail's, from the
    chain's verification), instead of counting."""
    size = size or PAGE_SIZE
    stmt = query(filters)
    newer: int | None
    older: int | None
    if position.after is not None:
        rows = list(db.session.scalars(
            stmt.where(AuditEvent.id > position.after).order_by(None)
            .order_by(AuditEvent.id).limit(size + 1)))
        more_newer = len(rows) > size
        events = rows[:size][::-1]
        newer = events[0].id if more_newer else None
        edge = events[-1].id if events else position.after + 1
        older = edge if _any(stmt.where(AuditEvent.id < edge)) else None
    else:
        stmt_page = stmt if position.before is None else \
            stmt.where(AuditEvent.id < position.before)
        rows = list(db.session.scalars(stmt_page.limit(size + 1)))
        events = rows[:size]
        older = events[-1].id if len(rows) > size else None
        newer = None
        if position.before is not None:
            edge = events[0].id if events else position.before - 1
            newer = edge if _any(stmt.where(AuditEvent.id > edge)) else None
    capped = False
    if total is None:
        total, capped = count(stmt)
    return Window(events, older, newer, total, capped)


def legacy_page_position(filters: LogFilters, page: int, size: int | None = None) -> Position:
    """The keyset position of an old ``?page=N`` link (N ≥ 2): the events after the last
    one of page N - 1. One OFFSET read of ids, for old bookmarks only (the page's own links
    are keyset); past the end, the oldest page."""
    size = size or PAGE_SIZE
    last_of_previous = db.session.scalar(
        _ids(query(filters)).order_by(AuditEvent.id.desc())
        .offset((page - 1) * size - 1).limit(1))
    return Position(before=last_of_previous) if last_of_previous is not None else \
        Position(after=0)


def actor_choices() -> list[tuple[str, str]]:
    """Everyone who can appear as "who": every account (read through the record-type
    registry, core knows no domain), then the system and anonymous citizens."""
    choices: list[tuple[str, str]] = []
    user_model = RECORD_TYPES.get("user")
    if user_model is not None:
        rows = db.session.execute(select(user_model.id, user_model.full_name,
                                         user_model.username)
                                  .order_by(user_model.full_name)).all()
        choices = [(str(r.id), f"{r.full_name} ({r.username})") for r in rows]
    return [*choices, (SYSTEM_ACTOR, _("Sistema (tareas programadas, importaciones)")),
            (ANONYMOUS_ACTOR, _("Ciudadanía (portal público)"))]


def type_choices() -> list[tuple[str, str]]:
    """Kinds of record, by their label, alphabetically in the reader's language."""
    kinds = set(AUDITED) | set(RECORD_TYPES)
    return sorted(((k, history.record_type_label(k)) for k in kinds), key=lambda c: c[1])


def with_links(entries: list[history.Entry]) -> list[tuple[history.Entry, str | None]]:
    """Each entry with the URL of its record's page (None: no page, or record gone)."""
    urls = record_urls((e.entity_type, e.event.entity_id) for e in entries)
    return [(e, urls.get((e.entity_type, e.event.entity_id))) for e in entries]


# ------------------------------------------------------------------------- export


def export_columns() -> list[Column]:
    return [Column("#", 9), Column(_("Fecha y hora"), 18), Column(_("Quién"), 24),
            Column(_("Acción"), 24), Column(_("Tipo de registro"), 24),
            Column(_("Registro"), 22), Column(_("Cambios"), 70), Column(_("Nota"), 40),
            Column(_("Huella SHA-256"), 66), Column(_("Huella anterior"), 66)]


def _change_text(change: history.Change) -> str:
    if change.long:
        return f"{change.label}: " + _("texto de %(n)s caracteres", n=change.size_after
                                        if change.has_after else change.size_before)
    if change.has_before and change.has_after:
        return f"{change.label}: {change.before} → {change.after}"
    return f"{change.label}: {change.after if change.has_after else change.before}"


def _changes_text(entry: history.Entry) -> str:
    parts = [_change_text(c) for c in entry.changes]
    parts.extend(f"{label}: {value}" for label, value in entry.note_fields)
    return "; ".join(parts)


def export_rows(filters: LogFilters) -> Iterator[list[Any]]:
    """Every event the filters select, newest first, read in chunks by id (keyset), never
    the whole trail in memory."""
    stmt = query(filters)
    last_id: int | None = None
    while True:
        page_stmt = stmt if last_id is None else stmt.where(AuditEvent.id < last_id)
        events = db.session.scalars(page_stmt.limit(EXPORT_CHUNK)).all()
        if not events:
            return
        for entry in history.describe(events):
            e = entry.event
            yield [e.id, e.occurred_at, entry.actor, entry.action_label, entry.record_label,
                   entry.record_title, _changes_text(entry), entry.note or "", e.hash,
                   e.prev_hash]
        last_id = events[-1].id
        db.session.expunge_all()


def export_title() -> str:
    return _("Pista de auditoría · exportada el %(d)s", d=formats.local_datetime(now_utc()))


def export_count(filters: LogFilters) -> int:
    """How many events an export of ``filters`` holds (one count over the indexes)."""
    return db.session.scalar(select(func.count()).select_from(
        query(filters).order_by(None).with_only_columns(AuditEvent.id).subquery()))


@export_jobs.exporter("audit_log")
def build_export(params: dict, out: BinaryIO, progress) -> None:
    """The trail's export as a background job (see :mod:`qms.core.export_jobs`): the
    whole trail of a national programme is far more than a request can write."""
    filters = parse_filters(params["args"])
    rows = export_jobs.counted(export_rows(filters), progress)
    if params["format"] == "xlsx":
        write_xlsx(out, export_title(), _("Pista de auditoría"),
                   export_columns(), rows)
    else:
        write_csv(out, export_columns(), rows)

