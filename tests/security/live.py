"""The app under a real gunicorn on 127.0.0.1, and clients that load it in parallel.

Shared by ``tests/security/test_gunicorn.py`` (a short, bounded run in the suite) and
``bench/bench_concurrency.py`` (longer runs that print figures). Every network call has a
timeout and the server runs in its own process group, killed on exit, so neither can hang
or leave a server behind.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: Seconds any single request may take before it counts as a client-side failure.
REQUEST_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Seeded:
    database_url: str
    workdir: Path
    token: str
    process_id: int


def seed_database(database_url: str, workdir: Path, *, migrated: bool = False) -> Seeded:
    """Build the schema through the migrations (unless ``migrated``: a copy of the suite's
    template, users included), the role users, one process and a token."""
    from flask_migrate import upgrade

    from qms.auth.services import issue_token
    from qms.core import audit
    from qms.extensions import db
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process
    from tests.conftest import make_app, seed_users, user

    app = make_app(database_url, workdir)
    with app.app_context():
        if not migrated:
            upgrade()
            seed_users()
        with audit.acting_as(audit.SYSTEM):
            process_id = create_process(code="PAG", name="Pago",
                                        category=ProcessCategory.OPERATIONAL,
                                        owner=user("duenio")).id
            _, secret = issue_token(user("calidad"), "concurrencia")
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return Seeded(database_url, workdir, secret, process_id)


def sqlite_database(workdir: Path | None = None, template: Path | None = None) -> Seeded:
    """A scratch SQLite database; from the suite's migrated ``template`` when given."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="qms-live-"))
    if template is not None:
        shutil.copy(template, folder / "qms.sqlite3")
    return seed_database(f"sqlite:///{folder / 'qms.sqlite3'}", folder,
                         migrated=template is not None)


def chain_status(seeded: Seeded) -> tuple[int, str | None]:
    """(events, problem) of the audit chain once the server has stopped."""
    from qms.core import audit
    from qms.extensions import db
    from tests.conftest import make_app

    app = make_app(seeded.database_url, seeded.workdir)
    with app.app_context():
        events, problem = audit.verify_chain(db.session)
        db.session.remove()
        db.engine.dispose()
    return events, problem


@contextmanager
def gunicorn_server(seeded: Seeded, *, workers: int = 2, real_limits: bool = False,
                    ready_within: float = 60) -> Iterator[str]:
    """Serve the app on a free port; yield its base URL; kill the whole group on exit."""
    port = free_port()
    env = {**os.environ, "QMS_ENV": "development", "QMS_INSTANCE_DIR": str(seeded.workdir),
           "QMS_DATABASE_URL": seeded.database_url, "QMS_SECRET_KEY": "live-secret",
           "QMS_PSEUDONYM_KEY": "live-pseudonym", "QMS_MAIL_BACKEND": "file"}
    if not real_limits:
        # Test users have cheap hashes; limits would hide errors behind 429s.
        env |= {"QMS_LOGIN_RATE_LIMIT": "100000 per minute",
                "QMS_LOGIN_USERNAME_RATE_LIMIT": "100000 per minute"}
    log = (seeded.workdir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--preload", "-w", str(workers),
         "-b", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "2",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited: "
                                   + (seeded.workdir / "gunicorn.log").read_text()[-2000:])
            try:
                if requests.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {ready_within:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    # SIGQUIT is gunicorn's quick shutdown; SQLite and PostgreSQL survive it intact.
    for sig, wait in ((signal.SIGQUIT, 3), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# ---------------------------------------------------------------------------- the load


@dataclass
class Tally:
    """Answers per status (0 = no answer: timeout or connection error) and latencies."""

    statuses: collections.Counter = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, call: Callable[[], requests.Response]) -> \
            requests.Response | None:
        began = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as error:
            with self.lock:
                self.statuses[0] += 1
                self.failures.append(f"{kind}: {type(error).__name__}")
            return None
        elapsed = time.perf_counter() - began
        with self.lock:
            self.statuses[response.status_code] += 1
            self.latencies.append(elapsed)
            if response.status_code >= 500:
                self.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")
        return response

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status < high)

    @property
    def server_errors(self) -> int:
        return self.count(500, 600)

    def summary(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        return (f"{self.total:5d} requests | 2xx/3xx {self.count(200, 400):5d} | "
                f"409 {self.statuses[409]:4d} | 429 {self.statuses[429]:4d} | "
                f"503 {self.statuses[503]:4d} | other 4xx "
                f"{self.count(400, 500) - self.statuses[409] - self.statuses[429]:4d} | "
                f"5xx {self.server_errors - self.statuses[503]:3d} | no answer "
                f"{self.statuses[0]:3d} | median {statistics.median(lat) * 1000:6.0f} ms | "
                f"p95 {p95 * 1000:6.0f} ms")


def _nc_body(seeded: Seeded, title: str) -> dict:
    from qms.core.time import today_local

    return {"title": title, "description": "Concurrencia", "source": "other",
            "process_id": seeded.process_id, "severity": "minor",
            "detected_on": (today_local() - timedelta(days=1)).isoformat()}


def login_once(base: str, tally: Tally, password: str) -> None:
    from tests.conftest import PASSWORD

    web = requests.Session()
    page = tally.record("login-form", lambda: web.get(f"{base}/login",
                                                      timeout=REQUEST_TIMEOUT))
    if page is None or not (found := CSRF_RE.search(page.text)):
        return
    tally.record("login", lambda: web.post(
        f"{base}/login", timeout=REQUEST_TIMEOUT, allow_redirects=False,
        data={"csrf_token": found.group(1), "username": "calidad",
              "password": password or PASSWORD}))


def create_nc(base: str, tally: Tally, api: requests.Session, seeded: Seeded, n: int) -> None:
    tally.record("nc-create", lambda: api.post(f"{base}/api/v1/nonconformities/",
                                               json=_nc_body(seeded, f"Planilla tarde {n}"),
                                               timeout=REQUEST_TIMEOUT))


def edit_process(base: str, tally: Tally, api: requests.Session, seeded: Seeded,
                 n: int) -> None:
    url = f"{base}/api/v1/processes/{seeded.process_id}"
    current = tally.record("read", lambda: api.get(url, timeout=REQUEST_TIMEOUT))
    if current is None or current.status_code != 200:
        return
    version = current.json()["version"]
    tally.record("edit", lambda: api.patch(url, timeout=REQUEST_TIMEOUT, json={
        "version": version, "name": f"Pago {n}", "category": "operational"}))


def read_lists(base: str, tally: Tally, api: requests.Session) -> None:
    for path in ("/api/v1/processes/", "/api/v1/nonconformities/"):
        tally.record("read", lambda path=path: api.get(f"{base}{path}",
                                                       timeout=REQUEST_TIMEOUT))


def run_clients(base: str, seeded: Seeded, step: Callable, *, clients: int,
                seconds: float) -> Tally:
    """``clients`` threads call ``step(base, tally, api, seeded, n)`` until time is up."""
    tally = Tally()
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def client(number: int) -> None:
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {seeded.token}"
        barrier.wait(timeout=30)
        i = 0
        while time.monotonic() < stop:
            i += 1
            step(base, tally, api, seeded, number * 100_000 + i)

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A request cannot outlast its timeout, so a client cannot outlast this.
        thread.join(timeout=seconds + 4 * REQUEST_TIMEOUT + 30)
    return tally


def step_logins(base, tally, api, seeded, n) -> None:
    from tests.conftest import PASSWORD

    login_once(base, tally, PASSWORD if n % 2 else "clave-equivocada-1")


def step_nc_creations(base, tally, api, seeded, n) -> None:
    create_nc(base, tally, api, seeded, n)


def step_edits(base, tally, api, seeded, n) -> None:
    edit_process(base, tally, api, seeded, n)


def step_mixed(base, tally, api, seeded, n) -> None:
    """What the issue's proof asks: reads, writes and logins from every client."""
    from tests.conftest import PASSWORD

    read_lists(base, tally, api)
    create_nc(base, tally, api, seeded, n)
    edit_process(base, tally, api, seeded, n)
    login_once(base, tally, PASSWORD if n % 2 else "clave-equivocada-1")


SCENARIOS: dict[str, Callable] = {
    "logins of one account": step_logins,
    "NC creations": step_nc_creations,
    "edits of one process": step_edits,
    "mixed reads/writes/logins": step_mixed,
}
