"""A throwaway PostgreSQL server on 127.0.0.1 for tests marked ``postgres``.

initdb and pg_ctl refuse to run as root, so as root the server commands run as the
``postgres`` OS user, in a temporary directory that user owns (SETUP-NOTES.md).

The migrations and the role users are built once per session into a template database;
every database a test asks for is a copy of it (``CREATE DATABASE … TEMPLATE``, a file
copy on the server), not a new migration run. Each app made on such a copy is disposed
when its test or module ends, so no psycopg connection is left to the garbage collector
(which would warn inside whichever test happened to run next).
"""

from __future__ import annotations

import itertools
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

    def createdb(self, name: str, template: str | None = None) -> str:
        copy = ["--template", template] if template else []
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 *copy, name)
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


#: The database the migrations and the role users are built into once per session.
TEMPLATE = "qms_template"
_copies = itertools.count(1)


@pytest.fixture(scope="session")
def pg_template(pg_server, tmp_path_factory) -> str:
    """The name of a database built by the migrations, with one user per role, that no
    connection holds open (PostgreSQL copies a template only while nobody is connected)."""
    from flask_migrate import upgrade

    from tests.conftest import make_app, seed_users

    application = make_app(pg_server.createdb(TEMPLATE), tmp_path_factory.mktemp("qms-pg-template"))
    with disposed(application), application.app_context():
        upgrade()
        seed_users()
    return TEMPLATE


@contextmanager
def disposed(application) -> Iterator:
    """Yield ``application``; then return its session's connection to the pool and close
    every pooled connection, so none is left for the garbage collector."""
    from qms.extensions import db

    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def pg_app_copy(server: PgServer, template: str, instance: Path, prefix: str = "qms") -> Iterator:
    """The app on a new database copied from ``template``; disposed on exit."""
    from tests.conftest import make_app

    url = server.createdb(f"{prefix}_{next(_copies)}", template=template)
    application = make_app(url, instance)
    application.config["PG_SERVER"] = server
    with disposed(application):
        yield application


@pytest.fixture
def fresh_pg_app(pg_server, pg_template, tmp_path) -> Iterator:
    """The app on a database of this test's own, copied from the template."""
    with pg_app_copy(pg_server, pg_template, tmp_path) as application:
        yield application


@pytest.fixture(scope="session")
def pg_app(pg_server, pg_template, tmp_path_factory):
    """The app on one PostgreSQL database shared by the session's PostgreSQL tests (each
    keeps to records of its own)."""
    with pg_app_copy(pg_server, pg_template, tmp_path_factory.mktemp("qms-pg")) as application:
        yield application
