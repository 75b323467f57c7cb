"""Dashboard benchmark: the managers' home page on a year of data at the issue's scale,
and every role's home page and "Mis pendientes" on the registers' benchmark data.

    .venv/bin/python bench/bench_dashboard.py [--workdir DIR] [--repeat 30]
    .venv/bin/python bench/bench_dashboard.py --roles --workdir DIR [--repeat 30]

``--roles`` reuses the database ``bench.bench_registers`` builds (20,000 NCs with their
actions and verifications, 300 documents, 400,000 audit events; copy it and upgrade the
copy) and times ``/inicio`` and ``/pendientes`` for each demo account (calidad, duenio,
direccion, auditor, admin, certificador), each twice: with the register-wide figures
kept (nothing changed since the last request) and recomputed (as after any change),
with the wall and CPU time, the SQL statements, and the floor (p95 <= 50 ms).

Builds (once; ``--workdir`` reuses it) a SQLite database with 20,000 NCs (about 12 %
open) and 40,000 corrective actions, 300 documents in force, 12 audits, 4 survey waves
of 250,000 responses each (their maintained aggregates, per municipality, written
directly: the dashboard never reads answers) and 20 objectives with a year of monthly
values. Rows go in with ``bulk_insert``. Then it times ``GET /inicio`` as a manager
in-process with Flask's test client (server time: routing, queries, templates; no
network) and counts the SQL statements per request. Target: p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from _common import make_app

BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
NCS, ACTIONS_PER_NC, DOCUMENTS, AUDITS, WAVES, RESPONSES = 20_000, 2, 300, 12, 4, 250_000
OPEN_STATUSES = ("reported", "analysis", "action_plan", "implementation", "verification")


def _users_and_processes(now):
    from qms.auth.models import Role
    from qms.auth.services import create_user
    from qms.core.db import bulk_insert
    from qms.extensions import db
    from qms.processes.models import Process

    manager = create_user(username="bench", full_name="Bench", email="bench@example.hn",
                          role=Role.MANAGER, password=BENCH_PASSWORD)
    for i in range(60):  # the people who own the actions
        create_user(username=f"persona{i}", full_name=f"Persona {i}",
                    email=f"persona{i}@example.hn", role=Role.PROCESS_OWNER,
                    password=BENCH_PASSWORD)
    db.session.flush()
    bulk_insert(Process.__table__, [{
        "code": f"P{i:02}", "name": f"Proceso {i}", "category": "operational",
        "owner_id": manager.id, "description": "", "active": True, "created_at": now,
        "updated_at": now, "version": 1} for i in range(12)])
    return manager.id, list(db.session.scalars(db.select(Process.id)))


def _nonconformities(rng, now, today, user_id, process_ids):
    from qms.core.db import bulk_insert
    from qms.extensions import db
    from qms.nonconformities.models import CorrectiveAction, Nonconformity

    rows = []
    for i in range(NCS):
        detected = today - timedelta(days=rng.randint(0, 365))
        is_open = rng.random() < 0.12
        closed = None if is_open else datetime.combine(
            min(today, detected + timedelta(days=rng.randint(5, 120))),
            datetime.min.time(), tzinfo=UTC) + timedelta(hours=17)
        rows.append({
            "code": f"NC-B-{i + 1:05}", "year": detected.year, "number": i + 1,
            "title": f"No conformidad {i + 1}", "description": "…",
            "source": "process_monitoring", "process_id": rng.choice(process_ids),
            "severity": rng.choice(("minor", "major")),
            "status": rng.choice(OPEN_STATUSES) if is_open else "closed",
            "detected_on": detected, "detected_by_id": user_id, "analysis_round": 1,
            "closed_at": closed, "closed_by_id": None if is_open else user_id,
            "close_meaning": None if is_open else "Cierre",
            "created_at": now - timedelta(days=(today - detected).days),
            "updated_at": now, "version": 1})
    bulk_insert(Nonconformity.__table__, rows)
    ids = list(db.session.scalars(db.select(Nonconformity.id)))
    from qms.auth.models import User

    owners = list(db.session.scalars(db.select(User.id).where(User.username.like("persona%"))))
    actions = []
    for nc_id in ids:
        for n in range(ACTIONS_PER_NC):
            status = rng.choice(("planned", "in_progress", "done"))
            actions.append({
                "nc_id": nc_id, "number": n + 1, "round": 1, "description": "Acción",
                "owner_id": rng.choice(owners), "status": status,
                "due_on": today + timedelta(days=rng.randint(-90, 60)), "created_at": now,
                "started_on": today if status != "planned" else None,
                "completed_at": now if status == "done" else None, "version": 1})
    bulk_insert(CorrectiveAction.__table__, actions)
    from qms.nonconformities import figures

    figures.rebuild()  # rows written around the ORM: the NCs' next due dates and counts


def _documents(rng, now, today, user_id, process_ids):
    from qms.core.db import bulk_insert
    from qms.documents.models import Document, Revision
    from qms.extensions import db

    bulk_insert(Document.__table__, [{
        "code": f"PR-B-{i:03}", "title": f"Procedimiento {i}", "doc_type": "procedure",
        "process_id": rng.choice(process_ids), "owner_id": user_id, "owner_role": None,
        "confidentiality": "internal", "review_interval_months": 12, "source_path": None,
        "source_hash": None, "created_at": now, "updated_at": now, "version": 1}
        for i in range(DOCUMENTS)])
    bulk_insert(Revision.__table__, [{
        "document_id": doc_id, "number": 1, "status": "effective", "change_summary": "",
        "content_md": "…", "author_id": user_id, "approved_by_id": user_id,
        "approved_at": now, "effective_from": today - timedelta(days=rng.randint(0, 420)),
        "created_at": now, "updated_at": now, "version": 1}
        for doc_id in db.session.scalars(db.select(Document.id))])


def _audits(now, today, user_id):
    from qms.audits.models import Audit, AuditProgramme
    from qms.core.db import bulk_insert
    from qms.extensions import db

    bulk_insert(AuditProgramme.__table__, [{"year": today.year, "objectives": "",
                                            "created_at": now, "version": 1}])
    programme_id = db.session.scalar(db.select(AuditProgramme.id))
    rows = []
    for i in range(AUDITS):
        start = date(today.year, i + 1, 5)
        done = start < today - timedelta(days=10)
        rows.append({
            "programme_id": programme_id, "code": f"AI-B-{i + 1:02}", "year": today.year,
            "number": i + 1, "audit_type": "internal_process", "title": f"Auditoría {i + 1}",
            "objectives": "", "scope": "Proceso", "criteria_clauses": [],
            "criteria_documents": [], "location": "", "planned_start": start,
            "planned_end": start + timedelta(days=2),
            "status": "reported" if done else "planned",
            "reported_at": now if done else None, "reported_by_id": user_id if done else None,
            "created_at": now, "updated_at": now, "version": 1})
    bulk_insert(Audit.__table__, rows)


def _surveys(rng, today):
    """Four ended waves and their per-municipality aggregates (no answer rows)."""
    from qms.core import geo
    from qms.core.db import bulk_insert
    from qms.extensions import db
    from qms.surveys import services
    from qms.surveys.demo import QUESTIONNAIRE
    from qms.surveys.models import INDEX_CODE, RESPONSES_CODE, Aggregate

    version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
    municipalities = list(geo.municipalities().values())
    questions = [RESPONSES_CODE, INDEX_CODE, *(f"p{i}" for i in range(1, 11))]
    for w in range(WAVES):
        ends = today - timedelta(days=30 + 90 * (WAVES - 1 - w))
        wave = services.create_wave(version.survey, code=f"B-{w + 1}", name=f"Ronda {w + 1}",
                                    starts_on=ends - timedelta(days=30), ends_on=ends,
                                    population=400_000)
        db.session.flush()
        per_muni = RESPONSES // len(municipalities)
        rows = []
        for muni in municipalities:
            for code in questions:
                mean = rng.uniform(55, 85) if code == INDEX_CODE else rng.uniform(2.5, 4.5)
                rows.append({"wave_id": wave.id, "question_code": code,
                             "department_code": muni.department_code,
                             "municipality_code": muni.code, "n": per_muni,
                             "total": mean * per_muni, "total_sq": mean * mean * per_muni * 1.05,
                             "top2": per_muni // 2, "bottom2": per_muni // 5})
        bulk_insert(Aggregate.__table__, rows)


def _objectives(rng, today, user_id, process_ids):
    from qms.auth.models import User
    from qms.extensions import db
    from qms.objectives import services
    from qms.objectives.periods import Frequency, latest_complete_period, periods_between
    from qms.processes.models import Process

    owner = db.session.get(User, user_id)
    last = latest_complete_period(today, Frequency.MONTHLY)
    for i in range(20):
        objective = services.create_objective(
            code=f"OBJ-B-{i:02}", frequency="monthly", name=f"Indicador {i}",
            process=db.session.get(Process, process_ids[i % len(process_ids)]), owner=owner,
            unit="%", direction=">=", target=90)
        for period in periods_between(today - timedelta(days=365), last.end, Frequency.MONTHLY):
            services.record_value(objective, period=period.label,
                                  value=round(rng.uniform(80, 100), 1), actor=owner)


def build(app) -> None:
    from qms.core import audit
    from qms.core.time import today_local
    from qms.extensions import db

    rng = random.Random(14)
    now, today = datetime.now(UTC), today_local()
    started = time.perf_counter()
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        user_id, process_ids = _users_and_processes(now)
        _nonconformities(rng, now, today, user_id, process_ids)
        _documents(rng, now, today, user_id, process_ids)
        _audits(now, today, user_id)
        _surveys(rng, today)
        _objectives(rng, today, user_id, process_ids)
        db.session.commit()
    print(f"built in {time.perf_counter() - started:.0f} s")


def _time(client, path: str, repeat: int, statements: list,
          before=None) -> tuple[float, float, int]:
    response = client.get(path)  # warm: templates, query plans
    assert response.status_code == 200, (path, response.status_code)
    times, queries = [], []
    for _ in range(repeat):
        if before:
            before()
        statements.clear()
        started = time.perf_counter()
        client.get(path).get_data()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(len(statements))
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], \
        max(queries)


def measure(app, repeat: int) -> None:
    from sqlalchemy import event, func, select

    from qms.extensions import db
    from qms.nonconformities.models import CorrectiveAction, Nonconformity
    from qms.surveys.models import Aggregate

    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (Nonconformity, CorrectiveAction, Aggregate)]
        engine = db.engine
    print(f"{counts[0]:,} NCs, {counts[1]:,} actions, {counts[2]:,} survey aggregate rows "
          f"({WAVES} waves x {RESPONSES:,} responses)")
    app.config["WTF_CSRF_ENABLED"] = False
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    anonymous = app.test_client()
    owner, manager = app.test_client(), app.test_client()
    for client, name in ((owner, "persona0"), (manager, "bench")):
        assert client.post("/login", data={"username": name, "password": BENCH_PASSWORD}
                           ).status_code == 302
    assert "Tablero de la dirección" in manager.get("/inicio").get_data(as_text=True)
    assert "Tablero de la dirección" not in owner.get("/inicio").get_data(as_text=True)
    from qms.core.summaries import forget
    from qms.core.time import today_local
    from qms.dashboard.panel import gather

    for label, client, path, before in (
            ("floor: GET /healthz (one query)", anonymous, "/healthz", None),
            ("GET /inicio, process owner (cards only)", owner, "/inicio", None),
            ("GET /inicio, manager, nothing changed", manager, "/inicio", None),
            ("GET /inicio, manager, after a change", manager, "/inicio", forget)):
        median, p95, queries = _time(client, path, repeat, statements, before)
        print(f"{label:44s} median {median:6.1f} ms   p95 {p95:6.1f} ms   "
              f"{queries} SQL statements")
    with app.test_request_context():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            gather(today_local())
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{'the dashboard figures alone (gather)':44s} median "
              f"{statistics.median(times):6.1f} ms   p95 "
              f"{times[min(len(times) - 1, int(len(times) * 0.95))]:6.1f} ms")
    print(f"({repeat} requests each; target: dashboard home page p95 <= 50 ms)")


ROLES = ("calidad", "duenio", "direccion", "auditor", "admin", "certificador")
TARGET_MS = 50


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure_roles(workdir: Path, repeat: int) -> None:
    """Every role's home and pending page on the registers' benchmark database."""
    import os

    from sqlalchemy import event, func, select

    from bench.bench_registers import login
    from config import TestingConfig
    from qms import create_app
    from qms.auth.demo import demo_password
    from qms.core import summaries
    from qms.core.audit import AuditEvent
    from qms.extensions import db
    from qms.nonconformities.models import CorrectiveAction, Nonconformity

    if not (workdir / "bench.sqlite3").exists():
        raise SystemExit(f"{workdir}/bench.sqlite3 missing: build it with bench.bench_registers")
    app = create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir}/bench.sqlite3",
                     INSTANCE_DIR=workdir, STORAGE_DIR=workdir / "files",
                     BACKUP_DIR=workdir / "backups", TESTING=False, WTF_CSRF_ENABLED=True,
                     TEMPLATES_AUTO_RELOAD=False)
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (Nonconformity, CorrectiveAction, AuditEvent)]
        engine = db.engine
    statements: list = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    load = os.getloadavg()
    print(f"{counts[0]:,} NCs, {counts[1]:,} corrective actions, {counts[2]:,} audit events; "
          f"{repeat} requests each; floor p95 <= {TARGET_MS} ms; load {load[0]:.2f}")
    print(f"{'page':<44} {'wall ms':>15} {'CPU ms':>15} {'queries':>8}")
    print(f"{'':<44} {'median':>7} {'p95':>7} {'median':>7} {'p95':>7}")
    for role in ROLES:
        client = app.test_client()
        login(client, role, demo_password())
        for path in ("/inicio", "/pendientes"):
            for label, before in (("kept", None), ("recomputed", summaries.forget)):
                if role == "certificador" and path == "/pendientes":
                    continue  # the certifier has no pending page (403)
                wall, cpu, queries = [], [], []
                for run in range(repeat + 1):
                    if before:
                        before()
                    statements.clear()
                    began, began_cpu = time.perf_counter(), time.process_time()
                    answer = client.get(path)
                    answer.get_data()
                    if answer.status_code != 200:
                        raise SystemExit(f"{role} {path}: {answer.status_code}")
                    if run:  # the first is a warm-up
                        wall.append((time.perf_counter() - began) * 1000)
                        cpu.append((time.process_time() - began_cpu) * 1000)
                        queries.append(len(statements))
                if path == "/pendientes" and label == "recomputed":
                    continue  # the pending page reads no kept figure
                mark = "ok" if min(_p95(wall), _p95(cpu)) <= TARGET_MS else "SLOW"
                name = f"{role} {path}" + (f" ({label})" if path == "/inicio" else "")
                print(f"{name:<44} {statistics.median(wall):>7.1f} {_p95(wall):>7.1f} "
                      f"{statistics.median(cpu):>7.1f} {_p95(cpu):>7.1f} "
                      f"{min(queries):>3}–{max(queries):<4} {mark}", flush=True)
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/qms-bench-dashboard"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--roles", action="store_true",
                        help="every role's /inicio and /pendientes on bench_registers' data")
    args = parser.parse_args()
    if args.roles:
        measure_roles(args.workdir, args.repeat)
        return
    fresh = not (args.workdir / "bench.sqlite3").exists()
    args.workdir.mkdir(parents=True, exist_ok=True)
    app, _ = make_app(args.workdir)
    if fresh:
        build(app)
    measure(app, args.repeat)


if __name__ == "__main__":
    main()
