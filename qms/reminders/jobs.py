"""Jobs the scheduler runs (``qms.reminders.jobs:sweep``, ``…:send``), also callable by hand.

Each takes ``now``/``today`` so tests and the CLI can drive them. Outside an application
context (APScheduler's worker threads) they use the app the scheduler process built.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime

from flask import Flask, has_app_context

from qms.core import audit
from qms.core.db import now_utc
from qms.core.time import to_local
from qms.core.uow import job_unit, write_first
from qms.reminders import outbox, services

#: The application of the scheduler process (set by qms.reminders.scheduler.run).
_APP: Flask | None = None


def bind_app(app: Flask | None) -> None:
    global _APP
    _APP = app


@contextlib.contextmanager
def _context() -> Iterator[None]:
    if has_app_context():
        yield
        return
    if _APP is None:
        raise RuntimeError("reminder jobs need an application (run them with `qms scheduler`)")
    with _APP.app_context():
        yield


def sweep(now: datetime | None = None, today: date | None = None, *, send: bool = True,
          dry_run: bool = False) -> services.SweepResult:
    """Store today's reminders and their mail (one transaction), then send what is queued."""
    with _context(), audit.acting_as(audit.SYSTEM):
        now = now or now_utc()
        today = today or to_local(now).date()
        if dry_run:
            result = services.sweep(today, now, dry_run=True)
            from qms.core.uow import rollback

            rollback()
            return result
        result = write_first(lambda: services.sweep(today, now))
        if send:
            outbox.send_pending(now)
        return result


def send(now: datetime | None = None) -> outbox.SendResult:
    """One sender pass over the outbox."""
    with _context():
        return outbox.send_pending(now or now_utc())



def verify_audit_chain() -> int:
    """Nightly: walk the whole audit chain from the genesis (what the audit-log page and the
    minute job cannot see: an event altered behind the checkpoint) and record the result
    for that page; returns the events read."""
    from flask import current_app

    from qms.core import chain
    from qms.extensions import db

    with _context():
        with job_unit():
            count, problem = chain.verify_all(db.session)
        if problem is not None:
            current_app.logger.error("audit trail broken at event #%s: %s",
                                     problem.event_id, problem.reason)
        return count


def verify_new_audit_events() -> int:
    """Every minute: verify the audit events appended since the last verification (at most
    ``chain.JOB_BUDGET``; the next run goes on) so that the audit-log page shows the chain
    verified up to a minute ago without verifying anything itself; returns the events
    verified so far."""
    from flask import current_app

    from qms.core import chain
    from qms.extensions import db

    with _context():
        with job_unit():
            known = chain.status(db.session)
            result = chain.verify_new(db.session)
        if result.problem is not None and known.intact:
            current_app.logger.error("audit trail broken at event #%s: %s",
                                     result.problem.event_id, result.problem.reason)
        return result.events
