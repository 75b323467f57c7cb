"""Imports started from the browser: upload, map the columns, import off the request path.

An upload gets a random token and a folder under ``INSTANCE_DIR/survey-imports/``
holding the file and a ``status.json`` the import thread rewrites as it goes (atomic
replace). Progress lives in that file, not in the database, so showing it never competes
with the import for SQLite's write lock. The page polls the status with a small static
script. The import runs :func:`qms.surveys.importer.run_import` inside a job unit; the
uploaded file (it may hold beneficiary IDs) is deleted and the final status written by
after-commit hooks, so "done" is never shown for data that is not committed. The batch
keeps the file's SHA-256.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from qms.core import audit
from qms.core.errors import ServiceError, ValidationError
from qms.core.jobfiles import job_folder, write_status
from qms.core.jobfiles import read_status as read_status_file
from qms.core.uow import after_commit, job_unit
from qms.extensions import db
from qms.surveys import importer
from qms.surveys.models import Channel, Wave
from qms.surveys.reader import FileProblem, open_table

TOKEN_BYTES = 18
#: A running import that has not written its status for this long died (killed, restarted).
STALE_SECONDS = 120
#: Uploads never imported are removed after this long.
KEEP_SECONDS = 24 * 3600


def _root() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "survey-imports"


def _folder(token: str) -> Path:
    return job_folder(_root(), token)


def status(token: str) -> dict[str, Any] | None:
    try:
        folder = _folder(token)
    except FileNotFoundError:
        return None
    values = read_status_file(folder / "status.json")
    if not values:
        return None
    if values.get("state") in ("queued", "running") and \
            time.time() - values.get("heartbeat", 0) > STALE_SECONDS:
        values["state"] = "interrupted"
    return values


def _cleanup_old() -> None:
    root = _root()
    if not root.exists():
        return
    limit = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def receive_upload(wave: Wave, upload: FileStorage, user) -> tuple[str, list[str]]:
    """Save the upload, check it is a readable CSV/XLSX, return (token, header)."""
    _cleanup_old()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = _root() / token
    folder.mkdir(parents=True)
    path = folder / "upload"
    upload.save(path)
    try:
        if path.stat().st_size == 0:
            raise FileProblem(_l("El archivo está vacío."))
        table = open_table(path)
        header = table.header
        table.close()
    except FileProblem as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ValidationError(exc.message, field="file") from None
    write_status(folder, state="uploaded", wave_id=wave.id, user_id=user.id,
                 file_name=secure_filename(upload.filename or "") or "export", header=header)
    return token, header


def start(token: str, *, mapping: dict[str, str], skip_invalid: bool,
          allow_outside_period: bool = False, channel: Channel = Channel.KOBO) -> None:
    folder = _folder(token)
    write_status(folder, state="queued", mapping=mapping, skip_invalid=skip_invalid,
                 allow_outside_period=allow_outside_period, channel=Channel(channel).value,
                 done=0, total=(folder / "upload").stat().st_size, rows=0)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("SURVEYS_IMPORT_IN_THREAD", not app.testing):
        threading.Thread(target=run, args=(app, token), daemon=True,
                         name=f"survey-import-{token[:6]}").start()
    else:
        run(app, token)


def run(app: Flask, token: str) -> None:
    """The import itself, in its own app context: the importer's one path inside a job
    unit; the upload is deleted and the final status written only after the commit."""
    from qms.auth.models import User

    with app.app_context():
        folder = _folder(token)
        values = read_status_file(folder / "status.json")
        path = folder / "upload"
        try:
            with job_unit():
                wave = db.session.get(Wave, values["wave_id"])
                user = db.session.get(User, values["user_id"])
                write_status(folder, state="running")

                def progress(done: int, total: int, rows: int) -> None:
                    write_status(folder, done=done, total=total, rows=rows)

                with audit.acting_as(user):
                    report = importer.run_import(
                        wave, path, file_name=values.get("file_name", "export"),
                        skip_invalid=bool(values.get("skip_invalid")),
                        allow_outside_period=bool(values.get("allow_outside_period")),
                        channel=Channel(values.get("channel") or Channel.KOBO.value),
                        mapping=values.get("mapping") or {}, progress=progress)
                after_commit(lambda: path.unlink(missing_ok=True))
                after_commit(lambda: write_status(folder, **_outcome(report)))
        except Exception as exc:  # report any failure to the page, never leave it "running"
            current_app.logger.exception("survey import %s failed", token)
            message = exc.message if isinstance(exc, ServiceError) else _l(
                "La importación falló por un error interno; no se importó nada.")
            path.unlink(missing_ok=True)
            write_status(folder, state="failed", error=str(message))
        finally:
            db.session.remove()


def _outcome(report: importer.ImportReport) -> dict[str, Any]:
    return {"state": "done" if report.accepted else "rejected", "batch_id": report.batch_id,
            "summary": report.summary(), "problem_count": report.problem_count,
            "problems": [p.as_dict() for p in report.problems[:200]],
            "unknown_columns": report.unknown_columns, "file_problem": report.file_problem}
