"""A throwaway PostgreSQL server on 127.0.0.1 for tests marked ``postgres``.

initdb and pg_ctl refuse to run as root, so as root the server commands run as the
``postgres`` OS user, in a temporary directory that user owns (SETUP-NOTES.md).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/15/bin"]


def _pg_bin() -> Path:
    for folder in PG_BIN_DIRS:
        if Path(folder, "initdb").exists():
            return Path(folder)
    pytest.fail("PostgreSQL server binaries not found: `make test` installs the postgresql package")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bin: Path
    port: int
    socket_dir: Path
    as_user: list[str]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True,
                              capture_output=True, text=True)

    def createdb(self, name: str) -> str:
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)


@contextmanager
def running_pg_server() -> Iterator[PgServer]:
    """Start a throwaway server and stop it on exit (the fixture and ``bench/`` use it)."""
    bin_dir = _pg_bin()
    base = Path(tempfile.mkdtemp(prefix="qms-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    port = _free_port()
    server = PgServer(bin_dir, port, base, as_user)
    server.run("initdb", "-D", str(data), "--auth=trust", "--no-sync", "-U", "postgres",
               "--encoding=UTF8", "--locale=C.UTF-8")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    server.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
    try:
        yield server
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_pg_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_app(pg_server, tmp_path_factory):
    """The app on a fresh PostgreSQL database built by the migrations."""
    from flask_migrate import upgrade

    from qms.extensions import db
    from tests.conftest import make_app, seed_users

    url = pg_server.createdb("qms_test")
    application = make_app(url, tmp_path_factory.mktemp("qms-pg"))
    with application.app_context():
        upgrade()
        seed_users()
    application.config["PG_SERVER"] = pg_server
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
