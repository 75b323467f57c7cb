"""Declarative base, column types and helpers shared by every model."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, Table, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

#: Constraint names are stable across SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The moment :func:`frozen_clock` fixed for this thread or task (None: the real clock).
#: A ContextVar, not a module global: a request served by another thread (a live test
#: server, a job worker) keeps the real clock while a test freezes its own.
_frozen_now: ContextVar[datetime | None] = ContextVar("qms_frozen_now", default=None)


def now_utc() -> datetime:
    """The one clock of the application: an aware datetime in UTC."""
    frozen = _frozen_now.get()
    return frozen if frozen is not None else datetime.now(UTC)


@contextlib.contextmanager
def frozen_clock(moment: datetime) -> Iterator[None]:
    """Make :func:`now_utc` answer ``moment`` inside the block (tests, replayed jobs).

    Blocks nest (the innermost wins) and are local to the thread or asyncio task that
    opened them; work started with :func:`contextvars.copy_context` inside the block (a
    thread that must share the test's time) sees the frozen moment too.
    """
    if moment.tzinfo is None:
        raise ValueError("frozen_clock needs an aware datetime")
    token = _frozen_now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.reset(token)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware (UTC).

    SQLite has no time zone support, so values are normalised to UTC on the way in
    and tagged as UTC on the way out; PostgreSQL uses ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use now_utc()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class VersionedMixin:
    """Optimistic locking: every UPDATE checks and bumps ``version``.

    Forms and API clients send back the version they read; services compare it with
    :func:`qms.core.errors.check_version`, so a stale edit is refused, never silently
    applied. SQLAlchemy's version counter also guards the window between load and flush.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


def to_plain(value: Any) -> Any:
    """A JSON-safe, stable representation of a column value (for audit and API)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


#: How long a SQLite writer waits for the write lock before the request answers 503.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _is_sqlite(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL for concurrent readers, foreign keys enforced, a busy timeout for writers.

    The sqlite3 driver's own transaction handling is switched off and SQLAlchemy emits
    BEGIN itself (see ``_sqlite_begin``): otherwise a SAVEPOINT issued before any write
    opens and then commits its own transaction, and a rollback would lose nothing.
    """
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_sqlite_immediate: ContextVar[bool] = ContextVar("qms_sqlite_begin_immediate", default=False)


@contextlib.contextmanager
def sqlite_write_first() -> Iterator[None]:
    """On SQLite, begin the transactions opened in this block with ``BEGIN IMMEDIATE``.

    A deferred SQLite transaction that has read and then writes fails at once with
    "database is locked" if another writer committed in between (WAL snapshot); taking
    the write lock up front makes concurrent writers wait their turn instead (busy
    timeout). Used where many writers contend for one row (yearly NC counter).
    No effect on PostgreSQL.
    """
    token = _sqlite_immediate.set(True)
    try:
        yield
    finally:
        _sqlite_immediate.reset(token)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _sqlite_immediate.get() else "BEGIN")


# ------------------------------------------------------------------ bulk writes
#: Rows per executemany: large enough to amortise the round trip, small enough to keep
#: PostgreSQL's parameter list and the driver's buffers bounded.
BULK_CHUNK = 5000


def _connection(connection: Connection | None) -> Connection:
    if connection is not None:
        return connection
    from qms.extensions import db

    return db.session.connection()


def bulk_insert(table: Table, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
                *, connection: Connection | None = None) -> int:
    """Insert many rows as one executemany straight to the driver; return how many.

    For rows that are not ORM objects (survey responses, counters, aggregates): no
    audit events, no identity map. ``columns`` defaults to the keys of the first row; every
    row must have them. The statement is compiled once for the dialect and each value is
    converted by the column type's own bind processor, so SQLite and PostgreSQL store
    exactly what ``connection.execute(insert(table), rows)`` would, at a fraction of
    SQLAlchemy's per-row cost. Runs on the session's connection (the current transaction)
    unless ``connection`` is given.
    """
    if not rows:
        return 0
    connection = _connection(connection)
    dialect = connection.dialect
    names = list(columns or rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    processors = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                  for c in names}
    order = list(compiled.positiontup) if compiled.positional else names
    converters = [(name, processors[name]) for name in order]
    sql = str(compiled)
    for start in range(0, len(rows), BULK_CHUNK):
        values = [[(p(row[name]) if p else row[name]) for name, p in converters]
                  for row in rows[start:start + BULK_CHUNK]]
        if compiled.positional:
            params: list = [tuple(v) for v in values]
        else:
            params = [dict(zip(order, v, strict=True)) for v in values]
        connection.exec_driver_sql(sql, params)
    return len(rows)


def upsert_statement(table: Table, keys: Iterable[str], *, add: Iterable[str] = (),
                     replace: Iterable[str] = (), dialect_name: str | None = None):
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` for SQLite and PostgreSQL alike.

    On a conflict with an existing row (same ``keys``, which must be a unique index),
    each column in ``add`` becomes ``stored + new`` (counters, running sums) and each in
    ``replace`` takes the new value; with neither, the new row is dropped (``DO
    NOTHING``). Chain ``.values(...)`` and ``.returning(...)`` as with any insert.
    """
    if dialect_name is None:
        dialect_name = _connection(None).dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect_name)
    if module is None:
        raise NotImplementedError(f"no portable upsert for {dialect_name}")
    statement = module.insert(table)
    set_ = {c: table.c[c] + statement.excluded[c] for c in add}
    set_.update({c: statement.excluded[c] for c in replace})
    if not set_:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    return statement.on_conflict_do_update(index_elements=list(keys), set_=set_)


def upsert(table: Table, rows: Sequence[dict[str, Any]], keys: Iterable[str], *,
           add: Iterable[str] = (), replace: Iterable[str] = (),
           connection: Connection | None = None) -> int:
    """Insert ``rows``, merging each into the row with the same ``keys`` when it exists
    (see :func:`upsert_statement` for ``add`` and ``replace``); one executemany per
    :data:`BULK_CHUNK` rows. Return how many rows were given."""
    if not rows:
        return 0
    connection = _connection(connection)
    statement = upsert_statement(table, keys, add=add, replace=replace,
                                 dialect_name=connection.dialect.name)
    for start in range(0, len(rows), BULK_CHUNK):
        connection.execute(statement, list(rows[start:start + BULK_CHUNK]))
    return len(rows)
