"""How fast can NCs be created through the API, and do codes stay gapless under load?

    .venv/bin/python -m bench.nc_create [--total 2000] [--threads 8] [--database URL]

Builds a throwaway SQLite database (or uses ``--database``, e.g. a PostgreSQL URL of an
empty database) through the migrations, then fires ``--total`` POST /api/v1/nonconformities/
from ``--threads`` threads with the Flask test client (no network) and prints the rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from qms.auth.services import issue_token
    from qms.core import audit
    from qms.core.time import today_local
    from qms.extensions import db
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process
    from tests.conftest import make_app, seed_users, user

    tmp = Path(tempfile.mkdtemp(prefix="qms-bench-"))
    app = make_app(args.database or f"sqlite:///{tmp / 'bench.sqlite3'}", tmp)
    with app.app_context():
        upgrade()
        seed_users()
        with audit.acting_as(audit.SYSTEM):
            pid = create_process(code="PAG", name="Pago", category=ProcessCategory.OPERATIONAL,
                                 owner=user("duenio")).id
            _, secret = issue_token(user("calidad"), "bench")
            db.session.commit()
    body = {"title": "Planilla tarde", "description": "Bench", "source": "other",
            "process_id": pid, "severity": "minor",
            "detected_on": (today_local() - timedelta(days=1)).isoformat()}
    headers = {"Authorization": f"Bearer {secret}"}

    def worker(count: int) -> list[str]:
        client = app.test_client()
        return [client.post("/api/v1/nonconformities/", json=body, headers=headers)
                .get_json()["code"] for _ in range(count)]

    began = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        codes = [c for chunk in pool.map(worker, [args.total // args.threads] * args.threads)
                 for c in chunk]
    elapsed = time.perf_counter() - began
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    gapless = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    print(f"{len(codes)} creations, {args.threads} threads: {elapsed:.1f} s, "
          f"{len(codes) / elapsed:.0f}/s, unique and gapless: {gapless and len(set(codes)) == len(codes)}")


if __name__ == "__main__":
    main()
