"""Reminder sweep benchmark: 100,000 open items, 1,000 users, on SQLite.

    .venv/bin/python bench/bench_reminders.py [--items 100000] [--users 1000]

Builds a fresh database through the migrations, inserts ``--users`` users (2 quality
officers), 50 processes and ``--items`` open corrective actions (5 per nonconformity)
with due dates spread over the 30 days before and the 60 days after today, then times:

1. the first sweep (every rule over every record; stores the reminders and their mail);
2. a second sweep the same day (finds nothing new).

and counts the SQL statements each one sends (an executemany is one statement).
Targets (issue 12): first sweep <= 5 s, second <= 1 s, statements not growing with items.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

from _common import make_app, peak_rss_mb


def build(app, items: int, users: int) -> None:
    from sqlalchemy import insert

    from qms.auth.models import User
    from qms.core.time import today_local
    from qms.extensions import db
    from qms.nonconformities.models import CorrectiveAction, Nonconformity
    from qms.processes.models import Process

    rng = random.Random(12)
    now = datetime.now(UTC)
    today = today_local()
    with app.app_context():
        db.session.execute(insert(User), [{
            "username": f"u{i}", "full_name": f"Persona {i}", "email": f"u{i}@example.hn",
            "role": "quality_officer" if i < 2 else "process_owner", "password_hash": "x",
            "active": True, "locale": "en" if i % 10 == 0 else "es", "created_at": now,
            "version": 1} for i in range(users)])
        user_ids = list(db.session.scalars(db.select(User.id)))
        db.session.execute(insert(Process), [{
            "code": f"P{i:02}", "name": f"Proceso {i}", "category": "operational",
            "owner_id": user_ids[2 + i], "description": "", "active": True, "created_at": now,
            "updated_at": now, "version": 1} for i in range(50)])
        process_ids = list(db.session.scalars(db.select(Process.id)))
        ncs = items // 5
        db.session.execute(insert(Nonconformity), [{
            "code": f"NC-2026-{i + 1:05}", "year": 2026, "number": i + 1,
            "title": f"No conformidad {i + 1}", "description": "…", "source": "process_monitoring",
            "process_id": rng.choice(process_ids), "severity": "minor", "status": "implementation",
            "detected_on": today - timedelta(days=60), "detected_by_id": user_ids[0],
            "analysis_round": 1, "created_at": now - timedelta(days=5), "updated_at": now,
            "version": 1} for i in range(ncs)])
        nc_ids = list(db.session.scalars(db.select(Nonconformity.id)))
        db.session.execute(insert(CorrectiveAction), [{
            "nc_id": nc_ids[i // 5], "number": i % 5 + 1, "round": 1, "description": "Acción",
            "owner_id": rng.choice(user_ids[2:]), "status": "planned",
            "due_on": today + timedelta(days=rng.randint(-30, 60)), "created_at": now,
            "version": 1} for i in range(items)])
        db.session.commit()


class Counter:
    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.count += 1


def sweep_once(app, counter) -> tuple[float, int, int]:
    from qms.reminders import jobs

    with app.app_context():
        before = counter.count
        started, cpu = time.perf_counter(), time.process_time()
        result = jobs.sweep(send=False)
        return (time.perf_counter() - started, time.process_time() - cpu,
                counter.count - before, len(result.created))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    args = parser.parse_args()
    app, workdir = make_app()
    started = time.perf_counter()
    build(app, args.items, args.users)
    print(f"built {args.items:,} open corrective actions, {args.users:,} users in "
          f"{time.perf_counter() - started:.1f} s ({workdir})")
    from qms.extensions import db

    with app.app_context():
        counter = Counter(db.engine)
    for label in ("first sweep", "second sweep (nothing new)"):
        seconds, cpu, statements, created = sweep_once(app, counter)
        print(f"{label:28} {seconds:6.2f} s wall, {cpu:5.2f} s CPU  {statements:4} SQL statements"
              f"  {created:,} reminders stored")
    print(f"peak RSS {peak_rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores (a shared machine inflates wall time, not CPU time)")


if __name__ == "__main__":
    main()
