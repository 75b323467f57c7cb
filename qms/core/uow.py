"""The unit of work: one transaction per request, command or job, in one place.

Services only flush. The boundary around them commits once, after success, or rolls
back on any exception — in the style of Indico's ``RH.process()``:

- **Web and API requests** (:class:`QMSFlask`): the view runs; a response below 400 is
  committed, anything else (an error page, an exception) is rolled back. A
  :class:`~qms.core.errors.ServiceError` that escapes a view becomes a flash message and
  a redirect back (web) or a JSON error with the error's status (API), see
  :func:`qms.core.web.init_app`. Views that show a refusal on their form use
  :func:`attempt`. Read-only requests commit too, so bookkeeping such as an API token's
  ``last_used_at`` is saved.
- **CLI commands**: ``with cli_unit():`` commits at the end; a ServiceError prints
  ``Error: field: message`` and exits with status 1, leaving nothing half-written.
- **Jobs**: :func:`job_unit` commits or rolls back and re-raises, so the caller can record
  the job's status; after-commit hooks run only after the commit succeeded.
- **Write-first transactions**: :func:`write_first` runs a piece of work in a transaction
  that takes the write lock before its first read (``BEGIN IMMEDIATE`` with retries on
  SQLite; on PostgreSQL the row locks the work takes do the queuing) and commits it.

:func:`after_commit` queues a callable (send a mail, delete a temporary file, mark a job
done) that runs only once the data it depends on is committed; a rollback discards it.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import click
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qms.core.db import sqlite_write_first
from qms.core.errors import ConflictError, ServiceError, stale_message
from qms.extensions import db

T = TypeVar("T")
_HOOKS_KEY = "qms_after_commit"
#: Tries of a write-first transaction that SQLite reports as locked or busy.
WRITE_ATTEMPTS = 8
#: SQLite has one writer at a time: writers of this process queue here, woken at once,
#: instead of polling in SQLite's busy handler. Other processes queue on BEGIN IMMEDIATE.
_SQLITE_WRITERS = threading.RLock()


# ------------------------------------------------------------------ commit and hooks


def after_commit(func: Callable[[], Any]) -> None:
    """Run ``func`` once the current transaction is committed; never if it is rolled back."""
    db.session.info.setdefault(_HOOKS_KEY, []).append(func)


def commit(*, expire: bool = True) -> None:
    """Commit the session, then run the after-commit hooks queued in this transaction.

    ``expire=False`` keeps the loaded objects as they are (the response is already built,
    or is streamed from them), saving a reload query per object.
    A stale optimistic-lock version detected at flush time becomes a ConflictError.
    A hook that fails is logged; it cannot undo the committed data.
    """
    session = db.session()
    session.expire_on_commit = expire
    try:
        session.commit()
    except StaleDataError as exc:
        rollback()
        raise ConflictError(stale_message()) from exc
    except BaseException:
        rollback()
        raise
    finally:
        session.expire_on_commit = True
    _run_hooks(session)


def checkpoint() -> None:
    """Commit what the request did so far, keeping the loaded objects: for a "save and go
    on" button whose save must stand even when the step after it is refused (and the
    request then ends in an error status that rolls back only that step)."""
    commit(expire=False)


def rollback() -> None:
    """Discard the transaction and the after-commit hooks it queued."""
    session = db.session()
    session.info.pop(_HOOKS_KEY, None)
    session.rollback()


def _run_hooks(session: Session) -> None:
    while hooks := session.info.pop(_HOOKS_KEY, None):
        for hook in hooks:
            try:
                hook()
            except Exception:  # the data is committed; a failed hook is reported, not undone
                current_app.logger.exception("after-commit hook %r failed", hook)


@event.listens_for(Session, "after_soft_rollback")
def _drop_hooks(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction ended
        session.info.pop(_HOOKS_KEY, None)


# ------------------------------------------------------------------------ requests


#: Methods that never write: their transaction stays a plain (deferred) read.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class QMSFlask(Flask):
    """Flask with the request boundary: commit after a successful view, else roll back.

    A request that may write (POST, PUT, PATCH, DELETE) begins its SQLite transaction
    with ``BEGIN IMMEDIATE``: it waits its turn for the write lock (busy timeout) before
    its first read, instead of failing with "database is locked" when it upgrades a read
    snapshot another writer has moved past. A lock that outlasts the busy timeout
    answers 503 with ``Retry-After`` (:mod:`qms.core.web`).
    """

    #: Largest number of callables :meth:`ensure_sync` remembers (hooks, views, error
    #: handlers: a few hundred at most).
    _SYNC_CACHE_SIZE = 4096

    def ensure_sync(self, func):  # type: ignore[override]
        """Flask asks whether every hook, view and handler is a coroutine function each
        time it calls one (a dozen times a request, 2–3 µs each); the answer for a given
        callable does not change, so it is remembered."""
        cache = self.__dict__.setdefault("_sync_callables", {})
        try:
            return cache[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        sync = super().ensure_sync(func)
        if len(cache) >= self._SYNC_CACHE_SIZE:  # callables made per request: don't grow
            cache.clear()
        cache[func] = sync
        return sync

    def full_dispatch_request(self):  # type: ignore[override]
        from flask import request

        if request.method in SAFE_METHODS:
            return super().full_dispatch_request()
        with sqlite_write_first():
            return super().full_dispatch_request()

    def dispatch_request(self):  # type: ignore[override]
        from flask import request

        from qms.core import submissions

        try:
            if request.method not in SAFE_METHODS:
                submissions.start()
            response = self.make_response(super().dispatch_request())
        except BaseException:
            rollback()
            raise
        if not db.session.registry.has():  # the view never touched the database
            return response
        if response.status_code < 400:
            commit(expire=False)
        else:
            rollback()
        return response


@dataclass
class Outcome(Generic[T]):
    """What :func:`attempt` returns: the work's value, or the refusal. True on success."""

    value: T | None = None
    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def attempt(work: Callable[[], T], form: Any = None) -> Outcome[T]:
    """Run a service call for a web form; on a refusal roll back and show it.

    The message goes onto the form field the error names, or is flashed. The request's
    boundary still commits the successful case.
    """
    from qms.core.forms import apply_service_error

    try:
        value = work()
        db.session.flush()
    except StaleDataError:
        error: ServiceError = ConflictError(stale_message())
    except ServiceError as exc:
        error = exc
    else:
        return Outcome(value=value)
    rollback()
    if form is not None:
        apply_service_error(form, error)
    else:
        from flask import flash

        flash(str(error.message), "danger")
    return Outcome(error=error)


# ----------------------------------------------------------------- write-first work


#: PostgreSQL SQLSTATEs of a transaction that lost a race and may simply be retried:
#: serialization failure, deadlock, lock not available (lock_timeout).
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})


def _busy(exc: BaseException) -> bool:
    """Whether ``exc`` is the database saying "busy, try again" (never a bug)."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in _PG_RETRYABLE


def database_busy(exc: BaseException) -> bool:
    """Public form of :func:`_busy` for the error handlers."""
    return _busy(exc)


def write_first(work: Callable[[], T]) -> T:
    """Run ``work`` in a fresh transaction that holds the write lock from its first read,
    and commit it; roll back on any error (a ServiceError is re-raised).

    For work that reads and then writes a contended row (the yearly NC counter): on
    SQLite the transaction starts with BEGIN IMMEDIATE, so writers queue instead of
    failing on a stale snapshot, and a "database is locked" after the busy timeout is
    retried; on PostgreSQL the row lock the work takes does the queuing. What the request
    read before is discarded first. The committed objects stay loaded (no reload queries).
    """
    rollback()
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    with sqlite_write_first(), (_SQLITE_WRITERS if sqlite else contextlib.nullcontext()):
        for attempt_no in range(WRITE_ATTEMPTS):
            try:
                result = work()
                commit(expire=False)
                return result
            except OperationalError as exc:
                rollback()
                if attempt_no == WRITE_ATTEMPTS - 1 or not _busy(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt_no + 1))  # noqa: S311
            except BaseException:
                rollback()
                raise
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ commands, jobs


def fail(message: str, code: int = 1) -> None:
    """End a CLI command with ``Error: message`` on stderr and a non-zero exit status."""
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


def error_text(exc: ServiceError, default_field: str | None = None) -> str:
    """``field: message`` for a CLI user (the field tells them which option to fix)."""
    field = exc.field or default_field
    return f"{field}: {exc.message}" if field else str(exc.message)


@contextlib.contextmanager
def cli_unit(label: str | None = None, *, field: str | None = None) -> Iterator[None]:
    """One transaction for a CLI command or one of its steps: commit at the end; on a
    ServiceError roll back, print it (prefixed with ``label``; ``field`` names what the
    error is about when the service did not) and exit with status 1."""
    try:
        yield
        commit()
    except ServiceError as exc:
        rollback()
        text = error_text(exc, field)
        fail(f"{label}: {text}" if label else text)
    except BaseException:
        rollback()
        raise


@contextlib.contextmanager
def job_unit() -> Iterator[None]:
    """One transaction for a job run: commit at the end, roll back and re-raise on error,
    so the caller records the job's outcome (failed, rejected) in a transaction of its own."""
    try:
        yield
        commit()
    except BaseException:
        rollback()
        raise


def init_app(app: Flask) -> None:
    if not isinstance(app, QMSFlask):  # pragma: no cover - create_app builds a QMSFlask
        raise RuntimeError("the request boundary needs qms.core.uow.QMSFlask")
