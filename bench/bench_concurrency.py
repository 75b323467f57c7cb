"""No 500 under concurrency on the default SQLite set-up, behind a real gunicorn.

    .venv/bin/python -m bench.bench_concurrency [--seconds 20] [--clients 4] [--workers 2]

Builds a throwaway SQLite database through the migrations, starts ``gunicorn -w 2``
on it, then runs ``--clients`` parallel clients for ``--seconds``: each loops over API
reads (process list, NC register), API writes (a new NC, then a PATCH of a shared
process with a possibly stale version), a web login with its CSRF token, and a wrong
login. Prints the count of answers per status, the number ≥ 500 (the target: 0), and
whether the audit chain verifies afterwards.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(workdir: Path) -> tuple[str, int]:
    from flask_migrate import upgrade

    from qms.auth.services import issue_token
    from qms.core import audit
    from qms.extensions import db
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process
    from tests.conftest import make_app, seed_users, user

    app = make_app(f"sqlite:///{workdir / 'qms.sqlite3'}", workdir)
    with app.app_context():
        upgrade()
        seed_users()
        with audit.acting_as(audit.SYSTEM):
            pid = create_process(code="PAG", name="Pago", category=ProcessCategory.OPERATIONAL,
                                 owner=user("duenio")).id
            _, secret = issue_token(user("calidad"), "bench")
            db.session.commit()
    return secret, pid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import requests

    from qms.core.time import today_local
    from tests.conftest import PASSWORD

    workdir = Path(tempfile.mkdtemp(prefix="qms-conc-"))
    secret, pid = _prepare(workdir)
    port = _free_port()
    env = {**os.environ, "QMS_ENV": "development", "QMS_INSTANCE_DIR": str(workdir),
           "QMS_DATABASE_URL": f"sqlite:///{workdir / 'qms.sqlite3'}",
           "QMS_SECRET_KEY": "bench-secret", "QMS_PSEUDONYM_KEY": "bench-pseudonym",
           # Test users have cheap hashes; the limits must not hide errors behind 429s.
           "QMS_LOGIN_RATE_LIMIT": "100000 per minute",
           "QMS_LOGIN_USERNAME_RATE_LIMIT": "100000 per minute"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/login", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    headers = {"Authorization": f"Bearer {secret}"}
    statuses: collections.Counter = collections.Counter()
    by_kind: collections.Counter = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds
    nc_body = {"title": "Planilla tarde", "description": "Concurrencia", "source": "other",
               "process_id": pid, "severity": "minor",
               "detected_on": (today_local() - timedelta(days=1)).isoformat()}

    def note(kind: str, response) -> None:
        with lock:
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                by_kind[kind] += 1

    def client(number: int) -> None:
        api = requests.Session()
        api.headers.update(headers)
        i = 0
        while time.monotonic() < stop:
            i += 1
            note("read", api.get(f"{base}/api/v1/processes/", timeout=30))
            note("read", api.get(f"{base}/api/v1/nonconformities/", timeout=30))
            note("write", api.post(f"{base}/api/v1/nonconformities/", json=nc_body,
                                   timeout=30))
            process = api.get(f"{base}/api/v1/processes/{pid}", timeout=30).json()
            note("update", api.patch(f"{base}/api/v1/processes/{pid}", timeout=30, json={
                "version": process["version"], "name": f"Pago {number}-{i}",
                "category": "operational"}))
            web = requests.Session()
            page = web.get(f"{base}/login", timeout=30).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            password = PASSWORD if i % 2 else "clave-equivocada-1"
            note("login", web.post(f"{base}/login", timeout=30, allow_redirects=False, data={
                "csrf_token": token, "username": "calidad", "password": password}))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    from qms.core import audit
    from qms.extensions import db
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{workdir / 'qms.sqlite3'}", workdir)
    with app.app_context():
        events, problem = audit.verify_chain(db.session)
    total = sum(statuses.values())
    print(f"{total} requests in {elapsed:.1f} s from {args.clients} clients on gunicorn "
          f"-w {args.workers} (SQLite): {total / elapsed:.0f}/s")
    print("statuses:", dict(sorted(statuses.items())))
    print("responses >= 500:", sum(n for s, n in statuses.items() if s >= 500),
          dict(by_kind))
    print(f"audit chain: {events} events, {'intact' if problem is None else problem}")


if __name__ == "__main__":
    main()
