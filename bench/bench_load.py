"""Load on PostgreSQL: locust against gunicorn (4 workers), then the audit chain and the NC
codes checked.

    .venv/bin/python -m bench.bench_load [--workdir DIR] [--ncs 20000] [--events 400000]
        [--users 100] [--spawn-rate 2] [--run-time 60s] [--wait 1-3] [--workers 4]
        [--worker-class sync|gthread] [--threads N]

Starts a throwaway PostgreSQL 15 server (``--workdir`` keeps it and the data built at
scale for the next runs; every run starts from a fresh copy of that data, ``CREATE
DATABASE … TEMPLATE``), builds the data once (:mod:`bench.scale_data`: 20,000 NCs,
300 documents, 400,000 chained audit events, passwords hashed with argon2's production
parameters), serves the app with the production configuration through
``deploy/gunicorn.conf.py``, and runs ``bench/locustfile.py`` headless: ``--users`` people
arriving ``--spawn-rate`` a second, several on each of the six demo accounts, logging in,
browsing the registers and details of every domain, home and audit log, and reporting an
NC about a tenth of the time.

Prints per request name the count, failures, median, p95 and max against the floors, the
share of writes and how many NCs they created (counted in the database), the machine's
load average sampled during the run, the statements that took the server's time
(``pg_stat_statements``), then whether the audit chain verifies and the NC codes are
gapless. Floors (issue 15): 0 failures and 0 server errors; p95 ≤ 300 ms for every
request but the login; the login's p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench._common import ROOT
from bench.bench_request_path import free_port

PAGE_P95_MS = 300
LOGIN_P95_MS = 1000
TEMPLATE_DB = "qms_bench"
RUN_DB = "qms_load"


def _app(url: str, workdir: Path, **extra):
    from config import TestingConfig
    from qms import create_app

    return create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=workdir,
                      STORAGE_DIR=workdir / "files", BACKUP_DIR=workdir / "backups",
                      TESTING=False, **extra)


def build(url: str, workdir: Path, ncs: int, events: int) -> dict:
    """The data at scale in the template database (once per ``--workdir``; the marker
    lives beside the cluster, ``bench_registers --postgres --workdir`` reuses both)."""
    marker = workdir / "pg" / "ids.json"
    if marker.exists():
        print(f"reusing the data built in {marker.parent}")
        return json.loads(marker.read_text())
    from flask_migrate import upgrade
    from sqlalchemy import text

    from bench import scale_data
    from qms.extensions import db

    started = time.perf_counter()
    from config import Config

    app = _app(url, workdir, ARGON2_PARAMS=Config.ARGON2_PARAMS)  # production's hashes
    with app.app_context():
        upgrade()
    ids = scale_data.build(app, ncs=ncs, documents=300, events=events)
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    marker.write_text(json.dumps(ids))
    print(f"built in {time.perf_counter() - started:.0f} s")
    return ids


def _admin(url: str):
    from sqlalchemy import create_engine

    return create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def fresh_copy(template_url: str) -> str:
    """A new database copied from the template: every run starts from the same data."""
    from sqlalchemy import text

    engine = _admin(template_url)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {RUN_DB} TEMPLATE {TEMPLATE_DB}"))
    engine.dispose()
    url = template_url.rsplit("/", 1)[0] + f"/{RUN_DB}"
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        conn.execute(text("SELECT pg_stat_statements_reset()"))
    engine.dispose()
    return url


def nc_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM nonconformity")).scalar_one()
    engine.dispose()
    return count


def top_statements(url: str, limit: int = 12) -> None:
    """Where the database spent its time during the run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT calls, total_exec_time, mean_exec_time, max_exec_time, query "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) ORDER BY total_exec_time DESC "
            "LIMIT :limit"), {"limit": limit}).all()
        total = conn.execute(text(
            "SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0) "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())")).one()
    engine.dispose()
    print(f"\ndatabase time during the run: {total[0] / 1000:.1f} s in {int(total[1]):,} "
          f"statements; the largest shares (pg_stat_statements):")
    print(f"{'calls':>7} {'total s':>8} {'mean ms':>8} {'max ms':>8}  statement")
    for calls, total_ms, mean, peak, query in rows:
        query = " ".join(query.split())
        print(f"{calls:>7} {total_ms / 1000:>8.2f} {mean:>8.2f} {peak:>8.1f}  {query[:110]}")


def check(url: str, workdir: Path) -> bool:
    from sqlalchemy import func, select

    from qms.core import audit
    from qms.extensions import db
    from qms.nonconformities.models import NCYearCounter, Nonconformity

    app = _app(url, workdir)
    healthy = True
    with app.app_context():
        count, problem = audit.verify_chain(db.session)
        healthy &= problem is None
        print(f"audit chain: {count:,} events, "
              f"{'intact' if problem is None else f'BROKEN at #{problem.event_id}'}")
        for counter in db.session.scalars(select(NCYearCounter).order_by(NCYearCounter.year)):
            numbers = db.session.execute(
                select(func.count(), func.min(Nonconformity.number),
                       func.max(Nonconformity.number))
                .where(Nonconformity.year == counter.year)).one()
            gapless = numbers == (counter.last_number, 1, counter.last_number)
            healthy &= gapless
            print(f"NC codes {counter.year}: {numbers[0]:,} NCs numbered {numbers[1]}–"
                  f"{numbers[2]}, counter at {counter.last_number}: "
                  f"{'gapless' if gapless else 'GAPS OR REPEATS'}")
        db.engine.dispose()
    return healthy


def report(stats_csv: Path, server: dict[str, list[float]]) -> tuple[bool, int, int, int]:
    """Print the table; return (floors met, requests, writes, login requests). ``p50``/``p95``/``max``
    are what the users saw (ms); ``worker`` is the p95 of the workers' own time (access
    log): the difference is the wait for a free worker."""
    print(f"\n{'request':<40} {'count':>6} {'fail':>5} {'p50':>6} {'p95':>6} {'max':>6} "
          f"{'floor':>6} {'':<6} {'worker p50/p95':>15}")
    met, requests, writes, logins = True, 0, 0, 0
    with stats_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        aggregated = row["Name"] == "Aggregated"
        name = row["Name"] if aggregated else f"{row['Type']} {row['Name']}"
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        p95 = float(row["95%"] or 0)
        floor = LOGIN_P95_MS if "/login" in name and row["Type"] == "POST" else PAGE_P95_MS
        ok = p95 <= floor and failed == 0
        if aggregated:
            requests = count
            mark = floor_text = ""
        else:
            met &= ok
            writes += count if row["Type"] == "POST" and "/login" not in name else 0
            logins += count if row["Name"] == "/login" else 0
            mark, floor_text = ("ok" if ok else "MISSED"), str(floor)
        worker = server.get(name, [])
        worker_text = (f"{percentile(worker, 0.5):.0f}/{percentile(worker, 0.95):.0f}"
                       if worker else "")
        print(f"{name:<40} {count:>6} {failed:>5} "
              f"{float(row['50%'] or 0):>6.0f} {p95:>6.0f} {float(row['Max Response Time']):>6.0f} "
              f"{floor_text:>6} {mark:<6} {worker_text:>15}")
    return met, requests, writes, logins


#: gunicorn's access log: method, path with query, status, server time in microseconds.
ACCESS_FORMAT = '%(m)s %(U)s%(q)s %(s)s %(D)s'


def server_times(access_log: Path) -> dict[str, list[float]]:
    """Server-side milliseconds per request name (ids as ``<id>``, queries as ``?…``):
    the time a worker spent on the request, without the wait for a free worker."""
    times: dict[str, list[float]] = {}
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        method, target, _status, micros = parts
        path, _, query = target.partition("?")
        path = re.sub(r"/\d+(?=/|$)", "/<id>", path)
        if path == "/no-conformidades/":
            path += "?…"
        times.setdefault(f"{method} {path}", []).append(int(micros) / 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class CPU:
    """CPU seconds used by a process tree (live processes: a gunicorn arbiter and its
    workers; a PostgreSQL postmaster and its backends) between two snapshots."""

    def __init__(self, pid: int) -> None:
        import psutil  # installed with locust

        self.root = psutil.Process(pid)
        self.start = self._snapshot()

    def _snapshot(self) -> dict[int, float]:
        import psutil

        seen = {}
        for proc in [self.root, *self.root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                seen[proc.pid] = times.user + times.system
        return seen

    def used(self) -> float:
        end = self._snapshot()
        return sum(value - self.start.get(pid, 0.0) for pid, value in end.items())


def _busy_seconds() -> float:
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def postmaster_pid(url: str) -> int:
    import psutil
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pid = psutil.Process(backend).ppid()
    engine.dispose()
    return pid


def _accounts() -> list[str]:
    """The locustfile's accounts, read without importing locust (it patches the process
    for gevent)."""
    import ast

    text = (ROOT / "bench/locustfile.py").read_text()
    return ast.literal_eval(re.search(r"^ACCOUNTS = (\[.*?\])", text, re.M | re.S).group(1))


class LoadSampler(threading.Thread):
    """The 1-minute load average every 5 s while locust runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(5):
            self.samples.append(os.getloadavg()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path,
                        help="keep the PostgreSQL cluster and the data here for the next runs")
    parser.add_argument("--ncs", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, help="threads per worker (default: "
                        "deploy/gunicorn.conf.py's)")
    parser.add_argument("--worker-class", help="sync (default) or gthread")
    parser.add_argument("--wait", default="1-3", help="think time between two clicks, "
                        "seconds (min-max; 100 people at 1-3 s offer about 45 requests a "
                        "second)")
    args = parser.parse_args()
    from bench._pg import postgres
    from qms.auth.demo import demo_password

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qms-bench-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with postgres(TEMPLATE_DB, keep=args.workdir and workdir / "pg") as template_url:
        ids = build(template_url, workdir, args.ncs, args.events)
        url = fresh_copy(template_url)
        ncs_before = nc_count(url)
        port = free_port()
        env = {**os.environ, "QMS_ENV": "production", "QMS_SECRET_KEY": secrets.token_hex(32),
               "QMS_PSEUDONYM_KEY": secrets.token_hex(32), "QMS_INSTANCE_DIR": str(workdir),
               "QMS_DATABASE_URL": url, "QMS_SECURE_COOKIES": "0",
               "QMS_STORAGE_DIR": str(workdir / "files"),
               "GUNICORN_WORKERS": str(args.workers)}
        if args.threads:
            env["GUNICORN_THREADS"] = str(args.threads)
        if args.worker_class:
            env["GUNICORN_WORKER_CLASS"] = args.worker_class
        for name in ("access.log", "error.log"):
            (workdir / name).unlink(missing_ok=True)
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
             "-b", f"127.0.0.1:{port}", "--access-logfile", str(workdir / "access.log"),
             "--access-logformat", ACCESS_FORMAT,
             "--error-logfile", str(workdir / "error.log"), "wsgi:app"], cwd=ROOT, env=env)
        try:
            host = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(host + "/login", timeout=2).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            (workdir / "access.log").write_text("")  # the readiness probes are not the run
            before = os.getloadavg()
            server_cpu, database_cpu = CPU(server.pid), CPU(postmaster_pid(url))
            client_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            machine_cpu = _busy_seconds()
            sampler = LoadSampler()
            sampler.start()
            stats = workdir / "locust"
            started = time.perf_counter()
            subprocess.run(
                [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"),
                 "--headless", "--host", host, "--users", str(args.users), "--spawn-rate",
                 str(args.spawn_rate), "--run-time", args.run_time, "--csv", str(stats),
                 "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
                env={**env, "QMS_BENCH_PASSWORD": demo_password(),
                     "QMS_BENCH_NCS": str(ids["ncs"]), "QMS_BENCH_WAIT": args.wait},
                cwd=ROOT, check=False,
                stdout=subprocess.DEVNULL, stderr=(workdir / "locust.log").open("w"))
            elapsed = time.perf_counter() - started
            sampler.done.set()
            after = os.getloadavg()
            machine_busy = _busy_seconds() - machine_cpu
            used = {"gunicorn": server_cpu.used(), "PostgreSQL": database_cpu.used()}
            client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used["locust"] = (client_after.ru_utime + client_after.ru_stime
                              - client_cpu.ru_utime - client_cpu.ru_stime)
        finally:
            server.terminate()
            server.wait()
        accounts = _accounts()
        print(f"{args.users} users ({args.users / len(accounts):.0f} on each of the "
              f"{len(accounts)} demo accounts) arriving {args.spawn_rate:g}/s for {args.run_time}, "
              f"{args.wait} s between clicks, on gunicorn ({args.workers} workers, "
              f"{args.worker_class or 'sync'}) and PostgreSQL; "
              f"{ids['ncs']:,} NCs, {ids['events']:,} audit events at the start")
        met, requests, writes, logins = report(Path(f"{stats}_stats.csv"),
                                       server_times(workdir / "access.log"))
        created = nc_count(url) - ncs_before
        print(f"\n{requests:,} requests ({requests / elapsed:.1f}/s), {logins:,} of them "
              f"the login's GET and POST; writes (POST but the login): {writes:,} = "
              f"{100 * writes / max(requests, 1):.1f} % of all, "
              f"{100 * writes / max(requests - logins, 1):.1f} % of those after the login; "
              f"NCs created (counted in the database): {created:,}")
        log = (workdir / "access.log").read_text().splitlines()
        errors = sum(1 for line in log if '" 5' in line)
        print(f"server errors (5xx) in the access log: {errors}")
        timeouts = (workdir / "error.log").read_text().count("WORKER TIMEOUT")
        print(f"worker timeouts: {timeouts}")
        samples = sampler.samples or [after[0]]
        print(f"load average (1 min, {os.cpu_count()} cores): before {before[0]:.2f}, during "
              f"{min(samples):.2f}–{max(samples):.2f} (mean {sum(samples) / len(samples):.2f}), "
              f"after {after[0]:.2f}")
        capacity = (os.cpu_count() or 1) * elapsed
        print(f"CPU used during the run ({os.cpu_count()} cores × {elapsed:.0f} s = "
              f"{capacity:.0f} core-seconds): " + ", ".join(
                  f"{name} {seconds:.1f} s ({1000 * seconds / max(requests, 1):.0f} ms a "
                  f"request)" for name, seconds in used.items())
              + f"; the whole machine was busy {machine_busy:.0f} s")
        per_request = sum(used.values()) / max(requests, 1)
        low, high = (float(x) for x in args.wait.split("-", 1))
        print(f"at {1000 * per_request:.0f} ms of CPU a request (all three), "
              f"{os.cpu_count()} idle cores would serve at most "
              f"{(os.cpu_count() or 1) / max(per_request, 1e-9):.0f} requests/s; "
              f"{args.users} people clicking every {args.wait} s ask for up to "
              f"{args.users / ((low + high) / 2):.0f}/s")
        failures = Path(f"{stats}_failures.csv")
        if failures.exists() and len(failures.read_text().splitlines()) > 1:
            print("failures:\n" + failures.read_text())
        top_statements(url)
        healthy = check(url, workdir)
        verdict = met and errors == 0 and healthy
        print(f"\nfloors (0 failures, p95 ≤ {PAGE_P95_MS} ms, login p95 ≤ {LOGIN_P95_MS} ms, "
              f"chain intact, codes gapless): {'MET' if verdict else 'NOT MET'}")
        return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
