"""Portal benchmark: public pages on ``gunicorn -w 2`` measured with wrk, against a
trivial Flask endpoint served the same way in the same run.

    .venv/bin/python bench/bench_portal.py [--responses 1000000] [--complaints 20000]
                                           [--workdir DIR] [--duration 10]

Builds (once; ``--workdir`` reuses it) a SQLite database with two years of monthly
payment aggregates for all 298 municipalities (through the real importer), ``--complaints``
complaints (bulk-inserted, with realistic statuses and answer times) and a survey wave of
``--responses`` responses (through the real importer, from a generated Kobo export).
Then prints page weights (gzip) and, per page, requests/s and latency percentiles from
``wrk -t2 -c32``. Targets: >= 2,000 req/s and >= 40 % of the trivial endpoint.
Needs ``wrk`` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import ROOT, make_app, make_wave

PAGES = ["/transparencia/", "/transparencia/ejecucion", "/transparencia/ejecucion/08",
         "/transparencia/satisfaccion", "/transparencia/atencion", "/transparencia/calidad",
         "/transparencia/datos"]


def build(app, responses: int, complaints: int) -> None:
    from sqlalchemy import insert

    from qms.complaints import codes
    from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
    from qms.core import audit, geo
    from qms.extensions import db
    from qms.payments import demo, importer
    from qms.surveys import importer as survey_importer

    with app.app_context(), audit.acting_as(audit.SYSTEM):
        started = time.perf_counter()
        report = importer.import_payments(demo.demo_csv(24), "pagos-bench.csv")
        db.session.commit()
        print(f"payments: {report.rows_read:,} rows, {len(report.periods)} periods in "
              f"{time.perf_counter() - started:.1f} s")
        rng = random.Random(5)
        munis = list(geo.municipalities().values())
        now = datetime.now(UTC)
        rows = []
        for _ in range(complaints):
            muni = rng.choice(munis)
            received = now - timedelta(days=rng.uniform(0, 730))
            status = rng.choices(list(ComplaintStatus), weights=[1, 2, 4, 6])[0]
            answered = received + timedelta(days=rng.uniform(0.5, 20)) \
                if status in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED) else None
            rows.append({"tracking_code": codes.new_code(),
                         "category": rng.choice(list(ComplaintCategory)),
                         "description": "Queja de prueba para el benchmark.",
                         "department_code": muni.department_code,
                         "municipality_code": muni.code, "anonymous": True, "status": status,
                         "received_at": received, "acknowledged_at": answered,
                         "answered_at": answered,
                         "public_answer": "Respuesta." if answered else None,
                         "updated_at": answered or received, "version": 1})
        db.session.execute(insert(Complaint), rows)
        db.session.commit()
        print(f"complaints: {complaints:,}")
        if responses:
            export = Path(f"/tmp/qms-bench-kobo-{responses}.csv")
            if not export.exists():
                subprocess.run([sys.executable, str(ROOT / "bench" / "gen_kobo_export.py"),
                                "--rows", str(responses), "--out", str(export)], check=True)
            wave = make_wave(code="2024-1")
            db.session.commit()  # run_import commits its own transactions
            started = time.perf_counter()
            result = survey_importer.run_import(wave, export, file_name=export.name,
                                                 skip_invalid=True)
            db.session.commit()
            print(f"survey: {result.imported:,} responses in "
                  f"{time.perf_counter() - started:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(module: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", module],
        cwd=ROOT / ("bench" if module.startswith("trivial") else "."), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/", timeout=1)  # noqa: S310 - localhost
            return proc, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{module} did not start")


def wrk(url: str, duration: int) -> tuple[float, dict[str, str]]:
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return rate, latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    workdir = args.workdir
    fresh = workdir is None or not (workdir / "bench.sqlite3").exists()
    if workdir:
        workdir.mkdir(parents=True, exist_ok=True)
    app, workdir = make_app(workdir)
    if fresh:
        build(app, args.responses, args.complaints)
    env = {**os.environ, "QMS_ENV": "production", "QMS_SECRET_KEY": secrets.token_hex(32),
           "QMS_PSEUDONYM_KEY": secrets.token_hex(32), "QMS_INSTANCE_DIR": str(workdir),
           "QMS_DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3"}
    trivial, trivial_url = serve("trivial_wsgi:app", env)
    try:
        floor, floor_latency = wrk(trivial_url + "/", args.duration)
    finally:
        trivial.terminate()
        trivial.wait()
    print(f"trivial Flask endpoint: {floor:,.0f} req/s (p50 {floor_latency.get('50')}, "
          f"p99 {floor_latency.get('99')})")
    portal, url = serve("wsgi:app", env)
    try:
        started = time.perf_counter()
        urllib.request.urlopen(url + PAGES[0], timeout=120).read()  # noqa: S310
        print(f"first request (builds the snapshot in that worker): "
              f"{time.perf_counter() - started:.2f} s")
        for _ in range(20):  # warm both workers (each builds its own snapshot once)
            urllib.request.urlopen(url + PAGES[0], timeout=120).read()  # noqa: S310
        css = gzip.compress(urllib.request.urlopen(url + "/static/css/portal.css").read())  # noqa: S310
        print(f"{'page':34} {'gzip KB':>8} {'req/s':>8} {'% floor':>8} {'p50':>8} {'p99':>8}")
        for page in PAGES:
            body = urllib.request.urlopen(url + page, timeout=120).read()  # noqa: S310
            weight = (len(gzip.compress(body)) + len(css)) / 1024
            rate, latency = wrk(url + page, args.duration)
            print(f"{page:34} {weight:8.1f} {rate:8,.0f} {100 * rate / floor:7.0f}% "
                  f"{latency.get('50', '?'):>8} {latency.get('99', '?'):>8}")
    finally:
        portal.terminate()
        portal.wait()
    print(f"database: {workdir / 'bench.sqlite3'} (reuse with --workdir {workdir})")


if __name__ == "__main__":
    main()
