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

#: Server settings for a benchmark: a production server's, not initdb's 128 kB-era
#: defaults, but durability off (the data is rebuilt at will). ``pg_stat_statements``
#: is loaded so a run can say which statements took the time.
SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "256MB",
    "effective_cache_size": "1GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "128MB",
    "random_page_cost": "1.1",  # SSD
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
    "log_min_duration_statement": "200",  # ms: the slow statements land in the server log
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin_dir() -> Path:
    bin_dir = next((Path(d) for d in PG_BIN_DIRS if Path(d, "initdb").exists()), None)
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    return bin_dir


@contextlib.contextmanager
def postgres(database: str = "qms_bench", keep: Path | None = None) -> Iterator[str]:
    """Start a server, create ``database``; yield its SQLAlchemy URL; stop it.

    The cluster lives in a temporary directory removed afterwards, or under ``keep``
    (``keep/pgdata``, created on the first call, reused by the next ones: the database
    is created only if it is missing)."""
    bin_dir = _bin_dir()
    base = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="qms-bench-pg-", dir="/tmp"))
    base.mkdir(parents=True, exist_ok=True)
    as_user: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, str(bin_dir / tool), *args], check=check,
                              capture_output=True, text=True)

    data = base / "pgdata"
    if not (data / "PG_VERSION").exists():
        run("initdb", "-D", str(data), "--auth=trust", "--no-sync", "-U", "postgres",
            "--encoding=UTF8", "--locale=C.UTF-8")
    options = " ".join([f"-c listen_addresses=127.0.0.1 -p {port}",
                        f"-c unix_socket_directories={base}",
                        *(f"-c {name}={value}" for name, value in SETTINGS.items())])
    started = run("pg_ctl", "-D", str(data), "-o", options, "-l", str(base / "server.log"),
                  "-w", "start", check=False)
    if started.returncode != 0:
        log = (base / "server.log").read_text(errors="replace").splitlines()[-3:]
        raise SystemExit(f"PostgreSQL did not start in {data} (another run using it?):\n"
                         + "\n".join(log))
    try:
        if database not in databases(port, as_user, bin_dir):
            run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "stop", check=False)
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def databases(port: int, as_user: list[str], bin_dir: Path) -> set[str]:
    listed = subprocess.run(
        [*as_user, str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U",
         "postgres", "-d", "postgres", "-Atc", "SELECT datname FROM pg_database"],
        check=True, capture_output=True, text=True)
    return set(listed.stdout.split())

