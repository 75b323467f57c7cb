"""Registers at a national programme's scale: server time and queries of every register,
detail and dashboard page, and of every export, with 20,000 NCs.

    .venv/bin/python -m bench.bench_registers [--ncs 20000] [--documents 300]
        [--events 400000] [--runs 30] [--postgres] [--workdir DIR] [--only SUBSTRING]

Builds the data (:mod:`bench.scale_data`: ``qms init``, the demo data, then bulk loads
consistent with the models) in a fresh SQLite database (``--workdir`` keeps and reuses it)
or, with ``--postgres``, in a throwaway PostgreSQL 15 server (``--workdir`` keeps its
cluster under ``DIR/pg``, the one ``bench.bench_load --workdir DIR`` builds and reuses);
then requests each page ``--runs`` times in-process as the quality officer (the first
answer is discarded as a warm-up) and prints the median and p95 server time (wall clock,
and the CPU time of the process, which a loaded machine disturbs less: SQLite runs in the
process, so its work is counted) and the number of SQL statements.
Each export is timed three times. The floors compared against are the issue's: every
page ≤ 50 ms at p95 with a query count that does not grow with the register, a
20,000-NC export ≤ 10 s as XLSX and ≤ 3 s as CSV.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import event

from bench._common import ROOT  # noqa: F401 - puts the project on sys.path

PAGE_TARGET_MS = 50
EXPORT_TARGET_S = {"csv": 3.0, "xlsx": 10.0}


def pages(ids: dict, process_id: int) -> list[tuple[str, str]]:
    nc = "/no-conformidades/"
    middle = max(1, ids["ncs"] // 50)  # a page half-way through the register
    deep = max(1, ids["events"] // 80)
    bulk_day = date.today() - timedelta(days=798)  # scale_data's events start 800 days ago
    return [
        ("login page (anonymous)", "ANON /login"),
        ("home", "/inicio"),
        ("NC register", nc),
        (f"NC register, page {middle}", f"{nc}?page={middle}"),
        ("NC register, status closed", f"{nc}?status=closed"),
        ("NC register, open only", f"{nc}?open_only=1"),
        ("NC register, process", f"{nc}?process_id={process_id}"),
        ("NC register, source", f"{nc}?source=citizen_complaint"),
        ("NC register, severity", f"{nc}?severity=major"),
        ("NC register, overdue", f"{nc}?overdue=1"),
        ("NC register, detected in a month",
         f"{nc}?detected_from=2025-03-01&detected_to=2025-03-31"),
        ("NC register, search", f"{nc}?q=olancho"),
        ("NC register, assigned to me", f"{nc}?mine=1"),
        ("NC register, sort title", f"{nc}?sort=title"),
        ("NC register, sort -detected_on", f"{nc}?sort=-detected_on"),
        ("NC register, sort status", f"{nc}?sort=status"),
        ("NC register, sort severity", f"{nc}?sort=severity"),
        ("NC register, sort process", f"{nc}?sort=process"),
        ("NC register, process + open + sort", f"{nc}?process_id={process_id}&open_only=1"
                                                "&sort=-detected_on"),
        ("NC detail (closed)", f"{nc}{ids['nc_closed']}"),
        ("NC detail (in implementation)", f"{nc}{ids['nc_open']}"),
        ("audit log", "/auditoria"),
        (f"audit log, {(deep - 1) * 50:,} events deep (was page {deep})",
         f"/auditoria?antes={ids['events'] - (deep - 1) * 50}"),
        ("audit log, oldest page", "/auditoria?despues=0"),
        ("audit log, NCs only", "/auditoria?tipo=nonconformity"),
        ("audit log, NCs only, half-way", f"/auditoria?tipo=nonconformity&antes="
                                          f"{ids['events'] // 2}"),
        ("audit log, document revisions", "/auditoria?tipo=document_revision"),
        ("audit log, one user, two days", f"/auditoria?usuario=1&desde={bulk_day}"
                                          f"&hasta={bulk_day + timedelta(days=1)}"),
        *other_registers(ids, process_id),
    ]


def other_registers(ids: dict, process_id: int) -> list[tuple[str, str]]:
    """Every other register and detail page a user reaches from the navigation; a page
    whose record the data lacks (``ids`` has None) is left out and said so."""
    year = date.today().year
    wanted = [
        ("document register", "/documentos/"),
        ("document register, page 3", "/documentos/?page=3"),
        ("document register, search", "/documentos/?q=instructivo+1"),
        ("document register, process", f"/documentos/?proceso={process_id}"),
        ("document register, in force", "/documentos/?estado=effective"),
        ("document register, review due", "/documentos/?revision=due"),
        ("document register, revision queue", "/documentos/?cola=en_revision"),
        ("document register, sort -next review", "/documentos/?orden=-proxima_revision"),
        ("document detail", "/documentos/{document}"),
        ("document revision", "/documentos/revisiones/{revision}"),
        ("documents to read", "/documentos/por-leer"),
        ("process list", "/procesos/"),
        ("process detail", f"/procesos/{process_id}"),
        ("audit programme", f"/auditorias/programa/{year}"),
        ("audit programme, last year", f"/auditorias/programa/{year - 1}"),
        ("audit detail (closed)", "/auditorias/{audit}"),
        ("audit report page", "/auditorias/{audit}/informe"),
        ("audit calendar", f"/auditorias/calendario/{year}/{date.today().month}"),
        ("complaints register", "/quejas/"),
        ("complaints register, page 20", "/quejas/?page=20"),
        ("complaints register, open", "/quejas/?abiertas=1"),
        ("complaints register, overdue", "/quejas/?atrasadas=1"),
        ("complaint detail", "/quejas/{complaint}"),
        ("survey list", "/encuestas/"),
        ("survey detail", "/encuestas/{survey}"),
        ("survey trend", "/encuestas/{survey}/tendencia"),
        ("survey wave (results)", "/encuestas/rondas/{wave}"),
        ("survey wave comments", "/encuestas/rondas/{wave}/comentarios"),
        ("objectives list", "/objetivos/"),
        ("objective detail", "/objetivos/{objective}"),
        ("management reviews", "/revision-direccion/"),
        ("management review detail", "/revision-direccion/{review}"),
        ("management review minutes", "/revision-direccion/{review}/acta"),
        ("evidence packs", "/evidencias/"),
        ("evidence pack detail", "/evidencias/{pack}"),
        ("payments", "/pagos/"),
        ("reminders inbox", "/avisos/"),
        ("pending list", "/pendientes"),
        ("portal home (anonymous)", "ANON /transparencia/"),
        ("portal quality (anonymous)", "ANON /transparencia/calidad"),
        ("portal document (anonymous)", "ANON /transparencia/documentos/{portal_document}"),
        ("portal execution (anonymous)", "ANON /transparencia/ejecucion"),
        ("portal department (anonymous)", "ANON /transparencia/ejecucion/{department}"),
        ("portal satisfaction (anonymous)", "ANON /transparencia/satisfaccion"),
        ("portal complaints (anonymous)", "ANON /transparencia/atencion"),
        ("portal open data (anonymous)", "ANON /transparencia/datos"),
        ("complaint tracking (anonymous)", "ANON /transparencia/quejas/seguimiento"),
    ]
    found = []
    for name, path in wanted:
        try:
            found.append((name, path.format(**ids)))
        except (KeyError, IndexError):
            print(f"{name:<40} (left out: the data has no such record)  {path}")
    return found


def record_ids() -> dict:
    """Ids of one record of each kind the detail pages show (the closed or finished one,
    which carries the most, where there is one); a kind without records is left out."""
    from sqlalchemy import func, select

    from qms.audits.models import Audit
    from qms.complaints.models import Complaint
    from qms.documents.models import Revision
    from qms.evidence.models import EvidencePack
    from qms.extensions import db
    from qms.objectives.models import Objective
    from qms.portal import cache
    from qms.reviews.models import ManagementReview
    from qms.surveys.models import Response, Survey

    def last(column, *where):
        found = db.session.scalar(select(column).where(*where).order_by(column.desc()).limit(1))
        return found if found is not None else \
            db.session.scalar(select(column).order_by(column.desc()).limit(1))

    audit = last(Audit.id, Audit.status == "closed")
    found = {
        "revision": last(Revision.id, Revision.status == "effective"), "audit": audit,
        "complaint": last(Complaint.id), "survey": last(Survey.id),
        # the wave with the most responses
        "wave": db.session.scalar(select(Response.wave_id).group_by(Response.wave_id)
                                  .order_by(func.count().desc()).limit(1)),
        "objective": last(Objective.id),
        "review": last(ManagementReview.id, ManagementReview.status == "minutes_approved"),
        "pack": last(EvidencePack.id), "department": "03",
    }
    with current_app.test_request_context():
        documents = cache.snapshot().pages["documents"]
    found["portal_document"] = documents[0].code if documents else None
    return {k: v for k, v in found.items() if v is not None}


EXPORTS = [("NC export", "/no-conformidades/exportar.csv", "csv"),
           ("NC export", "/no-conformidades/exportar.xlsx", "xlsx"),
           ("master list", "/documentos/lista-maestra.csv", "csv"),
           ("master list", "/documentos/lista-maestra.xlsx", "xlsx")]


class QueryCounter:
    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def login(client, username: str, password: str) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    if answer.status_code != 302:
        raise SystemExit(f"login as {username} failed: {answer.status_code}")


def measure_pages(app, ids: dict, runs: int, only: str | None) -> list[tuple]:
    from sqlalchemy import select

    from qms.auth.demo import demo_password
    from qms.extensions import db
    from qms.processes.models import Process

    with app.app_context():
        process_id = db.session.scalar(select(Process.id).where(Process.code == "PAG")) \
            or db.session.scalar(select(Process.id).limit(1))
        counter = QueryCounter(db.engine)
        ids = {**ids, **record_ids()}
    client = app.test_client()
    login(client, "calidad", demo_password())
    anonymous = app.test_client()
    results = []
    for name, path in pages(ids, process_id):
        if only and not any(part.lower() in name.lower() for part in only.split("|")):
            continue
        use = anonymous if path.startswith("ANON ") else client
        path = path.removeprefix("ANON ")
        times, cpu, queries = [], [], []
        for run in range(runs + 1):
            counter.count = 0
            began, began_cpu = time.perf_counter(), time.process_time()
            answer = use.get(path)
            body = answer.get_data()
            elapsed = (time.perf_counter() - began) * 1000
            used = (time.process_time() - began_cpu) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code}\n{body[:400]!r}")
            if run:
                times.append(elapsed)
                cpu.append(used)
                queries.append(counter.count)
        results.append((name, path, statistics.median(times), p95(times), min(queries),
                        max(queries)))
        mark = "ok" if min(p95(times), p95(cpu)) <= PAGE_TARGET_MS else "SLOW"
        print(f"{name:<40} {statistics.median(times):>7.1f} {p95(times):>7.1f} "
              f"{statistics.median(cpu):>7.1f} {p95(cpu):>7.1f} "
              f"{min(queries):>4}–{max(queries):<4} {mark:>5}  {path}", flush=True)
    return results


def measure_exports(app, only: str | None) -> None:
    from qms.auth.demo import demo_password
    from qms.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
    client = app.test_client()
    login(client, "calidad", demo_password())
    print(f"\n{'export':<26} {'median s':>9} {'max s':>7} {'queries':>8} {'MiB':>6} "
          f"{'floor s':>8}")
    for name, path, ext in EXPORTS:
        if only and only.lower() not in f"{name} {ext}".lower():
            continue
        seconds, size = [], 0
        for _ in range(3):
            counter.count = 0
            began = time.perf_counter()
            answer = client.get(path, buffered=False)
            size = sum(len(chunk) for chunk in answer.response)
            answer.close()
            seconds.append(time.perf_counter() - began)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code}")
        floor = EXPORT_TARGET_S[ext] if name == "NC export" else float("nan")
        print(f"{name + ' ' + ext:<26} {statistics.median(seconds):>9.2f} {max(seconds):>7.2f} "
              f"{counter.count:>8} {size / 2**20:>6.1f} {floor:>8.1f}", flush=True)
    if only and "background" not in only:
        return
    # The same XLSX as a background job: the request answers at once, the file follows.
    app.config["EXPORT_BACKGROUND_ROWS_XLSX"] = 1
    began = time.perf_counter()
    answer = client.get("/no-conformidades/exportar.xlsx")
    answered = time.perf_counter() - began
    location = answer.headers["Location"]
    state = {}
    while time.perf_counter() - began < 300:
        state = client.get(location + "/estado.json").get_json()
        if state["state"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    done = time.perf_counter() - began
    size = len(client.get(location + "/archivo").data)
    print(f"{'NC export xlsx, background':<26} request answered in {answered * 1000:.0f} ms "
          f"({answer.status_code}); file {state.get('state')} after {done:.2f} s, "
          f"{state.get('done')} rows, {size / 2**20:.1f} MiB")
    app.config["EXPORT_BACKGROUND_ROWS_XLSX"] = 10**9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ncs", type=int, default=20_000)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--only", help="only the pages whose name contains this "
                        "(alternatives separated by |)")
    parser.add_argument("--no-exports", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        from bench._pg import postgres

        # --workdir keeps the cluster and its data (shared with bench_load's --workdir)
        with postgres(keep=args.workdir and args.workdir / "pg") as url:
            run(args, url, args.workdir)
    else:
        run(args, None, args.workdir)


def run(args, url: str | None, workdir: Path | None) -> None:
    import json
    import tempfile

    from flask_migrate import upgrade

    from bench import scale_data
    from config import TestingConfig
    from qms import create_app

    workdir = workdir or Path(tempfile.mkdtemp(prefix="qms-bench-registers-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{workdir}/bench.sqlite3"
    # Production-like: templates are not reloaded, the real rate limiter and CSRF run.
    app = create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=workdir,
                     STORAGE_DIR=workdir / "files", BACKUP_DIR=workdir / "backups",
                     TESTING=False, WTF_CSRF_ENABLED=True,
                     TEMPLATES_AUTO_RELOAD=False,
                     # the exports are timed in the request against the floors
                     EXPORT_BACKGROUND_ROWS_XLSX=10**9, EXPORT_BACKGROUND_ROWS_CSV=10**9)
    marker = (workdir / "pg" if url.startswith("postgresql") else workdir) / "ids.json"
    if marker.exists():
        ids = json.loads(marker.read_text())
        print(f"reusing {workdir}")
    else:
        with app.app_context():
            upgrade()
        print(f"building: {args.ncs:,} NCs, {args.documents} documents, "
              f"{args.events:,} audit events in {url.split('@')[-1]}", flush=True)
        ids = scale_data.build(app, ncs=args.ncs, documents=args.documents, events=args.events)
        marker.write_text(json.dumps(ids))
        if url.startswith("postgresql"):
            with app.app_context():
                from sqlalchemy import text

                from qms.extensions import db

                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
    load = os.getloadavg()
    print(f"\n{'page':<40} {'wall ms':>15} {'CPU ms':>15} {'queries':>9}  (floor: p95 ≤ "
          f"{PAGE_TARGET_MS} ms; load {load[0]:.2f} {load[1]:.2f})")
    print(f"{'':<40} {'median':>7} {'p95':>7} {'median':>7} {'p95':>7}")
    measure_pages(app, ids, args.runs, args.only)
    if not args.no_exports:
        measure_exports(app, args.only)
    print(f"\nload average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
