"""Every export at a national programme's scale: time, queries and peak memory of each
export, the NC register's at 5,000 / 10,000 / 20,000 NCs so that linear time and flat
memory can be read off the table.

    .venv/bin/python -m bench.bench_exports --workdir DIR [--sizes 5000 10000 20000]
        [--only SUBSTRING] [--runs 1]

``--workdir`` is a database built by :mod:`bench.scale_data` (``bench.bench_registers``
builds one there and leaves ``ids.json``; one is built when it is missing). Each export
runs in a fresh Python process, signed in as the quality officer through the test client
(the view, the streaming and the writer are what a user waits for), after a one-row
warm-up of the same export, so that the process's peak resident memory (``ru_maxrss``)
grows only by what the export itself holds. The body is read chunk by chunk and thrown
away, as a browser saving it would. An NC export of N NCs is the register filtered to
the N most recently detected (``detected_from``), or the whole register.

Printed per export: wall and CPU seconds (SQLite runs in the process, so CPU time counts
the queries too; on a loaded machine judge by it), SQL statements, file size, peak memory
growth, and the issue's floor (a 20,000-NC register to XLSX in ≤ 10 s, to CSV in ≤ 3 s;
the other exports have no floor of their own, only the same "stream and grow linearly").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench._common import ROOT, peak_rss_mb

EXPORT_FLOOR_S = {("NC register", "csv"): 3.0, ("NC register", "xlsx"): 10.0}
FLOOR_AT = 20_000  # the floors are for a register of this size


def _app(workdir: Path):
    from config import TestingConfig
    from qms import create_app

    return create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir}/bench.sqlite3",
                      INSTANCE_DIR=workdir, STORAGE_DIR=workdir / "files",
                      BACKUP_DIR=workdir / "backups", TESTING=False,
                      TEMPLATES_AUTO_RELOAD=False,
                      # timed in the request, as the floors are stated
                      EXPORT_BACKGROUND_ROWS_XLSX=10**9, EXPORT_BACKGROUND_ROWS_CSV=10**9)


# --------------------------------------------------------------- the measured child


def child(spec: dict) -> None:
    """Run one export in this (fresh) process and print its figures as JSON."""
    from sqlalchemy import event

    from bench.bench_registers import login
    from qms.auth.demo import demo_password
    from qms.extensions import db

    app = _app(Path(spec["workdir"]))
    with app.app_context():
        engine = db.engine
    seen = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: seen.__setitem__(0, seen[0] + 1))
    client = app.test_client()
    login(client, "calidad", demo_password())

    def fetch(path: str) -> tuple[int, int]:
        answer = client.get(path, buffered=False)
        size = sum(len(chunk) for chunk in answer.response)
        answer.close()
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code}")
        return answer.status_code, size

    if spec.get("warmup"):
        fetch(spec["warmup"])  # imports, templates, caches: not the export's memory
    before = peak_rss_mb()
    seen[0] = 0
    began, began_cpu = time.perf_counter(), time.process_time()
    _, size = fetch(spec["path"])
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "queries": seen[0], "bytes": size,
                      "rss_before": before, "rss_growth": peak_rss_mb() - before}))


def _run_child(spec: dict) -> dict:
    answer = subprocess.run([sys.executable, "-m", "bench.bench_exports", "--child",
                             json.dumps(spec)], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    if answer.returncode != 0:
        raise SystemExit(f"{spec['path']}:\n{answer.stdout[-2000:]}\n{answer.stderr[-4000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------- the cases


def cases(workdir: Path, sizes: list[int]) -> list[tuple[str, str, int, str, str | None]]:
    """(name, format, rows, path, warm-up path) of every export measured."""
    from sqlalchemy import func, select

    from qms.core.audit import AuditEvent
    from qms.documents.models import Document
    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity
    from qms.surveys.models import Response

    app = _app(workdir)
    found = []
    with app.app_context():
        total = db.session.scalar(select(func.count(Nonconformity.id)))
        latest = db.session.scalar(select(func.max(Nonconformity.detected_on)))
        nc = "/no-conformidades/exportar"
        for size in sizes:
            if size >= total:
                query, count = "", total
            else:
                since = db.session.scalar(select(Nonconformity.detected_on).order_by(
                    Nonconformity.detected_on.desc()).offset(size - 1).limit(1))
                query = f"?detected_from={since.isoformat()}"
                count = db.session.scalar(select(func.count(Nonconformity.id)).where(
                    Nonconformity.detected_on >= since))
            for fmt in ("csv", "xlsx"):
                found.append(("NC register", fmt, count, f"{nc}.{fmt}{query}",
                              f"{nc}.{fmt}?detected_from={latest.isoformat()}"))
        documents = db.session.scalar(select(func.count(Document.id)))
        for fmt in ("csv", "xlsx"):
            found.append(("master list", fmt, documents, f"/documentos/lista-maestra.{fmt}",
                          None))
        events = db.session.scalar(select(func.count(AuditEvent.id)))
        for fmt in ("csv", "xlsx"):
            found.append(("audit log", fmt, events, f"/auditoria/exportar.{fmt}",
                          f"/auditoria/exportar.{fmt}?tipo=process"))
        wave_id, responses = db.session.execute(
            select(Response.wave_id, func.count()).group_by(Response.wave_id)
            .order_by(func.count().desc()).limit(1)).first() or (None, 0)
        if wave_id:
            for kind in ("respuestas", "resultados"):
                for fmt in ("csv", "xlsx"):
                    found.append((f"survey {kind}", fmt, responses,
                                  f"/encuestas/rondas/{wave_id}/{kind}.{fmt}", None))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, required=False)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000])
    parser.add_argument("--only", help="only the exports whose name and format contain this")
    parser.add_argument("--runs", type=int, default=1, help="runs per export (the median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    if args.workdir is None:
        parser.error("--workdir is required (a database built by bench.scale_data)")
    _ensure_data(args.workdir)
    load = os.getloadavg()
    print(f"{'export':<24} {'rows':>7} {'wall s':>7} {'CPU s':>6} {'queries':>8} "
          f"{'MiB':>6} {'peak +MiB':>10} {'floor s':>8}  (load {load[0]:.2f} {load[1]:.2f})")
    for name, fmt, rows, path, warmup in cases(args.workdir, args.sizes):
        label = f"{name} {fmt}"
        if args.only and args.only.lower() not in label.lower():
            continue
        runs = sorted((_run_child({"workdir": str(args.workdir), "path": path,
                                   "warmup": warmup}) for _ in range(args.runs)),
                      key=lambda r: r["cpu"])
        figures = runs[len(runs) // 2]
        floor = EXPORT_FLOOR_S.get((name, fmt)) if rows >= FLOOR_AT else None
        verdict = "" if floor is None else (
            "ok" if min(figures["wall"], figures["cpu"]) <= floor else "SLOW")
        print(f"{label:<24} {rows:>7} {figures['wall']:>7.2f} {figures['cpu']:>6.2f} "
              f"{figures['queries']:>8} {figures['bytes'] / 2**20:>6.1f} "
              f"{figures['rss_growth']:>10.1f} {floor if floor else '':>8} {verdict}",
              flush=True)
    print(f"\nload average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _ensure_data(workdir: Path) -> None:
    if (workdir / "ids.json").exists():
        return
    from flask_migrate import upgrade

    from bench import scale_data

    workdir.mkdir(parents=True, exist_ok=True)
    app = _app(workdir)
    with app.app_context():
        upgrade()
    print(f"building the data in {workdir}", flush=True)
    ids = scale_data.build(app)
    (workdir / "ids.json").write_text(json.dumps(ids))


if __name__ == "__main__":
    sys.exit(main())
