"""Append-only audit trail, chained by SHA-256.

Every flush that inserts, updates or deletes an :class:`Audited` row writes one
:class:`AuditEvent` per row, in the same transaction, through a session event, so a
service cannot forget it. Each event stores the hash of the previous one
(``prev_hash``) and its own hash over its content; :func:`verify_chain` walks the
chain and names the first event that was altered, deleted or moved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from qms.core.db import Model, UTCDateTime, now_utc, to_plain

GENESIS_HASH = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises writers of the chain.
CHAIN_LOCK_KEY = 0x51_4D_53_A0


#: Every kind of record that appears in the trail, by table name (``entity_type``).
RECORD_TYPES: dict[str, type] = {}
#: Audited model classes by table name: their columns are copied into the trail.
AUDITED: dict[str, type] = {}


class Recorded:
    """Names a kind of record and its steps for people reading the trail.

    For models whose events are written explicitly with :func:`record` (an import batch)
    rather than captured at flush; :class:`Audited` models get it too::

        __audit_label__ = _l("Importación de respuestas")     # the kind of record
        __audit_actions__ = {"import": _l("Importación")}     # its named steps
        __audit_note_fields__ = {"rows_read": _l("Filas leídas")}  # keys of a JSON note
    """

    #: How people name this kind of record.
    __audit_label__: Any = None
    #: Named step → its label, keyed per record type: ``transition:closed`` of a survey
    #: wave is not the NC's. ``insert``/``update``/``delete`` may be renamed here.
    __audit_actions__: dict[str, Any] = {}
    #: Key of a JSON object written as the event's note → its label.
    __audit_note_fields__: dict[str, Any] = {}
    #: Column shown when another record points at this one ("code", "full_name").
    __audit_title__: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("__tablename__")
        if table:
            RECORD_TYPES[table] = cls


class Audited(Recorded):
    """Mixin for quality records: every change leaves an :class:`AuditEvent`.

    Each audited model declares, beside its columns, how people read its history::

        __audit_label__ = _l("No conformidad")               # the kind of record
        __audit_fields__ = {"title": _l("Título"), ...}      # every audited column
        __audit_actions__ = {"report": _l("Reporte")}        # its named steps

    ``insert``/``update``/``delete`` and ``transition:<state>`` (named after the state's
    own label) need no entry; ``tests/core/test_audit_labels.py`` checks that every table,
    field and action has a label in both languages. :mod:`qms.core.history` reads them.
    """

    #: Columns never copied into the trail (secrets); their change is noted as "***".
    __audit_redact__: frozenset[str] = frozenset()
    #: Columns left out of the trail altogether (bookkeeping).
    __audit_skip__: frozenset[str] = frozenset({"version"})
    #: Column → its label as the record's form shows it.
    __audit_fields__: dict[str, Any] = {}
    #: Column → function showing a stored (JSON) value as the record's page does.
    __audit_formats__: dict[str, Callable[[Any], str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("__tablename__")
        if table:
            AUDITED[table] = cls


class AuditEvent(Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    #: The user who acted; NULL for the system or an anonymous citizen (see actor_label).
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="RESTRICT"), index=True
    )
    #: Who acted, frozen at the time ("mlopez", "system", "anonymous").
    actor_label: Mapped[str] = mapped_column(String(120), nullable=False)
    #: insert / update / delete, or a named step such as "approve" or "transition".
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(60), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    #: Free text a service attaches (a reason, a signature meaning).
    note: Mapped[str | None] = mapped_column(String(500))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    #: One index to read a record's history in order, one for the trail of one kind of
    #: record newest first (the audit log's filter), one to turn a date into an event id
    #: (the audit log's date range).
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id", "id"),
                      Index("ix_audit_event_type_id", "entity_type", "id"),
                      Index("ix_audit_event_occurred", "occurred_at", "id"))

    def __repr__(self) -> str:
        return f"<AuditEvent #{self.id} {self.action} {self.entity_type}:{self.entity_id}>"

    def content(self) -> dict[str, Any]:
        return {
            "occurred_at": to_plain(self.occurred_at),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }


def compute_hash(prev_hash: str, content: dict[str, Any]) -> str:
    payload = json.dumps(
        [prev_hash, content], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- actors


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str


SYSTEM = Actor(None, "system")
_actor_override: ContextVar[Actor | None] = ContextVar("qms_audit_actor", default=None)


@contextlib.contextmanager
def acting_as(user_or_actor: Any) -> Iterator[None]:
    """Attribute changes made in this block to a user (CLI commands, jobs, tests)."""
    actor = user_or_actor
    if not isinstance(actor, Actor):
        actor = Actor(user_or_actor.id, user_or_actor.username) if user_or_actor else SYSTEM
    token = _actor_override.set(actor)
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor() -> Actor:
    forced = _actor_override.get()
    if forced is not None:
        return forced
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return Actor(current_user.id, current_user.username)
        return Actor(None, "anonymous")
    return SYSTEM


# --------------------------------------------------------------------- annotations


def annotate(session: Session, obj: Any, action: str, note: str | None = None) -> None:
    """Name the next event of ``obj`` (e.g. "approve") and attach a note to it."""
    session.info.setdefault("qms_audit_notes", {})[id(obj)] = (action, note)


def record(session: Session, obj: Any, action: str, note: str | None = None) -> None:
    """Write an event now for a step that changes no column of ``obj`` (e.g. a signature)."""
    session.flush()
    _append(session, [_row(obj, action, None, None, note, current_actor(), now_utc())])


# ------------------------------------------------------------------------ capture


def _columns(obj: Any) -> list[str]:
    skip = type(obj).__audit_skip__
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in skip]


def _value(obj: Any, key: str, value: Any) -> Any:
    return "***" if key in type(obj).__audit_redact__ else to_plain(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    return {k: _value(obj, k, getattr(obj, k)) for k in _columns(obj)}


def _unloaded_changes(obj: Any) -> list[str]:
    """Columns set without their old value ever being loaded (set after a commit expired
    them): SQLAlchemy's history then has no "before" and it would read as None."""
    state = inspect(obj)
    return [key for key in _columns(obj)
            if (hist := state.attrs[key].history).added and not hist.deleted
            and not hist.unchanged]


def _committed_values(session: Session, obj: Any, keys: list[str]) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    columns = [mapper.column_attrs[key].columns[0] for key in keys]
    where = [col == value for col, value in
             zip(mapper.primary_key, inspect(obj).identity or (), strict=True)]
    row = session.connection().execute(select(*columns).where(*where)).first()
    return dict(zip(keys, row, strict=True)) if row is not None else {}


def _changes(obj: Any, committed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else committed.get(key)
        new = hist.added[0] if hist.added else None
        if to_plain(old) == to_plain(new):
            continue
        before[key] = _value(obj, key, old)
        after[key] = _value(obj, key, new)
    return before, after


def _entity_id(obj: Any) -> str:
    # The identity key of a new object is only set after the flush; read the columns.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in key)


@event.listens_for(Session, "before_flush")
def _guard_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError("audit events are append-only")


@event.listens_for(Session, "before_flush")
def _remember_unloaded_values(session: Session, flush_context: Any, instances: Any) -> None:
    """Read, before the UPDATE, the old values the trail would otherwise not know."""
    committed = session.info.setdefault("qms_audit_committed", {})
    for obj in session.dirty:
        if isinstance(obj, Audited) and inspect(obj).persistent and (
                keys := _unloaded_changes(obj)):
            committed[id(obj)] = _committed_values(session, obj, keys)


@event.listens_for(Session, "after_flush")
def _write_events(session: Session, flush_context: Any) -> None:
    notes: dict[int, tuple[str, str | None]] = session.info.pop("qms_audit_notes", {})
    committed: dict[int, dict[str, Any]] = session.info.pop("qms_audit_committed", {})
    actor = current_actor()
    when = now_utc()
    rows = []
    for obj in session.new:
        if isinstance(obj, Audited):
            action, note = notes.get(id(obj), ("insert", None))
            rows.append(_row(obj, action, None, _snapshot(obj), note, actor, when))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj, committed.get(id(obj), {}))
            if after or id(obj) in notes:
                action, note = notes.get(id(obj), ("update", None))
                rows.append(_row(obj, action, before, after, note, actor, when))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            action, note = notes.get(id(obj), ("delete", None))
            rows.append(_row(obj, action, _snapshot(obj), None, note, actor, when))
    if rows:
        _append(session, rows)


def _append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain ``rows`` after the current head and insert them on the flush's connection."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
    prev = connection.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar() or GENESIS_HASH
    for row in rows:
        content = {**row, "occurred_at": to_plain(row["occurred_at"])}
        row["prev_hash"] = prev
        row["hash"] = prev = compute_hash(prev, content)
    connection.execute(AuditEvent.__table__.insert(), rows)


def _row(obj, action, before, after, note, actor: Actor, when) -> dict[str, Any]:
    return {
        "occurred_at": when,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "action": action,
        "entity_type": inspect(obj).mapper.local_table.name,
        "entity_id": _entity_id(obj),
        "before": before,
        "after": after,
        "note": str(note)[:500] if note is not None else None,
    }


# ------------------------------------------------------------------------- verify


@dataclass
class ChainProblem:
    event_id: int
    reason: str


def verify_chain(session: Session) -> tuple[int, ChainProblem | None]:
    """Walk the whole trail in order; return (events checked, first problem or None)."""
    prev = GENESIS_HASH
    count = 0
    result = session.execute(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
    )
    try:  # a server-side cursor on PostgreSQL: close it even when stopping early
        for event_ in result.scalars():
            count += 1
            if event_.prev_hash != prev:
                return count, ChainProblem(
                    event_.id,
                    "the previous event is missing, moved or altered (prev_hash mismatch)",
                )
            if compute_hash(event_.prev_hash, event_.content()) != event_.hash:
                return count, ChainProblem(event_.id, "its content was altered (hash mismatch)")
            prev = event_.hash
    finally:
        result.close()
    return count, None


def history(session: Session, obj: Any) -> list[AuditEvent]:
    """The events of one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == inspect(obj).mapper.local_table.name,
                AuditEvent.entity_id == _entity_id(obj),
            )
            .order_by(AuditEvent.id)
        )
    )


def log_query(entity_type: str | None = None):
    """The trail, newest first, optionally for one kind of record."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    return query


def entity_types(session: Session) -> list[str]:
    """The kinds of record the trail can hold, from the registry of audited models: no
    ``SELECT DISTINCT`` over the whole trail (30 ms at 400,000 events) on every view.
    ``session`` is kept so callers need not change."""
    del session
    return sorted(AUDITED)
