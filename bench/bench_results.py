"""Results benchmark: a wave with 1,000,000 responses; server time of the results pages.

    .venv/bin/python bench/bench_results.py [--rows 1000000] [--workdir DIR]

Builds (once; ``--workdir`` reuses it) a SQLite database with one wave of ``--rows``
responses imported through the real importer from a generated Kobo export, then times
the pages in-process with Flask's test client (server time: routing, queries, statistics,
SVG charts and templates; no network). Target: <= 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, make_app, make_wave

BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway benchmark database
PAGES = [
    ("results, national", "/encuestas/rondas/{wave}"),
    ("results, one department", "/encuestas/rondas/{wave}?departamento=08"),
    ("results, comparing a question", "/encuestas/rondas/{wave}?pregunta=p3_puntualidad_pago"),
    ("trend across waves", "/encuestas/{survey}/tendencia"),
    ("results export (CSV)", "/encuestas/rondas/{wave}/resultados.csv"),
    ("survey list", "/encuestas/"),
]


def build(app, rows: int) -> None:
    from qms.auth.models import Role
    from qms.auth.services import create_user
    from qms.core import audit
    from qms.surveys import importer

    export = Path(f"/tmp/qms-bench-kobo-{rows}.csv")
    if not export.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_kobo_export.py"), "--rows",
                        str(rows), "--out", str(export)], check=True)
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        create_user(username="bench", full_name="Bench", email="bench@example.hn",
                    role=Role.MANAGER, password=BENCH_PASSWORD)
        wave = make_wave(code="2024-1")
        started = time.perf_counter()
        report = importer.run_import(wave, export, file_name=export.name, skip_invalid=True)
        print(f"built: {report.imported:,} responses imported in "
              f"{time.perf_counter() - started:.0f} s")


def measure(app, repeat: int) -> None:
    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.surveys.models import Response, Wave

    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        wave = db.session.scalar(select(Wave))
        ids = {"wave": wave.id, "survey": wave.survey_id}
        count = db.session.scalar(select(func.count(Response.id)).where(
            Response.wave_id == wave.id))
    print(f"wave {ids['wave']}: {count:,} responses")
    client = app.test_client()
    assert client.post("/login", data={"username": "bench", "password": BENCH_PASSWORD}
                       ).status_code == 302
    for label, pattern in PAGES:
        path = pattern.format(**ids)
        client.get(path)  # warm: template compilation, first query plans
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{label:32s} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
              f"max {times[-1]:6.1f} ms   ({path})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/qms-bench-results"))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    fresh = not (args.workdir / "bench.sqlite3").exists()
    args.workdir.mkdir(parents=True, exist_ok=True)
    app, _ = make_app(args.workdir)  # one app per process (blueprints are module-level)
    if fresh:
        build(app, args.rows)
    measure(app, args.repeat)


if __name__ == "__main__":
    main()
