"""Consistent database backups: SQLite's online backup API, or pg_dump on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from qms.core.db import now_utc
from qms.extensions import db


class BackupError(RuntimeError):
    pass


def _default_path(suffix: str) -> Path:
    folder = Path(current_app.config["BACKUP_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"qms-{now_utc():%Y%m%dT%H%M%SZ}.{suffix}"


def backup_database(output: str | os.PathLike | None = None) -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        target = Path(output) if output else _default_path("sqlite3")
        _backup_sqlite(url.database, target)
    elif url.get_backend_name() == "postgresql":
        target = Path(output) if output else _default_path("dump")
        _backup_postgres(url, target)
    else:  # pragma: no cover - configuration error
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    return target


def _backup_sqlite(database: str | None, target: Path) -> None:
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    source = sqlite3.connect(database)
    dest = sqlite3.connect(partial)
    try:
        source.backup(dest)  # consistent even while the app writes (online backup API)
    finally:
        dest.close()
        source.close()
    partial.replace(target)


def _backup_postgres(url, target: Path) -> None:
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    command = [
        pg_dump, "--format=custom", "--no-owner", f"--file={target}",
        f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}",
        f"--username={url.username or 'postgres'}", url.database or "postgres",
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    db.session.close()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
