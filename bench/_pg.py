"""A throwaway PostgreSQL server on 127.0.0.1 for the benchmarks (as the tests start
one: the server commands run as the ``postgres`` OS user when we are root)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_BIN_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/15/bin"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres(database: str = "qms_bench") -> Iterator[str]:
    """Start a server, create ``database``; yield its SQLAlchemy URL; stop and remove it."""
    bin_dir = next((Path(d) for d in PG_BIN_DIRS if Path(d, "initdb").exists()), None)
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="qms-bench-pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(tool: str, *args: str) -> None:
        subprocess.run([*as_user, str(bin_dir / tool), *args], check=True, capture_output=True)

    run("initdb", "-D", str(base / "data"), "--auth=trust", "--no-sync", "-U", "postgres",
        "--encoding=UTF8", "--locale=C.UTF-8")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
               "-c max_connections=200 -c shared_buffers=128MB")
    run("pg_ctl", "-D", str(base / "data"), "-o", options, "-l", str(base / "log"), "-w", "start")
    try:
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(base / "data"), "-m",
                        "fast", "stop"], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)
