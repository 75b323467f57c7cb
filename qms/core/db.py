"""Declarative base, column types and helpers shared by every model."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, event
from sqlalchemy.engine import Engine
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


_frozen_now: list[datetime] = []


def now_utc() -> datetime:
    """The one clock of the application: an aware datetime in UTC."""
    return _frozen_now[-1] if _frozen_now else datetime.now(UTC)


@contextlib.contextmanager
def frozen_clock(moment: datetime) -> Iterator[None]:
    """Make :func:`now_utc` answer ``moment`` inside the block (tests, replayed jobs)."""
    if moment.tzinfo is None:
        raise ValueError("frozen_clock needs an aware datetime")
    _frozen_now.append(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.pop()


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
