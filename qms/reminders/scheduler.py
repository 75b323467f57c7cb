"""The one scheduler process: APScheduler 3 with its job store in the app's database.

``flask --app wsgi qms scheduler`` runs a BlockingScheduler and holds a lock for as long
as it runs — a PostgreSQL session advisory lock (works across hosts) or, on SQLite, an
exclusive ``flock`` on ``INSTANCE_DIR/scheduler.lock`` (one host). A second scheduler is
refused. Web workers never start it (``create_app`` schedules nothing).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import text

from qms.extensions import db

#: Key of the PostgreSQL advisory lock held by the running scheduler.
SCHEDULER_LOCK_KEY = 0x51_4D_53_5C
#: (id, function, trigger, trigger arguments) of the persistent jobs.
JOBS = (
    ("reminders.sweep", "qms.reminders.jobs:sweep", "cron", {"minute": 5}),
    ("reminders.send", "qms.reminders.jobs:send", "interval", {"minutes": 1}),
    ("audit.verify_chain", "qms.reminders.jobs:verify_audit_chain", "cron",
     {"hour": 2, "minute": 30}),
    ("audit.verify_new", "qms.reminders.jobs:verify_new_audit_events", "interval",
     {"minutes": 1}),
)


class AlreadyRunning(RuntimeError):
    pass


@contextlib.contextmanager
def scheduler_lock(app: Flask) -> Iterator[None]:
    """Hold the one-scheduler lock, or raise AlreadyRunning."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = engine.connect()
        try:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                      {"k": SCHEDULER_LOCK_KEY}).scalar()
            connection.commit()
            if not held:
                raise AlreadyRunning("a scheduler already holds the PostgreSQL advisory lock")
            yield
        finally:
            connection.close()  # ends the session, which releases the lock
        return
    path = Path(app.config["INSTANCE_DIR"]) / "scheduler.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"a scheduler already holds {path}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(app: Flask):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Tegucigalpa")))
    for job_id, func, trigger, args in JOBS:
        scheduler.add_job(func, trigger, id=job_id, replace_existing=True, **args)
    return scheduler


def run(app: Flask, echo: Callable[[str], object]) -> None:
    """Hold the lock and run the scheduler until SIGTERM or Ctrl+C (raises AlreadyRunning)."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED

    from qms.reminders import jobs

    with scheduler_lock(app):
        jobs.bind_app(app)
        scheduler = build(app)

        def stop(*_: object) -> None:
            if scheduler.running:
                scheduler.shutdown(wait=False)
            else:  # still starting
                raise SystemExit(0)

        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop)
        scheduler.add_listener(lambda _event: echo(
            "Scheduler running: " + ", ".join(j[0] for j in JOBS) + " (Ctrl+C to stop)."),
            EVENT_SCHEDULER_STARTED)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
        echo("Scheduler stopped.")
