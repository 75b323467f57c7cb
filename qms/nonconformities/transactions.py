"""Boundary helper: run a creation that takes the yearly NC counter and commit it."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from qms.core.db import sqlite_write_first
from qms.core.errors import ServiceError
from qms.extensions import db

T = TypeVar("T")
ATTEMPTS = 8


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
    with sqlite_write_first():
        for attempt in range(ATTEMPTS):
            try:
                result = work()
                db.session.commit()
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
