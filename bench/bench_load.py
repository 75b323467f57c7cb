"""Load on PostgreSQL: locust against ``gunicorn -w 4``, then the audit chain and the NC
codes checked.

    .venv/bin/python -m bench.bench_load [--ncs 20000] [--events 400000] [--users 100]
        [--spawn-rate 2] [--run-time 60s] [--workers 4]

Starts a throwaway PostgreSQL 15 server, builds the data at scale (:mod:`bench.scale_data`,
passwords hashed with argon2's production parameters), serves the app with the production
configuration on ``gunicorn -w 4``, and runs ``bench/locustfile.py`` headless: ``--users``
people arriving ``--spawn-rate`` a second, sharing the six demo accounts, logging in,
browsing the registers, details, home, documents and audit log, and reporting an NC about
a tenth of the time. Prints per request type the count, failures, median and p95, the
machine's load, then whether the audit chain verifies and the NC codes are gapless.
Floors (the issue's): 0 failures; p95 ≤ 300 ms for every request but the login; the
login's p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench._common import ROOT
from bench.bench_request_path import free_port

PAGE_P95_MS = 300
LOGIN_P95_MS = 1000


def build(url: str, workdir: Path, ncs: int, events: int) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from bench import scale_data
    from config import TestingConfig
    from qms import create_app
    from qms.extensions import db

    app = create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=workdir,
                     STORAGE_DIR=workdir / "files", BACKUP_DIR=workdir / "backups",
                     TESTING=False, ARGON2_PARAMS={})  # production-strength hashes
    with app.app_context():
        upgrade()
    ids = scale_data.build(app, ncs=ncs, documents=300, events=events)
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    return ids


def check(url: str, workdir: Path) -> None:
    from sqlalchemy import func, select

    from config import TestingConfig
    from qms import create_app
    from qms.core import audit
    from qms.extensions import db
    from qms.nonconformities.models import NCYearCounter, Nonconformity

    app = create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=workdir)
    with app.app_context():
        count, problem = audit.verify_chain(db.session)
        print(f"audit chain: {count:,} events, "
              f"{'intact' if problem is None else f'BROKEN at #{problem.event_id}'}")
        for counter in db.session.scalars(select(NCYearCounter).order_by(NCYearCounter.year)):
            numbers = db.session.execute(
                select(func.count(), func.min(Nonconformity.number),
                       func.max(Nonconformity.number))
                .where(Nonconformity.year == counter.year)).one()
            gapless = numbers == (counter.last_number, 1, counter.last_number)
            print(f"NC codes {counter.year}: {numbers[0]:,} NCs numbered {numbers[1]}–"
                  f"{numbers[2]}, counter at {counter.last_number}: "
                  f"{'gapless' if gapless else 'GAPS OR REPEATS'}")
        db.engine.dispose()


def report(stats_csv: Path) -> None:
    print(f"\n{'request':<36} {'count':>6} {'fail':>5} {'median':>7} {'p95':>6} {'max':>6} "
          f"{'floor':>6}")
    with stats_csv.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] != "" else "Aggregated"
            login = "login" in name
            floor = LOGIN_P95_MS if login else PAGE_P95_MS
            p95 = float(row["95%"] or 0)
            mark = "" if name == "Aggregated" else ("ok" if p95 <= floor else "SLOW")
            print(f"{name:<36} {row['Request Count']:>6} {row['Failure Count']:>5} "
                  f"{float(row['Median Response Time'] or 0):>7.0f} {p95:>6.0f} "
                  f"{float(row['Max Response Time']):>6.0f} "
                  f"{'' if name == 'Aggregated' else floor:>6} {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ncs", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    from bench._pg import postgres
    from qms.auth.demo import demo_password

    workdir = Path(tempfile.mkdtemp(prefix="qms-bench-load-"))
    with postgres() as url:
        started = time.perf_counter()
        ids = build(url, workdir, args.ncs, args.events)
        print(f"built in {time.perf_counter() - started:.0f} s")
        port = free_port()
        env = {**os.environ, "QMS_ENV": "production", "QMS_SECRET_KEY": secrets.token_hex(32),
               "QMS_PSEUDONYM_KEY": secrets.token_hex(32), "QMS_INSTANCE_DIR": str(workdir),
               "QMS_DATABASE_URL": url, "QMS_SECURE_COOKIES": "0"}
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b",
             f"127.0.0.1:{port}", "--access-logfile", str(workdir / "access.log"),
             "--error-logfile", str(workdir / "error.log"), "wsgi:app"], cwd=ROOT, env=env)
        try:
            host = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(host + "/login", timeout=2).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            before = os.getloadavg()
            stats = workdir / "locust"
            subprocess.run(
                [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"),
                 "--headless", "--host", host, "--users", str(args.users), "--spawn-rate",
                 str(args.spawn_rate), "--run-time", args.run_time, "--csv", str(stats),
                 "--only-summary", "--loglevel", "WARNING"],
                env={**env, "QMS_BENCH_PASSWORD": demo_password(),
                     "QMS_BENCH_NCS": str(ids["ncs"])}, cwd=ROOT, check=False,
                stdout=subprocess.DEVNULL, stderr=(workdir / "locust.log").open("w"))
            after = os.getloadavg()
        finally:
            server.terminate()
            server.wait()
        report(Path(f"{stats}_stats.csv"))
        errors = sum(1 for line in (workdir / "access.log").read_text().splitlines()
                     if '" 5' in line)
        print(f"server errors (5xx) in the access log: {errors}")
        print(f"load average before {before[0]:.2f}, after {after[0]:.2f} "
              f"(1-minute; {os.cpu_count()} cores)")
        failures = Path(f"{stats}_failures.csv")
        if failures.exists() and len(failures.read_text().splitlines()) > 1:
            print("failures:\n" + failures.read_text())
        check(url, workdir)


if __name__ == "__main__":
    sys.exit(main())
