"""Large exports built off the request path: a job per export, its progress, and a
download once the file is ready, so no request comes near the worker timeout.

A domain registers how to build one kind of export::

    @export_jobs.exporter("nc_register")
    def build(params: dict, out: BinaryIO, progress: Callable[[int], None]) -> None: ...

and its view calls :func:`start` (instead of streaming the file) when the export is
larger than its threshold. As the survey imports do (``qms/surveys/jobs.py``), the job
runs in a thread of the worker that received the request, in its own app context and
read-only unit, with the requester's language; it writes the file and a ``status.json``
(atomic replace) under ``INSTANCE_DIR/exports/<token>/``. Progress lives in that file,
not in the database, so polling it costs no query. Only the person who asked sees the
job and downloads the file; files are removed after :data:`KEEP_SECONDS`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    render_template,
    send_file,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_login import current_user, login_required

from qms.core.jobfiles import job_folder, write_status
from qms.core.jobfiles import read_status as _read
from qms.core.uow import job_unit
from qms.extensions import db

TOKEN_BYTES = 18
#: A running export that has not written its status for this long died (restart).
STALE_SECONDS = 120
#: Finished exports are removed after this long.
KEEP_SECONDS = 24 * 3600
#: Rows between two progress writes.
PROGRESS_EVERY = 500

Builder = Callable[[dict, BinaryIO, Callable[[int], None]], None]
EXPORTERS: dict[str, Builder] = {}

bp = Blueprint("exports", __name__, url_prefix="/exportaciones")


def exporter(kind: str) -> Callable[[Builder], Builder]:
    """Register the function that writes one kind of export into a binary file."""
    def register(func: Builder) -> Builder:
        EXPORTERS[kind] = func
        return func
    return register


def counted(rows: Iterable[Any], progress: Callable[[int], None]) -> Iterator[Any]:
    """Pass ``rows`` through, reporting how many went by every :data:`PROGRESS_EVERY`."""
    done = 0
    for done, row in enumerate(rows, start=1):
        yield row
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(done)


# ------------------------------------------------------------------ files


def _root() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "exports"


def _folder(token: str) -> Path:
    return job_folder(_root(), token)


def status(token: str) -> dict[str, Any] | None:
    """The job's status, or None for an unknown token; a job whose thread died is
    reported as ``interrupted``."""
    try:
        folder = _folder(token)
    except FileNotFoundError:
        return None
    values = _read(folder / "status.json")
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


# ------------------------------------------------------------------ run


def start(kind: str, *, params: dict, filename: str, total: int,
          back: str | None = None) -> str:
    """Queue an export of ``total`` rows for the current user; return its token.
    ``back`` is the page the progress page links back to (the filtered register)."""
    if kind not in EXPORTERS:
        raise KeyError(f"no exporter registered for {kind!r}")
    _cleanup_old()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = _root() / token
    folder.mkdir(parents=True)
    if back and (not back.startswith("/") or back.startswith("//")):
        back = None  # only a page of this site
    write_status(folder, state="queued", kind=kind, params=params, filename=filename,
                 user_id=current_user.id, locale=str(get_locale() or ""), done=0, total=total,
                 started_at=time.time(), back=back)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("EXPORTS_IN_THREAD", not app.testing):
        threading.Thread(target=run, args=(app, token), daemon=True,
                         name=f"export-{token[:6]}").start()
    else:
        run(app, token)
    return token


def run(app: Flask, token: str) -> None:
    """Build the file in its own app context, in the requester's language (an export
    only reads: who asked is in the status, the builder gets what it needs in
    ``params``)."""
    with app.app_context():
        folder = _folder(token)
        values = _read(folder / "status.json")
        part = folder / "file.part"
        try:
            with job_unit(), force_locale(values.get("locale") or "es"):
                write_status(folder, state="running")
                last = [0.0]

                def progress(done: int) -> None:
                    now = time.monotonic()
                    if now - last[0] >= 0.5 or done == values.get("total"):
                        last[0] = now
                        write_status(folder, done=done)

                with part.open("wb") as out:
                    EXPORTERS[values["kind"]](values["params"], out, progress)
            os.replace(part, folder / "file")
            write_status(folder, state="done", size=(folder / "file").stat().st_size,
                         finished_at=time.time())
        except Exception:  # report any failure to the page, never leave it "running"
            current_app.logger.exception("export %s failed", token)
            part.unlink(missing_ok=True)
            write_status(folder, state="failed")
        finally:
            db.session.remove()


# ------------------------------------------------------------------ views


def _own(token: str) -> dict[str, Any]:
    """The job, if it is the current user's; anyone else gets 404 (it is not theirs to
    know it exists)."""
    values = status(token)
    if values is None or values.get("user_id") != current_user.id:
        abort(404)
    return values


@bp.get("/<token>")
@login_required
def progress(token: str):
    values = _own(token)
    return render_template("core/export_progress.html", status=values, token=token,
                           download=url_for("exports.download", token=token))


@bp.get("/<token>/estado.json")
@login_required
def progress_status(token: str):
    values = _own(token)
    return {key: values.get(key) for key in ("state", "done", "total", "filename", "size")}


@bp.get("/<token>/archivo")
@login_required
def download(token: str):
    values = _own(token)
    if values.get("state") != "done":
        abort(404)
    response = send_file(_folder(token) / "file", as_attachment=True,
                         download_name=values["filename"], max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
