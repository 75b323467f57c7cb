"""Boundary helper: run a creation that takes the yearly NC counter and commit it."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from qms.core.db import sqlite_write_first
from qms.core.errors import ServiceError
from qms.extensions import db

T = TypeVar("T")
ATTEMPTS = 8
#: SQLite has one writer at a time anyway: creators of this process queue here, woken at
#: once, instead of polling in SQLite's busy handler (which sleeps 1, 2, 5… ms per try).
#: Other processes still queue on BEGIN IMMEDIATE and the busy timeout.
_SQLITE_CREATORS = threading.RLock()


def _busy(exc: OperationalError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and (
        "locked" in str(exc.orig) or "busy" in str(exc.orig))


def commit_creation(work: Callable[[], T]) -> T:
    """Run ``work`` in a fresh write transaction and commit; roll back on any error.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so concurrent creators queue
    for the write lock instead of failing on a stale snapshot; a "database is locked"
    after the busy timeout is retried a few times. On PostgreSQL the counter's row lock
    does the queuing. The read-only work the request did before is discarded first.
    """
    db.session.rollback()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    with sqlite_write_first(), (_SQLITE_CREATORS if sqlite else contextlib.nullcontext()):
        for attempt in range(ATTEMPTS):
            try:
                result = work()
                _commit_keeping_state()
                return result
            except OperationalError as exc:
                db.session.rollback()
                if attempt == ATTEMPTS - 1 or not _busy(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
            except ServiceError:
                db.session.rollback()
                raise
    raise AssertionError("unreachable")


def _commit_keeping_state() -> None:
    """Commit without expiring what this transaction just wrote: the response is built
    from the same objects, so reloading each of them would only cost queries."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
