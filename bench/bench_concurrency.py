"""Availability under concurrency, behind a real gunicorn.

    .venv/bin/python -m bench.bench_concurrency [--seconds 20] [--clients 4] [--workers 2]
                                                [--pg] [--real-limits]

Builds a throwaway database through the migrations (SQLite, or with ``--pg`` a throwaway
PostgreSQL server started the way the test fixture does), starts ``gunicorn -w N`` on it
and runs each scenario for ``--seconds`` with ``--clients`` parallel clients: logins of one
account (half with a wrong password), NC creations through the API, edits of one process
with the version each client last read (racing edits must answer 409), and the mix of
all three with reads. Prints, per scenario, the answers by class (2xx/3xx, 409, 429, 503,
other 4xx, 5xx, no answer) and the latency median and p95; then whether the audit chain
still verifies. Target: 0 answers 5xx (503 with Retry-After is the designed answer to a
lock held too long), 0 without an answer. Every request has a timeout and the server is
killed on exit, so a run cannot hang.

``--real-limits`` keeps the login rate limits (the logins scenario then shows 429s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--real-limits", action="store_true")
    parser.add_argument("--only", help="run only the scenarios whose name contains this")
    args = parser.parse_args()

    from tests.security import live

    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="qms-bench-conc-"))
        if args.pg:
            from tests.fixtures_postgres import running_pg_server

            server = stack.enter_context(running_pg_server())
            seeded = live.seed_database(server.createdb("qms_bench"), workdir)
        else:
            seeded = live.sqlite_database(workdir)
        engine = "PostgreSQL" if args.pg else "SQLite"
        print(f"gunicorn -w {args.workers}, {args.clients} clients, {args.seconds:.0f} s per "
              f"scenario, {engine}, login limits {'real' if args.real_limits else 'raised'}")
        failures: list[str] = []
        with live.gunicorn_server(seeded, workers=args.workers,
                                  real_limits=args.real_limits) as base:
            for name, step in live.SCENARIOS.items():
                if args.only and args.only not in name:
                    continue
                began = time.perf_counter()
                tally = live.run_clients(base, seeded, step, clients=args.clients,
                                         seconds=args.seconds)
                rate = tally.total / (time.perf_counter() - began)
                print(f"{name:28s} {tally.summary()} | {rate:5.0f}/s")
                failures += tally.failures
        events, problem = live.chain_status(seeded)
        print(f"audit chain: {events} events, {'intact' if problem is None else problem}")
        for failure in failures[:10]:
            print("  ", failure)


if __name__ == "__main__":
    main()
