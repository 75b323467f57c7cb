"""Audit-log benchmark: the page, its filters and the chain status at 400,000 events.

    .venv/bin/python bench/bench_audit_log.py [--events 400000]

Builds a SQLite database with ``--events`` correctly chained events (written in bulk with
the real hash function, spread over a year, a few users and record types), then times
in-process with Flask's test client (server time, no network):

- the first full walk (``verify_all``, what the nightly job and ``verify-audit-log`` do);
- the page right after it (the checkpoint is at the head: one anchor check);
- the page after 1,000 new events (incremental verification of those only);
- the page with each filter, and a CSV export of one month.

Target: the page <= 300 ms with the chain verified; never a full walk on a view.

Measured (2 cores shared, load average about 20, SQLite): full walk of 400,005 events
60 s; the page with the checkpoint at the head 63 ms, after 1,000 new events 73 ms; one
user 83 ms, one record type 111 ms, one record 26 ms, one week 281 ms, page 200 60 ms;
a month's CSV export (33,973 events) 10.7 s, streamed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from _common import make_app

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


def _time(client, path: str, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    args = parser.parse_args()
    app, _workdir = make_app()
    from qms.auth.models import Role
    from qms.auth.services import create_user
    from qms.core import audit, chain
    from qms.extensions import db

    with app.app_context():
        with audit.acting_as(audit.SYSTEM):
            for name, role in (("admin", Role.ADMIN), ("calidad", Role.QUALITY_OFFICER),
                               ("duenio", Role.PROCESS_OWNER), ("direccion", Role.MANAGER),
                               ("auditor", Role.AUDITOR)):
                create_user(username=name, full_name=name.capitalize(),
                            email=f"{name}@bench.hn", role=role, password=BENCH_PASSWORD)
            db.session.commit()
        from sqlalchemy import func, select

        from qms.core.audit import AuditEvent

        head = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        first_id = (db.session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        started = time.perf_counter()
        _fill(args.events, first_id, head)
        print(f"{args.events:,} events written in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        count, problem = chain.verify_all(db.session)
        print(f"full walk (nightly job / verify-audit-log): {count:,} events in "
              f"{time.perf_counter() - started:.1f} s, problem: {problem}")
        db.session.remove()

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "auditor", "password": BENCH_PASSWORD,
                                "csrf_token": token})
    print(f"page, checkpoint at the head: {_time(client, '/auditoria'):.0f} ms")
    with app.app_context():
        _fill(1_000, start=START + timedelta(days=366))  # after the login events
    started = time.perf_counter()
    client.get("/auditoria")
    print(f"page after 1,000 new events (verifies them): "
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
            ("page 200 of everything", "/auditoria?page=200")):
        print(f"{label}: {_time(client, path):.0f} ms")
    started = time.perf_counter()
    body = client.get(f"/auditoria/exportar.csv?desde={MONTH}&hasta="
                      f"{MONTH + timedelta(days=30)}").data
    lines = body.count(b"\n") - 1
    print(f"CSV export of one month ({lines:,} events): "
          f"{(time.perf_counter() - started):.1f} s")


if __name__ == "__main__":
    main()
